//! Weight and activity regularizers, as `keras.regularizers`.

use std::sync::Arc;

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::{Error, Result};

/// A user regularizer: `Fn(weights) -> scalar penalty`.
pub type RegularizerFn = Arc<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// A penalty added to the model's loss (`kernel_regularizer`, `bias_regularizer`,
/// `activity_regularizer`).
///
/// ```
/// use kiln::regularizers::Regularizer;
/// let w = kiln_tensor::Tensor::from_vec(vec![1.0f32, -2.0], &[2])?;
/// let p = Regularizer::L2(0.01).call(&w)?;
/// assert!((p.item::<f32>()? - 0.05).abs() < 1e-7);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Clone)]
pub enum Regularizer {
    /// `l1 * sum(|x|)`.
    L1(f64),
    /// `l2 * sum(x²)`.
    L2(f64),
    /// `l1 * sum(|x|) + l2 * sum(x²)`.
    L1L2 {
        /// The L1 factor.
        l1: f64,
        /// The L2 factor.
        l2: f64,
    },
    /// A user function.
    Custom(RegularizerFn),
}

impl std::fmt::Debug for Regularizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.get_config())
    }
}

impl Regularizer {
    /// Resolves `"l1"`, `"l2"` (factor 0.01) and `"l1_l2"` (factors 0.01, 0.01 as
    /// `keras.regularizers.get("l1_l2")` gives).
    ///
    /// ```
    /// assert!(kiln::regularizers::Regularizer::get("l2").is_ok());
    /// assert!(kiln::regularizers::Regularizer::get("l3").is_err());
    /// ```
    pub fn get(name: &str) -> Result<Regularizer> {
        match crate::utils::to_snake_case(name).as_str() {
            "l1" => Ok(Regularizer::L1(0.01)),
            "l2" => Ok(Regularizer::L2(0.01)),
            "l1_l2" | "l1l2" => Ok(Regularizer::L1L2 { l1: 0.01, l2: 0.01 }),
            _ => Err(Error::InvalidArgument {
                api: "regularizers.get",
                msg: format!("unknown regularizer '{name}'; expected one of: l1, l2, l1_l2"),
            }),
        }
    }

    /// The penalty for `x` (a scalar of `x`'s dtype).
    ///
    /// ```
    /// use kiln::regularizers::Regularizer;
    /// let w = kiln_tensor::Tensor::from_vec(vec![1.0f32, -2.0], &[2])?;
    /// assert_eq!(Regularizer::L1(0.5).call(&w)?.item::<f32>()?, 1.5);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn call(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Regularizer::L1(l1) => Ok(x.abs()?.sum(&[], false)?.mul_scalar(*l1)?),
            Regularizer::L2(l2) => Ok(x.square()?.sum(&[], false)?.mul_scalar(*l2)?),
            Regularizer::L1L2 { l1, l2 } => {
                let a = x.abs()?.sum(&[], false)?.mul_scalar(*l1)?;
                let b = x.square()?.sum(&[], false)?.mul_scalar(*l2)?;
                Ok(a.add(&b)?)
            }
            Regularizer::Custom(f) => f(x),
        }
    }

    /// Rebuilds a regularizer from Keras's serialised form or a name.
    ///
    /// ```
    /// use kiln::regularizers::Regularizer;
    /// let r = Regularizer::from_config(&Regularizer::L1L2 { l1: 0.1, l2: 0.2 }.get_config())?;
    /// assert_eq!(r.get_config()["config"]["l2"], 0.2);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn from_config(v: &Value) -> Result<Regularizer> {
        if let Some(name) = v.as_str() {
            return Regularizer::get(name);
        }
        let class = v.get("class_name").and_then(Value::as_str).unwrap_or("");
        let c = v.get("config").cloned().unwrap_or(Value::Null);
        let f = |k: &str| c.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        match class {
            "L1" => Ok(Regularizer::L1(f("l1"))),
            "L2" => Ok(Regularizer::L2(f("l2"))),
            "L1L2" => Ok(Regularizer::L1L2 {
                l1: f("l1"),
                l2: f("l2"),
            }),
            other => Err(Error::InvalidArgument {
                api: "Regularizer.from_config",
                msg: format!("unknown regularizer class '{other}' in {v}"),
            }),
        }
    }

    /// Keras's serialised form.
    ///
    /// ```
    /// let c = kiln::regularizers::Regularizer::L2(0.1).get_config();
    /// assert_eq!(c["class_name"], "L2");
    /// ```
    pub fn get_config(&self) -> Value {
        let (class, config) = match self {
            Regularizer::L1(l1) => ("L1", json!({ "l1": l1 })),
            Regularizer::L2(l2) => ("L2", json!({ "l2": l2 })),
            Regularizer::L1L2 { l1, l2 } => ("L1L2", json!({ "l1": l1, "l2": l2 })),
            Regularizer::Custom(_) => ("Custom", json!({})),
        };
        json!({ "module": "keras.regularizers", "class_name": class, "config": config,
                "registered_name": null })
    }
}

crate::utils::serde_via_config!(Regularizer);
