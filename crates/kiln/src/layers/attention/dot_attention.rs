//! `Attention` (Luong, dot-product) and `AdditiveAttention` (Bahdanau).

use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Value};

use super::masks::causal_mask;
use crate::initializers::Initializer;
use crate::layers::layer::{fmt_shape, shape_of, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// How scores are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Score {
    Dot,
    Concat,
    Additive,
}

/// What `Attention` and `AdditiveAttention` share: inputs `[query, value]` or
/// `[query, value, key]`, Keras masks on query and value, causal masking, dropout on the
/// attention distribution, optional scores output.
struct Core {
    score: Score,
    use_scale: bool,
    dropout: f64,
    seed: Option<u64>,
    generator: Option<Generator>,
    use_causal_mask: bool,
    return_attention_scores: bool,
    scale: Option<Variable>,
    concat_score_weight: Option<Variable>,
}

impl Core {
    fn new(score: Score, use_scale: bool) -> Core {
        Core {
            score,
            use_scale,
            dropout: 0.0,
            seed: None,
            generator: None,
            use_causal_mask: false,
            return_attention_scores: false,
            scale: None,
            concat_score_weight: None,
        }
    }

    fn validate(class: &str, name: &str, shapes: &[Shape]) -> Result<()> {
        let fail = |msg: String| Error::InvalidArgument {
            api: "Attention",
            msg: format!("{class} '{name}': {msg}"),
        };
        if !(2..=3).contains(&shapes.len()) {
            return Err(fail(format!(
                "expects [query, value] or [query, value, key], got {} inputs",
                shapes.len()
            )));
        }
        let (q, v) = (&shapes[0], &shapes[1]);
        let k = shapes.get(2).unwrap_or(v);
        if q.len() != 3 || v.len() != 3 || k.len() != 3 {
            return Err(fail(format!(
                "query, value and key must be [batch, steps, dim], got {}, {} and {}",
                fmt_shape(q),
                fmt_shape(v),
                fmt_shape(k)
            )));
        }
        let dims_differ =
            |a: Option<usize>, b: Option<usize>| matches!((a, b), (Some(x), Some(y)) if x != y);
        if dims_differ(q[2], k[2]) {
            return Err(fail(format!(
                "query and key must have the same last dimension, got {} and {}",
                fmt_shape(q),
                fmt_shape(k)
            )));
        }
        if dims_differ(v[1], k[1]) {
            return Err(fail(format!(
                "value and key must have the same number of steps, got {} and {}",
                fmt_shape(v),
                fmt_shape(k)
            )));
        }
        Ok(())
    }

    fn scores(&self, q: &Tensor, k: &Tensor) -> Result<Tensor> {
        match self.score {
            Score::Dot => {
                let s = q.matmul_t(k, false, true)?;
                Ok(match &self.scale {
                    Some(w) => s.mul(&w.value())?,
                    None => s,
                })
            }
            Score::Concat | Score::Additive => {
                let sum = q.expand_dims(-2)?.add(&k.expand_dims(-3)?)?;
                match self.score {
                    Score::Concat => {
                        let inner = match &self.scale {
                            Some(w) => sum.mul(&w.value())?,
                            None => sum,
                        };
                        let c = self.concat_score_weight.as_ref().map(|w| w.value());
                        let t = inner.tanh()?.sum(&[-1], false)?;
                        Ok(match c {
                            Some(c) => t.mul(&c)?,
                            None => t,
                        })
                    }
                    _ => {
                        let t = sum.tanh()?;
                        let t = match &self.scale {
                            Some(w) => t.mul(&w.value())?,
                            None => t,
                        };
                        Ok(t.sum(&[-1], false)?)
                    }
                }
            }
        }
    }

    fn call(
        &mut self,
        class: &str,
        name: &str,
        inputs: &[Tensor],
        ctx: &CallContext,
    ) -> Result<Vec<Tensor>> {
        let shapes: Vec<Shape> = inputs.iter().map(shape_of).collect();
        Self::validate(class, name, &shapes)?;
        let (q, v) = (&inputs[0], &inputs[1]);
        let k = inputs.get(2).unwrap_or(v);
        let scores = self.scores(q, k)?;
        let v_mask = ctx.mask(1).map(|m| m.cast(DType::Bool)).transpose()?;
        let mut scores_mask = v_mask.map(|m| m.expand_dims(-2)).transpose()?;
        if self.use_causal_mask {
            let c = causal_mask(q.shape()[1], v.shape()[1])?;
            scores_mask = Some(match scores_mask {
                None => c,
                Some(m) => m.logical_and(&c)?,
            });
        }
        let scores = match &scores_mask {
            // Keras subtracts 1e9 from masked scores.
            Some(m) => Tensor::where_cond(m, &scores, &scores.sub_scalar(1e9)?)?,
            None => scores,
        };
        let weights = scores.softmax(-1)?;
        let applied = if ctx.training && self.dropout > 0.0 {
            weights.dropout(self.dropout, self.generator.as_mut())?
        } else {
            weights.clone()
        };
        let mut out = applied.matmul(v)?;
        if let Some(qm) = ctx.mask(0) {
            let qm = qm.cast(DType::Bool)?.expand_dims(-1)?;
            out = Tensor::where_cond(&qm, &out, &Tensor::zeros(&[], out.dtype()))?;
        }
        Ok(if self.return_attention_scores {
            vec![out, weights]
        } else {
            vec![out]
        })
    }

    fn output_shapes(&self, shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let q = shapes.first()?;
        let v = shapes.get(1)?;
        let mut out = q.clone();
        if let (Some(last), Some(vd)) = (out.last_mut(), v.last()) {
            *last = *vd;
        }
        if self.return_attention_scores {
            let s = vec![
                q.first().copied().flatten(),
                q.get(1).copied().flatten(),
                v.get(1).copied().flatten(),
            ];
            Some(Ok(vec![out, s]))
        } else {
            Some(Ok(vec![out]))
        }
    }

    fn config(&self, c: &mut serde_json::Map<String, Value>) {
        c.insert("use_scale".into(), json!(self.use_scale));
        if self.score != Score::Additive {
            let mode = if self.score == Score::Dot {
                "dot"
            } else {
                "concat"
            };
            c.insert("score_mode".into(), json!(mode));
        }
        c.insert("dropout".into(), json!(self.dropout));
        c.insert("seed".into(), json!(self.seed));
    }
}

/// `keras.layers.Attention(use_scale=False, score_mode="dot", dropout=0.0)`: dot-product
/// (Luong) attention. Inputs `[query [B, Tq, dim], value [B, Tv, dim]]` or with a key;
/// output `[B, Tq, dim]`. Keras masks on the query (zeroes those rows of the output) and on
/// the value (excluded from the softmax) are honoured. `score_mode("concat")` uses
/// `sum(tanh(scale * (q + k)))`. Keras's call options are layer settings:
/// [`use_causal_mask`](Attention::use_causal_mask) and
/// [`return_attention_scores`](Attention::return_attention_scores) (a second output).
///
/// ```
/// use kiln::layers::{Attention, LayerRef};
/// use kiln_tensor::Tensor;
/// let att = LayerRef::new(Attention::new());
/// let q = Tensor::from_vec(vec![1.0f32, 0.0], &[1, 1, 2])?;
/// let v = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[1, 2, 2])?;
/// let y = att.call(&[q, v][..])?;
/// let w = 1.0f32.exp() / (1.0f32.exp() + 1.0);
/// let got = y.to_vec::<f32>()?;
/// assert!((got[0] - w).abs() < 1e-6 && (got[1] - (1.0 - w)).abs() < 1e-6);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Attention {
    base: LayerBase,
    core: Core,
}

impl Attention {
    /// Dot-product attention with Keras's defaults.
    pub fn new() -> Attention {
        Attention {
            base: LayerBase::new("attention"),
            core: Core::new(Score::Dot, false),
        }
    }
    /// Whether a trainable scalar scales the scores (default false).
    pub fn use_scale(mut self, s: bool) -> Self {
        self.core.use_scale = s;
        self
    }
    /// `"dot"` (default) or `"concat"`; anything else is an error.
    pub fn score_mode(mut self, mode: &str) -> Result<Self> {
        self.core.score = match mode {
            "dot" => Score::Dot,
            "concat" => Score::Concat,
            other => {
                return Err(Error::InvalidArgument {
                    api: "Attention",
                    msg: format!("score_mode must be 'dot' or 'concat', got '{other}'"),
                })
            }
        };
        Ok(self)
    }
    /// Dropout rate on the attention distribution (training only).
    pub fn dropout(mut self, rate: f64) -> Self {
        self.core.dropout = rate;
        self
    }
    /// Seed of the dropout.
    pub fn seed(mut self, seed: u64) -> Self {
        self.core.seed = Some(seed);
        self.core.generator = Some(Generator::from_seed(seed));
        self
    }
    /// Keras's `use_causal_mask=True` call argument.
    pub fn use_causal_mask(mut self, c: bool) -> Self {
        self.core.use_causal_mask = c;
        self
    }
    /// Keras's `return_attention_scores=True`: a second output `[B, Tq, Tv]`.
    pub fn return_attention_scores(mut self, r: bool) -> Self {
        self.core.return_attention_scores = r;
        self
    }
}

impl Default for Attention {
    fn default() -> Self {
        Attention::new()
    }
}

/// `keras.layers.AdditiveAttention(use_scale=True, dropout=0.0)`: Bahdanau attention,
/// scores `sum(scale * tanh(q + k))` with a trainable `scale` of shape `(dim,)`
/// (glorot_uniform). Inputs, masks and options as [`Attention`].
///
/// ```
/// use kiln::layers::{AdditiveAttention, LayerRef};
/// use kiln_tensor::{DType, Tensor};
/// let att = LayerRef::new(AdditiveAttention::new());
/// let q = Tensor::ones(&[2, 3, 4], DType::F32);
/// let v = Tensor::ones(&[2, 5, 4], DType::F32);
/// assert_eq!(att.call(&[q, v][..])?.shape(), &[2, 3, 4]);
/// assert_eq!(att.count_params(), 4);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct AdditiveAttention {
    base: LayerBase,
    core: Core,
}

impl AdditiveAttention {
    /// Additive attention with Keras's defaults.
    pub fn new() -> AdditiveAttention {
        AdditiveAttention {
            base: LayerBase::new("additive_attention"),
            core: Core::new(Score::Additive, true),
        }
    }
    /// Whether the trainable `scale` vector is used (default true).
    pub fn use_scale(mut self, s: bool) -> Self {
        self.core.use_scale = s;
        self
    }
    /// Dropout rate on the attention distribution (training only).
    pub fn dropout(mut self, rate: f64) -> Self {
        self.core.dropout = rate;
        self
    }
    /// Seed of the dropout.
    pub fn seed(mut self, seed: u64) -> Self {
        self.core.seed = Some(seed);
        self.core.generator = Some(Generator::from_seed(seed));
        self
    }
    /// Keras's `use_causal_mask=True` call argument.
    pub fn use_causal_mask(mut self, c: bool) -> Self {
        self.core.use_causal_mask = c;
        self
    }
    /// Keras's `return_attention_scores=True`: a second output `[B, Tq, Tv]`.
    pub fn return_attention_scores(mut self, r: bool) -> Self {
        self.core.return_attention_scores = r;
        self
    }
}

impl Default for AdditiveAttention {
    fn default() -> Self {
        AdditiveAttention::new()
    }
}

common_builders!(Attention);
common_builders!(AdditiveAttention);
layer_state!(Attention, "Attention");
layer_state!(AdditiveAttention, "AdditiveAttention");

macro_rules! attention_layer {
    ($t:ty, $class:expr) => {
        impl Layer for $t {
            fn call_args(&self) -> $crate::layers::CallArgs {
                $crate::layers::CallArgs::List
            }
            fn build(&mut self, shapes: &[Shape]) -> Result<()> {
                Core::validate($class, self.base.name(), shapes)?;
                if self.core.use_scale {
                    self.core.scale = Some(if self.core.score == Score::Additive {
                        let dim = shapes[0][2].ok_or_else(|| Error::InvalidArgument {
                            api: "AdditiveAttention.build",
                            msg: format!(
                                "the query's last dimension must be known, got {}",
                                fmt_shape(&shapes[0])
                            ),
                        })?;
                        self.base.add_weight(
                            "scale",
                            &[dim],
                            &Initializer::GlorotUniform(None),
                            true,
                            None,
                            None,
                        )?
                    } else {
                        self.base
                            .add_weight("scale", &[], &Initializer::Ones, true, None, None)?
                    });
                }
                if self.core.score == Score::Concat {
                    self.core.concat_score_weight = Some(self.base.add_weight(
                        "concat_score_weight",
                        &[],
                        &Initializer::Ones,
                        true,
                        None,
                        None,
                    )?);
                }
                Ok(())
            }
            fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
                let name = self.base.name().to_string();
                self.core.call($class, &name, inputs, ctx)
            }
            fn supports_masking(&self) -> bool {
                true
            }
            fn compute_mask(
                &self,
                _inputs: &[Tensor],
                masks: &[Option<Tensor>],
            ) -> Result<Vec<Option<Tensor>>> {
                Ok(vec![masks.first().cloned().flatten(), None])
            }
            fn compute_output_shape(&self, shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
                self.core.output_shapes(shapes)
            }
            fn get_config(&self) -> Value {
                let mut c = self.base.base_config();
                self.core.config(&mut c);
                Value::Object(c)
            }
        }
    };
}

attention_layer!(Attention, "Attention");
attention_layer!(AdditiveAttention, "AdditiveAttention");
