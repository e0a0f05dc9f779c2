//! The runner's elementwise, shape, reduction and normalization ops (one `match` on
//! `op_type`); convolutions and pooling are in `spatial`, recurrent ops in `recurrent`.

use kiln::{DType, Tensor};

use super::attrs::*;
use super::layout::batch_norm_affine;
use super::tensor::{dtype_from_onnx, tensor_from_proto};
use super::{node_err, recurrent, OnnxGraph};
use crate::proto::{attribute_proto::AttributeType, NodeProto};
use crate::Result;

impl OnnxGraph {
    pub(super) fn eval(&self, n: &NodeProto, args: &[Option<Tensor>]) -> Result<Vec<Tensor>> {
        let op = n.op_type.as_deref().unwrap_or("");
        let arg = |i: usize| -> Result<&Tensor> {
            args.get(i)
                .and_then(|a| a.as_ref())
                .ok_or_else(|| node_err(n, format!("input {i} is missing")))
        };
        let k = |e: kiln_tensor::Error| node_err(n, e.to_string());
        let one = |t: std::result::Result<Tensor, kiln_tensor::Error>| -> Result<Vec<Tensor>> {
            Ok(vec![t.map_err(k)?])
        };
        match op {
            "Identity" => Ok(vec![arg(0)?.clone()]),
            "Dropout" => {
                if n.output.len() > 1 && !n.output[1].is_empty() {
                    return Err(node_err(n, "the mask output of Dropout is not supported"));
                }
                Ok(vec![arg(0)?.clone()])
            }
            "Relu" => one(arg(0)?.relu()),
            "Sigmoid" => one(arg(0)?.sigmoid()),
            "Tanh" => one(arg(0)?.tanh()),
            "Exp" => one(arg(0)?.exp()),
            "Log" => one(arg(0)?.log()),
            "Abs" => one(arg(0)?.abs()),
            "Neg" => one(arg(0)?.neg()),
            "Sqrt" => one(arg(0)?.sqrt()),
            "Erf" => one(arg(0)?.erf()),
            "Softplus" => one(arg(0)?.softplus()),
            "Softsign" => one(arg(0)?.softsign()),
            "Elu" => one(arg(0)?.elu(attr_f(n, "alpha", 1.0) as f64)),
            "LeakyRelu" => one(arg(0)?.leaky_relu(attr_f(n, "alpha", 0.01) as f64)),
            "Selu" => {
                let a = attr_f(n, "alpha", 1.673_263_2) as f64;
                let g = attr_f(n, "gamma", 1.050_701) as f64;
                let x = arg(0)?;
                // gamma * (x > 0 ? x : alpha * (exp(x) - 1)) = gamma * (relu(x) + alpha * elu1(min(x,0)))
                let neg = x
                    .minimum(&x.zeros_like())
                    .map_err(k)?
                    .elu(1.0)
                    .map_err(k)?
                    .mul_scalar(a)
                    .map_err(k)?;
                one(x.relu().map_err(k)?.add(&neg).map_err(k)?.mul_scalar(g))
            }
            "HardSigmoid" => {
                let a = attr_f(n, "alpha", 0.2) as f64;
                let b = attr_f(n, "beta", 0.5) as f64;
                one(arg(0)?
                    .mul_scalar(a)
                    .map_err(k)?
                    .add_scalar(b)
                    .map_err(k)?
                    .clip(0.0, 1.0))
            }
            "Clip" => {
                let x = arg(0)?;
                let lo = match args.get(1).and_then(|a| a.as_ref()) {
                    Some(t) => Some(
                        t.cast(DType::F64)
                            .map_err(k)?
                            .to_vec::<f64>()
                            .map_err(k)?
                            .first()
                            .copied()
                            .unwrap_or(f64::NEG_INFINITY),
                    ),
                    None => attr(n, "min").and_then(|a| a.f).map(|v| v as f64),
                };
                let hi = match args.get(2).and_then(|a| a.as_ref()) {
                    Some(t) => Some(
                        t.cast(DType::F64)
                            .map_err(k)?
                            .to_vec::<f64>()
                            .map_err(k)?
                            .first()
                            .copied()
                            .unwrap_or(f64::INFINITY),
                    ),
                    None => attr(n, "max").and_then(|a| a.f).map(|v| v as f64),
                };
                one(x.clip(lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY)))
            }
            "Add" => one(arg(0)?.add(arg(1)?)),
            "Sub" => one(arg(0)?.sub(arg(1)?)),
            "Mul" => one(arg(0)?.mul(arg(1)?)),
            "Div" => one(arg(0)?.div(arg(1)?)),
            "Pow" => one(arg(0)?.pow(&arg(1)?.cast(arg(0)?.dtype()).map_err(k)?)),
            "Sum" | "Max" | "Min" | "Mean" => {
                let mut acc = arg(0)?.clone();
                for i in 1..args.len() {
                    let b = arg(i)?;
                    acc = match op {
                        "Max" => acc.maximum(b),
                        "Min" => acc.minimum(b),
                        _ => acc.add(b),
                    }
                    .map_err(k)?;
                }
                if op == "Mean" {
                    acc = acc.div_scalar(args.len() as f64).map_err(k)?;
                }
                Ok(vec![acc])
            }
            "MatMul" => one(arg(0)?.matmul(arg(1)?)),
            "Gemm" => {
                let ta = attr_i(n, "transA", 0) != 0;
                let tb = attr_i(n, "transB", 0) != 0;
                let alpha = attr_f(n, "alpha", 1.0) as f64;
                let beta = attr_f(n, "beta", 1.0) as f64;
                let mut y = arg(0)?.matmul_t(arg(1)?, ta, tb).map_err(k)?;
                if alpha != 1.0 {
                    y = y.mul_scalar(alpha).map_err(k)?;
                }
                if let Some(Some(c)) = args.get(2) {
                    let c = if beta != 1.0 {
                        c.mul_scalar(beta).map_err(k)?
                    } else {
                        c.clone()
                    };
                    y = y.add(&c).map_err(k)?;
                }
                Ok(vec![y])
            }
            "Softmax" | "LogSoftmax" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let default = if self.opset >= 13 { -1 } else { 1 };
                let axis = norm_axis(n, attr_i(n, "axis", default), rank)?;
                if self.opset < 13 && axis != rank - 1 {
                    return Err(node_err(n, "before opset 13 Softmax flattens from its axis; only the last axis is supported there"));
                }
                if op == "Softmax" {
                    one(x.softmax(axis as isize))
                } else {
                    one(x.log_softmax(axis as isize))
                }
            }
            "Transpose" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let perm: Vec<usize> = match attr_ints(n, "perm") {
                    Some(p) => p
                        .iter()
                        .map(|&a| norm_axis(n, a, rank))
                        .collect::<Result<_>>()?,
                    None => (0..rank).rev().collect(),
                };
                one(x.transpose(Some(&perm)).map(|t| t.contiguous()))
            }
            "Reshape" => {
                let x = arg(0)?;
                let shape = ints_of(n, arg(1)?)?;
                let allowzero = attr_i(n, "allowzero", 0) != 0;
                let target: Vec<isize> = shape
                    .iter()
                    .enumerate()
                    .map(|(i, &d)| {
                        if d == 0 && !allowzero {
                            x.shape().get(i).map(|&s| s as isize).ok_or_else(|| {
                                node_err(
                                    n,
                                    format!(
                                        "shape entry {i} is 0 (copy) but the input has rank {}",
                                        x.shape().len()
                                    ),
                                )
                            })
                        } else {
                            Ok(d as isize)
                        }
                    })
                    .collect::<Result<_>>()?;
                one(x.reshape(&target))
            }
            "Flatten" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let a = attr_i(n, "axis", 1);
                let a = if a < 0 { a + rank as i64 } else { a };
                if a < 0 || a as usize > rank {
                    return Err(node_err(
                        n,
                        format!("axis {a} is out of range for rank {rank}"),
                    ));
                }
                let outer: usize = x.shape()[..a as usize].iter().product();
                let inner: usize = x.shape()[a as usize..].iter().product();
                one(x.reshape(&[outer as isize, inner as isize]))
            }
            "Squeeze" | "Unsqueeze" => {
                let x = arg(0)?;
                let axes = match args.get(1).and_then(|a| a.as_ref()) {
                    Some(t) => ints_of(n, t)?,
                    None => attr_ints(n, "axes").unwrap_or_default(),
                };
                if op == "Squeeze" {
                    let axes: Vec<isize> = if axes.is_empty() {
                        x.shape()
                            .iter()
                            .enumerate()
                            .filter(|(_, d)| **d == 1)
                            .map(|(i, _)| i as isize)
                            .collect()
                    } else {
                        axes.iter().map(|&a| a as isize).collect()
                    };
                    one(x.squeeze(&axes))
                } else {
                    let out_rank = x.shape().len() + axes.len();
                    let mut ax: Vec<usize> = axes
                        .iter()
                        .map(|&a| norm_axis(n, a, out_rank))
                        .collect::<Result<_>>()?;
                    ax.sort_unstable();
                    let mut y = x.clone();
                    for a in ax {
                        y = y.expand_dims(a as isize).map_err(k)?;
                    }
                    Ok(vec![y])
                }
            }
            "Concat" => {
                let ts: Vec<&Tensor> = (0..args.len()).map(arg).collect::<Result<_>>()?;
                let rank = ts.first().map(|t| t.shape().len()).unwrap_or(0);
                let axis = norm_axis(n, attr_i(n, "axis", 0), rank)?;
                one(Tensor::concat(&ts, axis as isize))
            }
            "Gather" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let axis = norm_axis(n, attr_i(n, "axis", 0), rank)?;
                let idx = arg(1)?;
                let dim = x.shape()[axis] as i64;
                let iv: Vec<i64> = ints_of(n, idx)?
                    .into_iter()
                    .map(|v| if v < 0 { v + dim } else { v })
                    .collect();
                let it = Tensor::from_vec(iv, idx.shape()).map_err(k)?;
                one(x.gather(&it, axis as isize))
            }
            "Cast" => {
                let to = dtype_from_onnx(n, attr_i(n, "to", 1))?;
                one(arg(0)?.cast(to))
            }
            "Mod" => {
                if attr_i(n, "fmod", 0) != 0 {
                    return Err(node_err(
                        n,
                        "fmod=1 (C fmod, the dividend's sign) is not supported; fmod=0 is",
                    ));
                }
                one(arg(0)?.rem(arg(1)?))
            }
            "ConstantOfShape" => {
                let dims: Vec<usize> = ints_of(n, arg(0)?)?
                    .into_iter()
                    .map(|d| {
                        usize::try_from(d).map_err(|_| {
                            node_err(n, format!("negative dimension {d} in the shape"))
                        })
                    })
                    .collect::<Result<_>>()?;
                let value = match attr(n, "value").and_then(|a| a.t.as_ref()) {
                    Some(t) => tensor_from_proto(t, None).map_err(|m| node_err(n, m))?,
                    None => Tensor::scalar(0.0f32),
                };
                if value.numel() != 1 {
                    return Err(node_err(
                        n,
                        format!("value must hold one element, not shape {:?}", value.shape()),
                    ));
                }
                one(value
                    .reshape(&[])
                    .and_then(|v| v.broadcast_to(&dims))
                    .map(|t| t.contiguous()))
            }
            "Shape" => {
                let x = arg(0)?;
                let r = x.shape().len() as i64;
                let clampi = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
                let s = clampi(attr_i(n, "start", 0));
                let e = clampi(attr_i(n, "end", r));
                let dims: Vec<i64> = x.shape()[s..e.max(s)].iter().map(|&d| d as i64).collect();
                let len = dims.len();
                one(Tensor::from_vec(dims, &[len]))
            }
            "Constant" => {
                let a = n
                    .attribute
                    .first()
                    .ok_or_else(|| node_err(n, "Constant without a value"))?;
                let t = match a.name.as_deref() {
                    Some("value") => tensor_from_proto(
                        a.t.as_ref()
                            .ok_or_else(|| node_err(n, "value attribute holds no tensor"))?,
                        None,
                    )
                    .map_err(|m| node_err(n, m))?,
                    Some("value_float") => Tensor::scalar(a.f.unwrap_or(0.0)),
                    Some("value_int") => Tensor::scalar(a.i.unwrap_or(0)),
                    Some("value_floats") => {
                        Tensor::from_vec(a.floats.clone(), &[a.floats.len()]).map_err(k)?
                    }
                    Some("value_ints") => {
                        Tensor::from_vec(a.ints.clone(), &[a.ints.len()]).map_err(k)?
                    }
                    other => {
                        return Err(node_err(
                            n,
                            format!("Constant attribute {other:?} is not supported"),
                        ))
                    }
                };
                let _ = AttributeType::Tensor;
                Ok(vec![t])
            }
            "ReduceMean" | "ReduceMax" | "ReduceSum" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let keep = attr_i(n, "keepdims", 1) != 0;
                let axes = match args.get(1).and_then(|a| a.as_ref()) {
                    Some(t) => ints_of(n, t)?,
                    None => attr_ints(n, "axes").unwrap_or_default(),
                };
                let axes: Vec<isize> = if axes.is_empty() {
                    if attr_i(n, "noop_with_empty_axes", 0) != 0 {
                        return Ok(vec![x.clone()]);
                    }
                    (0..rank as isize).collect()
                } else {
                    axes.iter()
                        .map(|&a| norm_axis(n, a, rank).map(|v| v as isize))
                        .collect::<Result<_>>()?
                };
                one(match op {
                    "ReduceMean" => x.mean(&axes, keep),
                    "ReduceMax" => x.max(&axes, keep),
                    _ => x.sum(&axes, keep),
                })
            }
            "GlobalAveragePool" | "GlobalMaxPool" => {
                let x = arg(0)?;
                let axes: Vec<isize> = (2..x.shape().len() as isize).collect();
                one(if op == "GlobalMaxPool" {
                    x.max(&axes, true)
                } else {
                    x.mean(&axes, true)
                })
            }
            "BatchNormalization" => {
                if attr_i(n, "training_mode", 0) != 0 {
                    return Err(node_err(
                        n,
                        "training_mode=1 is not supported (inference form only)",
                    ));
                }
                let x = arg(0)?;
                let rank = x.shape().len();
                let c = *x
                    .shape()
                    .get(1)
                    .ok_or_else(|| node_err(n, "input rank below 2"))?;
                let mut bshape = vec![c as isize];
                bshape.extend(std::iter::repeat_n(1, rank.saturating_sub(2)));
                let (inv, shift) = batch_norm_affine(n, arg(1)?, arg(2)?, arg(3)?, arg(4)?)?;
                one(x
                    .mul(&inv.reshape(&bshape).map_err(k)?)
                    .map_err(k)?
                    .add(&shift.reshape(&bshape).map_err(k)?))
            }
            "LayerNormalization" => {
                let x = arg(0)?;
                let rank = x.shape().len();
                let axis = norm_axis(n, attr_i(n, "axis", -1), rank)?;
                let eps = attr_f(n, "epsilon", 1e-5) as f64;
                if n.output.iter().skip(1).any(|o| !o.is_empty()) {
                    return Err(node_err(
                        n,
                        "the Mean and InvStdDev outputs are not supported",
                    ));
                }
                let inner: usize = x.shape()[axis..].iter().product();
                let outer: usize = x.shape()[..axis].iter().product();
                let x2 = x.reshape(&[outer as isize, inner as isize]).map_err(k)?;
                let scale = arg(1)?
                    .broadcast_to(&x.shape()[axis..])
                    .map_err(k)?
                    .reshape(&[inner as isize])
                    .map_err(k)?;
                let bias = match args.get(2).and_then(|a| a.as_ref()) {
                    Some(b) => Some(
                        b.broadcast_to(&x.shape()[axis..])
                            .map_err(k)?
                            .reshape(&[inner as isize])
                            .map_err(k)?,
                    ),
                    None => None,
                };
                let y = x2
                    .layer_normalization(Some(&scale), bias.as_ref(), eps)
                    .map_err(k)?;
                let shape: Vec<isize> = x.shape().iter().map(|&d| d as isize).collect();
                one(y.reshape(&shape))
            }
            "Expand" => {
                let x = arg(0)?;
                let shape = ints_of(n, arg(1)?)?;
                // Numpy broadcasting of the input shape with `shape` (either may be shorter).
                let r = shape.len().max(x.shape().len());
                let pad = |s: Vec<i64>| -> Vec<i64> {
                    let mut v = vec![1; r - s.len()];
                    v.extend(s);
                    v
                };
                let a = pad(x.shape().iter().map(|&d| d as i64).collect());
                let b = pad(shape.clone());
                let mut target = Vec::with_capacity(r);
                for (da, db) in a.iter().zip(&b) {
                    if *da != *db && *da != 1 && *db != 1 {
                        return Err(node_err(
                            n,
                            format!(
                                "shape {shape:?} does not broadcast with input {:?}",
                                x.shape()
                            ),
                        ));
                    }
                    target.push(if *da == 1 { *db } else { *da }.max(0) as usize);
                }
                one(x.broadcast_to(&target).map(|t| t.contiguous()))
            }
            "LSTM" | "GRU" | "RNN" => recurrent::recurrent(n, args),
            "Pad" => recurrent::pad(n, args, self.opset),
            "Slice" => recurrent::slice(n, args),
            other => Err(node_err(n, format!("op '{other}' is not supported"))),
        }
    }
}
