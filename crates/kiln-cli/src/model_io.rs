//! `kiln summary | predict | evaluate` on a saved `.keras` model.

use kiln::models::EvaluateArgs;
use kiln::models::Model;
use kiln_tensor::Tensor;

fn load(path: &str) -> kiln::Result<Model> {
    kiln::saving::load_model(path)
}

fn npy(path: &str) -> kiln::Result<Tensor> {
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
#[derive(Debug, Default, PartialEq)]
pub struct PredictArgs {
    pub model: String,
    pub inputs: Vec<String>,
    pub output: String,
    pub batch_size: usize,
}

/// Parses `MODEL --input X.npy [--input ...] --output Y.npy [--batch-size B]`.
pub fn parse_predict(args: &[&str]) -> Result<PredictArgs, String> {
    let mut out = PredictArgs {
        batch_size: 32,
        ..Default::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .map(|v| v.to_string())
                .ok_or(format!("{a} needs a value"))
        };
        match *a {
            "--input" => out.inputs.push(value()?),
            "--output" => out.output = value()?,
            "--batch-size" => {
                let v = value()?;
                out.batch_size = v
                    .parse()
                    .map_err(|_| format!("--batch-size: '{v}' is not an integer"))?
            }
            m if !m.starts_with("--") && out.model.is_empty() => out.model = m.to_string(),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if out.model.is_empty() || out.inputs.is_empty() || out.output.is_empty() {
        return Err("predict needs MODEL.keras, at least one --input and an --output".into());
    }
    Ok(out)
}

/// `kiln predict`: batched predictions of the model on `.npy` inputs, written as `.npy`
/// (several outputs: `Y.npy` gets the first, `Y_1.npy`, ... the others).
pub fn predict(a: &PredictArgs) -> kiln::Result<String> {
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
pub fn evaluate(args: &[&str]) -> Result<kiln::Result<String>, String> {
    let (mut model_path, mut x, mut y, mut batch) = (None, None, None, 32usize);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .map(|v| v.to_string())
                .ok_or(format!("{a} needs a value"))
        };
        match *a {
            "--x" => x = Some(value()?),
            "--y" => y = Some(value()?),
            "--batch-size" => {
                let v = value()?;
                batch = v
                    .parse()
                    .map_err(|_| format!("--batch-size: '{v}' is not an integer"))?
            }
            m if !m.starts_with("--") && model_path.is_none() => model_path = Some(m.to_string()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    let (Some(m), Some(x), Some(y)) = (model_path, x, y) else {
        return Err("evaluate needs MODEL.keras, --x X.npy and --y Y.npy".into());
    };
    Ok((|| {
        let mut model = load(&m)?;
        let logs = model.evaluate(
            &npy(&x)?,
            &npy(&y)?,
            EvaluateArgs::new().batch_size(batch).verbose(0),
        )?;
        let map: serde_json::Map<String, serde_json::Value> = logs
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect();
        Ok(serde_json::Value::Object(map).to_string())
    })())
}
