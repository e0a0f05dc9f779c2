//! `BatchNormalization`.

use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Value};

use super::common::{
    affine_builders, broadcast_shape, known_dim, not_built, resolve_axis, AffineOptions,
};
use crate::initializers::Initializer;
use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.BatchNormalization`: normalizes each feature of `axis` with the batch's
/// mean and (biased) variance in training, updating the moving statistics as
/// `moving = moving * momentum + batch * (1 - momentum)`; in inference (or when the layer
/// is frozen with `trainable = false`, as in Keras 3) it uses the moving statistics.
/// Output: `(x - mean) / sqrt(var + epsilon) * gamma + beta`.
///
/// Weights, in Keras's order: `gamma` (if `scale`), `beta` (if `center`), `moving_mean`,
/// `moving_variance` (the last two non-trainable). Not supported yet (an error at build):
/// `renorm=true` and `synchronized=true`.
///
/// ```
/// use kiln::layers::{BatchNormalization, LayerRef};
/// use kiln_tensor::Tensor;
/// let bn = LayerRef::new(BatchNormalization::new().momentum(0.5).epsilon(0.0));
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2, 1])?;
/// let y = bn.call_training(&x, true)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![-1.0, 1.0]);
/// // moving_mean = 0 * 0.5 + 2 * 0.5, moving_variance = 1 * 0.5 + 1 * 0.5
/// let w = bn.get_weights();
/// assert_eq!(w[2].to_vec::<f32>()?, vec![1.0]);
/// assert_eq!(w[3].to_vec::<f32>()?, vec![1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct BatchNormalization {
    base: LayerBase,
    axis: isize,
    momentum: f64,
    epsilon: f64,
    affine: AffineOptions,
    moving_mean_initializer: Initializer,
    moving_variance_initializer: Initializer,
    renorm: bool,
    synchronized: bool,
    resolved_axis: usize,
    gamma: Option<Variable>,
    beta: Option<Variable>,
    moving_mean: Option<Variable>,
    moving_variance: Option<Variable>,
}

impl Default for BatchNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchNormalization {
    /// Keras's defaults: `axis=-1, momentum=0.99, epsilon=1e-3, center, scale`.
    pub fn new() -> BatchNormalization {
        BatchNormalization {
            base: LayerBase::new("batch_normalization"),
            axis: -1,
            momentum: 0.99,
            epsilon: 1e-3,
            affine: AffineOptions::default(),
            moving_mean_initializer: Initializer::Zeros,
            moving_variance_initializer: Initializer::Ones,
            renorm: false,
            synchronized: false,
            resolved_axis: 0,
            gamma: None,
            beta: None,
            moving_mean: None,
            moving_variance: None,
        }
    }
    /// The feature axis (default -1, channels last).
    pub fn axis(mut self, axis: isize) -> Self {
        self.axis = axis;
        self
    }
    /// Momentum of the moving averages (default 0.99).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }
    /// Added to the variance before the square root (default 1e-3).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }
    /// Initializer of `moving_mean` (default zeros).
    pub fn moving_mean_initializer(mut self, init: impl Into<Initializer>) -> Self {
        self.moving_mean_initializer = init.into();
        self
    }
    /// Initializer of `moving_variance` (default ones).
    pub fn moving_variance_initializer(mut self, init: impl Into<Initializer>) -> Self {
        self.moving_variance_initializer = init.into();
        self
    }
    /// Batch renormalization: not supported yet, `true` makes `build` fail.
    pub fn renorm(mut self, renorm: bool) -> Self {
        self.renorm = renorm;
        self
    }
    /// Cross-replica statistics: not supported (single device), `true` makes `build` fail.
    pub fn synchronized(mut self, synchronized: bool) -> Self {
        self.synchronized = synchronized;
        self
    }
    pub(crate) fn set_affine(mut self, affine: AffineOptions) -> Self {
        self.affine = affine;
        self
    }
}

common_builders!(BatchNormalization);
affine_builders!(BatchNormalization);
layer_state!(BatchNormalization, "BatchNormalization");

impl Layer for BatchNormalization {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "BatchNormalization";
        if self.renorm || self.synchronized {
            return Err(Error::InvalidArgument {
                api,
                msg: "renorm=true and synchronized=true are not supported yet".into(),
            });
        }
        let shape = input_shapes.first().ok_or_else(|| not_built(api))?;
        let axis = resolve_axis(api, self.axis, shape)?;
        let dim = known_dim(api, shape, axis)?;
        self.resolved_axis = axis;
        let (gamma, beta) = self.affine.add_weights(&mut self.base, &[dim], true)?;
        self.gamma = gamma;
        self.beta = beta;
        self.moving_mean = Some(self.base.add_weight(
            "moving_mean",
            &[dim],
            &self.moving_mean_initializer,
            false,
            None,
            None,
        )?);
        self.moving_variance = Some(self.base.add_weight(
            "moving_variance",
            &[dim],
            &self.moving_variance_initializer,
            false,
            None,
            None,
        )?);
        // Keras keeps every BatchNormalization weight out of autocasting: the layer
        // computes in float32 under mixed precision.
        for v in [
            &self.gamma,
            &self.beta,
            &self.moving_mean,
            &self.moving_variance,
        ]
        .into_iter()
        .flatten()
        {
            v.set_autocast(false);
        }
        self.base.input_spec = Some(vec![InputSpec::ndim(shape.len()).with_axis(self.axis, dim)]);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = "BatchNormalization";
        let x = one_input(inputs, api)?;
        let (mm, mv) = match (&self.moving_mean, &self.moving_variance) {
            (Some(m), Some(v)) => (m.clone(), v.clone()),
            _ => return Err(not_built(api)),
        };
        // float16/bfloat16 inputs are normalized in float32 (Keras: BN overflows in
        // half precision) and the output returns to the compute dtype.
        let var_dtype = mm.value().dtype();
        let dtype = match x.dtype() {
            DType::F16 | DType::BF16 => DType::F32,
            _ if matches!(var_dtype, DType::F16 | DType::BF16) => DType::F32,
            _ => var_dtype,
        };
        let out_dtype = match x.dtype() {
            DType::F16 | DType::BF16 => x.dtype(),
            _ => self.base.compute_dtype(),
        };
        let read = |v: &kiln_tensor::Variable| v.value().cast(dtype);
        let x = x.cast(dtype)?;
        let rank = x.rank();
        let axis = self.resolved_axis;
        if axis >= rank {
            return Err(not_built(api));
        }
        let dim = x.shape()[axis];
        let bshape = broadcast_shape(rank, &[axis], &[dim]);
        let reduce: Vec<isize> = (0..rank as isize).filter(|&a| a as usize != axis).collect();
        let last = axis + 1 == rank;
        let as_b = |t: Tensor| -> Result<Tensor> { Ok(if last { t } else { t.reshape(&bshape)? }) };
        let (mean, var) = if ctx.training && self.base.trainable() {
            let mean = x.mean(&reduce, false)?;
            let var = x.variance(&reduce, false)?;
            {
                // The moving statistics are state, not part of the differentiated graph.
                let _pause = kiln_tensor::autodiff::no_recording();
                let m = self.momentum;
                let new_mm = read(&mm)?.mul_scalar(m)?.add(&mean.mul_scalar(1.0 - m)?)?;
                let new_mv = read(&mv)?.mul_scalar(m)?.add(&var.mul_scalar(1.0 - m)?)?;
                mm.assign(&new_mm.cast(var_dtype)?)?;
                mv.assign(&new_mv.cast(var_dtype)?)?;
            }
            (mean, var)
        } else {
            (read(&mm)?, read(&mv)?)
        };
        // tf.nn.batch_normalization: inv = rsqrt(var + eps) * gamma; x * inv + (beta - mean * inv)
        let mut inv = var.add_scalar(self.epsilon)?.rsqrt()?;
        if let Some(g) = &self.gamma {
            inv = inv.mul(&read(g)?)?;
        }
        let mut shift = mean.mul(&inv)?.neg()?;
        if let Some(b) = &self.beta {
            shift = shift.add(&read(b)?)?;
        }
        let y = x.mul(&as_b(inv)?)?.add(&as_b(shift)?)?;
        Ok(vec![y.cast(out_dtype)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("axis".into(), json!(self.axis));
        c.insert("momentum".into(), json!(self.momentum));
        c.insert("epsilon".into(), json!(self.epsilon));
        self.affine.config(&mut c);
        c.insert(
            "moving_mean_initializer".into(),
            self.moving_mean_initializer.get_config(),
        );
        c.insert(
            "moving_variance_initializer".into(),
            self.moving_variance_initializer.get_config(),
        );
        c.insert("synchronized".into(), json!(self.synchronized));
        c.insert("renorm".into(), json!(self.renorm));
        c.insert("renorm_clipping".into(), Value::Null);
        c.insert("renorm_momentum".into(), json!(0.99));
        Value::Object(c)
    }
}
