//! Which layers can be pruned and which of their weights (TFMOT's `PruneRegistry`, keyed
//! by Keras class name).

use kiln::layers::LayerRef;
use kiln::{Error, Result};

/// Layers TFMOT prunes, with the weights it prunes.
const PRUNED: &[(&str, &[&str])] = &[
    ("Dense", &["kernel"]),
    ("Conv1D", &["kernel"]),
    ("Conv2D", &["kernel"]),
    ("Conv3D", &["kernel"]),
    ("Conv1DTranspose", &["kernel"]),
    ("Conv2DTranspose", &["kernel"]),
    ("Conv3DTranspose", &["kernel"]),
    ("SeparableConv1D", &["pointwise_kernel"]),
    ("SeparableConv2D", &["pointwise_kernel"]),
    ("Embedding", &["embeddings"]),
];

/// Layers TFMOT wraps but leaves unpruned (its registry maps them to no weights);
/// `DepthwiseConv2D` is among them in TFMOT 0.8.1.
const UNPRUNED: &[&str] = &[
    "ELU",
    "LeakyReLU",
    "ReLU",
    "Softmax",
    "ThresholdedReLU",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "DepthwiseConv2D",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "Activation",
    "ActivityRegularization",
    "Dropout",
    "Flatten",
    "Lambda",
    "Masking",
    "Permute",
    "RepeatVector",
    "Reshape",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "AlphaDropout",
    "GaussianDropout",
    "GaussianNoise",
    "BatchNormalization",
    "LayerNormalization",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Rescaling",
];

/// The names of the weights of `layer` that pruning masks (empty for a layer TFMOT
/// wraps without pruning, such as `Flatten` or `DepthwiseConv2D`); a layer TFMOT has no
/// pruned form for is an `Err` naming it.
///
/// ```
/// use kiln::layers::{Dense, Flatten, LayerRef, LSTM};
/// use kiln_lite::sparsity::prunable_weight_names;
/// assert_eq!(prunable_weight_names(&LayerRef::new(Dense::new(2)))?, &["kernel"]);
/// assert!(prunable_weight_names(&LayerRef::new(Flatten::new()))?.is_empty());
/// assert!(prunable_weight_names(&LayerRef::new(LSTM::new(4))).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn prunable_weight_names(layer: &LayerRef) -> Result<&'static [&'static str]> {
    let class = layer.class_name();
    if let Some((_, w)) = PRUNED.iter().find(|(c, _)| *c == class) {
        return Ok(w);
    }
    if UNPRUNED.contains(&class) {
        return Ok(&[]);
    }
    Err(Error::InvalidArgument {
        api: "prune_low_magnitude",
        msg: format!(
            "layer '{}' of class {class} has no pruned form: Please initialize `Prune` with a \
             supported layer. Layers should either be supported by the PruneRegistry \
             (built-in keras layers) or should be a `PrunableLayer` instance (kiln prunes \
             Dense, Conv1D/2D/3D and their transposes, SeparableConv pointwise kernels and \
             Embedding, and wraps weightless and normalization layers unpruned; RNN and \
             attention layers are not supported yet)",
            layer.name()
        ),
    })
}
