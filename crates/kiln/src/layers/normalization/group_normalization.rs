//! `GroupNormalization`.

use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Value};

use super::common::{affine_builders, known_dim, not_built, resolve_axis, AffineOptions};
use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.GroupNormalization`: splits the channels of `axis` into `groups` and
/// normalizes each sample over each group (and all other non-batch axes); `groups = -1`
/// is instance normalization (one channel per group), `groups = 1` normalizes over all
/// channels like LayerNormalization over every axis. `gamma`/`beta` are per channel.
///
/// ```
/// use kiln::layers::{GroupNormalization, LayerRef};
/// use kiln_tensor::Tensor;
/// let gn = LayerRef::new(GroupNormalization::new(2).epsilon(0.0));
/// let x = Tensor::from_vec(vec![1.0f32, 3.0, 10.0, 20.0], &[1, 1, 4])?;
/// assert_eq!(gn.call(&x)?.to_vec::<f32>()?, vec![-1.0, 1.0, -1.0, 1.0]);
/// // 4 channels do not split into 3 groups.
/// assert!(LayerRef::new(GroupNormalization::new(3)).call(&x).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct GroupNormalization {
    base: LayerBase,
    groups: i64,
    axis: isize,
    epsilon: f64,
    affine: AffineOptions,
    resolved: Option<(usize, usize)>,
    gamma: Option<Variable>,
    beta: Option<Variable>,
}

impl GroupNormalization {
    /// `groups` channel groups (Keras's default is 32; -1 for instance normalization).
    pub fn new(groups: i64) -> GroupNormalization {
        GroupNormalization {
            base: LayerBase::new("group_normalization"),
            groups,
            axis: -1,
            epsilon: 1e-3,
            affine: AffineOptions::default(),
            resolved: None,
            gamma: None,
            beta: None,
        }
    }
    /// The channel axis (default -1).
    pub fn axis(mut self, axis: isize) -> Self {
        self.axis = axis;
        self
    }
    /// Added to the variance before the square root (default 1e-3).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }
    pub(crate) fn set_affine(mut self, affine: AffineOptions) -> Self {
        self.affine = affine;
        self
    }
}

common_builders!(GroupNormalization);
affine_builders!(GroupNormalization);
layer_state!(GroupNormalization, "GroupNormalization");

impl Layer for GroupNormalization {
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        let api = "GroupNormalization";
        if self.groups == 0 || self.groups < -1 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "groups must be a positive integer (or -1 for instance normalization), got {}",
                    self.groups
                ),
            });
        }
        let shape = input_shapes.first().ok_or_else(|| not_built(api))?;
        let axis = resolve_axis(api, self.axis, shape)?;
        let dim = known_dim(api, shape, axis)?;
        let groups = if self.groups == -1 {
            dim
        } else {
            self.groups as usize
        };
        if dim < groups {
            return Err(Error::InvalidArgument {
                api,
                msg: format!("number of groups ({groups}) cannot be more than the number of channels ({dim})"),
            });
        }
        if !dim.is_multiple_of(groups) {
            return Err(Error::InvalidArgument {
                api,
                msg: format!("number of groups ({groups}) must be a multiple of the number of channels ({dim})"),
            });
        }
        let (gamma, beta) = self.affine.add_weights(&mut self.base, &[dim], true)?;
        self.gamma = gamma;
        self.beta = beta;
        self.resolved = Some((axis, groups));
        self.base.input_spec = Some(vec![InputSpec::ndim(shape.len()).with_axis(self.axis, dim)]);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let api = "GroupNormalization";
        let x = one_input(inputs, api)?;
        let (axis, groups) = self.resolved.ok_or_else(|| not_built(api))?;
        let shape = x.shape().to_vec();
        let dim = shape[axis];
        // (..., groups, dim / groups, ...) with the group axis where the channels were.
        let mut gshape: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
        gshape[axis] = (dim / groups) as isize;
        gshape.insert(axis, groups as isize);
        let xg = x.reshape(&gshape)?;
        let reduce: Vec<isize> = (1..gshape.len() as isize)
            .filter(|&a| a as usize != axis)
            .collect();
        let mean = xg.mean(&reduce, true)?;
        let var = xg.variance(&reduce, true)?;
        let mut bshape = vec![1isize; gshape.len()];
        bshape[axis] = groups as isize;
        bshape[axis + 1] = (dim / groups) as isize;
        let mut inv = var.add_scalar(self.epsilon)?.rsqrt()?;
        if let Some(g) = &self.gamma {
            inv = inv.mul(&g.value().reshape(&bshape)?)?;
        }
        let mut res = mean.mul(&inv)?.neg()?;
        if let Some(b) = &self.beta {
            res = res.add(&b.value().reshape(&bshape)?)?;
        }
        let y = xg.mul(&inv)?.add(&res)?;
        let back: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
        Ok(vec![y.reshape(&back)?])
    }

    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(Ok(input_shapes.to_vec()))
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("groups".into(), json!(self.groups));
        c.insert("axis".into(), json!(self.axis));
        c.insert("epsilon".into(), json!(self.epsilon));
        self.affine.config(&mut c);
        Value::Object(c)
    }
}
