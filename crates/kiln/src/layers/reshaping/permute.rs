//! `Permute`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// `keras.layers.Permute`: permutes the non-batch axes; `dims` counts from 1 (the batch
/// axis is 0 and stays first).
///
/// ```
/// use kiln::layers::{LayerRef, Permute};
/// use kiln_tensor::{DType, Tensor};
/// let y = LayerRef::new(Permute::new(&[2, 1])).call(&Tensor::zeros(&[5, 3, 4], DType::F32))?;
/// assert_eq!(y.shape(), &[5, 4, 3]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Permute {
    base: LayerBase,
    dims: Vec<usize>,
}

impl Permute {
    /// Permute with 1-based `dims`.
    pub fn new(dims: &[usize]) -> Permute {
        Permute {
            base: LayerBase::new("permute"),
            dims: dims.to_vec(),
        }
    }

    fn check(&self, rank: usize) -> Result<()> {
        let mut sorted = self.dims.clone();
        sorted.sort_unstable();
        if sorted != (1..=self.dims.len()).collect::<Vec<_>>() || rank != self.dims.len() + 1 {
            return Err(Error::InvalidArgument {
                api: "Permute",
                msg: format!(
                    "dims {:?} must be a permutation of 1..={} for inputs of rank {rank}",
                    self.dims,
                    rank.saturating_sub(1)
                ),
            });
        }
        Ok(())
    }
}

common_builders!(Permute);

layer_state!(Permute, "Permute");

impl Layer for Permute {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Permute")?;
        self.check(x.rank())?;
        let mut perm = vec![0usize];
        perm.extend(self.dims.iter().copied());
        Ok(vec![x.permute(&perm)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        if let Err(e) = self.check(s.len()) {
            return Some(Err(e));
        }
        let mut out = vec![s[0]];
        out.extend(self.dims.iter().map(|&d| s[d]));
        Some(Ok(vec![out]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("dims".into(), json!(self.dims));
        Value::Object(c)
    }
}
