//! One Keras layer call -> ONNX nodes: the feed-forward families (dense, activations,
//! convolutions, pooling, normalization, merges, reshaping, embedding).

use serde_json::Value;

use super::{
    attr_float, attr_int, attr_ints, attr_str, cfg_bool, cfg_f32, cfg_str, cfg_usizes, permute,
    weight_data, Builder, Ctx,
};
use crate::proto::{tensor_proto::DataType, AttributeProto};
use crate::Result;

/// NHWC (channels-last, rank r) -> NCHW and back.
pub(super) fn to_channels_first(rank: usize) -> Vec<i64> {
    let mut p = vec![0i64, rank as i64 - 1];
    p.extend(1..rank as i64 - 1);
    p
}

pub(super) fn to_channels_last(rank: usize) -> Vec<i64> {
    let mut p = vec![0i64];
    p.extend(2..rank as i64);
    p.push(1);
    p
}

fn check_channels_last(cx: &Ctx, cfg: &Value) -> Result<()> {
    match cfg_str(cfg, "data_format") {
        None | Some("channels_last") => Ok(()),
        Some(f) => Err(cx.err(format!(
            "data_format '{f}' does not export; expected channels_last"
        ))),
    }
}

fn pads_attr(cx: &Ctx, cfg: &Value) -> Result<AttributeProto> {
    match cfg_str(cfg, "padding").unwrap_or("valid") {
        "valid" => Ok(attr_str("auto_pad", "VALID")),
        // TensorFlow's SAME puts the odd pixel at the end: ONNX SAME_UPPER.
        "same" => Ok(attr_str("auto_pad", "SAME_UPPER")),
        p => Err(cx.err(format!(
            "padding '{p}' does not export; expected valid or same"
        ))),
    }
}

pub(super) fn lower_layer(
    b: &mut Builder,
    cx: &Ctx,
    ins: &[String],
    in_shapes: &[Vec<Option<usize>>],
) -> Result<String> {
    let cfg = cx.layer.lock().get_config();
    let class = cx.layer.class_name();
    let p = cx.prefix.clone();
    let x = ins
        .first()
        .cloned()
        .ok_or_else(|| cx.err("layer call has no inputs"))?;
    let rank = in_shapes.first().map(|s| s.len()).unwrap_or(0);
    let one_input = |cx: &Ctx| -> Result<()> {
        if ins.len() == 1 {
            Ok(())
        } else {
            Err(cx.err(format!("expected one input, got {}", ins.len())))
        }
    };
    match class {
        "Dense" => {
            one_input(cx)?;
            let (w, _, _) = b.weight(cx, "kernel")?;
            let mut y = b.node("MatMul", &format!("{p}/MatMul"), &[&x, &w], vec![]);
            if cfg_bool(&cfg, "use_bias", true) {
                let (bias, _, _) = b.weight(cx, "bias")?;
                y = b.node("Add", &format!("{p}/BiasAdd"), &[&y, &bias], vec![]);
            }
            b.activation(cx, y, cfg.get("activation").unwrap_or(&Value::Null))
        }
        "Activation" => b.activation(cx, x, cfg.get("activation").unwrap_or(&Value::Null)),
        "ReLU" => {
            let max = cfg.get("max_value").and_then(|v| v.as_f64());
            let slope = cfg_f32(&cfg, "negative_slope", 0.0);
            let thr = cfg_f32(&cfg, "threshold", 0.0);
            if slope != 0.0 || thr != 0.0 {
                return Err(
                    cx.err("ReLU with negative_slope or threshold does not export; expected 0")
                );
            }
            match max {
                None => Ok(b.node("Relu", &p, &[&x], vec![])),
                Some(m) => {
                    let lo = b.init_f32(&format!("{p}/min"), &[], vec![0.0]);
                    let hi = b.init_f32(&format!("{p}/max"), &[], vec![m as f32]);
                    Ok(b.node("Clip", &p, &[&x, &lo, &hi], vec![]))
                }
            }
        }
        "LeakyReLU" => {
            let a = cfg
                .get("negative_slope")
                .or_else(|| cfg.get("alpha"))
                .and_then(|v| v.as_f64())
                .unwrap_or(0.3) as f32;
            Ok(b.node("LeakyRelu", &p, &[&x], vec![attr_float("alpha", a)]))
        }
        "ELU" => {
            let a = cfg_f32(&cfg, "alpha", 1.0);
            Ok(b.node("Elu", &p, &[&x], vec![attr_float("alpha", a)]))
        }
        "Softmax" => {
            let axis = cfg.get("axis").and_then(|v| v.as_i64()).unwrap_or(-1);
            Ok(b.node("Softmax", &p, &[&x], vec![attr_int("axis", axis)]))
        }
        "Dropout"
        | "SpatialDropout1D"
        | "SpatialDropout2D"
        | "SpatialDropout3D"
        | "GaussianNoise"
        | "GaussianDropout"
        | "AlphaDropout"
        | "ActivityRegularization"
        | "Identity" => Ok(b.node("Identity", &p, &[&x], vec![])),
        "Flatten" => {
            check_channels_last(cx, &cfg)?;
            Ok(b.node("Flatten", &p, &[&x], vec![attr_int("axis", 1)]))
        }
        "Reshape" => {
            let target = cfg
                .get("target_shape")
                .and_then(|v| v.as_array())
                .ok_or_else(|| cx.err("config 'target_shape' missing"))?;
            let mut shape = vec![0i64];
            for v in target {
                shape.push(
                    v.as_i64().ok_or_else(|| {
                        cx.err(format!("target_shape entry {v} is not an integer"))
                    })?,
                );
            }
            if shape[1..].contains(&0) {
                return Err(cx.err("a zero in target_shape does not export"));
            }
            let s = b.init_i64(&format!("{p}/shape"), &shape);
            Ok(b.node("Reshape", &p, &[&x, &s], vec![]))
        }
        "Conv1D" | "Conv2D" | "Conv3D" | "DepthwiseConv2D" | "DepthwiseConv1D" => {
            one_input(cx)?;
            check_channels_last(cx, &cfg)?;
            let spatial = rank
                .checked_sub(2)
                .filter(|s| *s >= 1)
                .ok_or_else(|| cx.err("input rank below 3"))?;
            let strides = cfg_usizes(cx, &cfg, "strides")?;
            let dil = cfg_usizes(cx, &cfg, "dilation_rate")?;
            let pad = pads_attr(cx, &cfg)?;
            let (kdims, kdata) = weight_data(cx, "kernel")?;
            let depthwise = class.starts_with("Depthwise");
            let (wdims, wdata, group) = if depthwise {
                // (k..., in, mult) -> (in*mult, 1, k...): output channel c*mult + m.
                let cin = kdims[spatial];
                let mult = kdims[spatial + 1];
                let mut perm: Vec<usize> = vec![spatial, spatial + 1];
                perm.extend(0..spatial);
                let (_, d) = permute(&kdata, &kdims, &perm);
                let mut dims = vec![cin * mult, 1];
                dims.extend_from_slice(&kdims[..spatial]);
                (dims, d, cin)
            } else {
                let groups = cfg.get("groups").and_then(|v| v.as_u64()).unwrap_or(1) as usize;
                // (k..., in/groups, out) -> (out, in/groups, k...).
                let mut perm: Vec<usize> = vec![spatial + 1, spatial];
                perm.extend(0..spatial);
                let (dims, d) = permute(&kdata, &kdims, &perm);
                (dims, d, groups)
            };
            let w = b.init_f32(&format!("{}/kernel", cx.layer.name()), &wdims, wdata);
            let kshape: Vec<i64> = kdims[..spatial].iter().map(|&d| d as i64).collect();
            let cf = b.node(
                "Transpose",
                &format!("{p}/to_nchw"),
                &[&x],
                vec![attr_ints("perm", &to_channels_first(rank))],
            );
            let mut cins: Vec<String> = vec![cf, w];
            if cfg_bool(&cfg, "use_bias", true) {
                let (bias, _, _) = b.weight(cx, "bias")?;
                cins.push(bias);
            }
            let cin_refs: Vec<&str> = cins.iter().map(|s| s.as_str()).collect();
            let conv = b.node(
                "Conv",
                &format!("{p}/Conv"),
                &cin_refs,
                vec![
                    pad,
                    attr_ints("kernel_shape", &kshape),
                    attr_ints(
                        "strides",
                        &strides.iter().map(|&s| s as i64).collect::<Vec<_>>(),
                    ),
                    attr_ints(
                        "dilations",
                        &dil.iter().map(|&s| s as i64).collect::<Vec<_>>(),
                    ),
                    attr_int("group", group as i64),
                ],
            );
            let y = b.node(
                "Transpose",
                &format!("{p}/to_nhwc"),
                &[&conv],
                vec![attr_ints("perm", &to_channels_last(rank))],
            );
            b.activation(cx, y, cfg.get("activation").unwrap_or(&Value::Null))
        }
        "MaxPooling1D" | "MaxPooling2D" | "MaxPooling3D" | "AveragePooling1D"
        | "AveragePooling2D" | "AveragePooling3D" => {
            check_channels_last(cx, &cfg)?;
            let pool = cfg_usizes(cx, &cfg, "pool_size")?;
            let strides = match cfg.get("strides") {
                None | Some(Value::Null) => pool.clone(),
                _ => cfg_usizes(cx, &cfg, "strides")?,
            };
            let pad = pads_attr(cx, &cfg)?;
            let op = if class.starts_with("Max") {
                "MaxPool"
            } else {
                "AveragePool"
            };
            let cf = b.node(
                "Transpose",
                &format!("{p}/to_nchw"),
                &[&x],
                vec![attr_ints("perm", &to_channels_first(rank))],
            );
            let mut attrs = vec![
                pad,
                attr_ints(
                    "kernel_shape",
                    &pool.iter().map(|&s| s as i64).collect::<Vec<_>>(),
                ),
                attr_ints(
                    "strides",
                    &strides.iter().map(|&s| s as i64).collect::<Vec<_>>(),
                ),
            ];
            if op == "AveragePool" {
                // Keras averages over the valid pixels only.
                attrs.push(attr_int("count_include_pad", 0));
            }
            let y = b.node(op, &format!("{p}/{op}"), &[&cf], attrs);
            Ok(b.node(
                "Transpose",
                &format!("{p}/to_nhwc"),
                &[&y],
                vec![attr_ints("perm", &to_channels_last(rank))],
            ))
        }
        "GlobalAveragePooling1D"
        | "GlobalAveragePooling2D"
        | "GlobalAveragePooling3D"
        | "GlobalMaxPooling1D"
        | "GlobalMaxPooling2D"
        | "GlobalMaxPooling3D" => {
            check_channels_last(cx, &cfg)?;
            let axes: Vec<i64> = (1..rank as i64 - 1).collect();
            let op = if class.starts_with("GlobalMax") {
                "ReduceMax"
            } else {
                "ReduceMean"
            };
            Ok(b.reduce(op, &p, &x, &axes, cfg_bool(&cfg, "keepdims", false)))
        }
        "BatchNormalization" => {
            // Inference form folded to y = x * s + t, s = gamma / sqrt(var + eps),
            // t = beta - mean * s, broadcast along `axis`.
            let eps = cfg_f32(&cfg, "epsilon", 1e-3);
            let axis = match cfg.get("axis") {
                Some(Value::Array(a)) if a.len() == 1 => a[0].as_i64(),
                Some(Value::Number(n)) => n.as_i64(),
                _ => None,
            }
            .ok_or_else(|| cx.err("only a single BatchNormalization axis exports"))?;
            let axis = if axis < 0 { axis + rank as i64 } else { axis } as usize;
            let (_, mean) = weight_data(cx, "moving_mean")?;
            let (_, var) = weight_data(cx, "moving_variance")?;
            let dim = mean.len();
            let gamma = if cfg_bool(&cfg, "scale", true) {
                weight_data(cx, "gamma")?.1
            } else {
                vec![1.0; dim]
            };
            let beta = if cfg_bool(&cfg, "center", true) {
                weight_data(cx, "beta")?.1
            } else {
                vec![0.0; dim]
            };
            let s: Vec<f32> = (0..dim).map(|i| gamma[i] / (var[i] + eps).sqrt()).collect();
            let t: Vec<f32> = (0..dim).map(|i| beta[i] - mean[i] * s[i]).collect();
            let mut bdims = vec![dim];
            bdims.extend(std::iter::repeat_n(1, rank.saturating_sub(axis + 1)));
            let sn = b.init_f32(&format!("{}/scale", cx.layer.name()), &bdims, s);
            let tn = b.init_f32(&format!("{}/shift", cx.layer.name()), &bdims, t);
            let m = b.node("Mul", &format!("{p}/Mul"), &[&x, &sn], vec![]);
            Ok(b.node("Add", &p, &[&m, &tn], vec![]))
        }
        "LayerNormalization" => {
            if cfg_bool(&cfg, "rms_scaling", false) {
                return Err(cx.err("rms_scaling=true does not export"));
            }
            let axes: Vec<i64> = match cfg.get("axis") {
                Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_i64()).collect(),
                Some(Value::Number(n)) => n.as_i64().into_iter().collect(),
                _ => vec![-1],
            };
            let mut norm: Vec<i64> = axes
                .iter()
                .map(|&a| if a < 0 { a + rank as i64 } else { a })
                .collect();
            norm.sort_unstable();
            let first = *norm.first().ok_or_else(|| cx.err("no axis"))?;
            if norm.iter().enumerate().any(|(i, &a)| a != first + i as i64)
                || *norm.last().unwrap_or(&0) != rank as i64 - 1
            {
                return Err(cx.err(format!("axis {axes:?} does not export; ONNX LayerNormalization normalizes trailing axes")));
            }
            let eps = cfg_f32(&cfg, "epsilon", 1e-3);
            let nshape: Vec<usize> = in_shapes[0][first as usize..]
                .iter()
                .map(|d| d.ok_or_else(|| cx.err("normalized axes must have known sizes")))
                .collect::<Result<_>>()?;
            let n: usize = nshape.iter().product();
            let scale = if cfg_bool(&cfg, "scale", true) {
                b.weight(cx, "gamma")?.0
            } else {
                b.init_f32(&format!("{p}/gamma"), &nshape, vec![1.0; n])
            };
            let bias = if cfg_bool(&cfg, "center", true) {
                b.weight(cx, "beta")?.0
            } else {
                b.init_f32(&format!("{p}/beta"), &nshape, vec![0.0; n])
            };
            Ok(b.node(
                "LayerNormalization",
                &p,
                &[&x, &scale, &bias],
                vec![attr_int("axis", first), attr_float("epsilon", eps)],
            ))
        }
        "Add" | "Subtract" | "Multiply" | "Maximum" | "Minimum" | "Average" => {
            if ins.len() < 2 {
                return Err(cx.err("a merge layer needs two or more inputs"));
            }
            let refs: Vec<&str> = ins.iter().map(|s| s.as_str()).collect();
            Ok(match class {
                "Add" => b.node("Sum", &p, &refs, vec![]),
                "Subtract" if ins.len() == 2 => b.node("Sub", &p, &refs, vec![]),
                "Subtract" => return Err(cx.err("Subtract takes exactly two inputs")),
                "Multiply" => {
                    let mut y = ins[0].clone();
                    for (i, z) in ins[1..].iter().enumerate() {
                        let name = if i + 2 == ins.len() {
                            p.clone()
                        } else {
                            format!("{p}/Mul_{i}")
                        };
                        y = b.node("Mul", &name, &[&y, z], vec![]);
                    }
                    y
                }
                "Maximum" => b.node("Max", &p, &refs, vec![]),
                "Minimum" => b.node("Min", &p, &refs, vec![]),
                _ => b.node("Mean", &p, &refs, vec![]),
            })
        }
        "Concatenate" => {
            let axis = cfg.get("axis").and_then(|v| v.as_i64()).unwrap_or(-1);
            let refs: Vec<&str> = ins.iter().map(|s| s.as_str()).collect();
            Ok(b.node("Concat", &p, &refs, vec![attr_int("axis", axis)]))
        }
        "Embedding" => {
            if cfg_bool(&cfg, "mask_zero", false) {
                return Err(cx.err("mask_zero=true does not export (ONNX has no masks)"));
            }
            let (w, _, _) = b.weight(cx, "embeddings")?;
            let idx = b.node(
                "Cast",
                &format!("{p}/Cast"),
                &[&x],
                vec![attr_int("to", DataType::Int64 as i64)],
            );
            Ok(b.node("Gather", &p, &[&w, &idx], vec![attr_int("axis", 0)]))
        }
        "ZeroPadding1D" | "ZeroPadding2D" | "ZeroPadding3D" => {
            check_channels_last(cx, &cfg)?;
            let pairs: Vec<(i64, i64)> = match cfg.get("padding") {
                Some(Value::Array(a)) if a.first().is_some_and(|v| v.is_number()) => {
                    vec![pair(cx, &cfg["padding"])?]
                }
                Some(Value::Array(a)) => a.iter().map(|v| pair(cx, v)).collect::<Result<_>>()?,
                other => {
                    return Err(cx.err(format!("config 'padding' {other:?} is not a list of pairs")))
                }
            };
            if pairs.len() + 2 != rank {
                return Err(cx.err(format!(
                    "{} padding pairs for a rank-{rank} input",
                    pairs.len()
                )));
            }
            // ONNX pads: all begins, then all ends; batch and channels unpadded.
            let mut pads = vec![0i64];
            pads.extend(pairs.iter().map(|p| p.0));
            pads.extend([0, 0]);
            pads.extend(pairs.iter().map(|p| p.1));
            pads.push(0);
            let pn = b.init_i64(&format!("{p}/pads"), &pads);
            Ok(b.node("Pad", &p, &[&x, &pn], vec![attr_str("mode", "constant")]))
        }
        other => Err(cx.err(format!("{other} has no ONNX export yet"))),
    }
}

/// A `[before, after]` padding pair from a config.
fn pair(cx: &Ctx, v: &Value) -> Result<(i64, i64)> {
    match v.as_array().map(|a| a.as_slice()) {
        Some([a, b]) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(cx.err(format!("padding pair {v} is not two integers"))),
        },
        _ => Err(cx.err(format!("padding {v} is not a [before, after] pair"))),
    }
}
