//! `model.load_weights(filepath, skip_mismatch=False, by_name=False)`: Keras 3
//! `.weights.h5` files and `.keras` archives, and legacy weights-only `.h5` files (Keras 2
//! and the `keras.applications` weight files: `layer_names` / `weight_names` attributes),
//! loaded in topological order or by layer name.

use std::path::Path;

use kiln_hdf5::Group;
use kiln_tensor::{DType, Tensor, Variable};

use super::legacy_h5::strings_attr;
use super::weights;
use crate::models::Model;
use crate::{Error, Result};

/// The options of `model.load_weights` (Keras's names and defaults: both `false`).
///
/// ```
/// let opts = kiln::saving::LoadWeightsOptions::new().skip_mismatch(true).by_name(true);
/// # let _ = opts;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadWeightsOptions {
    pub(crate) skip_mismatch: bool,
    pub(crate) by_name: bool,
}

impl LoadWeightsOptions {
    /// `skip_mismatch=False, by_name=False`.
    ///
    /// ```
    /// assert_eq!(kiln::saving::LoadWeightsOptions::new(), Default::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Skip, with a warning, what does not fit instead of failing: in a legacy `.h5`
    /// file each weight whose shape differs (and, `by_name`, each layer whose weight
    /// count differs), as Keras; in a Keras 3 file each layer whose variable count or
    /// shapes differ (the whole layer keeps its values).
    ///
    /// ```
    /// assert!(kiln::saving::LoadWeightsOptions::new().skip_mismatch(true) != Default::default());
    /// ```
    pub fn skip_mismatch(mut self, v: bool) -> Self {
        self.skip_mismatch = v;
        self
    }

    /// Match a legacy `.h5` file's layers to the model's by name (Keras 2's
    /// `by_name=True`); layers without a match are left alone. Only for legacy files,
    /// as in Keras.
    ///
    /// ```
    /// assert!(kiln::saving::LoadWeightsOptions::new().by_name(true) != Default::default());
    /// ```
    pub fn by_name(mut self, v: bool) -> Self {
        self.by_name = v;
        self
    }
}

fn err(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::InvalidArgument {
        api: "load_weights",
        msg: format!("{}: {msg}", path.display()),
    }
}

/// Loads weights into `model` per `opts`; returns the warnings of what was skipped
/// (also printed to stderr, as Keras's warnings). Every value is read and checked
/// before any is assigned, so on an error the model is unchanged.
pub(crate) fn load(model: &Model, path: &Path, opts: LoadWeightsOptions) -> Result<Vec<String>> {
    let name = path.to_string_lossy();
    let mut warnings = Vec::new();
    let values = if name.ends_with(".keras") {
        if opts.by_name {
            return Err(err(
                path,
                "by_name only supports legacy '.h5' or '.hdf5' files, as in Keras",
            ));
        }
        let file = super::keras_file::weights_of_archive(path)?;
        let source = format!("{} (model.weights.h5)", path.display());
        weights::read(
            &model.as_layer(),
            &file,
            &source,
            opts.skip_mismatch,
            &mut warnings,
        )?
    } else {
        let file = kiln_hdf5::File::open(path).map_err(|e| err(path, e))?;
        let root = file.root();
        let legacy = if has_attr(&root, "layer_names")? {
            Some(root)
        } else if root.is_group("model_weights").unwrap_or(false) {
            Some(root.group("model_weights").map_err(|e| err(path, e))?)
        } else {
            None
        };
        match legacy {
            Some(g) => read_legacy(model, &g, path, opts, &mut warnings)?,
            None if opts.by_name => {
                return Err(err(
                    path,
                    "by_name only supports legacy '.h5' files (with 'layer_names'); this is a Keras 3 weights file",
                ))
            }
            None => weights::read(
                &model.as_layer(),
                &file,
                &path.display().to_string(),
                opts.skip_mismatch,
                &mut warnings,
            )?,
        }
    };
    for (v, t) in &values {
        v.assign(t)?;
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    Ok(warnings)
}

fn has_attr(g: &Group, name: &str) -> Result<bool> {
    Ok(g.attr_names()
        .map_err(|e| Error::InvalidArgument {
            api: "load_weights",
            msg: e.to_string(),
        })?
        .iter()
        .any(|n| n == name))
}

/// Keras's `_legacy_weights(layer)`: trainable weights, then non-trainable.
fn legacy_weights(layer: &crate::layers::LayerRef) -> Vec<Variable> {
    let mut v = layer.trainable_weights();
    v.extend(layer.non_trainable_weights());
    v
}

/// A layer group's `weight_names` (empty when absent).
fn weight_names(g: &Group, path: &Path, lname: &str) -> Result<Vec<String>> {
    strings_attr(g, "weight_names")
        .map(Option::unwrap_or_default)
        .map_err(|e| err(path, format!("layer '{lname}': {e}")))
}

/// Checks the saved weights of one layer against its variables (Keras's `_set_weights`)
/// and reads those that fit.
fn layer_values(
    cx: &mut Cx,
    g: &Group,
    names: &[String],
    vars: &[Variable],
    what: &str,
) -> Result<()> {
    let path = cx.path;
    for (v, wname) in vars.iter().zip(names) {
        let ds = g
            .dataset(wname)
            .map_err(|e| err(path, format!("{what}: weight '{wname}': {e}")))?;
        if ds.shape() != v.shape().as_slice() {
            let msg = format!(
                "{what}: weight '{wname}' has shape {:?} in the file, but variable '{}' has shape {:?}",
                ds.shape(),
                v.name(),
                v.shape()
            );
            if cx.opts.skip_mismatch {
                cx.warnings
                    .push(format!("{}: skipping {msg}", path.display()));
                continue;
            }
            return Err(err(path, msg));
        }
        let data = ds
            .read_f32()
            .map_err(|e| err(path, format!("{what}: weight '{wname}': {e}")))?;
        let t = Tensor::from_vec(data, ds.shape())?;
        let t = if v.dtype() == DType::F32 {
            t
        } else {
            t.cast(v.dtype())?
        };
        cx.out.push((v.clone(), t));
    }
    Ok(())
}

/// What one legacy load carries along: the file, the options, and what it collected.
struct Cx<'a> {
    path: &'a Path,
    opts: LoadWeightsOptions,
    warnings: &'a mut Vec<String>,
    out: Vec<(Variable, Tensor)>,
}

/// Keras's `load_weights_from_hdf5_group` (topological) and
/// `load_weights_from_hdf5_group_by_name`.
fn read_legacy(
    model: &Model,
    g: &Group,
    path: &Path,
    opts: LoadWeightsOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<(Variable, Tensor)>> {
    let layer_names = strings_attr(g, "layer_names")
        .map_err(|e| err(path, e))?
        .ok_or_else(|| {
            err(
                path,
                "no 'layer_names' attribute (not a Keras weights file?)",
            )
        })?;
    let mut cx = Cx {
        path,
        opts,
        warnings,
        out: Vec::new(),
    };
    let group = |name: &str| {
        g.group(name).map_err(|e| {
            err(
                path,
                format!("layer '{name}' is listed but has no group: {e}"),
            )
        })
    };
    if opts.by_name {
        let layers = model.layers();
        for (k, name) in layer_names.iter().enumerate() {
            let lg = group(name)?;
            let names = weight_names(&lg, path, name)?;
            for layer in layers.iter().filter(|l| l.name() == *name) {
                let vars = legacy_weights(layer);
                if names.len() != vars.len() {
                    let msg = format!(
                        "layer #{k} (named '{name}') expects {} weight(s), but the file has {}",
                        vars.len(),
                        names.len()
                    );
                    if opts.skip_mismatch {
                        cx.warnings
                            .push(format!("{}: skipping {msg}", path.display()));
                        continue;
                    }
                    return Err(err(path, msg));
                }
                let what = format!("layer #{k} (named '{name}')");
                layer_values(&mut cx, &lg, &names, &vars, &what)?;
            }
        }
        return Ok(cx.out);
    }
    let layers: Vec<_> = model
        .layers()
        .into_iter()
        .filter(|l| !legacy_weights(l).is_empty())
        .collect();
    let mut saved = Vec::new();
    for name in &layer_names {
        let lg = group(name)?;
        let names = weight_names(&lg, path, name)?;
        if !names.is_empty() {
            saved.push((name.clone(), lg, names));
        }
    }
    if saved.len() != layers.len() {
        return Err(err(
            path,
            format!(
                "layer count mismatch: the model has {} layers with weights, the file has {} ({})",
                layers.len(),
                saved.len(),
                saved
                    .iter()
                    .map(|s| s.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    for (k, (layer, (name, lg, names))) in layers.iter().zip(&saved).enumerate() {
        let vars = legacy_weights(layer);
        if names.len() != vars.len() {
            return Err(err(
                path,
                format!(
                    "weight count mismatch for layer #{k} (named '{}' in the model, '{name}' in the file): it expects {} weight(s), the file has {}",
                    layer.name(),
                    vars.len(),
                    names.len()
                ),
            ));
        }
        let what = format!("layer #{k} (named '{}')", layer.name());
        layer_values(&mut cx, lg, names, &vars, &what)?;
    }
    // Keras 3 writes the model's own variables here; kiln models have none.
    if g.is_group("top_level_model_weights").unwrap_or(false) {
        let tg = group("top_level_model_weights")?;
        let n = weight_names(&tg, path, "top_level_model_weights")?.len();
        if n != 0 {
            return Err(err(
                path,
                format!("the file has {n} top-level model weight(s); the model has none"),
            ));
        }
    }
    Ok(cx.out)
}
