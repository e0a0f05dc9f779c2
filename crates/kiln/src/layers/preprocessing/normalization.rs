//! `Normalization` (with `adapt`).

use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Value};

use crate::layers::fmt_shape;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// Keras's `backend.epsilon()`: the floor of the standard deviation.
const EPSILON: f64 = 1e-7;

/// `keras.layers.Normalization`: `(x - mean) / max(sqrt(variance), 1e-7)` per feature of
/// `axis` (or the inverse with `invert`). The statistics are given (`mean`, `variance`)
/// or learned by [`Normalization::adapt`] (population variance over every other axis);
/// adapted statistics are the non-trainable weights `mean`, `variance` and the i64
/// `count` (left at 0, as Keras 3 leaves it), in Keras's order.
///
/// ```
/// use kiln::layers::{LayerRef, Normalization};
/// use kiln_tensor::Tensor;
/// let data = Tensor::from_vec(vec![1.0f32, 10.0, 3.0, 30.0], &[2, 2])?;
/// let mut norm = Normalization::new();
/// norm.adapt(&data)?;
/// let l = LayerRef::new(norm);
/// assert_eq!(l.call(&data)?.to_vec::<f32>()?, vec![-1.0, -1.0, 1.0, 1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Normalization {
    base: LayerBase,
    axes: Vec<isize>,
    axis_is_list: bool,
    invert: bool,
    given: Option<(Vec<f64>, Vec<f64>)>,
    keep: Vec<usize>,
    mean: Option<Variable>,
    variance: Option<Variable>,
    count: Option<Variable>,
}

impl Default for Normalization {
    fn default() -> Self {
        Self::new()
    }
}

impl Normalization {
    /// Per-feature statistics of the last axis.
    pub fn new() -> Normalization {
        Normalization {
            base: LayerBase::new("normalization"),
            axes: vec![-1],
            axis_is_list: false,
            invert: false,
            given: None,
            keep: Vec::new(),
            mean: None,
            variance: None,
            count: None,
        }
    }
    /// The feature axis kept (default -1).
    pub fn axis(mut self, axis: isize) -> Self {
        self.axes = vec![axis];
        self.axis_is_list = false;
        self
    }
    /// Several kept axes (statistics per combination).
    pub fn axes(mut self, axes: &[isize]) -> Self {
        self.axes = axes.to_vec();
        self.axis_is_list = true;
        self
    }
    /// Undo a normalization instead (`mean + x * std`).
    pub fn invert(mut self, invert: bool) -> Self {
        self.invert = invert;
        self
    }
    /// Fixed statistics (one value broadcast, or one per feature) instead of `adapt`.
    pub fn mean_variance(mut self, mean: &[f64], variance: &[f64]) -> Self {
        self.given = Some((mean.to_vec(), variance.to_vec()));
        self
    }

    fn keep_axes(&self, api: &'static str, shape: &Shape) -> Result<Vec<usize>> {
        let nd = shape.len() as isize;
        let mut keep = Vec::new();
        for &a in &self.axes {
            if a < -nd || a >= nd {
                return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "axis {a} is out of range for inputs of shape {}",
                        fmt_shape(shape)
                    ),
                });
            }
            keep.push(if a < 0 { (a + nd) as usize } else { a as usize });
        }
        keep.sort_unstable();
        keep.dedup();
        for &d in &keep {
            if shape[d].is_none() {
                return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "kept axis {d} must have a known size, got shape {}",
                        fmt_shape(shape)
                    ),
                });
            }
        }
        Ok(keep)
    }

    /// Computes the mean and (population) variance of `data` over every axis but the
    /// kept ones and stores them (`layer.adapt(data)`); builds the layer.
    pub fn adapt(&mut self, data: &Tensor) -> Result<()> {
        let api = "Normalization.adapt";
        let mut shape: Shape = data.shape().iter().map(|&d| Some(d)).collect();
        if shape.is_empty() {
            return Err(Error::InvalidArgument {
                api,
                msg: "cannot adapt to a scalar".into(),
            });
        }
        let keep = self.keep_axes(api, &shape)?;
        let x = data.cast(DType::F64)?;
        let reduce: Vec<isize> = (0..x.rank())
            .filter(|d| !keep.contains(d))
            .map(|d| d as isize)
            .collect();
        let count: usize = reduce.iter().map(|&d| x.shape()[d as usize]).product();
        if count == 0 {
            return Err(Error::InvalidArgument {
                api,
                msg: "cannot adapt to empty data".into(),
            });
        }
        let mean = x.mean(&reduce, false)?;
        let var = x.variance(&reduce, false)?;
        if !self.base.built() {
            shape[0] = None;
            self.build(&[shape])?;
            self.base.set_built(true);
        }
        let (m, v) = match (&self.mean, &self.variance, &self.count) {
            (Some(m), Some(v), Some(_)) => (m, v),
            _ => {
                return Err(Error::InvalidArgument {
                    api,
                    msg: "adapt needs a layer without fixed mean/variance".into(),
                })
            }
        };
        let dt = m.value().dtype();
        m.assign(&mean.cast(dt)?.reshape(&to_isize(m.value().shape()))?)?;
        v.assign(&var.cast(dt)?.reshape(&to_isize(v.value().shape()))?)?;
        // Keras 3 leaves its `count` weight at 0 after adapt; so does kiln (the weights
        // must read the same in both).
        Ok(())
    }
}

fn to_isize(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&d| d as isize).collect()
}

common_builders!(Normalization);
layer_state!(Normalization, "Normalization");

impl Layer for Normalization {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "Normalization";
        let shape = input_shapes.first().ok_or_else(|| Error::InvalidArgument {
            api,
            msg: "no input shape".into(),
        })?;
        let keep = self.keep_axes(api, shape)?;
        let dims: Vec<usize> = keep.iter().map(|&d| shape[d].unwrap_or(1)).collect();
        let n: usize = dims.iter().product();
        let (mean, var) = match &self.given {
            Some((m, v)) => {
                let fit = |vals: &[f64], what: &str| -> Result<Vec<f32>> {
                    match vals.len() {
                        1 => Ok(vec![vals[0] as f32; n]),
                        k if k == n => Ok(vals.iter().map(|&x| x as f32).collect()),
                        k => Err(Error::InvalidArgument {
                            api,
                            msg: format!(
                                "{what} has {k} values, expected 1 or {n} (the kept axes {dims:?})"
                            ),
                        }),
                    }
                };
                (fit(m, "mean")?, fit(v, "variance")?)
            }
            None => (vec![0.0; n], vec![1.0; n]),
        };
        if self.given.is_none() {
            self.mean = Some(
                self.base
                    .add_variable("mean", Tensor::from_vec(mean, &dims)?, false),
            );
            self.variance = Some(self.base.add_variable(
                "variance",
                Tensor::from_vec(var, &dims)?,
                false,
            ));
            self.count = Some(self.base.add_variable("count", Tensor::scalar(0i64), false));
        } else {
            // Fixed statistics are constants, not weights (as Keras).
            self.mean = Some(Variable::new(Tensor::from_vec(mean, &dims)?, "mean", false));
            self.variance = Some(Variable::new(
                Tensor::from_vec(var, &dims)?,
                "variance",
                false,
            ));
        }
        self.keep = keep;
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = "Normalization";
        let x = one_input(inputs, api)?;
        let (m, v) = match (&self.mean, &self.variance) {
            (Some(m), Some(v)) => (m.value(), v.value()),
            _ => {
                return Err(Error::InvalidArgument {
                    api,
                    msg: "layer is not built".into(),
                })
            }
        };
        let x = if x.dtype() == m.dtype() {
            x.clone()
        } else {
            x.cast(m.dtype())?
        };
        let mut b = vec![1isize; x.rank()];
        for (i, &d) in self.keep.iter().enumerate() {
            if d >= x.rank() || x.shape()[d] != m.shape()[i] {
                return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "input shape {:?} does not match the statistics' shape {:?} on axes {:?}",
                        x.shape(),
                        m.shape(),
                        self.keep
                    ),
                });
            }
            b[d] = m.shape()[i] as isize;
        }
        let (m, v) = (m.reshape(&b)?, v.reshape(&b)?);
        let sd = v.sqrt()?.maximum(&Tensor::scalar_of(EPSILON, v.dtype()))?;
        Ok(vec![if self.invert {
            m.add(&x.mul(&sd)?)?
        } else {
            x.sub(&m)?.div(&sd)?
        }])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert(
            "axis".into(),
            if self.axis_is_list {
                json!(self.axes)
            } else {
                json!(self.axes[0])
            },
        );
        c.insert("invert".into(), json!(self.invert));
        let (m, v) = match &self.given {
            Some((m, v)) => (json!(m), json!(v)),
            None => (Value::Null, Value::Null),
        };
        c.insert("mean".into(), m);
        c.insert("variance".into(), v);
        Value::Object(c)
    }
}

pub(super) fn from_config(class: &str, c: &Value) -> Result<Normalization> {
    let mut n = Normalization::new();
    match c.get("axis") {
        Some(Value::Array(a)) => {
            n = n.axes(
                &a.iter()
                    .filter_map(Value::as_i64)
                    .map(|v| v as isize)
                    .collect::<Vec<_>>(),
            )
        }
        Some(Value::Number(x)) => n = n.axis(x.as_i64().unwrap_or(-1) as isize),
        _ => {}
    }
    n = n.invert(c.get("invert").and_then(Value::as_bool).unwrap_or(false));
    let nums = |v: &Value| -> Option<Vec<f64>> {
        match v {
            Value::Number(x) => x.as_f64().map(|x| vec![x]),
            Value::Array(a) => a.iter().map(Value::as_f64).collect(),
            _ => None,
        }
    };
    if let (Some(m), Some(v)) = (
        c.get("mean").and_then(nums),
        c.get("variance").and_then(nums),
    ) {
        n = n.mean_variance(&m, &v);
    }
    let _ = class;
    Ok(n)
}
