//! Keras 3's weights layout (`model.weights.h5`): every saveable object's own variables
//! under `<path>/vars/<i>`, paths named as Keras's saving walk names them.

use kiln_hdf5::{AttrValue, Data, FileBuilder};
use kiln_tensor::{DType, Tensor, Variable};

use crate::layers::LayerRef;
use crate::{Error, Result};

/// One saveable object: its path in the file, its name, and its own variables in order.
pub(crate) struct Entry {
    pub path: String,
    pub name: String,
    pub vars: Vec<Variable>,
}

/// The depth-first walk Keras's `_save_state` makes from a model's top layer.
pub(crate) fn entries(root: &LayerRef) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    walk(root, "", &mut out, &mut seen);
    out
}

fn walk(
    layer: &LayerRef,
    path: &str,
    out: &mut Vec<Entry>,
    seen: &mut std::collections::HashSet<usize>,
) {
    // A layer shared inside one model is saved once, at its first path (as Keras).
    if !seen.insert(layer.key()) {
        return;
    }
    out.push(Entry {
        path: path.to_string(),
        name: layer.name(),
        vars: layer.own_variables(),
    });
    for (child, l) in layer.saveable_children() {
        let p = if path.is_empty() {
            child
        } else {
            format!("{path}/{child}")
        };
        walk(&l, &p, out, seen);
    }
}

fn join(path: &str, leaf: &str) -> String {
    if path.is_empty() {
        leaf.to_string()
    } else {
        format!("{path}/{leaf}")
    }
}

fn h5_err(what: &str) -> impl Fn(kiln_hdf5::Error) -> Error + '_ {
    move |e| Error::InvalidArgument {
        api: "saving",
        msg: format!("{what}: {e}"),
    }
}

/// Writes the variables of `root` into `file` in Keras's layout.
pub(crate) fn write(root: &LayerRef, file: &mut FileBuilder) -> Result<()> {
    for e in entries(root) {
        let vars_path = join(&e.path, "vars");
        let g = file
            .root_mut()
            .require_group(&vars_path)
            .map_err(h5_err(&vars_path))?;
        if !e.path.is_empty() {
            g.set_attr("name", AttrValue::String(e.name.clone()))
                .map_err(h5_err(&vars_path))?;
        }
        for (i, v) in e.vars.iter().enumerate() {
            let t = v.value();
            let data = match t.dtype() {
                DType::F64 => Data::F64(t.to_vec::<f64>()?),
                DType::I64 => Data::I64(t.to_vec::<i64>()?),
                DType::I32 => Data::I32(t.to_vec::<i32>()?),
                DType::U8 => Data::U8(t.to_vec::<u8>()?),
                _ => Data::F32(t.cast(DType::F32)?.to_vec::<f32>()?),
            };
            let name = format!("{vars_path}/{i}");
            g.create_dataset(&i.to_string(), t.shape(), data)
                .map_err(h5_err(&name))?;
        }
    }
    Ok(())
}

/// Reads every variable of `root` from `file` (Keras's layout), checking counts and
/// shapes; returns the values to assign, so nothing changes unless all of them load.
/// With `skip_mismatch`, a layer whose count or shapes differ is skipped whole (a
/// warning in `warnings`) instead.
pub(crate) fn read(
    root: &LayerRef,
    file: &kiln_hdf5::File,
    source: &str,
    skip_mismatch: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<(Variable, Tensor)>> {
    let mut out = Vec::new();
    let top = file.root();
    let h5 = |what: &str| h5_err_in(source, what.to_string());
    for e in entries(root) {
        let vars_path = join(&e.path, "vars");
        let group = match top.get(&vars_path) {
            Ok(node) => Some(node.into_group().map_err(h5(&vars_path))?),
            Err(_) => None,
        };
        let found = match &group {
            Some(g) => g.member_names().map_err(h5(&vars_path))?.len(),
            None => 0,
        };
        let at = if e.path.is_empty() { "/" } else { &e.path };
        let mismatch = |msg: String| -> Result<()> {
            if skip_mismatch {
                Ok(())
            } else {
                Err(Error::InvalidArgument {
                    api: "load_weights",
                    msg: format!("{source}: {msg}"),
                })
            }
        };
        if found != e.vars.len() {
            let msg = format!(
                "layer '{}' (at '{at}') expects {} variables, but the file has {found}",
                e.name,
                e.vars.len()
            );
            mismatch(msg.clone())?;
            warnings.push(format!("{source}: skipping {msg}"));
            continue;
        }
        let Some(g) = group else { continue };
        let mut layer = Vec::with_capacity(e.vars.len());
        let mut skipped = false;
        for (i, v) in e.vars.iter().enumerate() {
            let name = format!("{vars_path}/{i}");
            let ds = g.dataset(&i.to_string()).map_err(h5(&name))?;
            if ds.shape() != v.shape().as_slice() {
                let msg = format!(
                    "'{name}' has shape {:?}, but variable '{}' of layer '{}' has shape {:?}",
                    ds.shape(),
                    v.name(),
                    e.name,
                    v.shape()
                );
                mismatch(msg.clone())?;
                warnings.push(format!(
                    "{source}: skipping layer '{}' (at '{at}'): {msg}",
                    e.name
                ));
                skipped = true;
                break;
            }
            let t = match v.dtype() {
                DType::I64 | DType::I32 | DType::U8 => {
                    Tensor::from_vec(ds.read_i64().map_err(h5(&name))?, ds.shape())?
                        .cast(v.dtype())?
                }
                DType::F64 => Tensor::from_vec(ds.read_f64().map_err(h5(&name))?, ds.shape())?,
                _ => Tensor::from_vec(ds.read_f32().map_err(h5(&name))?, ds.shape())?
                    .cast(v.dtype())?,
            };
            layer.push((v.clone(), t));
        }
        if !skipped {
            out.extend(layer);
        }
    }
    Ok(out)
}

/// An HDF5 error at `what` inside the file `source`.
fn h5_err_in(source: &str, what: String) -> impl Fn(kiln_hdf5::Error) -> Error + '_ {
    move |e| Error::InvalidArgument {
        api: "load_weights",
        msg: format!("{source}: '{what}': {e}"),
    }
}

fn tensor_data(t: &Tensor) -> Result<Data> {
    Ok(match t.dtype() {
        DType::F64 => Data::F64(t.to_vec::<f64>()?),
        DType::I64 => Data::I64(t.to_vec::<i64>()?),
        DType::I32 => Data::I32(t.to_vec::<i32>()?),
        DType::U8 => Data::U8(t.to_vec::<u8>()?),
        _ => Data::F32(t.cast(DType::F32)?.to_vec::<f32>()?),
    })
}

/// Writes plain values under `<path>/vars/<i>` (the optimizer's variables).
pub(crate) fn write_values(
    file: &mut FileBuilder,
    path: &str,
    name: &str,
    values: &[Tensor],
) -> Result<()> {
    let vars_path = join(path, "vars");
    let g = file
        .root_mut()
        .require_group(&vars_path)
        .map_err(h5_err(&vars_path))?;
    g.set_attr("name", AttrValue::String(name.to_string()))
        .map_err(h5_err(&vars_path))?;
    for (i, t) in values.iter().enumerate() {
        g.create_dataset(&i.to_string(), t.shape(), tensor_data(t)?)
            .map_err(h5_err(&vars_path))?;
    }
    Ok(())
}

/// Reads `<path>/vars/0..n` as tensors (`None` when the group is absent).
pub(crate) fn read_values(
    file: &kiln_hdf5::File,
    path: &str,
    source: &str,
) -> Result<Option<Vec<Tensor>>> {
    let vars_path = join(path, "vars");
    let Ok(node) = file.root().get(&vars_path) else {
        return Ok(None);
    };
    let g = node.into_group().map_err(h5_err(&vars_path))?;
    let n = g.member_names().map_err(h5_err(&vars_path))?.len();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("{source}: {vars_path}/{i}");
        let ds = g.dataset(&i.to_string()).map_err(h5_err(&name))?;
        let t = match ds.dtype() {
            kiln_hdf5::DType::I64
            | kiln_hdf5::DType::I32
            | kiln_hdf5::DType::I8
            | kiln_hdf5::DType::U8 => {
                Tensor::from_vec(ds.read_i64().map_err(h5_err(&name))?, ds.shape())?
            }
            _ => Tensor::from_vec(ds.read_f32().map_err(h5_err(&name))?, ds.shape())?,
        };
        out.push(t);
    }
    Ok(Some(out))
}
