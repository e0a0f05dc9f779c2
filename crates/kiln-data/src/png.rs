//! A minimal PNG writer for 8-bit grayscale images (zlib via flate2, CRC-32 per chunk),
//! enough to save image grids a person can look at; decoding and colour PNG/JPEG belong
//! to the image module.

use std::io::Write;
use std::path::Path;

use crate::idx::io_err;
use crate::{DataError, Result};

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend(kind);
    out.extend(data);
    out.extend(crc.sum().to_be_bytes());
}

/// Encodes `pixels` (row-major, `width * height` bytes) as a grayscale PNG.
///
/// ```
/// let png = kiln_data::png::encode_gray8(2, 1, &[0, 255])?;
/// assert_eq!(&png[1..4], b"PNG");
/// assert!(kiln_data::png::encode_gray8(2, 2, &[0]).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn encode_gray8(width: usize, height: usize, pixels: &[u8]) -> Result<Vec<u8>> {
    if width == 0 || height == 0 || pixels.len() != width * height {
        return Err(DataError::Invalid {
            api: "png::encode_gray8",
            msg: format!(
                "{} pixels for a {width}x{height} image (expected {})",
                pixels.len(),
                width * height
            ),
        });
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend((width as u32).to_be_bytes());
    ihdr.extend((height as u32).to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]); // 8-bit, grayscale, deflate, adaptive filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    let mut raw = Vec::with_capacity((width + 1) * height);
    for row in pixels.chunks(width) {
        raw.push(0); // filter: none
        raw.extend(row);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw)
        .and_then(|_| z.finish())
        .map(|data| chunk(&mut out, b"IDAT", &data))
        .map_err(|e| DataError::Invalid {
            api: "png::encode_gray8",
            msg: format!("compressing: {e}"),
        })?;
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

/// Writes a grayscale PNG atomically (a temporary file renamed into place).
pub fn save_gray8(
    path: impl AsRef<Path>,
    width: usize,
    height: usize,
    pixels: &[u8],
) -> Result<()> {
    let path = path.as_ref();
    let bytes = encode_gray8(width, height, pixels)?;
    let tmp = path.with_extension("png.tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}
