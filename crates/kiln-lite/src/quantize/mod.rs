//! Post-training quantization of a lowered TFLite graph, following TFLite's
//! quantization spec: float16 weights, dynamic range (int8 weights) and full integer
//! (int8 activations calibrated on a representative dataset).

mod calibrate;
mod dynamic;
mod fixed_point;
mod float16;
mod full_integer;
pub mod kernels;
pub mod params;
mod runtime;

pub use calibrate::{calibrate, check_dataset};
pub use dynamic::MIN_ELEMENTS_FOR_WEIGHTS;
pub use runtime::Int8Model;

use kiln::models::Model;
use kiln::Tensor;

use crate::tflite::{Lowered, TGraph};
use crate::Result;

/// The quantization a conversion applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No quantization.
    Float32,
    /// Weights stored as float16, DEQUANTIZE ops before their users.
    Float16,
    /// int8 weights (per-channel symmetric), float activations.
    DynamicRange,
    /// int8 weights and activations; the flags say whether the model's input and output
    /// stay int8 (else QUANTIZE / DEQUANTIZE at the edges).
    FullInteger {
        /// `inference_input_type == Int8`.
        int8_input: bool,
        /// `inference_output_type == Int8`.
        int8_output: bool,
    },
}

/// Applies `mode` to the lowered float graph of `model` (`dataset`: the representative
/// samples, needed for full integer).
pub fn apply(
    model: &Model,
    lowered: Lowered,
    mode: Mode,
    dataset: Option<&[Vec<Tensor>]>,
) -> Result<TGraph> {
    match mode {
        Mode::Float32 => Ok(lowered.graph),
        Mode::Float16 => {
            let mut g = lowered.graph;
            float16::to_float16(&mut g);
            Ok(g)
        }
        Mode::DynamicRange => {
            let mut g = lowered.graph;
            dynamic::to_dynamic_range(&mut g);
            Ok(g)
        }
        Mode::FullInteger {
            int8_input,
            int8_output,
        } => {
            let ds = dataset.ok_or_else(|| crate::LiteError::Argument {
                arg: "representative_dataset".into(),
                msg: "full integer quantization needs a representative dataset".into(),
            })?;
            let ranges = calibrate(model, &lowered, ds)?;
            let mut g = lowered.graph;
            full_integer::to_full_integer(&mut g, &ranges, int8_input, int8_output)?;
            Ok(g)
        }
    }
}
