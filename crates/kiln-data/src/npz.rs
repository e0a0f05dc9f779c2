//! Reading NumPy's `.npy` arrays and `.npz` archives (what `np.savez` and
//! `np.savez_compressed` write, zip64 headers included), for datasets Keras ships as
//! `.npz`. Every entry's CRC-32 is checked; any malformed or truncated input is a
//! [`DataError::Corrupt`] naming the file.

use std::io::Read;
use std::path::Path;

use kiln_tensor::{DType, Tensor};

use crate::{DataError, Result};

fn corrupt(path: &Path, msg: impl Into<String>) -> DataError {
    DataError::Corrupt {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?))
}

/// The dtype descriptor, shape and data offset of a `.npy` payload (format versions 1-3).
pub(crate) fn npy_header<'a>(path: &Path, b: &'a [u8]) -> Result<(&'a str, Vec<usize>, usize)> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err(corrupt(path, "not a .npy array (bad magic)"));
    }
    let (hlen, start) = match b[6] {
        1 => (u16_at(b, 8).map(usize::from), 10),
        2 | 3 => (u32_at(b, 8).map(|v| v as usize), 12),
        v => {
            return Err(corrupt(
                path,
                format!("unsupported .npy format version {v}"),
            ))
        }
    };
    let hlen = hlen.ok_or_else(|| corrupt(path, "truncated .npy header"))?;
    let header: &'a str = b
        .get(start..start + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| corrupt(path, "truncated or non-text .npy header"))?;
    let field = |key: &str| -> Option<&str> {
        let k = header.find(&format!("'{key}'"))?;
        let rest = header[k + key.len() + 2..]
            .trim_start()
            .strip_prefix(':')?
            .trim_start();
        Some(rest)
    };
    let descr = field("descr")
        .and_then(|r| r.strip_prefix('\''))
        .and_then(|r| r.split('\'').next())
        .ok_or_else(|| corrupt(path, format!("no dtype in .npy header {header:?}")))?;
    if field("fortran_order").is_some_and(|r| r.starts_with("True")) {
        return Err(corrupt(path, "Fortran-ordered arrays are not supported"));
    }
    let shape_txt = field("shape")
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.split(')').next())
        .ok_or_else(|| corrupt(path, format!("no shape in .npy header {header:?}")))?;
    let shape: Vec<usize> = shape_txt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| corrupt(path, format!("bad shape ({shape_txt})")))?;
    Ok((descr, shape, start + hlen))
}

/// Parses one `.npy` payload (format versions 1-3, little-endian or byte-sized dtypes,
/// C order) into a tensor; `f8` becomes f64, `f4` f32, `i8`/`i4` i64/i32, `u1` u8, `b1` bool.
///
/// ```
/// // A 2-element float64 array as np.save writes it.
/// let mut npy = b"\x93NUMPY\x01\x00".to_vec();
/// let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
/// let mut h = header.to_string();
/// while (10 + h.len() + 1) % 64 != 0 { h.push(' '); }
/// h.push('\n');
/// npy.extend_from_slice(&(h.len() as u16).to_le_bytes());
/// npy.extend_from_slice(h.as_bytes());
/// npy.extend_from_slice(&1.5f64.to_le_bytes());
/// npy.extend_from_slice(&(-2.0f64).to_le_bytes());
/// let t = kiln_data::npz::parse_npy(std::path::Path::new("a.npy"), &npy)?;
/// assert_eq!(t.to_vec::<f64>()?, vec![1.5, -2.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn parse_npy(path: &Path, b: &[u8]) -> Result<Tensor> {
    let (descr, shape, start) = npy_header(path, b)?;
    let n: usize = shape.iter().product();
    let data = &b[start..];
    let need = |size: usize| -> Result<&[u8]> {
        data.get(..n * size).ok_or_else(|| {
            corrupt(
                path,
                format!(
                    "truncated data: {n} elements of {size} bytes expected, {} bytes present",
                    data.len()
                ),
            )
        })
    };
    let t = match descr {
        "<f8" => {
            let v = need(8)?
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            Tensor::from_vec::<f64>(v, &shape)?
        }
        "<f4" => {
            let v = need(4)?
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
                .collect();
            Tensor::from_vec::<f32>(v, &shape)?
        }
        "<i8" => {
            let v = need(8)?
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            Tensor::from_vec::<i64>(v, &shape)?
        }
        "<i4" => {
            let v = need(4)?
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
                .collect();
            Tensor::from_vec::<i32>(v, &shape)?
        }
        "|u1" => Tensor::from_vec::<u8>(need(1)?.to_vec(), &shape)?,
        "|b1" => Tensor::from_vec::<bool>(need(1)?.iter().map(|&v| v != 0).collect(), &shape)?,
        other => {
            return Err(corrupt(
                path,
                format!("unsupported dtype '{other}' (expected <f8, <f4, <i8, <i4, |u1 or |b1; object arrays of sequences are read by npy_object)"),
            ))
        }
    };
    Ok(t)
}

/// Reads every array of an `.npz` archive, as `(name without .npy, tensor)` in file order.
///
/// ```no_run
/// let arrays = kiln_data::npz::read_npz("boston_housing.npz")?;
/// for (name, t) in &arrays { println!("{name}: {:?}", t.shape()); }
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>> {
    let path = path.as_ref();
    read_npz_entries(path)?
        .into_iter()
        .map(|(k, raw)| Ok((k, parse_npy(path, &raw)?)))
        .collect()
}

/// Reads one `.npy` array (`np.save`'s format) into a tensor; a missing, truncated or
/// unsupported file is an error naming it.
///
/// ```no_run
/// let x = kiln_data::npz::read_npy("x.npy")?;
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::Missing {
            path: path.to_path_buf(),
            hint: "no such .npy file".into(),
        },
        _ => DataError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    parse_npy(path, &bytes)
}

/// [`read_npz`] on bytes already in memory (`path` only names them in errors).
pub fn parse_npz(path: &Path, b: &[u8]) -> Result<Vec<(String, Tensor)>> {
    npz_entries(path, b)?
        .into_iter()
        .map(|(k, raw)| Ok((k, parse_npy(path, &raw)?)))
        .collect()
}

/// The members of an `.npz` archive as `(name without .npy, raw .npy bytes)`, each
/// CRC-checked, in file order.
pub(crate) fn npz_entries(path: &Path, b: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut i = 0usize;
    loop {
        match u32_at(b, i) {
            Some(0x0403_4b50) => {}
            Some(0x0201_4b50) | Some(0x0605_4b50) => break, // central directory: done
            _ => return Err(corrupt(path, format!("bad zip entry header at byte {i}"))),
        }
        let head = |o: usize| u16_at(b, i + o).ok_or_else(|| corrupt(path, "truncated zip header"));
        let flags = head(6)?;
        let method = head(8)?;
        let crc = u32_at(b, i + 14).ok_or_else(|| corrupt(path, "truncated zip header"))?;
        let mut csize =
            u32_at(b, i + 18).ok_or_else(|| corrupt(path, "truncated zip header"))? as u64;
        let mut usize_ =
            u32_at(b, i + 22).ok_or_else(|| corrupt(path, "truncated zip header"))? as u64;
        let nlen = head(26)? as usize;
        let elen = head(28)? as usize;
        let name = b
            .get(i + 30..i + 30 + nlen)
            .map(|n| String::from_utf8_lossy(n).to_string())
            .ok_or_else(|| corrupt(path, "truncated zip file name"))?;
        let extra = b
            .get(i + 30 + nlen..i + 30 + nlen + elen)
            .ok_or_else(|| corrupt(path, "truncated zip extra field"))?;
        if flags & 0x8 != 0 {
            return Err(corrupt(
                path,
                format!(
                    "entry '{name}' uses a data descriptor (streamed zip), which is not supported"
                ),
            ));
        }
        if csize == 0xFFFF_FFFF || usize_ == 0xFFFF_FFFF {
            // zip64: the real sizes are in extra record 0x0001 (uncompressed, compressed).
            let mut k = 0;
            let mut found = false;
            while k + 4 <= extra.len() {
                let id = u16_at(extra, k).unwrap_or(0);
                let len = u16_at(extra, k + 2).unwrap_or(0) as usize;
                if id == 1 {
                    usize_ = u64_at(extra, k + 4)
                        .ok_or_else(|| corrupt(path, "truncated zip64 record"))?;
                    csize = u64_at(extra, k + 12)
                        .ok_or_else(|| corrupt(path, "truncated zip64 record"))?;
                    found = true;
                }
                k += 4 + len;
            }
            if !found {
                return Err(corrupt(
                    path,
                    format!("entry '{name}' has zip64 sizes but no zip64 record"),
                ));
            }
        }
        let start = i + 30 + nlen + elen;
        let data = b
            .get(start..start + csize as usize)
            .ok_or_else(|| corrupt(path, format!("entry '{name}' is truncated")))?;
        let raw = match method {
            0 => data.to_vec(),
            8 => {
                let mut v = Vec::with_capacity(usize_ as usize);
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(&mut v)
                    .map_err(|e| corrupt(path, format!("entry '{name}': bad deflate data: {e}")))?;
                v
            }
            m => return Err(corrupt(path, format!("entry '{name}' uses compression method {m} (only stored and deflate are supported)"))),
        };
        if raw.len() as u64 != usize_ {
            return Err(corrupt(
                path,
                format!(
                    "entry '{name}' has {} bytes, its header says {usize_}",
                    raw.len()
                ),
            ));
        }
        let mut c = flate2::Crc::new();
        c.update(&raw);
        if c.sum() != crc {
            return Err(corrupt(
                path,
                format!("entry '{name}' fails its CRC-32 check"),
            ));
        }
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        out.push((key, raw));
        i = start + csize as usize;
    }
    Ok(out)
}

/// The raw members of the `.npz` file at `path` (see [`npz_entries`]).
pub(crate) fn read_npz_entries(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::Missing {
            path: path.to_path_buf(),
            hint: "no such .npz file".into(),
        },
        _ => DataError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    npz_entries(path, &bytes)
}

/// The array called `key` from [`read_npz`]'s result.
pub(crate) fn take(path: &Path, arrays: &mut Vec<(String, Tensor)>, key: &str) -> Result<Tensor> {
    let pos = arrays
        .iter()
        .position(|(k, _)| k == key)
        .ok_or_else(|| corrupt(path, format!("no array '{key}' in the archive")))?;
    let t = arrays.remove(pos).1;
    Ok(if t.dtype() == DType::F64 {
        t
    } else {
        t.cast(DType::F64)?
    })
}

/// Writes `t` as a `.npy` file (format 1.0, little endian, C order), atomically: a
/// temporary file in the same directory is renamed into place.
///
/// ```
/// use kiln_tensor::Tensor;
/// let dir = std::env::temp_dir().join(format!("kiln_npy_doc_{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let p = dir.join("a.npy");
/// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2])?;
/// kiln_data::npz::write_npy(&p, &t)?;
/// assert_eq!(kiln_data::npz::read_npy(&p)?.to_vec::<f32>()?, vec![1.0, 2.0, 3.0, 4.0]);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn write_npy(path: impl AsRef<Path>, t: &Tensor) -> Result<()> {
    let path = path.as_ref();
    let (descr, bytes): (&str, Vec<u8>) = match t.dtype() {
        DType::F32 => (
            "<f4",
            t.to_vec::<f32>()?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        DType::F64 => (
            "<f8",
            t.to_vec::<f64>()?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        DType::I32 => (
            "<i4",
            t.to_vec::<i32>()?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        DType::I64 => (
            "<i8",
            t.to_vec::<i64>()?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
        DType::U8 => ("|u1", t.to_vec::<u8>()?),
        DType::Bool => (
            "|b1",
            t.to_vec::<bool>()?.iter().map(|&b| b as u8).collect(),
        ),
        _ => (
            "<f4",
            t.cast(DType::F32)?
                .to_vec::<f32>()?
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
        ),
    };
    let shape = match t.shape() {
        [n] => format!("({n},)"),
        s => format!(
            "({})",
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = Vec::with_capacity(10 + h.len() + bytes.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(&bytes);
    let io = |e: std::io::Error| DataError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, &out).and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}
