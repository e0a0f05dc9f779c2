//! A Keras user's first day, program 2: a two-input, two-output functional model with
//! losses, loss weights and metrics keyed by output name, and x and y keyed by name
//! (the Keras original: `two_io_functional.py`).
use kiln::prelude::*;

fn main() -> kiln::Result<()> {
    random::set_global_seed(0);
    let text = random::uniform(&[2000, 20], 0.0, 1.0, DType::F32)?;
    let meta = random::uniform(&[2000, 5], 0.0, 1.0, DType::F32)?;
    let priority = text.sum(&[1], true)?.greater(&Tensor::scalar(10.0f32))?.cast(DType::F32)?;
    let department = meta.argmax(1)?;

    let text_in = Input::named("text", &[20]);
    let meta_in = Input::named("meta", &[5]);
    let t = Dense::new(32).activation("relu").apply(&text_in)?;
    let m = Dense::new(8).activation("relu").apply(&meta_in)?;
    let x = Dense::new(32).activation("relu").apply(&concatenate(&[t, m])?)?;
    let priority_out = Dense::new(1).activation("sigmoid").name("priority").apply(&x)?;
    let department_out = Dense::new(5).activation("softmax").name("department").apply(&x)?;
    let mut model = Model::new(&[text_in, meta_in], &[priority_out, department_out])?;
    model.compile(
        CompileArgs::new()
            .optimizer(optimizers::Adam::new(1e-3))
            .loss_map([
                ("priority", "binary_crossentropy"),
                ("department", "sparse_categorical_crossentropy"),
            ])
            .loss_weights_map([("priority", 1.0), ("department", 0.5)])
            .metrics_map([("priority", ["accuracy"]), ("department", ["accuracy"])]),
    )?;
    model.fit(
        [("text", text.clone()), ("meta", meta.clone())],
        [("priority", priority), ("department", department)],
        FitArgs::new().epochs(5).batch_size(64).validation_split(0.2).verbose(2),
    )?;
    let pred = model.predict_named(
        [("text", text.rows(..3)?), ("meta", meta.rows(..3)?)],
        PredictArgs::new().verbose(0),
    )?;
    println!("{:?} {:?}", pred["priority"].shape(), pred["department"].shape());
    Ok(())
}
