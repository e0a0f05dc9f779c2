//! Dynamic-range quantization (`Optimize.DEFAULT` without a representative dataset):
//! the weights of FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D with at least 1024
//! elements (the converter's `min_elements_for_weights`) become int8, symmetric per
//! output channel; activations and biases stay float32 and the kernels quantize their
//! inputs on the fly (hybrid kernels).

use super::params::symmetric_per_channel;
use crate::tflite::schema::{op, TensorType};
use crate::tflite::{Quant, TGraph};

/// The converter's threshold below which weights stay float.
pub const MIN_ELEMENTS_FOR_WEIGHTS: usize = 1024;

/// The output-channel axis of the weights of `code` (OHWI / (units, in): 0; 1HWC: 3).
pub fn weight_channel_axis(code: i32) -> Option<usize> {
    match code {
        op::FULLY_CONNECTED | op::CONV_2D => Some(0),
        op::DEPTHWISE_CONV_2D => Some(3),
        _ => None,
    }
}

/// Quantizes `g`'s weights in place to int8 (per channel, symmetric).
pub fn to_dynamic_range(g: &mut TGraph) {
    for i in 0..g.ops.len() {
        let code = g.ops[i].code;
        let Some(axis) = weight_channel_axis(code) else {
            continue;
        };
        let wi = g.ops[i].inputs[1] as usize;
        let t = &g.tensors[wi];
        let Some(w) = t.f32_data() else { continue };
        if w.len() < MIN_ELEMENTS_FOR_WEIGHTS {
            continue;
        }
        let quant = quantize_weights(&g.tensors[wi].shape, &w, axis);
        let t = &mut g.tensors[wi];
        t.ttype = TensorType::Int8;
        t.data = Some(quant.0.iter().map(|&v| v as u8).collect());
        t.quant = Some(quant.1);
        // Hybrid kernels quantize their float inputs asymmetrically (the converter's
        // default for dynamic range); versions as the converter writes them.
        g.ops[i].version = match code {
            op::FULLY_CONNECTED => 9,
            op::CONV_2D => 5,
            _ => 6,
        };
    }
}

/// Symmetric per-channel int8 weights along `axis` of `shape`.
pub fn quantize_weights(shape: &[i32], w: &[f32], axis: usize) -> (Vec<i8>, Quant) {
    let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    let channels = dims[axis];
    let inner: usize = dims[axis + 1..].iter().product();
    let (q, scales) = symmetric_per_channel(w, channels, |i| (i / inner) % channels);
    let zp = vec![0; scales.len()];
    (
        q,
        Quant {
            scale: scales,
            zero_point: zp,
            quantized_dimension: axis as i32,
            min_max: None,
        },
    )
}
