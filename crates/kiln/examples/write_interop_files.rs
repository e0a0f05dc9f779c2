//! Writes `.keras` archives and `.weights.h5` files with kiln, for
//! `tools/golden/check_kiln_written.py` to load in Keras: each fixture model from
//! tools/golden/fixtures/saving is loaded, saved again by kiln, and a kiln-built model
//! (trained a few steps in kiln) is saved with its predictions; each also as
//! `.safetensors` keyed by Keras variable paths.
//!
//! `cargo run -p kiln --example write_interop_files -- OUT_DIR`

#[path = "common/demo_classifier.rs"]
mod demo_classifier;

use kiln::layers::{
    Dense, Flatten, Input, LayerApply, LayerRef, MultiHeadAttention, Reshape, GRU, LSTM,
};
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::DType;

fn main() -> kiln::Result<()> {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/kiln_interop".into()),
    );
    std::fs::create_dir_all(&out).map_err(|e| kiln::Error::InvalidArgument {
        api: "example",
        msg: e.to_string(),
    })?;
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools/golden/fixtures/saving");
    for name in ["mlp", "cnn", "multi_input_shared", "batchnorm", "lstm"] {
        let m = kiln::saving::load_model(fixtures.join(format!("{name}.keras")))?;
        kiln::saving::save_model(&m, out.join(format!("{name}.keras")))?;
        kiln::saving::save_weights(&m, out.join(format!("{name}.weights.h5")))?;
        kiln::saving::save_weights_safetensors(&m, out.join(format!("{name}.safetensors")))?;
    }
    // Keras files with compile configs (loss maps/lists, loss weights, per-output
    // metrics, registered custom functions) loaded and saved again by kiln: Keras must
    // load kiln's copy compiled and train on exactly as after loading its own file.
    kiln::saving::register_loss_fn("demo", "scaled_abs", |y, p| {
        Ok(p.sub(y)?.abs()?.mean(&[-1], false)?.mul_scalar(2.0)?)
    });
    kiln::saving::register_metric_fn("demo", "max_abs_err", |y, p| {
        Ok(p.sub(y)?.abs()?.max(&[-1], false)?)
    });
    // The registered subclassed model too (Keras rebuilds it from kiln's get_config).
    demo_classifier::register_classifier();
    for name in [
        "two_output_maps",
        "two_output_lists",
        "custom_loss_metric",
        "subclassed",
    ] {
        let m = kiln::saving::load_model(fixtures.join(format!("compile/{name}.keras")))?;
        kiln::saving::save_model(&m, out.join(format!("kiln_{name}.keras")))?;
    }
    // A model built and trained in kiln, with attention, saved with its predictions.
    kiln::utils::set_random_seed(3);
    let x_in = Input::shape(&[6]);
    let h = Dense::new(8).activation("relu").apply(&x_in)?;
    let seq = Reshape::new(&[2, 4]).apply(&h)?;
    let att = LayerRef::new(MultiHeadAttention::new(2, 3)).call_symbolic(&[seq.clone(), seq])?;
    let y = Dense::new(1).apply(&Flatten::new().apply(&att[0])?)?;
    let mut model = Model::new(&[x_in], &[y])?;
    model.compile(CompileArgs::new().optimizer("adam").loss("mse"))?;
    let mut g = Generator::from_seed(5);
    let x = g.normal(&[32, 6], 0.0, 1.0, DType::F32)?;
    let t = g.normal(&[32, 1], 0.0, 1.0, DType::F32)?;
    model.fit(&x, &t, FitArgs::new().epochs(3).batch_size(8).verbose(0))?;
    kiln::saving::save_model(&model, out.join("kiln_attention.keras"))?;
    kiln::saving::save_weights_safetensors(&model, out.join("kiln_attention.safetensors"))?;
    let p = model.predict(&x, PredictArgs::new().verbose(0))?;
    let rows = |t: &kiln_tensor::Tensor| -> kiln::Result<String> {
        Ok(serde_json::json!({"shape": t.shape(), "data": t.to_vec::<f32>()?}).to_string())
    };
    std::fs::write(
        out.join("kiln_attention.json"),
        format!("{{\"x\": {}, \"y\": {}}}", rows(&x)?, rows(&p)?),
    )
    .map_err(|e| kiln::Error::InvalidArgument {
        api: "example",
        msg: e.to_string(),
    })?;
    // A recurrent model built and trained in kiln (LSTM into GRU), saved with predictions.
    kiln::utils::set_random_seed(4);
    let mut rnn = Model::sequential(vec![
        LSTM::new(4)
            .return_sequences(true)
            .input_shape(&[5, 3])
            .into(),
        GRU::new(3).into(),
        Dense::new(1).into(),
    ])?;
    rnn.compile(CompileArgs::new().optimizer("adam").loss("mse"))?;
    let xs = g.normal(&[16, 5, 3], 0.0, 1.0, DType::F32)?;
    let ts = g.normal(&[16, 1], 0.0, 1.0, DType::F32)?;
    rnn.fit(&xs, &ts, FitArgs::new().epochs(3).batch_size(4).verbose(0))?;
    kiln::saving::save_model(&rnn, out.join("kiln_rnn.keras"))?;
    let p = rnn.predict(&xs, PredictArgs::new().batch_size(16).verbose(0))?;
    std::fs::write(
        out.join("kiln_rnn.json"),
        format!("{{\"x\": {}, \"y\": {}}}", rows(&xs)?, rows(&p)?),
    )
    .map_err(|e| kiln::Error::InvalidArgument {
        api: "example",
        msg: e.to_string(),
    })?;
    println!("wrote {}", out.display());
    Ok(())
}
