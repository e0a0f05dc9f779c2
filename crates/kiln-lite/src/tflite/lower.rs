//! Keras model -> float32 [`TGraph`]: each layer call becomes the builtin operators the
//! TFLite converter emits for it (BatchNormalization folded into the convolution before
//! it, ReLU/ReLU6 fused into the op that produces their input, Dropout removed).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kiln::layers::{KerasTensor, LayerRef, Node};
use kiln::models::Model;
use kiln::DType;
use serde_json::Value;

use super::graph::{Options, TGraph};
use super::schema::{op, Activation, Padding};
use crate::{LiteError, Result};

/// The float graph and, for each of its tensors, the Keras tensor whose value it holds
/// (what calibration runs the model to observe).
pub struct Lowered {
    /// The float32 TFLite graph.
    pub graph: TGraph,
    /// `keras[t]`: the symbolic tensor of the Keras model that tensor `t` equals.
    pub keras: Vec<Option<KerasTensor>>,
}

type Key = (usize, usize);

fn node_key(n: &Arc<Node>) -> usize {
    Arc::as_ptr(n) as *const () as usize
}

fn tkey(t: &KerasTensor) -> Key {
    (node_key(t.node()), t.index())
}

struct Cx<'a> {
    layer: &'a LayerRef,
    cfg: Value,
}

impl Cx<'_> {
    fn err(&self, msg: impl Into<String>) -> LiteError {
        LiteError::Layer {
            layer: self.layer.name(),
            class: self.layer.class_name().into(),
            msg: msg.into(),
        }
    }

    fn weight(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let var = self
            .layer
            .lock()
            .base()
            .variable(name)
            .map_err(|e| self.err(format!("weight '{name}': {e}")))?;
        let t = var.value();
        let t = if t.dtype() == DType::F32 {
            t
        } else {
            t.cast(DType::F32)?
        };
        Ok((t.shape().to_vec(), t.to_vec::<f32>()?))
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.cfg.get(key).and_then(|v| v.as_str())
    }

    fn bool(&self, key: &str, default: bool) -> bool {
        self.cfg
            .get(key)
            .and_then(|v| v.as_bool())
            .unwrap_or(default)
    }

    fn pair(&self, key: &str) -> Result<(i32, i32)> {
        match self.cfg.get(key) {
            Some(Value::Array(a)) if a.len() == 2 => match (a[0].as_i64(), a[1].as_i64()) {
                (Some(x), Some(y)) => Ok((x as i32, y as i32)),
                _ => Err(self.err(format!("config '{key}' = {a:?} is not two integers"))),
            },
            Some(Value::Number(n)) => n
                .as_i64()
                .map(|v| (v as i32, v as i32))
                .ok_or_else(|| self.err(format!("config '{key}' = {n} is not an integer"))),
            other => Err(self.err(format!("config '{key}' = {other:?}; expected two integers"))),
        }
    }

    fn padding(&self) -> Result<Padding> {
        match self.str("padding").unwrap_or("valid") {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            p => Err(self.err(format!(
                "padding '{p}' has no TFLite form; expected valid or same"
            ))),
        }
    }

    fn channels_last(&self) -> Result<()> {
        match self.str("data_format") {
            None | Some("channels_last") => Ok(()),
            Some(f) => Err(self.err(format!("data_format '{f}'; TFLite expects channels_last"))),
        }
    }
}

/// Permutes row-major `data` of shape `dims` by `perm`.
pub(crate) fn permute(data: &[f32], dims: &[usize], perm: &[usize]) -> Vec<f32> {
    let nd = dims.len();
    let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
    let mut strides = vec![1usize; nd];
    for i in (0..nd.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * dims[i + 1];
    }
    let total: usize = dims.iter().product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0usize; nd];
    for _ in 0..total {
        out.push(data[(0..nd).map(|k| idx[k] * strides[perm[k]]).sum::<usize>()]);
        for k in (0..nd).rev() {
            idx[k] += 1;
            if idx[k] < out_dims[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

struct State {
    g: TGraph,
    keras: Vec<Option<KerasTensor>>,
    /// How many layer calls (plus model outputs) read each Keras tensor.
    uses: HashMap<Key, usize>,
}

impl State {
    /// A new activation tensor holding the value of `kt`.
    fn act_tensor(&mut self, cx: &Cx, name: &str, kt: &KerasTensor) -> Result<i32> {
        let sig = signature(cx, kt)?;
        let t = self.g.activation(name, &sig);
        self.keras.push(Some(kt.clone()));
        debug_assert_eq!(self.keras.len(), self.g.tensors.len());
        Ok(t)
    }

    fn const_f32(&mut self, name: &str, shape: &[usize], data: &[f32]) -> i32 {
        let s: Vec<i32> = shape.iter().map(|&d| d as i32).collect();
        self.keras.push(None);
        self.g.const_f32(name, &s, data)
    }

    fn const_i32(&mut self, name: &str, data: &[i32], shape: &[i32]) -> i32 {
        self.keras.push(None);
        self.g.const_i32(name, shape, data)
    }

    /// Whether `x` (the tensor a layer reads) is read by that layer alone, so the op
    /// producing it may absorb the layer (fusion, folding).
    fn sole_use(&self, x_kt: &KerasTensor) -> bool {
        self.uses.get(&tkey(x_kt)).copied().unwrap_or(0) == 1
    }

    /// Applies a Keras activation (by name) to `x`, fusing ReLU/ReLU6 into the producer
    /// when it is allowed to; returns the tensor holding the result (`out_kt`'s value).
    fn activation(
        &mut self,
        cx: &Cx,
        name: &str,
        x: i32,
        fusable: bool,
        out_kt: &KerasTensor,
    ) -> Result<i32> {
        let fused = match name {
            "relu" => Some((Activation::Relu, op::RELU)),
            "relu6" => Some((Activation::Relu6, op::RELU6)),
            _ => None,
        };
        if name == "linear" {
            self.rebind(x, out_kt);
            return Ok(x);
        }
        if let Some((a, code)) = fused {
            if fusable
                && let Some(p) = self.g.producer(x)
                && let Some(slot) = self.g.ops[p].options.act_mut()
                && *slot == Activation::None
            {
                *slot = a;
                self.rebind(x, out_kt);
                return Ok(x);
            }
            let y = self.act_tensor(cx, &cx.layer.name(), out_kt)?;
            self.g.op(code, &[x], &[y], Options::None);
            return Ok(y);
        }
        let (code, opts) = match name {
            "sigmoid" => (op::LOGISTIC, Options::None),
            "tanh" => (op::TANH, Options::None),
            "hard_swish" | "hard_silu" => (op::HARD_SWISH, Options::HardSwish),
            "softmax" => (op::SOFTMAX, Options::Softmax { beta: 1.0 }),
            other => {
                return Err(cx.err(format!(
                    "activation '{other}' has no TFLite form here; expected linear, relu, relu6, sigmoid, tanh, hard_swish or softmax"
                )))
            }
        };
        let y = self.act_tensor(cx, &cx.layer.name(), out_kt)?;
        self.g.op(code, &[x], &[y], opts);
        Ok(y)
    }

    /// If `x` is the output of a PAD read only by this convolution, and the PAD with
    /// VALID padding equals TensorFlow's SAME padding for the PAD's input, removes the PAD
    /// and returns the tensor the convolution should read instead.
    fn fold_same_pad(
        &mut self,
        x: i32,
        xkt: &KerasTensor,
        padding: Padding,
        stride: (i32, i32),
        dilation: (i32, i32),
        kernel: (usize, usize),
    ) -> Option<i32> {
        if padding != Padding::Valid || !self.sole_use(xkt) {
            return None;
        }
        let p = self.g.producer(x)?;
        let pad = &self.g.ops[p];
        if pad.code != op::PAD {
            return None;
        }
        let src = pad.inputs[0];
        let pads: Vec<i32> = self.g.tensors[pad.inputs[1] as usize]
            .data
            .as_ref()?
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let in_shape = &self.g.tensors[src as usize].shape;
        if pads.len() != 8 || pads[0..2] != [0, 0] || pads[6..8] != [0, 0] || in_shape.len() != 4 {
            return None;
        }
        let same = |size: i32, s: i32, d: i32, k: usize| -> (i32, i32) {
            let eff = (k as i32 - 1) * d + 1;
            let out = (size + s - 1) / s;
            let total = ((out - 1) * s + eff - size).max(0);
            (total / 2, total - total / 2)
        };
        let h = same(in_shape[1], stride.0, dilation.0, kernel.0);
        let w = same(in_shape[2], stride.1, dilation.1, kernel.1);
        if (pads[2], pads[3]) != h || (pads[4], pads[5]) != w {
            return None;
        }
        self.g.ops.remove(p);
        Some(src)
    }

    /// `t` is a layer's value before its activation `act`: unless the activation is the
    /// identity or fuses into `t`'s op, no Keras tensor holds that value.
    fn pre_activation(&mut self, t: i32, act: &str) {
        if !matches!(act, "linear" | "relu" | "relu6") {
            self.keras[t as usize] = None;
        }
    }

    /// Tensor `t` now holds the value of `kt` (after a fusion or a no-op layer).
    fn rebind(&mut self, t: i32, kt: &KerasTensor) {
        if self.g.tensors[t as usize].data.is_none() {
            self.keras[t as usize] = Some(kt.clone());
            self.g.tensors[t as usize].name = kt.layer().name();
        }
    }
}

fn signature(cx: &Cx, kt: &KerasTensor) -> Result<Vec<i32>> {
    kt.shape()
        .iter()
        .enumerate()
        .map(|(i, d)| match d {
            Some(n) => Ok(*n as i32),
            None if i == 0 => Ok(-1),
            None => Err(cx.err(format!(
                "dimension {i} of shape {:?} is unknown; TFLite export needs every non-batch dimension known",
                kt.shape()
            ))),
        })
        .collect()
}

fn activation_name(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => Some("linear".into()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(m)) => m
            .get("config")
            .and_then(|c| c.get("name"))
            .or_else(|| m.get("class_name"))
            .and_then(|s| s.as_str())
            .map(|s| s.to_string()),
        _ => None,
    }
}

/// Lowers `model` (Sequential once built, or Functional) to a float32 TFLite graph.
pub fn lower(model: &Model) -> Result<Lowered> {
    let inputs = model.inputs();
    let outputs = model.outputs();
    if inputs.is_empty() || outputs.is_empty() {
        return Err(LiteError::Layer {
            layer: model.name(),
            class: "Model".into(),
            msg: "only built Sequential and Functional models convert (the input shape must be known)".into(),
        });
    }
    let mut order: Vec<Arc<Node>> = Vec::new();
    let mut seen: HashSet<usize> = HashSet::new();
    let mut out_kt: HashMap<Key, KerasTensor> = HashMap::new();
    let mut uses: HashMap<Key, usize> = HashMap::new();
    fn visit(
        t: &KerasTensor,
        seen: &mut HashSet<usize>,
        order: &mut Vec<Arc<Node>>,
        out_kt: &mut HashMap<Key, KerasTensor>,
        uses: &mut HashMap<Key, usize>,
    ) {
        out_kt.entry(tkey(t)).or_insert_with(|| t.clone());
        let n = t.node();
        if !seen.insert(node_key(n)) {
            return;
        }
        for i in n.inputs() {
            *uses.entry(tkey(i)).or_insert(0) += 1;
            visit(i, seen, order, out_kt, uses);
        }
        order.push(n.clone());
    }
    for o in &outputs {
        *uses.entry(tkey(o)).or_insert(0) += 1;
        visit(o, &mut seen, &mut order, &mut out_kt, &mut uses);
    }
    let mut st = State {
        g: TGraph::default(),
        keras: Vec::new(),
        uses,
    };
    let mut ids: HashMap<Key, i32> = HashMap::new();
    for t in &inputs {
        let layer = t.layer();
        let cx = Cx {
            layer: &layer,
            cfg: Value::Null,
        };
        if t.dtype() != DType::F32 {
            return Err(cx.err(format!(
                "input dtype {:?}; the converter takes float32 inputs",
                t.dtype()
            )));
        }
        let id = st.act_tensor(&cx, &layer.name(), t)?;
        st.g.inputs.push(id);
        ids.insert(tkey(t), id);
    }
    for n in &order {
        let key = node_key(n);
        if ids.contains_key(&(key, 0)) && n.inputs().is_empty() {
            continue;
        }
        let layer = n.layer();
        let cx = Cx {
            layer,
            cfg: layer.lock().get_config(),
        };
        let ins: Vec<(i32, KerasTensor)> = n
            .inputs()
            .iter()
            .map(|t| {
                ids.get(&tkey(t))
                    .map(|&i| (i, t.clone()))
                    .ok_or_else(|| cx.err("an input of this layer call was not produced earlier"))
            })
            .collect::<Result<_>>()?;
        let out = out_kt
            .get(&(key, 0))
            .cloned()
            .ok_or_else(|| cx.err("the layer's output is not used by the model"))?;
        if out_kt.contains_key(&(key, 1)) {
            return Err(cx.err("layers with several outputs have no TFLite form here"));
        }
        let y = lower_layer(&mut st, &cx, &ins, &out)?;
        ids.insert((key, 0), y);
    }
    for o in &outputs {
        let id = ids
            .get(&tkey(o))
            .copied()
            .ok_or_else(|| LiteError::Internal("a model output was not produced".into()))?;
        st.g.outputs.push(id);
    }
    // Folding and fusion leave tensors no op reads.
    let kept = st.g.compact();
    let keras = kept.into_iter().map(|i| st.keras[i].take()).collect();
    Ok(Lowered { graph: st.g, keras })
}

fn lower_layer(
    st: &mut State,
    cx: &Cx,
    ins: &[(i32, KerasTensor)],
    out: &KerasTensor,
) -> Result<i32> {
    let class = cx.layer.class_name();
    let name = cx.layer.name();
    let (x, xkt) = ins
        .first()
        .cloned()
        .ok_or_else(|| cx.err("layer call has no inputs"))?;
    let rank = xkt.shape().len();
    let act_cfg = |cx: &Cx| -> Result<String> {
        activation_name(cx.cfg.get("activation"))
            .ok_or_else(|| cx.err("activation is not a named activation"))
    };
    match class {
        "Dense" => {
            let (kd, k) = cx.weight("kernel")?;
            let (cin, units) = (kd[0], kd[1]);
            let w = st.const_f32(&format!("{name}/kernel"), &[units, cin], &permute(&k, &kd, &[1, 0]));
            // As the converter does, a bias that is absent or all zero is omitted (-1).
            let b = if cx.bool("use_bias", true) {
                cx.weight("bias")?.1
            } else {
                Vec::new()
            };
            let b = if b.iter().all(|v| *v == 0.0) {
                -1
            } else {
                st.const_f32(&format!("{name}/bias"), &[units], &b)
            };
            let y = st.act_tensor(cx, &format!("{name}/MatMul"), out)?;
            st.g.op(
                op::FULLY_CONNECTED,
                &[x, w, b],
                &[y],
                Options::FullyConnected {
                    act: Activation::None,
                    keep_num_dims: rank > 2,
                },
            );
            let a = act_cfg(cx)?;
            st.pre_activation(y, &a);
            st.activation(cx, &a, y, true, out)
        }
        "Conv2D" | "DepthwiseConv2D" => {
            cx.channels_last()?;
            if rank != 4 {
                return Err(cx.err(format!("input rank {rank}; expected 4 (NHWC)")));
            }
            let groups = cx.cfg.get("groups").and_then(|v| v.as_u64()).unwrap_or(1);
            if groups != 1 {
                return Err(cx.err(format!("groups={groups} has no TFLite CONV_2D form; expected 1")));
            }
            let (kd, k) = cx.weight("kernel")?;
            let stride = cx.pair("strides")?;
            let dilation = cx.pair("dilation_rate")?;
            let padding = cx.padding()?;
            let depthwise = class == "DepthwiseConv2D";
            let (wshape, wdata, cout) = if depthwise {
                // (kh, kw, cin, mult) is already 1HWC in memory: channel c * mult + m.
                let c = kd[2] * kd[3];
                (vec![1, kd[0], kd[1], c], k, c)
            } else {
                (vec![kd[3], kd[0], kd[1], kd[2]], permute(&k, &kd, &[3, 0, 1, 2]), kd[3])
            };
            // ZeroPadding2D then a VALID convolution that together equal SAME padding
            // (MobileNetV2's stride-2 blocks): the PAD folds away, as the converter does.
            let (x, padding) = match st.fold_same_pad(x, &xkt, padding, stride, dilation, (kd[0], kd[1])) {
                Some(x) => (x, Padding::Same),
                None => (x, padding),
            };
            let w = st.const_f32(&format!("{name}/kernel"), &wshape, &wdata);
            let b = if cx.bool("use_bias", true) {
                cx.weight("bias")?.1
            } else {
                vec![0.0; cout]
            };
            let b = st.const_f32(&format!("{name}/bias"), &[cout], &b);
            let y = st.act_tensor(cx, &name, out)?;
            let options = if depthwise {
                Options::DepthwiseConv2D {
                    padding,
                    stride,
                    dilation,
                    multiplier: kd[3] as i32,
                    act: Activation::None,
                }
            } else {
                Options::Conv2D {
                    padding,
                    stride,
                    dilation,
                    act: Activation::None,
                }
            };
            let code = if depthwise { op::DEPTHWISE_CONV_2D } else { op::CONV_2D };
            st.g.op(code, &[x, w, b], &[y], options);
            let a = act_cfg(cx)?;
            st.pre_activation(y, &a);
            st.activation(cx, &a, y, true, out)
        }
        "BatchNormalization" => lower_batch_norm(st, cx, x, &xkt, out),
        "Activation" => {
            let a = act_cfg(cx)?;
            let fusable = st.sole_use(&xkt);
            st.activation(cx, &a, x, fusable, out)
        }
        "ReLU" => {
            let max = cx.cfg.get("max_value").and_then(|v| v.as_f64());
            let slope = cx.cfg.get("negative_slope").and_then(|v| v.as_f64()).unwrap_or(0.0);
            let thr = cx.cfg.get("threshold").and_then(|v| v.as_f64()).unwrap_or(0.0);
            let a = match (max, slope, thr) {
                (None, 0.0, 0.0) => "relu",
                (Some(6.0), 0.0, 0.0) => "relu6",
                _ => {
                    return Err(cx.err(format!(
                        "max_value={max:?}, negative_slope={slope}, threshold={thr} has no TFLite form; expected a plain ReLU or max_value=6"
                    )))
                }
            };
            let fusable = st.sole_use(&xkt);
            st.activation(cx, a, x, fusable, out)
        }
        "Softmax" => {
            let axis = cx.cfg.get("axis").and_then(|v| v.as_i64()).unwrap_or(-1);
            if axis != -1 && axis != rank as i64 - 1 {
                return Err(cx.err(format!("softmax over axis {axis}; TFLite SOFTMAX takes the last axis")));
            }
            st.activation(cx, "softmax", x, false, out)
        }
        "Dropout" | "SpatialDropout1D" | "SpatialDropout2D" | "GaussianNoise"
        | "GaussianDropout" | "AlphaDropout" | "ActivityRegularization" | "Identity" => {
            // Inference is the identity: no op, the next layer reads the input tensor.
            if st.sole_use(&xkt) {
                st.rebind(x, out);
            }
            Ok(x)
        }
        "Flatten" | "Reshape" => {
            cx.channels_last()?;
            let sig = signature(cx, out)?;
            let mut shape = vec![-1];
            shape.extend_from_slice(&sig[1..]);
            let s = st.const_i32(&format!("{name}/shape"), &shape, &[shape.len() as i32]);
            let y = st.act_tensor(cx, &name, out)?;
            st.g.op(op::RESHAPE, &[x, s], &[y], Options::Reshape { new_shape: shape });
            Ok(y)
        }
        "MaxPooling2D" | "AveragePooling2D" => {
            cx.channels_last()?;
            let filter = cx.pair("pool_size")?;
            let stride = match cx.cfg.get("strides") {
                None | Some(Value::Null) => filter,
                _ => cx.pair("strides")?,
            };
            let padding = cx.padding()?;
            let y = st.act_tensor(cx, &name, out)?;
            let code = if class == "MaxPooling2D" { op::MAX_POOL_2D } else { op::AVERAGE_POOL_2D };
            st.g.op(
                code,
                &[x],
                &[y],
                Options::Pool2D {
                    padding,
                    stride,
                    filter,
                    act: Activation::None,
                },
            );
            Ok(y)
        }
        "GlobalAveragePooling2D" | "GlobalAveragePooling1D" => {
            cx.channels_last()?;
            let axes: Vec<i32> = (1..rank as i32 - 1).collect();
            let a = st.const_i32(&format!("{name}/axes"), &axes, &[axes.len() as i32]);
            let y = st.act_tensor(cx, &name, out)?;
            st.g.op(
                op::MEAN,
                &[x, a],
                &[y],
                Options::Reducer {
                    keep_dims: cx.bool("keepdims", false),
                },
            );
            Ok(y)
        }
        "Add" => {
            if ins.len() < 2 {
                return Err(cx.err("Add needs two or more inputs"));
            }
            let mut acc = x;
            for (i, (z, _)) in ins[1..].iter().enumerate() {
                let y = if i + 2 == ins.len() {
                    st.act_tensor(cx, &name, out)?
                } else {
                    let t = st.act_tensor(cx, &format!("{name}/add_{i}"), out)?;
                    st.keras[t as usize] = None;
                    t
                };
                st.g.op(op::ADD, &[acc, *z], &[y], Options::Add { act: Activation::None });
                acc = y;
            }
            Ok(acc)
        }
        "Concatenate" => {
            let axis = cx.cfg.get("axis").and_then(|v| v.as_i64()).unwrap_or(-1);
            let axis = if axis < 0 { axis + rank as i64 } else { axis } as i32;
            let xs: Vec<i32> = ins.iter().map(|(t, _)| *t).collect();
            let y = st.act_tensor(cx, &name, out)?;
            st.g.op(
                op::CONCATENATION,
                &xs,
                &[y],
                Options::Concatenation {
                    axis,
                    act: Activation::None,
                },
            );
            Ok(y)
        }
        "ZeroPadding2D" | "ZeroPadding1D" => {
            cx.channels_last()?;
            let pairs: Vec<(i32, i32)> = match cx.cfg.get("padding") {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| match v.as_array().map(|p| p.as_slice()) {
                        Some([a, b]) => match (a.as_i64(), b.as_i64()) {
                            (Some(a), Some(b)) => Ok((a as i32, b as i32)),
                            _ => Err(cx.err(format!("padding pair {v} is not two integers"))),
                        },
                        _ => Err(cx.err(format!("padding {v} is not a [before, after] pair"))),
                    })
                    .collect::<Result<_>>()?,
                other => return Err(cx.err(format!("config 'padding' {other:?} is not a list of pairs"))),
            };
            if pairs.len() + 2 != rank {
                return Err(cx.err(format!("{} padding pairs for a rank-{rank} input", pairs.len())));
            }
            let mut flat = vec![0, 0];
            for (a, b) in &pairs {
                flat.extend([*a, *b]);
            }
            flat.extend([0, 0]);
            let p = st.const_i32(&format!("{name}/paddings"), &flat, &[rank as i32, 2]);
            let y = st.act_tensor(cx, &name, out)?;
            st.g.op(op::PAD, &[x, p], &[y], Options::Pad);
            Ok(y)
        }
        other => Err(cx.err(format!(
            "{other} has no TFLite form in kiln's converter; supported: Dense, Conv2D, DepthwiseConv2D, BatchNormalization, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape, Add, Concatenate, ZeroPadding2D, Dropout, Activation, ReLU, Softmax"
        ))),
    }
}

/// BatchNormalization in inference form, `y = x * s + t` with `s = gamma / sqrt(var + eps)`
/// and `t = beta - mean * s`: folded into the filter and bias of the convolution or
/// dense layer before it when that layer feeds it alone, else MUL + ADD.
fn lower_batch_norm(
    st: &mut State,
    cx: &Cx,
    x: i32,
    xkt: &KerasTensor,
    out: &KerasTensor,
) -> Result<i32> {
    let eps = cx
        .cfg
        .get("epsilon")
        .and_then(|v| v.as_f64())
        .unwrap_or(1e-3) as f32;
    let rank = xkt.shape().len() as i64;
    let axis = match cx.cfg.get("axis") {
        Some(Value::Array(a)) if a.len() == 1 => a[0].as_i64(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
    .map(|a| if a < 0 { a + rank } else { a })
    .ok_or_else(|| cx.err("only a single BatchNormalization axis converts"))?;
    if axis != rank - 1 {
        return Err(cx.err(format!(
            "axis {axis} of a rank-{rank} input; TFLite needs the last (channels) axis"
        )));
    }
    let mean = cx.weight("moving_mean")?.1;
    let var = cx.weight("moving_variance")?.1;
    let c = mean.len();
    let gamma = if cx.bool("scale", true) {
        cx.weight("gamma")?.1
    } else {
        vec![1.0; c]
    };
    let beta = if cx.bool("center", true) {
        cx.weight("beta")?.1
    } else {
        vec![0.0; c]
    };
    let s: Vec<f32> = (0..c).map(|i| gamma[i] / (var[i] + eps).sqrt()).collect();
    let t: Vec<f32> = (0..c).map(|i| beta[i] - mean[i] * s[i]).collect();
    if st.sole_use(xkt)
        && let Some(p) = st.g.producer(x)
    {
        {
            let o = &st.g.ops[p];
            let foldable = matches!(
                o.code,
                op::CONV_2D | op::DEPTHWISE_CONV_2D | op::FULLY_CONNECTED
            ) && matches!(
                o.options,
                Options::Conv2D {
                    act: Activation::None,
                    ..
                } | Options::DepthwiseConv2D {
                    act: Activation::None,
                    ..
                } | Options::FullyConnected {
                    act: Activation::None,
                    ..
                }
            );
            if foldable && o.inputs[2] >= 0 {
                let (wi, bi, per_out_first) = (
                    o.inputs[1] as usize,
                    o.inputs[2] as usize,
                    o.code != op::DEPTHWISE_CONV_2D,
                );
                let mut w = st.g.tensors[wi]
                    .f32_data()
                    .ok_or_else(|| LiteError::Internal("filter is not f32".into()))?;
                let mut b = st.g.tensors[bi]
                    .f32_data()
                    .ok_or_else(|| LiteError::Internal("bias is not f32".into()))?;
                if b.len() != c {
                    return Err(cx.err(format!(
                        "{c} channels after a layer with {} outputs",
                        b.len()
                    )));
                }
                if per_out_first {
                    // OHWI / (units, in): output channel is the first axis.
                    let inner = w.len() / c;
                    for (i, v) in w.iter_mut().enumerate() {
                        *v *= s[i / inner];
                    }
                } else {
                    // 1HWC: output channel is the last axis.
                    for (i, v) in w.iter_mut().enumerate() {
                        *v *= s[i % c];
                    }
                }
                for i in 0..c {
                    b[i] = b[i] * s[i] + t[i];
                }
                st.g.tensors[wi].data = Some(w.iter().flat_map(|v| v.to_le_bytes()).collect());
                st.g.tensors[bi].data = Some(b.iter().flat_map(|v| v.to_le_bytes()).collect());
                st.rebind(x, out);
                return Ok(x);
            }
        }
    }
    let name = cx.layer.name();
    let sn = st.const_f32(&format!("{name}/scale"), &[c], &s);
    let tn = st.const_f32(&format!("{name}/offset"), &[c], &t);
    let m = st.act_tensor(cx, &format!("{name}/mul"), out)?;
    st.keras[m as usize] = None;
    st.g.op(
        op::MUL,
        &[x, sn],
        &[m],
        Options::Mul {
            act: Activation::None,
        },
    );
    let y = st.act_tensor(cx, &name, out)?;
    st.g.op(
        op::ADD,
        &[m, tn],
        &[y],
        Options::Add {
            act: Activation::None,
        },
    );
    Ok(y)
}
