//! Legacy Keras HDF5 model files (`model.save("m.h5")` in tf.keras 2 and Keras 3): the
//! `model_config` attribute and the `model_weights` group.

use std::path::Path;

use kiln_hdf5::AttrValue;
use kiln_tensor::{DType, Tensor};

use super::config::model_from_config;
use crate::models::Model;
use crate::{Error, Result};

fn err(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::InvalidArgument {
        api: "load_model",
        msg: format!("{}: {msg}", path.display()),
    }
}

/// A string attribute, or the concatenation of Keras's split `name0`, `name1`, ... parts.
pub(crate) fn strings_attr(g: &kiln_hdf5::Group, name: &str) -> Result<Option<Vec<String>>> {
    let as_strings = |v: AttrValue| -> Vec<String> {
        match v {
            AttrValue::String(s) => vec![s],
            AttrValue::Strings(v) => v,
            _ => Vec::new(),
        }
    };
    let names = g.attr_names().map_err(|e| Error::InvalidArgument {
        api: "load_model",
        msg: e.to_string(),
    })?;
    if names.iter().any(|n| n == name) {
        let v = g.attr(name).map_err(|e| Error::InvalidArgument {
            api: "load_model",
            msg: e.to_string(),
        })?;
        return Ok(Some(as_strings(v)));
    }
    let mut out = Vec::new();
    let mut k = 0;
    while names.iter().any(|n| *n == format!("{name}{k}")) {
        let v = g
            .attr(&format!("{name}{k}"))
            .map_err(|e| Error::InvalidArgument {
                api: "load_model",
                msg: e.to_string(),
            })?;
        out.extend(as_strings(v));
        k += 1;
    }
    Ok(if k == 0 { None } else { Some(out) })
}

/// Loads a legacy `.h5` model: rebuilds it from `model_config`, then assigns each layer's
/// weights from `model_weights/<layer>/<weight name>` in Keras's legacy order (trainable
/// weights, then non-trainable). Nothing is assigned unless every weight loads. With
/// `compile`, the `training_config` recompiles it and `optimizer_weights` restores the
/// optimizer state where kiln can do so exactly (see `legacy_training`).
pub(crate) fn load(path: &Path, compile: bool) -> Result<Model> {
    let file = kiln_hdf5::File::open(path).map_err(|e| err(path, e))?;
    let root = file.root();
    let config = strings_attr(&root, "model_config")
        .map_err(|e| err(path, e))?
        .and_then(|v| v.into_iter().next())
        .ok_or_else(|| {
            err(
                path,
                "no 'model_config' attribute (a weights-only file? use load_weights)",
            )
        })?;
    let config: serde_json::Value = serde_json::from_str(&config)
        .map_err(|e| err(path, format!("model_config is not valid JSON: {e}")))?;
    let model = model_from_config(&config).map_err(|e| err(path, e))?;
    let weights = root
        .group("model_weights")
        .map_err(|e| err(path, format!("no 'model_weights' group: {e}")))?;
    let mut assign: Vec<(kiln_tensor::Variable, Tensor)> = Vec::new();
    for layer in model.layers() {
        let mut vars = layer.trainable_weights();
        vars.extend(layer.non_trainable_weights());
        if vars.is_empty() {
            continue;
        }
        let lname = layer.name();
        let g = weights
            .group(&lname)
            .map_err(|e| err(path, format!("no weights for layer '{lname}': {e}")))?;
        let names = strings_attr(&g, "weight_names")
            .map_err(|e| err(path, format!("layer '{lname}': {e}")))?
            .unwrap_or_default();
        if names.len() != vars.len() {
            return Err(err(
                path,
                format!(
                    "layer '{lname}' has {} weights, but the file lists {} ({names:?})",
                    vars.len(),
                    names.len()
                ),
            ));
        }
        for (v, wname) in vars.iter().zip(&names) {
            let ds = g
                .dataset(wname)
                .map_err(|e| err(path, format!("layer '{lname}' weight '{wname}': {e}")))?;
            if ds.shape() != v.shape().as_slice() {
                return Err(err(
                    path,
                    format!(
                        "'{lname}/{wname}' has shape {:?}, but the layer's weight has shape {:?}",
                        ds.shape(),
                        v.shape()
                    ),
                ));
            }
            let data = ds
                .read_f32()
                .map_err(|e| err(path, format!("'{lname}/{wname}': {e}")))?;
            let t = Tensor::from_vec(data, ds.shape())?;
            let t = if v.dtype() == DType::F32 {
                t
            } else {
                t.cast(v.dtype())?
            };
            assign.push((v.clone(), t));
        }
    }
    for (v, t) in &assign {
        v.assign(t)?;
    }
    let mut model = model;
    if compile {
        super::legacy_training::restore(&mut model, &root, &path.display().to_string())
            .map_err(|e| err(path, e))?;
    }
    Ok(model)
}
