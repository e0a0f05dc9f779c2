//! The file-backed `cache(filename)` node and its on-disk format.
//!
//! The first complete pass writes every element to a temporary file next to
//! `filename` (`<filename>.tmp-<pid>-<n>`) and renames it to `filename` only after
//! the end marker is written and flushed, so an interrupted, failed or abandoned first
//! pass never leaves a file that a later pass would take for a complete cache (the
//! temporary file is removed). Any pass that finds `filename` present reads from it
//! instead of running the upstream pipeline, in this process or a later one, as
//! `tf.data`'s file cache does.
//!
//! Format (little-endian): the 8-byte magic `KILNDSC1`; then per element a byte `1`,
//! the payload length (u64), an FNV-1a 64 checksum of the payload (u64) and the payload;
//! then the end marker: a byte `0`, the element count (u64) and `KILNDEND`. A payload is
//! an element tree: `0` tensor (dtype name length u8, dtype name, rank u32, dims u64 each,
//! raw values; f16/bf16 stored as f32; a string element as its UTF-8 byte length u64 and
//! bytes), `1` tuple (count u32, children), `2` dict (count
//! u32, then per entry key length u32, UTF-8 key, child).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use kiln_tensor::{DType, Tensor};

use super::nodes::Node;
use super::{Cardinality, Dataset, Element, ElementIter};
use crate::{DataError, Result};

const MAGIC: &[u8; 8] = b"KILNDSC1";
const END: &[u8; 8] = b"KILNDEND";
/// Refuse absurd sizes from a corrupt header before allocating.
const MAX_PAYLOAD: u64 = 1 << 40;

pub(crate) struct FileCache {
    pub input: Dataset,
    pub path: PathBuf,
}

impl Node for FileCache {
    fn iter(&self, pass: u64) -> ElementIter {
        if self.path.exists() {
            return match CacheReader::open(&self.path) {
                Ok(r) => Box::new(r),
                Err(e) => Box::new(std::iter::once(Err(e))),
            };
        }
        match CacheWriter::create(&self.path) {
            Ok(w) => Box::new(WriteThrough {
                inner: self.input.pass_iter(pass),
                writer: Some(w),
            }),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }
    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
}

fn io(path: &Path, source: std::io::Error) -> DataError {
    DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn corrupt(path: &Path, msg: impl Into<String>) -> DataError {
    DataError::Corrupt {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

// ----- writing ---------------------------------------------------------------------------

struct CacheWriter {
    final_path: PathBuf,
    tmp_path: PathBuf,
    out: Option<BufWriter<File>>,
    count: u64,
}

impl CacheWriter {
    fn create(path: &Path) -> Result<CacheWriter> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let mut name = path.as_os_str().to_owned();
        name.push(format!(
            ".tmp-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let tmp_path = PathBuf::from(name);
        let file = File::create(&tmp_path).map_err(|e| io(&tmp_path, e))?;
        let mut out = BufWriter::new(file);
        out.write_all(MAGIC).map_err(|e| io(&tmp_path, e))?;
        Ok(CacheWriter {
            final_path: path.to_path_buf(),
            tmp_path,
            out: Some(out),
            count: 0,
        })
    }

    fn write(&mut self, e: &Element) -> Result<()> {
        let mut payload = Vec::new();
        encode(e, &mut payload)?;
        let out = self.out.as_mut().expect("writer open until finish");
        let mut head = Vec::with_capacity(17);
        head.push(1u8);
        head.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        head.extend_from_slice(&fnv1a(&payload).to_le_bytes());
        out.write_all(&head)
            .and_then(|_| out.write_all(&payload))
            .map_err(|e| io(&self.tmp_path, e))?;
        self.count += 1;
        Ok(())
    }

    /// Writes the end marker, syncs and renames the file into place.
    fn finish(mut self) -> Result<()> {
        let mut out = self.out.take().expect("writer open until finish");
        let mut tail = vec![0u8];
        tail.extend_from_slice(&self.count.to_le_bytes());
        tail.extend_from_slice(END);
        let tmp = self.tmp_path.clone();
        out.write_all(&tail).map_err(|e| io(&tmp, e))?;
        let file = out.into_inner().map_err(|e| io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| io(&tmp, e))?;
        drop(file);
        std::fs::rename(&tmp, &self.final_path).map_err(|e| io(&self.final_path, e))?;
        Ok(())
    }
}

impl Drop for CacheWriter {
    fn drop(&mut self) {
        // Not finished (abandoned, failed): the partial file must not survive.
        if let Some(out) = self.out.take() {
            drop(out);
            let _ = std::fs::remove_file(&self.tmp_path);
        }
    }
}

struct WriteThrough {
    inner: ElementIter,
    writer: Option<CacheWriter>,
}

impl Iterator for WriteThrough {
    type Item = Result<Element>;
    fn next(&mut self) -> Option<Result<Element>> {
        match self.inner.next() {
            Some(Ok(e)) => {
                if let Some(w) = self.writer.as_mut()
                    && let Err(err) = w.write(&e)
                {
                    self.writer = None;
                    return Some(Err(err));
                }
                Some(Ok(e))
            }
            Some(Err(err)) => {
                // Only a complete, error-free pass is cached.
                self.writer = None;
                Some(Err(err))
            }
            None => match self.writer.take() {
                Some(w) => w.finish().err().map(Err),
                None => None,
            },
        }
    }
}

fn put_u32(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&(v as u32).to_le_bytes());
}

fn encode(e: &Element, out: &mut Vec<u8>) -> Result<()> {
    match e {
        Element::Tensor(t) => {
            out.push(0);
            let name = t.dtype().name().as_bytes();
            out.push(name.len() as u8);
            out.extend_from_slice(name);
            put_u32(out, t.rank());
            for &d in t.shape() {
                out.extend_from_slice(&(d as u64).to_le_bytes());
            }
            match t.dtype() {
                DType::F32 | DType::F16 | DType::BF16 => {
                    let v = if t.dtype() == DType::F32 {
                        t.to_vec::<f32>()?
                    } else {
                        t.cast(DType::F32)?.to_vec::<f32>()?
                    };
                    v.iter()
                        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
                }
                DType::F64 => t
                    .to_vec::<f64>()?
                    .iter()
                    .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
                DType::I32 => t
                    .to_vec::<i32>()?
                    .iter()
                    .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
                DType::I64 => t
                    .to_vec::<i64>()?
                    .iter()
                    .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
                DType::U8 => out.extend_from_slice(&t.to_vec::<u8>()?),
                DType::Bool => t.to_vec::<bool>()?.iter().for_each(|&b| out.push(b as u8)),
                DType::String => {
                    for s in t.as_strs()?.iter() {
                        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                        out.extend_from_slice(s.as_bytes());
                    }
                }
            }
        }
        Element::Tuple(v) => {
            out.push(1);
            put_u32(out, v.len());
            for c in v {
                encode(c, out)?;
            }
        }
        Element::Dict(v) => {
            out.push(2);
            put_u32(out, v.len());
            for (k, c) in v {
                put_u32(out, k.len());
                out.extend_from_slice(k.as_bytes());
                encode(c, out)?;
            }
        }
    }
    Ok(())
}

// ----- reading ---------------------------------------------------------------------------

struct CacheReader {
    path: PathBuf,
    input: BufReader<File>,
    remaining: u64,
    /// Set at the end marker or after an error: the pass is over.
    done: bool,
}

impl CacheReader {
    /// Opens and checks the magic and the end marker (a truncated file has none).
    fn open(path: &Path) -> Result<CacheReader> {
        let mut f = File::open(path).map_err(|e| io(path, e))?;
        let len = f.metadata().map_err(|e| io(path, e))?.len();
        if len < 8 + 17 {
            return Err(corrupt(
                path,
                format!("dataset cache of {len} bytes is too short (truncated?)"),
            ));
        }
        let mut magic = [0u8; 8];
        f.read_exact(&mut magic).map_err(|e| io(path, e))?;
        if &magic != MAGIC {
            return Err(corrupt(
                path,
                "not a kiln dataset cache (bad magic; expected \"KILNDSC1\")",
            ));
        }
        let mut tail = [0u8; 17];
        f.seek(SeekFrom::End(-17)).map_err(|e| io(path, e))?;
        f.read_exact(&mut tail).map_err(|e| io(path, e))?;
        if tail[0] != 0 || &tail[9..] != END {
            return Err(corrupt(
                path,
                "dataset cache has no end marker (truncated or written by an interrupted pass)",
            ));
        }
        let count = u64::from_le_bytes(tail[1..9].try_into().expect("8 bytes"));
        f.seek(SeekFrom::Start(8)).map_err(|e| io(path, e))?;
        Ok(CacheReader {
            path: path.to_path_buf(),
            input: BufReader::new(f),
            remaining: count,
            done: false,
        })
    }

    fn read_element(&mut self) -> Result<Option<Element>> {
        let mut tag = [0u8; 1];
        self.input
            .read_exact(&mut tag)
            .map_err(|e| io(&self.path, e))?;
        if tag[0] == 0 {
            if self.remaining != 0 {
                return Err(corrupt(
                    &self.path,
                    format!(
                        "end marker reached with {} elements missing",
                        self.remaining
                    ),
                ));
            }
            return Ok(None);
        }
        if tag[0] != 1 || self.remaining == 0 {
            return Err(corrupt(
                &self.path,
                format!("bad element record (tag {})", tag[0]),
            ));
        }
        let mut head = [0u8; 16];
        self.input
            .read_exact(&mut head)
            .map_err(|e| corrupt(&self.path, format!("truncated element header: {e}")))?;
        let len = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
        let sum = u64::from_le_bytes(head[8..].try_into().expect("8 bytes"));
        if len > MAX_PAYLOAD {
            return Err(corrupt(
                &self.path,
                format!("element length {len} is implausible"),
            ));
        }
        let mut payload = vec![0u8; len as usize];
        self.input
            .read_exact(&mut payload)
            .map_err(|e| corrupt(&self.path, format!("truncated element: {e}")))?;
        if fnv1a(&payload) != sum {
            return Err(corrupt(&self.path, "element checksum mismatch"));
        }
        let mut cur = Cursor {
            path: &self.path,
            b: &payload,
            at: 0,
        };
        let e = cur.element(0)?;
        if cur.at != payload.len() {
            return Err(corrupt(&self.path, "trailing bytes in an element record"));
        }
        self.remaining -= 1;
        Ok(Some(e))
    }
}

impl Iterator for CacheReader {
    type Item = Result<Element>;
    fn next(&mut self) -> Option<Result<Element>> {
        if self.done {
            return None;
        }
        match self.read_element() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                // The end marker has been read: polling again must not read past it.
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

struct Cursor<'a> {
    path: &'a Path,
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| corrupt(self.path, "element record ends early"))?;
        let b: &'a [u8] = self.b;
        let s = &b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<usize> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")) as usize)
    }
    fn element(&mut self, depth: usize) -> Result<Element> {
        if depth > 64 {
            return Err(corrupt(self.path, "element nesting deeper than 64"));
        }
        Ok(match self.take(1)?[0] {
            0 => Element::Tensor(self.tensor()?),
            1 => {
                let n = self.u32()?;
                let mut v = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    v.push(self.element(depth + 1)?);
                }
                Element::Tuple(v)
            }
            2 => {
                let n = self.u32()?;
                let mut v = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    let k = self.u32()?;
                    let key = std::str::from_utf8(self.take(k)?)
                        .map_err(|_| corrupt(self.path, "dict key is not UTF-8"))?
                        .to_string();
                    v.push((key, self.element(depth + 1)?));
                }
                Element::Dict(v)
            }
            t => return Err(corrupt(self.path, format!("unknown element tag {t}"))),
        })
    }
    fn tensor(&mut self) -> Result<Tensor> {
        let n = self.take(1)?[0] as usize;
        let name = std::str::from_utf8(self.take(n)?)
            .map_err(|_| corrupt(self.path, "dtype name is not UTF-8"))?
            .to_string();
        let dtype = [
            DType::F32,
            DType::F64,
            DType::F16,
            DType::BF16,
            DType::I32,
            DType::I64,
            DType::U8,
            DType::Bool,
            DType::String,
        ]
        .into_iter()
        .find(|d| d.name() == name)
        .ok_or_else(|| corrupt(self.path, format!("unknown dtype {name:?}")))?;
        let rank = self.u32()?;
        if rank > 32 {
            return Err(corrupt(
                self.path,
                format!("tensor rank {rank} is implausible"),
            ));
        }
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")) as usize);
        }
        let numel = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= self.b.len())
            .ok_or_else(|| {
                corrupt(
                    self.path,
                    format!("tensor shape {shape:?} exceeds the record"),
                )
            })?;
        if dtype == DType::String {
            let mut v: Vec<String> = Vec::with_capacity(numel);
            for _ in 0..numel {
                let len = u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"));
                let len = usize::try_from(len)
                    .ok()
                    .filter(|&n| n <= self.b.len())
                    .ok_or_else(|| {
                        corrupt(self.path, format!("string length {len} exceeds the record"))
                    })?;
                let text = std::str::from_utf8(self.take(len)?)
                    .map_err(|_| corrupt(self.path, "a string element is not UTF-8"))?;
                v.push(text.to_string());
            }
            return Ok(Tensor::from_strings(v, &shape)?);
        }
        let width = match dtype {
            DType::F64 | DType::I64 => 8,
            DType::U8 | DType::Bool => 1,
            _ => 4,
        };
        let raw = self.take(numel * width)?;
        let t = match dtype {
            DType::F32 | DType::F16 | DType::BF16 => {
                let v: Vec<f32> = raw
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect();
                let t = Tensor::from_vec(v, &shape)?;
                if dtype == DType::F32 {
                    t
                } else {
                    t.cast(dtype)?
                }
            }
            DType::F64 => Tensor::from_vec(
                raw.chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect::<Vec<_>>(),
                &shape,
            )?,
            DType::I32 => Tensor::from_vec(
                raw.chunks_exact(4)
                    .map(|c| i32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect::<Vec<_>>(),
                &shape,
            )?,
            DType::I64 => Tensor::from_vec(
                raw.chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect::<Vec<_>>(),
                &shape,
            )?,
            DType::U8 => Tensor::from_vec(raw.to_vec(), &shape)?,
            DType::Bool => {
                Tensor::from_vec(raw.iter().map(|&b| b != 0).collect::<Vec<_>>(), &shape)?
            }
            // Read above, element by element.
            DType::String => return Err(corrupt(self.path, "string record out of place")),
        };
        Ok(t)
    }
}
