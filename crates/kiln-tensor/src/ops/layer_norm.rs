//! Fused layer normalization over the last axis (what `keras.layers.LayerNormalization`
//! computes for `axis=-1`), with its own backward pass.

use crate::autodiff::tape;
use crate::autodiff::Op;
use crate::cpu::layer_norm::{self as kern, NormFloat, Stats};
use crate::ops::{needs_grad, record};
use crate::shape::fmt_shape;
use crate::{DType, Error, Result, Tensor};

const OP: &str = "layer_normalization";

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
        let dt = self.dtype();
        if !matches!(dt, DType::F32 | DType::F64) {
            return Err(Error::dtype(
                OP,
                format!("expected an f32 or f64 input, got {}", dt.name()),
            ));
        }
        if self.rank() == 0 {
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
        let n = self.shape()[self.rank() - 1];
        for (name, p) in [("gamma", gamma), ("beta", beta)] {
            let Some(p) = p else { continue };
            if p.shape() != [n] {
                return Err(Error::shape(
                    OP,
                    format!(
                        "{name} has shape {}, expected ({n},) for an input of shape {}",
                        fmt_shape(p.shape()),
                        fmt_shape(self.shape())
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
        match dt {
            DType::F32 => run::<f32>(self, gamma, beta, epsilon, n),
            _ => run::<f64>(self, gamma, beta, epsilon, n),
        }
    }
}

fn run<T: NormFloat>(
    x: &Tensor,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    eps: f64,
    n: usize,
) -> Result<Tensor> {
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
        let outer = tape::is_recording();
        let grads = {
            let _pause = crate::autodiff::no_recording();
            let go = gout.contiguous_unrecorded();
            let (xd, gd) = (xc.data::<T>(), go.data::<T>());
            let gam = gc.as_ref().map(|g| g.data::<T>());
            let st: &Stats<T> = &stats;
            let (dx, dg, db) = kern::backward::<T>(&xd, &gd, st, n, gam.as_deref(), need_dx);
            let mut grads = vec![dx.map(|d| Tensor::from_vec_unchecked(d, xc.shape().to_vec()))];
            if has_gamma {
                grads.push(Some(Tensor::from_vec_unchecked(dg, vec![n])));
            }
            if has_beta {
                grads.push(Some(Tensor::from_vec_unchecked(db, vec![n])));
            }
            grads
        };
        if !outer {
            return Ok(grads);
        }
        // Recorded by an outer tape: differentiating these again must fail loudly.
        let mut deps: Vec<&Tensor> = vec![gout];
        deps.extend(originals.iter());
        Ok(grads
            .into_iter()
            .map(|o| {
                o.map(|t| {
                    record(
                        || Op::new("no_second_derivative").attr("of", OP),
                        &deps,
                        t,
                        |_| {
                            Err(Error::arg(
                                OP,
                                "the fused layer-normalization kernel has no second derivative; \
                             compose it from mean and variance to differentiate twice",
                            ))
                        },
                    )
                })
            })
            .collect())
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
