//! [`TGraph`] -> TFLite flatbuffer bytes (`schema.fbs`, file identifier `TFL3`), and
//! the atomic file writer.

use std::path::Path;

use flatbuffers::{FlatBufferBuilder, Push, PushAlignment, WIPOffset};

use super::graph::{Options, TGraph};
use super::schema::{opts, slot, Activation};
use crate::{LiteError, Result};

/// The schema version written (`Model.version`).
pub const SCHEMA_VERSION: u32 = 3;

/// Zero bytes with 16-byte alignment: pushing it makes the builder's buffer, and so the
/// constant data placed after it, 16-byte aligned (`Buffer.data` is `force_align: 16`).
struct Align16;

impl Push for Align16 {
    type Output = Align16;
    // SAFETY (of the trait contract): writes nothing; size 0 needs no room in `dst`.
    unsafe fn push(&self, _dst: &mut [u8], _written_len: usize) {}
    fn size() -> usize {
        0
    }
    fn alignment() -> PushAlignment {
        PushAlignment::new(16)
    }
}

/// A byte vector whose first element is 16-byte aligned in the finished buffer.
fn aligned_bytes<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    data: &[u8],
) -> WIPOffset<flatbuffers::Vector<'a, u8>> {
    fbb.push(Align16);
    // The vector's data ends where the builder stands now; pad so that it also starts
    // on a 16-byte boundary (the builder grows downwards from the end).
    let pad = (16 - data.len() % 16) % 16;
    for _ in 0..pad {
        fbb.push(0u8);
    }
    fbb.create_vector(data)
}

/// Serializes `g` as a `.tflite` model (schema version 3, one subgraph, buffer 0 empty).
pub fn to_bytes(g: &TGraph, description: &str) -> Result<Vec<u8>> {
    let mut fbb = FlatBufferBuilder::with_capacity(1 << 16);
    // Operator codes in first-use order.
    let mut codes: Vec<(i32, i32)> = Vec::new();
    let mut op_index = Vec::with_capacity(g.ops.len());
    for o in &g.ops {
        let key = (o.code, o.version);
        let i = match codes.iter().position(|c| *c == key) {
            Some(i) => i,
            None => {
                codes.push(key);
                codes.len() - 1
            }
        };
        op_index.push(i as u32);
    }
    // Buffers: 0 is the empty sentinel, then one per constant tensor.
    let mut buffers = Vec::new();
    let empty = {
        let s = fbb.start_table();
        fbb.end_table(s)
    };
    buffers.push(empty);
    let mut tensor_buffer = vec![0u32; g.tensors.len()];
    for (i, t) in g.tensors.iter().enumerate() {
        if let Some(d) = &t.data {
            if d.len() != t.numel() * t.ttype.size() {
                return Err(LiteError::Internal(format!(
                    "tensor '{}' has {} bytes, its shape {:?} needs {}",
                    t.name,
                    d.len(),
                    t.shape,
                    t.numel() * t.ttype.size()
                )));
            }
            let v = aligned_bytes(&mut fbb, d);
            let s = fbb.start_table();
            fbb.push_slot_always(slot(0), v);
            buffers.push(fbb.end_table(s));
            tensor_buffer[i] = buffers.len() as u32 - 1;
        }
    }
    // Tensors.
    let mut tensors = Vec::with_capacity(g.tensors.len());
    for (i, t) in g.tensors.iter().enumerate() {
        let shape = fbb.create_vector(&t.shape);
        let sig = fbb.create_vector(&t.signature);
        let name = fbb.create_string(&t.name);
        let quant = t.quant.as_ref().map(|q| {
            let mm = q
                .min_max
                .map(|(lo, hi)| (fbb.create_vector(&[lo]), fbb.create_vector(&[hi])));
            let sc = fbb.create_vector(&q.scale);
            let zp = fbb.create_vector(&q.zero_point);
            let s = fbb.start_table();
            if let Some((lo, hi)) = mm {
                fbb.push_slot_always(slot(0), lo);
                fbb.push_slot_always(slot(1), hi);
            }
            fbb.push_slot_always(slot(2), sc);
            fbb.push_slot_always(slot(3), zp);
            fbb.push_slot(slot(6), q.quantized_dimension, 0);
            fbb.end_table(s)
        });
        let s = fbb.start_table();
        fbb.push_slot_always(slot(0), shape);
        fbb.push_slot(slot(1), t.ttype as i8, 0);
        fbb.push_slot(slot(2), tensor_buffer[i], 0);
        fbb.push_slot_always(slot(3), name);
        if let Some(q) = quant {
            fbb.push_slot_always(slot(4), q);
        }
        fbb.push_slot_always(slot(7), sig);
        tensors.push(fbb.end_table(s));
    }
    // Operators.
    let mut ops = Vec::with_capacity(g.ops.len());
    for (o, &idx) in g.ops.iter().zip(&op_index) {
        let ins = fbb.create_vector(&o.inputs);
        let outs = fbb.create_vector(&o.outputs);
        let (tag, options) = write_options(&mut fbb, &o.options);
        let s = fbb.start_table();
        fbb.push_slot(slot(0), idx, 0);
        fbb.push_slot_always(slot(1), ins);
        fbb.push_slot_always(slot(2), outs);
        fbb.push_slot(slot(3), tag, 0);
        if let Some(opt) = options {
            fbb.push_slot_always(slot(4), opt);
        }
        ops.push(fbb.end_table(s));
    }
    let tensors = fbb.create_vector(&tensors);
    let inputs = fbb.create_vector(&g.inputs);
    let outputs = fbb.create_vector(&g.outputs);
    let ops = fbb.create_vector(&ops);
    let sg_name = fbb.create_string("main");
    let s = fbb.start_table();
    fbb.push_slot_always(slot(0), tensors);
    fbb.push_slot_always(slot(1), inputs);
    fbb.push_slot_always(slot(2), outputs);
    fbb.push_slot_always(slot(3), ops);
    fbb.push_slot_always(slot(4), sg_name);
    let subgraph = fbb.end_table(s);
    let mut code_tables = Vec::with_capacity(codes.len());
    for &(code, version) in &codes {
        let s = fbb.start_table();
        // Codes below 127 also go in the deprecated int8 field, as the converter does.
        fbb.push_slot(slot(0), code.min(127) as i8, 0);
        fbb.push_slot(slot(2), version, 1);
        fbb.push_slot(slot(3), code, 0);
        code_tables.push(fbb.end_table(s));
    }
    let codes_v = fbb.create_vector(&code_tables);
    let subgraphs = fbb.create_vector(&[subgraph]);
    let buffers_v = fbb.create_vector(&buffers);
    let desc = fbb.create_string(description);
    let s = fbb.start_table();
    fbb.push_slot(slot(0), SCHEMA_VERSION, 0);
    fbb.push_slot_always(slot(1), codes_v);
    fbb.push_slot_always(slot(2), subgraphs);
    fbb.push_slot_always(slot(3), desc);
    fbb.push_slot_always(slot(4), buffers_v);
    let model = fbb.end_table(s);
    fbb.finish(model, Some("TFL3"));
    Ok(fbb.finished_data().to_vec())
}

fn act(a: Activation) -> i8 {
    a as i8
}

fn write_options(
    fbb: &mut FlatBufferBuilder,
    o: &Options,
) -> (u8, Option<WIPOffset<flatbuffers::UnionWIPOffset>>) {
    let new_shape = match o {
        Options::Reshape { new_shape } => Some(fbb.create_vector(new_shape)),
        _ => None,
    };
    if *o == Options::None {
        return (opts::NONE, None);
    }
    let s = fbb.start_table();
    let tag = match o {
        Options::None => opts::NONE,
        Options::FullyConnected {
            act: a,
            keep_num_dims,
        } => {
            fbb.push_slot(slot(0), act(*a), 0);
            fbb.push_slot(slot(2), *keep_num_dims, false);
            opts::FULLY_CONNECTED
        }
        Options::Conv2D {
            padding,
            stride,
            dilation,
            act: a,
        } => {
            fbb.push_slot(slot(0), *padding as i8, 0);
            fbb.push_slot(slot(1), stride.1, 0);
            fbb.push_slot(slot(2), stride.0, 0);
            fbb.push_slot(slot(3), act(*a), 0);
            fbb.push_slot(slot(4), dilation.1, 1);
            fbb.push_slot(slot(5), dilation.0, 1);
            opts::CONV_2D
        }
        Options::DepthwiseConv2D {
            padding,
            stride,
            dilation,
            multiplier,
            act: a,
        } => {
            fbb.push_slot(slot(0), *padding as i8, 0);
            fbb.push_slot(slot(1), stride.1, 0);
            fbb.push_slot(slot(2), stride.0, 0);
            fbb.push_slot(slot(3), *multiplier, 0);
            fbb.push_slot(slot(4), act(*a), 0);
            fbb.push_slot(slot(5), dilation.1, 1);
            fbb.push_slot(slot(6), dilation.0, 1);
            opts::DEPTHWISE_CONV_2D
        }
        Options::Pool2D {
            padding,
            stride,
            filter,
            act: a,
        } => {
            fbb.push_slot(slot(0), *padding as i8, 0);
            fbb.push_slot(slot(1), stride.1, 0);
            fbb.push_slot(slot(2), stride.0, 0);
            fbb.push_slot(slot(3), filter.1, 0);
            fbb.push_slot(slot(4), filter.0, 0);
            fbb.push_slot(slot(5), act(*a), 0);
            opts::POOL_2D
        }
        Options::Reshape { .. } => {
            if let Some(v) = new_shape {
                fbb.push_slot_always(slot(0), v);
            }
            opts::RESHAPE
        }
        Options::Softmax { beta } => {
            fbb.push_slot(slot(0), *beta, 0.0);
            opts::SOFTMAX
        }
        Options::Concatenation { axis, act: a } => {
            fbb.push_slot(slot(0), *axis, 0);
            fbb.push_slot(slot(1), act(*a), 0);
            opts::CONCATENATION
        }
        Options::Add { act: a } => {
            fbb.push_slot(slot(0), act(*a), 0);
            opts::ADD
        }
        Options::Mul { act: a } => {
            fbb.push_slot(slot(0), act(*a), 0);
            opts::MUL
        }
        Options::Reducer { keep_dims } => {
            fbb.push_slot(slot(0), *keep_dims, false);
            opts::REDUCER
        }
        Options::Pad => opts::PAD,
        Options::Quantize => opts::QUANTIZE,
        Options::Dequantize => opts::DEQUANTIZE,
        Options::HardSwish => opts::HARD_SWISH,
    };
    let t = fbb.end_table(s);
    (tag, Some(t.as_union_value()))
}

/// Writes `bytes` to `path` atomically (a temp file beside it, then a rename).
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let io = |e: std::io::Error| LiteError::Io {
        path: path.display().to_string(),
        msg: e.to_string(),
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}
