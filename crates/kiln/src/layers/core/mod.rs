//! Core layers: `Dense`, `EinsumDense`, `Activation`, `Identity`, `Lambda`.

mod activation;
mod dense;
mod einsum_dense;
mod identity;
mod lambda;

pub use activation::Activation;
pub use dense::Dense;
pub use einsum_dense::EinsumDense;
pub use identity::Identity;
pub use lambda::Lambda;
