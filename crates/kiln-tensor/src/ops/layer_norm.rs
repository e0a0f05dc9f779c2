//! Fused layer normalization over the last axis (what `keras.layers.LayerNormalization`
//! computes for `axis=-1`), with its own backward pass.

use crate::autodiff::Op;
use crate::cpu::layer_norm::{self as kern, NormFloat, Stats};
use crate::ops::{needs_grad, record, record_fused_grads};
use crate::shape::fmt_shape;
use crate::{DType, Error, Result, Tensor};

const OP: &str = "layer_normalization";
const GRAD_OP: &str = "layer_normalization_grad";

impl Tensor {
    /// `(x - mean) / sqrt(var + epsilon) · gamma + beta` over the last axis, the mean and
    /// (population) variance taken per row, as `keras.layers.LayerNormalization(axis=-1)`.
    /// `gamma` and `beta`, when given, have shape `(n,)` for a last axis of `n` and the
    /// input's dtype (f32 or f64).
    ///
    /// One pass per row forward and backward; the gradient (w.r.t. `x`, `gamma` and
    /// `beta`) comes from the fused kernel and has no second derivative: differentiating
    /// it again is an `Err` (compose the formula from `mean`/`variance` for that).
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    /// let y = x.layer_normalization(None, None, 0.0).unwrap();
    /// assert_eq!(y.to_vec::<f32>().unwrap(), vec![-1.0, 1.0, -1.0, 1.0]);
    /// ```
    pub fn layer_normalization(
        &self,
        gamma: Option<&Tensor>,
        beta: Option<&Tensor>,
        epsilon: f64,
    ) -> Result<Tensor> {
        let n = check(self, gamma, beta, epsilon)?;
        match self.dtype() {
            DType::F32 => run::<f32>(self, gamma, beta, epsilon, n),
            _ => run::<f64>(self, gamma, beta, epsilon, n),
        }
    }
}

/// Validates layer normalization's operands; the last axis's size.
fn check(x: &Tensor, gamma: Option<&Tensor>, beta: Option<&Tensor>, epsilon: f64) -> Result<usize> {
    let dt = x.dtype();
    if !matches!(dt, DType::F32 | DType::F64) {
        return Err(Error::dtype(
            OP,
            format!("expected an f32 or f64 input, got {}", dt.name()),
        ));
    }
    if x.rank() == 0 {
        return Err(Error::shape(
            OP,
            "expected an input of rank >= 1, got a scalar",
        ));
    }
    if !(epsilon >= 0.0 && epsilon.is_finite()) {
        return Err(Error::arg(
            OP,
            format!("epsilon must be finite and >= 0, got {epsilon}"),
        ));
    }
    let n = x.shape()[x.rank() - 1];
    for (name, p) in [("gamma", gamma), ("beta", beta)] {
        let Some(p) = p else { continue };
        if p.shape() != [n] {
            return Err(Error::shape(
                OP,
                format!(
                    "{name} has shape {}, expected ({n},) for an input of shape {}",
                    fmt_shape(p.shape()),
                    fmt_shape(x.shape())
                ),
            ));
        }
        if p.dtype() != dt {
            return Err(Error::dtype(
                OP,
                format!(
                    "{name} has dtype {}, expected the input's {}",
                    p.dtype().name(),
                    dt.name()
                ),
            ));
        }
    }
    Ok(n)
}

fn run<T: NormFloat>(
    x: &Tensor,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    eps: f64,
    n: usize,
) -> Result<Tensor> {
    // Meta operands: the output's shape, nothing computed or recorded.
    let mut all = vec![x];
    all.extend(gamma);
    all.extend(beta);
    if let Some(m) = crate::meta::rule(&all, x.shape(), x.dtype()) {
        return Ok(m);
    }
    let xc = x.contiguous_unrecorded();
    let gc = gamma.map(|g| g.contiguous_unrecorded());
    let bc = beta.map(|b| b.contiguous_unrecorded());
    let (y, stats) = {
        let xd = xc.data::<T>();
        let gd = gc.as_ref().map(|g| g.data::<T>());
        let bd = bc.as_ref().map(|b| b.data::<T>());
        kern::forward::<T>(&xd, n, gd.as_deref(), bd.as_deref(), eps)
    };
    let out = Tensor::from_vec_unchecked(y, x.shape().to_vec());
    let mut inputs: Vec<&Tensor> = vec![x];
    inputs.extend(gamma);
    inputs.extend(beta);
    let (has_gamma, has_beta) = (gamma.is_some(), beta.is_some());
    if !needs_grad(&inputs) {
        return Ok(out);
    }
    let need_dx = needs_grad(&[x]);
    let originals: Vec<Tensor> = inputs.iter().map(|t| (*t).clone()).collect();
    let backward = move |gout: &Tensor| -> Result<Vec<Option<Tensor>>> {
        let grads = {
            let _pause = crate::autodiff::no_recording();
            grads_typed::<T>(&xc, gc.as_ref(), has_beta, &stats, gout, n, need_dx)
        };
        let mut deps: Vec<&Tensor> = originals.iter().collect();
        deps.push(gout);
        Ok(record_fused_grads(
            grads,
            |i| grad_op(eps, has_gamma, has_beta, i),
            &deps,
            OP,
            "the fused layer-normalization kernel has no second derivative; \
             compose it from mean and variance to differentiate twice",
        ))
    };
    Ok(record(
        || {
            Op::new(OP)
                .attr("epsilon", eps)
                .attr("has_gamma", has_gamma)
                .attr("has_beta", has_beta)
        },
        &inputs,
        out,
        backward,
    ))
}

/// The gradient op of [`Tensor::layer_normalization`] for input `output` (0: `x`, then
/// `gamma` and `beta` when present). Inputs: the forward's, then the output gradient.
fn grad_op(eps: f64, has_gamma: bool, has_beta: bool, output: usize) -> Op {
    Op::new(GRAD_OP)
        .attr("epsilon", eps)
        .attr("has_gamma", has_gamma)
        .attr("has_beta", has_beta)
        .attr("output", output)
}

/// The fused backward kernel on contiguous operands and the forward's statistics: one
/// gradient per forward input (`None` for `x` unless `need_dx`).
fn grads_typed<T: NormFloat>(
    xc: &Tensor,
    gc: Option<&Tensor>,
    has_beta: bool,
    stats: &Stats<T>,
    gout: &Tensor,
    n: usize,
    need_dx: bool,
) -> Vec<Option<Tensor>> {
    let go = gout.contiguous_unrecorded();
    let (xd, gd) = (xc.data::<T>(), go.data::<T>());
    let gam = gc.map(|g| g.data::<T>());
    let (dx, dg, db) = kern::backward::<T>(&xd, &gd, stats, n, gam.as_deref(), need_dx);
    let mut grads = vec![dx.map(|d| Tensor::from_vec_unchecked(d, xc.shape().to_vec()))];
    if gc.is_some() {
        grads.push(Some(Tensor::from_vec_unchecked(dg, vec![n])));
    }
    if has_beta {
        grads.push(Some(Tensor::from_vec_unchecked(db, vec![n])));
    }
    grads
}

/// Evaluates a `layer_normalization_grad` op: recomputes the forward's statistics with
/// the forward kernel, then runs the backward kernel, bit-identical to the eager
/// backward pass. `inputs` are `x`, `gamma` and `beta` when present, then the output
/// gradient; `output` picks the gradient returned (an index into the forward's inputs).
pub(crate) fn eval_grad(
    inputs: &[&Tensor],
    eps: f64,
    has_gamma: bool,
    has_beta: bool,
    output: usize,
) -> Result<Tensor> {
    let want = 2 + has_gamma as usize + has_beta as usize;
    if inputs.len() != want {
        return Err(Error::arg(
            GRAD_OP,
            format!("expected {want} inputs, got {}", inputs.len()),
        ));
    }
    let (x, gout) = (inputs[0], inputs[want - 1]);
    let gamma = has_gamma.then(|| inputs[1]);
    let beta = has_beta.then(|| inputs[want - 2]);
    let n = check(x, gamma, beta, eps)?;
    if gout.shape() != x.shape() || gout.dtype() != x.dtype() {
        return Err(Error::shape(
            GRAD_OP,
            format!(
                "the output gradient is {} {}, expected the input's {} {}",
                gout.dtype().name(),
                fmt_shape(gout.shape()),
                x.dtype().name(),
                fmt_shape(x.shape())
            ),
        ));
    }
    let grads = match x.dtype() {
        DType::F32 => eval_grad_typed::<f32>(x, gamma, has_beta, gout, eps, n, output),
        _ => eval_grad_typed::<f64>(x, gamma, has_beta, gout, eps, n, output),
    };
    grads
        .into_iter()
        .nth(output)
        .flatten()
        .ok_or_else(|| Error::arg(GRAD_OP, format!("no gradient for input {output}")))
}

fn eval_grad_typed<T: NormFloat>(
    x: &Tensor,
    gamma: Option<&Tensor>,
    has_beta: bool,
    gout: &Tensor,
    eps: f64,
    n: usize,
    output: usize,
) -> Vec<Option<Tensor>> {
    let _pause = crate::autodiff::no_recording();
    let xc = x.contiguous_unrecorded();
    let gc = gamma.map(|g| g.contiguous_unrecorded());
    let stats = {
        let xd = xc.data::<T>();
        let gd = gc.as_ref().map(|g| g.data::<T>());
        // Beta does not enter the statistics.
        kern::forward::<T>(&xd, n, gd.as_deref(), None, eps).1
    };
    grads_typed::<T>(&xc, gc.as_ref(), has_beta, &stats, gout, n, output == 0)
}
