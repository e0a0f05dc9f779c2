//! S003-47: knowledge distillation. An untrained teacher (Flatten-128-10) and a student
//! (Flatten-32-10), both compiled with Adam; the student is trained for 2 epochs of batch
//! 32 on the first 1000 MNIST images with the temperature-3 distillation loss, using its
//! own compiled optimizer. As in the seed, the softmax outputs are what get divided by
//! the temperature. The teacher's per-batch `predict` runs silently here (the seed's
//! prints a progress bar for each batch).

use kiln::layers::{Dense, Flatten};
use kiln::losses::categorical_crossentropy;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, Model};
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

fn classifier(hidden: usize) -> kiln::Result<Model> {
    let mut m = Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(hidden).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    m.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    Ok(m)
}

fn distillation_loss(
    teacher_logits: &Tensor,
    student_logits: &Tensor,
    temperature: f64,
) -> kiln::Result<Tensor> {
    let teacher_probs = teacher_logits.div_scalar(temperature)?.softmax(-1)?;
    let student_probs = student_logits.div_scalar(temperature)?.softmax(-1)?;
    Ok(
        categorical_crossentropy(&teacher_probs, &student_probs, false, 0.0, -1)?
            .mean(&[], false)?,
    )
}

fn main() -> kiln::Result<()> {
    let mut teacher = classifier(128)?;
    let mut student = classifier(32)?;
    let ((x_train, _y_train), _) = kiln_data::datasets::mnist::load_data()?;
    let x_train = x_train
        .slice(&[0, 0, 0], &[1000, -1, -1])?
        .cast(DType::F32)?
        .div_scalar(255.0)?;
    let (batch_size, epochs, temperature) = (32usize, 2, 3.0);
    let num_batches = 1000 / batch_size;
    for epoch in 0..epochs {
        for batch in 0..num_batches {
            let x_batch = x_train.slice(
                &[(batch * batch_size) as isize, 0, 0],
                &[batch_size as isize, -1, -1],
            )?;
            let teacher_logits = teacher.predict(&x_batch, PredictArgs::new().verbose(0))?;
            let tape = GradientTape::new();
            let student_logits = student.call(&x_batch)?;
            let loss = distillation_loss(&teacher_logits, &student_logits, temperature)?;
            let vars = student.trainable_weights();
            let refs: Vec<&Variable> = vars.iter().collect();
            let grads = tape.gradient(&loss, &refs)?;
            drop(tape);
            let pairs: Vec<(Tensor, Variable)> = grads
                .into_iter()
                .zip(vars)
                .filter_map(|(g, v)| g.map(|g| (g, v)))
                .collect();
            if let Some(opt) = student.optimizer_mut() {
                opt.apply_gradients(&pairs)?;
            }
            println!(
                "Epoch {} completed. Loss: {}",
                epoch + 1,
                loss.item::<f32>()?
            );
        }
    }
    Ok(())
}
