//! The small models the tests and the fixture writer export (seeded, random weights).
#![allow(dead_code)]

use kiln::layers::{
    Add, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, Dense, DepthwiseConv2D,
    Dropout, Embedding, Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D, Input, LayerApply,
    LayerNormalization, MaxPooling2D,
};
use kiln::models::Model;
use kiln::{DType, Tensor};

/// (name, model, example inputs)
pub fn all() -> kiln::Result<Vec<(&'static str, Model, Vec<Tensor>)>> {
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
    Ok(out)
}

/// Deterministic inputs in [-1, 1).
pub fn ramp(shape: &[usize], salt: usize) -> kiln::Result<Tensor> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|i| (((i * 37 + salt * 11) % 97) as f32 / 48.5) - 1.0)
        .collect();
    Ok(Tensor::from_vec(v, shape)?)
}
