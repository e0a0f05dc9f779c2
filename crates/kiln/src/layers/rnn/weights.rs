//! What the built-in cells share: creating `kernel` / `recurrent_kernel` / `bias`, the
//! whole-sequence input projection, and fast activation dispatch.

use kiln_tensor::{Tensor, Variable};

use crate::activations::Activation;
use crate::initializers::Initializer;
use crate::layers::layer::{LayerBase, Shape};
use crate::layers::rnn::cell::CellOptions;
use crate::layers::rnn::dropout_masks::mask_sequence;
use crate::{Error, Result};

/// The last dimension of a cell's build shape, or an error naming the cell.
pub(crate) fn input_dim(class: &str, shapes: &[Shape]) -> Result<usize> {
    match shapes.first().and_then(|s| s.last()) {
        Some(Some(d)) => Ok(*d),
        _ => Err(Error::InvalidArgument {
            api: "RNNCell.build",
            msg: format!("{class} needs a known feature dimension, got input shapes {shapes:?}"),
        }),
    }
}

/// Creates `kernel (in, gates*units)` and `recurrent_kernel (units, gates*units)`.
pub(crate) fn add_kernels(
    base: &mut LayerBase,
    o: &CellOptions,
    input_dim: usize,
    gates: usize,
) -> Result<(Variable, Variable)> {
    let k = base.add_weight(
        "kernel",
        &[input_dim, gates * o.units],
        &o.kernel_initializer,
        true,
        o.kernel_regularizer.clone(),
        o.kernel_constraint.clone(),
    )?;
    let r = base.add_weight(
        "recurrent_kernel",
        &[o.units, gates * o.units],
        &o.recurrent_initializer,
        true,
        o.recurrent_regularizer.clone(),
        o.recurrent_constraint.clone(),
    )?;
    Ok((k, r))
}

/// Creates `bias` of `shape` with the options' initializer.
pub(crate) fn add_bias(
    base: &mut LayerBase,
    o: &CellOptions,
    shape: &[usize],
    init: &Initializer,
) -> Result<Variable> {
    base.add_weight(
        "bias",
        shape,
        init,
        true,
        o.bias_regularizer.clone(),
        o.bias_constraint.clone(),
    )
}

/// An activation without the logits bookkeeping `Activation::apply` does for losses.
pub(crate) fn act(a: Activation, x: &Tensor) -> Result<Tensor> {
    Ok(match a {
        Activation::Sigmoid => x.sigmoid()?,
        Activation::Tanh => x.tanh()?,
        Activation::Linear => x.clone(),
        _ => a.apply(x)?,
    })
}

/// Columns `[g*units, (g+1)*units)` of a rank-2 tensor.
pub(crate) fn gate(x: &Tensor, g: usize, units: usize) -> Result<Tensor> {
    let rows = x.shape()[0] as isize;
    Ok(x.slice(&[0, (g * units) as isize], &[rows, units as isize])?)
}

/// `x (batch, time, in) @ kernel (in, n)` as one matmul over all steps, with one
/// dropout mask for all gates or one per gate (`kernel`'s column blocks of `units`).
pub(crate) fn project(
    x: &Tensor,
    kernel: &Tensor,
    masks: &[Tensor],
    units: usize,
) -> Result<Tensor> {
    let (b, t, d) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let flat = |x: &Tensor| x.reshape(&[(b * t) as isize, d as isize]);
    let y = match masks {
        [] => flat(x)?.matmul(kernel)?,
        [m] => flat(&mask_sequence(x, m)?)?.matmul(kernel)?,
        ms => {
            let parts: Vec<Tensor> = ms
                .iter()
                .enumerate()
                .map(|(g, m)| Ok(flat(&mask_sequence(x, m)?)?.matmul(&gate(kernel, g, units)?)?))
                .collect::<Result<_>>()?;
            Tensor::concat(&parts.iter().collect::<Vec<_>>(), -1)?
        }
    };
    Ok(y.reshape(&[b as isize, t as isize, -1])?)
}

/// `h (batch, units) @ recurrent_kernel` with no mask, one mask, or one mask per gate.
pub(crate) fn recurrent(h: &Tensor, rk: &Tensor, masks: &[Tensor], units: usize) -> Result<Tensor> {
    Ok(match masks {
        [] => h.matmul(rk)?,
        [m] => h.mul(m)?.matmul(rk)?,
        ms => {
            let parts: Vec<Tensor> = ms
                .iter()
                .enumerate()
                .map(|(g, m)| Ok(h.mul(m)?.matmul(&gate(rk, g, units)?)?))
                .collect::<Result<_>>()?;
            Tensor::concat(&parts.iter().collect::<Vec<_>>(), -1)?
        }
    })
}
