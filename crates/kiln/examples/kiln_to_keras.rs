//! A model trained in kiln, predicting in Keras: builds and trains a small functional
//! model in kiln, writes it as a Keras 3 `.keras` archive plus its input and predictions
//! as `.npy`, and prints the Python one-liner that loads the archive in Keras and checks
//! Keras predicts the same.
//!
//! `cargo run -p kiln --example kiln_to_keras [-- OUT_DIR]`

use kiln::layers::{Dense, Input, LayerApply};
use kiln::models::EvaluateArgs;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::DType;

fn main() -> kiln::Result<()> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| {
        std::env::temp_dir()
            .join("kiln_to_keras")
            .display()
            .to_string()
    }));
    std::fs::create_dir_all(&out).map_err(|e| kiln::Error::InvalidArgument {
        api: "example",
        msg: format!("{}: {e}", out.display()),
    })?;
    let inp = Input::shape(&[4]);
    let h = Dense::new(16).activation("relu").apply(&inp)?;
    let y = Dense::new(3).activation("softmax").apply(&h)?;
    let mut model = Model::new_named(&[inp], &[y], "kiln_classifier")?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let mut g = Generator::from_seed(7);
    let x = g.normal(&[256, 4], 0.0, 1.0, DType::F32)?;
    // The class is which of the first three features is largest.
    let labels = x.slice(&[0, 0], &[-1, 3])?.argmax(1)?;
    model.fit(&x, &labels, FitArgs::new().epochs(20).verbose(0))?;
    let acc = model
        .evaluate(&x, &labels, EvaluateArgs::new().batch_size(64).verbose(0))?
        .get("accuracy")
        .unwrap_or(f64::NAN);
    println!("trained in kiln: accuracy {acc:.3}");

    let sample = x.slice(&[0, 0], &[8, -1])?;
    let pred = model.predict(&sample, PredictArgs::new().batch_size(8).verbose(0))?;
    let keras = out.join("kiln_classifier.keras");
    kiln::saving::save_model(&model, &keras)?;
    kiln_data::npz::write_npy(out.join("x.npy"), &sample)?;
    kiln_data::npz::write_npy(out.join("y.npy"), &pred)?;
    println!("wrote {}", keras.display());
    let d = out.display();
    println!("check it in Keras:");
    println!(
        "python -c \"import keras, numpy as np; m = keras.models.load_model('{d}/kiln_classifier.keras'); \
         np.testing.assert_allclose(m.predict(np.load('{d}/x.npy'), verbose=0), np.load('{d}/y.npy'), rtol=1e-5, atol=1e-6); print('Keras predicts what kiln predicted')\""
    );
    Ok(())
}
