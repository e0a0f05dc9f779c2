//! `keras.applications.imagenet_utils`: the ImageNet input preprocessing of each family
//! ("caffe" and "tf" modes) and `decode_predictions`.
//!
//! Keras downloads `imagenet_class_index.json` on first use; nothing is downloaded here.
//! [`decode_predictions`] reads `$KILN_DATA_DIR/imagenet_class_index.json` (Keras's file,
//! from `https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json`)
//! and [`decode_predictions_from`] a path given explicitly.

use std::path::{Path, PathBuf};

use kiln_tensor::{DType, Tensor};
use serde_json::Value;

use crate::{Error, Result};

/// The ImageNet channel means (B, G, R) that "caffe" mode subtracts.
const CAFFE_MEAN_BGR: [f64; 3] = [103.939, 116.779, 123.68];

fn bad(msg: impl Into<String>) -> Error {
    Error::InvalidArgument {
        api: "preprocess_input",
        msg: msg.into(),
    }
}

/// The channel axis of `x` for `data_format` (Keras: `channels_last` is the last axis;
/// `channels_first` is axis 0 of a single image and axis 1 of a batch).
fn channel_axis(x: &Tensor, data_format: &str) -> Result<usize> {
    let rank = x.shape().len();
    match data_format {
        "channels_last" if rank >= 1 => Ok(rank - 1),
        "channels_first" if rank == 3 => Ok(0),
        "channels_first" if rank == 4 => Ok(1),
        "channels_last" | "channels_first" => Err(bad(format!(
            "{data_format} input must be {}, got shape {:?}",
            if data_format == "channels_last" {
                "at least rank 1"
            } else {
                "rank 3 (C, H, W) or rank 4 (N, C, H, W)"
            },
            x.shape()
        ))),
        other => Err(bad(format!(
            "data_format must be 'channels_last' or 'channels_first', got '{other}'"
        ))),
    }
}

/// Non-float inputs become float32, as Keras casts them to `floatx()`.
fn as_float(x: &Tensor) -> Result<Tensor> {
    Ok(if x.dtype().is_float() {
        x.clone()
    } else {
        x.cast(DType::F32)?
    })
}

/// "caffe" mode (VGG16/19, ResNet): RGB to BGR, then subtract the ImageNet channel means
/// `[103.939, 116.779, 123.68]` (B, G, R); input in `[0, 255]` with 3 channels on the
/// `data_format`'s channel axis. Keras's `imagenet_utils.preprocess_input(x, data_format,
/// mode="caffe")`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.0f32, 0.0, 255.0], &[1, 1, 3])?; // pure blue, RGB
/// let y = kiln::applications::caffe_preprocess_input(&x, "channels_last")?;
/// let y = y.to_vec::<f32>()?;
/// assert!((y[0] - (255.0 - 103.939)).abs() < 1e-4 && (y[2] + 123.68).abs() < 1e-4);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn caffe_preprocess_input(x: &Tensor, data_format: &str) -> Result<Tensor> {
    let axis = channel_axis(x, data_format)?;
    if x.shape()[axis] != 3 {
        return Err(bad(format!(
            "expected 3 channels (RGB) on axis {axis} for {data_format}, got shape {:?}",
            x.shape()
        )));
    }
    let x = as_float(x)?;
    let bgr = x.reverse(&[axis as isize])?;
    // The means broadcast along the channel axis.
    let mut mshape = vec![1usize; x.shape().len() - axis];
    mshape[0] = 3;
    let mean = Tensor::from_vec(CAFFE_MEAN_BGR.to_vec(), &mshape)?.cast(x.dtype())?;
    Ok(bgr.sub(&mean)?)
}

/// "tf" mode (MobileNetV2): scales `[0, 255]` to `[-1, 1]` (`x / 127.5 - 1`), for any
/// data format. Keras's `preprocess_input(x, mode="tf")`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = kiln::applications::tf_preprocess_input(&Tensor::from_vec(vec![0u8, 255], &[2])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![-1.0, 1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn tf_preprocess_input(x: &Tensor) -> Result<Tensor> {
    Ok(as_float(x)?.div_scalar(127.5)?.sub_scalar(1.0)?)
}

/// One decoded prediction: Keras's `(class_name, class_description, score)` tuple, e.g.
/// `("n01440764", "tench", 0.92)`.
///
/// ```
/// let p = kiln::applications::DecodedPrediction {
///     class_name: "n01440764".into(),
///     class_description: "tench".into(),
///     score: 0.92,
/// };
/// assert_eq!(p.class_description, "tench");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedPrediction {
    /// The WordNet id (`n01440764`).
    pub class_name: String,
    /// The readable label (`tench`).
    pub class_description: String,
    /// The prediction's score for the class.
    pub score: f32,
}

/// The error Keras raises for predictions that are not `(samples, 1000)`.
fn check_preds(preds: &Tensor) -> Result<()> {
    let s = preds.shape();
    if s.len() != 2 || s[1] != 1000 {
        let shape = match s {
            [one] => format!("({one},)"),
            _ => format!(
                "({})",
                s.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(Error::InvalidArgument {
            api: "decode_predictions",
            msg: format!(
                "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape (samples, 1000)). Received array with shape: {shape}"
            ),
        });
    }
    Ok(())
}

/// `keras.applications.<family>.decode_predictions(preds, top=5)`, with the class index
/// read from `$KILN_DATA_DIR/imagenet_class_index.json` (Keras would download it; see
/// the module doc). Errors: `preds` not `(samples, 1000)` (Keras's message), the
/// variable unset or the file missing (saying which file to put where), a malformed
/// index.
///
/// ```
/// use kiln_tensor::{DType, Tensor};
/// // Without the class index file the error says where to put it.
/// // SAFETY: the example runs in its own process and has started no other thread.
/// unsafe { std::env::set_var("KILN_DATA_DIR", "/nonexistent") };
/// let e = kiln::applications::decode_predictions(&Tensor::zeros(&[1, 1000], DType::F32), 5)
///     .unwrap_err()
///     .to_string();
/// assert!(e.contains("/nonexistent/imagenet_class_index.json"), "{e}");
/// ```
pub fn decode_predictions(preds: &Tensor, top: usize) -> Result<Vec<Vec<DecodedPrediction>>> {
    check_preds(preds)?;
    let dir = std::env::var_os("KILN_DATA_DIR").ok_or_else(|| Error::InvalidArgument {
        api: "decode_predictions",
        msg: "KILN_DATA_DIR is not set: put Keras's imagenet_class_index.json (https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json) in a directory and set KILN_DATA_DIR to it, or call decode_predictions_from with its path".into(),
    })?;
    decode_predictions_from(
        preds,
        top,
        PathBuf::from(dir).join("imagenet_class_index.json"),
    )
}

/// [`decode_predictions`] with the class index file given: a JSON object mapping `"0"`
/// .. `"999"` to `[class_name, class_description]`, as Keras's
/// `imagenet_class_index.json`. Each row's `top` highest scores, highest first (`top`
/// of 0 or over 1000 gives all 1000 classes, as NumPy's `argsort()[-top:]` does in
/// Keras; equal scores come out in descending class order).
///
/// ```
/// use kiln_tensor::Tensor;
/// let dir = std::env::temp_dir().join(format!("kiln_doc_ci_{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let index: serde_json::Map<String, serde_json::Value> = (0..1000)
///     .map(|i| (i.to_string(), serde_json::json!([format!("n{i:08}"), format!("c{i}")])))
///     .collect();
/// let path = dir.join("imagenet_class_index.json");
/// std::fs::write(&path, serde_json::Value::Object(index).to_string()).unwrap();
/// let mut p = vec![0.0f32; 1000];
/// p[7] = 0.9;
/// p[3] = 0.1;
/// let top = kiln::applications::decode_predictions_from(&Tensor::from_vec(p, &[1, 1000])?, 2, &path)?;
/// assert_eq!(top[0][0].class_description, "c7");
/// assert_eq!(top[0][1].class_name, "n00000003");
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn decode_predictions_from(
    preds: &Tensor,
    top: usize,
    class_index: impl AsRef<Path>,
) -> Result<Vec<Vec<DecodedPrediction>>> {
    check_preds(preds)?;
    let path = class_index.as_ref();
    let err = |msg: String| Error::InvalidArgument {
        api: "decode_predictions",
        msg: format!("{}: {msg}", path.display()),
    };
    if !path.exists() {
        return Err(err(
            "the ImageNet class index does not exist: put Keras's imagenet_class_index.json (https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json) at this path".into(),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let index: Value =
        serde_json::from_str(&text).map_err(|e| err(format!("not valid JSON: {e}")))?;
    let entry = |i: usize| -> Result<(String, String)> {
        let e = index
            .get(i.to_string())
            .ok_or_else(|| err(format!("no entry \"{i}\" (expected keys \"0\" .. \"999\")")))?;
        match e.as_array().map(Vec::as_slice) {
            Some([Value::String(a), Value::String(b)]) => Ok((a.clone(), b.clone())),
            _ => Err(err(format!(
                "entry \"{i}\" is {e}, expected [class_name, class_description]"
            ))),
        }
    };
    let n = preds.shape()[0];
    let values = preds.cast(DType::F32)?.to_vec::<f32>()?;
    let k = if top == 0 { 1000 } else { top.min(1000) };
    let mut out = Vec::with_capacity(n);
    for row in values.chunks_exact(1000) {
        let mut order: Vec<usize> = (0..1000).collect();
        // Descending score; ties by descending index (a stable ascending argsort, reversed).
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(b.cmp(&a)));
        let mut decoded = Vec::with_capacity(k);
        for &i in &order[..k] {
            let (class_name, class_description) = entry(i)?;
            decoded.push(DecodedPrediction {
                class_name,
                class_description,
                score: row[i],
            });
        }
        out.push(decoded);
    }
    Ok(out)
}
