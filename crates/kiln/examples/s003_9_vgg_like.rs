//! S003-9: a VGG-like Sequential CNN (pairs of 3x3 convolutions, 64/128/256 filters,
//! max-pooling, two Dense(512)) on 64x64x3 images; prints the summary.

use kiln::layers::{Conv2D, Dense, Flatten, LayerRef, MaxPooling2D};
use kiln::models::{CompileArgs, Model};

fn main() -> kiln::Result<()> {
    let mut layers: Vec<LayerRef> = Vec::new();
    for (i, f) in [64, 128, 256].into_iter().enumerate() {
        let first = Conv2D::new(f, 3).activation("relu");
        layers.push(if i == 0 {
            first.input_shape(&[64, 64, 3]).into()
        } else {
            first.into()
        });
        layers.push(Conv2D::new(f, 3).activation("relu").into());
        layers.push(MaxPooling2D::new(2).into());
    }
    layers.push(Flatten::new().into());
    layers.push(Dense::new(512).activation("relu").into());
    layers.push(Dense::new(512).activation("relu").into());
    layers.push(Dense::new(10).activation("softmax").into());
    let mut model = Model::sequential(layers)?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.summary();
    Ok(())
}
