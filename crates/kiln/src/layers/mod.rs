//! Layers, as `keras.layers`, and the layer protocol they share.

mod activations;
mod attention;
pub mod convolutional;
mod core;
mod keras_tensor;
mod layer;
mod macros;
mod merging;
mod normalization;
mod pooling;
mod preprocessing;
mod registry;
mod regularization;
mod reshaping;
mod rnn;
mod sequence;

pub use self::activations::{LeakyReLU, PReLU, ReLU, Softmax, ELU};
pub use self::core::{Activation, Dense, EinsumDense, Identity, Lambda};
pub use attention::{AdditiveAttention, Attention, MultiHeadAttention};
pub use convolutional::{
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, DepthwiseConv1D, DepthwiseConv2D,
    SeparableConv1D, SeparableConv2D,
};
pub(crate) use keras_tensor::check_model_input;
pub use keras_tensor::{Input, InputLayer, KerasTensor, Node, TensorSpec};
/// `#[derive(Layer)]`: implements [`LayerState`] from a struct's fields.
pub use kiln_derive::Layer;
pub(crate) use layer::KeywordInput;
pub use layer::{
    attribute_children, container_names, fmt_shape, last_dim, meta_shape_fallbacks, one_input,
    shape_of, to_snake_case, AsAny, Attribute, CallArgs, CallContext, ConfigArg, FromConfig,
    InputSpec, Layer, LayerApply, LayerBase, LayerInput, LayerRef, LayerState, Shape, Weight,
    WeightBuilder,
};
pub use merging::{add, average, concatenate, maximum, minimum, multiply, subtract};
pub use merging::{Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract};
pub use normalization::{
    BatchNormalization, GroupNormalization, LayerNormalization, UnitNormalization,
};
pub use pooling::{
    AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D,
    GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
    GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
};
pub use preprocessing::{
    CategoryEncoding, CenterCrop, Discretization, Hashing, IntegerLookup, Normalization, Rescaling,
    Resizing, StringLookup, TextVectorization,
};
pub use preprocessing::{
    Factor, RandomBrightness, RandomContrast, RandomCrop, RandomFlip, RandomRotation,
    RandomTranslation, RandomZoom,
};
pub use registry::{deserialize, from_config, register, register_layer};
pub use regularization::{
    ActivityRegularization, Dropout, GaussianDropout, GaussianNoise, SpatialDropout1D,
    SpatialDropout2D, SpatialDropout3D,
};
pub use reshaping::{
    Cropping1D, Cropping2D, Cropping3D, Flatten, Permute, RepeatVector, Reshape, UpSampling1D,
    UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
};
pub use rnn::{
    Bidirectional, CellOptions, GRUCell, LSTMCell, MergeMode, RnnCell, SimpleRNN, SimpleRNNCell,
    StackedRNNCells, TimeDistributed, GRU, LSTM, RNN,
};
pub use sequence::{Embedding, Masking};
