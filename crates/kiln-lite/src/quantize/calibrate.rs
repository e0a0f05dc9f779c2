//! Calibration: runs the Keras model on the representative dataset and records the
//! min/max of every activation tensor of the lowered graph.

use kiln::models::Model;
use kiln::Tensor;

use crate::tflite::schema::op;
use crate::tflite::{Lowered, TGraph, TOp};
use crate::{LiteError, Result};

/// Checks that every sample holds one tensor per model input, shaped like that input
/// (any batch size).
pub fn check_dataset(model: &Model, ds: &[Vec<Tensor>]) -> Result<()> {
    let inputs = model.inputs();
    if ds.is_empty() {
        return Err(LiteError::Argument {
            arg: "representative_dataset".into(),
            msg: "is empty; expected at least one sample".into(),
        });
    }
    for (k, sample) in ds.iter().enumerate() {
        if sample.len() != inputs.len() {
            return Err(LiteError::Argument {
                arg: "representative_dataset".into(),
                msg: format!(
                    "sample {k} has {} tensors; the model has {} inputs",
                    sample.len(),
                    inputs.len()
                ),
            });
        }
        for (i, (t, kt)) in sample.iter().zip(&inputs).enumerate() {
            let want = kt.shape();
            let got = t.shape();
            let ok = got.len() == want.len()
                && got
                    .iter()
                    .zip(want)
                    .skip(1)
                    .all(|(g, w)| w.is_none_or(|w| w == *g));
            if !ok {
                return Err(LiteError::Argument {
                    arg: "representative_dataset".into(),
                    msg: format!(
                        "sample {k}, input {i} ('{}') has shape {got:?}; expected {want:?} (None: any size)",
                        kt.layer().name()
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Per tensor of the lowered graph: the calibrated `(min, max)` of its values over the
/// dataset, or `None` for constants.
pub fn calibrate(
    model: &Model,
    lowered: &Lowered,
    ds: &[Vec<Tensor>],
) -> Result<Vec<Option<(f32, f32)>>> {
    check_dataset(model, ds)?;
    let g = &lowered.graph;
    let mut observed = Vec::new();
    let mut watch = Vec::new();
    for (i, t) in g.tensors.iter().enumerate() {
        if t.data.is_some() {
            continue;
        }
        if let Some(kt) = &lowered.keras[i] {
            watch.push(i);
            observed.push(kt.clone());
        }
    }
    let probe = Model::new(&model.inputs(), &observed)?;
    let mut ranges: Vec<Option<(f32, f32)>> = vec![None; g.tensors.len()];
    for sample in ds {
        let outs = probe.call_multi(sample, false)?;
        let mut values: Vec<Option<Vec<f32>>> = vec![None; g.tensors.len()];
        for (&i, v) in watch.iter().zip(&outs) {
            values[i] = Some(v.to_vec::<f32>()?);
        }
        // Tensors inside a layer (a Dense's logits before its softmax, the halves of an
        // unfolded BatchNormalization) have no Keras tensor: evaluate their op in float.
        for o in &g.ops {
            let y = o.outputs[0] as usize;
            if values[y].is_some() || g.tensors[y].data.is_some() {
                continue;
            }
            values[y] = Some(eval_float(g, o, &values)?);
        }
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            let lo = v.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let r = ranges[i].get_or_insert((lo, hi));
            r.0 = r.0.min(lo);
            r.1 = r.1.max(hi);
        }
    }
    Ok(ranges)
}

/// Float evaluation of the ops whose outputs calibration cannot observe in the Keras
/// model: FULLY_CONNECTED, and MUL / ADD with a per-channel constant or a same-shape
/// operand.
fn eval_float(g: &TGraph, o: &TOp, values: &[Option<Vec<f32>>]) -> Result<Vec<f32>> {
    let name = &g.tensors[o.outputs[0] as usize].name;
    let unsupported = || {
        LiteError::Argument {
        arg: "representative_dataset".into(),
        msg: format!(
            "tensor '{name}' ({} output) cannot be calibrated: it has no Keras counterpart and kiln does not evaluate that op during calibration",
            op::name(o.code)
        ),
    }
    };
    let val = |t: i32| -> Result<Vec<f32>> {
        let tt = &g.tensors[t as usize];
        match (&values[t as usize], tt.f32_data()) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(c)) => Ok(c),
            _ => Err(unsupported()),
        }
    };
    match o.code {
        op::FULLY_CONNECTED => {
            let x = val(o.inputs[0])?;
            let w = val(o.inputs[1])?;
            let wshape = &g.tensors[o.inputs[1] as usize].shape;
            let (units, cin) = (wshape[0] as usize, wshape[1] as usize);
            let b = if o.inputs[2] >= 0 {
                val(o.inputs[2])?
            } else {
                vec![0.0; units]
            };
            let rows = x.len() / cin;
            let mut y = vec![0f32; rows * units];
            for r in 0..rows {
                for u in 0..units {
                    let mut acc = b[u];
                    for k in 0..cin {
                        acc += x[r * cin + k] * w[u * cin + k];
                    }
                    y[r * units + u] = acc;
                }
            }
            Ok(y)
        }
        op::MUL | op::ADD => {
            let a = val(o.inputs[0])?;
            let b = val(o.inputs[1])?;
            if b.len() != a.len() && (b.is_empty() || a.len() % b.len() != 0) {
                return Err(unsupported());
            }
            Ok(a.iter()
                .enumerate()
                .map(|(i, x)| {
                    let z = b[i % b.len()];
                    if o.code == op::MUL {
                        x * z
                    } else {
                        x + z
                    }
                })
                .collect())
        }
        _ => Err(unsupported()),
    }
}
