//! MobileNetV2 (`keras.applications.mobilenet_v2`).

use kiln_tensor::Tensor;

use super::AppArgs;
use crate::layers::{
    Add, BatchNormalization, Conv2D, Dense, DepthwiseConv2D, GlobalAveragePooling2D, KerasTensor,
    LayerApply, LayerRef, ReLU, ZeroPadding2D,
};
use crate::models::Model;
use crate::{Error, Result};

/// Keras's `_make_divisible`: round to a multiple of `d`, never more than 10% down.
fn make_divisible(v: f64, d: usize) -> usize {
    let d_f = d as f64;
    let mut new_v = (d).max(((v + d_f / 2.0) as usize) / d * d);
    if (new_v as f64) < 0.9 * v {
        new_v += d;
    }
    new_v
}

fn bn(name: &str) -> BatchNormalization {
    BatchNormalization::new()
        .axis(-1)
        .epsilon(1e-3)
        .momentum(0.999)
        .name(name)
}

fn relu6(name: &str) -> ReLU {
    ReLU::new().max_value(6.0).name(name)
}

/// Keras's `_inverted_res_block`.
fn inverted_res_block(
    inputs: &KerasTensor,
    expansion: usize,
    stride: usize,
    alpha: f64,
    filters: usize,
    block_id: usize,
) -> Result<KerasTensor> {
    let in_channels =
        inputs
            .shape()
            .last()
            .copied()
            .flatten()
            .ok_or_else(|| Error::InvalidArgument {
                api: "MobileNetV2",
                msg: "the channel dimension must be known".into(),
            })?;
    let pointwise_filters = make_divisible((filters as f64 * alpha).trunc(), 8);
    let mut x = inputs.clone();
    let prefix = if block_id > 0 {
        let p = format!("block_{block_id}_");
        x = Conv2D::new(expansion * in_channels, 1)
            .padding("same")
            .use_bias(false)
            .name(&format!("{p}expand"))
            .apply(&x)?;
        x = bn(&format!("{p}expand_BN")).apply(&x)?;
        x = relu6(&format!("{p}expand_relu")).apply(&x)?;
        p
    } else {
        "expanded_conv_".to_string()
    };
    if stride == 2 {
        // imagenet_utils.correct_pad for a 3x3 kernel.
        let s = x.shape();
        let adj = |d: Option<usize>| d.map_or(1, |n| 1 - n % 2);
        let (ah, aw) = (adj(s[1]), adj(s[2]));
        x = ZeroPadding2D::pairs([(1 - ah, 1), (1 - aw, 1)])
            .name(&format!("{prefix}pad"))
            .apply(&x)?;
    }
    x = DepthwiseConv2D::new(3)
        .strides(stride)
        .use_bias(false)
        .padding(if stride == 1 { "same" } else { "valid" })
        .name(&format!("{prefix}depthwise"))
        .apply(&x)?;
    x = bn(&format!("{prefix}depthwise_BN")).apply(&x)?;
    x = relu6(&format!("{prefix}depthwise_relu")).apply(&x)?;
    x = Conv2D::new(pointwise_filters, 1)
        .padding("same")
        .use_bias(false)
        .name(&format!("{prefix}project"))
        .apply(&x)?;
    x = bn(&format!("{prefix}project_BN")).apply(&x)?;
    if in_channels == pointwise_filters && stride == 1 {
        return LayerRef::new(Add::new().name(&format!("{prefix}add")))
            .call(&vec![inputs.clone(), x]);
    }
    Ok(x)
}

/// MobileNetV2 with width multiplier `alpha` (1.0 is the standard model: 3,538,984
/// parameters with the default head, 34,112 of them moving statistics). The model is named
/// `mobilenetv2_{alpha:.2}_{rows}` as in Keras.
///
/// ```
/// use kiln::applications::{mobilenet_v2, AppArgs};
/// let m = mobilenet_v2(AppArgs::new().include_top(false).input_shape([96, 96, 3]), 1.0)?;
/// assert_eq!(m.count_params(), 2_257_984);
/// assert_eq!(m.name(), "mobilenetv2_1.00_96");
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn mobilenet_v2(args: AppArgs, alpha: f64) -> Result<Model> {
    if alpha.is_nan() || alpha <= 0.0 {
        return Err(Error::InvalidArgument {
            api: "MobileNetV2",
            msg: format!("alpha must be positive, got {alpha}"),
        });
    }
    let input = args.input("MobileNetV2", 32)?;
    let rows = input.shape()[1].unwrap_or(224);
    let first = make_divisible(32.0 * alpha, 8);
    let mut x = Conv2D::new(first, 3)
        .strides(2)
        .padding("same")
        .use_bias(false)
        .name("Conv1")
        .apply(&input)?;
    x = bn("bn_Conv1").apply(&x)?;
    x = relu6("Conv1_relu").apply(&x)?;
    let plan: [(usize, usize, usize); 17] = [
        (16, 1, 1),
        (24, 2, 6),
        (24, 1, 6),
        (32, 2, 6),
        (32, 1, 6),
        (32, 1, 6),
        (64, 2, 6),
        (64, 1, 6),
        (64, 1, 6),
        (64, 1, 6),
        (96, 1, 6),
        (96, 1, 6),
        (96, 1, 6),
        (160, 2, 6),
        (160, 1, 6),
        (160, 1, 6),
        (320, 1, 6),
    ];
    for (id, &(filters, stride, expansion)) in plan.iter().enumerate() {
        x = inverted_res_block(&x, expansion, stride, alpha, filters, id)?;
    }
    let last = if alpha > 1.0 {
        make_divisible(1280.0 * alpha, 8)
    } else {
        1280
    };
    x = Conv2D::new(last, 1)
        .use_bias(false)
        .name("Conv_1")
        .apply(&x)?;
    x = bn("Conv_1_bn").apply(&x)?;
    x = relu6("out_relu").apply(&x)?;
    if args.include_top {
        x = GlobalAveragePooling2D::new().apply(&x)?;
        x = Dense::new(args.classes)
            .activation(&args.classifier_activation)
            .name("predictions")
            .apply(&x)?;
    } else {
        x = args.pool(&x, None, None)?;
    }
    args.finish(Model::new_named(
        &[input],
        &[x],
        &format!("mobilenetv2_{alpha:.2}_{rows}"),
    )?)
}

/// `keras.applications.mobilenet_v2.preprocess_input` ("tf" mode): scales `[0, 255]` to
/// `[-1, 1]`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let y = kiln::applications::mobilenet_v2_preprocess_input(&Tensor::from_vec(vec![0.0f32, 255.0], &[2])?)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![-1.0, 1.0]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn mobilenet_v2_preprocess_input(x: &Tensor) -> Result<Tensor> {
    super::tf_preprocess_input(x)
}
