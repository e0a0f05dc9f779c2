//! S003-18: UpSampling2D(2) followed by Conv2D(64, 3, same), the checkerboard-free
//! alternative to transposed convolutions; prints the summary.

use kiln::layers::{Conv2D, Input, LayerApply, UpSampling2D};
use kiln::models::{CompileArgs, Model};

fn main() -> kiln::Result<()> {
    let input_layer = Input::shape(&[28, 28, 1]);
    let x = UpSampling2D::new(2).apply(&input_layer)?;
    let output_layer = Conv2D::new(64, 3).padding("same").apply(&x)?;
    let mut model = Model::new(&[input_layer], &[output_layer])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("mean_squared_error")
            .metrics(["accuracy"]),
    )?;
    model.summary();
    Ok(())
}
