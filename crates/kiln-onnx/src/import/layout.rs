//! Channels-last values inside the runner.
//!
//! ONNX images are NCHW; kiln's convolution and pooling kernels are NHWC. Rather than
//! transposing around every `Conv`, the runner keeps a 4-D value in NHWC memory once a
//! convolution or pool has produced it ([`Val::Nhwc`]: the tensor is the NHWC physical
//! form of a logical NCHW value) and carries it through the ops that do not care about
//! the layout (elementwise ops, broadcasting binary ops, `BatchNormalization`, pools and
//! global pools, `Transpose` to NHWC). Any other op gets the NCHW form, transposed then.

use kiln::Tensor;

use super::attrs::{attr_f, attr_i, attr_ints};
use super::spatial::{pool_nhwc, ConvPlan};
use super::{node_err, OnnxGraph};
use crate::proto::NodeProto;
use crate::Result;

/// A value in the runner's environment.
#[derive(Clone)]
pub(super) enum Val {
    /// The tensor as ONNX sees it.
    Plain(Tensor),
    /// The NHWC memory of a logical NCHW 4-D value.
    Nhwc(Tensor),
}

const NCHW_TO_NHWC: [usize; 4] = [0, 2, 3, 1];
const NHWC_TO_NCHW: [usize; 4] = [0, 3, 1, 2];

/// Elementwise ops whose first input alone is an activation (later inputs are scalars).
const ELEMENTWISE: &[&str] = &[
    "Abs",
    "Cast",
    "Clip",
    "Dropout",
    "Elu",
    "Erf",
    "Exp",
    "HardSigmoid",
    "Identity",
    "LeakyRelu",
    "Log",
    "Neg",
    "Relu",
    "Selu",
    "Sigmoid",
    "Softplus",
    "Softsign",
    "Sqrt",
    "Tanh",
];

/// Broadcasting ops over all their inputs.
const BROADCASTING: &[&str] = &[
    "Add", "Div", "Max", "Mean", "Min", "Mul", "Pow", "Sub", "Sum",
];

impl Val {
    /// The value as ONNX sees it (NCHW for a channels-last value).
    pub fn plain(&self, n: &NodeProto) -> Result<Tensor> {
        match self {
            Val::Plain(t) => Ok(t.clone()),
            Val::Nhwc(t) => Ok(t
                .transpose(Some(&NHWC_TO_NCHW))
                .map_err(|e| node_err(n, e.to_string()))?
                .contiguous()),
        }
    }

    /// The NHWC memory of a 4-D value.
    fn nhwc(&self, n: &NodeProto) -> Result<Tensor> {
        match self {
            Val::Nhwc(t) => Ok(t.clone()),
            Val::Plain(t) if t.shape().len() == 4 => Ok(t
                .transpose(Some(&NCHW_TO_NHWC))
                .map_err(|e| node_err(n, e.to_string()))?
                .contiguous()),
            Val::Plain(t) => Err(node_err(
                n,
                format!(
                    "expected a 4-D (N, C, H, W) input, got shape {:?}",
                    t.shape()
                ),
            )),
        }
    }

    /// The value broadcast-aligned with a channels-last 4-D value: rank padded to 4 with
    /// leading ones, then viewed NHWC (a rank above 4 has no such view).
    fn aligned(&self, n: &NodeProto) -> Result<Option<Tensor>> {
        let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
        match self {
            Val::Nhwc(t) => Ok(Some(t.clone())),
            Val::Plain(t) if t.shape().len() <= 4 => {
                let mut shape = vec![1isize; 4 - t.shape().len()];
                shape.extend(t.shape().iter().map(|&d| d as isize));
                Ok(Some(
                    t.reshape(&shape)
                        .map_err(k)?
                        .transpose(Some(&NCHW_TO_NHWC))
                        .map_err(k)?,
                ))
            }
            Val::Plain(_) => Ok(None),
        }
    }
}

/// `(batch, c, w)` -> `(batch, 1, w, c)`.
fn nwc_lift(n: &NodeProto, x: &Tensor) -> Result<Tensor> {
    let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
    Ok(x.transpose(Some(&[0, 2, 1]))
        .map_err(k)?
        .expand_dims(1)
        .map_err(k)?
        .contiguous())
}

/// `(batch, 1, w, c)` -> `(batch, c, w)`.
fn nwc_drop(n: &NodeProto, y: &Tensor) -> Result<Tensor> {
    let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
    Ok(y.squeeze(&[1])
        .map_err(k)?
        .transpose(Some(&[0, 2, 1]))
        .map_err(k)?
        .contiguous())
}

fn input<'a>(n: &NodeProto, args: &'a [Option<Val>], i: usize, what: &str) -> Result<&'a Val> {
    args.get(i)
        .and_then(|a| a.as_ref())
        .ok_or_else(|| node_err(n, format!("input {i} ({what}) is missing")))
}

impl OnnxGraph {
    /// Evaluates node `i` on layout-tagged values.
    pub(super) fn eval_val(
        &self,
        i: usize,
        n: &NodeProto,
        args: &[Option<Val>],
    ) -> Result<Vec<Val>> {
        let op = n.op_type.as_deref().unwrap_or("");
        let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
        match op {
            "Conv" => return self.conv_val(i, n, args).map(|v| vec![v]),
            "MaxPool" | "AveragePool" => {
                let x = input(n, args, 0, "X")?;
                if matches!(x, Val::Plain(t) if t.shape().len() == 3) {
                    let x4 = nwc_lift(n, &x.plain(n)?)?;
                    return Ok(vec![Val::Plain(nwc_drop(n, &pool_nhwc(n, &x4, 1)?)?)]);
                }
                return Ok(vec![Val::Nhwc(pool_nhwc(n, &x.nhwc(n)?, 2)?)]);
            }
            "Transpose" => {
                let perm = attr_ints(n, "perm");
                let perm = perm.as_deref();
                match input(n, args, 0, "data")? {
                    Val::Nhwc(t) if perm == Some(&[0, 2, 3, 1]) => {
                        return Ok(vec![Val::Plain(t.clone())])
                    }
                    Val::Plain(t) if t.shape().len() == 4 && perm == Some(&[0, 3, 1, 2]) => {
                        // The NCHW view of NHWC data: the data already is the NHWC memory.
                        return Ok(vec![Val::Nhwc(t.clone())]);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        if args.iter().flatten().any(|a| matches!(a, Val::Nhwc(_))) {
            if ELEMENTWISE.contains(&op) && matches!(args.first(), Some(Some(Val::Nhwc(_)))) {
                let mut a: Vec<Option<kiln::Tensor>> = Vec::with_capacity(args.len());
                for (j, v) in args.iter().enumerate() {
                    a.push(match v {
                        Some(Val::Nhwc(t)) if j == 0 => Some(t.clone()),
                        Some(v) => Some(v.plain(n)?),
                        None => None,
                    });
                }
                let mut out = self.eval(n, &a)?;
                let y = out.swap_remove(0);
                return Ok(vec![Val::Nhwc(y)]);
            }
            if BROADCASTING.contains(&op) {
                let mut a = Vec::with_capacity(args.len());
                for v in args {
                    match v {
                        Some(v) => match v.aligned(n)? {
                            Some(t) => a.push(Some(t)),
                            None => break,
                        },
                        None => a.push(None),
                    }
                }
                if a.len() == args.len() {
                    let mut out = self.eval(n, &a)?;
                    return Ok(vec![Val::Nhwc(out.swap_remove(0))]);
                }
            }
            if op == "GlobalAveragePool" || op == "GlobalMaxPool" {
                let x = input(n, args, 0, "X")?.nhwc(n)?;
                let y = if op == "GlobalMaxPool" {
                    x.max(&[1, 2], true)
                } else {
                    x.mean(&[1, 2], true)
                };
                return Ok(vec![Val::Nhwc(y.map_err(k)?)]);
            }
            if op == "BatchNormalization" && attr_i(n, "training_mode", 0) == 0 {
                let x = input(n, args, 0, "X")?.nhwc(n)?;
                let (inv, shift) = batch_norm_affine(
                    n,
                    &input(n, args, 1, "scale")?.plain(n)?,
                    &input(n, args, 2, "B")?.plain(n)?,
                    &input(n, args, 3, "input_mean")?.plain(n)?,
                    &input(n, args, 4, "input_var")?.plain(n)?,
                )?;
                let y = x.mul(&inv).map_err(k)?.add(&shift).map_err(k)?;
                return Ok(vec![Val::Nhwc(y)]);
            }
        }
        let plain: Vec<Option<Tensor>> = args
            .iter()
            .map(|a| a.as_ref().map(|v| v.plain(n)).transpose())
            .collect::<Result<_>>()?;
        Ok(self.eval(n, &plain)?.into_iter().map(Val::Plain).collect())
    }

    fn conv_val(&self, i: usize, n: &NodeProto, args: &[Option<Val>]) -> Result<Val> {
        let built;
        let plan = match self.convs.get(i).and_then(|p| p.as_ref()) {
            Some(p) => p,
            None => {
                let w = input(n, args, 1, "W")?.plain(n)?;
                let b = match args.get(2).and_then(|a| a.as_ref()) {
                    Some(b) => Some(b.plain(n)?),
                    None => None,
                };
                built = ConvPlan::new(n, &w, b.as_ref())?;
                &built
            }
        };
        let x = input(n, args, 0, "X")?;
        if plan.one_d {
            let x = x.plain(n)?;
            if x.shape().len() != 3 {
                return Err(node_err(
                    n,
                    format!("X has shape {:?}; a 1-D Conv needs rank 3", x.shape()),
                ));
            }
            let y = plan.run_nhwc(n, &nwc_lift(n, &x)?)?;
            return Ok(Val::Plain(nwc_drop(n, &y)?));
        }
        Ok(Val::Nhwc(plan.run_nhwc(n, &x.nhwc(n)?)?))
    }
}

/// Inference `BatchNormalization` as `x * inv + shift` per channel.
pub(super) fn batch_norm_affine(
    n: &NodeProto,
    scale: &Tensor,
    b: &Tensor,
    mean: &Tensor,
    var: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
    let c = scale.shape().first().copied().unwrap_or(0);
    for (what, t) in [
        ("scale", scale),
        ("B", b),
        ("input_mean", mean),
        ("input_var", var),
    ] {
        if t.shape() != [c] {
            return Err(node_err(
                n,
                format!(
                    "{what} has shape {:?}; expected [{c}] like scale",
                    t.shape()
                ),
            ));
        }
    }
    let eps = attr_f(n, "epsilon", 1e-5) as f64;
    let inv = var
        .add_scalar(eps)
        .map_err(k)?
        .rsqrt()
        .map_err(k)?
        .mul(scale)
        .map_err(k)?;
    let shift = b.sub(&mean.mul(&inv).map_err(k)?).map_err(k)?;
    Ok((inv, shift))
}
