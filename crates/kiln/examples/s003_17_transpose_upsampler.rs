//! S003-17: Conv2DTranspose upsampler 28x28x1 -> 56x56x32 -> 56x56x1, compiled with adam /
//! mse / accuracy; prints the summary.

use kiln::layers::{Conv2DTranspose, Input, LayerApply};
use kiln::models::{CompileArgs, Model};

fn main() -> kiln::Result<()> {
    let input_layer = Input::shape(&[28, 28, 1]);
    let up = Conv2DTranspose::new(32, 3)
        .strides(2)
        .padding("same")
        .activation("relu")
        .apply(&input_layer)?;
    let output_layer = Conv2DTranspose::new(1, 3)
        .activation("sigmoid")
        .padding("same")
        .apply(&up)?;
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
