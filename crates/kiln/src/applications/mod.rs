//! `keras.applications`: VGG16, VGG19, ResNet50/101/152 and MobileNetV2 with Keras's layer
//! names, shapes and parameter counts, built with `weights = None` (random
//! initialisation) or loaded from a Keras weights file on disk ([`Weights::Path`]:
//! e.g. keras.applications' `*_notop.h5`; nothing is downloaded), with each family's
//! `preprocess_input` and [`decode_predictions`] (from a local copy of Keras's
//! `imagenet_class_index.json`).
//!
//! ```
//! use kiln::applications::{vgg16, AppArgs};
//! let m = vgg16(AppArgs::new().include_top(false).input_shape([64, 64, 3]).pooling("avg"))?;
//! assert_eq!(m.count_params(), 14_714_688);
//! # Ok::<(), kiln::Error>(())
//! ```

mod imagenet_utils;
mod mobilenet_v2;
mod resnet;
mod vgg;

pub use imagenet_utils::{
    caffe_preprocess_input, decode_predictions, decode_predictions_from, tf_preprocess_input,
    DecodedPrediction,
};

pub use mobilenet_v2::{mobilenet_v2, mobilenet_v2_preprocess_input};
pub use resnet::{resnet101, resnet152, resnet50, resnet_preprocess_input};
pub use vgg::{vgg16, vgg19, vgg_preprocess_input};

use crate::layers::{GlobalAveragePooling2D, GlobalMaxPooling2D, Input, KerasTensor, LayerApply};
use crate::models::Model;
use crate::{Error, Result};

/// Where the weights come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Weights {
    /// Random initialisation (`weights=None`).
    None,
    /// A Keras weights file on disk, loaded as `model.load_weights(path)`: the
    /// `keras.applications` weight files (`*_notop.h5` and the full ones; legacy
    /// weights-only `.h5`), or a Keras 3 `.weights.h5`.
    Path(std::path::PathBuf),
}

/// The arguments every application takes (Keras's names and defaults).
#[derive(Clone, Debug)]
pub struct AppArgs {
    pub(crate) include_top: bool,
    pub(crate) weights: Weights,
    pub(crate) input_shape: Option<[usize; 3]>,
    pub(crate) pooling: Option<String>,
    pub(crate) classes: usize,
    pub(crate) classifier_activation: String,
}

impl Default for AppArgs {
    fn default() -> Self {
        Self::new()
    }
}

impl AppArgs {
    /// `include_top=True, weights=None, input_shape=None (224x224x3), pooling=None,
    /// classes=1000, classifier_activation="softmax"`.
    pub fn new() -> AppArgs {
        AppArgs {
            include_top: true,
            weights: Weights::None,
            input_shape: None,
            pooling: None,
            classes: 1000,
            classifier_activation: "softmax".into(),
        }
    }
    /// Whether to include the classifier head.
    pub fn include_top(mut self, v: bool) -> Self {
        self.include_top = v;
        self
    }
    /// Where the weights come from.
    pub fn weights(mut self, w: Weights) -> Self {
        self.weights = w;
        self
    }
    /// `(height, width, channels)`; both sides at least 32, 3 channels.
    pub fn input_shape(mut self, s: [usize; 3]) -> Self {
        self.input_shape = Some(s);
        self
    }
    /// `"avg"` or `"max"` global pooling when `include_top` is false.
    pub fn pooling(mut self, p: &str) -> Self {
        self.pooling = Some(p.to_string());
        self
    }
    /// Number of classes of the head.
    pub fn classes(mut self, n: usize) -> Self {
        self.classes = n;
        self
    }
    /// Activation of the head (`"softmax"`, or `"linear"` for logits).
    pub fn classifier_activation(mut self, a: &str) -> Self {
        self.classifier_activation = a.to_string();
        self
    }

    /// Checks the arguments as `imagenet_utils.obtain_input_shape` and returns the input.
    pub(crate) fn input(&self, api: &'static str, min_size: usize) -> Result<KerasTensor> {
        // As Keras: a weights path that does not exist fails before anything is built.
        if let Weights::Path(p) = &self.weights
            && !p.exists()
        {
            return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "the `weights` argument should be None or the path to the weights file to be loaded; {} does not exist",
                        p.display()
                    ),
                });
        }
        if let Some(p) = &self.pooling
            && p != "avg"
            && p != "max"
        {
            return Err(Error::InvalidArgument {
                api,
                msg: format!("pooling must be \"avg\", \"max\" or unset, got {p:?}"),
            });
        }
        if self.include_top && self.classes == 0 {
            return Err(Error::InvalidArgument {
                api,
                msg: "classes must be at least 1".into(),
            });
        }
        let s = self.input_shape.unwrap_or([224, 224, 3]);
        if s[2] != 3 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!("the input must have 3 channels, got input_shape {s:?}"),
            });
        }
        if s[0] < min_size || s[1] < min_size {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "input size must be at least {min_size}x{min_size}, got input_shape {s:?}"
                ),
            });
        }
        Ok(Input::shape(&s))
    }

    /// Loads the weights file of [`Weights::Path`] into the built model, as Keras's
    /// `model.load_weights(weights)` (legacy `.h5` files such as `*_notop.h5` in
    /// topological order, or Keras 3 `.weights.h5`); errors name the file.
    pub(crate) fn finish(&self, model: Model) -> Result<Model> {
        if let Weights::Path(p) = &self.weights {
            crate::saving::load_weights(&model, p)?;
        }
        Ok(model)
    }

    /// The optional global pooling of a headless model.
    pub(crate) fn pool(
        &self,
        x: &KerasTensor,
        avg_name: Option<&str>,
        max_name: Option<&str>,
    ) -> Result<KerasTensor> {
        Ok(match self.pooling.as_deref() {
            Some("avg") => match avg_name {
                Some(n) => GlobalAveragePooling2D::new().name(n).apply(x)?,
                None => GlobalAveragePooling2D::new().apply(x)?,
            },
            Some("max") => match max_name {
                Some(n) => GlobalMaxPooling2D::new().name(n).apply(x)?,
                None => GlobalMaxPooling2D::new().apply(x)?,
            },
            _ => x.clone(),
        })
    }
}
