//! S003-8: a basic Sequential CNN on 64x64x3 images, compiled with adam /
//! categorical crossentropy; prints the summary.

use kiln::layers::{Conv2D, Dense, Flatten, MaxPooling2D};
use kiln::models::{CompileArgs, Model};

fn main() -> kiln::Result<()> {
    let mut model = Model::sequential(vec![
        Conv2D::new(32, 3)
            .activation("relu")
            .input_shape(&[64, 64, 3])
            .into(),
        MaxPooling2D::new(2).into(),
        Conv2D::new(64, 3).activation("relu").into(),
        MaxPooling2D::new(2).into(),
        Flatten::new().into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.summary();
    Ok(())
}
