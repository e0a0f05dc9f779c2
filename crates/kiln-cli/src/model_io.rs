//! `kiln summary | predict | evaluate` on a saved `.keras` model.

use kiln::models::EvaluateArgs;
use kiln::models::Model;
use kiln_tensor::Tensor;

fn load(path: &str) -> kiln::Result<Model> {
    kiln::saving::load_model(path)
}

pub(crate) fn npy(path: &str) -> kiln::Result<Tensor> {
    kiln_data::npz::read_npy(path).map_err(|e| kiln::Error::InvalidArgument {
        api: "kiln",
        msg: e.to_string(),
    })
}

/// `kiln summary MODEL.keras`: the model's summary table.
pub fn summary(path: &str) -> kiln::Result<String> {
    Ok(load(path)?.summary_string(None))
}

/// Options of `kiln predict`.
#[derive(Debug, Default, PartialEq, clap::Args)]
pub struct PredictArgs {
    /// The saved model (`.keras`), or an ONNX file (`.onnx`, run by kiln's importer).
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// An input array, once per model input, in the model's input order.
    #[arg(long = "input", value_name = "X.npy", required = true)]
    pub inputs: Vec<String>,
    /// Where to write the predictions (several outputs: `Y_1.npy`, ... for the others).
    #[arg(long, value_name = "Y.npy")]
    pub output: String,
    /// Batch size of the predictions.
    #[arg(long, value_name = "B", default_value_t = 32)]
    pub batch_size: usize,
}

/// Options of `kiln evaluate`.
#[derive(Debug, Default, PartialEq, clap::Args)]
pub struct EvaluateCmd {
    /// The saved, compiled model (`.keras`).
    #[arg(value_name = "MODEL.keras")]
    pub model: String,
    /// The inputs.
    #[arg(long = "x", value_name = "X.npy")]
    pub x: String,
    /// The targets.
    #[arg(long = "y", value_name = "Y.npy")]
    pub y: String,
    /// Batch size of the evaluation.
    #[arg(long, value_name = "B", default_value_t = 32)]
    pub batch_size: usize,
}

/// `kiln predict`: batched predictions of the model on `.npy` inputs, written as `.npy`
/// (several outputs: `Y.npy` gets the first, `Y_1.npy`, ... the others).
pub fn predict(a: &PredictArgs) -> kiln::Result<String> {
    if a.model.ends_with(".onnx") {
        return crate::onnx_cmd::predict(a);
    }
    let mut model = load(&a.model)?;
    let xs: Vec<Tensor> = a
        .inputs
        .iter()
        .map(|p| npy(p))
        .collect::<kiln::Result<_>>()?;
    let outs = model.predict_multi(
        xs,
        kiln::models::PredictArgs::new()
            .batch_size(a.batch_size)
            .verbose(0),
    )?;
    write_outputs(&a.output, &outs)
}

/// Writes `outs[0]` to `output` and `outs[i]` to `{stem}_{i}.npy`.
pub(crate) fn write_outputs(output: &str, outs: &[Tensor]) -> kiln::Result<String> {
    let a = PredictArgs {
        output: output.to_string(),
        ..Default::default()
    };
    let mut written = Vec::new();
    for (i, y) in outs.iter().enumerate() {
        let path = if i == 0 {
            a.output.clone()
        } else {
            let stem = a.output.trim_end_matches(".npy");
            format!("{stem}_{i}.npy")
        };
        kiln_data::npz::write_npy(&path, y).map_err(|e| kiln::Error::InvalidArgument {
            api: "kiln predict",
            msg: e.to_string(),
        })?;
        written.push(format!("{path} {:?}", y.shape()));
    }
    Ok(format!("wrote {}", written.join(", ")))
}

/// `kiln evaluate MODEL.keras --x X.npy --y Y.npy [--batch-size B]`: the compiled
/// model's loss and metrics as one JSON object.
pub fn evaluate(a: &EvaluateCmd) -> kiln::Result<String> {
    let mut model = load(&a.model)?;
    let logs = model.evaluate(
        &npy(&a.x)?,
        &npy(&a.y)?,
        EvaluateArgs::new().batch_size(a.batch_size).verbose(0),
    )?;
    let map: serde_json::Map<String, serde_json::Value> = logs
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
        .collect();
    Ok(serde_json::Value::Object(map).to_string())
}
