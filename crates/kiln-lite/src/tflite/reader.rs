//! A bounds-checked reader of `.tflite` flatbuffers back into a [`TGraph`] (tensors,
//! quantization parameters, operator codes and tensor lists; builtin options are not
//! read back): what the tests use to check the files kiln and the converter write.

use super::graph::{Options, Quant, TGraph, TOp, TTensor};
use super::schema::TensorType;
use crate::{LiteError, Result};

struct Buf<'a> {
    b: &'a [u8],
}

fn bad(msg: impl Into<String>) -> LiteError {
    LiteError::Io {
        path: "<tflite bytes>".into(),
        msg: format!("not a valid TFLite flatbuffer: {}", msg.into()),
    }
}

impl<'a> Buf<'a> {
    fn bytes<const N: usize>(&self, at: usize) -> Result<[u8; N]> {
        self.b
            .get(at..at + N)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| {
                bad(format!(
                    "read of {N} bytes at {at} past the end ({})",
                    self.b.len()
                ))
            })
    }
    fn u32(&self, at: usize) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes(at)?))
    }
    fn i32(&self, at: usize) -> Result<i32> {
        Ok(i32::from_le_bytes(self.bytes(at)?))
    }
    fn u16(&self, at: usize) -> Result<u16> {
        Ok(u16::from_le_bytes(self.bytes(at)?))
    }
    /// The absolute position of field `id` of the table at `t`, if present.
    fn field(&self, t: usize, id: usize) -> Result<Option<usize>> {
        let vt = (t as i64 - self.i32(t)? as i64) as usize;
        let vsize = self.u16(vt)? as usize;
        let at = 4 + 2 * id;
        if at + 2 > vsize {
            return Ok(None);
        }
        let off = self.u16(vt + at)? as usize;
        Ok((off != 0).then_some(t + off))
    }
    fn deref(&self, at: usize) -> Result<usize> {
        Ok(at + self.u32(at)? as usize)
    }
    fn table_field(&self, t: usize, id: usize) -> Result<Option<usize>> {
        self.field(t, id)?.map(|p| self.deref(p)).transpose()
    }
    /// A vector field: (position of the first element, length).
    fn vector(&self, t: usize, id: usize) -> Result<(usize, usize)> {
        match self.table_field(t, id)? {
            Some(v) => Ok((v + 4, self.u32(v)? as usize)),
            None => Ok((0, 0)),
        }
    }
    fn tables(&self, t: usize, id: usize) -> Result<Vec<usize>> {
        let (p, n) = self.vector(t, id)?;
        (0..n).map(|i| self.deref(p + 4 * i)).collect()
    }
    fn i32s(&self, t: usize, id: usize) -> Result<Vec<i32>> {
        let (p, n) = self.vector(t, id)?;
        (0..n).map(|i| self.i32(p + 4 * i)).collect()
    }
    fn raw(&self, t: usize, id: usize, elem: usize) -> Result<&'a [u8]> {
        let (p, n) = self.vector(t, id)?;
        self.b
            .get(p..p + n * elem)
            .ok_or_else(|| bad("vector past the end"))
    }
    fn string(&self, t: usize, id: usize) -> Result<String> {
        Ok(String::from_utf8_lossy(self.raw(t, id, 1)?).into_owned())
    }
    fn scalar_i32(&self, t: usize, id: usize, default: i32) -> Result<i32> {
        self.field(t, id)?.map_or(Ok(default), |p| self.i32(p))
    }
}

/// The model's operator codes, as `(builtin_code, version)`.
pub fn operator_codes(bytes: &[u8]) -> Result<Vec<(i32, i32)>> {
    let b = Buf { b: bytes };
    let root = b.u32(0)? as usize;
    b.tables(root, 1)?
        .into_iter()
        .map(|c| {
            let dep = b
                .field(c, 0)?
                .map_or(Ok(0), |p| b.bytes::<1>(p).map(|v| v[0] as i8 as i32))?;
            let code = b.scalar_i32(c, 3, 0)?;
            Ok((code.max(dep), b.scalar_i32(c, 2, 1)?))
        })
        .collect()
}

/// Reads the first subgraph of a `.tflite` file (options are left as [`Options::None`]).
pub fn read(bytes: &[u8]) -> Result<TGraph> {
    if bytes.get(4..8) != Some(b"TFL3") {
        return Err(bad("missing the TFL3 file identifier"));
    }
    let b = Buf { b: bytes };
    let root = b.u32(0)? as usize;
    let codes = operator_codes(bytes)?;
    let buffers = b.tables(root, 4)?;
    let sg = *b
        .tables(root, 2)?
        .first()
        .ok_or_else(|| bad("no subgraph"))?;
    let mut g = TGraph::default();
    for t in b.tables(sg, 0)? {
        let ty = b
            .field(t, 1)?
            .map_or(Ok(0), |p| b.bytes::<1>(p).map(|v| v[0] as i8))?;
        let ttype = match ty {
            0 => TensorType::Float32,
            1 => TensorType::Float16,
            2 => TensorType::Int32,
            4 => TensorType::Int64,
            9 => TensorType::Int8,
            other => return Err(bad(format!("tensor type {other} is not read here"))),
        };
        let buf = b.field(t, 2)?.map_or(Ok(0), |p| b.u32(p))? as usize;
        let data = match buffers.get(buf) {
            Some(&bt) => {
                let d = b.raw(bt, 0, 1)?;
                (!d.is_empty()).then(|| d.to_vec())
            }
            None => return Err(bad(format!("buffer {buf} out of range"))),
        };
        let quant = match b.table_field(t, 4)? {
            Some(qt) => {
                let scale: Vec<f32> = b
                    .raw(qt, 2, 4)?
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                let zero_point: Vec<i64> = b
                    .raw(qt, 3, 8)?
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect();
                (!scale.is_empty()).then_some(Quant {
                    scale,
                    zero_point,
                    quantized_dimension: b.scalar_i32(qt, 6, 0)?,
                    min_max: None,
                })
            }
            None => None,
        };
        let shape = b.i32s(t, 0)?;
        let signature = b.i32s(t, 7)?;
        g.tensors.push(TTensor {
            name: b.string(t, 3)?,
            signature: if signature.is_empty() {
                shape.clone()
            } else {
                signature
            },
            shape,
            ttype,
            data,
            quant,
        });
    }
    g.inputs = b.i32s(sg, 1)?;
    g.outputs = b.i32s(sg, 2)?;
    for o in b.tables(sg, 3)? {
        let idx = b.field(o, 0)?.map_or(Ok(0), |p| b.u32(p))? as usize;
        let (code, version) = *codes
            .get(idx)
            .ok_or_else(|| bad(format!("opcode index {idx} out of range")))?;
        g.ops.push(TOp {
            code,
            version,
            inputs: b.i32s(o, 1)?,
            outputs: b.i32s(o, 2)?,
            options: Options::None,
        });
    }
    Ok(g)
}
