//! The models the TFLite tests and the fixture writer share: the MNIST MLP, the seed
//! CNN (S002-2's), and MobileNetV2(alpha=0.35) at 96x96 with random weights.
#![allow(dead_code)]

use kiln::layers::{Conv2D, Dense, Flatten, Input, LayerApply, MaxPooling2D};
use kiln::models::Model;
use kiln::{DType, Tensor};

/// Seeds are process-global: one model is built at a time.
static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Flatten -> Dense(128, relu) -> Dense(10, softmax) on 28x28 inputs.
pub fn mlp() -> kiln::Result<Model> {
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    kiln::utils::set_random_seed(3);
    Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ])
}

/// The seed CNN of `kiln train --model cnn`.
pub fn cnn() -> kiln::Result<Model> {
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    kiln::utils::set_random_seed(4);
    let inputs = Input::shape(&[28, 28, 1]);
    let x = Conv2D::new(32, 3)
        .activation("relu")
        .padding("same")
        .apply(&inputs)?;
    let x = MaxPooling2D::new(2).apply(&x)?;
    let x = Conv2D::new(64, 3)
        .activation("relu")
        .padding("same")
        .apply(&x)?;
    let x = MaxPooling2D::new(2).apply(&x)?;
    let x = Flatten::new().apply(&x)?;
    let x = Dense::new(128).activation("relu").apply(&x)?;
    let outputs = Dense::new(10).activation("softmax").apply(&x)?;
    Model::new(&[inputs], &[outputs])
}

/// A tiny conv model (committed as .tflite in every mode for the Rust-only tests).
pub fn tiny() -> kiln::Result<Model> {
    use kiln::layers::{BatchNormalization, DepthwiseConv2D, GlobalAveragePooling2D, ReLU};
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    kiln::utils::set_random_seed(5);
    let inputs = Input::shape(&[8, 8, 3]);
    let x = Conv2D::new(8, 3)
        .strides(2)
        .padding("same")
        .use_bias(false)
        .apply(&inputs)?;
    let x = BatchNormalization::new().apply(&x)?;
    let x = ReLU::new().max_value(6.0).apply(&x)?;
    let x = DepthwiseConv2D::new(3).padding("same").apply(&x)?;
    let x = ReLU::new().apply(&x)?;
    let x = GlobalAveragePooling2D::new().apply(&x)?;
    let outputs = Dense::new(4).activation("softmax").apply(&x)?;
    let m = Model::new(&[inputs], &[outputs])?;
    randomize_batch_norms(&m)?;
    Ok(m)
}

/// The remaining float ops: tanh/sigmoid activations, SAME average pooling, ZeroPadding2D
/// before a VALID conv that is not SAME (a PAD op stays), Concatenate, a
/// BatchNormalization after a merge (MUL + ADD), GaussianDropout removed, Reshape.
pub fn ops() -> kiln::Result<Model> {
    use kiln::layers::{
        AveragePooling2D, BatchNormalization, Concatenate, GaussianDropout, Reshape, ZeroPadding2D,
    };
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    kiln::utils::set_random_seed(7);
    let inputs = Input::shape(&[8, 8, 3]);
    let a = Conv2D::new(4, 3)
        .padding("same")
        .activation("tanh")
        .apply(&inputs)?;
    let a = AveragePooling2D::new(3)
        .strides(2)
        .padding("same")
        .apply(&a)?;
    let b = ZeroPadding2D::pairs([(2, 0), (0, 2)]).apply(&inputs)?;
    let b = Conv2D::new(4, 3).activation("sigmoid").apply(&b)?;
    let b = MaxPooling2D::new(2).apply(&b)?;
    let c = Concatenate::new().apply(&[a, b][..])?;
    let c = BatchNormalization::new().apply(&c)?;
    let c = GaussianDropout::new(0.3).apply(&c)?;
    let c = Reshape::new(&[16, 8]).apply(&c)?;
    let c = Flatten::new().apply(&c)?;
    let outputs = Dense::new(3).activation("tanh").apply(&c)?;
    let m = Model::new(&[inputs], &[outputs])?;
    randomize_batch_norms(&m)?;
    Ok(m)
}

/// MobileNetV2(alpha=0.35), 96x96x3, 10 classes, random weights (BatchNorm statistics
/// randomized too, so that every channel counts).
pub fn mobilenet_v2() -> kiln::Result<Model> {
    use kiln::applications::{mobilenet_v2, AppArgs};
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    kiln::utils::set_random_seed(6);
    let m = mobilenet_v2(AppArgs::new().input_shape([96, 96, 3]).classes(10), 0.35)?;
    randomize_batch_norms(&m)?;
    Ok(m)
}

/// Seeded random gamma, beta, moving mean and variance for every BatchNormalization.
pub fn randomize_batch_norms(model: &Model) -> kiln::Result<()> {
    for l in model.layers() {
        if l.class_name() != "BatchNormalization" {
            continue;
        }
        let ws: Vec<Tensor> = l
            .get_weights()
            .iter()
            .enumerate()
            .map(|(i, w)| {
                // gamma, beta, moving_mean, moving_variance
                let (lo, hi) = match i {
                    0 | 3 => (0.5, 1.5),
                    _ => (-0.3, 0.3),
                };
                kiln_tensor::random::uniform(w.shape(), lo, hi, DType::F32)
            })
            .collect::<Result<_, _>>()?;
        l.set_weights(&ws)?;
    }
    Ok(())
}

/// Deterministic inputs in [0, 1) (image-like).
pub fn ramp(shape: &[usize], salt: usize) -> kiln::Result<Tensor> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|i| ((i * 37 + salt * 11) % 97) as f32 / 97.0)
        .collect();
    Ok(Tensor::from_vec(v, shape)?)
}

/// `n` representative samples of batch 1 shaped like `shape` (without batch).
pub fn representative(shape: &[usize], n: usize) -> kiln::Result<Vec<Vec<Tensor>>> {
    let mut full = vec![1];
    full.extend_from_slice(shape);
    (0..n).map(|k| Ok(vec![ramp(&full, 100 + k)?])).collect()
}
