//! `UnitNormalization`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use super::common::resolve_axis;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::Result;

/// `keras.layers.UnitNormalization`: scales each sample to unit L2 norm over `axis`:
/// `x * min(rsqrt(sum(x^2)), 1e12)` (Keras's `ops.normalize` with epsilon 1e-12).
///
/// ```
/// use kiln::layers::{UnitNormalization, LayerRef};
/// use kiln_tensor::Tensor;
/// let u = LayerRef::new(UnitNormalization::new());
/// let x = Tensor::from_vec(vec![3.0f32, 4.0], &[1, 2])?;
/// assert_eq!(u.call(&x)?.to_vec::<f32>()?, vec![0.6, 0.8]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct UnitNormalization {
    base: LayerBase,
    axes: Vec<isize>,
    axis_is_list: bool,
}

impl Default for UnitNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl UnitNormalization {
    /// Normalizes over the last axis.
    pub fn new() -> UnitNormalization {
        UnitNormalization {
            base: LayerBase::new("unit_normalization"),
            axes: vec![-1],
            axis_is_list: false,
        }
    }
    /// Normalizes over one axis.
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
}

common_builders!(UnitNormalization);
layer_state!(UnitNormalization, "UnitNormalization");

impl Layer for UnitNormalization {
    fn supports_masking(&self) -> bool {
        true
    }
    fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
        if let Some(shape) = input_shapes.first() {
            for &a in &self.axes {
                resolve_axis("UnitNormalization", a, shape)?;
            }
        }
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "UnitNormalization")?;
        let inv = x.square()?.sum(&self.axes, true)?.rsqrt()?;
        let inv = inv.minimum(&Tensor::scalar_of(1e12, inv.dtype()))?;
        Ok(vec![x.mul(&inv)?])
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
        Value::Object(c)
    }
}
