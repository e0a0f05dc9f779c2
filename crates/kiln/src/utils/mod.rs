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

/// `serde` for a type saved as its Keras config: serialised with `get_config()`, read
/// back with `from_config(&Value)`, so a config field of that type is declared once.
macro_rules! serde_via_config {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&self.get_config(), s)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                let v = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                <$t>::from_config(&v).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_config;
