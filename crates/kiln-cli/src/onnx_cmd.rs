//! `kiln export MODEL.keras --format onnx` and `kiln predict MODEL.onnx`.

use kiln_tensor::Tensor;

use crate::model_io::{npy, write_outputs, PredictArgs};

/// Options of `kiln export`.
#[derive(Debug, Default, PartialEq, clap::Args)]
pub struct ExportArgs {
    /// The saved model (`.keras`).
    #[arg(value_name = "MODEL.keras")]
    pub model: String,
    /// The exchange format (only `onnx`).
    #[arg(long, value_name = "FORMAT", default_value = "onnx")]
    pub format: String,
    /// The ONNX opset to write (17..=21).
    #[arg(long, value_name = "N", default_value_t = kiln_onnx::DEFAULT_OPSET)]
    pub opset: i64,
    /// Where to write the exported model.
    #[arg(short = 'o', long, value_name = "OUT.onnx")]
    pub output: String,
}

fn onnx_err(e: kiln_onnx::OnnxError) -> kiln::Error {
    match e {
        kiln_onnx::OnnxError::Kiln(k) => k,
        other => kiln::Error::InvalidArgument {
            api: "kiln onnx",
            msg: other.to_string(),
        },
    }
}

/// `kiln export MODEL.keras --format onnx [--opset N] -o OUT.onnx`.
pub fn export(a: &ExportArgs) -> kiln::Result<String> {
    if a.format != "onnx" {
        return Err(kiln::Error::InvalidArgument {
            api: "kiln export",
            msg: format!("format '{}' is not supported; expected onnx", a.format),
        });
    }
    let model = kiln::saving::load_model(&a.model)?;
    kiln_onnx::export(&model, &a.output, a.opset).map_err(onnx_err)?;
    Ok(format!("wrote {} (ONNX opset {})", a.output, a.opset))
}

/// `kiln predict MODEL.onnx --input X.npy ... --output Y.npy`: the imported graph run on
/// `--batch-size` rows at a time.
pub fn predict(a: &PredictArgs) -> kiln::Result<String> {
    let graph = kiln_onnx::load(&a.model).map_err(onnx_err)?;
    let xs: Vec<Tensor> = a
        .inputs
        .iter()
        .map(|p| npy(p))
        .collect::<kiln::Result<_>>()?;
    let rows = xs
        .first()
        .map(|x| x.shape().first().copied().unwrap_or(1))
        .unwrap_or(0);
    if xs
        .iter()
        .any(|x| x.shape().first().copied().unwrap_or(1) != rows)
    {
        return Err(kiln::Error::InvalidArgument {
            api: "kiln predict",
            msg: "every input needs the same number of rows".into(),
        });
    }
    let bs = a.batch_size.max(1);
    let mut parts: Vec<Vec<Tensor>> = Vec::new();
    let mut start = 0;
    while start < rows {
        let n = bs.min(rows - start);
        let batch: Vec<Tensor> = xs
            .iter()
            .map(|x| {
                let mut begin = vec![0isize; x.shape().len()];
                begin[0] = start as isize;
                let mut size: Vec<isize> = x.shape().iter().map(|&d| d as isize).collect();
                size[0] = n as isize;
                x.slice(&begin, &size)
            })
            .collect::<Result<_, _>>()?;
        let outs = graph.run(&batch).map_err(onnx_err)?;
        for (i, o) in outs.into_iter().enumerate() {
            if parts.len() <= i {
                parts.push(Vec::new());
            }
            parts[i].push(o);
        }
        start += n;
    }
    let outs: Vec<Tensor> = parts
        .iter()
        .map(|p| Tensor::concat(&p.iter().collect::<Vec<_>>(), 0))
        .collect::<Result<_, _>>()?;
    write_outputs(&a.output, &outs)
}
