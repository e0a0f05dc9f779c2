//! safetensors export and import of a model's weights, keyed by Keras 3 variable paths
//! (`variable.path`, `"<layer>/<weight>"`, e.g. `"dense/kernel"`) as Keras has them for a
//! model loaded from a `.keras` file. (A `Sequential` that Keras builds from an `Input`
//! in Python prefixes its own name, `"sequential/dense/kernel"`; the same model loaded
//! from its `.keras` does not, and that stable form is the one used here.)

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use ::safetensors::tensor::{Dtype, SafeTensors, TensorView};
use kiln_tensor::{DType, Tensor, Variable};

use crate::layers::LayerRef;
use crate::models::Model;
use crate::{Error, Result};

fn err(api: &'static str, path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::InvalidArgument {
        api,
        msg: format!("{}: {msg}", path.display()),
    }
}

/// Keras's `variable.path` of every variable of `model`, in `model.weights` order.
pub(crate) fn variable_paths(model: &Model) -> Vec<(String, Variable)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    walk(&model.as_layer(), "", &mut out, &mut seen);
    out
}

fn walk(
    layer: &LayerRef,
    scope: &str,
    out: &mut Vec<(String, Variable)>,
    seen: &mut HashSet<usize>,
) {
    if !seen.insert(layer.key()) {
        return;
    }
    for v in layer.own_variables() {
        out.push((format!("{scope}{}", v.name()), v));
    }
    // A layer's own sublayers (MultiHeadAttention's query/key/value/attention_output)
    // are created in its name scope; a model's layers are not.
    let child_scope = if matches!(layer.class_name(), "Sequential" | "Functional") {
        scope.to_string()
    } else {
        format!("{scope}{}/", layer.name())
    };
    for (_, child) in layer.saveable_children() {
        walk(&child, &child_scope, out, seen);
    }
}

fn st_dtype(d: DType) -> Option<Dtype> {
    Some(match d {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
        DType::I64 => Dtype::I64,
        DType::I32 => Dtype::I32,
        DType::U8 => Dtype::U8,
        _ => return None,
    })
}

fn le_bytes(t: &Tensor) -> Result<Vec<u8>> {
    Ok(match t.dtype() {
        DType::F32 => t
            .to_vec::<f32>()?
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect(),
        DType::F64 => t
            .to_vec::<f64>()?
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect(),
        DType::I64 => t
            .to_vec::<i64>()?
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect(),
        DType::I32 => t
            .to_vec::<i32>()?
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect(),
        _ => t.to_vec::<u8>()?,
    })
}

/// Writes every variable of `model` to a `.safetensors` file keyed by its Keras variable
/// path (atomically, like every kiln save); the header's metadata records the format.
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::Model;
/// let m = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()])?;
/// let p = std::env::temp_dir().join(format!("kiln_doc_st_{}.safetensors", std::process::id()));
/// kiln::saving::save_weights_safetensors(&m, &p)?;
/// let keys = kiln::saving::safetensors_keys(&p)?;
/// assert!(keys.iter().any(|k| k.ends_with("/kernel")));
/// kiln::saving::load_weights_safetensors(&m, &p)?;
/// # std::fs::remove_file(&p).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn save_weights_safetensors(model: &Model, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let api = "save_weights_safetensors";
    let mut tensors = BTreeMap::new();
    for (key, v) in variable_paths(model) {
        let t = v.value();
        let t = match st_dtype(t.dtype()) {
            Some(_) => t,
            None => t.cast(DType::F32)?,
        };
        let dtype = st_dtype(t.dtype()).unwrap_or(Dtype::F32);
        let bytes = le_bytes(&t)?;
        if tensors
            .insert(key.clone(), (dtype, t.shape().to_vec(), bytes))
            .is_some()
        {
            return Err(err(
                api,
                path,
                format!(
                    "two variables have the Keras path '{key}'; safetensors keys must be unique"
                ),
            ));
        }
    }
    let views = tensors
        .iter()
        .map(|(k, (d, s, b))| {
            TensorView::new(*d, s.clone(), b)
                .map(|v| (k.clone(), v))
                .map_err(|e| err(api, path, format!("'{k}': {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let meta = std::collections::HashMap::from([
        ("format".to_string(), "keras".to_string()),
        (
            "producer".to_string(),
            format!("kiln {}", env!("CARGO_PKG_VERSION")),
        ),
    ]);
    let bytes = ::safetensors::serialize(views, Some(meta)).map_err(|e| err(api, path, e))?;
    super::atomic_write(path, &bytes)
}

/// The keys of a `.safetensors` file, sorted.
///
/// ```
/// assert!(kiln::saving::safetensors_keys("/nonexistent.safetensors").is_err());
/// ```
pub fn safetensors_keys(path: impl AsRef<Path>) -> Result<Vec<String>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| err("safetensors_keys", path, e))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| err("safetensors_keys", path, e))?;
    let mut keys: Vec<String> = st.names().into_iter().map(|s| s.to_string()).collect();
    keys.sort();
    Ok(keys)
}

/// Loads a `.safetensors` file keyed by Keras variable paths into `model`: every
/// variable must be present with its shape (a missing, extra or misshapen key is an
/// error naming it), and nothing is assigned unless all of them load. Stored dtypes are
/// cast to the variable's.
///
/// See [`save_weights_safetensors`] for an example.
pub fn load_weights_safetensors(model: &Model, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let api = "load_weights_safetensors";
    let bytes = std::fs::read(path).map_err(|e| err(api, path, e))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| err(api, path, e))?;
    let vars = variable_paths(model);
    let wanted: HashSet<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    let mut extra: Vec<String> = st
        .names()
        .into_iter()
        .filter(|n| !wanted.contains(*n))
        .map(|s| s.to_string())
        .collect();
    if !extra.is_empty() {
        extra.sort();
        return Err(err(
            api,
            path,
            format!("the file has tensors the model does not: {extra:?}"),
        ));
    }
    let mut assign = Vec::with_capacity(vars.len());
    for (key, v) in &vars {
        let view = st.tensor(key).map_err(|_| {
            err(
                api,
                path,
                format!("no tensor '{key}' (variable '{}')", v.name()),
            )
        })?;
        if view.shape() != v.shape().as_slice() {
            return Err(err(
                api,
                path,
                format!(
                    "'{key}' has shape {:?}, but the variable has shape {:?}",
                    view.shape(),
                    v.shape()
                ),
            ));
        }
        let t = from_view(&view).map_err(|e| err(api, path, format!("'{key}': {e}")))?;
        assign.push((v.clone(), t.cast(v.dtype())?));
    }
    for (v, t) in &assign {
        v.assign(t)?;
    }
    Ok(())
}

fn from_view(view: &TensorView) -> Result<Tensor> {
    let d = view.data();
    let shape = view.shape();
    macro_rules! le {
        ($t:ty, $n:expr) => {
            Tensor::from_vec(
                d.chunks_exact($n)
                    .map(|c| <$t>::from_le_bytes(c.try_into().expect("chunk size")))
                    .collect::<Vec<$t>>(),
                shape,
            )?
        };
    }
    Ok(match view.dtype() {
        Dtype::F32 => le!(f32, 4),
        Dtype::F64 => le!(f64, 8),
        Dtype::I64 => le!(i64, 8),
        Dtype::I32 => le!(i32, 4),
        Dtype::U8 => Tensor::from_vec(d.to_vec(), shape)?,
        other => {
            return Err(Error::InvalidArgument {
                api: "load_weights_safetensors",
                msg: format!("dtype {other:?} is not supported (F32, F64, I64, I32, U8 are)"),
            })
        }
    })
}
