//! Data layout, filter pipeline and fill value messages.

use super::*;

#[derive(Debug)]
pub(crate) enum Layout {
    Compact(Range<usize>),
    Contiguous {
        addr: u64,
    },
    /// Chunked with a version-1 B-tree index.
    ChunkedBtree {
        addr: u64,
        chunk: Vec<u64>,
    },
    /// Chunked, layout version 4, single-chunk index.
    SingleChunk {
        addr: u64,
        chunk: Vec<u64>,
        filtered_size: Option<u64>,
        mask: u32,
    },
    /// Chunked, layout version 4, implicit index (chunks in grid order).
    Implicit {
        addr: u64,
        chunk: Vec<u64>,
    },
    /// Chunked, layout version 4, fixed-array index.
    FixedArray {
        addr: u64,
        chunk: Vec<u64>,
    },
    /// Chunked, layout version 4, extensible-array index.
    ExtensibleArray {
        addr: u64,
        chunk: Vec<u64>,
    },
}

pub(crate) fn parse_layout(fd: &FileData, m: &Msg) -> Result<Layout> {
    let b = &fd.data[m.body.clone()];
    let mut r = Rd::new(b, 0, "data layout message");
    let version = r.u8()?;
    match version {
        1 | 2 => {
            let ndims = usize::from(r.u8()?);
            let class = r.u8()?;
            r.skip(5)?;
            let addr = if class != 0 { r.u64()? } else { UNDEF };
            let dims = (0..ndims)
                .map(|_| r.u32().map(u64::from))
                .collect::<Result<Vec<_>>>()?;
            match class {
                0 => {
                    let size = r.u32()? as usize;
                    let start = m.body.start + r.pos();
                    r.skip(size)?;
                    Ok(Layout::Compact(start..start + size))
                }
                1 => Ok(Layout::Contiguous { addr }),
                2 => {
                    let _elem = r.u32()?;
                    Ok(Layout::ChunkedBtree { addr, chunk: dims })
                }
                c => Err(corrupt(format!(
                    "data layout message v{version}: unknown class {c}"
                ))),
            }
        }
        3 | 4 => {
            let class = r.u8()?;
            match class {
                0 => {
                    let size = usize::from(r.u16()?);
                    let start = m.body.start + r.pos();
                    r.skip(size)?;
                    Ok(Layout::Compact(start..start + size))
                }
                1 => {
                    let addr = r.u64()?;
                    let _size = r.u64()?;
                    Ok(Layout::Contiguous { addr })
                }
                2 if version == 3 => {
                    let ndims = usize::from(r.u8()?);
                    let addr = r.u64()?;
                    let mut dims = (0..ndims)
                        .map(|_| r.u32().map(u64::from))
                        .collect::<Result<Vec<_>>>()?;
                    dims.pop(); // element size
                    Ok(Layout::ChunkedBtree { addr, chunk: dims })
                }
                2 => {
                    let flags = r.u8()?;
                    let ndims = usize::from(r.u8()?);
                    let enc = usize::from(r.u8()?);
                    if !(1..=8).contains(&enc) {
                        return Err(corrupt(format!(
                            "data layout message: dimension size encoding of {enc} bytes"
                        )));
                    }
                    let mut dims = (0..ndims)
                        .map(|_| r.uvar(enc))
                        .collect::<Result<Vec<_>>>()?;
                    dims.pop();
                    let index = r.u8()?;
                    match index {
                        1 => {
                            let (fsize, mask) = if flags & 0x02 != 0 {
                                (Some(r.u64()?), r.u32()?)
                            } else {
                                (None, 0)
                            };
                            let addr = r.u64()?;
                            Ok(Layout::SingleChunk {
                                addr,
                                chunk: dims,
                                filtered_size: fsize,
                                mask,
                            })
                        }
                        2 => Ok(Layout::Implicit {
                            addr: r.u64()?,
                            chunk: dims,
                        }),
                        3 => {
                            r.skip(1)?;
                            Ok(Layout::FixedArray {
                                addr: r.u64()?,
                                chunk: dims,
                            })
                        }
                        4 => {
                            r.skip(5)?;
                            Ok(Layout::ExtensibleArray {
                                addr: r.u64()?,
                                chunk: dims,
                            })
                        }
                        5 => Err(unsupported("chunk index type 5 (version 2 B-tree)")),
                        i => Err(corrupt(format!(
                            "data layout message: unknown chunk index type {i}"
                        ))),
                    }
                }
                3 => Err(unsupported("virtual dataset layout")),
                c => Err(corrupt(format!(
                    "data layout message v{version}: unknown class {c}"
                ))),
            }
        }
        v => Err(corrupt(format!("data layout message: unknown version {v}"))),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Filter {
    pub(crate) id: u16,
    pub(crate) params: Vec<u32>,
}

pub(crate) fn parse_filters(b: &[u8]) -> Result<Vec<Filter>> {
    let mut r = Rd::new(b, 0, "filter pipeline message");
    let version = r.u8()?;
    let n = r.u8()?;
    if version == 1 {
        r.skip(6)?;
    } else if version != 2 {
        return Err(corrupt(format!(
            "filter pipeline message: unknown version {version}"
        )));
    }
    let mut out = Vec::new();
    for _ in 0..n {
        let id = r.u16()?;
        let name_len = if version == 1 || id >= 256 {
            usize::from(r.u16()?)
        } else {
            0
        };
        let _flags = r.u16()?;
        let nvals = usize::from(r.u16()?);
        if version == 1 {
            r.skip(name_len.div_ceil(8) * 8)?;
        } else {
            r.skip(name_len)?;
        }
        let params = (0..nvals).map(|_| r.u32()).collect::<Result<Vec<_>>>()?;
        if version == 1 && nvals % 2 == 1 {
            r.skip(4)?;
        }
        out.push(Filter { id, params });
    }
    Ok(out)
}

/// Undoes the filter pipeline on one chunk. `expected` is the chunk's size
/// after decoding; decompression never produces more than that.
pub(crate) fn unfilter(
    filters: &[Filter],
    mask: u32,
    mut data: Vec<u8>,
    expected: usize,
    elem: usize,
) -> Result<Vec<u8>> {
    for (i, f) in filters.iter().enumerate().rev() {
        if i < 32 && mask & (1 << i) != 0 {
            continue;
        }
        data = match f.id {
            1 => {
                let mut out = Vec::with_capacity(expected.min(1 << 26));
                let mut dec = flate2::read::ZlibDecoder::new(&data[..])
                    .take((expected as u64).saturating_add(1));
                dec.read_to_end(&mut out)
                    .map_err(|e| corrupt(format!("deflate filter: {e}")))?;
                if out.len() > expected {
                    return Err(corrupt(format!(
                        "deflate filter: chunk decompresses to more than the expected {expected} bytes"
                    )));
                }
                out
            }
            2 => {
                let es = f.params.first().map(|&v| v as usize).unwrap_or(elem);
                unshuffle(&data, es)
            }
            3 => {
                let n = data
                    .len()
                    .checked_sub(4)
                    .ok_or_else(|| corrupt("fletcher32 filter: chunk shorter than its checksum"))?;
                data.truncate(n);
                data
            }
            id => {
                let name = match id {
                    4 => "szip",
                    5 => "nbit",
                    6 => "scaleoffset",
                    32001 => "blosc",
                    32004 => "lz4",
                    32008 => "bitshuffle",
                    32015 => "zstd",
                    _ => "unknown",
                };
                return Err(unsupported(format!("filter id {id} ({name})")));
            }
        };
    }
    Ok(data)
}

pub(super) fn unshuffle(data: &[u8], es: usize) -> Vec<u8> {
    if es <= 1 || data.len() < es {
        return data.to_vec();
    }
    let n = data.len() / es;
    let mut out = data.to_vec();
    for b in 0..es {
        for i in 0..n {
            out[i * es + b] = data[b * n + i];
        }
    }
    out
}

/// The fill value from a fill value message, if one is defined.
pub(crate) fn parse_fill(b: &[u8], old: bool) -> Result<Option<Vec<u8>>> {
    let mut r = Rd::new(b, 0, "fill value message");
    if old {
        let size = r.u32()? as usize;
        return Ok(Some(r.bytes(size)?.to_vec()));
    }
    let version = r.u8()?;
    let defined = match version {
        1 | 2 => {
            r.skip(2)?;
            let d = r.u8()?;
            version == 1 || d != 0
        }
        3 => r.u8()? & 0x20 != 0,
        v => return Err(corrupt(format!("fill value message: unknown version {v}"))),
    };
    if !defined {
        return Ok(None);
    }
    let size = r.u32()? as usize;
    Ok(Some(r.bytes(size)?.to_vec()))
}
