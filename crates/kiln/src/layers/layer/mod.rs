//! The layer protocol: the [`Layer`] trait that layer authors implement, the state every
//! layer shares ([`LayerBase`]), and the shared handle users call ([`LayerRef`]).
//!
//! One concept a file: [`shape`] (shapes, [`InputSpec`]), [`context`] ([`CallContext`]),
//! [`base`] ([`LayerBase`], [`WeightBuilder`]), [`traits`] ([`Layer`], [`LayerState`],
//! [`FromConfig`]), [`weight`] ([`Weight`], [`ConfigArg`]), [`naming`] (saving paths of
//! children), [`layer_ref`] and [`tracking`] ([`LayerRef`]).

pub mod base;
pub mod call_args;
pub mod context;
pub mod layer_ref;
pub mod naming;
pub mod shape;
pub mod tracking;
pub mod traits;
pub mod weight;

pub(crate) use base::WeightEntry;
pub use base::{LayerBase, WeightBuilder};
pub use call_args::CallArgs;
pub(crate) use call_args::KeywordInput;
pub(crate) use context::inherited_training;
pub use context::{meta_shape_fallbacks, CallContext};
pub use layer_ref::{LayerApply, LayerInput, LayerRef};
pub use naming::{attribute_children, container_names, to_snake_case, Attribute};
pub use shape::{fmt_shape, last_dim, shape_of, InputSpec, Shape};
pub use traits::{one_input, AsAny, FromConfig, Layer, LayerState};
pub use weight::{ConfigArg, Weight};
