//! Utilities with Keras's names.

mod image_grid;
mod naming;
mod progbar;

pub use image_grid::{save_image_grid, ImageGridArgs};
pub use kiln_data::utils::{normalize, pad_sequences, to_categorical, PadSequences};
pub use naming::{clear_session, to_camel_case, to_snake_case, unique_name};
pub use progbar::Progbar;

/// Seeds every random stream kiln uses (initializers, dropout, shuffling), as
/// `keras.utils.set_random_seed`. Same seed and thread count give bit-identical results.
///
/// ```
/// kiln::utils::set_random_seed(42);
/// ```
pub fn set_random_seed(seed: u64) {
    kiln_tensor::random::set_global_seed(seed);
}
