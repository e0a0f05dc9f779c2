//! `TfLiteConverter`: TensorFlow's `tf.lite.TFLiteConverter` in kiln, from a Keras model
//! to `.tflite` bytes, with its post-training quantization switches.

use std::path::Path;

use kiln::models::Model;
use kiln::Tensor;

use super::lower::lower;
use super::schema::TensorType;
use super::writer::{to_bytes, write_atomic};
use crate::quantize;
use crate::{LiteError, Result};

/// `tf.lite.Optimize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimize {
    /// `Optimize.DEFAULT`: quantize (dynamic range, float16 or full integer, depending
    /// on `target_spec.supported_types` and `representative_dataset`).
    Default,
}

/// `converter.target_spec`.
#[derive(Clone, Debug, Default)]
pub struct TargetSpec {
    /// `target_spec.supported_types`: `[TensorType::Float16]` asks for float16 weights.
    pub supported_types: Vec<TensorType>,
}

/// A representative dataset: a list of samples, each the list of the model's inputs
/// (one `[1, ...]` or `[n, ...]` tensor per model input), as the generator the Python
/// converter takes yields them.
pub type RepresentativeDataset = Vec<Vec<Tensor>>;

/// Converts a kiln model to the TFLite flatbuffer, as `tf.lite.TFLiteConverter` does.
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::Model;
/// use kiln_lite::tflite::TfLiteConverter;
/// let m = Model::sequential(vec![Dense::new(2).activation("relu").input_shape(&[3]).into()])?;
/// let bytes = TfLiteConverter::from_keras_model(&m).convert()?;
/// assert_eq!(&bytes[4..8], b"TFL3");
/// # Ok::<(), kiln_lite::LiteError>(())
/// ```
pub struct TfLiteConverter<'a> {
    model: &'a Model,
    /// `converter.optimizations`.
    pub optimizations: Vec<Optimize>,
    /// `converter.target_spec`.
    pub target_spec: TargetSpec,
    /// `converter.representative_dataset`: with `Optimize::Default`, full integer
    /// quantization calibrated on these samples.
    pub representative_dataset: Option<RepresentativeDataset>,
    /// `converter.inference_input_type`: `Float32` (default; a QUANTIZE op is added in
    /// full integer mode) or `Int8`.
    pub inference_input_type: TensorType,
    /// `converter.inference_output_type`: `Float32` (default) or `Int8`.
    pub inference_output_type: TensorType,
}

impl<'a> TfLiteConverter<'a> {
    /// `TFLiteConverter.from_keras_model(model)`: float32 conversion unless switches are set.
    pub fn from_keras_model(model: &'a Model) -> Self {
        TfLiteConverter {
            model,
            optimizations: Vec::new(),
            target_spec: TargetSpec::default(),
            representative_dataset: None,
            inference_input_type: TensorType::Float32,
            inference_output_type: TensorType::Float32,
        }
    }

    /// Sets `optimizations` (builder style).
    pub fn optimizations(mut self, o: impl IntoIterator<Item = Optimize>) -> Self {
        self.optimizations = o.into_iter().collect();
        self
    }

    /// Sets `target_spec.supported_types` (builder style).
    pub fn supported_types(mut self, t: impl IntoIterator<Item = TensorType>) -> Self {
        self.target_spec.supported_types = t.into_iter().collect();
        self
    }

    /// Sets `representative_dataset` (builder style).
    pub fn representative_dataset(mut self, ds: RepresentativeDataset) -> Self {
        self.representative_dataset = Some(ds);
        self
    }

    /// Sets `inference_input_type` and `inference_output_type` (builder style).
    pub fn inference_types(mut self, input: TensorType, output: TensorType) -> Self {
        self.inference_input_type = input;
        self.inference_output_type = output;
        self
    }

    /// The quantization mode the switches select.
    pub fn mode(&self) -> Result<quantize::Mode> {
        let check = |arg: &str, t: TensorType| -> Result<()> {
            match t {
                TensorType::Float32 | TensorType::Int8 => Ok(()),
                other => Err(LiteError::Argument {
                    arg: arg.into(),
                    msg: format!("{other:?} is not supported; expected Float32 or Int8"),
                }),
            }
        };
        check("inference_input_type", self.inference_input_type)?;
        check("inference_output_type", self.inference_output_type)?;
        let int_io = self.inference_input_type == TensorType::Int8
            || self.inference_output_type == TensorType::Int8;
        if !self.optimizations.contains(&Optimize::Default) {
            if int_io {
                return Err(LiteError::Argument {
                    arg: "inference_input_type".into(),
                    msg: "int8 inference types need optimizations=[Optimize::Default] and a representative_dataset".into(),
                });
            }
            return Ok(quantize::Mode::Float32);
        }
        if let Some(t) = self
            .target_spec
            .supported_types
            .iter()
            .find(|t| !matches!(t, TensorType::Float16 | TensorType::Int8))
        {
            return Err(LiteError::Argument {
                arg: "target_spec.supported_types".into(),
                msg: format!("{t:?} is not supported; expected Float16 or Int8"),
            });
        }
        let fp16 = self
            .target_spec
            .supported_types
            .contains(&TensorType::Float16);
        Ok(match (&self.representative_dataset, fp16) {
            (None, true) => quantize::Mode::Float16,
            (Some(_), true) => {
                return Err(LiteError::Argument {
                    arg: "representative_dataset".into(),
                    msg: "float16 weights with a representative dataset (16x8 or mixed modes) are not supported; drop one of them".into(),
                })
            }
            (None, false) if int_io => {
                return Err(LiteError::Argument {
                    arg: "representative_dataset".into(),
                    msg: "int8 inference types need a representative_dataset for calibration".into(),
                })
            }
            (None, false) => quantize::Mode::DynamicRange,
            (Some(_), false) => quantize::Mode::FullInteger {
                int8_input: self.inference_input_type == TensorType::Int8,
                int8_output: self.inference_output_type == TensorType::Int8,
            },
        })
    }

    /// The converted graph (before serialization), for kiln's own int8 runtime.
    pub fn convert_graph(&self) -> Result<super::TGraph> {
        let mode = self.mode()?;
        let lowered = lower(self.model)?;
        quantize::apply(
            self.model,
            lowered,
            mode,
            self.representative_dataset.as_deref(),
        )
    }

    /// `converter.convert()`: the `.tflite` flatbuffer.
    pub fn convert(&self) -> Result<Vec<u8>> {
        let g = self.convert_graph()?;
        to_bytes(&g, "kiln converted")
    }

    /// Converts and writes the file atomically (temp file, then rename).
    pub fn convert_to_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let bytes = self.convert()?;
        write_atomic(path, &bytes)
    }
}
