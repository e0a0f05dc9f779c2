//! Low-level parsing of HDF5 on-disk structures. Every read is bounds
//! checked against the file; every loop is bounded by the file size or an
//! explicit cap.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::ops::Range;

use crate::bytes::Rd;
use crate::error::{corrupt, unsupported, Error, Result};

/// The undefined address (all bits set).
pub(crate) const UNDEF: u64 = u64::MAX;
/// Deepest B-tree / nesting level followed.
pub(crate) const MAX_DEPTH: usize = 64;
/// Most nodes visited in one B-tree or heap traversal.
pub(crate) const MAX_NODES: usize = 1_000_000;
/// Most messages in one object header.
const MAX_MESSAGES: usize = 1_000_000;
/// Default cap on the bytes one read may allocate.
pub(crate) const DEFAULT_MAX_READ: u64 = 1 << 32;

const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// The whole file in memory plus what the superblock says.
pub(crate) struct FileData {
    pub(crate) data: Vec<u8>,
    /// Absolute offset that all addresses are relative to.
    pub(crate) base: u64,
    pub(crate) root_addr: u64,
    pub(crate) sb_version: u8,
    pub(crate) max_read: u64,
}

impl FileData {
    pub(crate) fn parse(data: Vec<u8>, max_read: u64) -> Result<FileData> {
        let mut off = 0usize;
        loop {
            let end = off.checked_add(8).ok_or(Error::NotHdf5)?;
            if end > data.len() {
                return Err(Error::NotHdf5);
            }
            if &data[off..end] == SIGNATURE {
                break;
            }
            off = if off == 0 {
                512
            } else {
                off.checked_mul(2).ok_or(Error::NotHdf5)?
            };
        }
        let mut r = Rd::new(&data[off..], off as u64, "superblock");
        r.skip(8)?;
        let version = r.u8()?;
        let check_sizes = |so: u8, sl: u8| -> Result<()> {
            if so != 8 || sl != 8 {
                return Err(unsupported(format!(
                    "superblock at 0x{off:x}: {so}-byte offsets and {sl}-byte lengths (only 8-byte offsets and lengths are supported)"
                )));
            }
            Ok(())
        };
        let root_addr = match version {
            0 | 1 => {
                r.skip(4)?; // free-space, root symbol table, reserved, shared header versions
                let so = r.u8()?;
                let sl = r.u8()?;
                check_sizes(so, sl)?;
                r.skip(1)?;
                r.skip(2 + 2 + 4)?; // leaf K, internal K, consistency flags
                if version == 1 {
                    r.skip(4)?; // indexed storage K + reserved
                }
                r.skip(8 * 4)?; // base, free space, end of file, driver info
                let _name_off = r.u64()?;
                r.u64()?
            }
            2 | 3 => {
                let so = r.u8()?;
                let sl = r.u8()?;
                check_sizes(so, sl)?;
                r.skip(1)?; // flags
                r.skip(8 * 3)?; // base, extension, end of file
                r.u64()?
            }
            v => {
                return Err(corrupt(format!(
                    "superblock at 0x{off:x}: unknown version {v}"
                )))
            }
        };
        Ok(FileData {
            data,
            base: off as u64,
            root_addr,
            sb_version: version,
            max_read,
        })
    }

    /// `len` bytes at (relative) address `addr`.
    pub(crate) fn slice(&self, addr: u64, len: u64, what: &str) -> Result<&[u8]> {
        let r = self.range(addr, len, what)?;
        Ok(&self.data[r])
    }

    /// Absolute byte range of `len` bytes at address `addr`.
    pub(crate) fn range(&self, addr: u64, len: u64, what: &str) -> Result<Range<usize>> {
        if addr == UNDEF {
            return Err(corrupt(format!("{what}: undefined address")));
        }
        let flen = self.data.len() as u64;
        let start = self.base.checked_add(addr);
        let end = start.and_then(|s| s.checked_add(len));
        match (start, end) {
            (Some(s), Some(e)) if e <= flen => Ok(s as usize..e as usize),
            _ => Err(corrupt(format!(
                "{what}: extends past end of file (offset 0x{addr:x}, size {len}, file size {flen})"
            ))),
        }
    }

    /// A cursor from `addr` to the end of the file.
    pub(crate) fn rd(&self, addr: u64, what: &'static str) -> Result<Rd<'_>> {
        let flen = self.data.len() as u64;
        let start = self
            .base
            .checked_add(addr)
            .filter(|&s| s < flen && addr != UNDEF);
        match start {
            Some(s) => Ok(Rd::new(&self.data[s as usize..], addr, what)),
            None => Err(corrupt(format!(
                "{what} at 0x{addr:x}: address outside the file (file size {flen})"
            ))),
        }
    }

    /// Checks a 4-byte signature at `addr`.
    pub(crate) fn expect_sig(&self, addr: u64, sig: &[u8; 4], what: &str) -> Result<()> {
        let b = self.slice(addr, 4, what)?;
        if b != sig {
            return Err(corrupt(format!(
                "{what} at 0x{addr:x}: expected signature {:?}, found {:?}",
                String::from_utf8_lossy(sig),
                String::from_utf8_lossy(b)
            )));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Object headers

/// One header message: type, flags and the absolute byte range of its body.
#[derive(Clone, Debug)]
pub(crate) struct Msg {
    pub(crate) mtype: u16,
    pub(crate) flags: u8,
    pub(crate) body: Range<usize>,
}

pub(crate) const MSG_DATASPACE: u16 = 0x01;
pub(crate) const MSG_LINK_INFO: u16 = 0x02;
pub(crate) const MSG_DATATYPE: u16 = 0x03;
pub(crate) const MSG_FILL_OLD: u16 = 0x04;
pub(crate) const MSG_FILL: u16 = 0x05;
pub(crate) const MSG_LINK: u16 = 0x06;
pub(crate) const MSG_LAYOUT: u16 = 0x08;
pub(crate) const MSG_FILTERS: u16 = 0x0B;
pub(crate) const MSG_ATTRIBUTE: u16 = 0x0C;
pub(crate) const MSG_CONTINUATION: u16 = 0x10;
pub(crate) const MSG_SYMBOL_TABLE: u16 = 0x11;
pub(crate) const MSG_ATTR_INFO: u16 = 0x15;

/// A parsed object header: its address and its messages in order.
pub(crate) struct Header {
    pub(crate) addr: u64,
    pub(crate) msgs: Vec<Msg>,
}

impl Header {
    pub(crate) fn find(&self, t: u16) -> Option<&Msg> {
        self.msgs.iter().find(|m| m.mtype == t)
    }

    /// The body of the first message of type `t`, rejecting shared messages.
    pub(crate) fn body<'a>(&self, fd: &'a FileData, t: u16) -> Result<Option<&'a [u8]>> {
        match self.find(t) {
            None => Ok(None),
            Some(m) => {
                if m.flags & 0x02 != 0 {
                    return Err(unsupported(format!(
                        "object header at 0x{:x}: shared message of type 0x{t:x} (committed datatypes / shared messages)",
                        self.addr
                    )));
                }
                Ok(Some(&fd.data[m.body.clone()]))
            }
        }
    }

    pub(crate) fn read(fd: &FileData, addr: u64) -> Result<Header> {
        let first = fd.slice(addr, 4, "object header")?;
        let mut msgs = Vec::new();
        let mut visited = HashSet::new();
        // (address, length) of chunks still to parse, and whether v2
        let mut pending: Vec<(u64, u64)> = Vec::new();
        let v2 = first == b"OHDR";
        let mut crt_order = false;
        if v2 {
            let mut r = fd.rd(addr, "object header")?;
            r.skip(4)?;
            let ver = r.u8()?;
            if ver != 2 {
                return Err(corrupt(format!(
                    "object header at 0x{addr:x}: unknown version {ver}"
                )));
            }
            let flags = r.u8()?;
            if flags & 0x20 != 0 {
                r.skip(16)?;
            }
            if flags & 0x10 != 0 {
                r.skip(4)?;
            }
            crt_order = flags & 0x04 != 0;
            let size = r.uvar(1 << (flags & 3))?;
            let start = addr
                .checked_add(r.pos() as u64)
                .ok_or_else(|| corrupt(format!("object header at 0x{addr:x}: address overflow")))?;
            parse_chunk(
                fd,
                addr,
                start,
                size,
                true,
                crt_order,
                &mut msgs,
                &mut pending,
            )?;
        } else {
            let mut r = fd.rd(addr, "object header")?;
            let ver = r.u8()?;
            if ver != 1 {
                return Err(corrupt(format!(
                    "object header at 0x{addr:x}: unknown version {ver}"
                )));
            }
            r.skip(1)?;
            let _nmsgs = r.u16()?;
            let _refcount = r.u32()?;
            let size = r.u32()?;
            let start = addr
                .checked_add(16)
                .ok_or_else(|| corrupt(format!("object header at 0x{addr:x}: address overflow")))?;
            parse_chunk(
                fd,
                addr,
                start,
                u64::from(size),
                false,
                false,
                &mut msgs,
                &mut pending,
            )?;
        }
        while let Some((caddr, clen)) = pending.pop() {
            if !visited.insert(caddr) {
                return Err(corrupt(format!(
                    "object header at 0x{addr:x}: continuation block at 0x{caddr:x} visited twice (cycle)"
                )));
            }
            if visited.len() > 65_536 {
                return Err(Error::LimitExceeded(format!(
                    "object header at 0x{addr:x}: more than 65536 continuation blocks"
                )));
            }
            if v2 {
                fd.expect_sig(caddr, b"OCHK", "object header continuation block")?;
                if clen < 8 {
                    return Err(corrupt(format!(
                        "object header continuation block at 0x{caddr:x}: length {clen} too small"
                    )));
                }
                let start = caddr.checked_add(4).ok_or_else(|| {
                    corrupt(format!(
                        "object header continuation block at 0x{caddr:x}: address overflow"
                    ))
                })?;
                parse_chunk(
                    fd,
                    addr,
                    start,
                    clen - 8,
                    true,
                    crt_order,
                    &mut msgs,
                    &mut pending,
                )?;
            } else {
                parse_chunk(fd, addr, caddr, clen, false, false, &mut msgs, &mut pending)?;
            }
        }
        Ok(Header { addr, msgs })
    }
}

#[allow(clippy::too_many_arguments)]
fn parse_chunk(
    fd: &FileData,
    hdr: u64,
    start: u64,
    len: u64,
    v2: bool,
    crt_order: bool,
    msgs: &mut Vec<Msg>,
    pending: &mut Vec<(u64, u64)>,
) -> Result<()> {
    let range = fd.range(
        start,
        len,
        &format!("object header at 0x{hdr:x}: message block"),
    )?;
    let abs0 = range.start;
    let mut r = Rd::new(&fd.data[range], start, "object header message");
    let hsize = if v2 {
        4 + if crt_order { 2 } else { 0 }
    } else {
        8
    };
    while r.remaining() >= hsize {
        let (mtype, size, flags) = if v2 {
            let t = u16::from(r.u8()?);
            let s = r.u16()?;
            let f = r.u8()?;
            if crt_order {
                r.skip(2)?;
            }
            (t, s, f)
        } else {
            let t = r.u16()?;
            let s = r.u16()?;
            let f = r.u8()?;
            r.skip(3)?;
            (t, s, f)
        };
        let body_start = abs0 + r.pos();
        let body = r.bytes(usize::from(size)).map_err(|_| {
            corrupt(format!(
                "object header at 0x{hdr:x}: message of type 0x{mtype:x} with size {size} runs past its block"
            ))
        })?;
        if mtype == MSG_CONTINUATION {
            let mut b = Rd::new(body, 0, "continuation message");
            let a = b.u64()?;
            let l = b.u64()?;
            pending.push((a, l));
        } else {
            if msgs.len() >= MAX_MESSAGES {
                return Err(Error::LimitExceeded(format!(
                    "object header at 0x{hdr:x}: more than {MAX_MESSAGES} messages"
                )));
            }
            msgs.push(Msg {
                mtype,
                flags,
                body: body_start..body_start + body.len(),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Datatypes

/// A datatype this crate can decode.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Dt {
    Int { size: usize, signed: bool, be: bool },
    Float { size: usize, be: bool },
    FixedStr { size: usize, pad: u8 },
    VarStr,
    Bool,
}

impl Dt {
    pub(crate) fn size(&self) -> usize {
        match self {
            Dt::Int { size, .. } | Dt::Float { size, .. } | Dt::FixedStr { size, .. } => *size,
            Dt::VarStr => 16,
            Dt::Bool => 1,
        }
    }

    pub(crate) fn public(&self) -> crate::DType {
        use crate::DType as D;
        match *self {
            Dt::Int { size, signed, .. } => match (size, signed) {
                (1, true) => D::I8,
                (2, true) => D::I16,
                (4, true) => D::I32,
                (8, true) => D::I64,
                (1, false) => D::U8,
                (2, false) => D::U16,
                (4, false) => D::U32,
                _ => D::U64,
            },
            Dt::Float { size, .. } => match size {
                2 => D::F16,
                4 => D::F32,
                _ => D::F64,
            },
            Dt::FixedStr { size, .. } => D::FixedString(size),
            Dt::VarStr => D::VarString,
            Dt::Bool => D::Bool,
        }
    }
}

const CLASS_NAMES: [&str; 11] = [
    "fixed-point",
    "floating-point",
    "time",
    "string",
    "bitfield",
    "opaque",
    "compound",
    "reference",
    "enumerated",
    "variable-length",
    "array",
];

/// Parses a datatype message body; returns the type and the bytes used.
pub(crate) fn parse_dtype(b: &[u8], depth: usize) -> Result<(Dt, usize)> {
    if depth > 4 {
        return Err(corrupt("datatype nested too deeply"));
    }
    let mut r = Rd::new(b, 0, "datatype message");
    let cv = r.u8()?;
    let class = cv & 0x0f;
    let version = cv >> 4;
    let bf = r.bytes(3)?;
    let size = r.u32()? as usize;
    let dt = match class {
        0 => {
            r.skip(4)?;
            if !matches!(size, 1 | 2 | 4 | 8) {
                return Err(unsupported(format!("{size}-byte integer type")));
            }
            Dt::Int {
                size,
                signed: bf[0] & 0x08 != 0,
                be: bf[0] & 0x01 != 0,
            }
        }
        1 => {
            let _off = r.u16()?;
            let _prec = r.u16()?;
            let _eloc = r.u8()?;
            let esize = r.u8()?;
            let _mloc = r.u8()?;
            let msize = r.u8()?;
            let _bias = r.u32()?;
            if bf[0] & 0x40 != 0 {
                return Err(unsupported("VAX-order floating point"));
            }
            let ieee = matches!((size, esize, msize), (2, 5, 10) | (4, 8, 23) | (8, 11, 52));
            if !ieee {
                return Err(unsupported(format!(
                    "non-IEEE {size}-byte float (exponent {esize} bits, mantissa {msize} bits)"
                )));
            }
            Dt::Float {
                size,
                be: bf[0] & 0x01 != 0,
            }
        }
        3 => {
            if size == 0 {
                return Err(corrupt("fixed-length string type of size 0"));
            }
            Dt::FixedStr {
                size,
                pad: bf[0] & 0x0f,
            }
        }
        8 => {
            let n = usize::from(bf[0]) | (usize::from(bf[1]) << 8);
            let (base, used) = parse_dtype(&b[r.pos()..], depth + 1)?;
            r.skip(used)?;
            let mut names = Vec::new();
            for _ in 0..n {
                let rest = &b[r.pos()..];
                let nul = rest
                    .iter()
                    .position(|&c| c == 0)
                    .ok_or_else(|| corrupt("enum member name without terminator"))?;
                names.push(String::from_utf8_lossy(&rest[..nul]).into_owned());
                let mut len = nul + 1;
                if version < 3 {
                    len = len.div_ceil(8) * 8;
                }
                r.skip(len)?;
            }
            let bsize = base.size();
            let vals = r.bytes(
                n.checked_mul(bsize)
                    .ok_or_else(|| corrupt("enum too large"))?,
            )?;
            let is_bool = matches!(base, Dt::Int { size: 1, .. })
                && n == 2
                && names[0] == "FALSE"
                && names[1] == "TRUE"
                && vals == [0, 1];
            if is_bool {
                Dt::Bool
            } else if matches!(base, Dt::Int { .. }) {
                base
            } else {
                return Err(unsupported("enumerated type with a non-integer base"));
            }
        }
        9 => {
            if bf[0] & 0x0f != 1 {
                return Err(unsupported(
                    "variable-length sequence type (only variable-length strings are supported)",
                ));
            }
            if size != 16 {
                return Err(corrupt(format!(
                    "variable-length string type of size {size} (expected 16)"
                )));
            }
            let (_, used) = parse_dtype(&b[r.pos()..], depth + 1).unwrap_or((Dt::Bool, 0));
            r.skip(used)?;
            Dt::VarStr
        }
        c => {
            let name = CLASS_NAMES
                .get(usize::from(c))
                .copied()
                .unwrap_or("unknown");
            return Err(unsupported(format!("datatype class {c} ({name})")));
        }
    };
    Ok((dt, r.pos()))
}

// ---------------------------------------------------------------------------
// Dataspaces

/// Parses a dataspace message. `None` is the null dataspace; `Some(vec![])`
/// is a scalar.
pub(crate) fn parse_dataspace(b: &[u8]) -> Result<Option<Vec<u64>>> {
    parse_dataspace_max(b).map(|d| d.map(|(dims, _)| dims))
}

/// Like [`parse_dataspace`], also returning the maximum dimensions (equal
/// to the dimensions when the message has none; `UNDEF` = unlimited).
pub(crate) fn parse_dataspace_max(b: &[u8]) -> Result<Option<(Vec<u64>, Vec<u64>)>> {
    let mut r = Rd::new(b, 0, "dataspace message");
    let version = r.u8()?;
    let rank = usize::from(r.u8()?);
    let flags = r.u8()?;
    match version {
        1 => r.skip(5)?,
        2 => match r.u8()? {
            0 => return Ok(Some((Vec::new(), Vec::new()))),
            1 => {}
            2 => return Ok(None),
            t => return Err(corrupt(format!("dataspace message: unknown type {t}"))),
        },
        v => return Err(corrupt(format!("dataspace message: unknown version {v}"))),
    }
    if rank > 32 {
        return Err(corrupt(format!(
            "dataspace message: rank {rank} (at most 32)"
        )));
    }
    let dims = (0..rank).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
    let max = if flags & 1 != 0 {
        (0..rank).map(|_| r.u64()).collect::<Result<Vec<_>>>()?
    } else {
        dims.clone()
    };
    Ok(Some((dims, max)))
}

/// Number of elements of a shape, with overflow checking.
pub(crate) fn num_elements(dims: &[u64]) -> Result<u64> {
    dims.iter().try_fold(1u64, |a, &d| {
        a.checked_mul(d)
            .ok_or_else(|| corrupt(format!("dataspace {dims:?}: element count overflows")))
    })
}

// ---------------------------------------------------------------------------
// Data layout, filters, fill value

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

fn unshuffle(data: &[u8], es: usize) -> Vec<u8> {
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

// ---------------------------------------------------------------------------
// Groups: symbol tables (v1 B-tree + local heap + SNOD) and link messages

/// Where a link points.
#[derive(Debug, Clone)]
pub(crate) enum Link {
    Hard(u64),
    Soft(String),
    External,
}

/// Members of an old-style group, in B-tree (name) order.
pub(crate) fn symbol_table_links(fd: &FileData, body: &[u8]) -> Result<Vec<(String, Link)>> {
    let mut r = Rd::new(body, 0, "symbol table message");
    let btree = r.u64()?;
    let heap = r.u64()?;
    fd.expect_sig(heap, b"HEAP", "local heap")?;
    let mut h = fd.rd(heap, "local heap")?;
    h.skip(8)?;
    let dsize = h.u64()?;
    let _free = h.u64()?;
    let daddr = h.u64()?;
    let hdata = fd.slice(daddr, dsize, "local heap data segment")?;
    let mut snods = Vec::new();
    let mut visited = HashSet::new();
    btree_v1_walk(fd, btree, 0, None, &mut visited, &mut |_, child| {
        snods.push(child);
        Ok(())
    })?;
    let mut out = Vec::new();
    for s in snods {
        fd.expect_sig(s, b"SNOD", "symbol table node")?;
        let mut r = fd.rd(s, "symbol table node")?;
        r.skip(4)?;
        let ver = r.u8()?;
        if ver != 1 {
            return Err(corrupt(format!(
                "symbol table node at 0x{s:x}: unknown version {ver}"
            )));
        }
        r.skip(1)?;
        let n = r.u16()?;
        for _ in 0..n {
            let name_off = r.u64()?;
            let addr = r.u64()?;
            let cache = r.u32()?;
            r.skip(4)?;
            let scratch = r.bytes(16)?;
            let name = heap_string(hdata, name_off, daddr)?;
            let link = if cache == 2 {
                let off = u64::from(u32::from_le_bytes([
                    scratch[0], scratch[1], scratch[2], scratch[3],
                ]));
                Link::Soft(heap_string(hdata, off, daddr)?)
            } else {
                Link::Hard(addr)
            };
            out.push((name, link));
        }
    }
    Ok(out)
}

fn heap_string(hdata: &[u8], off: u64, daddr: u64) -> Result<String> {
    let rest = usize::try_from(off)
        .ok()
        .and_then(|o| hdata.get(o..))
        .ok_or_else(|| {
            corrupt(format!(
                "local heap at 0x{daddr:x}: name offset {off} outside the data segment ({} bytes)",
                hdata.len()
            ))
        })?;
    let nul = rest.iter().position(|&c| c == 0).ok_or_else(|| {
        corrupt(format!(
            "local heap at 0x{daddr:x}: name at offset {off} is not terminated"
        ))
    })?;
    Ok(String::from_utf8_lossy(&rest[..nul]).into_owned())
}

/// Walks a version-1 B-tree, calling `leaf(key, child)` for every child
/// of every level-0 node. For chunk trees (`node type 1`) the key is the raw
/// key bytes; `ndims` is the key dimensionality (chunk trees only).
pub(crate) fn btree_v1_walk(
    fd: &FileData,
    addr: u64,
    ntype: u8,
    ndims: Option<usize>,
    visited: &mut HashSet<u64>,
    leaf: &mut dyn FnMut(&[u8], u64) -> Result<()>,
) -> Result<()> {
    btree_v1_node(fd, addr, ntype, ndims, None, 0, visited, leaf)
}

#[allow(clippy::too_many_arguments)]
fn btree_v1_node(
    fd: &FileData,
    addr: u64,
    ntype: u8,
    ndims: Option<usize>,
    expect_level: Option<u8>,
    depth: usize,
    visited: &mut HashSet<u64>,
    leaf: &mut dyn FnMut(&[u8], u64) -> Result<()>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::LimitExceeded(format!(
            "B-tree at 0x{addr:x}: deeper than {MAX_DEPTH} levels"
        )));
    }
    if !visited.insert(addr) {
        return Err(corrupt(format!(
            "B-tree node at 0x{addr:x} visited twice (cycle)"
        )));
    }
    if visited.len() > MAX_NODES {
        return Err(Error::LimitExceeded(format!(
            "B-tree: more than {MAX_NODES} nodes"
        )));
    }
    fd.expect_sig(addr, b"TREE", "B-tree node")?;
    let mut r = fd.rd(addr, "B-tree node")?;
    r.skip(4)?;
    let t = r.u8()?;
    if t != ntype {
        return Err(corrupt(format!(
            "B-tree node at 0x{addr:x}: node type {t}, expected {ntype}"
        )));
    }
    let level = r.u8()?;
    if let Some(l) = expect_level
        && l != level
    {
        return Err(corrupt(format!(
            "B-tree node at 0x{addr:x}: level {level}, expected {l}"
        )));
    }
    let entries = r.u16()?;
    r.skip(16)?;
    let key_size = match ndims {
        None => 8,
        Some(n) => 8 + 8 * n,
    };
    for _ in 0..entries {
        let key = r.bytes(key_size)?;
        let child = r.u64()?;
        if level == 0 {
            leaf(key, child)?;
        } else {
            btree_v1_node(
                fd,
                child,
                ntype,
                ndims,
                Some(level - 1),
                depth + 1,
                visited,
                leaf,
            )?;
        }
    }
    Ok(())
}

pub(crate) fn parse_link(b: &[u8]) -> Result<(String, Link)> {
    let mut r = Rd::new(b, 0, "link message");
    let version = r.u8()?;
    if version != 1 {
        return Err(corrupt(format!("link message: unknown version {version}")));
    }
    let flags = r.u8()?;
    let ltype = if flags & 0x08 != 0 { r.u8()? } else { 0 };
    if flags & 0x04 != 0 {
        r.skip(8)?;
    }
    if flags & 0x10 != 0 {
        r.skip(1)?;
    }
    let nlen = r.uvar(1 << (flags & 3))?;
    let nlen = usize::try_from(nlen).map_err(|_| corrupt("link message: name too long"))?;
    let name = String::from_utf8_lossy(r.bytes(nlen)?).into_owned();
    let link = match ltype {
        0 => Link::Hard(r.u64()?),
        1 => {
            let l = usize::from(r.u16()?);
            Link::Soft(String::from_utf8_lossy(r.bytes(l)?).into_owned())
        }
        64 => Link::External,
        t => return Err(unsupported(format!("link type {t} for link '{name}'"))),
    };
    Ok((name, link))
}

// ---------------------------------------------------------------------------
// Attributes

/// An attribute message split into its parts (not yet decoded).
pub(crate) struct RawAttr<'a> {
    pub(crate) name: String,
    pub(crate) dtype: &'a [u8],
    pub(crate) space: &'a [u8],
    pub(crate) data: &'a [u8],
}

pub(crate) fn parse_attr(b: &[u8]) -> Result<RawAttr<'_>> {
    let mut r = Rd::new(b, 0, "attribute message");
    let version = r.u8()?;
    let flags = r.u8()?;
    let nsize = usize::from(r.u16()?);
    let dsize = usize::from(r.u16()?);
    let ssize = usize::from(r.u16()?);
    let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
    match version {
        1 => {}
        2 => {}
        3 => {
            r.skip(1)?;
        }
        v => return Err(corrupt(format!("attribute message: unknown version {v}"))),
    }
    if version > 1 && flags & 0x03 != 0 {
        return Err(unsupported("attribute with a shared datatype or dataspace"));
    }
    let name_b = r.bytes(pad(nsize))?;
    let name_b = &name_b[..nsize.min(name_b.len())];
    let end = name_b.iter().position(|&c| c == 0).unwrap_or(name_b.len());
    let name = String::from_utf8_lossy(&name_b[..end]).into_owned();
    let dtype = &r.bytes(pad(dsize))?[..dsize];
    let space = &r.bytes(pad(ssize))?[..ssize];
    let data = &b[r.pos()..];
    Ok(RawAttr {
        name,
        dtype,
        space,
        data,
    })
}

// ---------------------------------------------------------------------------
// Global heap (variable-length data)

/// Cache of parsed global heap collections: address -> (index -> body range).
#[derive(Default)]
pub(crate) struct GlobalHeaps {
    cols: HashMap<u64, HashMap<u16, Range<usize>>>,
}

impl GlobalHeaps {
    /// The bytes of object `index` in the collection at `addr`.
    pub(crate) fn get<'a>(&mut self, fd: &'a FileData, addr: u64, index: u32) -> Result<&'a [u8]> {
        if !self.cols.contains_key(&addr) {
            if self.cols.len() > 100_000 {
                return Err(Error::LimitExceeded(
                    "more than 100000 global heap collections".into(),
                ));
            }
            let col = parse_gcol(fd, addr)?;
            self.cols.insert(addr, col);
        }
        let col = &self.cols[&addr];
        let idx = u16::try_from(index)
            .ok()
            .and_then(|i| col.get(&i))
            .ok_or_else(|| {
                corrupt(format!(
                    "global heap collection at 0x{addr:x}: no object with index {index}"
                ))
            })?;
        Ok(&fd.data[idx.clone()])
    }
}

fn parse_gcol(fd: &FileData, addr: u64) -> Result<HashMap<u16, Range<usize>>> {
    fd.expect_sig(addr, b"GCOL", "global heap collection")?;
    let mut h = fd.rd(addr, "global heap collection")?;
    h.skip(4)?;
    let ver = h.u8()?;
    if ver != 1 {
        return Err(corrupt(format!(
            "global heap collection at 0x{addr:x}: unknown version {ver}"
        )));
    }
    h.skip(3)?;
    let size = h.u64()?;
    if size < 16 {
        return Err(corrupt(format!(
            "global heap collection at 0x{addr:x}: size {size} too small"
        )));
    }
    let range = fd.range(addr, size, "global heap collection")?;
    let abs0 = range.start;
    let mut r = Rd::new(&fd.data[range], addr, "global heap collection");
    r.skip(16)?;
    let mut out = HashMap::new();
    while r.remaining() >= 16 {
        let idx = r.u16()?;
        if idx == 0 {
            break;
        }
        r.skip(6)?;
        let osize =
            usize::try_from(r.u64()?).map_err(|_| corrupt("global heap object too large"))?;
        let start = abs0 + r.pos();
        r.skip(osize)?;
        out.insert(idx, start..start + osize);
        if r.align(8).is_err() {
            break;
        }
    }
    Ok(out)
}
