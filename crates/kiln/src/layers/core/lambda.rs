//! `Lambda`: a layer from a closure.

use std::sync::Arc;

use kiln_tensor::Tensor;

use crate::layers::layer::{CallContext, Layer, LayerBase};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

type LambdaFn = Arc<dyn Fn(&[Tensor]) -> Result<Tensor> + Send + Sync>;

/// `keras.layers.Lambda`: wraps a function of the input(s). Its output shape is found
/// by running it (it has no weights). Lambda layers are not serialisable to a config.
///
/// ```
/// use kiln::layers::{Lambda, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let double = LayerRef::new(Lambda::new(|x| Ok(x.mul_scalar(2.0)?)));
/// let y = double.call(&Tensor::ones(&[1, 2], DType::F32))?;
/// assert_eq!(y.to_vec::<f32>()?, vec![2.0, 2.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Lambda {
    base: LayerBase,
    f: LambdaFn,
}

impl Lambda {
    /// A layer applying `f` to its single input.
    pub fn new(f: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static) -> Lambda {
        Lambda {
            base: LayerBase::new("lambda"),
            f: Arc::new(move |xs: &[Tensor]| match xs {
                [x] => f(x),
                _ => Err(Error::InvalidArgument {
                    api: "Lambda.call",
                    msg: format!("expects 1 input, got {} (use Lambda::multi)", xs.len()),
                }),
            }),
        }
    }

    /// A layer applying `f` to all its inputs.
    pub fn multi(f: impl Fn(&[Tensor]) -> Result<Tensor> + Send + Sync + 'static) -> Lambda {
        Lambda {
            base: LayerBase::new("lambda"),
            f: Arc::new(f),
        }
    }
}

common_builders!(Lambda);

layer_state!(Lambda, "Lambda");

impl Layer for Lambda {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(vec![(self.f)(inputs)?])
    }
}
