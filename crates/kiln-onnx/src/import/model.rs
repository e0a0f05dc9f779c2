//! ONNX file -> a trainable kiln model where the graph maps onto kiln layers.
//!
//! Covered so far: a chain from the one input to the one output of `Gemm` (`alpha = beta =
//! 1`, `transA = 0`) or `MatMul` by an initializer, optionally followed by `Add` of an
//! initializer bias, each becoming a `Dense` layer; `Relu`, `Sigmoid`, `Tanh`, `Softmax`
//! (last axis), `Elu` (alpha 1), `Selu` (defaults), `Softplus`, `Softsign` and `Exp` become
//! that Dense's activation; `Identity` and `Dropout` are skipped. Anything else (a
//! convolution, a branch, a second input) gives the graph runner, with the reason.

use std::path::Path;

use kiln::layers::Dense;
use kiln::models::Model;
use kiln::Tensor;
use prost::Message;

use super::attrs::{attr_f, attr_i};
use super::{node_name, OnnxGraph};
use crate::proto::{type_proto, ModelProto, NodeProto};
use crate::{OnnxError, Result};

/// What [`load_model`] made of an ONNX file.
pub enum Imported {
    /// The graph maps onto kiln layers: a Sequential model holding the file's weights,
    /// ready to compile, fit and save as `.keras`.
    Model(Box<Model>),
    /// It does not: the graph runner, and the first thing that has no layer.
    Graph {
        /// The runner over the whole graph.
        graph: OnnxGraph,
        /// Why no model was built (names the node).
        reason: String,
    },
}

struct DenseSpec {
    kernel: Tensor,
    bias: Option<Tensor>,
    activation: Option<&'static str>,
}

/// Reads an `.onnx` file as a kiln model when its ops map to layers, else as a graph
/// runner ([`Imported`] says which, and why).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("kiln_onnx_lm_{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("mlp.onnx");
/// let m = kiln::models::Model::sequential(vec![
///     kiln::layers::Dense::new(3).activation("relu").input_shape(&[4]).into(),
/// ])?;
/// kiln_onnx::export(&m, &path, kiln_onnx::DEFAULT_OPSET)?;
/// match kiln_onnx::load_model(&path)? {
///     kiln_onnx::Imported::Model(model) => assert_eq!(model.count_params(), 15),
///     kiln_onnx::Imported::Graph { reason, .. } => panic!("{reason}"),
/// }
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), kiln_onnx::OnnxError>(())
/// ```
pub fn load_model(path: impl AsRef<Path>) -> Result<Imported> {
    let path = path.as_ref();
    let graph = super::load(path)?;
    let bytes = std::fs::read(path).map_err(|e| OnnxError::Io {
        path: path.display().to_string(),
        msg: e.to_string(),
    })?;
    let proto = ModelProto::decode(&bytes[..]).map_err(|e| OnnxError::Format {
        what: path.display().to_string(),
        msg: format!("not a valid ONNX ModelProto: {e}"),
    })?;
    match as_model(&graph, &proto)? {
        Ok(model) => Ok(Imported::Model(Box::new(model))),
        Err(reason) => Ok(Imported::Graph { graph, reason }),
    }
}

/// The input's rank from the file's declared type, when it has one.
fn input_rank(proto: &ModelProto, name: &str) -> Option<usize> {
    let g = proto.graph.as_ref()?;
    let v = g.input.iter().find(|v| v.name.as_deref() == Some(name))?;
    match v.r#type.as_ref()?.value.as_ref()? {
        type_proto::Value::TensorType(t) => Some(t.shape.as_ref()?.dim.len()),
        _ => None,
    }
}

fn activation_of(n: &NodeProto, op: &str, rank: usize, opset: i64) -> Option<&'static str> {
    Some(match op {
        "Relu" => "relu",
        "Sigmoid" => "sigmoid",
        "Tanh" => "tanh",
        "Softplus" => "softplus",
        "Softsign" => "softsign",
        "Exp" => "exponential",
        "Elu" if attr_f(n, "alpha", 1.0) == 1.0 => "elu",
        "Selu"
            if attr_f(n, "alpha", 1.673_263_2) == 1.673_263_2
                && attr_f(n, "gamma", 1.050_701) == 1.050_701 =>
        {
            "selu"
        }
        "Softmax" => {
            let axis = attr_i(n, "axis", if opset >= 13 { -1 } else { 1 });
            if axis != -1 && axis != rank as i64 - 1 {
                return None;
            }
            "softmax"
        }
        _ => return None,
    })
}

/// The model, or why the graph has none (`Err` of the outer result only for kiln errors).
fn as_model(g: &OnnxGraph, proto: &ModelProto) -> Result<std::result::Result<Model, String>> {
    let no = |n: &NodeProto, why: &str| {
        Ok(Err(format!(
            "node '{}' ({}): {why}",
            node_name(n),
            n.op_type.as_deref().unwrap_or("")
        )))
    };
    if g.inputs.len() != 1 || g.outputs.len() != 1 {
        return Ok(Err(format!(
            "the graph has {} inputs and {} outputs; a Sequential model needs one each",
            g.inputs.len(),
            g.outputs.len()
        )));
    }
    let Some(rank) = input_rank(proto, &g.inputs[0]) else {
        return Ok(Err("the input's rank is not declared".into()));
    };
    let mut cur = g.inputs[0].clone();
    let mut layers: Vec<DenseSpec> = Vec::new();
    let konst = |name: &str| g.consts.get(name);
    for n in &g.nodes {
        let op = n.op_type.as_deref().unwrap_or("");
        if n.input.first() != Some(&cur) || n.output.iter().skip(1).any(|o| !o.is_empty()) {
            return no(n, "the graph is not a single chain from input to output");
        }
        let out = n.output[0].clone();
        match op {
            "Identity" | "Dropout" => {}
            "Gemm" | "MatMul" => {
                let Some(b) = n.input.get(1).and_then(|b| konst(b)) else {
                    return no(n, "the weight is not an initializer");
                };
                if b.shape().len() != 2 {
                    return no(n, "the weight is not 2-D");
                }
                let mut kernel = b.clone();
                let mut bias = None;
                if op == "Gemm" {
                    if attr_f(n, "alpha", 1.0) != 1.0
                        || attr_f(n, "beta", 1.0) != 1.0
                        || attr_i(n, "transA", 0) != 0
                    {
                        return no(n, "alpha, beta != 1 or transA has no Dense form");
                    }
                    if attr_i(n, "transB", 0) != 0 {
                        kernel = kernel.transpose(None)?.contiguous();
                    }
                    if let Some(c) = n.input.get(2).filter(|c| !c.is_empty()) {
                        let Some(c) = konst(c) else {
                            return no(n, "the bias C is not an initializer");
                        };
                        let units = kernel.shape()[1];
                        if c.numel() != units || c.shape().last() != Some(&units) {
                            return no(n, "the bias C is not one value per unit");
                        }
                        bias = Some(c.reshape(&[units as isize])?);
                    }
                } else if rank < 2 {
                    return no(n, "a MatMul of a 1-D input has no Dense form");
                }
                layers.push(DenseSpec {
                    kernel,
                    bias,
                    activation: None,
                });
            }
            "Add" => {
                let other = n.input.get(1).and_then(|b| konst(b));
                let Some(last) = layers.last_mut() else {
                    return no(n, "an Add before any Dense has no layer form");
                };
                let units = last.kernel.shape()[1];
                match other {
                    Some(c)
                        if last.bias.is_none()
                            && last.activation.is_none()
                            && c.numel() == units
                            && c.shape().last() == Some(&units)
                            && c.shape().len() <= rank =>
                    {
                        last.bias = Some(c.reshape(&[units as isize])?);
                    }
                    _ => return no(n, "only a Dense's bias (an initializer) maps to a layer"),
                }
            }
            _ => {
                let Some(act) = activation_of(n, op, rank, g.opset) else {
                    return no(n, "no kiln layer for this op");
                };
                match layers.last_mut() {
                    Some(l) if l.activation.is_none() => l.activation = Some(act),
                    _ => return no(n, "an activation that does not follow a Dense"),
                }
            }
        }
        cur = out;
    }
    if cur != g.outputs[0] {
        return Ok(Err(format!(
            "the chain ends at '{cur}', not at the graph output '{}'",
            g.outputs[0]
        )));
    }
    let Some(first) = layers.first() else {
        return Ok(Err("the graph has no Gemm / MatMul".into()));
    };
    if rank != 2 {
        // Dense would act on the last axis, but the middle axes' sizes are not known here.
        return Ok(Err(format!(
            "the input has rank {rank}; only (batch, features) inputs map to a model so far"
        )));
    }
    let features = first.kernel.shape()[0];
    let mut built = Vec::with_capacity(layers.len());
    let mut weights = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let units = l.kernel.shape()[1];
        let mut d = Dense::new(units).use_bias(l.bias.is_some());
        if let Some(a) = l.activation {
            d = d.activation(a);
        }
        if i == 0 {
            d = d.input_shape(&[features]);
        }
        built.push(d.into());
        weights.push(l.kernel.contiguous());
        if let Some(b) = &l.bias {
            weights.push(b.contiguous());
        }
    }
    let model = Model::sequential(built)?;
    model.set_weights(&weights)?;
    Ok(Ok(model))
}
