//! The small models the tests and the fixture writer export (seeded, random weights).
#![allow(dead_code)]

use kiln::layers::{
    Add, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, Dense, DepthwiseConv2D,
    Dropout, Embedding, Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D, Input, LayerApply,
    LayerNormalization, LayerRef, MaxPooling2D, MultiHeadAttention, SimpleRNN, GRU, LSTM,
};
use kiln::models::Model;
use kiln::{DType, Tensor};

/// Seeded construction draws from the process-wide generator: tests building models in
/// parallel take turns.
static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// (name, model, example inputs)
pub fn all() -> kiln::Result<Vec<(&'static str, Model, Vec<Tensor>)>> {
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    kiln::utils::set_random_seed(7);
    let mut out = Vec::new();
    let mlp = Model::sequential(vec![
        Dense::new(16).activation("relu").input_shape(&[8]).into(),
        Dropout::new(0.5).into(),
        Dense::new(8).activation("tanh").into(),
        Dense::new(4).activation("softmax").into(),
    ])?;
    out.push(("mlp", mlp, vec![ramp(&[3, 8], 0)?]));

    let cnn = Model::sequential(vec![
        Conv2D::new(4, (3, 3))
            .activation("relu")
            .input_shape(&[10, 10, 2])
            .into(),
        BatchNormalization::new().into(),
        MaxPooling2D::new((2, 2)).into(),
        Conv2D::new(6, (3, 3))
            .padding("same")
            .activation("sigmoid")
            .into(),
        AveragePooling2D::new((2, 2)).into(),
        DepthwiseConv2D::new((2, 2)).into(),
        Flatten::new().into(),
        Dense::new(5).activation("softmax").into(),
    ])?;
    out.push(("cnn", cnn, vec![ramp(&[2, 10, 10, 2], 1)?]));

    let a = Input::shape(&[6]);
    let b = Input::shape(&[4]);
    let ha = Dense::new(5).activation("relu").apply(&a)?;
    let hb = Dense::new(5).activation("gelu").apply(&b)?;
    let s = Add::new().apply(&[ha.clone(), hb.clone()][..])?;
    let c = Concatenate::new().apply(&[s, hb][..])?;
    let y = Dense::new(3).apply(&c)?;
    let multi = Model::new(&[a, b], &[y])?;
    out.push((
        "multi_input",
        multi,
        vec![ramp(&[2, 6], 2)?, ramp(&[2, 4], 3)?],
    ));

    let t = Input::new(&[Some(5)]).dtype(DType::I32).build();
    let e = Embedding::new(11, 8).apply(&t)?;
    let e = LayerNormalization::new().apply(&e)?;
    let e = Dense::new(8).activation("silu").apply(&e)?;
    let g = GlobalAveragePooling1D::new().apply(&e)?;
    let y = Dense::new(2).apply(&g)?;
    let emb = Model::new(&[t], &[y])?;
    let ids = Tensor::from_vec(vec![1i32, 4, 0, 10, 3, 2, 2, 9, 7, 5], &[2, 5])?;
    out.push(("embedding_layernorm", emb, vec![ids]));

    let img = Input::shape(&[8, 8, 3]);
    let x = Conv2D::new(4, (3, 3))
        .strides((2, 2))
        .padding("same")
        .apply(&img)?;
    let x = GlobalAveragePooling2D::new().apply(&x)?;
    let y = Dense::new(3).activation("softmax").apply(&x)?;
    let gap = Model::new(&[img], &[y])?;
    out.push(("conv_gap", gap, vec![ramp(&[2, 8, 8, 3], 4)?]));
    out.extend(recurrent()?);
    out.push(transformer_block()?);
    Ok(out)
}

/// LSTM (sequences, then go_backwards with its states as outputs), GRU with
/// reset_after true and false, SimpleRNN.
fn recurrent() -> kiln::Result<Vec<(&'static str, Model, Vec<Tensor>)>> {
    let mut out = Vec::new();
    let x = Input::shape(&[6, 3]);
    let h = LSTM::new(5).return_sequences(true).apply(&x)?;
    let st =
        LayerRef::new(LSTM::new(4).go_backwards(true).return_state(true)).call_symbolic(&[h])?;
    let y = Dense::new(2).apply(&st[0])?;
    let lstm = Model::new(&[x], &[y, st[1].clone(), st[2].clone()])?;
    out.push(("lstm", lstm, vec![ramp(&[2, 6, 3], 5)?]));

    let x = Input::shape(&[6, 3]);
    let h = GRU::new(5).return_sequences(true).apply(&x)?;
    let h = GRU::new(4)
        .edit_options(|o| o.reset_after = false)
        .go_backwards(true)
        .apply(&h)?;
    let y = Dense::new(2).apply(&h)?;
    let gru = Model::new(&[x], &[y])?;
    out.push(("gru", gru, vec![ramp(&[2, 6, 3], 6)?]));

    let x = Input::shape(&[5, 4]);
    let h = SimpleRNN::new(6).return_sequences(true).apply(&x)?;
    let h = SimpleRNN::new(3).activation("relu")?.apply(&h)?;
    let rnn = Model::new(&[x], &[h])?;
    out.push(("simple_rnn", rnn, vec![ramp(&[2, 5, 4], 7)?]));
    Ok(out)
}

/// The Keras transformer encoder block (causal self-attention, residuals, layer norms,
/// feed-forward) over token embeddings, pooled to a classifier.
fn transformer_block() -> kiln::Result<(&'static str, Model, Vec<Tensor>)> {
    let t = Input::new(&[Some(6)]).dtype(DType::I32).build();
    let e = Embedding::new(13, 16).apply(&t)?;
    let a = LayerRef::new(MultiHeadAttention::new(2, 8).use_causal_mask(true))
        .call_symbolic(&[e.clone(), e.clone()])?;
    let a = Dropout::new(0.1).apply(&a[0])?;
    let h = Add::new().apply(&[e, a][..])?;
    let h = LayerNormalization::new().epsilon(1e-6).apply(&h)?;
    let f = Dense::new(32).activation("relu").apply(&h)?;
    let f = Dense::new(16).apply(&f)?;
    let h = Add::new().apply(&[h, f][..])?;
    let h = LayerNormalization::new().epsilon(1e-6).apply(&h)?;
    let g = GlobalAveragePooling1D::new().apply(&h)?;
    let y = Dense::new(3).activation("softmax").apply(&g)?;
    let m = Model::new(&[t], &[y])?;
    let ids = Tensor::from_vec(vec![1i32, 4, 0, 12, 3, 2, 2, 9, 7, 5, 11, 6], &[2, 6])?;
    Ok(("transformer_block", m, vec![ids]))
}

/// ResNet50 and MobileNetV2 (kiln's applications, random weights, 64x64 inputs, 10
/// classes): too large to commit as .onnx, so only their inputs and outputs are committed.
pub fn applications() -> kiln::Result<Vec<(&'static str, Model, Vec<Tensor>)>> {
    use kiln::applications::{mobilenet_v2, resnet50, AppArgs};
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    kiln::utils::set_random_seed(11);
    let args = || {
        AppArgs::new()
            .input_shape([64, 64, 3])
            .classes(10)
            .classifier_activation("linear")
    };
    let r = resnet50(args())?;
    let m = mobilenet_v2(args(), 1.0)?;
    for model in [&r, &m] {
        randomize_batch_norms(model)?;
    }
    Ok(vec![
        ("resnet50", r, vec![ramp(&[1, 64, 64, 3], 8)?]),
        ("mobilenet_v2", m, vec![ramp(&[1, 64, 64, 3], 9)?]),
    ])
}

/// Fresh BatchNormalization layers are the identity at inference (and a random-weight
/// MobileNetV2 then predicts uniform logits); seeded random gamma, beta, moving mean and
/// variance make every channel count.
fn randomize_batch_norms(model: &Model) -> kiln::Result<()> {
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
                let (lo, hi) = if i % 2 == 0 { (0.5, 1.5) } else { (-0.3, 0.3) };
                let (lo, hi) = if i == 2 {
                    (-0.3, 0.3)
                } else if i == 3 {
                    (0.5, 1.5)
                } else {
                    (lo, hi)
                };
                kiln_tensor::random::uniform(w.shape(), lo, hi, DType::F32)
            })
            .collect::<Result<_, _>>()?;
        l.set_weights(&ws)?;
    }
    Ok(())
}

/// Deterministic inputs in [-1, 1).
pub fn ramp(shape: &[usize], salt: usize) -> kiln::Result<Tensor> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|i| (((i * 37 + salt * 11) % 97) as f32 / 48.5) - 1.0)
        .collect();
    Ok(Tensor::from_vec(v, shape)?)
}
