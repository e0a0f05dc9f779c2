//! Full integer quantization (TFLite's quantization spec): int8 activations, asymmetric
//! per tensor from the calibrated ranges; int8 weights symmetric per output channel;
//! int32 biases with `scale = s_input * s_weight[c]`, zero point 0; fixed output
//! parameters for SOFTMAX and LOGISTIC (1/256, -128) and TANH (1/128, 0); ops that only
//! move data (RESHAPE, PAD, MAX_POOL_2D) keep their input's parameters; QUANTIZE and
//! DEQUANTIZE at the model's edges unless its inference types are int8.

use super::dynamic::{quantize_weights, weight_channel_axis};
use super::params::asymmetric_i8;
use crate::tflite::schema::{op, TensorType};
use crate::tflite::{Options, Quant, TGraph, TOp, TTensor};
use crate::{LiteError, Result};

/// The versions the converter writes for the int8 forms of each op.
fn int8_version(code: i32) -> i32 {
    match code {
        op::FULLY_CONNECTED => 4,
        op::CONV_2D | op::DEPTHWISE_CONV_2D | op::PAD | op::ADD | op::MUL | op::MEAN => 3,
        op::SOFTMAX
        | op::MAX_POOL_2D
        | op::AVERAGE_POOL_2D
        | op::CONCATENATION
        | op::LOGISTIC
        | op::TANH
        | op::DEQUANTIZE
        | op::QUANTIZE
        | op::RELU
        | op::RELU6 => 2,
        op::RESHAPE | op::HARD_SWISH => 1,
        _ => 1,
    }
}

/// Quantizes `g` in place given the calibrated `ranges` of its activations.
pub fn to_full_integer(
    g: &mut TGraph,
    ranges: &[Option<(f32, f32)>],
    int8_input: bool,
    int8_output: bool,
) -> Result<()> {
    let n = g.tensors.len();
    let mut q: Vec<Option<Quant>> = vec![None; n];
    // Activation parameters, in execution order so that pass-through ops can copy their
    // input's parameters.
    let graph_inputs = g.inputs.clone();
    for &t in &graph_inputs {
        q[t as usize] = Some(range_quant(g, ranges, t)?);
    }
    for o in &g.ops {
        let y = o.outputs[0] as usize;
        let fixed = match o.code {
            op::SOFTMAX | op::LOGISTIC => Some(Quant::per_tensor(1.0 / 256.0, -128)),
            op::TANH => Some(Quant::per_tensor(1.0 / 128.0, 0)),
            op::RESHAPE | op::PAD | op::MAX_POOL_2D | op::AVERAGE_POOL_2D => {
                q[o.inputs[0] as usize].clone()
            }
            op::CONCATENATION | op::MUL => {
                return Err(LiteError::Argument {
                    arg: "representative_dataset".into(),
                    msg: format!(
                        "full integer quantization of {} (tensor '{}') is not supported by kiln's quantizer; convert without a representative dataset (dynamic range) instead",
                        op::name(o.code),
                        g.tensors[y].name
                    ),
                })
            }
            _ => None,
        };
        q[y] = Some(match fixed {
            Some(p) => p,
            None => range_quant(g, ranges, y as i32)?,
        });
    }
    // Weights and biases.
    for o in &g.ops {
        let Some(axis) = weight_channel_axis(o.code) else {
            continue;
        };
        let (xi, wi, bi) = (o.inputs[0] as usize, o.inputs[1] as usize, o.inputs[2]);
        let w = g.tensors[wi].f32_data().ok_or_else(|| {
            LiteError::Internal(format!("weights '{}' are not float32", g.tensors[wi].name))
        })?;
        let (wq, wquant) = quantize_weights(&g.tensors[wi].shape, &w, axis);
        let s_in = q[xi].as_ref().map(|p| p.scale[0]).unwrap_or(1.0);
        let t = &mut g.tensors[wi];
        t.ttype = TensorType::Int8;
        t.data = Some(wq.iter().map(|&v| v as u8).collect());
        if bi >= 0 {
            let bt = &mut g.tensors[bi as usize];
            let b = bt
                .f32_data()
                .ok_or_else(|| LiteError::Internal(format!("bias '{}' is not float32", bt.name)))?;
            let scales: Vec<f32> = wquant.scale.iter().map(|s| s * s_in).collect();
            let bq: Vec<i32> = b
                .iter()
                .zip(&scales)
                .map(|(v, s)| {
                    (*v as f64 / *s as f64)
                        .round()
                        .clamp(i32::MIN as f64, i32::MAX as f64) as i32
                })
                .collect();
            bt.ttype = TensorType::Int32;
            bt.data = Some(bq.iter().flat_map(|v| v.to_le_bytes()).collect());
            bt.quant = Some(Quant {
                zero_point: vec![0; scales.len()],
                scale: scales,
                quantized_dimension: 0,
                min_max: None,
            });
        }
        g.tensors[wi].quant = Some(wquant);
    }
    for (i, p) in q.into_iter().enumerate() {
        if let Some(p) = p {
            g.tensors[i].ttype = TensorType::Int8;
            g.tensors[i].quant = Some(p);
        }
    }
    for op_ in &mut g.ops {
        op_.version = int8_version(op_.code);
    }
    // The edges.
    if !int8_input {
        for k in 0..g.inputs.len() {
            let t = g.inputs[k] as usize;
            let f = float_twin(&g.tensors[t]);
            let fi = g.add_tensor(f);
            g.ops.insert(
                0,
                TOp {
                    code: op::QUANTIZE,
                    version: 2,
                    inputs: vec![fi],
                    outputs: vec![t as i32],
                    options: Options::None,
                },
            );
            g.inputs[k] = fi;
        }
    }
    if !int8_output {
        for k in 0..g.outputs.len() {
            let t = g.outputs[k] as usize;
            let f = float_twin(&g.tensors[t]);
            let fi = g.add_tensor(f);
            g.ops.push(TOp {
                code: op::DEQUANTIZE,
                version: 2,
                inputs: vec![t as i32],
                outputs: vec![fi],
                options: Options::None,
            });
            g.outputs[k] = fi;
        }
    }
    Ok(())
}

/// A float32 activation of the same shape (the model-edge side of QUANTIZE/DEQUANTIZE).
fn float_twin(t: &TTensor) -> TTensor {
    TTensor {
        name: t.name.clone(),
        shape: t.shape.clone(),
        signature: t.signature.clone(),
        ttype: TensorType::Float32,
        data: None,
        quant: None,
    }
}

fn range_quant(g: &TGraph, ranges: &[Option<(f32, f32)>], t: i32) -> Result<Quant> {
    let (lo, hi) = ranges[t as usize].ok_or_else(|| {
        LiteError::Internal(format!(
            "tensor '{}' was not calibrated",
            g.tensors[t as usize].name
        ))
    })?;
    let (s, z) = asymmetric_i8(lo, hi);
    let mut p = Quant::per_tensor(s, z);
    p.min_max = Some((lo, hi));
    Ok(p)
}
