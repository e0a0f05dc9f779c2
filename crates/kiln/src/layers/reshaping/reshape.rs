//! `Reshape`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{fmt_shape, one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.Reshape`: reshapes each sample to `target_shape` (one entry may be -1).
///
/// ```
/// use kiln::layers::{LayerRef, Reshape};
/// use kiln_tensor::{DType, Tensor};
/// let y = LayerRef::new(Reshape::new(&[-1, 4])).call(&Tensor::zeros(&[3, 8], DType::F32))?;
/// assert_eq!(y.shape(), &[3, 2, 4]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Reshape {
    base: LayerBase,
    target_shape: Vec<isize>,
}

impl Reshape {
    /// Reshape to `target_shape` (without the batch axis).
    pub fn new(target_shape: &[isize]) -> Reshape {
        Reshape {
            base: LayerBase::new("reshape"),
            target_shape: target_shape.to_vec(),
        }
    }

    fn resolve(&self, input: &[Option<usize>]) -> Result<Shape> {
        let known: Option<usize> = input[1.min(input.len())..]
            .iter()
            .try_fold(1usize, |a, d| d.map(|d| a * d));
        let unknowns = self.target_shape.iter().filter(|&&d| d == -1).count();
        if unknowns > 1 || self.target_shape.iter().any(|&d| d < -1 || d == 0) {
            return Err(Error::InvalidArgument {
                api: "Reshape",
                msg: format!(
                    "target_shape {:?} may hold positive sizes and at most one -1",
                    self.target_shape
                ),
            });
        }
        let fixed: usize = self
            .target_shape
            .iter()
            .filter(|&&d| d > 0)
            .map(|&d| d as usize)
            .product();
        let mut out: Shape = vec![input.first().copied().flatten()];
        for &d in &self.target_shape {
            if d == -1 {
                out.push(match known {
                    Some(n) if n % fixed == 0 => Some(n / fixed),
                    Some(_) => {
                        return Err(Error::InvalidArgument {
                            api: "Reshape",
                            msg: format!(
                                "cannot reshape input of shape {} to {:?}",
                                fmt_shape(input),
                                self.target_shape
                            ),
                        })
                    }
                    None => None,
                });
            } else {
                out.push(Some(d as usize));
            }
        }
        if unknowns == 0
            && let Some(n) = known
            && n != fixed
        {
            return Err(Error::InvalidArgument {
                api: "Reshape",
                msg: format!(
                    "total size of the new shape {:?} ({fixed}) must equal the input's \
                     {n} (input shape {})",
                    self.target_shape,
                    fmt_shape(input)
                ),
            });
        }
        Ok(out)
    }
}

common_builders!(Reshape);

layer_state!(Reshape, "Reshape");

impl Layer for Reshape {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Reshape")?;
        let s = self.resolve(&crate::layers::shape_of(x))?;
        let dims: Vec<isize> = s
            .iter()
            .map(|d| d.map(|d| d as isize).unwrap_or(-1))
            .collect();
        Ok(vec![x.reshape(&dims)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        Some(self.resolve(input_shapes.first()?).map(|s| vec![s]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("target_shape".into(), json!(self.target_shape));
        Value::Object(c)
    }
}
