//! S003-10: a ResNet-like functional model: Conv 7x7/2 -> BatchNorm -> ReLU, two residual
//! blocks (Conv -> BN -> ReLU -> Conv -> BN, added to the shortcut, ReLU), Flatten,
//! Dense(10); prints the summary.

use kiln::layers::{
    add, Activation, BatchNormalization, Conv2D, Dense, Flatten, Input, KerasTensor, LayerApply,
};
use kiln::models::{CompileArgs, Model};

fn residual_block(x: &KerasTensor, filters: usize) -> kiln::Result<KerasTensor> {
    let shortcut = x.clone();
    let y = Conv2D::new(filters, 3).padding("same").apply(x)?;
    let y = BatchNormalization::new().apply(&y)?;
    let y = Activation::new("relu").apply(&y)?;
    let y = Conv2D::new(filters, 3)
        .strides(1)
        .padding("same")
        .apply(&y)?;
    let y = BatchNormalization::new().apply(&y)?;
    let y = add(&[y, shortcut])?;
    Activation::new("relu").apply(&y)
}

fn main() -> kiln::Result<()> {
    let input = Input::shape(&[64, 64, 3]);
    let x = Conv2D::new(64, 7)
        .strides(2)
        .padding("same")
        .apply(&input)?;
    let x = BatchNormalization::new().apply(&x)?;
    let x = Activation::new("relu").apply(&x)?;
    let x = residual_block(&x, 64)?;
    let x = residual_block(&x, 64)?;
    let x = Flatten::new().apply(&x)?;
    let outputs = Dense::new(10).activation("softmax").apply(&x)?;
    let mut model = Model::new(&[input], &[outputs])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.summary();
    Ok(())
}
