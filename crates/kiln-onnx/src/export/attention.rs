//! `MultiHeadAttention` -> a MatMul / Softmax subgraph (default layout: rank-3 query and
//! value, attention over the time axis).
//!
//! Each projection is Keras's `EinsumDense` `(features, heads, dim)` kernel flattened to a
//! `MatMul` by `(features, heads*dim)`, a bias `Add`, a `Reshape` to `(batch, time, heads,
//! dim)` and a `Transpose` to heads-first; scores are `Q · Kᵀ / sqrt(key_dim)` (plus a
//! `-1e9` upper triangle for `use_causal_mask`), `Softmax` over the key axis, and the
//! context goes back through the `attention_output` projection.

use kiln::layers::MultiHeadAttention;

use super::{attr_int, attr_ints, cfg_bool, sub_weight_data, Builder, Ctx};
use crate::Result;

/// One projection: `x (batch, time, features)` -> `(batch, heads, time, dim)`, or with
/// `keys_last` `(batch, heads, dim, time)`.
fn project(
    b: &mut Builder,
    cx: &Ctx,
    x: &str,
    sub: &str,
    use_bias: bool,
    keys_last: bool,
) -> Result<String> {
    let p = format!("{}/{sub}", cx.prefix);
    let (kd, k) = sub_weight_data(cx, sub, "kernel")?;
    if kd.len() != 3 {
        return Err(cx.err(format!(
            "{sub} kernel {kd:?}, expected (features, heads, dim)"
        )));
    }
    let (heads, dim) = (kd[1], kd[2]);
    let w = b.init_f32(
        &format!("{}/{sub}/kernel", cx.layer.name()),
        &[kd[0], heads * dim],
        k,
    );
    let mut y = b.node("MatMul", &format!("{p}/MatMul"), &[x, &w], vec![]);
    if use_bias {
        let (_, bias) = sub_weight_data(cx, sub, "bias")?;
        let bn = b.init_f32(
            &format!("{}/{sub}/bias", cx.layer.name()),
            &[heads * dim],
            bias,
        );
        y = b.node("Add", &format!("{p}/BiasAdd"), &[&y, &bn], vec![]);
    }
    let shape = b.init_i64(&format!("{p}/shape"), &[0, 0, heads as i64, dim as i64]);
    let y = b.node(
        "Reshape",
        &format!("{p}/split_heads"),
        &[&y, &shape],
        vec![],
    );
    let perm: &[i64] = if keys_last {
        &[0, 2, 3, 1]
    } else {
        &[0, 2, 1, 3]
    };
    Ok(b.node(
        "Transpose",
        &format!("{p}/heads_first"),
        &[&y],
        vec![attr_ints("perm", perm)],
    ))
}

pub(super) fn lower_mha(
    b: &mut Builder,
    cx: &Ctx,
    ins: &[String],
    in_shapes: &[Vec<Option<usize>>],
) -> Result<Vec<String>> {
    let cfg = cx.layer.lock().get_config();
    let p = cx.prefix.clone();
    let (causal, scores_out) = cx
        .layer
        .downcast(|l: &mut MultiHeadAttention| (l.causal(), l.returns_attention_scores()))
        .ok_or_else(|| cx.err("not a kiln MultiHeadAttention"))?;
    if !(2..=3).contains(&ins.len()) {
        return Err(cx.err(format!(
            "expected [query, value] or [query, value, key] (an attention_mask input does not export), got {} inputs",
            ins.len()
        )));
    }
    if in_shapes.iter().any(|s| s.len() != 3) {
        return Err(cx.err(format!(
            "only rank-3 (batch, time, features) inputs export, got {in_shapes:?}"
        )));
    }
    if !matches!(
        cfg.get("attention_axes"),
        None | Some(serde_json::Value::Null)
    ) && cfg.get("attention_axes") != Some(&serde_json::json!([1]))
    {
        return Err(cx.err("attention_axes other than the time axis do not export"));
    }
    let key_dim = cfg
        .get("key_dim")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| cx.err("config 'key_dim' missing"))?;
    let use_bias = cfg_bool(&cfg, "use_bias", true);
    let (query, value) = (&ins[0], &ins[1]);
    let key = ins.get(2).unwrap_or(value);
    let q = project(b, cx, query, "query", use_bias, false)?;
    let k = project(b, cx, key, "key", use_bias, true)?;
    let v = project(b, cx, value, "value", use_bias, false)?;
    let scores = b.node("MatMul", &format!("{p}/scores"), &[&q, &k], vec![]);
    let scale = b.init_f32(
        &format!("{p}/scale"),
        &[],
        vec![1.0 / (key_dim as f32).sqrt()],
    );
    let mut scores = b.node("Mul", &format!("{p}/scaled"), &[&scores, &scale], vec![]);
    if causal {
        let (t, s) = match (in_shapes[0][1], in_shapes[1][1]) {
            (Some(t), Some(s)) => (t, s),
            _ => {
                return Err(cx.err("use_causal_mask needs known query and value lengths to export"))
            }
        };
        // Keras's causal mask: query t attends to key s <= t (lower triangle).
        let mask: Vec<f32> = (0..t)
            .flat_map(|i| (0..s).map(move |j| if j <= i { 0.0 } else { -1e9 }))
            .collect();
        let m = b.init_f32(&format!("{p}/causal_mask"), &[t, s], mask);
        scores = b.node("Add", &format!("{p}/masked"), &[&scores, &m], vec![]);
    }
    let probs = b.node(
        "Softmax",
        &format!("{p}/Softmax"),
        &[&scores],
        vec![attr_int("axis", -1)],
    );
    let ctx = b.node("MatMul", &format!("{p}/context"), &[&probs, &v], vec![]);
    let ctx = b.node(
        "Transpose",
        &format!("{p}/context/time_first"),
        &[&ctx],
        vec![attr_ints("perm", &[0, 2, 1, 3])],
    );
    let (od, o) = sub_weight_data(cx, "attention_output", "kernel")?;
    if od.len() != 3 {
        return Err(cx.err(format!(
            "attention_output kernel {od:?}: only a single output_shape axis exports"
        )));
    }
    let merged = b.init_i64(&format!("{p}/merge_shape"), &[0, 0, (od[0] * od[1]) as i64]);
    let ctx = b.node(
        "Reshape",
        &format!("{p}/merge_heads"),
        &[&ctx, &merged],
        vec![],
    );
    let w = b.init_f32(
        &format!("{}/attention_output/kernel", cx.layer.name()),
        &[od[0] * od[1], od[2]],
        o,
    );
    let mut y = b.node(
        "MatMul",
        &format!("{p}/attention_output/MatMul"),
        &[&ctx, &w],
        vec![],
    );
    if use_bias {
        let (bd, bias) = sub_weight_data(cx, "attention_output", "bias")?;
        let bn = b.init_f32(
            &format!("{}/attention_output/bias", cx.layer.name()),
            &bd,
            bias,
        );
        y = b.node(
            "Add",
            &format!("{p}/attention_output/BiasAdd"),
            &[&y, &bn],
            vec![],
        );
    }
    let mut outs = vec![y];
    if scores_out {
        outs.push(probs);
    }
    Ok(outs)
}
