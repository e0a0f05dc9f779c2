//! `CategoryEncoding`, and the categorical encoding `Discretization` shares with it.

use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// How integer ids are encoded (`output_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryOutput {
    /// One vector per sample with a 1 at every id present (`"multi_hot"`, Keras's default).
    MultiHot,
    /// One vector per id (`"one_hot"`); a trailing axis of size 1 is replaced.
    OneHot,
    /// How often each id occurs per sample (`"count"`).
    Count,
}

impl CategoryOutput {
    /// Parses Keras's names (`"binary"` is the deprecated spelling of multi_hot).
    pub(crate) fn parse(api: &'static str, s: &str) -> Result<CategoryOutput> {
        Ok(match s {
            "multi_hot" | "binary" => CategoryOutput::MultiHot,
            "one_hot" => CategoryOutput::OneHot,
            "count" => CategoryOutput::Count,
            other => {
                return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "unknown output_mode {other:?} (expected \"multi_hot\", \"one_hot\" or \"count\")"
                    ),
                })
            }
        })
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            CategoryOutput::MultiHot => "multi_hot",
            CategoryOutput::OneHot => "one_hot",
            CategoryOutput::Count => "count",
        }
    }
}

/// Keras's `encode_categorical_inputs` for ids in `[0, depth)` (checked: an id outside
/// is an error where TensorFlow would silently drop it). Scalars count as one sample;
/// multi_hot and count reduce axis 1 of rank >= 2 inputs (the whole vector of a rank-1
/// input); one_hot appends the depth axis, replacing a trailing axis of size 1.
pub(crate) fn encode(
    api: &'static str,
    ids: &Tensor,
    mode: CategoryOutput,
    depth: usize,
) -> Result<Tensor> {
    let values: Vec<i64> = ids.cast(DType::I64)?.to_vec::<i64>()?;
    if let Some(&bad) = values.iter().find(|&&v| v < 0 || v >= depth as i64) {
        return Err(Error::InvalidArgument {
            api,
            msg: format!(
                "input id {bad} is outside [0, {depth}) (num_tokens={depth}); inputs of shape {:?}",
                ids.shape()
            ),
        });
    }
    let mut shape = ids.shape().to_vec();
    if shape.is_empty() {
        shape.push(1);
    }
    if mode == CategoryOutput::OneHot {
        if shape.len() > 1 && shape[shape.len() - 1] == 1 {
            shape.pop();
        }
        let mut out = vec![0.0f32; values.len() * depth];
        for (i, &v) in values.iter().enumerate() {
            out[i * depth + v as usize] = 1.0;
        }
        shape.push(depth);
        return Ok(Tensor::from_vec(out, &shape)?);
    }
    // Reduce axis 1 (axis 0 for rank 1): out shape = shape without that axis + depth.
    let axis = if shape.len() > 1 { 1 } else { 0 };
    let outer: usize = shape[..axis].iter().product();
    let len = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out = vec![0.0f32; outer * inner * depth];
    for o in 0..outer {
        for t in 0..len {
            for k in 0..inner {
                let v = values[(o * len + t) * inner + k] as usize;
                let slot = &mut out[(o * inner + k) * depth + v];
                *slot = if mode == CategoryOutput::Count {
                    *slot + 1.0
                } else {
                    1.0
                };
            }
        }
    }
    let mut out_shape: Vec<usize> = shape[..axis].to_vec();
    out_shape.extend_from_slice(&shape[axis + 1..]);
    out_shape.push(depth);
    Ok(Tensor::from_vec(out, &out_shape)?)
}

/// The static output shape of [`encode`].
pub(crate) fn encoded_shape(input: &Shape, mode: CategoryOutput, depth: usize) -> Shape {
    let mut s = input.clone();
    if s.is_empty() {
        return vec![Some(depth)];
    }
    match mode {
        CategoryOutput::OneHot => {
            if s.len() > 1 && s[s.len() - 1] == Some(1) {
                s.pop();
            }
        }
        _ => {
            s.remove(if s.len() > 1 { 1 } else { 0 });
        }
    }
    s.push(Some(depth));
    s
}

/// `keras.layers.CategoryEncoding(num_tokens, output_mode="multi_hot")`: integer ids in
/// `[0, num_tokens)` to multi-hot, one-hot or count vectors (f32). Ids outside the range
/// are an error (TensorFlow drops them silently). `count_weights` and `sparse=True` are
/// not supported.
///
/// ```
/// use kiln::layers::{CategoryEncoding, LayerRef};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(CategoryEncoding::new(4).output_mode("count")?);
/// let y = l.call(&Tensor::from_vec(vec![0i32, 1, 1, 3, 2, 2], &[2, 3])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 2.0, 1.0]);
/// assert!(l.call(&Tensor::from_vec(vec![4i32], &[1, 1])?).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct CategoryEncoding {
    base: LayerBase,
    num_tokens: usize,
    mode: CategoryOutput,
}

impl CategoryEncoding {
    /// Ids in `[0, num_tokens)`, multi-hot output.
    pub fn new(num_tokens: usize) -> CategoryEncoding {
        CategoryEncoding {
            base: LayerBase::new("category_encoding"),
            num_tokens,
            mode: CategoryOutput::MultiHot,
        }
    }
    /// `"multi_hot"` (default), `"one_hot"` or `"count"`.
    pub fn output_mode(mut self, mode: &str) -> Result<Self> {
        self.mode = CategoryOutput::parse("CategoryEncoding", mode)?;
        Ok(self)
    }
}

common_builders!(CategoryEncoding);
layer_state!(CategoryEncoding, "CategoryEncoding");

impl Layer for CategoryEncoding {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        let x = one_input(inputs, "CategoryEncoding")?;
        if self.num_tokens == 0 {
            return Err(Error::InvalidArgument {
                api: "CategoryEncoding",
                msg: "num_tokens must be >= 1, got 0".into(),
            });
        }
        Ok(vec![encode(
            "CategoryEncoding",
            x,
            self.mode,
            self.num_tokens,
        )?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(Ok(vec![encoded_shape(s, self.mode, self.num_tokens)]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        c.insert("num_tokens".into(), json!(self.num_tokens));
        c.insert("output_mode".into(), json!(self.mode.name()));
        c.insert("sparse".into(), json!(false));
        Value::Object(c)
    }
}
