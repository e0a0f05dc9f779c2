//! Reading dataset and attribute payloads and converting elements.

use std::collections::HashSet;

use crate::bytes::{le_uint, Rd};
use crate::error::{corrupt, Error, Result};
use crate::format::{
    btree_v1_walk, num_elements, parse_dataspace, parse_dataspace_max, parse_dtype, parse_fill,
    parse_filters, parse_layout, unfilter, Dt, FileData, Filter, GlobalHeaps, Header, Layout,
    MSG_DATASPACE, MSG_DATATYPE, MSG_FILL, MSG_FILL_OLD, MSG_FILTERS, MSG_LAYOUT, UNDEF,
};
use crate::value::f16_to_f32;
use crate::AttrValue;

/// Everything needed to read a dataset, parsed from its object header.
pub(crate) struct DatasetInfo {
    pub(crate) dt: Dt,
    /// `None` for a null dataspace.
    pub(crate) dims: Option<Vec<u64>>,
    /// Maximum dimensions (`UNDEF` = unlimited).
    pub(crate) maxdims: Vec<u64>,
    pub(crate) layout: Layout,
    pub(crate) filters: Vec<Filter>,
    pub(crate) fill: Option<Vec<u8>>,
}

impl DatasetInfo {
    pub(crate) fn parse(fd: &FileData, h: &Header) -> Result<DatasetInfo> {
        let at = h.addr;
        let ds = h.body(fd, MSG_DATASPACE)?.ok_or_else(|| {
            corrupt(format!(
                "dataset object header at 0x{at:x}: no dataspace message"
            ))
        })?;
        let (dims, maxdims) = match parse_dataspace_max(ds)? {
            Some((d, m)) => (Some(d), m),
            None => (None, Vec::new()),
        };
        let dtb = h.body(fd, MSG_DATATYPE)?.ok_or_else(|| {
            corrupt(format!(
                "dataset object header at 0x{at:x}: no datatype message"
            ))
        })?;
        let (dt, _) = parse_dtype(dtb, 0)?;
        let lm = h.find(MSG_LAYOUT).ok_or_else(|| {
            corrupt(format!(
                "dataset object header at 0x{at:x}: no data layout message"
            ))
        })?;
        let layout = parse_layout(fd, lm)?;
        let filters = match h.body(fd, MSG_FILTERS)? {
            Some(b) => parse_filters(b)?,
            None => Vec::new(),
        };
        let fill = match h.body(fd, MSG_FILL)? {
            Some(b) => parse_fill(b, false)?,
            None => match h.body(fd, MSG_FILL_OLD)? {
                Some(b) => parse_fill(b, true)?,
                None => None,
            },
        };
        let fill = fill.filter(|f| f.len() == dt.size() && f.iter().any(|&c| c != 0));
        Ok(DatasetInfo {
            dt,
            dims,
            maxdims,
            layout,
            filters,
            fill,
        })
    }

    /// Reads all elements as raw bytes (file byte order), C order.
    pub(crate) fn read_bytes(&self, fd: &FileData) -> Result<Vec<u8>> {
        let dims = match &self.dims {
            None => return Ok(Vec::new()),
            Some(d) => d.clone(),
        };
        let elem = self.dt.size();
        let n = num_elements(&dims)?;
        let total = n
            .checked_mul(elem as u64)
            .ok_or_else(|| corrupt(format!("dataset of shape {dims:?}: byte size overflows")))?;
        if total > fd.max_read {
            return Err(Error::LimitExceeded(format!(
                "dataset of shape {dims:?} needs {total} bytes, more than the read limit of {} bytes",
                fd.max_read
            )));
        }
        if total == 0 {
            return Ok(Vec::new());
        }
        let flen = fd.data.len() as u64;
        match &self.layout {
            Layout::Compact(r) => {
                if (r.len() as u64) < total {
                    return Err(corrupt(format!(
                        "compact data of {} bytes, but shape {dims:?} needs {total}",
                        r.len()
                    )));
                }
                Ok(fd.data[r.start..r.start + total as usize].to_vec())
            }
            Layout::Contiguous { addr } => {
                if *addr == UNDEF {
                    return Ok(self.filled(total as usize));
                }
                if total > flen {
                    return Err(corrupt(format!(
                        "data extends past end of file (offset 0x{addr:x}, size {total}, file size {flen})"
                    )));
                }
                Ok(fd.slice(*addr, total, "contiguous data")?.to_vec())
            }
            Layout::ChunkedBtree { addr, chunk } => {
                let chunk = check_chunk(chunk, &dims)?;
                let mut out = self.filled(total as usize);
                if *addr == UNDEF {
                    return Ok(out);
                }
                let mut visited = HashSet::new();
                let rank = dims.len();
                let grid: Vec<u64> = dims
                    .iter()
                    .zip(&chunk)
                    .map(|(d, c)| d.div_ceil(*c))
                    .collect();
                let max_chunks = num_elements(&grid)?;
                let mut seen = 0u64;
                btree_v1_walk(
                    fd,
                    *addr,
                    1,
                    Some(rank + 1),
                    &mut visited,
                    &mut |key, child| {
                        seen += 1;
                        if seen > max_chunks {
                            return Err(corrupt(format!(
                            "chunk B-tree at 0x{addr:x}: more chunks than the {max_chunks} of the chunk grid"
                        )));
                        }
                        let mut r = Rd::new(key, 0, "chunk B-tree key");
                        let size = r.u32()?;
                        let mask = r.u32()?;
                        let offs = (0..rank).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
                        self.place_chunk(
                            fd,
                            &dims,
                            &chunk,
                            &offs,
                            child,
                            u64::from(size),
                            mask,
                            &mut out,
                        )
                    },
                )?;
                Ok(out)
            }
            Layout::SingleChunk {
                addr,
                chunk,
                filtered_size,
                mask,
            } => {
                let chunk = check_chunk(chunk, &dims)?;
                let mut out = self.filled(total as usize);
                if *addr == UNDEF {
                    return Ok(out);
                }
                let csize = match filtered_size {
                    Some(s) => *s,
                    None => chunk_bytes(&chunk, elem)?,
                };
                let zero = vec![0; dims.len()];
                self.place_chunk(fd, &dims, &chunk, &zero, *addr, csize, *mask, &mut out)?;
                Ok(out)
            }
            Layout::Implicit { addr, chunk } => {
                let chunk = check_chunk(chunk, &dims)?;
                let mut out = self.filled(total as usize);
                if *addr == UNDEF {
                    return Ok(out);
                }
                let cb = chunk_bytes(&chunk, elem)?;
                let grid: Vec<u64> = dims
                    .iter()
                    .zip(&chunk)
                    .map(|(d, c)| d.div_ceil(*c))
                    .collect();
                let nchunks = num_elements(&grid)?;
                for i in 0..nchunks {
                    let offs = grid_offsets(i, &grid, &chunk);
                    let a = i
                        .checked_mul(cb)
                        .and_then(|o| o.checked_add(*addr))
                        .ok_or_else(|| corrupt("implicit chunk index: address overflow"))?;
                    self.place_chunk(fd, &dims, &chunk, &offs, a, cb, 0, &mut out)?;
                }
                Ok(out)
            }
            Layout::ExtensibleArray { addr, chunk } => {
                let chunk = check_chunk(chunk, &dims)?;
                let mut out = self.filled(total as usize);
                if *addr != UNDEF {
                    self.read_extensible(fd, *addr, &dims, &chunk, &mut out)?;
                }
                Ok(out)
            }
            Layout::FixedArray { addr, chunk } => {
                let chunk = check_chunk(chunk, &dims)?;
                let mut out = self.filled(total as usize);
                if *addr == UNDEF {
                    return Ok(out);
                }
                let grid: Vec<u64> = dims
                    .iter()
                    .zip(&chunk)
                    .map(|(d, c)| d.div_ceil(*c))
                    .collect();
                let nchunks = num_elements(&grid)?;
                let entries = fixed_array_entries(fd, *addr, !self.filters.is_empty(), nchunks)?;
                let cb = chunk_bytes(&chunk, elem)?;
                for (i, (a, size, mask)) in entries.into_iter().enumerate() {
                    if a == UNDEF {
                        continue;
                    }
                    let offs = grid_offsets(i as u64, &grid, &chunk);
                    self.place_chunk(
                        fd,
                        &dims,
                        &chunk,
                        &offs,
                        a,
                        size.unwrap_or(cb),
                        mask,
                        &mut out,
                    )?;
                }
                Ok(out)
            }
        }
    }

    /// Chunks of an extensible-array index. Elements are numbered in C
    /// order over the chunk grid of the maximum dimensions, the unlimited
    /// one (which must be the first) varying slowest.
    fn read_extensible(
        &self,
        fd: &FileData,
        addr: u64,
        dims: &[u64],
        chunk: &[u64],
        out: &mut [u8],
    ) -> Result<()> {
        let elem = self.dt.size();
        let rank = dims.len();
        let unlimited: Vec<usize> = (0..rank)
            .filter(|&d| self.maxdims.get(d) == Some(&UNDEF))
            .collect();
        if unlimited.iter().any(|&d| d != 0) {
            return Err(crate::error::unsupported(
                "extensible array chunk index with an unlimited dimension other than the first",
            ));
        }
        // chunk counts used for numbering: actual for dim 0, maximum otherwise
        let mut grid: Vec<u64> = Vec::with_capacity(rank);
        for d in 0..rank {
            let extent = if d == 0 {
                dims[0]
            } else {
                self.maxdims.get(d).copied().unwrap_or(dims[d]).max(dims[d])
            };
            grid.push(extent.div_ceil(chunk[d]));
        }
        let nchunks = num_elements(&grid)?;
        let entries = extensible_array_entries(fd, addr, !self.filters.is_empty(), nchunks)?;
        let cb = chunk_bytes(chunk, elem)?;
        for (i, (a, size, mask)) in entries.into_iter().enumerate() {
            if a == UNDEF {
                continue;
            }
            let offs = grid_offsets(i as u64, &grid, chunk);
            if offs.iter().zip(dims).any(|(o, d)| o >= d) {
                continue; // a chunk beyond the current extent of a resizable dim
            }
            self.place_chunk(fd, dims, chunk, &offs, a, size.unwrap_or(cb), mask, out)?;
        }
        Ok(())
    }

    fn filled(&self, total: usize) -> Vec<u8> {
        match &self.fill {
            Some(f) => f.iter().copied().cycle().take(total).collect(),
            None => vec![0; total],
        }
    }

    /// Decodes one chunk at `addr` (stored size `size`) whose first element is
    /// at `offs`, and copies the part inside the dataset into `out`.
    #[allow(clippy::too_many_arguments)]
    fn place_chunk(
        &self,
        fd: &FileData,
        dims: &[u64],
        chunk: &[u64],
        offs: &[u64],
        addr: u64,
        size: u64,
        mask: u32,
        out: &mut [u8],
    ) -> Result<()> {
        let elem = self.dt.size();
        if offs.iter().zip(dims).any(|(o, d)| o >= d) {
            return Err(corrupt(format!(
                "chunk at 0x{addr:x}: offset {offs:?} outside the dataset shape {dims:?}"
            )));
        }
        let expected = chunk_bytes(chunk, elem)?;
        if expected > fd.max_read {
            return Err(Error::LimitExceeded(format!(
                "chunk of {expected} bytes exceeds the read limit"
            )));
        }
        let raw = fd.slice(addr, size, "chunk data")?.to_vec();
        let data = if self.filters.is_empty() {
            raw
        } else {
            unfilter(&self.filters, mask, raw, expected as usize, elem)?
        };
        if (data.len() as u64) < expected {
            return Err(corrupt(format!(
                "chunk at 0x{addr:x}: {} bytes after decoding, expected {expected}",
                data.len()
            )));
        }
        copy_chunk(&data, chunk, offs, dims, elem, out);
        Ok(())
    }
}

fn check_chunk(chunk: &[u64], dims: &[u64]) -> Result<Vec<u64>> {
    if chunk.len() != dims.len() || chunk.contains(&0) {
        return Err(corrupt(format!(
            "chunk shape {chunk:?} does not fit dataset shape {dims:?}"
        )));
    }
    Ok(chunk.to_vec())
}

fn chunk_bytes(chunk: &[u64], elem: usize) -> Result<u64> {
    num_elements(chunk)?
        .checked_mul(elem as u64)
        .ok_or_else(|| corrupt(format!("chunk shape {chunk:?}: byte size overflows")))
}

/// Element offsets of chunk number `i` in a row-major chunk grid.
fn grid_offsets(mut i: u64, grid: &[u64], chunk: &[u64]) -> Vec<u64> {
    let mut offs = vec![0; grid.len()];
    for d in (0..grid.len()).rev() {
        offs[d] = (i % grid[d]) * chunk[d];
        i /= grid[d];
    }
    offs
}

/// Copies the in-bounds part of a decoded chunk into the output array.
fn copy_chunk(data: &[u8], chunk: &[u64], offs: &[u64], dims: &[u64], elem: usize, out: &mut [u8]) {
    let rank = dims.len();
    // extent of the chunk inside the dataset, per dimension
    let ext: Vec<u64> = (0..rank).map(|d| chunk[d].min(dims[d] - offs[d])).collect();
    if ext.contains(&0) {
        return;
    }
    let row = ext[rank - 1] as usize * elem;
    let mut idx = vec![0u64; rank];
    loop {
        // source and destination element indices of idx (with last dim 0)
        let mut src = 0u64;
        let mut dst = 0u64;
        for d in 0..rank {
            src = src * chunk[d] + idx[d];
            dst = dst * dims[d] + offs[d] + idx[d];
        }
        let s = src as usize * elem;
        let t = dst as usize * elem;
        out[t..t + row].copy_from_slice(&data[s..s + row]);
        // advance all but the last dimension
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < ext[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Entries (address, filtered size, filter mask) of a fixed-array chunk index.
fn fixed_array_entries(
    fd: &FileData,
    addr: u64,
    filtered: bool,
    nchunks: u64,
) -> Result<Vec<(u64, Option<u64>, u32)>> {
    fd.expect_sig(addr, b"FAHD", "fixed array header")?;
    let mut r = fd.rd(addr, "fixed array header")?;
    r.skip(4)?;
    let ver = r.u8()?;
    if ver != 0 {
        return Err(corrupt(format!(
            "fixed array header at 0x{addr:x}: unknown version {ver}"
        )));
    }
    let _client = r.u8()?;
    let esize = usize::from(r.u8()?);
    let page_bits = r.u8()?;
    let max = r.u64()?;
    let dblock = r.u64()?;
    if max != nchunks {
        return Err(corrupt(format!(
            "fixed array header at 0x{addr:x}: {max} entries for {nchunks} chunks"
        )));
    }
    if page_bits < 64 && max > (1u64 << page_bits) {
        return Err(crate::error::unsupported(
            "paged fixed array chunk index (more than 2^page_bits chunks)",
        ));
    }
    let min_esize = if filtered { 8 + 1 + 4 } else { 8 };
    if esize < min_esize {
        return Err(corrupt(format!(
            "fixed array header at 0x{addr:x}: entry size {esize}"
        )));
    }
    fd.expect_sig(dblock, b"FADB", "fixed array data block")?;
    let mut d = fd.rd(dblock, "fixed array data block")?;
    d.skip(4 + 1 + 1 + 8)?;
    let total = max
        .checked_mul(esize as u64)
        .filter(|&t| t <= d.remaining() as u64)
        .ok_or_else(|| {
            corrupt(format!(
                "fixed array data block at 0x{dblock:x}: runs past end of file"
            ))
        })?;
    let _ = total;
    let mut out = Vec::with_capacity(max as usize);
    for _ in 0..max {
        let e = d.bytes(esize)?;
        let a = le_uint(&e[..8]);
        if filtered {
            let size = le_uint(&e[8..esize - 4]);
            let mask = u32::from_le_bytes([e[esize - 4], e[esize - 3], e[esize - 2], e[esize - 1]]);
            out.push((a, Some(size), mask));
        } else {
            out.push((a, None, 0));
        }
    }
    Ok(out)
}

/// Decodes one chunk-index element (address, filtered size, filter mask).
fn index_entry(e: &[u8], filtered: bool) -> (u64, Option<u64>, u32) {
    let a = le_uint(&e[..8]);
    if filtered {
        let n = e.len();
        let size = le_uint(&e[8..n - 4]);
        let mask = u32::from_le_bytes([e[n - 4], e[n - 3], e[n - 2], e[n - 1]]);
        (a, Some(size), mask)
    } else {
        (a, None, 0)
    }
}

/// Entries of an extensible-array chunk index, up to `nchunks` of them:
/// those in the index block, then those in the data blocks it points to.
/// Super blocks (very large arrays) and paged data blocks are unsupported.
fn extensible_array_entries(
    fd: &FileData,
    addr: u64,
    filtered: bool,
    nchunks: u64,
) -> Result<Vec<(u64, Option<u64>, u32)>> {
    fd.expect_sig(addr, b"EAHD", "extensible array header")?;
    let mut r = fd.rd(addr, "extensible array header")?;
    r.skip(4)?;
    let ver = r.u8()?;
    if ver != 0 {
        return Err(corrupt(format!(
            "extensible array header at 0x{addr:x}: unknown version {ver}"
        )));
    }
    let _client = r.u8()?;
    let esize = usize::from(r.u8()?);
    let max_bits = r.u8()?;
    let iblock_elems = u64::from(r.u8()?);
    let dblock_min = u64::from(r.u8()?);
    let sblock_min_ptrs = u64::from(r.u8()?);
    let page_bits = r.u8()?;
    r.skip(8 * 6)?;
    let iblock = r.u64()?;
    let min_esize = if filtered { 8 + 1 + 4 } else { 8 };
    if esize < min_esize || max_bits == 0 || max_bits > 64 || dblock_min == 0 {
        return Err(corrupt(format!(
            "extensible array header at 0x{addr:x}: bad parameters"
        )));
    }
    let mut out = Vec::new();
    if iblock == UNDEF {
        return Ok(out);
    }
    fd.expect_sig(iblock, b"EAIB", "extensible array index block")?;
    let mut ib = fd.rd(iblock, "extensible array index block")?;
    ib.skip(4 + 1 + 1 + 8)?;
    for _ in 0..iblock_elems {
        let e = ib.bytes(esize)?;
        if (out.len() as u64) < nchunks {
            out.push(index_entry(e, filtered));
        }
    }
    let ndblocks = 2 * sblock_min_ptrs.saturating_sub(1);
    let off_bytes = usize::from(max_bits).div_ceil(8);
    // super block u holds 2^(u/2) data blocks of 2^((u+1)/2) * min elements
    let mut u = 0u32;
    let mut left_in_sblock = 1u64;
    for _ in 0..ndblocks {
        let dblock = ib.u64()?;
        let nelems = dblock_min
            .checked_shl(u.div_ceil(2))
            .ok_or_else(|| corrupt("extensible array: data block too large"))?;
        left_in_sblock -= 1;
        if left_in_sblock == 0 {
            u += 1;
            left_in_sblock = 1u64 << (u / 2);
        }
        if (out.len() as u64) >= nchunks {
            continue;
        }
        if dblock == UNDEF {
            for _ in 0..nelems.min(nchunks - out.len() as u64) {
                out.push((UNDEF, None, 0));
            }
            continue;
        }
        if page_bits < 64 && nelems > (1u64 << page_bits) {
            return Err(crate::error::unsupported(
                "paged extensible array data block",
            ));
        }
        fd.expect_sig(dblock, b"EADB", "extensible array data block")?;
        let mut db = fd.rd(dblock, "extensible array data block")?;
        db.skip(4 + 1 + 1 + 8 + off_bytes)?;
        for _ in 0..nelems {
            if (out.len() as u64) >= nchunks {
                break;
            }
            out.push(index_entry(db.bytes(esize)?, filtered));
        }
    }
    if (out.len() as u64) < nchunks {
        // the rest would be in super blocks
        for _ in 0..64 {
            if ib.remaining() < 8 {
                break;
            }
            if ib.u64()? != UNDEF {
                return Err(crate::error::unsupported(
                    "extensible array super blocks (very large resizable datasets)",
                ));
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Element conversion

fn elem_bytes<const N: usize>(b: &[u8], be: bool) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    if be {
        a.reverse();
    }
    a
}

/// One numeric element as f64 (integers convert with `as`).
fn to_f64(dt: &Dt, b: &[u8]) -> Option<f64> {
    Some(match *dt {
        Dt::Float { size: 2, be } => f64::from(f16_to_f32(u16::from_le_bytes(elem_bytes(b, be)))),
        Dt::Float { size: 4, be } => f64::from(f32::from_le_bytes(elem_bytes(b, be))),
        Dt::Float { be, .. } => f64::from_le_bytes(elem_bytes(b, be)),
        Dt::Int { .. } | Dt::Bool => match to_int(dt, b)? {
            IntVal::S(v) => v as f64,
            IntVal::U(v) => v as f64,
        },
        _ => return None,
    })
}

fn to_f32(dt: &Dt, b: &[u8]) -> Option<f32> {
    match *dt {
        Dt::Float { size: 2, be } => Some(f16_to_f32(u16::from_le_bytes(elem_bytes(b, be)))),
        Dt::Float { size: 4, be } => Some(f32::from_le_bytes(elem_bytes(b, be))),
        _ => to_f64(dt, b).map(|v| v as f32),
    }
}

enum IntVal {
    S(i64),
    U(u64),
}

fn to_int(dt: &Dt, b: &[u8]) -> Option<IntVal> {
    match *dt {
        Dt::Bool => Some(IntVal::S(i64::from(b[0] != 0))),
        Dt::Int { size, signed, be } => {
            let mut v = [0u8; 8];
            v[..size].copy_from_slice(&b[..size]);
            if be {
                v[..size].reverse();
            }
            let u = u64::from_le_bytes(v);
            if signed {
                let shift = 64 - 8 * size as u32;
                Some(IntVal::S(((u << shift) as i64) >> shift))
            } else {
                Some(IntVal::U(u))
            }
        }
        _ => None,
    }
}

fn type_name(dt: &Dt) -> String {
    format!("{:?}", dt.public())
}

pub(crate) fn convert_f64(dt: &Dt, raw: &[u8]) -> Result<Vec<f64>> {
    let es = dt.size();
    raw.chunks_exact(es)
        .map(|b| to_f64(dt, b).ok_or_else(|| mismatch(dt, "f64")))
        .collect()
}

pub(crate) fn convert_f32(dt: &Dt, raw: &[u8]) -> Result<Vec<f32>> {
    let es = dt.size();
    raw.chunks_exact(es)
        .map(|b| to_f32(dt, b).ok_or_else(|| mismatch(dt, "f32")))
        .collect()
}

pub(crate) fn convert_i64(dt: &Dt, raw: &[u8]) -> Result<Vec<i64>> {
    let es = dt.size();
    raw.chunks_exact(es)
        .map(|b| match to_int(dt, b) {
            Some(IntVal::S(v)) => Ok(v),
            Some(IntVal::U(v)) => i64::try_from(v)
                .map_err(|_| Error::TypeMismatch(format!("value {v} does not fit in i64"))),
            None => Err(mismatch(dt, "i64")),
        })
        .collect()
}

fn mismatch(dt: &Dt, want: &str) -> Error {
    Error::TypeMismatch(format!(
        "cannot read elements of type {} as {want}",
        type_name(dt)
    ))
}

pub(crate) fn convert_strings(fd: &FileData, dt: &Dt, raw: &[u8]) -> Result<Vec<String>> {
    match *dt {
        Dt::FixedStr { size, pad } => Ok(raw
            .chunks_exact(size)
            .map(|b| {
                let b = match pad {
                    0 => &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())],
                    2 => {
                        let end = b
                            .iter()
                            .rposition(|&c| c != b' ' && c != 0)
                            .map_or(0, |p| p + 1);
                        &b[..end]
                    }
                    _ => {
                        let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
                        &b[..end]
                    }
                };
                String::from_utf8_lossy(b).into_owned()
            })
            .collect()),
        Dt::VarStr => {
            let mut heaps = GlobalHeaps::default();
            raw.chunks_exact(16)
                .map(|b| {
                    let len = le_uint(&b[0..4]);
                    let addr = le_uint(&b[4..12]);
                    let idx = le_uint(&b[12..16]) as u32;
                    if len == 0 && (addr == 0 || addr == UNDEF || idx == 0) {
                        return Ok(String::new());
                    }
                    let obj = heaps.get(fd, addr, idx)?;
                    let s = usize::try_from(len)
                        .ok()
                        .and_then(|l| obj.get(..l))
                        .ok_or_else(|| {
                            corrupt(format!(
                                "variable-length string of {len} bytes, but its global heap object has {}",
                                obj.len()
                            ))
                        })?;
                    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
                    Ok(String::from_utf8_lossy(&s[..end]).into_owned())
                })
                .collect()
        }
        _ => Err(mismatch(dt, "strings")),
    }
}

/// Decodes an attribute payload into an [`AttrValue`].
pub(crate) fn attr_value(
    fd: &FileData,
    dtb: &[u8],
    space: &[u8],
    data: &[u8],
) -> Result<AttrValue> {
    let (dt, _) = parse_dtype(dtb, 0)?;
    let dims = match parse_dataspace(space)? {
        None => return Ok(AttrValue::Empty),
        Some(d) => d,
    };
    let n = num_elements(&dims)?;
    let total = n
        .checked_mul(dt.size() as u64)
        .ok_or_else(|| corrupt("attribute size overflows"))?;
    if total > data.len() as u64 {
        return Err(corrupt(format!(
            "attribute of shape {dims:?} needs {total} bytes, but its message holds {}",
            data.len()
        )));
    }
    let raw = &data[..total as usize];
    let scalar = dims.is_empty();
    Ok(match dt {
        Dt::FixedStr { .. } | Dt::VarStr => {
            let mut v = convert_strings(fd, &dt, raw)?;
            if scalar {
                AttrValue::String(v.pop().unwrap_or_default())
            } else {
                AttrValue::Strings(v)
            }
        }
        Dt::Bool => {
            let v: Vec<bool> = raw.iter().map(|&b| b != 0).collect();
            if scalar {
                AttrValue::Bool(v.first().copied().unwrap_or(false))
            } else {
                AttrValue::Bools(v)
            }
        }
        Dt::Int { .. } => {
            let v = convert_i64(&dt, raw)?;
            if scalar {
                AttrValue::Int(v.first().copied().unwrap_or(0))
            } else {
                AttrValue::Ints(v)
            }
        }
        Dt::Float { .. } => {
            let v = convert_f64(&dt, raw)?;
            if scalar {
                AttrValue::Float(v.first().copied().unwrap_or(0.0))
            } else {
                AttrValue::Floats(v)
            }
        }
    })
}

/// The data type of an attribute (for callers that need the exact width).
pub(crate) fn attr_dtype(dtb: &[u8]) -> Result<Dt> {
    parse_dtype(dtb, 0).map(|(d, _)| d)
}
