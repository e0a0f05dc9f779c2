//! Merge layers: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`,
//! `Concatenate`, and their lower-case functional helpers.

mod concatenate;
mod elementwise;

pub use concatenate::{concatenate, Concatenate};
pub use elementwise::{add, average, maximum, minimum, multiply, subtract};
pub use elementwise::{Add, Average, Maximum, Minimum, Multiply, Subtract};
