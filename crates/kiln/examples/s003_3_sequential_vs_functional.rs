//! S003-3: the same 784-64-10 classifier written with the Sequential API and with the
//! functional API, both compiled; they have the same structure and parameter count.

use kiln::layers::{Dense, Input, LayerApply};
use kiln::models::{CompileArgs, Model};

fn main() -> kiln::Result<()> {
    let mut sequential = Model::sequential(vec![
        Dense::new(64).activation("relu").input_shape(&[784]).into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    sequential.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;

    let inputs = Input::shape(&[784]);
    let x = Dense::new(64).activation("relu").apply(&inputs)?;
    let outputs = Dense::new(10).activation("softmax").apply(&x)?;
    let mut functional = Model::new(&[inputs], &[outputs])?;
    functional.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;

    assert_eq!(sequential.count_params(), functional.count_params());
    assert_eq!(sequential.count_params(), 50_890);
    Ok(())
}
