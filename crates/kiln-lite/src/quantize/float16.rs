//! Float16 post-training quantization: every float32 constant an operator reads is
//! stored as float16 and a DEQUANTIZE op (placed first, as the converter does) turns it
//! back into float32 at load time.

use half::f16;

use crate::tflite::schema::{op, TensorType};
use crate::tflite::{Options, TGraph, TOp, TTensor};

/// Rewrites `g` in place to float16 weights.
pub fn to_float16(g: &mut TGraph) {
    let mut deq = Vec::new();
    let n = g.tensors.len();
    for t in 0..n {
        let Some(data) = g.tensors[t].f32_data() else {
            continue;
        };
        let half: Vec<u8> = data
            .iter()
            .flat_map(|v| f16::from_f32(*v).to_le_bytes())
            .collect();
        let src = g.tensors[t].clone();
        // The float32 tensor becomes DEQUANTIZE's output; its float16 source is new.
        let h = g.add_tensor(TTensor {
            name: src.name.clone(),
            ttype: TensorType::Float16,
            data: Some(half),
            ..src
        });
        let f = &mut g.tensors[t];
        f.data = None;
        f.name = format!("{}_dequantize", f.name);
        deq.push(TOp {
            code: op::DEQUANTIZE,
            version: 3,
            inputs: vec![h],
            outputs: vec![t as i32],
            options: Options::None,
        });
    }
    deq.append(&mut g.ops);
    g.ops = deq;
}
