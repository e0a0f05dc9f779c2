//! Dtype policies, as Keras 3's `keras.dtype_policies` (mixed precision).
//!
//! A policy names a layer's **compute dtype** (its inputs, math and outputs) and its
//! **variable dtype** (its weights): `"float32"`, `"float64"`, `"float16"` and
//! `"bfloat16"` use the same dtype for both; `"mixed_float16"` and `"mixed_bfloat16"`
//! compute in float16 / bfloat16 and keep float32 variables. Every layer takes the global
//! policy ([`set_dtype_policy`], Keras's `keras.config.set_dtype_policy` and
//! `keras.mixed_precision.set_global_policy`) when it is constructed, or its own through
//! its `dtype_policy` builder or a config's `dtype`.
//!
//! A layer then casts its floating inputs to the compute dtype, reads its float variables
//! cast to it (an autocast scope, see [`kiln_tensor::autodiff::AutocastScope`]), and
//! returns outputs in it; BatchNormalization computes in float32 and keeps its statistics
//! uncast, as Keras does. Losses and metrics are computed in float32.
//!
//! ```
//! use kiln::dtype_policies::{dtype_policy, set_dtype_policy, DTypePolicy};
//! use kiln::layers::{Dense, LayerRef};
//! use kiln::{DType, Tensor};
//! set_dtype_policy("mixed_float16")?;
//! let dense = LayerRef::new(Dense::new(2));
//! set_dtype_policy("float32")?;
//! let y = dense.call(&Tensor::ones(&[1, 3], DType::F32))?;
//! assert_eq!(y.dtype(), DType::F16);
//! assert_eq!(dense.trainable_weights()[0].value().dtype(), DType::F32);
//! assert_eq!(dtype_policy().name(), "float32");
//! assert!(DTypePolicy::new("float17").is_err());
//! # Ok::<(), kiln::Error>(())
//! ```

use std::sync::RwLock;

use kiln_tensor::DType;
use serde_json::{json, Value};

use crate::{Error, Result};

/// A layer's compute and variable dtypes, by Keras's policy name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DTypePolicy {
    name: String,
    compute: DType,
    variable: DType,
}

impl DTypePolicy {
    /// The policy named `name`: `"mixed_float16"`, `"mixed_bfloat16"` or a dtype name
    /// (`"float32"`, `"float16"`, `"bfloat16"`, `"float64"`, and the integer and bool
    /// dtypes some preprocessing layers use).
    ///
    /// # Errors
    /// Any other name, with Keras's message.
    pub fn new(name: &str) -> Result<DTypePolicy> {
        let (compute, variable) = match name {
            "mixed_float16" => (DType::F16, DType::F32),
            "mixed_bfloat16" => (DType::BF16, DType::F32),
            _ => match DType::parse(name) {
                Ok(d) if d != DType::String => (d, d),
                _ => {
                    return Err(Error::InvalidArgument {
                        api: "DTypePolicy",
                        msg: format!(
                            "Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include 'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as 'float32'."
                        ),
                    })
                }
            },
        };
        Ok(DTypePolicy {
            name: name.to_string(),
            compute,
            variable,
        })
    }

    /// The float32 policy (Keras's default).
    pub fn float32() -> DTypePolicy {
        DTypePolicy {
            name: "float32".into(),
            compute: DType::F32,
            variable: DType::F32,
        }
    }

    /// The policy's name (`"mixed_float16"`, `"float32"`...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dtype of a layer's inputs, computations and outputs.
    pub fn compute_dtype(&self) -> DType {
        self.compute
    }

    /// The dtype a layer creates its variables in.
    pub fn variable_dtype(&self) -> DType {
        self.variable
    }

    /// Whether compute and variable dtypes differ (`mixed_float16`, `mixed_bfloat16`).
    pub fn is_mixed(&self) -> bool {
        self.compute != self.variable
    }

    /// Keras's serialized form, as a layer config's `dtype` entry.
    pub fn to_json(&self) -> Value {
        json!({"module": "keras", "class_name": "DTypePolicy", "config": {"name": self.name}, "registered_name": null})
    }

    /// Reads a config's `dtype`: a name, a serialized `DTypePolicy`, or null (the
    /// global policy).
    ///
    /// # Errors
    /// An unknown name, or a `dtype` that is neither a string nor a policy object.
    pub fn from_json(v: Option<&Value>) -> Result<DTypePolicy> {
        match v {
            None | Some(Value::Null) => Ok(dtype_policy()),
            Some(Value::String(s)) => DTypePolicy::new(s),
            Some(o) => match o["config"]["name"].as_str() {
                Some(s) => DTypePolicy::new(s),
                None => Err(Error::InvalidArgument {
                    api: "DTypePolicy",
                    msg: format!("expected a policy name or a serialized DTypePolicy, got {o}"),
                }),
            },
        }
    }
}

impl std::fmt::Display for DTypePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<DTypePolicy \"{}\">", self.name)
    }
}

static GLOBAL: RwLock<Option<DTypePolicy>> = RwLock::new(None);

/// The global policy new layers take (`keras.config.dtype_policy()`).
pub fn dtype_policy() -> DTypePolicy {
    GLOBAL
        .read()
        .ok()
        .and_then(|g| g.clone())
        .unwrap_or_else(DTypePolicy::float32)
}

/// Sets the global policy by name (`keras.config.set_dtype_policy`): layers constructed
/// afterwards take it; existing layers keep theirs.
///
/// # Errors
/// An unknown policy name (the global policy is unchanged).
pub fn set_dtype_policy(name: &str) -> Result<()> {
    let p = DTypePolicy::new(name)?;
    if let Ok(mut g) = GLOBAL.write() {
        *g = Some(p);
    }
    Ok(())
}

/// `keras.mixed_precision`'s legacy names for the same global policy.
pub mod mixed_precision {
    pub use super::DTypePolicy as Policy;

    /// `keras.mixed_precision.set_global_policy`.
    ///
    /// # Errors
    /// An unknown policy name.
    pub fn set_global_policy(name: &str) -> crate::Result<()> {
        super::set_dtype_policy(name)
    }

    /// `keras.mixed_precision.global_policy`.
    pub fn global_policy() -> super::DTypePolicy {
        super::dtype_policy()
    }
}
