//! `Embedding`: integer ids to dense vectors, optionally producing a padding mask.

use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Value};

use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::regularizers::Regularizer;
use crate::{Error, Result};

/// `keras.layers.Embedding(input_dim, output_dim)`: looks up rows of an `embeddings`
/// matrix `(input_dim, output_dim)` (initializer `uniform`, i.e. U(-0.05, 0.05)). With
/// `mask_zero(true)` id 0 is padding: the layer emits a mask (`ids != 0`) that later
/// layers (RNNs, attention, pooling) honour. Ids outside `[0, input_dim)` are an error.
///
/// ```
/// use kiln::layers::{Embedding, LayerRef};
/// use kiln_tensor::Tensor;
/// let emb = LayerRef::new(Embedding::new(100, 8));
/// let y = emb.call(&Tensor::from_vec(vec![1i32, 2, 3, 4, 5, 6], &[2, 3])?)?;
/// assert_eq!(y.shape(), &[2, 3, 8]);
/// assert!(emb.call(&Tensor::from_vec(vec![100i32], &[1, 1])?).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Embedding {
    base: LayerBase,
    input_dim: usize,
    output_dim: usize,
    mask_zero: bool,
    initializer: Initializer,
    regularizer: Option<Regularizer>,
    constraint: Option<Constraint>,
    embeddings: Option<Variable>,
}

impl Embedding {
    /// A vocabulary of `input_dim` ids embedded in `output_dim` dimensions.
    pub fn new(input_dim: usize, output_dim: usize) -> Embedding {
        Embedding {
            base: LayerBase::new("embedding"),
            input_dim,
            output_dim,
            mask_zero: false,
            initializer: Initializer::random_uniform(-0.05, 0.05),
            regularizer: None,
            constraint: None,
            embeddings: None,
        }
    }
    /// Whether id 0 is padding that produces a mask (default false).
    pub fn mask_zero(mut self, mask_zero: bool) -> Embedding {
        self.mask_zero = mask_zero;
        self
    }
    /// Initializer of the embeddings (default `uniform`).
    pub fn embeddings_initializer(mut self, init: impl Into<Initializer>) -> Embedding {
        self.initializer = init.into();
        self
    }
    /// Penalty on the embeddings.
    pub fn embeddings_regularizer(mut self, r: Regularizer) -> Embedding {
        self.regularizer = Some(r);
        self
    }
    /// Constraint on the embeddings.
    pub fn embeddings_constraint(mut self, c: Constraint) -> Embedding {
        self.constraint = Some(c);
        self
    }
    /// The embeddings variable, once built.
    pub fn embeddings(&self) -> Option<&Variable> {
        self.embeddings.as_ref()
    }

    fn ids(x: &Tensor) -> Result<Tensor> {
        Ok(match x.dtype() {
            DType::I32 | DType::I64 => x.clone(),
            _ => x.cast(DType::I32)?,
        })
    }
}

common_builders!(Embedding);
layer_state!(Embedding, "Embedding");

impl Layer for Embedding {
    fn build(&mut self, _shapes: &[Shape]) -> Result<()> {
        if self.input_dim == 0 || self.output_dim == 0 {
            return Err(Error::InvalidArgument {
                api: "Embedding",
                msg: format!(
                    "input_dim and output_dim must be positive, got input_dim={} output_dim={}",
                    self.input_dim, self.output_dim
                ),
            });
        }
        self.embeddings = Some(self.base.add_weight(
            "embeddings",
            &[self.input_dim, self.output_dim],
            &self.initializer,
            true,
            self.regularizer.clone(),
            self.constraint.clone(),
        )?);
        Ok(())
    }
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "Embedding")?;
        let e = self
            .embeddings
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument {
                api: "Embedding.call",
                msg: "layer is not built".into(),
            })?;
        let ids = Self::ids(x)?;
        e.value()
            .gather(&ids, 0)
            .map(|y| vec![y])
            .map_err(|err| Error::InvalidArgument {
                api: "Embedding.call",
                msg: format!(
                    "layer '{}' (input_dim={}): {err}",
                    self.base.name(),
                    self.input_dim
                ),
            })
    }
    fn supports_masking(&self) -> bool {
        self.mask_zero
    }
    fn compute_mask(
        &self,
        inputs: &[Tensor],
        _m: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        if !self.mask_zero {
            return Ok(vec![None]);
        }
        let ids = Self::ids(one_input(inputs, "Embedding")?)?;
        let zero = Tensor::zeros(&[], ids.dtype());
        Ok(vec![Some(ids.not_equal(&zero)?)])
    }
    fn compute_output_shape(&self, s: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let mut out = s.first()?.clone();
        out.push(Some(self.output_dim));
        Some(Ok(vec![out]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        let reg = self
            .regularizer
            .as_ref()
            .map(|r| r.get_config())
            .unwrap_or(Value::Null);
        let con = self
            .constraint
            .as_ref()
            .map(|r| r.get_config())
            .unwrap_or(Value::Null);
        c.insert("input_dim".into(), json!(self.input_dim));
        c.insert("output_dim".into(), json!(self.output_dim));
        c.insert(
            "embeddings_initializer".into(),
            self.initializer.get_config(),
        );
        c.insert("embeddings_regularizer".into(), reg);
        c.insert("activity_regularizer".into(), Value::Null);
        c.insert("embeddings_constraint".into(), con);
        c.insert("mask_zero".into(), json!(self.mask_zero));
        Value::Object(c)
    }
}
