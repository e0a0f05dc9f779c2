//! `keras.losses.CTC` and `keras.losses.ctc`: the Connectionist Temporal
//! Classification loss of padded integer label sequences against per-step logits, class
//! 0 the blank (and the padding of the labels).

use kiln_tensor::{DType, Tensor};
use serde_json::Value;

use crate::losses::config::{self, LossConfig};
use crate::losses::{Loss, Reduction};
use crate::{Error, Result};

/// `-log p(labels | logits)` for one sample: `probs` is `[T, C]` (softmax over classes),
/// `label` the label sequence without padding. The forward recursion runs over the
/// blank-interleaved sequence in probability space, renormalised at every step (the
/// log of each step's normaliser is added back), so it is differentiable with finite
/// gradients wherever the labels are reachable.
fn ctc_one(probs: &Tensor, label: &[i64]) -> Result<Tensor> {
    let t_len = probs.shape()[0];
    let mut ext = vec![0i64; 2 * label.len() + 1];
    for (i, &l) in label.iter().enumerate() {
        ext[2 * i + 1] = l;
    }
    let s = ext.len();
    // A skip from s-2 to s is allowed onto a label that differs from the previous one.
    let skip: Vec<f64> = (0..s)
        .map(|k| {
            if k >= 2 && ext[k] != 0 && ext[k] != ext[k - 2] {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let dt = probs.dtype();
    let skip = Tensor::from_vec(skip, &[s])?.cast(dt)?;
    let p = probs.gather(&Tensor::from_vec(ext, &[s])?, 1)?; // [T, S]
    let row = |t: usize| -> Result<Tensor> {
        Ok(p.slice(&[t as isize, 0], &[1, s as isize])?
            .reshape(&[s as isize])?)
    };
    let shift = |a: &Tensor, by: usize| -> Result<Tensor> {
        if by >= s {
            return Ok(a.zeros_like());
        }
        let head = Tensor::zeros(&[by], dt);
        let body = a.slice(&[0], &[(s - by) as isize])?;
        Ok(Tensor::concat(&[&head, &body], 0)?)
    };
    let init: Vec<f64> = (0..s).map(|k| if k < 2 { 1.0 } else { 0.0 }).collect();
    let mut alpha = row(0)?.mul(&Tensor::from_vec(init, &[s])?.cast(dt)?)?;
    let mut log_scale = Tensor::scalar_of(0.0, dt);
    for t in 0..t_len {
        if t > 0 {
            let prev = alpha
                .add(&shift(&alpha, 1)?)?
                .add(&shift(&alpha, 2)?.mul(&skip)?)?;
            alpha = prev.mul(&row(t)?)?;
        }
        let c = alpha.sum(&[], false)?;
        log_scale = log_scale.add(&c.log()?)?;
        alpha = alpha.div(&c)?;
    }
    let last = alpha.slice(&[(s - 1) as isize], &[1])?.sum(&[], false)?;
    let end = if s >= 2 {
        last.add(&alpha.slice(&[(s - 2) as isize], &[1])?.sum(&[], false)?)?
    } else {
        last
    };
    Ok(end.log()?.add(&log_scale)?.neg()?)
}

/// `keras.losses.ctc(y_true, y_pred)`: `y_true` integer labels `(batch, max_length)`,
/// 0 the blank and padding (each row's label length is its count of non-zero entries,
/// its first that many entries the labels, as `tf.nn.ctc_loss` reads them); `y_pred`
/// unnormalised logits `(batch, steps, classes)`. One loss per sample.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = Tensor::from_vec(vec![1i64], &[1, 1])?;
/// // One step, uniform over {blank, 1}: p(label 1) = 0.5.
/// let logits = Tensor::from_vec(vec![0.0f32, 0.0], &[1, 1, 2])?;
/// let v = kiln::losses::ctc(&y, &logits)?.to_vec::<f32>()?;
/// assert!((v[0] - 2f32.ln()).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn ctc(y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
    if y_true.rank() != 2 {
        return Err(Error::InvalidArgument {
            api: "ctc",
            msg: format!(
                "Targets `y_true` are expected to be a tensor of shape `(batch_size, \
                 max_length)` in integer format. Received: y_true.shape={}",
                py_shape(y_true.shape())
            ),
        });
    }
    if y_pred.rank() != 3 {
        return Err(Error::InvalidArgument {
            api: "ctc",
            msg: format!(
                "Logits `y_pred` are expected to be a tensor of shape `(batch_size, \
                 max_length, num_classes)`. Received: y_pred.shape={}",
                py_shape(y_pred.shape())
            ),
        });
    }
    let (b, t_len, classes) = (y_pred.shape()[0], y_pred.shape()[1], y_pred.shape()[2]);
    if y_true.shape()[0] != b {
        return Err(Error::InvalidArgument {
            api: "ctc",
            msg: format!(
                "y_true has {} rows for a batch of {b} in y_pred",
                y_true.shape()[0]
            ),
        });
    }
    let labels = y_true.cast(DType::I64)?.to_vec::<i64>()?;
    let width = y_true.shape()[1];
    let probs = y_pred.softmax(-1)?;
    let mut out = Vec::with_capacity(b);
    for i in 0..b {
        let row = &labels[i * width..(i + 1) * width];
        let n = row.iter().filter(|&&l| l != 0).count();
        let label = &row[..n];
        if let Some(&bad) = label.iter().find(|&&l| l < 0 || l as usize >= classes) {
            return Err(Error::InvalidArgument {
                api: "ctc",
                msg: format!(
                    "label {bad} in row {i} is outside [0, {classes}) (the classes of y_pred)"
                ),
            });
        }
        let p = probs
            .slice(&[i as isize, 0, 0], &[1, t_len as isize, classes as isize])?
            .reshape(&[t_len as isize, classes as isize])?;
        out.push(ctc_one(&p, label)?);
    }
    let refs: Vec<&Tensor> = out.iter().collect();
    Ok(Tensor::stack(&refs, 0)?)
}

/// A shape as Python prints a tuple: `(2, 3, 1)`, `(5,)`.
fn py_shape(s: &[usize]) -> String {
    match s {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `keras.losses.CTC(reduction="sum_over_batch_size", name="ctc")`.
///
/// ```
/// use kiln::losses::{Loss, CTC};
/// assert_eq!(CTC::new().get_config()["name"], "ctc");
/// ```
#[derive(Debug, Clone)]
pub struct CTC {
    name: String,
    reduction: Reduction,
}

impl Default for CTC {
    fn default() -> Self {
        Self::new()
    }
}

impl CTC {
    /// Keras's defaults.
    pub fn new() -> Self {
        CTC {
            name: "ctc".into(),
            reduction: Reduction::SumOverBatchSize,
        }
    }
    /// Sets the reduction.
    pub fn reduction(mut self, r: Reduction) -> Self {
        self.reduction = r;
        self
    }
    /// Sets the name.
    pub fn with_name(mut self, n: &str) -> Self {
        self.name = n.into();
        self
    }
    /// `CTC.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = LossConfig::new("CTC", c);
        Ok(CTC {
            name: r.name("ctc")?,
            reduction: r.reduction()?,
        })
    }
}

impl Loss for CTC {
    fn name(&self) -> &str {
        &self.name
    }
    fn call(&self, y_true: &Tensor, y_pred: &Tensor) -> Result<Tensor> {
        ctc(y_true, y_pred)
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn get_config(&self) -> Value {
        Value::Object(config::base(&self.name, self.reduction))
    }
    fn class_name(&self) -> String {
        "CTC".into()
    }
}
