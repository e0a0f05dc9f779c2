//! Text preprocessing: [`TextVectorization`], [`StringLookup`], [`IntegerLookup`] and
//! [`Hashing`] (Keras's layers over Rust strings, string tensors — dtype `string` — and
//! integer tensors), and the hashes TF uses ([`fingerprint64`], [`siphash24`]).
//! `TextVectorization::call_tensor` and `StringLookup::call_tensor` take string tensors,
//! so they run inside `Dataset::map` as Keras's layers run inside `tf.data`.

mod farmhash;
mod hashing;
mod index_lookup;
mod integer_lookup;
mod siphash;
mod string_lookup;
mod text_vectorization;

pub use farmhash::fingerprint64;
pub use hashing::{to_hash_bucket_fast, to_hash_bucket_strong, Hashing, HashingMode, MaskValue};
pub use index_lookup::{LookupMode, Vocabulary};
pub use integer_lookup::{IntegerLookup, IntegerLookupOptions, OovMethod};
pub use siphash::siphash24;
pub use string_lookup::{StringLookup, StringLookupOptions};
pub use text_vectorization::{OutputMode, Split, SplitFn, Standardize, TextVectorization};
