//! Weight constraints, as `keras.constraints`: applied to a variable after each
//! optimizer update.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::{Error, Result};

/// Keras's fuzz factor in the norm denominators (`backend.epsilon()`).
const EPSILON: f64 = 1e-7;

/// A projection applied to a weight after every update (`kernel_constraint`, ...).
///
/// ```
/// use kiln::constraints::Constraint;
/// let w = kiln_tensor::Tensor::from_vec(vec![-1.0f32, 2.0], &[2])?;
/// assert_eq!(Constraint::NonNeg.call(&w)?.to_vec::<f32>()?, vec![0.0, 2.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// Rescales slices along `axis` whose L2 norm exceeds `max_value` (Keras: 2, axis 0).
    MaxNorm {
        /// Largest allowed norm.
        max_value: f64,
        /// Axis the norm is taken over.
        axis: isize,
    },
    /// Zeroes negative entries.
    NonNeg,
    /// Rescales slices along `axis` to unit L2 norm (Keras: axis 0).
    UnitNorm {
        /// Axis the norm is taken over.
        axis: isize,
    },
    /// Moves slice norms into `[min_value, max_value]` at `rate` (Keras: 0, 1, 1, axis 0).
    MinMaxNorm {
        /// Smallest norm.
        min_value: f64,
        /// Largest norm.
        max_value: f64,
        /// 1 enforces strictly; smaller values move part way.
        rate: f64,
        /// Axis the norm is taken over.
        axis: isize,
    },
}

impl Constraint {
    /// Resolves `"max_norm"`, `"non_neg"`, `"unit_norm"`, `"min_max_norm"` with Keras's
    /// defaults.
    ///
    /// ```
    /// assert!(kiln::constraints::Constraint::get("non_neg").is_ok());
    /// assert!(kiln::constraints::Constraint::get("positive").is_err());
    /// ```
    pub fn get(name: &str) -> Result<Constraint> {
        match crate::utils::to_snake_case(name).as_str() {
            "max_norm" => Ok(Constraint::MaxNorm {
                max_value: 2.0,
                axis: 0,
            }),
            "non_neg" => Ok(Constraint::NonNeg),
            "unit_norm" => Ok(Constraint::UnitNorm { axis: 0 }),
            "min_max_norm" => Ok(Constraint::MinMaxNorm {
                min_value: 0.0,
                max_value: 1.0,
                rate: 1.0,
                axis: 0,
            }),
            _ => Err(Error::InvalidArgument {
                api: "constraints.get",
                msg: format!(
                    "unknown constraint '{name}'; expected one of: max_norm, non_neg, unit_norm, min_max_norm"
                ),
            }),
        }
    }

    /// The projected weight.
    ///
    /// ```
    /// use kiln::constraints::Constraint;
    /// let w = kiln_tensor::Tensor::from_vec(vec![3.0f32, 4.0], &[2, 1])?;
    /// let u = Constraint::UnitNorm { axis: 0 }.call(&w)?.to_vec::<f32>()?;
    /// assert!((u[0] - 0.6).abs() < 1e-6 && (u[1] - 0.8).abs() < 1e-6);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn call(&self, w: &Tensor) -> Result<Tensor> {
        let norms = |axis: isize| -> Result<Tensor> { Ok(w.square()?.sum(&[axis], true)?.sqrt()?) };
        match *self {
            Constraint::NonNeg => {
                let keep = w.greater_equal(&Tensor::scalar_of(0.0, w.dtype()))?;
                Ok(w.mul(&keep.cast(w.dtype())?)?)
            }
            Constraint::MaxNorm { max_value, axis } => {
                let n = norms(axis)?;
                let desired = n.clip(0.0, max_value)?;
                Ok(w.mul(&desired.div(&n.add_scalar(EPSILON)?)?)?)
            }
            Constraint::UnitNorm { axis } => Ok(w.div(&norms(axis)?.add_scalar(EPSILON)?)?),
            Constraint::MinMaxNorm {
                min_value,
                max_value,
                rate,
                axis,
            } => {
                let n = norms(axis)?;
                let desired = n
                    .clip(min_value, max_value)?
                    .mul_scalar(rate)?
                    .add(&n.mul_scalar(1.0 - rate)?)?;
                Ok(w.mul(&desired.div(&n.add_scalar(EPSILON)?)?)?)
            }
        }
    }

    /// Rebuilds a constraint from Keras's serialised form or a name.
    ///
    /// ```
    /// use kiln::constraints::Constraint;
    /// let c = Constraint::MaxNorm { max_value: 3.0, axis: 0 };
    /// assert_eq!(Constraint::from_config(&c.get_config())?, c);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn from_config(v: &Value) -> Result<Constraint> {
        if let Some(name) = v.as_str() {
            return Constraint::get(name);
        }
        let class = v.get("class_name").and_then(Value::as_str).unwrap_or("");
        let c = v.get("config").cloned().unwrap_or(Value::Null);
        let f = |k: &str, d: f64| c.get(k).and_then(Value::as_f64).unwrap_or(d);
        let axis = c.get("axis").and_then(Value::as_i64).unwrap_or(0) as isize;
        match class {
            "NonNeg" => Ok(Constraint::NonNeg),
            "MaxNorm" => Ok(Constraint::MaxNorm {
                max_value: f("max_value", 2.0),
                axis,
            }),
            "UnitNorm" => Ok(Constraint::UnitNorm { axis }),
            "MinMaxNorm" => Ok(Constraint::MinMaxNorm {
                min_value: f("min_value", 0.0),
                max_value: f("max_value", 1.0),
                rate: f("rate", 1.0),
                axis,
            }),
            other => Err(Error::InvalidArgument {
                api: "Constraint.from_config",
                msg: format!("unknown constraint class '{other}' in {v}"),
            }),
        }
    }

    /// Keras's serialised form.
    ///
    /// ```
    /// let c = kiln::constraints::Constraint::NonNeg.get_config();
    /// assert_eq!(c["class_name"], "NonNeg");
    /// ```
    pub fn get_config(&self) -> Value {
        let (class, config) = match *self {
            Constraint::NonNeg => ("NonNeg", json!({})),
            Constraint::MaxNorm { max_value, axis } => {
                ("MaxNorm", json!({ "max_value": max_value, "axis": axis }))
            }
            Constraint::UnitNorm { axis } => ("UnitNorm", json!({ "axis": axis })),
            Constraint::MinMaxNorm {
                min_value,
                max_value,
                rate,
                axis,
            } => (
                "MinMaxNorm",
                json!({ "min_value": min_value, "max_value": max_value, "rate": rate, "axis": axis }),
            ),
        };
        json!({ "module": "keras.constraints", "class_name": class, "config": config,
                "registered_name": null })
    }
}

crate::utils::serde_via_config!(Constraint);
