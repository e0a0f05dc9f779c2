//! Fused, numerically stable NN loss kernels from logits (`tf.nn.*_cross_entropy_with_logits`)
//! and `bias_add`.
//!
//! Each forward pass reads a row once (max, sum of exponentials, loss) and each backward
//! pass writes both gradients in one sweep. When an outer tape is recording the backward
//! pass (second derivatives), the gradients are instead built from recorded ops so that
//! they can themselves be differentiated.
//!
//! The loss ops are methods of the *labels* tensor, so that
//! `Tensor::softmax_cross_entropy_with_logits(&labels, &logits, -1)` reads in TF's
//! argument order (`labels`, then `logits`).

use crate::autodiff::Op;
use num_traits::Float;

use crate::cpu::gemm::add_rows;
use crate::cpu::num::Num;
use crate::dtype::Element;
use crate::ops::{needs_grad, record, same_dtype};
use crate::shape::{fmt_shape, normalize_axis, numel};
use crate::{with_num_dtype, DType, Error, Result, Tensor};

// ----- float dispatch ---------------------------------------------------------------------

/// A kernel over float tensors of one dtype, generic over the compute type.
trait FloatKernel {
    fn run<T: Float + Element>(&self, ts: &[Tensor]) -> Vec<Tensor>;
}

/// Runs `k` on `ts` (all of one float dtype): f32/f64 directly, f16/bf16 through f32 with
/// the results rounded back.
fn run_float<K: FloatKernel>(op: &'static str, k: &K, ts: &[&Tensor]) -> Result<Vec<Tensor>> {
    let dt = ts[0].dtype();
    let owned: Vec<Tensor> = ts.iter().map(|&t| t.clone()).collect();
    match dt {
        DType::F32 => Ok(k.run::<f32>(&owned)),
        DType::F64 => Ok(k.run::<f64>(&owned)),
        DType::F16 | DType::BF16 => {
            let up: Vec<Tensor> = owned
                .iter()
                .map(|t| t.cast_unrecorded(DType::F32))
                .collect();
            Ok(k.run::<f32>(&up)
                .into_iter()
                .map(|t| t.cast_unrecorded(dt))
                .collect())
        }
        other => Err(Error::dtype(
            op,
            format!(
                "expected float tensors (float16/bfloat16/float32/float64), got {}",
                other.name()
            ),
        )),
    }
}

/// A view of `t` with `axis` moved last (not recorded: kernels read it).
fn axis_last(t: &Tensor, axis: usize) -> Tensor {
    let r = t.rank();
    if axis + 1 == r {
        return t.clone();
    }
    let perm: Vec<usize> = (0..r).filter(|&i| i != axis).chain([axis]).collect();
    let shape = perm.iter().map(|&p| t.shape()[p]).collect();
    let strides = perm.iter().map(|&p| t.strides()[p]).collect();
    t.view(shape, strides, t.offset())
}

/// The permutation that moves the last axis back to `axis`.
fn last_to_axis(rank: usize, axis: usize) -> Vec<usize> {
    // Moved layout: axes (0..rank without axis) then axis. Inverse permutation:
    (0..rank)
        .map(|i| match i.cmp(&axis) {
            std::cmp::Ordering::Less => i,
            std::cmp::Ordering::Equal => rank - 1,
            std::cmp::Ordering::Greater => i - 1,
        })
        .collect()
}

/// Row max and `max + log(sum(exp(x - max)))` of one row.
#[inline]
fn row_lse<T: Float>(x: &[T]) -> (T, T) {
    let mx = x
        .iter()
        .fold(T::neg_infinity(), |m, &v| if v > m { v } else { m });
    if mx == T::neg_infinity() {
        return (mx, mx);
    }
    let mut s = T::zero();
    for &v in x {
        s = s + (v - mx).exp();
    }
    (mx, mx + s.ln())
}

// ----- kernels ----------------------------------------------------------------------------

#[inline(always)]
fn fzero<T: Float>() -> T {
    T::zero()
}

/// loss[r] = sum_c labels[r,c] * (lse(x[r]) - x[r,c])
struct SoftmaxCeFwd {
    c: usize,
    out_shape: Vec<usize>,
}
impl FloatKernel for SoftmaxCeFwd {
    fn run<T: Float + Element>(&self, ts: &[Tensor]) -> Vec<Tensor> {
        let (l, x) = (ts[0].data::<T>(), ts[1].data::<T>());
        let rows = numel(&self.out_shape);
        let c = self.c;
        let out: Vec<T> = (0..rows)
            .map(|r| {
                let (xr, lr) = (&x[r * c..(r + 1) * c], &l[r * c..(r + 1) * c]);
                let (_, lse) = row_lse(xr);
                xr.iter().zip(lr).fold(fzero::<T>(), |acc, (&v, &y)| {
                    if y == fzero::<T>() {
                        acc
                    } else {
                        acc + y * (lse - v)
                    }
                })
            })
            .collect();
        vec![Tensor::from_vec_unchecked(out, self.out_shape.clone())]
    }
}

/// dlabels = g * (lse - x) (= -g * log_softmax), dlogits = g * (softmax - labels).
struct SoftmaxCeBwd {
    c: usize,
    moved_shape: Vec<usize>,
}
impl FloatKernel for SoftmaxCeBwd {
    fn run<T: Float + Element>(&self, ts: &[Tensor]) -> Vec<Tensor> {
        let (l, x, g) = (ts[0].data::<T>(), ts[1].data::<T>(), ts[2].data::<T>());
        let c = self.c;
        let n = x.len();
        let mut dl = vec![fzero::<T>(); n];
        let mut dx = vec![fzero::<T>(); n];
        if c > 0 {
            for (r, ((xr, lr), (dlr, dxr))) in x
                .chunks(c)
                .zip(l.chunks(c))
                .zip(dl.chunks_mut(c).zip(dx.chunks_mut(c)))
                .enumerate()
            {
                let gr = g[r];
                let (mx, lse) = row_lse(xr);
                let scale = gr / (lse - mx).exp();
                for j in 0..c {
                    dxr[j] = (xr[j] - mx).exp() * scale - gr * lr[j];
                    dlr[j] = gr * (lse - xr[j]);
                }
            }
        }
        vec![
            Tensor::from_vec_unchecked(dl, self.moved_shape.clone()),
            Tensor::from_vec_unchecked(dx, self.moved_shape.clone()),
        ]
    }
}

/// loss[r] = lse(x[r]) - x[r, label[r]]
struct SparseCeFwd {
    labels: Vec<usize>,
    c: usize,
    out_shape: Vec<usize>,
}
impl FloatKernel for SparseCeFwd {
    fn run<T: Float + Element>(&self, ts: &[Tensor]) -> Vec<Tensor> {
        let x = ts[0].data::<T>();
        let c = self.c;
        let out: Vec<T> = self
            .labels
            .iter()
            .enumerate()
            .map(|(r, &y)| {
                let xr = &x[r * c..(r + 1) * c];
                let (_, lse) = row_lse(xr);
                lse - xr[y]
            })
            .collect();
        vec![Tensor::from_vec_unchecked(out, self.out_shape.clone())]
    }
}

/// dlogits = g * (softmax - onehot(label)).
struct SparseCeBwd {
    labels: Vec<usize>,
    c: usize,
    shape: Vec<usize>,
}
impl FloatKernel for SparseCeBwd {
    fn run<T: Float + Element>(&self, ts: &[Tensor]) -> Vec<Tensor> {
        let (x, g) = (ts[0].data::<T>(), ts[1].data::<T>());
        let c = self.c;
        let mut dx = vec![fzero::<T>(); x.len()];
        if c > 0 {
            for (r, (xr, dxr)) in x.chunks(c).zip(dx.chunks_mut(c)).enumerate() {
                let gr = g[r];
                let (mx, lse) = row_lse(xr);
                let scale = gr / (lse - mx).exp();
                for j in 0..c {
                    dxr[j] = (xr[j] - mx).exp() * scale;
                }
                dxr[self.labels[r]] = dxr[self.labels[r]] - gr;
            }
        }
        vec![Tensor::from_vec_unchecked(dx, self.shape.clone())]
    }
}

#[inline]
fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// loss = max(x, 0) - x*z + log1p(exp(-|x|)), elementwise.
struct SigmoidCeFwd;
impl FloatKernel for SigmoidCeFwd {
    fn run<T: Float + Element>(&self, ts: &[Tensor]) -> Vec<Tensor> {
        let (z, x) = (ts[0].data::<T>(), ts[1].data::<T>());
        let out: Vec<T> = x
            .iter()
            .zip(z.iter())
            .map(|(&x, &z)| x.max(fzero::<T>()) - x * z + (-x.abs()).exp().ln_1p())
            .collect();
        vec![Tensor::from_vec_unchecked(out, ts[1].shape().to_vec())]
    }
}

/// dlabels = -g * x, dlogits = g * (sigmoid(x) - z).
struct SigmoidCeBwd;
impl FloatKernel for SigmoidCeBwd {
    fn run<T: Float + Element>(&self, ts: &[Tensor]) -> Vec<Tensor> {
        let (z, x, g) = (ts[0].data::<T>(), ts[1].data::<T>(), ts[2].data::<T>());
        let dz: Vec<T> = x.iter().zip(g.iter()).map(|(&x, &g)| -(g * x)).collect();
        let dx: Vec<T> = x
            .iter()
            .zip(z.iter())
            .zip(g.iter())
            .map(|((&x, &z), &g)| g * (sigmoid(x) - z))
            .collect();
        let shape = ts[1].shape().to_vec();
        vec![
            Tensor::from_vec_unchecked(dz, shape.clone()),
            Tensor::from_vec_unchecked(dx, shape),
        ]
    }
}

// ----- recorded building blocks for second derivatives ---------------------------------------

/// softmax over the last axis, recorded (its gradient is again made of recorded ops).
fn softmax_last(x: &Tensor) -> Result<Tensor> {
    // The public op, so a traced backward pass replays it (`softmax[axis=-1]`).
    x.softmax(-1)
}

fn log_softmax_last(x: &Tensor) -> Result<Tensor> {
    x.log_softmax(-1)
}

fn sigmoid_recorded(x: &Tensor) -> Result<Tensor> {
    x.sigmoid()
}

fn channels_last_format(op: &'static str, data_format: &str) -> Result<bool> {
    match data_format {
        "NHWC" | "NWC" | "NDHWC" | "NC" | "N...C" | "channels_last" => Ok(true),
        "NCHW" | "NCW" | "NCDHW" | "NC..." | "channels_first" => Ok(false),
        other => Err(Error::arg(
            op,
            format!("unknown data_format '{other}'; expected 'NHWC'/'channels_last' or 'NCHW'/'channels_first'"),
        )),
    }
}

impl Tensor {
    /// `tf.nn.softmax_cross_entropy_with_logits(labels=self, logits, axis)`: per-example
    /// `-sum(labels * log_softmax(logits))` over `axis`, computed stably in one pass per row
    /// (logits of ±1000 are fine). `labels` and `logits` must have the same shape and float
    /// dtype; the result drops `axis`. As in TF, the logits gradient is
    /// `dy * (softmax(logits) - labels)` (exact when each label row sums to 1) and the labels
    /// gradient is `-dy * log_softmax(logits)`.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let labels = Tensor::from_vec(vec![0.0f32, 1.0, 0.5, 0.5], &[2, 2]).unwrap();
    /// let logits = Tensor::from_vec(vec![0.0f32, 0.0, 1000.0, 0.0], &[2, 2]).unwrap();
    /// let loss = Tensor::softmax_cross_entropy_with_logits(&labels, &logits, -1).unwrap();
    /// let v = loss.to_vec::<f32>().unwrap();
    /// assert!((v[0] - 2f32.ln()).abs() < 1e-6);
    /// assert!((v[1] - 500.0).abs() < 1e-3);
    /// ```
    pub fn softmax_cross_entropy_with_logits(
        &self,
        logits: &Tensor,
        axis: isize,
    ) -> Result<Tensor> {
        let op = "softmax_cross_entropy_with_logits";
        let labels = self;
        same_dtype(op, labels, logits)?;
        if labels.shape() != logits.shape() || logits.rank() == 0 {
            return Err(Error::shape(
                op,
                format!(
                    "labels (shape {}) and logits (shape {}) must have the same shape of rank >= 1",
                    fmt_shape(labels.shape()),
                    fmt_shape(logits.shape())
                ),
            ));
        }
        let rank = logits.rank();
        let ax = normalize_axis(op, axis, rank)?;
        let (lm, xm) = (axis_last(labels, ax), axis_last(logits, ax));
        let c = logits.shape()[ax];
        let moved_shape = xm.shape().to_vec();
        let out_shape = moved_shape[..rank - 1].to_vec();
        let out = run_float(op, &SoftmaxCeFwd { c, out_shape }, &[&lm, &xm])?.remove(0);
        let (labels_c, logits_c) = (labels.clone(), logits.clone());
        Ok(record(
            || Op::new("softmax_cross_entropy_with_logits").attr("axis", axis),
            &[labels, logits],
            out,
            move |g| {
                let inv = last_to_axis(rank, ax);
                let (dl, dx) = if needs_grad(&[g, &labels_c, &logits_c]) {
                    let x = logits_c.transpose(Some(&axis_perm(rank, ax)))?;
                    let l = labels_c.transpose(Some(&axis_perm(rank, ax)))?;
                    let ge = g.expand_dims(-1)?;
                    let dx = softmax_last(&x)?.sub(&l)?.mul(&ge)?;
                    let dl = log_softmax_last(&x)?.neg()?.mul(&ge)?;
                    (dl, dx)
                } else {
                    let (lm, xm) = (axis_last(&labels_c, ax), axis_last(&logits_c, ax));
                    let mut r = run_float(
                        op,
                        &SoftmaxCeBwd {
                            c,
                            moved_shape: moved_shape.clone(),
                        },
                        &[&lm, &xm, g],
                    )?;
                    let dx = r.remove(1);
                    (r.remove(0), dx)
                };
                Ok(vec![
                    Some(dl.transpose(Some(&inv))?),
                    Some(dx.transpose(Some(&inv))?),
                ])
            },
        ))
    }

    /// `tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self, logits)`: labels are
    /// class indices (int32 or int64) with the shape of `logits` minus its last axis; the
    /// loss is `logsumexp(logits) - logits[label]` per row, computed stably. A label outside
    /// `[0, num_classes)` is an error naming it. The logits gradient is
    /// `dy * (softmax(logits) - one_hot(labels))`; labels get none.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let labels = Tensor::from_vec(vec![1i32, 0], &[2]).unwrap();
    /// let logits = Tensor::from_vec(vec![0.0f32, 0.0, 0.0, 0.0], &[2, 2]).unwrap();
    /// let loss = labels.sparse_softmax_cross_entropy_with_logits(&logits).unwrap();
    /// assert!((loss.to_vec::<f32>().unwrap()[0] - 2f32.ln()).abs() < 1e-6);
    /// let bad = Tensor::from_vec(vec![2i32, 0], &[2]).unwrap();
    /// let err = bad.sparse_softmax_cross_entropy_with_logits(&logits).unwrap_err();
    /// assert!(err.to_string().contains("label 2"));
    /// ```
    pub fn sparse_softmax_cross_entropy_with_logits(&self, logits: &Tensor) -> Result<Tensor> {
        let op = "sparse_softmax_cross_entropy_with_logits";
        let labels = self;
        if !matches!(labels.dtype(), DType::I32 | DType::I64) {
            return Err(Error::dtype(
                op,
                format!(
                    "labels must be int32 or int64, got {}",
                    labels.dtype().name()
                ),
            ));
        }
        let rank = logits.rank();
        if rank == 0 || labels.shape() != &logits.shape()[..rank - 1] {
            return Err(Error::shape(
                op,
                format!(
                    "labels (shape {}) must have the shape of logits (shape {}) without its last axis",
                    fmt_shape(labels.shape()),
                    fmt_shape(logits.shape())
                ),
            ));
        }
        let c = logits.shape()[rank - 1];
        let raw: Vec<i64> = labels
            .to_f64_vec_unchecked()
            .into_iter()
            .map(|v| v as i64)
            .collect();
        let mut idx = Vec::with_capacity(raw.len());
        for (i, &y) in raw.iter().enumerate() {
            if y < 0 || y as usize >= c {
                return Err(Error::arg(
                    op,
                    format!("label {y} (at flat position {i}) is out of range for {c} classes; expected 0 <= label < {c}"),
                ));
            }
            idx.push(y as usize);
        }
        let out_shape = labels.shape().to_vec();
        let out = run_float(
            op,
            &SparseCeFwd {
                labels: idx.clone(),
                c,
                out_shape,
            },
            &[logits],
        )?
        .remove(0);
        let logits_c = logits.clone();
        let labels_c = labels.clone();
        Ok(record(
            || Op::new("sparse_softmax_cross_entropy_with_logits"),
            &[labels, logits],
            out,
            move |g| {
                // Only a tape other than the one running this backward pass needs the
                // composed (differentiable) form; a trace records the fused kernel's
                // result as its own replayable op.
                let dx = if crate::autodiff::tape::any_watched(&[g, &logits_c]) {
                    let onehot = labels_c
                        .one_hot(c, 1.0, 0.0, -1, DType::F64)?
                        .cast(logits_c.dtype())?;
                    softmax_last(&logits_c)?
                        .sub(&onehot)?
                        .mul(&g.expand_dims(-1)?)?
                } else {
                    let k = SparseCeBwd {
                        labels: idx.clone(),
                        c,
                        shape: logits_c.shape().to_vec(),
                    };
                    let dx = run_float(op, &k, &[&logits_c, g])?.remove(0);
                    record(
                        || Op::new("sparse_softmax_cross_entropy_with_logits_grad"),
                        &[&labels_c, &logits_c, g],
                        dx,
                        |_| Ok(vec![None, None, None]),
                    )
                };
                Ok(vec![None, Some(dx)])
            },
        ))
    }

    /// The logits gradient of [`Tensor::sparse_softmax_cross_entropy_with_logits`] for an
    /// upstream gradient `g` (one value per label): `g * (softmax(logits) - onehot)`,
    /// by the same fused kernel the backward pass uses (a traced graph replays it).
    pub(crate) fn sparse_softmax_cross_entropy_grad(
        labels: &Tensor,
        logits: &Tensor,
        g: &Tensor,
    ) -> Result<Tensor> {
        let op = "sparse_softmax_cross_entropy_with_logits_grad";
        let rank = logits.rank();
        if rank == 0 || labels.shape() != &logits.shape()[..rank - 1] || g.shape() != labels.shape()
        {
            return Err(Error::shape(
                op,
                format!(
                    "labels {}, logits {} and gradient {} do not fit",
                    fmt_shape(labels.shape()),
                    fmt_shape(logits.shape()),
                    fmt_shape(g.shape())
                ),
            ));
        }
        let c = logits.shape()[rank - 1];
        let mut idx = Vec::with_capacity(labels.numel());
        for (i, v) in labels.to_f64_vec_unchecked().into_iter().enumerate() {
            let y = v as i64;
            if y < 0 || y as usize >= c {
                return Err(Error::arg(
                    op,
                    format!("label {y} (at flat position {i}) is out of range for {c} classes"),
                ));
            }
            idx.push(y as usize);
        }
        let k = SparseCeBwd {
            labels: idx,
            c,
            shape: logits.shape().to_vec(),
        };
        Ok(run_float(op, &k, &[logits, g])?.remove(0))
    }

    /// `tf.nn.sigmoid_cross_entropy_with_logits(labels=self, logits)`, elementwise and
    /// stable for any logits: `max(x, 0) - x*z + log(1 + exp(-|x|))`. Shapes and float
    /// dtypes must match. Gradients: `dy * (sigmoid(x) - z)` for logits, `-dy * x` for labels.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let z = Tensor::from_vec(vec![1.0f32, 0.0], &[2]).unwrap();
    /// let x = Tensor::from_vec(vec![0.0f32, -50.0], &[2]).unwrap();
    /// let l = z.sigmoid_cross_entropy_with_logits(&x).unwrap().to_vec::<f32>().unwrap();
    /// assert!((l[0] - 2f32.ln()).abs() < 1e-6);
    /// assert!(l[1] < 1e-20);
    /// ```
    pub fn sigmoid_cross_entropy_with_logits(&self, logits: &Tensor) -> Result<Tensor> {
        let op = "sigmoid_cross_entropy_with_logits";
        let labels = self;
        same_dtype(op, labels, logits)?;
        if labels.shape() != logits.shape() {
            return Err(Error::shape(
                op,
                format!(
                    "labels (shape {}) and logits (shape {}) must have the same shape",
                    fmt_shape(labels.shape()),
                    fmt_shape(logits.shape())
                ),
            ));
        }
        let out = run_float(op, &SigmoidCeFwd, &[labels, logits])?.remove(0);
        let (z, x) = (labels.clone(), logits.clone());
        Ok(record(
            || Op::new("sigmoid_cross_entropy_with_logits"),
            &[labels, logits],
            out,
            move |g| {
                if needs_grad(&[g, &z, &x]) {
                    let dx = sigmoid_recorded(&x)?.sub(&z)?.mul(g)?;
                    let dz = x.neg()?.mul(g)?;
                    Ok(vec![Some(dz), Some(dx)])
                } else {
                    let mut r = run_float(op, &SigmoidCeBwd, &[&z, &x, g])?;
                    let dx = r.remove(1);
                    Ok(vec![Some(r.remove(0)), Some(dx)])
                }
            },
        ))
    }

    /// `tf.nn.bias_add(value=self, bias)` for channels-last data: adds the 1-D `bias` along
    /// the last axis (whose size must equal `bias.len()`). A fused single pass for contiguous
    /// inputs; the bias gradient is the sum of the output gradient over all other axes.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::zeros(&[2, 3], kiln_tensor::DType::F32);
    /// let b = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
    /// assert_eq!(x.bias_add(&b).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    /// assert!(x.bias_add(&Tensor::zeros(&[2], kiln_tensor::DType::F32)).is_err());
    /// ```
    pub fn bias_add(&self, bias: &Tensor) -> Result<Tensor> {
        self.bias_add_with_format(bias, "NHWC")
    }

    /// `tf.nn.bias_add(value, bias, data_format)`: `data_format` `"NHWC"` (or any
    /// channels-last name: `"NWC"`, `"NDHWC"`, `"channels_last"`) adds along the last axis;
    /// `"NCHW"` (`"NCW"`, `"NCDHW"`, `"channels_first"`) adds along axis 1.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::zeros(&[1, 2, 2], kiln_tensor::DType::F64);
    /// let b = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap();
    /// let y = x.bias_add_with_format(&b, "NCHW").unwrap();
    /// assert_eq!(y.to_vec::<f64>().unwrap(), vec![1.0, 1.0, 2.0, 2.0]);
    /// assert!(x.bias_add_with_format(&b, "HWCN").is_err());
    /// ```
    pub fn bias_add_with_format(&self, bias: &Tensor, data_format: &str) -> Result<Tensor> {
        let op = "bias_add";
        let last = channels_last_format(op, data_format)?;
        same_dtype(op, self, bias)?;
        let rank = self.rank();
        let caxis = if last { rank.saturating_sub(1) } else { 1 };
        if bias.rank() != 1
            || rank < if last { 1 } else { 2 }
            || self.shape()[caxis] != bias.shape()[0]
        {
            return Err(Error::shape(
                op,
                format!(
                    "bias must be 1-D with the size of the channel axis ({}) of value: value has shape {}, bias has shape {}",
                    if last { "last" } else { "axis 1" },
                    fmt_shape(self.shape()),
                    fmt_shape(bias.shape())
                ),
            ));
        }
        if !last {
            let mut bshape = vec![1isize; rank - 1];
            bshape[0] = bias.shape()[0] as isize;
            return self.add(&bias.reshape(&bshape)?);
        }
        if !self.is_contiguous() || !bias.is_contiguous() || self.is_meta() || bias.is_meta() {
            return self.add(bias);
        }
        let out = with_num_dtype!(op, self.dtype(), T => {
            let x = self.contiguous_slice::<T>().expect("contiguous");
            let b = bias.contiguous_slice::<T>().expect("contiguous");
            Tensor::from_vec_unchecked(add_rows::<T>(x, b), self.shape().to_vec())
        })?;
        let c = bias.shape()[0];
        Ok(record(
            || Op::new("bias_add").attr("data_format", data_format),
            &[self, bias],
            out,
            move |g| {
                let db = if !needs_grad(&[g])
                    && g.is_contiguous()
                    && matches!(g.dtype(), DType::F32 | DType::F64)
                {
                    column_sum(g, c)
                } else {
                    let axes: Vec<isize> = (0..g.rank() as isize - 1).collect();
                    if axes.is_empty() {
                        g.clone()
                    } else {
                        g.sum(&axes, false)?
                    }
                };
                Ok(vec![Some(g.clone()), Some(db)])
            },
        ))
    }
}

/// The permutation that moves `axis` last.
fn axis_perm(rank: usize, axis: usize) -> Vec<usize> {
    (0..rank).filter(|&i| i != axis).chain([axis]).collect()
}

/// Sum of a contiguous f32/f64 `(rows, c)` tensor over its rows (vectorised row sweeps).
fn column_sum(g: &Tensor, c: usize) -> Tensor {
    fn go<T: Num + std::ops::AddAssign>(x: &[T], c: usize) -> Vec<T> {
        let mut acc = vec![T::zero(); c];
        if c > 0 {
            for row in x.chunks(c) {
                for (a, &v) in acc.iter_mut().zip(row) {
                    *a += v;
                }
            }
        }
        acc
    }
    match g.dtype() {
        DType::F64 => Tensor::from_vec_unchecked(
            go::<f64>(g.contiguous_slice::<f64>().expect("contiguous"), c),
            vec![c],
        ),
        _ => Tensor::from_vec_unchecked(
            go::<f32>(g.contiguous_slice::<f32>().expect("contiguous"), c),
            vec![c],
        ),
    }
}
