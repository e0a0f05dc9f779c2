//! Text preprocessing: [`TextVectorization`] (Keras's layer over Rust strings, since kiln
//! tensors hold numbers only).

mod text_vectorization;

pub use text_vectorization::{OutputMode, Split, SplitFn, Standardize, TextVectorization};
