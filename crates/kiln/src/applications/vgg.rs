//! VGG16 and VGG19 (`keras.applications.vgg16` / `vgg19`).

use kiln_tensor::Tensor;

use super::{caffe_preprocess_input, AppArgs};
use crate::layers::{Conv2D, Dense, Flatten, KerasTensor, LayerApply, MaxPooling2D};
use crate::models::Model;
use crate::Result;

fn vgg(args: AppArgs, convs: [usize; 5], name: &'static str) -> Result<Model> {
    let input = args.input(name, 32)?;
    let widths = [64, 128, 256, 512, 512];
    let mut x: KerasTensor = input.clone();
    for (b, (&w, &n)) in widths.iter().zip(&convs).enumerate() {
        for i in 1..=n {
            x = Conv2D::new(w, 3)
                .activation("relu")
                .padding("same")
                .name(&format!("block{}_conv{i}", b + 1))
                .apply(&x)?;
        }
        x = MaxPooling2D::new(2)
            .strides(2)
            .name(&format!("block{}_pool", b + 1))
            .apply(&x)?;
    }
    if args.include_top {
        x = Flatten::new().name("flatten").apply(&x)?;
        x = Dense::new(4096).activation("relu").name("fc1").apply(&x)?;
        x = Dense::new(4096).activation("relu").name("fc2").apply(&x)?;
        x = Dense::new(args.classes)
            .activation(&args.classifier_activation)
            .name("predictions")
            .apply(&x)?;
    } else {
        x = args.pool(&x, None, None)?;
    }
    args.finish(Model::new_named(&[input], &[x], name)?)
}

/// VGG16: 13 3x3 convolutions in 5 blocks, then (with the top) two 4096-unit layers and
/// the classifier. 138,357,544 parameters with the default head.
///
/// ```
/// use kiln::applications::{vgg16, AppArgs};
/// let m = vgg16(AppArgs::new().include_top(false).input_shape([32, 32, 3]))?;
/// assert_eq!(m.layers()[1].name(), "block1_conv1");
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn vgg16(args: AppArgs) -> Result<Model> {
    vgg(args, [2, 2, 3, 3, 3], "vgg16")
}

/// VGG19: as VGG16 with 16 convolutions (blocks of 2, 2, 4, 4, 4).
///
/// ```
/// use kiln::applications::{vgg19, AppArgs};
/// let m = vgg19(AppArgs::new().include_top(false).input_shape([32, 32, 3]))?;
/// assert_eq!(m.count_params(), 20_024_384);
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn vgg19(args: AppArgs) -> Result<Model> {
    vgg(args, [2, 2, 4, 4, 4], "vgg19")
}

/// `keras.applications.vgg16.preprocess_input` ("caffe" mode): RGB to BGR and subtract
/// the ImageNet channel means; input in `[0, 255]`.
///
/// ```
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![123.68f32, 116.779, 103.939], &[1, 3])?;
/// let y = kiln::applications::vgg_preprocess_input(&x)?;
/// assert!(y.to_vec::<f32>()?.iter().all(|v| v.abs() < 1e-3));
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn vgg_preprocess_input(x: &Tensor) -> Result<Tensor> {
    caffe_preprocess_input(x, "channels_last")
}
