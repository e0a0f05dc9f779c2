//! `MultiHeadAttention` (Keras 3): projections by `EinsumDense`, scaled dot-product
//! attention over `attention_axes`, an output projection.

use kiln_tensor::ops::attention::{AttentionOptions, AttentionPath};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use super::masks::{causal_mask, masked_softmax, MaskedRows};
use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::layer::{fmt_shape, CallContext, Layer, LayerBase, LayerRef, LayerState, Shape};
use crate::layers::EinsumDense;
use crate::regularizers::Regularizer;
use crate::{Error, Result};

/// `keras.layers.MultiHeadAttention(num_heads, key_dim)`.
///
/// Inputs, in order: `query [B, T, dim]`, `value [B, S, dim]`, optionally `key` (default:
/// `value`), and optionally after the key an `attention_mask [B, T, S]` (true or non-zero =
/// attend): `[q, v]`, `[q, v, k]` or `[q, v, k, mask]` (pass `v` again as the key when
/// there is no separate key). Keras masks on `query`, `value`
/// and `key` (from `Embedding(mask_zero=True)` or `Masking`) are honoured as in Keras.
/// Call options that Keras passes per call are set on the layer: [`use_causal_mask`] and
/// [`return_attention_scores`] (then the layer has two outputs: the attention output and
/// the scores `[B, num_heads, T, S]`).
///
/// Weights: `query`, `key`, `value` projections (kernels `(dim, num_heads, key_dim)`,
/// biases `(num_heads, key_dim)`) and `attention_output` (kernel
/// `(num_heads, value_dim, out)`, bias `(out,)`), exactly Keras's.
///
/// [`use_causal_mask`]: MultiHeadAttention::use_causal_mask
/// [`return_attention_scores`]: MultiHeadAttention::return_attention_scores
///
/// ```
/// use kiln::layers::{LayerRef, MultiHeadAttention};
/// use kiln_tensor::{DType, Tensor};
/// let mha = LayerRef::new(MultiHeadAttention::new(2, 4));
/// let x = Tensor::ones(&[3, 5, 8], DType::F32);
/// let y = mha.call(&[x.clone(), x][..])?;
/// assert_eq!(y.shape(), &[3, 5, 8]);
/// assert_eq!(mha.count_params(), 3 * (8 * 2 * 4 + 2 * 4) + 2 * 4 * 8 + 8);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct MultiHeadAttention {
    base: LayerBase,
    num_heads: usize,
    key_dim: usize,
    value_dim: Option<usize>,
    dropout: f64,
    use_bias: bool,
    output_shape: Option<Vec<usize>>,
    attention_axes: Option<Vec<isize>>,
    kernel_initializer: Initializer,
    bias_initializer: Initializer,
    kernel_regularizer: Option<Regularizer>,
    bias_regularizer: Option<Regularizer>,
    kernel_constraint: Option<Constraint>,
    bias_constraint: Option<Constraint>,
    seed: Option<u64>,
    generator: Option<Generator>,
    use_causal_mask: bool,
    return_attention_scores: bool,
    query_dense: Option<LayerRef>,
    key_dense: Option<LayerRef>,
    value_dense: Option<LayerRef>,
    output_dense: Option<LayerRef>,
    plan: Option<Plan>,
}

/// Equations and axes fixed at build time.
#[derive(Clone)]
struct Plan {
    dot_equation: String,
    combine_equation: String,
    /// Axes of the scores the softmax normalises (the key attention axes).
    norm_axes: Vec<isize>,
    /// Rank of the attention scores.
    scores_rank: usize,
    /// Where the `[B, T, S]` mask gets its head axis.
    mask_expansion_axis: isize,
    attn_axes: Vec<usize>,
    /// Feature sizes of query, value and key the projections were built for.
    in_dims: [Option<usize>; 3],
}

fn letter(i: usize) -> char {
    (b'a' + i as u8) as char
}

/// Keras's `_build_proj_equation`.
fn proj_equation(free: usize, bound: usize, out: usize) -> (String, String) {
    let (mut i, mut k, mut o, mut bias) =
        (String::new(), String::new(), String::new(), String::new());
    for n in 0..free {
        i.push(letter(n));
        o.push(letter(n));
    }
    for n in free..free + bound {
        i.push(letter(n));
        k.push(letter(n));
    }
    for n in free + bound..free + bound + out {
        k.push(letter(n));
        o.push(letter(n));
        bias.push(letter(n));
    }
    (format!("{i},{k}->{o}"), bias)
}

/// Keras's `_build_attention_equation` for a projected rank and attention axes.
fn attention_equations(rank: usize, attn_axes: &[usize]) -> (String, String, usize) {
    let target: Vec<char> = (0..rank).map(letter).collect();
    let batch_dims: Vec<usize> = (0..rank)
        .filter(|i| !attn_axes.contains(i) && *i != rank - 1)
        .collect();
    let mut offset = rank;
    let mut source = Vec::with_capacity(rank);
    for (i, &t) in target.iter().enumerate() {
        if batch_dims.contains(&i) || i == rank - 1 {
            source.push(t);
        } else {
            source.push(letter(offset));
            offset += 1;
        }
    }
    let mut product: Vec<char> = batch_dims.iter().map(|&i| target[i]).collect();
    product.extend(attn_axes.iter().map(|&i| target[i]));
    product.extend(attn_axes.iter().map(|&i| source[i]));
    let (s, t, p): (String, String, String) = (
        source.iter().collect(),
        target.iter().collect(),
        product.iter().collect(),
    );
    (format!("{s},{t}->{p}"), format!("{p},{s}->{t}"), p.len())
}

impl MultiHeadAttention {
    /// `num_heads` heads of size `key_dim`, Keras defaults elsewhere.
    pub fn new(num_heads: usize, key_dim: usize) -> MultiHeadAttention {
        MultiHeadAttention {
            base: LayerBase::new("multi_head_attention"),
            num_heads,
            key_dim,
            value_dim: None,
            dropout: 0.0,
            use_bias: true,
            output_shape: None,
            attention_axes: None,
            kernel_initializer: Initializer::GlorotUniform(None),
            bias_initializer: Initializer::Zeros,
            kernel_regularizer: None,
            bias_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
            seed: None,
            generator: None,
            use_causal_mask: false,
            return_attention_scores: false,
            query_dense: None,
            key_dense: None,
            value_dense: None,
            output_dense: None,
            plan: None,
        }
    }
    /// Size of each value head (default `key_dim`).
    pub fn value_dim(mut self, v: usize) -> Self {
        self.value_dim = Some(v);
        self
    }
    /// Dropout rate on the attention probabilities (training only).
    pub fn dropout(mut self, rate: f64) -> Self {
        self.dropout = rate;
        self
    }
    /// Whether the projections have biases (default true).
    pub fn use_bias(mut self, b: bool) -> Self {
        self.use_bias = b;
        self
    }
    /// Output feature shape (default: the query's last dimension).
    pub fn output_shape(mut self, shape: &[usize]) -> Self {
        self.output_shape = Some(shape.to_vec());
        self
    }
    /// Axes (of the query, batch axis 0) attention runs over (default: all but batch and
    /// features).
    pub fn attention_axes(mut self, axes: &[isize]) -> Self {
        self.attention_axes = Some(axes.to_vec());
        self
    }
    /// Kernel initializer of the projections.
    pub fn kernel_initializer(mut self, init: impl Into<Initializer>) -> Self {
        self.kernel_initializer = init.into();
        self
    }
    /// Bias initializer of the projections.
    pub fn bias_initializer(mut self, init: impl Into<Initializer>) -> Self {
        self.bias_initializer = init.into();
        self
    }
    /// Penalty on the projection kernels.
    pub fn kernel_regularizer(mut self, r: Regularizer) -> Self {
        self.kernel_regularizer = Some(r);
        self
    }
    /// Penalty on the projection biases.
    pub fn bias_regularizer(mut self, r: Regularizer) -> Self {
        self.bias_regularizer = Some(r);
        self
    }
    /// Constraint on the projection kernels.
    pub fn kernel_constraint(mut self, c: Constraint) -> Self {
        self.kernel_constraint = Some(c);
        self
    }
    /// Constraint on the projection biases.
    pub fn bias_constraint(mut self, c: Constraint) -> Self {
        self.bias_constraint = Some(c);
        self
    }
    /// Seed of the attention dropout.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self.generator = Some(Generator::from_seed(seed));
        self
    }
    /// Keras's call argument `use_causal_mask=True`: position `t` attends to `s <= t` only.
    pub fn use_causal_mask(mut self, causal: bool) -> Self {
        self.use_causal_mask = causal;
        self
    }
    /// Keras's call argument `return_attention_scores=True`: a second output with the
    /// attention probabilities.
    pub fn return_attention_scores(mut self, r: bool) -> Self {
        self.return_attention_scores = r;
        self
    }
    /// Sets the layer name.
    pub fn name(mut self, name: &str) -> Self {
        self.base.set_name(name);
        self
    }

    /// Whether calls apply the causal mask (see [`MultiHeadAttention::use_causal_mask`]);
    /// exporters need it, as it is a call argument and not in the config.
    ///
    /// ```
    /// let l = kiln::layers::MultiHeadAttention::new(2, 4).use_causal_mask(true);
    /// assert!(l.causal());
    /// ```
    pub fn causal(&self) -> bool {
        self.use_causal_mask
    }

    /// Whether calls also return the attention probabilities.
    pub fn returns_attention_scores(&self) -> bool {
        self.return_attention_scores
    }

    fn v_dim(&self) -> usize {
        self.value_dim.unwrap_or(self.key_dim)
    }

    fn dense(&self, equation: &str, out: Vec<Option<usize>>, bias: &str, name: &str) -> LayerRef {
        let mut d = EinsumDense::new(equation, &out)
            .kernel_initializer(self.kernel_initializer.clone())
            .bias_initializer(self.bias_initializer.clone())
            .kernel_regularizer(self.kernel_regularizer.clone())
            .bias_regularizer(self.bias_regularizer.clone())
            .kernel_constraint(self.kernel_constraint.clone())
            .bias_constraint(self.bias_constraint.clone())
            .name(name);
        if self.use_bias {
            d = d.bias_axes(bias);
        }
        LayerRef::new(d)
    }

    /// Splits the inputs into query, value, key (is it explicit?) and attention mask.
    fn roles<'a>(
        &self,
        inputs: &'a [Tensor],
    ) -> Result<(
        &'a Tensor,
        &'a Tensor,
        Option<&'a Tensor>,
        Option<&'a Tensor>,
    )> {
        match inputs {
            [q, v] => Ok((q, v, None, None)),
            [q, v, k] => Ok((q, v, Some(k), None)),
            [q, v, k, m] => Ok((q, v, Some(k), Some(m))),
            _ => Err(Error::InvalidArgument {
                api: "MultiHeadAttention.call",
                msg: format!(
                    "layer '{}' expects [query, value], [query, value, key] or [query, value, key, attention_mask]; got {} tensors",
                    self.base.name(),
                    inputs.len()
                ),
            }),
        }
    }

    fn out_dims(&self, query_shape: &Shape) -> Vec<Option<usize>> {
        match &self.output_shape {
            Some(s) => s.iter().map(|&d| Some(d)).collect(),
            None => vec![query_shape.last().copied().flatten()],
        }
    }
}

impl LayerState for MultiHeadAttention {
    fn base(&self) -> &LayerBase {
        &self.base
    }
    fn base_mut(&mut self) -> &mut LayerBase {
        &mut self.base
    }
    fn class_name(&self) -> &'static str {
        "MultiHeadAttention"
    }
    fn sublayers(&self) -> Vec<LayerRef> {
        [
            &self.query_dense,
            &self.key_dense,
            &self.value_dense,
            &self.output_dense,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
}

impl Layer for MultiHeadAttention {
    fn call_args(&self) -> crate::layers::CallArgs {
        crate::layers::CallArgs::QueryValueKey
    }
    /// Keras builds MultiHeadAttention from named shapes.
    fn build_config(&self, shapes: &[Shape]) -> serde_json::Value {
        let json = |s: &Shape| -> serde_json::Value {
            s.iter()
                .map(|d| d.map_or(serde_json::Value::Null, Into::into))
                .collect()
        };
        let names = ["query_shape", "value_shape", "key_shape"];
        let dict: serde_json::Map<String, serde_json::Value> = (names.iter().zip(shapes))
            .map(|(k, s)| (k.to_string(), json(s)))
            .collect();
        serde_json::json!({ "shapes_dict": dict })
    }
    fn build(&mut self, shapes: &[Shape]) -> Result<()> {
        let name = self.base.name().to_string();
        let fail = |msg: String| Error::InvalidArgument {
            api: "MultiHeadAttention.build",
            msg: format!("layer '{name}': {msg}"),
        };
        if self.num_heads == 0 || self.key_dim == 0 || self.value_dim == Some(0) {
            return Err(fail(format!(
                "num_heads, key_dim and value_dim must be positive, got num_heads={} key_dim={} value_dim={:?}",
                self.num_heads, self.key_dim, self.value_dim
            )));
        }
        if shapes.len() < 2 {
            return Err(fail(format!(
                "expects query and value inputs, got {} shapes",
                shapes.len()
            )));
        }
        let (q, v) = (&shapes[0], &shapes[1]);
        let k = shapes.get(2).unwrap_or(v);
        if q.len() < 3 || v.len() != q.len() {
            return Err(fail(format!(
                "query and value must have the same rank >= 3, got query {} and value {}",
                fmt_shape(q),
                fmt_shape(v)
            )));
        }
        let rank = q.len();
        let ones = |n: usize| vec![None; n];
        let (eq, bias) = proj_equation(rank - 1, 1, 2);
        let mut qo = ones(rank - 2);
        qo.extend([Some(self.num_heads), Some(self.key_dim)]);
        let qd = self.dense(&eq, qo.clone(), &bias, "query");
        qd.build(std::slice::from_ref(q))?;
        let kd = self.dense(&eq, qo, &bias, "key");
        kd.build(std::slice::from_ref(k))?;
        let mut vo = ones(rank - 2);
        vo.extend([Some(self.num_heads), Some(self.v_dim())]);
        let vd = self.dense(&eq, vo, &bias, "value");
        vd.build(std::slice::from_ref(v))?;
        let out = self.out_dims(q);
        let (oeq, obias) = proj_equation(rank - 1, 2, out.len());
        let mut oo = ones(rank - 2);
        oo.extend(out);
        let od = self.dense(&oeq, oo, &obias, "attention_output");
        let mut combined: Shape = q[..rank - 1].to_vec();
        combined.extend([Some(self.num_heads), Some(self.v_dim())]);
        od.build(&[combined])?;
        // Attention axes in the projected rank (query rank + 1).
        let prank = rank + 1;
        let attn_axes: Vec<usize> = match &self.attention_axes {
            None => (1..prank - 2).collect(),
            Some(axes) => {
                let mut out = Vec::new();
                for &a in axes {
                    let r = if a < 0 { a + rank as isize } else { a };
                    if r <= 0 || r >= rank as isize - 1 {
                        return Err(fail(format!(
                            "attention_axes {axes:?} must name axes between the batch and feature axes of a rank-{rank} query"
                        )));
                    }
                    out.push(r as usize);
                }
                out
            }
        };
        let (dot, combine, scores_rank) = attention_equations(prank, &attn_axes);
        let n = attn_axes.len();
        self.plan = Some(Plan {
            dot_equation: dot,
            combine_equation: combine,
            norm_axes: (scores_rank - n..scores_rank).map(|a| a as isize).collect(),
            scores_rank,
            mask_expansion_axis: -(n as isize) * 2 - 1,
            attn_axes,
            in_dims: [q[rank - 1], v[rank - 1], k.last().copied().flatten()],
        });
        self.query_dense = Some(qd);
        self.key_dense = Some(kd);
        self.value_dense = Some(vd);
        self.output_dense = Some(od);
        Ok(())
    }

    fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
        let (query, value, key, explicit_mask) = self.roles(inputs)?;
        let name = self.base.name().to_string();
        let plan = self.plan.clone().ok_or_else(|| Error::InvalidArgument {
            api: "MultiHeadAttention.call",
            msg: format!("layer '{name}' is not built"),
        })?;
        let (qd, kd, vd, od) = match (
            &self.query_dense,
            &self.key_dense,
            &self.value_dense,
            &self.output_dense,
        ) {
            (Some(a), Some(b), Some(c), Some(d)) => (a.clone(), b.clone(), c.clone(), d.clone()),
            _ => {
                return Err(Error::InvalidArgument {
                    api: "MultiHeadAttention.call",
                    msg: format!("layer '{name}' is not built"),
                })
            }
        };
        let key_t = key.unwrap_or(value);
        if query.rank() != value.rank() || key_t.rank() != value.rank() {
            return Err(Error::InvalidArgument {
                api: "MultiHeadAttention.call",
                msg: format!(
                    "layer '{name}': query {}, value {} and key {} must have the same rank",
                    fmt_shape(&crate::layers::shape_of(query)),
                    fmt_shape(&crate::layers::shape_of(value)),
                    fmt_shape(&crate::layers::shape_of(key_t))
                ),
            });
        }
        for (role, (t, want)) in ["query", "value", "key"]
            .iter()
            .zip([query, value, key_t].iter().zip(plan.in_dims))
        {
            if let (Some(w), Some(&got)) = (want, t.shape().last())
                && w != got
            {
                return Err(Error::InvalidArgument {
                        api: "MultiHeadAttention.call",
                        msg: format!(
                            "layer '{name}' was built for {role} features of size {w}, got {role} of shape {}",
                            fmt_shape(&crate::layers::shape_of(t))
                        ),
                    });
            }
        }
        // Keras masks: query's, value's and key's (when the key is its own input).
        let query_mask = ctx.mask(0);
        let value_mask = ctx.mask(1);
        let key_mask = if key.is_some() { ctx.mask(2) } else { None };
        let mut auto: Option<Tensor> = None;
        let and = |a: Option<Tensor>, b: Tensor| -> Result<Tensor> {
            Ok(match a {
                None => b,
                Some(a) => a.logical_and(&b)?,
            })
        };
        if let Some(m) = query_mask {
            auto = Some(m.cast(DType::Bool)?.expand_dims(-1)?);
        }
        for m in [value_mask, key_mask].into_iter().flatten() {
            auto = Some(and(auto, m.cast(DType::Bool)?.expand_dims(-2)?)?);
        }
        let q_len = query.shape()[1];
        let v_len = value.shape()[1];
        if self.use_causal_mask {
            auto = Some(and(auto, causal_mask(q_len, v_len)?)?);
        }
        let mut attention_mask = explicit_mask.map(|m| m.cast(DType::Bool)).transpose()?;
        if let Some(a) = auto {
            attention_mask = Some(and(attention_mask, a)?);
        }

        let q = qd.call(query)?;
        let k = kd.call(key_t)?;
        let v = vd.call(value)?;
        let scale = 1.0 / (self.key_dim as f64).sqrt();
        // Keras takes its fused dot_product_attention path (masked rows get a uniform
        // distribution) unless there is dropout, the scores are returned or the inputs are
        // not rank 3; the explicit path zeroes fully masked rows.
        let fused = self.dropout <= 0.0 && !self.return_attention_scores && q.rank() == 4;
        let mut mask = attention_mask;
        if let Some(m) = &mask {
            let mut m = m.clone();
            while m.rank() < plan.scores_rank {
                m = m.expand_dims(plan.mask_expansion_axis)?;
            }
            mask = Some(m);
        }
        // The default layout ([B, T, N, H], attention over T) runs as batched matmuls on
        // [B, N, T, H] views: the same contraction as Keras's einsum, several times faster
        // in the backward pass.
        let heads_first = plan.attn_axes == [1] && q.rank() == 4;
        // One fused op (its own backward, no score tensors on the tape) whenever the
        // probabilities are not returned and no dropout applies to them; nested tapes
        // (second derivatives) keep the composed ops, which are differentiable twice.
        let dropout_active = ctx.training && self.dropout > 0.0;
        if heads_first
            && !self.return_attention_scores
            && !dropout_active
            && matches!(q.dtype(), DType::F32 | DType::F64)
            && !kiln_tensor::autodiff::nested_recording()
        {
            let opts = AttentionOptions {
                scale,
                zero_masked_rows: !fused,
                path: AttentionPath::Auto,
            };
            let context = q
                .scaled_dot_product_attention(&k, &v, mask.as_ref(), opts)
                .map_err(|e| Error::InvalidArgument {
                    api: "MultiHeadAttention.call",
                    msg: format!("layer '{name}': {e}"),
                })?;
            return Ok(vec![od.call(&context)?]);
        }
        let dot = |k: &Tensor, q: &Tensor| -> Result<Tensor> {
            if heads_first {
                let qh = q.permute(&[0, 2, 1, 3])?;
                let kh = k.permute(&[0, 2, 1, 3])?;
                Ok(qh.matmul_t(&kh, false, true)?)
            } else {
                Ok(Tensor::einsum(&plan.dot_equation, &[k, q])?)
            }
        };
        let scores = if fused {
            dot(&k, &q)?.mul_scalar(scale)?
        } else {
            dot(&k, &q.mul_scalar(scale)?)?
        };
        let rows = if fused {
            MaskedRows::Uniform
        } else {
            MaskedRows::Zero
        };
        let probs = masked_softmax(&scores, mask.as_ref(), &plan.norm_axes, rows).map_err(|e| {
            Error::InvalidArgument {
                api: "MultiHeadAttention.call",
                msg: format!(
                    "layer '{name}': attention mask does not fit the scores {}: {e}",
                    fmt_shape(&crate::layers::shape_of(&scores))
                ),
            }
        })?;
        let dropped = if ctx.training && self.dropout > 0.0 {
            probs.dropout(self.dropout, self.generator.as_mut())?
        } else {
            probs.clone()
        };
        let context = if heads_first {
            dropped
                .matmul(&v.permute(&[0, 2, 1, 3])?)?
                .permute(&[0, 2, 1, 3])?
        } else {
            Tensor::einsum(&plan.combine_equation, &[&dropped, &v])?
        };
        let out = od.call(&context)?;
        let _ = &plan.attn_axes;
        if self.return_attention_scores {
            Ok(vec![out, probs])
        } else {
            Ok(vec![out])
        }
    }

    fn supports_masking(&self) -> bool {
        true
    }

    fn saveable_children(&self) -> Vec<(String, LayerRef)> {
        ["query_dense", "key_dense", "value_dense", "output_dense"]
            .into_iter()
            .zip([
                &self.query_dense,
                &self.key_dense,
                &self.value_dense,
                &self.output_dense,
            ])
            .filter_map(|(n, l)| l.clone().map(|l| (n.to_string(), l)))
            .collect()
    }

    fn compute_mask(
        &self,
        _inputs: &[Tensor],
        masks: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        Ok(vec![masks.first().cloned().flatten(), None])
    }

    fn compute_output_shape(&self, shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let q = shapes.first()?;
        let v = shapes.get(1)?;
        let mut out: Shape = q[..q.len().saturating_sub(1)].to_vec();
        out.extend(self.out_dims(q));
        if self.return_attention_scores {
            let plan = self.plan.as_ref()?;
            let mut s: Shape = vec![q.first().copied().flatten(), Some(self.num_heads)];
            s.extend(plan.attn_axes.iter().map(|&a| q.get(a).copied().flatten()));
            s.extend(plan.attn_axes.iter().map(|&a| v.get(a).copied().flatten()));
            Some(Ok(vec![out, s]))
        } else {
            Some(Ok(vec![out]))
        }
    }

    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        let reg =
            |r: &Option<Regularizer>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        let con =
            |r: &Option<Constraint>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        c.insert("num_heads".into(), json!(self.num_heads));
        c.insert("key_dim".into(), json!(self.key_dim));
        c.insert("value_dim".into(), json!(self.v_dim()));
        c.insert("dropout".into(), json!(self.dropout));
        c.insert("use_bias".into(), json!(self.use_bias));
        c.insert("output_shape".into(), json!(self.output_shape));
        c.insert("attention_axes".into(), json!(self.attention_axes));
        c.insert(
            "kernel_initializer".into(),
            self.kernel_initializer.get_config(),
        );
        c.insert(
            "bias_initializer".into(),
            self.bias_initializer.get_config(),
        );
        c.insert("kernel_regularizer".into(), reg(&self.kernel_regularizer));
        c.insert("bias_regularizer".into(), reg(&self.bias_regularizer));
        c.insert("activity_regularizer".into(), Value::Null);
        c.insert("kernel_constraint".into(), con(&self.kernel_constraint));
        c.insert("bias_constraint".into(), con(&self.bias_constraint));
        c.insert("seed".into(), json!(self.seed));
        Value::Object(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equations_match_keras_for_rank_3_and_2d_attention() {
        assert_eq!(
            proj_equation(2, 1, 2),
            ("abc,cde->abde".to_string(), "de".to_string())
        );
        assert_eq!(
            proj_equation(2, 2, 1),
            ("abcd,cde->abe".to_string(), "e".to_string())
        );
        let (d, c, r) = attention_equations(4, &[1]);
        assert_eq!(
            (d.as_str(), c.as_str(), r),
            ("aecd,abcd->acbe", "acbe,aecd->abcd", 4)
        );
        let (d, _, r) = attention_equations(5, &[1, 2]);
        assert_eq!((d.as_str(), r), ("afgde,abcde->adbcfg", 6));
    }
}
