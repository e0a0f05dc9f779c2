//! S003-39: a custom callback printing loss and accuracy at the end of every epoch while
//! `fit` trains the S003-38 model (compiled with adam / sparse categorical crossentropy /
//! accuracy) for 10 epochs. The seed's model outputs logits but its loss string expects
//! probabilities (a seed defect); as Keras would, the loss reads the outputs as
//! probabilities, so a softmax head is used here to port what was meant.

use kiln::callbacks::{Callback, Logs};
use kiln::layers::Dense;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::DType;

struct CustomCallback;

impl Callback for CustomCallback {
    fn on_epoch_end(
        &mut self,
        _model: &mut Model,
        epoch: usize,
        logs: &mut Logs,
    ) -> kiln::Result<()> {
        let show = |k: &str| {
            logs.get(k)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "None".into())
        };
        println!(
            "End of epoch {epoch}, loss: {}, accuracy: {}",
            show("loss"),
            show("accuracy")
        );
        Ok(())
    }
}

fn main() -> kiln::Result<()> {
    let mut model = Model::sequential(vec![
        Dense::new(64).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    let mut g = Generator::from_seed(0);
    let x_train = g.uniform(&[100, 10], 0.0, 1.0, DType::F32)?;
    let y_train = g.randint(&[100], 0, 10, DType::I64)?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.fit(
        &x_train,
        &y_train,
        FitArgs::new()
            .epochs(10)
            .batch_size(32)
            .shuffle(false)
            .callback(CustomCallback),
    )?;
    Ok(())
}
