//! `Concatenate`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{fmt_shape, CallContext, Layer, LayerBase, LayerInput, LayerRef, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.Concatenate`: joins the inputs along `axis` (default -1); other axes
/// must match.
///
/// ```
/// use kiln::layers::{Concatenate, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let a = Tensor::zeros(&[2, 3], DType::F32);
/// let b = Tensor::zeros(&[2, 5], DType::F32);
/// let y = LayerRef::new(Concatenate::new()).call(&[a, b])?;
/// assert_eq!(y.shape(), &[2, 8]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Concatenate {
    base: LayerBase,
    axis: isize,
}

impl Concatenate {
    /// Concatenate on the last axis.
    pub fn new() -> Concatenate {
        Concatenate {
            base: LayerBase::new("concatenate"),
            axis: -1,
        }
    }

    /// Concatenate on `axis`.
    pub fn axis(mut self, axis: isize) -> Concatenate {
        self.axis = axis;
        self
    }

    fn out_shape(&self, shapes: &[Shape]) -> Result<Shape> {
        let err = |msg: String| Error::InvalidArgument {
            api: "Concatenate",
            msg,
        };
        let first = shapes
            .first()
            .ok_or_else(|| err("needs at least one input".into()))?;
        let rank = first.len() as isize;
        let axis = if self.axis < 0 {
            self.axis + rank
        } else {
            self.axis
        };
        if axis < 0 || axis >= rank {
            return Err(err(format!(
                "axis {} out of range for rank {rank}",
                self.axis
            )));
        }
        let axis = axis as usize;
        let mut out = first.clone();
        for s in &shapes[1..] {
            let compatible = s.len() == first.len()
                && s.iter()
                    .zip(&out)
                    .enumerate()
                    .all(|(i, (a, b))| i == axis || a.is_none() || b.is_none() || a == b);
            if !compatible {
                return Err(err(format!(
                    "a Concatenate layer requires inputs with matching shapes except for the \
                     concatenation axis {}; got shapes {}",
                    self.axis,
                    shapes
                        .iter()
                        .map(|s| fmt_shape(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            out[axis] = match (out[axis], s[axis]) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }
        Ok(out)
    }
}

impl Default for Concatenate {
    fn default() -> Self {
        Concatenate::new()
    }
}

common_builders!(Concatenate);

layer_state!(Concatenate, "Concatenate");

impl Layer for Concatenate {
    fn call_args(&self) -> crate::layers::CallArgs {
        crate::layers::CallArgs::List
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let shapes: Vec<Shape> = inputs.iter().map(crate::layers::shape_of).collect();
        self.out_shape(&shapes)?;
        let refs: Vec<&Tensor> = inputs.iter().collect();
        Ok(vec![Tensor::concat(&refs, self.axis)?])
    }
    fn supports_masking(&self) -> bool {
        true
    }
    /// Keras's rule: unmasked inputs count as all-true, lower-rank masks are broadcast over
    /// the input, the masks are concatenated on `axis` and reduced with `any` on the last
    /// axis.
    fn compute_mask(
        &self,
        inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        if masks.iter().all(|m| m.is_none()) {
            return Ok(vec![None]);
        }
        let mut full = Vec::with_capacity(inputs.len());
        for (i, x) in inputs.iter().enumerate() {
            let m = match masks.get(i).cloned().flatten() {
                None => Tensor::ones(x.shape(), kiln_tensor::DType::Bool),
                Some(m) if m.rank() < x.rank() => m.expand_dims(-1)?.broadcast_to(x.shape())?,
                Some(m) => m,
            };
            full.push(m);
        }
        let refs: Vec<&Tensor> = full.iter().collect();
        Ok(vec![Some(
            Tensor::concat(&refs, self.axis)?.any(&[-1], false)?,
        )])
    }
    fn compute_output_shape(&self, shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(self.out_shape(shapes).map(|s| vec![s]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("axis".into(), json!(self.axis));
        Value::Object(c)
    }
}

/// Functional form of [`Concatenate`] on the last axis.
///
/// ```
/// use kiln::layers::Input;
/// let y = kiln::layers::concatenate(&[Input::shape(&[2]), Input::shape(&[3])])?;
/// assert_eq!(y.shape(), &[None, Some(5)]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn concatenate<X: LayerInput>(inputs: X) -> Result<X::Output> {
    LayerRef::new(Concatenate::new()).call(inputs)
}
