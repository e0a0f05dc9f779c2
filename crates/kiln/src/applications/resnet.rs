//! ResNet50, ResNet101, ResNet152 (`keras.applications.resnet`, v1 blocks).

use kiln_tensor::Tensor;

use super::{caffe_preprocess_input, AppArgs};
use crate::layers::{
    Activation, Add, BatchNormalization, Conv2D, Dense, GlobalAveragePooling2D, KerasTensor,
    LayerApply, LayerRef, MaxPooling2D, ZeroPadding2D,
};
use crate::models::Model;
use crate::Result;

fn bn(name: &str) -> BatchNormalization {
    BatchNormalization::new()
        .axis(3)
        .epsilon(1.001e-5)
        .name(name)
}

/// Keras's `residual_block_v1`.
fn block(
    x: &KerasTensor,
    filters: usize,
    stride: usize,
    conv_shortcut: bool,
    name: &str,
) -> Result<KerasTensor> {
    let shortcut = if conv_shortcut {
        let s = Conv2D::new(4 * filters, 1)
            .strides(stride)
            .name(&format!("{name}_0_conv"))
            .apply(x)?;
        bn(&format!("{name}_0_bn")).apply(&s)?
    } else {
        x.clone()
    };
    let y = Conv2D::new(filters, 1)
        .strides(stride)
        .name(&format!("{name}_1_conv"))
        .apply(x)?;
    let y = bn(&format!("{name}_1_bn")).apply(&y)?;
    let y = Activation::new("relu")
        .name(&format!("{name}_1_relu"))
        .apply(&y)?;
    let y = Conv2D::new(filters, 3)
        .padding("same")
        .name(&format!("{name}_2_conv"))
        .apply(&y)?;
    let y = bn(&format!("{name}_2_bn")).apply(&y)?;
    let y = Activation::new("relu")
        .name(&format!("{name}_2_relu"))
        .apply(&y)?;
    let y = Conv2D::new(4 * filters, 1)
        .name(&format!("{name}_3_conv"))
        .apply(&y)?;
    let y = bn(&format!("{name}_3_bn")).apply(&y)?;
    let y = LayerRef::new(Add::new().name(&format!("{name}_add"))).call(&vec![shortcut, y])?;
    Activation::new("relu")
        .name(&format!("{name}_out"))
        .apply(&y)
}

fn stack(
    x: &KerasTensor,
    filters: usize,
    blocks: usize,
    stride1: usize,
    name: &str,
) -> Result<KerasTensor> {
    let mut x = block(x, filters, stride1, true, &format!("{name}_block1"))?;
    for i in 2..=blocks {
        x = block(&x, filters, 1, false, &format!("{name}_block{i}"))?;
    }
    Ok(x)
}

fn resnet(args: AppArgs, blocks: [usize; 4], name: &'static str) -> Result<Model> {
    let input = args.input(name, 32)?;
    let x = ZeroPadding2D::pairs([(3, 3), (3, 3)])
        .name("conv1_pad")
        .apply(&input)?;
    let x = Conv2D::new(64, 7).strides(2).name("conv1_conv").apply(&x)?;
    let x = bn("conv1_bn").apply(&x)?;
    let x = Activation::new("relu").name("conv1_relu").apply(&x)?;
    let x = ZeroPadding2D::pairs([(1, 1), (1, 1)])
        .name("pool1_pad")
        .apply(&x)?;
    let x = MaxPooling2D::new(3)
        .strides(2)
        .name("pool1_pool")
        .apply(&x)?;
    let x = stack(&x, 64, blocks[0], 1, "conv2")?;
    let x = stack(&x, 128, blocks[1], 2, "conv3")?;
    let x = stack(&x, 256, blocks[2], 2, "conv4")?;
    let mut x = stack(&x, 512, blocks[3], 2, "conv5")?;
    if args.include_top {
        x = GlobalAveragePooling2D::new().name("avg_pool").apply(&x)?;
        x = Dense::new(args.classes)
            .activation(&args.classifier_activation)
            .name("predictions")
            .apply(&x)?;
    } else {
        x = args.pool(&x, Some("avg_pool"), Some("max_pool"))?;
    }
    args.finish(Model::new_named(&[input], &[x], name)?)
}

/// ResNet50 (blocks 3, 4, 6, 3): 25,636,712 parameters with the default head, 53,120 of
/// them BatchNormalization moving statistics.
///
/// ```
/// use kiln::applications::{resnet50, AppArgs};
/// let m = resnet50(AppArgs::new().include_top(false).input_shape([64, 64, 3]))?;
/// assert_eq!(m.count_params(), 23_587_712);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn resnet50(args: AppArgs) -> Result<Model> {
    resnet(args, [3, 4, 6, 3], "resnet50")
}

/// ResNet101 (blocks 3, 4, 23, 3).
pub fn resnet101(args: AppArgs) -> Result<Model> {
    resnet(args, [3, 4, 23, 3], "resnet101")
}

/// ResNet152 (blocks 3, 8, 36, 3).
pub fn resnet152(args: AppArgs) -> Result<Model> {
    resnet(args, [3, 8, 36, 3], "resnet152")
}

/// `keras.applications.resnet.preprocess_input` ("caffe" mode, as VGG).
pub fn resnet_preprocess_input(x: &Tensor) -> Result<Tensor> {
    caffe_preprocess_input(x, "channels_last")
}
