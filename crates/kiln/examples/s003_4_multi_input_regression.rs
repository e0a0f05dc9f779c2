//! S003-4: a two-input functional regression (64-d and 128-d branches, concatenated,
//! Dense 2 then Dense 1) compiled with adam / mean squared error.

use kiln::layers::{concatenate, Dense, Input, LayerApply};
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, Model};
use kiln_tensor::{DType, Tensor};

fn main() -> kiln::Result<()> {
    let input_a = Input::shape(&[64]);
    let input_b = Input::shape(&[128]);
    let x = Dense::new(8).activation("relu").apply(&input_a)?;
    let x = Dense::new(4).activation("relu").apply(&x)?;
    let y = Dense::new(16).activation("relu").apply(&input_b)?;
    let y = Dense::new(4).activation("relu").apply(&y)?;
    let combined = concatenate(&[x, y])?;
    let z = Dense::new(2).activation("relu").apply(&combined)?;
    let z = Dense::new(1).activation("linear").apply(&z)?;
    let mut model = Model::new(&[input_a, input_b], &[z])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("mean_squared_error"),
    )?;
    let out = model.predict_multi(
        vec![
            Tensor::zeros(&[3, 64], DType::F32),
            Tensor::zeros(&[3, 128], DType::F32),
        ],
        PredictArgs::new().verbose(0),
    )?;
    assert_eq!(out[0].shape(), &[3, 1]);
    Ok(())
}
