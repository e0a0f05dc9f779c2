//! The IoU family (`keras.metrics.IoU`, `BinaryIoU`, `MeanIoU`, `OneHotIoU`,
//! `OneHotMeanIoU`): a confusion matrix accumulated over batches, then
//! `tp / (tp + fp + fn)` per class, averaged over the target classes that occurred.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::metrics::config::MetricConfig;
use crate::metrics::Metric;
use crate::{Error, Result};

/// Keras's fuzz factor.
const EPSILON: f64 = 1e-7;

/// What every IoU metric accumulates, and how it reads its inputs.
#[derive(Debug, Clone)]
struct IouState {
    api: &'static str,
    name: String,
    num_classes: usize,
    target_class_ids: Vec<usize>,
    ignore_class: Option<i64>,
    sparse_y_true: bool,
    sparse_y_pred: bool,
    axis: isize,
    /// Keras's default dtype is an integer one: weights (and labels) are truncated.
    integer: bool,
    /// BinaryIoU: predictions `>= threshold` are class 1.
    threshold: Option<f64>,
    cm: Vec<f64>,
}

fn class_ids_ok(api: &'static str, ids: &[i64], num_classes: usize) -> Result<Vec<usize>> {
    let max = ids.iter().copied().max().unwrap_or(0);
    if max >= num_classes as i64 || ids.iter().any(|&i| i < 0) {
        return Err(Error::InvalidArgument {
            api,
            msg: format!("Target class id {max} is out of range, which is [0, {num_classes})."),
        });
    }
    Ok(ids.iter().map(|&i| i as usize).collect())
}

fn dtype_is_integer(r: &MetricConfig, default: bool) -> Result<bool> {
    Ok(match r.str("dtype")?.as_deref() {
        None => default,
        Some("int" | "int32" | "int64" | "int16" | "int8" | "uint8") => true,
        Some("float32" | "float64" | "float16" | "bfloat16") => false,
        Some(other) => return Err(r.bad(format!("unknown dtype '{other}'"))),
    })
}

impl IouState {
    fn new(api: &'static str, name: &str, num_classes: usize, target: Vec<usize>) -> Self {
        IouState {
            api,
            name: name.into(),
            num_classes,
            target_class_ids: target,
            ignore_class: None,
            sparse_y_true: true,
            sparse_y_pred: true,
            axis: -1,
            integer: true,
            threshold: None,
            cm: vec![0.0; num_classes * num_classes],
        }
    }

    fn dtype(&self) -> &'static str {
        if self.integer {
            "int64"
        } else {
            "float32"
        }
    }

    fn labels(&self, x: &Tensor, sparse: bool) -> Result<Vec<f64>> {
        Ok(if sparse {
            x.to_f64_vec()
        } else {
            x.argmax(self.axis)?.to_f64_vec()
        })
    }

    fn update(&mut self, y_true: &Tensor, y_pred: &Tensor, w: Option<&Tensor>) -> Result<()> {
        let t = self.labels(y_true, self.sparse_y_true)?;
        let p: Vec<f64> = match self.threshold {
            Some(th) => y_pred
                .to_f64_vec()
                .iter()
                .map(|&v| if v >= th { 1.0 } else { 0.0 })
                .collect(),
            None => self.labels(y_pred, self.sparse_y_pred)?,
        };
        if t.len() != p.len() {
            return Err(Error::InvalidArgument {
                api: self.api,
                msg: format!(
                    "y_true gives {} labels and y_pred {} predictions (shapes {:?} and {:?}); \
                     expected as many",
                    t.len(),
                    p.len(),
                    y_true.shape(),
                    y_pred.shape()
                ),
            });
        }
        let w: Vec<f64> = match w {
            None => vec![1.0; t.len()],
            Some(w) => {
                let v = w.to_f64_vec();
                if v.len() == 1 {
                    vec![v[0]; t.len()]
                } else if v.len() == t.len() {
                    v
                } else {
                    return Err(Error::InvalidArgument {
                        api: self.api,
                        msg: format!(
                            "sample_weight of shape {:?} does not broadcast to the {} labels",
                            w.shape(),
                            t.len()
                        ),
                    });
                }
            }
        };
        // Integer dtypes truncate toward zero, as a cast does.
        let int = |x: f64| if self.integer { x.trunc() } else { x };
        let k = self.num_classes as f64;
        for i in 0..t.len() {
            let (ti, pi) = (t[i].trunc(), p[i].trunc());
            let inside = ti >= 0.0 && ti < k && pi >= 0.0 && pi < k;
            let ignored = self.ignore_class.is_some_and(|c| ti == c as f64);
            if inside && !ignored {
                self.cm[ti as usize * self.num_classes + pi as usize] += int(w[i]);
            }
        }
        Ok(())
    }

    fn result(&self) -> f64 {
        let k = self.num_classes;
        let (mut sum, mut valid) = (0.0, 0.0);
        for &c in &self.target_class_ids {
            let tp = self.cm[c * k + c];
            let row: f64 = (0..k).map(|j| self.cm[c * k + j]).sum();
            let col: f64 = (0..k).map(|i| self.cm[i * k + c]).sum();
            let denom = row + col - tp;
            if denom > 1e-9 {
                valid += 1.0;
                sum += tp / (denom + EPSILON);
            }
        }
        sum / (valid + EPSILON)
    }

    fn reset(&mut self) {
        self.cm.iter_mut().for_each(|x| *x = 0.0);
    }
}

macro_rules! iou_metric {
    ($t:ident) => {
        impl $t {
            /// Renames the metric.
            pub fn with_name(mut self, n: &str) -> Self {
                self.s.name = n.into();
                self
            }
            /// Whether the state is kept in floats (`dtype="float32"`); Keras's default
            /// integer dtype truncates fractional sample weights.
            pub fn float_dtype(mut self, v: bool) -> Self {
                self.s.integer = !v;
                self
            }
        }

        impl Metric for $t {
            fn name(&self) -> &str {
                &self.s.name
            }
            fn update_state(
                &mut self,
                y_true: &Tensor,
                y_pred: &Tensor,
                w: Option<&Tensor>,
            ) -> Result<()> {
                self.s.update(y_true, y_pred, w)
            }
            fn result(&self) -> f64 {
                self.s.result()
            }
            fn reset_state(&mut self) {
                self.s.reset()
            }
            fn get_config(&self) -> Value {
                self.config()
            }
            fn class_name(&self) -> String {
                stringify!($t).into()
            }
        }
    };
}

/// `keras.metrics.IoU(num_classes, target_class_ids, ignore_class=None,
/// sparse_y_true=True, sparse_y_pred=True, axis=-1)`.
///
/// ```
/// use kiln::metrics::{IoU, Metric};
/// use kiln_tensor::Tensor;
/// let mut m = IoU::new(2, &[0])?;
/// m.update_state(&Tensor::from_vec(vec![0i64, 0, 1, 1], &[4])?, &Tensor::from_vec(vec![0i64, 1, 0, 1], &[4])?, None)?;
/// assert!((m.result() - 1.0 / 3.0).abs() < 1e-6);
/// assert!(IoU::new(2, &[2]).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IoU {
    s: IouState,
}

impl IoU {
    /// IoU of `target_class_ids` among `num_classes` classes.
    pub fn new(num_classes: usize, target_class_ids: &[i64]) -> Result<Self> {
        let ids = class_ids_ok("IoU", target_class_ids, num_classes)?;
        Ok(IoU {
            s: IouState::new("IoU", "io_u", num_classes, ids),
        })
    }
    /// A label to leave out.
    pub fn ignore_class(mut self, c: Option<i64>) -> Self {
        self.s.ignore_class = c;
        self
    }
    /// Whether labels are class indices (else argmax over `axis`).
    pub fn sparse_y_true(mut self, v: bool) -> Self {
        self.s.sparse_y_true = v;
        self
    }
    /// Whether predictions are class indices (else argmax over `axis`).
    pub fn sparse_y_pred(mut self, v: bool) -> Self {
        self.s.sparse_y_pred = v;
        self
    }
    /// The class axis for the argmax.
    pub fn axis(mut self, a: isize) -> Self {
        self.s.axis = a;
        self
    }
    /// `IoU.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = MetricConfig::new("IoU", c);
        let k = r.int("num_classes", 0)? as usize;
        let ids = r
            .ints("target_class_ids")?
            .ok_or_else(|| r.bad("missing required argument 'target_class_ids'".into()))?;
        let mut m = IoU::new(k, &ids)?
            .with_name(&r.name("io_u")?)
            .ignore_class(r.opt_int("ignore_class")?)
            .sparse_y_true(r.bool("sparse_y_true", true)?)
            .sparse_y_pred(r.bool("sparse_y_pred", true)?)
            .axis(r.int("axis", -1)? as isize);
        m.s.integer = dtype_is_integer(&r, true)?;
        Ok(m)
    }
    fn config(&self) -> Value {
        let s = &self.s;
        json!({"name": s.name, "dtype": s.dtype(), "num_classes": s.num_classes,
               "target_class_ids": s.target_class_ids, "ignore_class": s.ignore_class,
               "sparse_y_true": s.sparse_y_true, "sparse_y_pred": s.sparse_y_pred,
               "axis": s.axis})
    }
}
iou_metric!(IoU);

/// `keras.metrics.BinaryIoU(target_class_ids=(0, 1), threshold=0.5)`: predictions
/// `>= threshold` are class 1.
///
/// ```
/// use kiln::metrics::{BinaryIoU, Metric};
/// use kiln_tensor::Tensor;
/// let mut m = BinaryIoU::new(&[0, 1], 0.3)?;
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.0, 1.0], &[4])?;
/// m.update_state(&y, &Tensor::from_vec(vec![0.1f32, 0.2, 0.4, 0.7], &[4])?, None)?;
/// assert!((m.result() - 1.0 / 3.0).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BinaryIoU {
    s: IouState,
}

impl BinaryIoU {
    /// IoU of `target_class_ids` (a subset of `[0, 1]`) at `threshold`.
    pub fn new(target_class_ids: &[i64], threshold: f64) -> Result<Self> {
        let ids = class_ids_ok("BinaryIoU", target_class_ids, 2)?;
        let mut s = IouState::new("BinaryIoU", "binary_io_u", 2, ids);
        s.threshold = Some(threshold);
        Ok(BinaryIoU { s })
    }
    /// `BinaryIoU.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = MetricConfig::new("BinaryIoU", c);
        let ids = r.ints("target_class_ids")?.unwrap_or_else(|| vec![0, 1]);
        let mut m =
            BinaryIoU::new(&ids, r.num("threshold", 0.5)?)?.with_name(&r.name("binary_io_u")?);
        m.s.integer = dtype_is_integer(&r, true)?;
        Ok(m)
    }
    fn config(&self) -> Value {
        let s = &self.s;
        json!({"name": s.name, "dtype": s.dtype(), "target_class_ids": s.target_class_ids,
               "threshold": s.threshold})
    }
}
iou_metric!(BinaryIoU);

/// `keras.metrics.MeanIoU(num_classes, ignore_class=None, sparse_y_true=True,
/// sparse_y_pred=True, axis=-1)`: IoU averaged over every class.
///
/// ```
/// use kiln::metrics::{MeanIoU, Metric};
/// use kiln_tensor::Tensor;
/// let mut m = MeanIoU::new(2);
/// m.update_state(&Tensor::from_vec(vec![0i64, 0, 1, 1], &[4])?, &Tensor::from_vec(vec![0i64, 1, 0, 1], &[4])?, None)?;
/// assert!((m.result() - 1.0 / 3.0).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MeanIoU {
    s: IouState,
}

impl MeanIoU {
    /// Mean IoU over `num_classes` classes.
    pub fn new(num_classes: usize) -> Self {
        MeanIoU {
            s: IouState::new(
                "MeanIoU",
                "mean_io_u",
                num_classes,
                (0..num_classes).collect(),
            ),
        }
    }
    /// A label to leave out.
    pub fn ignore_class(mut self, c: Option<i64>) -> Self {
        self.s.ignore_class = c;
        self
    }
    /// Whether labels are class indices.
    pub fn sparse_y_true(mut self, v: bool) -> Self {
        self.s.sparse_y_true = v;
        self
    }
    /// Whether predictions are class indices.
    pub fn sparse_y_pred(mut self, v: bool) -> Self {
        self.s.sparse_y_pred = v;
        self
    }
    /// The class axis for the argmax.
    pub fn axis(mut self, a: isize) -> Self {
        self.s.axis = a;
        self
    }
    /// `MeanIoU.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = MetricConfig::new("MeanIoU", c);
        let mut m = MeanIoU::new(r.int("num_classes", 0)? as usize)
            .with_name(&r.name("mean_io_u")?)
            .ignore_class(r.opt_int("ignore_class")?)
            .sparse_y_true(r.bool("sparse_y_true", true)?)
            .sparse_y_pred(r.bool("sparse_y_pred", true)?)
            .axis(r.int("axis", -1)? as isize);
        m.s.integer = dtype_is_integer(&r, true)?;
        Ok(m)
    }
    fn config(&self) -> Value {
        let s = &self.s;
        json!({"name": s.name, "dtype": s.dtype(), "num_classes": s.num_classes,
               "ignore_class": s.ignore_class, "sparse_y_true": s.sparse_y_true,
               "sparse_y_pred": s.sparse_y_pred, "axis": s.axis})
    }
}
iou_metric!(MeanIoU);

/// `keras.metrics.OneHotIoU(num_classes, target_class_ids, ignore_class=None,
/// sparse_y_pred=False, axis=-1)`: one-hot labels (argmax over `axis`).
///
/// ```
/// use kiln::metrics::{Metric, OneHotIoU};
/// assert_eq!(OneHotIoU::new(3, &[0, 2])?.get_config()["sparse_y_pred"], false);
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OneHotIoU {
    s: IouState,
}

impl OneHotIoU {
    /// IoU of `target_class_ids` with one-hot labels and scores.
    pub fn new(num_classes: usize, target_class_ids: &[i64]) -> Result<Self> {
        let ids = class_ids_ok("OneHotIoU", target_class_ids, num_classes)?;
        let mut s = IouState::new("OneHotIoU", "one_hot_io_u", num_classes, ids);
        s.sparse_y_true = false;
        s.sparse_y_pred = false;
        Ok(OneHotIoU { s })
    }
    /// A label to leave out.
    pub fn ignore_class(mut self, c: Option<i64>) -> Self {
        self.s.ignore_class = c;
        self
    }
    /// Whether predictions are class indices.
    pub fn sparse_y_pred(mut self, v: bool) -> Self {
        self.s.sparse_y_pred = v;
        self
    }
    /// The class axis.
    pub fn axis(mut self, a: isize) -> Self {
        self.s.axis = a;
        self
    }
    /// `OneHotIoU.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = MetricConfig::new("OneHotIoU", c);
        let k = r.int("num_classes", 0)? as usize;
        let ids = r
            .ints("target_class_ids")?
            .ok_or_else(|| r.bad("missing required argument 'target_class_ids'".into()))?;
        let mut m = OneHotIoU::new(k, &ids)?
            .with_name(&r.name("one_hot_io_u")?)
            .ignore_class(r.opt_int("ignore_class")?)
            .sparse_y_pred(r.bool("sparse_y_pred", false)?)
            .axis(r.int("axis", -1)? as isize);
        m.s.integer = dtype_is_integer(&r, true)?;
        Ok(m)
    }
    fn config(&self) -> Value {
        let s = &self.s;
        json!({"name": s.name, "dtype": s.dtype(), "num_classes": s.num_classes,
               "target_class_ids": s.target_class_ids, "ignore_class": s.ignore_class,
               "sparse_y_pred": s.sparse_y_pred, "axis": s.axis})
    }
}
iou_metric!(OneHotIoU);

/// `keras.metrics.OneHotMeanIoU(num_classes, ignore_class=None, sparse_y_pred=False,
/// axis=-1)`.
///
/// ```
/// use kiln::metrics::{Metric, OneHotMeanIoU};
/// assert_eq!(OneHotMeanIoU::new(3).get_config()["num_classes"], 3);
/// ```
#[derive(Debug, Clone)]
pub struct OneHotMeanIoU {
    s: IouState,
}

impl OneHotMeanIoU {
    /// Mean IoU over `num_classes` classes with one-hot labels and scores.
    pub fn new(num_classes: usize) -> Self {
        let all = (0..num_classes).collect();
        let mut s = IouState::new("OneHotMeanIoU", "one_hot_mean_io_u", num_classes, all);
        s.sparse_y_true = false;
        s.sparse_y_pred = false;
        OneHotMeanIoU { s }
    }
    /// A label to leave out.
    pub fn ignore_class(mut self, c: Option<i64>) -> Self {
        self.s.ignore_class = c;
        self
    }
    /// Whether predictions are class indices.
    pub fn sparse_y_pred(mut self, v: bool) -> Self {
        self.s.sparse_y_pred = v;
        self
    }
    /// The class axis.
    pub fn axis(mut self, a: isize) -> Self {
        self.s.axis = a;
        self
    }
    /// `OneHotMeanIoU.from_config(config)`.
    pub fn from_config(c: &Value) -> Result<Self> {
        let r = MetricConfig::new("OneHotMeanIoU", c);
        let mut m = OneHotMeanIoU::new(r.int("num_classes", 0)? as usize)
            .with_name(&r.name("one_hot_mean_io_u")?)
            .ignore_class(r.opt_int("ignore_class")?)
            .sparse_y_pred(r.bool("sparse_y_pred", false)?)
            .axis(r.int("axis", -1)? as isize);
        m.s.integer = dtype_is_integer(&r, true)?;
        Ok(m)
    }
    fn config(&self) -> Value {
        let s = &self.s;
        json!({"name": s.name, "dtype": s.dtype(), "num_classes": s.num_classes,
               "ignore_class": s.ignore_class, "sparse_y_pred": s.sparse_y_pred,
               "axis": s.axis})
    }
}
iou_metric!(OneHotMeanIoU);
