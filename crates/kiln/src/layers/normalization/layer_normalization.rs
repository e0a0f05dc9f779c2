//! `LayerNormalization`.

use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::common::{
    affine_builders, broadcast_shape, known_dim, not_built, resolve_axis, AffineOptions,
};
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::Result;

/// `keras.layers.LayerNormalization`: normalizes each sample over `axis` (one axis or
/// several) with its own mean and variance, then scales by `gamma` and shifts by `beta`
/// (weights shaped like the normalized axes). With `rms_scaling`, only divides by
/// `sqrt(var + epsilon)` and multiplies by `gamma` (no `beta`), as Keras 3.
///
/// ```
/// use kiln::layers::{LayerNormalization, LayerRef};
/// use kiln_tensor::Tensor;
/// let ln = LayerRef::new(LayerNormalization::new().epsilon(0.0));
/// let x = Tensor::from_vec(vec![1.0f32, 3.0, 10.0, 30.0], &[2, 2])?;
/// assert_eq!(ln.call(&x)?.to_vec::<f32>()?, vec![-1.0, 1.0, -1.0, 1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct LayerNormalization {
    base: LayerBase,
    axes: Vec<isize>,
    axis_is_list: bool,
    epsilon: f64,
    rms_scaling: bool,
    affine: AffineOptions,
    resolved: Vec<usize>,
    gamma: Option<Variable>,
    beta: Option<Variable>,
}

impl Default for LayerNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl LayerNormalization {
    /// Keras's defaults: `axis=-1, epsilon=1e-3, center, scale, rms_scaling=false`.
    pub fn new() -> LayerNormalization {
        LayerNormalization {
            base: LayerBase::new("layer_normalization"),
            axes: vec![-1],
            axis_is_list: false,
            epsilon: 1e-3,
            rms_scaling: false,
            affine: AffineOptions::default(),
            resolved: Vec::new(),
            gamma: None,
            beta: None,
        }
    }
    /// Normalizes over one axis (default -1).
    pub fn axis(mut self, axis: isize) -> Self {
        self.axes = vec![axis];
        self.axis_is_list = false;
        self
    }
    /// Normalizes over several axes together.
    pub fn axes(mut self, axes: &[isize]) -> Self {
        self.axes = axes.to_vec();
        self.axis_is_list = true;
        self
    }
    /// Added to the variance before the square root (default 1e-3).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }
    /// RMS-style scaling (no centering, no `beta`).
    pub fn rms_scaling(mut self, rms: bool) -> Self {
        self.rms_scaling = rms;
        self
    }
    pub(crate) fn set_affine(mut self, affine: AffineOptions) -> Self {
        self.affine = affine;
        self
    }
}

common_builders!(LayerNormalization);
affine_builders!(LayerNormalization);
layer_state!(LayerNormalization, "LayerNormalization");

impl Layer for LayerNormalization {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "LayerNormalization";
        let shape = input_shapes.first().ok_or_else(|| not_built(api))?;
        let mut axes = Vec::new();
        for &a in &self.axes {
            axes.push(resolve_axis(api, a, shape)?);
        }
        axes.sort_unstable();
        axes.dedup();
        let dims: Vec<usize> = axes
            .iter()
            .map(|&a| known_dim(api, shape, a))
            .collect::<Result<_>>()?;
        let mut opts = self.affine.clone();
        opts.scale = self.affine.scale || self.rms_scaling;
        let (gamma, beta) = opts.add_weights(&mut self.base, &dims, !self.rms_scaling)?;
        self.gamma = gamma;
        self.beta = beta;
        self.resolved = axes;
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = "LayerNormalization";
        let x = one_input(inputs, api)?;
        if self.resolved.is_empty() {
            return Err(not_built(api));
        }
        let x = if x.dtype().is_float() {
            x.clone()
        } else {
            x.cast(kiln_tensor::DType::F32)?
        };
        let rank = x.rank();
        let axes: Vec<isize> = self.resolved.iter().map(|&a| a as isize).collect();
        let dims: Vec<usize> = self.resolved.iter().map(|&a| x.shape()[a]).collect();
        let bshape = broadcast_shape(rank, &self.resolved, &dims);
        let only_last = self.resolved == [rank - 1];
        let bc = |v: &Variable| -> Result<Tensor> {
            let t = v.value();
            let t = if t.dtype() == x.dtype() {
                t
            } else {
                t.cast(x.dtype())?
            };
            Ok(if only_last { t } else { t.reshape(&bshape)? })
        };
        // The common case (last axis, f32/f64) runs as one fused op with its own
        // backward; nested tapes (second derivatives) keep the composed formula.
        if only_last
            && !self.rms_scaling
            && matches!(x.dtype(), kiln_tensor::DType::F32 | kiln_tensor::DType::F64)
            && !kiln_tensor::autodiff::nested_recording()
        {
            let gamma = self.gamma.as_ref().map(bc).transpose()?;
            let beta = self.beta.as_ref().map(bc).transpose()?;
            return Ok(vec![x.layer_normalization(
                gamma.as_ref(),
                beta.as_ref(),
                self.epsilon,
            )?]);
        }
        let var = x.variance(&axes, true)?;
        let inv = var.add_scalar(self.epsilon)?.rsqrt()?;
        if self.rms_scaling {
            let mut y = x.mul(&inv)?;
            if let Some(g) = &self.gamma {
                y = y.mul(&bc(g)?)?;
            }
            return Ok(vec![y]);
        }
        let mean = x.mean(&axes, true)?;
        let inv = match &self.gamma {
            Some(g) => inv.mul(&bc(g)?)?,
            None => inv,
        };
        let mut res = mean.mul(&inv)?.neg()?;
        if let Some(b) = &self.beta {
            res = res.add(&bc(b)?)?;
        }
        Ok(vec![x.mul(&inv)?.add(&res)?])
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
        c.insert("epsilon".into(), json!(self.epsilon));
        c.insert("rms_scaling".into(), json!(self.rms_scaling));
        self.affine.config(&mut c);
        Value::Object(c)
    }
}
