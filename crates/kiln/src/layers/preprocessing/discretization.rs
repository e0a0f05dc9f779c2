//! `Discretization` (bucketize by boundaries, learned by `adapt` as Keras does).

use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use super::category_encoding::{encode, encoded_shape, CategoryOutput};
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

const API: &str = "Discretization";

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidArgument {
        api: API,
        msg: msg.into(),
    }
}

/// `keras.layers.Discretization(bin_boundaries=None, num_bins=None, epsilon=0.01,
/// output_mode="int")`: the index of the bucket each value falls in (`boundaries[i-1] <=
/// x < boundaries[i]`, as int32), or that index encoded multi-hot / one-hot / count.
/// With `num_bins`, [`Discretization::adapt`] learns the boundaries from data with
/// Keras's approximate-quantile summary (same float32 arithmetic, so the same
/// boundaries). `sparse=True` is not supported.
///
/// ```
/// use kiln::layers::{Discretization, LayerRef};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(Discretization::with_boundaries(&[0.0, 1.0]));
/// let y = l.call(&Tensor::from_vec(vec![-0.5f32, 0.0, 0.7, 3.0], &[4])?)?;
/// assert_eq!(y.to_vec::<i32>()?, vec![0, 1, 1, 2]);
///
/// let mut q = Discretization::with_num_bins(2);
/// q.adapt(&Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4])?)?;
/// assert_eq!(q.bin_boundaries(), Some(&[2.0f32][..])); // Keras: [2.0]
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Discretization {
    base: LayerBase,
    boundaries: Option<Vec<f32>>,
    num_bins: Option<usize>,
    epsilon: f64,
    mode: Option<CategoryOutput>,
}

impl Discretization {
    /// Fixed, sorted bucket boundaries.
    pub fn with_boundaries(boundaries: &[f32]) -> Discretization {
        Discretization {
            base: LayerBase::new("discretization"),
            boundaries: Some(boundaries.to_vec()),
            num_bins: None,
            epsilon: 0.01,
            mode: None,
        }
    }
    /// `num_bins` buckets whose boundaries [`Discretization::adapt`] learns.
    pub fn with_num_bins(num_bins: usize) -> Discretization {
        Discretization {
            boundaries: None,
            num_bins: Some(num_bins),
            ..Discretization::with_boundaries(&[])
        }
    }
    /// The error tolerance of the quantile summary (default 0.01).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }
    /// `"int"` (default), `"one_hot"`, `"multi_hot"` or `"count"`.
    pub fn output_mode(mut self, mode: &str) -> Result<Self> {
        self.mode = match mode {
            "int" => None,
            m => Some(CategoryOutput::parse(API, m)?),
        };
        Ok(self)
    }
    /// The boundaries, once given or adapted.
    pub fn bin_boundaries(&self) -> Option<&[f32]> {
        self.boundaries.as_deref()
    }

    /// Learns `num_bins - 1` boundaries from every value of `data` (`layer.adapt(data)`).
    pub fn adapt(&mut self, data: &Tensor) -> Result<()> {
        let num_bins = self.num_bins.ok_or_else(|| {
            invalid(
                "cannot adapt a Discretization layer initialized with bin_boundaries; use num_bins",
            )
        })?;
        if num_bins == 0 {
            return Err(invalid("num_bins must be at least 1 to adapt"));
        }
        if !(self.epsilon > 0.0 && self.epsilon <= 1.0) {
            return Err(invalid(format!(
                "epsilon must be in (0, 1], got {}",
                self.epsilon
            )));
        }
        let values = data.cast(DType::F32)?.to_vec::<f32>()?;
        if values.is_empty() {
            return Err(invalid("cannot adapt to an empty tensor"));
        }
        if values.iter().any(|v| v.is_nan()) {
            return Err(invalid("cannot adapt to data containing NaN"));
        }
        let summary = compress(summarize(values, self.epsilon), self.epsilon);
        let (bins, _) = compress(summary, 1.0 / num_bins as f64);
        self.boundaries = Some(bins[..bins.len().saturating_sub(1)].to_vec());
        Ok(())
    }
}

/// `summarize`: every `step`-th sorted value, each weighted `step`.
fn summarize(mut values: Vec<f32>, epsilon: f64) -> (Vec<f32>, Vec<f32>) {
    values.sort_by(f32::total_cmp);
    let n = values.len();
    let increment = n as f64 / (1.0 / epsilon);
    let step = if increment > 1.0 { increment } else { 1.0 };
    let (start, stride) = ((step - 1.0) as usize, step as usize);
    let bins: Vec<f32> = values.into_iter().skip(start).step_by(stride).collect();
    let weights = vec![step as f32; bins.len()];
    (bins, weights)
}

/// `compress_summary`: re-bins a weighted summary at `epsilon` spacing of cumulative
/// weight, with NumPy's arange/interp in f64 over float32 cumulative sums.
fn compress(summary: (Vec<f32>, Vec<f32>), epsilon: f64) -> (Vec<f32>, Vec<f32>) {
    let (bins, weights) = summary;
    if (bins.len() as f64) * epsilon < 1.0 {
        return (bins, weights);
    }
    let count = (1.0 / epsilon).ceil() as usize;
    let percents: Vec<f64> = (0..count).map(|i| epsilon + i as f64 * epsilon).collect();
    let mut cum = Vec::with_capacity(weights.len());
    let mut acc = 0.0f32;
    for w in &weights {
        acc += w;
        cum.push(acc);
    }
    let total = cum[cum.len() - 1];
    let xp: Vec<f64> = cum.iter().map(|c| (c / total) as f64).collect();
    let fp_bins: Vec<f64> = bins.iter().map(|&b| b as f64).collect();
    let fp_cum: Vec<f64> = cum.iter().map(|&c| c as f64).collect();
    let new_bins: Vec<f32> = percents
        .iter()
        .map(|&x| interp(x, &xp, &fp_bins) as f32)
        .collect();
    let cw: Vec<f64> = percents.iter().map(|&x| interp(x, &xp, &fp_cum)).collect();
    let new_weights = (0..cw.len())
        .map(|i| (cw[i] - if i == 0 { 0.0 } else { cw[i - 1] }) as f32)
        .collect();
    (new_bins, new_weights)
}

/// `np.interp(x, xp, fp)` for increasing `xp` (ties resolve to the last equal point, as
/// NumPy's binary search does).
fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let n = xp.len();
    if x > xp[n - 1] {
        return fp[n - 1];
    }
    if x < xp[0] {
        return fp[0];
    }
    // Largest j with xp[j] <= x.
    let j = xp.partition_point(|&v| v <= x) - 1;
    if j == n - 1 || xp[j] == x {
        return fp[j];
    }
    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    let r = slope * (x - xp[j]) + fp[j];
    if r.is_nan() {
        let r2 = slope * (x - xp[j + 1]) + fp[j + 1];
        if r2.is_nan() && fp[j] == fp[j + 1] {
            return fp[j];
        }
        return r2;
    }
    r
}

common_builders!(Discretization);
layer_state!(Discretization, "Discretization");

impl Layer for Discretization {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, API)?;
        let bounds = self.boundaries.as_ref().ok_or_else(|| {
            invalid(
                "pass bin_boundaries at construction or call adapt(data) before using the layer",
            )
        })?;
        let v = x.cast(DType::F32)?.to_vec::<f32>()?;
        // tf.raw_ops.Bucketize: the number of boundaries <= x.
        let idx: Vec<i32> = v
            .iter()
            .map(|&x| bounds.partition_point(|&b| b <= x) as i32)
            .collect();
        let idx = Tensor::from_vec(idx, x.shape())?;
        Ok(vec![match self.mode {
            None => idx,
            Some(m) => encode(API, &idx, m, bounds.len() + 1)?,
        }])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(Ok(vec![
            match (self.mode, &self.boundaries, self.num_bins) {
                (None, _, _) => s.clone(),
                (Some(m), Some(b), _) => encoded_shape(s, m, b.len() + 1),
                (Some(m), None, Some(n)) => encoded_shape(s, m, n),
                (Some(_), None, None) => {
                    return Some(Err(invalid("no boundaries and no num_bins")))
                }
            },
        ]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert(
            "bin_boundaries".into(),
            json!(self
                .boundaries
                .as_ref()
                .map(|b| b.iter().map(|&v| v as f64).collect::<Vec<_>>())),
        );
        c.insert("num_bins".into(), json!(self.num_bins));
        c.insert("epsilon".into(), json!(self.epsilon));
        c.insert(
            "output_mode".into(),
            json!(self.mode.map_or("int", CategoryOutput::name)),
        );
        c.insert("sparse".into(), json!(false));
        Value::Object(c)
    }
}
