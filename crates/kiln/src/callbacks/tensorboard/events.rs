//! TensorFlow event files (`events.out.tfevents.*`): `Event` / `Summary` protobufs encoded
//! by hand, TFRecord framing with masked CRC-32C, and TensorBoard's histogram buckets and
//! image encoding.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Error, Result};

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses.
///
/// ```
/// // the standard check value of CRC-32C
/// assert_eq!(kiln::callbacks::crc32c(b"123456789"), 0xE306_9283);
/// ```
pub fn crc32c(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0x82F6_3B78
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut crc = !0u32;
    for &b in data {
        crc = TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// TFRecord's masked CRC: `((crc >> 15) | (crc << 17)) + 0xa282ead8`.
pub(crate) fn masked_crc32c(data: &[u8]) -> u32 {
    let crc = crc32c(data);
    crc.rotate_right(15).wrapping_add(0xA282_EAD8)
}

/// One TFRecord: length, masked CRC of the length, data, masked CRC of the data.
pub(crate) fn tfrecord(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + 16);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
    out
}

/// A protobuf message being encoded (proto3: fields at their defaults are left out by
/// the callers, as protobuf's own serializers do).
#[derive(Default)]
pub(crate) struct Pb(pub(crate) Vec<u8>);

impl Pb {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn key(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }
    pub(crate) fn uint(&mut self, field: u32, v: u64) {
        self.key(field, 0);
        self.varint(v);
    }
    pub(crate) fn double(&mut self, field: u32, v: f64) {
        self.key(field, 1);
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn bytes(&mut self, field: u32, v: &[u8]) {
        self.key(field, 2);
        self.varint(v.len() as u64);
        self.0.extend_from_slice(v);
    }
    pub(crate) fn message(&mut self, field: u32, m: Pb) {
        self.bytes(field, &m.0);
    }
}

/// TensorFlow's `DataType` values used here.
const DT_FLOAT: u64 = 1;
const DT_DOUBLE: u64 = 2;
const DT_STRING: u64 = 7;

/// A `TensorProto`: dtype, shape, then `tensor_content` or `string_val`.
pub(crate) enum TensorValue {
    /// A float32 tensor (`tensor_content`, little-endian).
    F32(Vec<usize>, Vec<f32>),
    /// A float64 tensor.
    F64(Vec<usize>, Vec<f64>),
    /// A string tensor (`string_val`).
    Strings(Vec<usize>, Vec<Vec<u8>>),
}

impl TensorValue {
    fn encode(&self) -> Pb {
        let (dtype, shape) = match self {
            TensorValue::F32(s, _) => (DT_FLOAT, s),
            TensorValue::F64(s, _) => (DT_DOUBLE, s),
            TensorValue::Strings(s, _) => (DT_STRING, s),
        };
        let mut t = Pb::default();
        t.uint(1, dtype);
        let mut shape_pb = Pb::default();
        for &d in shape {
            let mut dim = Pb::default();
            if d != 0 {
                dim.uint(1, d as u64);
            }
            shape_pb.message(2, dim);
        }
        t.message(2, shape_pb);
        match self {
            TensorValue::F32(_, v) => {
                let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                if !b.is_empty() {
                    t.bytes(4, &b);
                }
            }
            TensorValue::F64(_, v) => {
                let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                if !b.is_empty() {
                    t.bytes(4, &b);
                }
            }
            TensorValue::Strings(_, v) => {
                for s in v {
                    t.bytes(8, s);
                }
            }
        }
        t
    }
}

/// `SummaryMetadata { plugin_data { plugin_name, content } }`.
fn metadata(plugin: &str, content: &[u8]) -> Pb {
    let mut pd = Pb::default();
    pd.bytes(1, plugin.as_bytes());
    if !content.is_empty() {
        pd.bytes(2, content);
    }
    let mut m = Pb::default();
    m.message(1, pd);
    m
}

fn wall_time() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// An `Event` with one summary value.
pub(crate) fn summary_event(
    tag: &str,
    plugin: &str,
    content: &[u8],
    tensor: &TensorValue,
    step: i64,
) -> Vec<u8> {
    let mut value = Pb::default();
    value.bytes(1, tag.as_bytes());
    value.message(8, tensor.encode());
    value.message(9, metadata(plugin, content));
    let mut summary = Pb::default();
    summary.message(1, value);
    let mut ev = Pb::default();
    ev.double(1, wall_time());
    if step != 0 {
        ev.uint(2, step as u64);
    }
    ev.message(5, summary);
    ev.0
}

static WRITER_UID: AtomicUsize = AtomicUsize::new(0);

fn hostname() -> String {
    for p in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(s) = std::fs::read_to_string(p) {
            let s = s.trim();
            if !s.is_empty() && !s.contains(['/', '\\']) {
                return s.to_string();
            }
        }
    }
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty() && !h.contains(['/', '\\']))
        .unwrap_or_else(|| "localhost".into())
}

/// Writes summaries to an event file in `logdir`, as `tf.summary.create_file_writer`:
/// `events.out.tfevents.<time>.<host>.<pid>.<n>.v2`, first a `file_version` event
/// (`brain.Event:2`), then one TFRecord per event. TensorBoard reads the files.
///
/// Events are buffered and written by [`SummaryWriter::flush`] (also on drop). A failed
/// write cuts the file back to its last complete record, so that a later reader never
/// meets a torn record, and returns the error.
///
/// ```
/// use kiln::callbacks::SummaryWriter;
/// let dir = std::env::temp_dir().join(format!("kiln_doc_summary_{}", std::process::id()));
/// let mut w = SummaryWriter::new(&dir)?;
/// for step in 0..3 {
///     w.scalar("loss", 1.0 / (step as f64 + 1.0), step)?;
/// }
/// w.histogram("weights", &[0.1, 0.5, -0.3, 0.2], 0)?;
/// w.flush()?;
/// assert!(w.path().file_name().unwrap().to_string_lossy().starts_with("events.out.tfevents."));
/// # drop(w); std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct SummaryWriter {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    good_len: u64,
}

impl std::fmt::Debug for SummaryWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SummaryWriter")
            .field("path", &self.path)
            .finish()
    }
}

const FLUSH_AT: usize = 1 << 16;

impl SummaryWriter {
    /// Creates `logdir` (and its parents) and a new event file in it.
    pub fn new(logdir: impl AsRef<Path>) -> Result<SummaryWriter> {
        let dir = logdir.as_ref();
        let io = |e: std::io::Error, p: &Path| Error::InvalidArgument {
            api: "SummaryWriter",
            msg: format!("cannot write '{}': {e}", p.display()),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(e, dir))?;
        let secs = wall_time() as u64;
        let host = hostname();
        let pid = std::process::id();
        let (path, file) = loop {
            let uid = WRITER_UID.fetch_add(1, Ordering::Relaxed);
            let p = dir.join(format!("events.out.tfevents.{secs}.{host}.{pid}.{uid}.v2"));
            match OpenOptions::new().write(true).create_new(true).open(&p) {
                Ok(f) => break (p, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io(e, &p)),
            }
        };
        let mut w = SummaryWriter {
            path,
            file,
            buf: Vec::new(),
            good_len: 0,
        };
        let mut ev = Pb::default();
        ev.double(1, wall_time());
        ev.bytes(3, b"brain.Event:2");
        let mut source = Pb::default();
        source.bytes(1, b"kiln");
        ev.message(10, source);
        w.push(&ev.0)?;
        w.flush()?;
        Ok(w)
    }

    /// The event file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn push(&mut self, event: &[u8]) -> Result<()> {
        self.buf.extend_from_slice(&tfrecord(event));
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    pub(crate) fn write_tensor(
        &mut self,
        tag: &str,
        plugin: &str,
        content: &[u8],
        tensor: &TensorValue,
        step: i64,
    ) -> Result<()> {
        self.push(&summary_event(tag, plugin, content, tensor, step))
    }

    /// A scalar (`tf.summary.scalar`): a float32 tensor for the `scalars` plugin.
    pub fn scalar(&mut self, tag: &str, value: f64, step: i64) -> Result<()> {
        self.write_tensor(
            tag,
            "scalars",
            b"",
            &TensorValue::F32(vec![], vec![value as f32]),
            step,
        )
    }

    /// A histogram of `data` in TensorBoard's 30 buckets (`tf.summary.histogram`).
    pub fn histogram(&mut self, tag: &str, data: &[f64], step: i64) -> Result<()> {
        let b = histogram_buckets(data, 30);
        let flat: Vec<f64> = b.iter().flatten().copied().collect();
        self.write_tensor(
            tag,
            "histograms",
            b"",
            &TensorValue::F64(vec![b.len(), 3], flat),
            step,
        )
    }

    /// Images (`tf.summary.image`): `data` of shape `[k, height, width, channels]`
    /// (channels 1, 3 or 4) as floats in `[0, 1]` (converted as
    /// `tf.image.convert_image_dtype(..., tf.uint8, saturate=True)`), the first
    /// `max_outputs` of them as PNGs.
    pub fn image(
        &mut self,
        tag: &str,
        data: &[f32],
        shape: [usize; 4],
        step: i64,
        max_outputs: usize,
    ) -> Result<()> {
        let [k, h, w, c] = shape;
        if !matches!(c, 1 | 3 | 4) || data.len() != k * h * w * c {
            return Err(Error::InvalidArgument {
                api: "SummaryWriter.image",
                msg: format!(
                    "expected data of shape [k, h, w, c] with c in {{1, 3, 4}}, got shape {shape:?} for {} values",
                    data.len()
                ),
            });
        }
        let mut strings = vec![w.to_string().into_bytes(), h.to_string().into_bytes()];
        for img in data.chunks(h * w * c.max(1)).take(max_outputs) {
            let pixels: Vec<u8> = img.iter().map(|&x| to_u8(x)).collect();
            strings.push(encode_png(&pixels, w, h, c)?);
        }
        let n = strings.len();
        self.write_tensor(
            tag,
            "images",
            b"",
            &TensorValue::Strings(vec![n], strings),
            step,
        )
    }

    /// Writes the buffered events. On a failed write the file is cut back to its last
    /// complete record and the error is returned (the events are dropped).
    pub fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let res = self
            .file
            .write_all(&self.buf)
            .and_then(|_| self.file.flush());
        let n = self.buf.len() as u64;
        self.buf.clear();
        match res {
            Ok(()) => {
                self.good_len += n;
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.good_len);
                let _ = self.file.seek(SeekFrom::Start(self.good_len));
                Err(Error::InvalidArgument {
                    api: "SummaryWriter",
                    msg: format!("cannot write '{}': {e}", self.path.display()),
                })
            }
        }
    }
}

impl Drop for SummaryWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// `tf.image.convert_image_dtype(x, tf.uint8, saturate=True)` for one float32 value:
/// `x * 255.5`, clamped to `[0, 255]`, truncated.
pub(crate) fn to_u8(x: f32) -> u8 {
    let v = x * 255.5;
    if v.is_nan() {
        0
    } else {
        v.clamp(0.0, 255.0) as u8
    }
}

pub(crate) fn encode_png(pixels: &[u8], w: usize, h: usize, c: usize) -> Result<Vec<u8>> {
    let err = |e: png::EncodingError| Error::InvalidArgument {
        api: "SummaryWriter.image",
        msg: format!("PNG encoding failed: {e}"),
    };
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(match c {
            1 => png::ColorType::Grayscale,
            3 => png::ColorType::Rgb,
            _ => png::ColorType::Rgba,
        });
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(err)?;
        wr.write_image_data(pixels).map_err(err)?;
        wr.finish().map_err(err)?;
    }
    Ok(out)
}

/// TensorBoard's histogram buckets (`tensorboard.plugins.histogram.summary_v2`):
/// `bucket_count` rows `[left, right, count]` of equal width between the minimum and the
/// maximum (the last bucket closed); one value repeated gives edges at that value and
/// every count in the last bucket; no data gives zeros.
///
/// ```
/// let b = kiln::callbacks::histogram_buckets(&[0.0, 1.0, 1.0, 3.0], 3);
/// assert_eq!(b, vec![[0.0, 1.0, 1.0], [1.0, 2.0, 2.0], [2.0, 3.0, 1.0]]);
/// ```
pub fn histogram_buckets(data: &[f64], bucket_count: usize) -> Vec<[f64; 3]> {
    if bucket_count == 0 {
        return Vec::new();
    }
    if data.is_empty() {
        return vec![[0.0; 3]; bucket_count];
    }
    let min = data.iter().copied().fold(f64::INFINITY, f64::min);
    let max = data.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = max - min;
    if range == 0.0 {
        let mut out = vec![[max, max, 0.0]; bucket_count];
        out[bucket_count - 1][2] = data.len() as f64;
        return out;
    }
    let width = range / bucket_count as f64;
    let mut counts = vec![0.0f64; bucket_count];
    for &x in data {
        let i = ((x - min) / width).floor();
        // TF casts to int32; NaN data has no bucket
        if i.is_nan() {
            continue;
        }
        let i = (i.max(0.0) as usize).min(bucket_count - 1);
        counts[i] += 1.0;
    }
    let edge = |i: usize| {
        if i == bucket_count {
            max
        } else if i == 0 {
            min
        } else {
            min + width * i as f64
        }
    };
    (0..bucket_count)
        .map(|i| [edge(i), edge(i + 1), counts[i]])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_crc_of_empty_length() {
        // the masked CRC TFRecord writes for an 8-byte zero length
        let c = masked_crc32c(&0u64.to_le_bytes());
        assert_eq!(
            c,
            crc32c(&[0; 8]).rotate_right(15).wrapping_add(0xA282_EAD8)
        );
        assert_eq!(crc32c(b""), 0);
    }

    #[test]
    fn image_conversion_saturates() {
        assert_eq!(to_u8(-0.5), 0);
        assert_eq!(to_u8(0.5), 127);
        assert_eq!(to_u8(1.0), 255);
        assert_eq!(to_u8(3.0), 255);
        assert_eq!(to_u8(f32::NAN), 0);
    }
}
