//! The graph the converter builds before writing it: TFLite tensors (with constant
//! data and quantization parameters) and builtin operators, in execution order.

use super::schema::{Activation, Padding, TensorType};

/// Quantization parameters of a tensor (`QuantizationParameters`): `real = scale * (q - zero_point)`,
/// per tensor (one scale) or per channel along `quantized_dimension`.
#[derive(Clone, Debug, PartialEq)]
pub struct Quant {
    /// One scale, or one per channel.
    pub scale: Vec<f32>,
    /// One zero point per scale.
    pub zero_point: Vec<i64>,
    /// The channel axis for per-channel parameters.
    pub quantized_dimension: i32,
    /// The calibrated float range, when known (the converter records it for activations).
    pub min_max: Option<(f32, f32)>,
}

impl Quant {
    /// Per-tensor parameters.
    pub fn per_tensor(scale: f32, zero_point: i64) -> Self {
        Quant {
            scale: vec![scale],
            zero_point: vec![zero_point],
            quantized_dimension: 0,
            min_max: None,
        }
    }
}

/// One tensor of the subgraph.
#[derive(Clone, Debug)]
pub struct TTensor {
    /// Its name in the file.
    pub name: String,
    /// Shape with the batch dimension as 1.
    pub shape: Vec<i32>,
    /// Shape with unknown dimensions as -1 (`shape_signature`).
    pub signature: Vec<i32>,
    /// Element type.
    pub ttype: TensorType,
    /// Constant data (little endian), or `None` for an activation.
    pub data: Option<Vec<u8>>,
    /// Quantization parameters, if quantized.
    pub quant: Option<Quant>,
}

impl TTensor {
    /// Number of elements of `shape`.
    pub fn numel(&self) -> usize {
        self.shape.iter().map(|&d| d.max(0) as usize).product()
    }

    /// The constant data as f32 (only for a float32 constant).
    pub fn f32_data(&self) -> Option<Vec<f32>> {
        match (&self.data, self.ttype) {
            (Some(d), TensorType::Float32) => Some(
                d.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// Builtin options of an operator (the union members the writer emits).
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum Options {
    None,
    FullyConnected {
        act: Activation,
        keep_num_dims: bool,
    },
    Conv2D {
        padding: Padding,
        stride: (i32, i32),
        dilation: (i32, i32),
        act: Activation,
    },
    DepthwiseConv2D {
        padding: Padding,
        stride: (i32, i32),
        dilation: (i32, i32),
        multiplier: i32,
        act: Activation,
    },
    Pool2D {
        padding: Padding,
        stride: (i32, i32),
        filter: (i32, i32),
        act: Activation,
    },
    Reshape {
        new_shape: Vec<i32>,
    },
    Softmax {
        beta: f32,
    },
    Concatenation {
        axis: i32,
        act: Activation,
    },
    Add {
        act: Activation,
    },
    Mul {
        act: Activation,
    },
    Reducer {
        keep_dims: bool,
    },
    Pad,
    Quantize,
    Dequantize,
    HardSwish,
}

impl Options {
    /// The fused activation, for the ops that have one.
    pub fn act_mut(&mut self) -> Option<&mut Activation> {
        match self {
            Options::FullyConnected { act, .. }
            | Options::Conv2D { act, .. }
            | Options::DepthwiseConv2D { act, .. }
            | Options::Pool2D { act, .. }
            | Options::Concatenation { act, .. }
            | Options::Add { act }
            | Options::Mul { act } => Some(act),
            _ => None,
        }
    }
}

/// One builtin operator.
#[derive(Clone, Debug)]
pub struct TOp {
    /// Builtin code (`schema::op`).
    pub code: i32,
    /// Operator version (what the converter writes for these types).
    pub version: i32,
    /// Input tensor indices (-1 for an omitted optional input).
    pub inputs: Vec<i32>,
    /// Output tensor indices.
    pub outputs: Vec<i32>,
    /// Builtin options.
    pub options: Options,
}

/// A single-subgraph model: tensors, operators in execution order, inputs and outputs.
#[derive(Clone, Debug, Default)]
pub struct TGraph {
    /// All tensors.
    pub tensors: Vec<TTensor>,
    /// Operators in execution order.
    pub ops: Vec<TOp>,
    /// Subgraph inputs.
    pub inputs: Vec<i32>,
    /// Subgraph outputs.
    pub outputs: Vec<i32>,
}

impl TGraph {
    /// Adds a tensor and returns its index.
    pub fn add_tensor(&mut self, t: TTensor) -> i32 {
        self.tensors.push(t);
        self.tensors.len() as i32 - 1
    }

    /// Adds an activation tensor (no data) of `shape` (batch as -1 in the signature).
    pub fn activation(&mut self, name: &str, signature: &[i32]) -> i32 {
        let shape = signature
            .iter()
            .map(|&d| if d < 0 { 1 } else { d })
            .collect();
        self.add_tensor(TTensor {
            name: name.to_string(),
            shape,
            signature: signature.to_vec(),
            ttype: TensorType::Float32,
            data: None,
            quant: None,
        })
    }

    /// Adds a float32 constant.
    pub fn const_f32(&mut self, name: &str, shape: &[i32], data: &[f32]) -> i32 {
        self.add_tensor(TTensor {
            name: name.to_string(),
            shape: shape.to_vec(),
            signature: shape.to_vec(),
            ttype: TensorType::Float32,
            data: Some(data.iter().flat_map(|v| v.to_le_bytes()).collect()),
            quant: None,
        })
    }

    /// Adds an int32 constant.
    pub fn const_i32(&mut self, name: &str, shape: &[i32], data: &[i32]) -> i32 {
        self.add_tensor(TTensor {
            name: name.to_string(),
            shape: shape.to_vec(),
            signature: shape.to_vec(),
            ttype: TensorType::Int32,
            data: Some(data.iter().flat_map(|v| v.to_le_bytes()).collect()),
            quant: None,
        })
    }

    /// Adds an operator.
    pub fn op(&mut self, code: i32, inputs: &[i32], outputs: &[i32], options: Options) {
        self.ops.push(TOp {
            code,
            version: 1,
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            options,
        });
    }

    /// The operators that read tensor `t`.
    pub fn consumers(&self, t: i32) -> Vec<usize> {
        (0..self.ops.len())
            .filter(|&i| self.ops[i].inputs.contains(&t))
            .collect()
    }

    /// The operator that writes tensor `t`.
    pub fn producer(&self, t: i32) -> Option<usize> {
        self.ops.iter().position(|o| o.outputs.contains(&t))
    }

    /// Drops tensors no operator or subgraph edge refers to, renumbering the rest;
    /// returns the old index of each kept tensor.
    pub fn compact(&mut self) -> Vec<usize> {
        let n = self.tensors.len();
        let mut used = vec![false; n];
        for o in &self.ops {
            for &t in o.inputs.iter().chain(&o.outputs) {
                if t >= 0 {
                    used[t as usize] = true;
                }
            }
        }
        for &t in self.inputs.iter().chain(&self.outputs) {
            used[t as usize] = true;
        }
        let mut map = vec![-1i32; n];
        let mut kept = Vec::new();
        let mut old = Vec::new();
        for (i, t) in std::mem::take(&mut self.tensors).into_iter().enumerate() {
            if used[i] {
                map[i] = kept.len() as i32;
                kept.push(t);
                old.push(i);
            }
        }
        self.tensors = kept;
        let re = |v: &mut Vec<i32>| {
            for t in v.iter_mut() {
                if *t >= 0 {
                    *t = map[*t as usize];
                }
            }
        };
        for o in &mut self.ops {
            re(&mut o.inputs);
            re(&mut o.outputs);
        }
        re(&mut self.inputs);
        re(&mut self.outputs);
        old
    }
}
