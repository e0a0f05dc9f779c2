//! `tf.io.decode_png` / `decode_jpeg` / `decode_image` / `encode_png` / `encode_jpeg`.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use kiln_tensor::{DType, Tensor};

use super::invalid;
use crate::Result;

fn check_channels(api: &'static str, channels: usize) -> Result<()> {
    if matches!(channels, 0 | 1 | 3 | 4) {
        Ok(())
    } else {
        Err(invalid(
            api,
            format!("channels must be 0, 1, 3 or 4, got {channels}"),
        ))
    }
}

/// libpng's `png_set_rgb_to_gray(.., 0.299, 0.587)` as TensorFlow configures it: fixed
/// point weights out of 32768, truncated.
fn png_gray(r: u32, g: u32, b: u32) -> u32 {
    (9797 * r + 19234 * g + 3737 * b) >> 15
}

/// Converts interleaved samples with `src` channels to `dst` channels the way
/// TensorFlow's PNG decoder does (grey replicated, alpha dropped or filled with `filler`,
/// colour to grey with [`png_gray`]). `samples` are 8- or 16-bit values.
fn convert_channels(samples: &[u32], src: usize, dst: usize, filler: u32) -> Vec<u32> {
    let mut out = Vec::with_capacity(samples.len() / src * dst);
    for p in samples.chunks_exact(src) {
        let (grey, rgb, alpha) = match src {
            1 => (p[0], [p[0]; 3], None),
            2 => (p[0], [p[0]; 3], Some(p[1])),
            3 => (png_gray(p[0], p[1], p[2]), [p[0], p[1], p[2]], None),
            _ => (png_gray(p[0], p[1], p[2]), [p[0], p[1], p[2]], Some(p[3])),
        };
        match dst {
            1 => out.push(grey),
            2 => out.extend([grey, alpha.unwrap_or(filler)]),
            3 => out.extend(rgb),
            _ => out.extend([rgb[0], rgb[1], rgb[2], alpha.unwrap_or(filler)]),
        }
    }
    out
}

/// `tf.io.decode_png(contents, channels)`: a uint8 tensor `[height, width, channels]`.
///
/// `channels = 0` keeps the file's channels (palettes expand to RGB, or RGBA with a
/// `tRNS` chunk; transparency becomes an alpha channel); 1, 3 and 4 convert like
/// TensorFlow's libpng setup (colour to grey with libpng's fixed-point 0.299/0.587/0.114
/// weights, truncated; 16-bit samples keep their high byte; an added alpha channel is
/// opaque at the source bit depth, so a 4-bit palette image gets alpha 15 as in TF).
///
/// ```
/// use kiln_data::image::{decode_png, encode_png};
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![10u8, 20, 30, 40, 50, 60], &[1, 2, 3])?;
/// let png = encode_png(&x)?;
/// assert_eq!(decode_png(&png, 0)?.to_vec::<u8>()?, vec![10, 20, 30, 40, 50, 60]);
/// assert_eq!(decode_png(&png, 4)?.shape(), &[1, 2, 4]);
/// assert!(decode_png(&png[..png.len() / 2], 0).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn decode_png(contents: &[u8], channels: usize) -> Result<Tensor> {
    const API: &str = "image::decode_png";
    check_channels(API, channels)?;
    let corrupt = |e: String| invalid(API, format!("invalid PNG data: {e}"));
    let decoded = catch_unwind(AssertUnwindSafe(|| -> std::result::Result<_, String> {
        let mut dec = png::Decoder::new(Cursor::new(contents));
        dec.set_transformations(png::Transformations::EXPAND);
        let mut reader = dec.read_info().map_err(|e| e.to_string())?;
        let src_depth = reader.info().bit_depth as u8;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| "image too large".to_string())?;
        let mut buf = vec![0u8; size];
        let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
        buf.truncate(info.buffer_size());
        Ok((info, src_depth, buf))
    }))
    .map_err(|_| corrupt("the decoder failed".into()))?
    .map_err(corrupt)?;
    let (info, src_depth, buf) = decoded;
    let src = info.color_type.samples();
    let samples: Vec<u32> = if info.bit_depth == png::BitDepth::Sixteen {
        buf.chunks_exact(2)
            .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
            .collect()
    } else {
        buf.iter().map(|&b| u32::from(b)).collect()
    };
    let dst = if channels == 0 { src } else { channels };
    let sixteen = info.bit_depth == png::BitDepth::Sixteen;
    let filler = if sixteen {
        0xffff
    } else if src_depth < 8 {
        (1u32 << src_depth) - 1
    } else {
        0xff
    };
    let out: Vec<u8> = convert_channels(&samples, src, dst, filler)
        .into_iter()
        .map(|v| if sixteen { (v >> 8) as u8 } else { v as u8 })
        .collect();
    Ok(Tensor::from_vec(
        out,
        &[info.height as usize, info.width as usize, dst],
    )?)
}

/// `tf.io.decode_jpeg(contents, channels)`: a uint8 tensor `[height, width, channels]`
/// with `channels` 0 (the file's: 1 for greyscale JPEGs, else 3), 1 or 3. Decoded by
/// `zune-jpeg` (strict mode; data that ends before the end-of-image marker is an error,
/// as TensorFlow reports truncated files), whose IDCT and chroma upsampling differ from
/// TensorFlow's libjpeg-turbo: on the golden files by at most 5 levels, 0.5 to 1.2 on
/// average.
///
/// ```
/// use kiln_data::image::{decode_jpeg, encode_jpeg};
/// use kiln_tensor::Tensor;
/// let x = Tensor::full(&[8, 8, 3], 128.0, kiln_tensor::DType::U8);
/// let jpg = encode_jpeg(&x, 90)?;
/// let y = decode_jpeg(&jpg, 0)?;
/// assert_eq!(y.shape(), &[8, 8, 3]);
/// assert!(y.to_vec::<u8>()?.iter().all(|&v| v.abs_diff(128) <= 2));
/// assert!(decode_jpeg(&jpg[..20], 0).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn decode_jpeg(contents: &[u8], channels: usize) -> Result<Tensor> {
    use zune_core::colorspace::ColorSpace;
    const API: &str = "image::decode_jpeg";
    if !matches!(channels, 0 | 1 | 3) {
        return Err(invalid(
            API,
            format!("channels must be 0, 1 or 3, got {channels}"),
        ));
    }
    let corrupt = |e: String| invalid(API, format!("invalid JPEG data: {e}"));
    // zune-jpeg fills in missing scan data; libjpeg (and so TensorFlow) fails on a file
    // that stops before the end of its scans. The end-of-image marker cannot occur
    // inside entropy-coded data (0xff is byte-stuffed there), so its absence after the
    // first start-of-scan means the file was cut short.
    let sos = contents.windows(2).position(|w| w == [0xff, 0xda]);
    let eoi_after_sos = sos.is_some_and(|p| contents[p..].windows(2).any(|w| w == [0xff, 0xd9]));
    if sos.is_some() && !eoi_after_sos {
        return Err(corrupt(
            "truncated: the data ends before the end-of-image marker".into(),
        ));
    }
    let run = || -> std::result::Result<(usize, usize, usize, Vec<u8>), String> {
        let opts = zune_core::options::DecoderOptions::default().set_strict_mode(true);
        let mut dec = zune_jpeg::JpegDecoder::new_with_options(
            zune_core::bytestream::ZCursor::new(contents),
            opts,
        );
        dec.decode_headers().map_err(|e| e.to_string())?;
        let input = dec.input_colorspace().ok_or("no colour space")?;
        let grey = channels == 1 || (channels == 0 && input == ColorSpace::Luma);
        let (cs, nc) = if grey {
            (ColorSpace::Luma, 1)
        } else {
            (ColorSpace::RGB, 3)
        };
        dec.set_options(opts.jpeg_set_out_colorspace(cs));
        let info = dec.info().ok_or("no image header")?;
        let pixels = dec.decode().map_err(|e| e.to_string())?;
        Ok((
            usize::from(info.height),
            usize::from(info.width),
            nc,
            pixels,
        ))
    };
    let (h, w, c, pixels) = catch_unwind(AssertUnwindSafe(run))
        .map_err(|_| corrupt("the decoder failed".into()))?
        .map_err(corrupt)?;
    if pixels.len() != h * w * c {
        return Err(corrupt(format!(
            "decoded {} bytes for a {h}x{w}x{c} image",
            pixels.len()
        )));
    }
    Ok(Tensor::from_vec(pixels, &[h, w, c])?)
}

/// `tf.io.decode_image(contents, channels)` for PNG and JPEG, told apart by their magic
/// bytes (`\x89PNG` and `\xff\xd8\xff`); other formats are an error naming what was seen.
///
/// ```
/// use kiln_data::image::{decode_image, encode_png};
/// use kiln_tensor::Tensor;
/// let png = encode_png(&Tensor::zeros(&[2, 3, 1], kiln_tensor::DType::U8))?;
/// assert_eq!(decode_image(&png, 3)?.shape(), &[2, 3, 3]);
/// assert!(decode_image(b"GIF89a....", 0).unwrap_err().to_string().contains("GIF"));
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn decode_image(contents: &[u8], channels: usize) -> Result<Tensor> {
    if contents.starts_with(b"\x89PNG") {
        decode_png(contents, channels)
    } else if contents.starts_with(&[0xff, 0xd8, 0xff]) {
        decode_jpeg(contents, channels)
    } else {
        let what = if contents.starts_with(b"GIF8") {
            "GIF images are not supported".to_string()
        } else if contents.starts_with(b"BM") {
            "BMP images are not supported".to_string()
        } else {
            format!(
                "unknown image format (first bytes {:02x?}); expected PNG or JPEG",
                &contents[..contents.len().min(8)]
            )
        };
        Err(invalid("image::decode_image", what))
    }
}

fn u8_image(
    api: &'static str,
    image: &Tensor,
    allowed: &[usize],
) -> Result<(u32, u32, usize, Vec<u8>)> {
    if image.dtype() != DType::U8 {
        return Err(invalid(
            api,
            format!("expected a uint8 image, got dtype {}", image.dtype().name()),
        ));
    }
    let [h, w, c] = *image.shape() else {
        return Err(invalid(
            api,
            format!(
                "expected a rank-3 image [height, width, channels], got shape {:?}",
                image.shape()
            ),
        ));
    };
    if !allowed.contains(&c) {
        return Err(invalid(
            api,
            format!(
                "expected {allowed:?} channels in the last axis, got shape {:?}",
                image.shape()
            ),
        ));
    }
    if h == 0 || w == 0 || h > u32::MAX as usize || w > u32::MAX as usize {
        return Err(invalid(
            api,
            format!("cannot encode an image of shape {:?}", image.shape()),
        ));
    }
    Ok((w as u32, h as u32, c, image.to_vec::<u8>()?))
}

/// `tf.io.encode_png`: a uint8 `[height, width, channels]` image (1 to 4 channels) as
/// PNG bytes.
///
/// ```
/// use kiln_data::image::encode_png;
/// use kiln_tensor::{DType, Tensor};
/// let png = encode_png(&Tensor::zeros(&[2, 2, 4], DType::U8))?;
/// assert_eq!(&png[1..4], b"PNG");
/// assert!(encode_png(&Tensor::zeros(&[2, 2, 4], DType::F32)).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn encode_png(image: &Tensor) -> Result<Vec<u8>> {
    use image::ImageEncoder;
    const API: &str = "image::encode_png";
    let (w, h, c, data) = u8_image(API, image, &[1, 2, 3, 4])?;
    let color = match c {
        1 => image::ExtendedColorType::L8,
        2 => image::ExtendedColorType::La8,
        3 => image::ExtendedColorType::Rgb8,
        _ => image::ExtendedColorType::Rgba8,
    };
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&data, w, h, color)
        .map_err(|e| invalid(API, format!("encoding: {e}")))?;
    Ok(out)
}

/// `tf.io.encode_jpeg(image, quality)`: a uint8 `[height, width, 1 or 3]` image as
/// baseline JPEG bytes; `quality` in `1..=100` (the `image` crate's encoder, so the bytes
/// differ from libjpeg's).
///
/// ```
/// use kiln_data::image::encode_jpeg;
/// use kiln_tensor::{DType, Tensor};
/// let jpg = encode_jpeg(&Tensor::zeros(&[4, 4, 1], DType::U8), 75)?;
/// assert_eq!(&jpg[..3], &[0xff, 0xd8, 0xff]);
/// assert!(encode_jpeg(&Tensor::zeros(&[4, 4, 4], DType::U8), 75).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn encode_jpeg(image: &Tensor, quality: u8) -> Result<Vec<u8>> {
    use image::ImageEncoder;
    const API: &str = "image::encode_jpeg";
    if !(1..=100).contains(&quality) {
        return Err(invalid(
            API,
            format!("quality must be in 1..=100, got {quality}"),
        ));
    }
    let (w, h, c, data) = u8_image(API, image, &[1, 3])?;
    let color = if c == 1 {
        image::ExtendedColorType::L8
    } else {
        image::ExtendedColorType::Rgb8
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(&data, w, h, color)
        .map_err(|e| invalid(API, format!("encoding: {e}")))?;
    Ok(out)
}
