//! Core layers: `Dense`, `Activation`, `Identity`, `Lambda`.

mod activation;
mod dense;
mod identity;
mod lambda;

pub use activation::Activation;
pub use dense::Dense;
pub use identity::Identity;
pub use lambda::Lambda;
