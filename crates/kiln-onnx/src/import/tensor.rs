//! ONNX TensorProto -> kiln Tensor (raw, typed and external data) and ONNX data types.

use std::path::{Path, PathBuf};

use kiln::{DType, Tensor};

use super::node_err;
use crate::proto::{tensor_proto::DataLocation, tensor_proto::DataType, NodeProto, TensorProto};
use crate::Result;

pub(super) fn elem_size(dt: i32) -> Option<(usize, DType)> {
    Some(match DataType::try_from(dt).ok()? {
        DataType::Float => (4, DType::F32),
        DataType::Double => (8, DType::F64),
        DataType::Int32 => (4, DType::I32),
        DataType::Int64 => (8, DType::I64),
        DataType::Uint8 => (1, DType::U8),
        DataType::Bool => (1, DType::Bool),
        _ => return None,
    })
}

/// Decodes a TensorProto; the error message says what was wrong.
pub(super) fn tensor_from_proto(
    t: &TensorProto,
    dir: Option<&Path>,
) -> std::result::Result<Tensor, String> {
    let dt = t.data_type.unwrap_or(0);
    let (esize, dtype) = elem_size(dt).ok_or_else(|| {
        format!("data type {dt} is not supported (float, double, int32, int64, uint8, bool are)")
    })?;
    let mut dims = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        if d < 0 {
            return Err(format!("negative dimension {d} in {:?}", t.dims));
        }
        dims.push(d as usize);
    }
    let n = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|n| *n <= (1usize << 34))
        .ok_or_else(|| format!("shape {:?} is too large", t.dims))?;
    let external = t.data_location == Some(DataLocation::External as i32);
    let raw: Option<Vec<u8>> = if external {
        let dir = dir.ok_or("external data needs the model's directory (use load(path))")?;
        Some(read_external(t, dir, n * esize)?)
    } else {
        t.raw_data.clone()
    };
    let mismatch =
        |got: usize| format!("holds {got} elements but its shape {:?} needs {n}", t.dims);
    if let Some(raw) = raw {
        if raw.len() != n * esize {
            return Err(format!(
                "raw data has {} bytes but shape {:?} of {esize}-byte elements needs {}",
                raw.len(),
                t.dims,
                n * esize
            ));
        }
        let r = match dtype {
            DType::F32 => Tensor::from_vec(
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect::<Vec<_>>(),
                &dims,
            ),
            DType::F64 => Tensor::from_vec(
                raw.chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect::<Vec<_>>(),
                &dims,
            ),
            DType::I32 => Tensor::from_vec(
                raw.chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect::<Vec<_>>(),
                &dims,
            ),
            DType::I64 => Tensor::from_vec(
                raw.chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect::<Vec<_>>(),
                &dims,
            ),
            DType::U8 => Tensor::from_vec(raw.clone(), &dims),
            _ => Tensor::from_vec(raw.iter().map(|&b| b != 0).collect::<Vec<_>>(), &dims),
        };
        return r.map_err(|e| e.to_string());
    }
    let r = match dtype {
        DType::F32 if t.float_data.len() == n => Tensor::from_vec(t.float_data.clone(), &dims),
        DType::F32 => return Err(mismatch(t.float_data.len())),
        DType::F64 if t.double_data.len() == n => Tensor::from_vec(t.double_data.clone(), &dims),
        DType::F64 => return Err(mismatch(t.double_data.len())),
        DType::I64 if t.int64_data.len() == n => Tensor::from_vec(t.int64_data.clone(), &dims),
        DType::I64 => return Err(mismatch(t.int64_data.len())),
        DType::I32 if t.int32_data.len() == n => Tensor::from_vec(t.int32_data.clone(), &dims),
        DType::U8 if t.int32_data.len() == n => Tensor::from_vec(
            t.int32_data.iter().map(|&v| v as u8).collect::<Vec<_>>(),
            &dims,
        ),
        DType::Bool if t.int32_data.len() == n => Tensor::from_vec(
            t.int32_data.iter().map(|&v| v != 0).collect::<Vec<_>>(),
            &dims,
        ),
        _ => return Err(mismatch(t.int32_data.len())),
    };
    r.map_err(|e| e.to_string())
}

fn read_external(t: &TensorProto, dir: &Path, want: usize) -> std::result::Result<Vec<u8>, String> {
    let mut location = None;
    let mut offset = 0u64;
    let mut length = None;
    for kv in &t.external_data {
        let v = kv.value.clone().unwrap_or_default();
        match kv.key.as_deref() {
            Some("location") => location = Some(v),
            Some("offset") => {
                offset = v
                    .parse()
                    .map_err(|_| format!("external data offset '{v}' is not a number"))?
            }
            Some("length") => {
                length = Some(
                    v.parse::<usize>()
                        .map_err(|_| format!("external data length '{v}' is not a number"))?,
                )
            }
            _ => {}
        }
    }
    let loc = location.ok_or("external data without a location")?;
    let rel = PathBuf::from(&loc);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!(
            "external data location '{loc}' must be a relative path inside the model's directory"
        ));
    }
    let file = dir.join(rel);
    let bytes =
        std::fs::read(&file).map_err(|e| format!("external data file {}: {e}", file.display()))?;
    let len = length.unwrap_or(want);
    let start = offset as usize;
    let end = start
        .checked_add(len)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| {
            format!(
                "external data {}..{} is past the end of {} ({} bytes)",
                start,
                start + len,
                file.display(),
                bytes.len()
            )
        })?;
    Ok(bytes[start..end].to_vec())
}

pub(super) fn dtype_from_onnx(n: &NodeProto, to: i64) -> Result<DType> {
    elem_size(to as i32)
        .map(|(_, d)| d)
        .ok_or_else(|| node_err(n, format!("cast to ONNX type {to} is not supported")))
}
