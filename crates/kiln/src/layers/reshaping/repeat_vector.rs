//! `RepeatVector`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, InputSpec, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::Result;

/// `keras.layers.RepeatVector`: `(batch, features)` to `(batch, n, features)`.
///
/// ```
/// use kiln::layers::{LayerRef, RepeatVector};
/// use kiln_tensor::{DType, Tensor};
/// let y = LayerRef::new(RepeatVector::new(3)).call(&Tensor::zeros(&[2, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[2, 3, 4]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct RepeatVector {
    base: LayerBase,
    n: usize,
}

impl RepeatVector {
    /// Repeat `n` times.
    pub fn new(n: usize) -> RepeatVector {
        let mut base = LayerBase::new("repeat_vector");
        base.input_spec = Some(vec![InputSpec::ndim(2)]);
        RepeatVector { base, n }
    }
}

common_builders!(RepeatVector);

layer_state!(RepeatVector, "RepeatVector");

impl Layer for RepeatVector {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "RepeatVector")?;
        let s = x.shape().to_vec();
        Ok(vec![x
            .expand_dims(1)?
            .broadcast_to(&[s[0], self.n, s[1]])?
            .contiguous()])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(Ok(vec![vec![
            s[0],
            Some(self.n),
            s.get(1).copied().flatten(),
        ]]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("n".into(), json!(self.n));
        Value::Object(c)
    }
}
