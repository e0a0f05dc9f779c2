//! Dense link and attribute storage: a fractal heap holding the encoded
//! messages, indexed by a version-2 B-tree keyed by name hash.

use std::collections::HashSet;

use crate::bytes::{le_uint, Rd};
use crate::error::{corrupt, unsupported, Error, Result};
use crate::format::{FileData, MAX_DEPTH, MAX_NODES, UNDEF};

/// floor(log2(n)) for n > 0.
fn log2(n: u64) -> u32 {
    63 - n.max(1).leading_zeros()
}

/// Bytes needed to encode values up to `n` (libhdf5's "limit encode size").
fn enc_size(n: u64) -> usize {
    (log2(n) / 8 + 1) as usize
}

struct Heap {
    addr: u64,
    id_len: usize,
    off_bytes: usize,
    len_bytes: usize,
    /// (heap offset, block size, file address) of every direct block.
    blocks: Vec<(u64, u64, u64)>,
}

impl Heap {
    fn parse(fd: &FileData, addr: u64) -> Result<Heap> {
        fd.expect_sig(addr, b"FRHP", "fractal heap header")?;
        let mut r = fd.rd(addr, "fractal heap header")?;
        r.skip(4)?;
        let ver = r.u8()?;
        if ver != 0 {
            return Err(corrupt(format!(
                "fractal heap header at 0x{addr:x}: unknown version {ver}"
            )));
        }
        let id_len = usize::from(r.u16()?);
        let filter_len = r.u16()?;
        let _flags = r.u8()?;
        let max_man = u64::from(r.u32()?);
        r.skip(8 * 12)?; // huge/free-space/managed/tiny bookkeeping
        let width = u64::from(r.u16()?);
        let start = r.u64()?;
        let max_direct = r.u64()?;
        let max_heap_bits = r.u16()?;
        let _start_rows = r.u16()?;
        let root = r.u64()?;
        let cur_rows = r.u16()?;
        if filter_len != 0 {
            return Err(unsupported(format!(
                "fractal heap at 0x{addr:x} with I/O filters"
            )));
        }
        let bad = |what: &str| corrupt(format!("fractal heap header at 0x{addr:x}: {what}"));
        if width == 0 || !width.is_power_of_two() {
            return Err(bad("table width is not a power of two"));
        }
        if start == 0
            || !start.is_power_of_two()
            || max_direct < start
            || !max_direct.is_power_of_two()
        {
            return Err(bad("bad starting or maximum direct block size"));
        }
        if max_heap_bits == 0 || max_heap_bits > 64 {
            return Err(bad("bad maximum heap size"));
        }
        let off_bytes = usize::from(max_heap_bits).div_ceil(8);
        let len_bytes = enc_size(max_direct).min(enc_size(max_man));
        let mut h = Heap {
            addr,
            id_len,
            off_bytes,
            len_bytes,
            blocks: Vec::new(),
        };
        if root == UNDEF {
            return Ok(h);
        }
        if cur_rows == 0 {
            h.blocks.push((0, start, root));
        } else {
            let geo = Geometry {
                width,
                start,
                max_direct,
                off_bytes,
            };
            let mut visited = HashSet::new();
            walk_indirect(
                fd,
                &geo,
                root,
                u64::from(cur_rows),
                0,
                0,
                &mut visited,
                &mut h.blocks,
            )?;
        }
        h.blocks.sort_unstable();
        Ok(h)
    }

    /// The bytes of the object with heap ID `id`.
    fn object<'a>(&self, fd: &'a FileData, id: &'a [u8]) -> Result<&'a [u8]> {
        let at = self.addr;
        let b0 = *id.first().ok_or_else(|| corrupt("empty fractal heap ID"))?;
        if b0 >> 6 != 0 {
            return Err(corrupt(format!(
                "fractal heap at 0x{at:x}: heap ID version {}",
                b0 >> 6
            )));
        }
        match (b0 >> 4) & 3 {
            0 => {
                let need = 1 + self.off_bytes + self.len_bytes;
                if id.len() < need {
                    return Err(corrupt(format!(
                        "fractal heap at 0x{at:x}: heap ID of {} bytes too short",
                        id.len()
                    )));
                }
                let off = le_uint(&id[1..1 + self.off_bytes]);
                let len = le_uint(&id[1 + self.off_bytes..need]);
                // blocks are sorted by heap offset
                let i = self.blocks.partition_point(|(o, _, _)| *o <= off);
                let (boff, bsize, baddr) = i
                    .checked_sub(1)
                    .map(|i| self.blocks[i])
                    .filter(|(o, s, _)| off - *o < *s)
                    .ok_or_else(|| {
                        corrupt(format!(
                            "fractal heap at 0x{at:x}: object offset {off} is in no direct block"
                        ))
                    })?;
                if len > bsize - (off - boff) {
                    return Err(corrupt(format!(
                        "fractal heap at 0x{at:x}: object at offset {off} with length {len} runs past its direct block"
                    )));
                }
                let at = baddr
                    .checked_add(off - boff)
                    .ok_or_else(|| corrupt("fractal heap object: address overflow"))?;
                fd.slice(at, len, "fractal heap object")
            }
            1 => Err(unsupported(format!(
                "huge object in fractal heap at 0x{at:x}"
            ))),
            2 => {
                let len = usize::from(b0 & 0x0f) + 1;
                id.get(1..1 + len).ok_or_else(|| {
                    corrupt(format!(
                        "fractal heap at 0x{at:x}: tiny object longer than its ID"
                    ))
                })
            }
            t => Err(corrupt(format!(
                "fractal heap at 0x{at:x}: heap ID type {t}"
            ))),
        }
    }
}

struct Geometry {
    width: u64,
    start: u64,
    max_direct: u64,
    off_bytes: usize,
}

#[allow(clippy::too_many_arguments)]
fn walk_indirect(
    fd: &FileData,
    g: &Geometry,
    addr: u64,
    nrows: u64,
    heap_off: u64,
    depth: usize,
    visited: &mut HashSet<u64>,
    blocks: &mut Vec<(u64, u64, u64)>,
) -> Result<()> {
    if depth > MAX_DEPTH || !visited.insert(addr) || visited.len() > MAX_NODES {
        return Err(corrupt(format!(
            "fractal heap indirect block at 0x{addr:x}: cycle or too many blocks"
        )));
    }
    fd.expect_sig(addr, b"FHIB", "fractal heap indirect block")?;
    let mut r = fd.rd(addr, "fractal heap indirect block")?;
    r.skip(4 + 1 + 8 + g.off_bytes)?;
    let max_direct_rows = u64::from(log2(g.max_direct) - log2(g.start)) + 2;
    let mut off = heap_off;
    for row in 0..nrows {
        let size = if row < 2 {
            g.start
        } else {
            u32::try_from(row - 1)
                .ok()
                .and_then(|s| g.start.checked_shl(s))
                .filter(|&s| s != 0 && s.trailing_zeros() < 63)
                .ok_or_else(|| {
                    corrupt(format!(
                        "fractal heap indirect block at 0x{addr:x}: too many rows"
                    ))
                })?
        };
        for _ in 0..g.width {
            let child = r.u64()?;
            if child != UNDEF {
                if row < max_direct_rows {
                    if blocks.len() >= MAX_NODES {
                        return Err(Error::LimitExceeded(
                            "fractal heap: too many direct blocks".into(),
                        ));
                    }
                    blocks.push((off, size, child));
                } else {
                    let span = g.start.saturating_mul(g.width);
                    let child_rows = u64::from(log2(size).saturating_sub(log2(span))) + 1;
                    walk_indirect(fd, g, child, child_rows, off, depth + 1, visited, blocks)?;
                }
            }
            off = off.saturating_add(size);
        }
    }
    Ok(())
}

/// The heap objects referenced by every record of the v2 B-tree at
/// `btree` (of record type `rtype`: 5 = link names, 8 = attribute names).
pub(crate) fn records(fd: &FileData, heap_addr: u64, btree: u64, rtype: u8) -> Result<Vec<&[u8]>> {
    let heap = Heap::parse(fd, heap_addr)?;
    let mut ids: Vec<&[u8]> = Vec::new();
    if btree == UNDEF {
        return Ok(Vec::new());
    }
    fd.expect_sig(btree, b"BTHD", "v2 B-tree header")?;
    let mut r = fd.rd(btree, "v2 B-tree header")?;
    r.skip(4)?;
    let ver = r.u8()?;
    if ver != 0 {
        return Err(corrupt(format!(
            "v2 B-tree header at 0x{btree:x}: unknown version {ver}"
        )));
    }
    let t = r.u8()?;
    if t != rtype {
        return Err(corrupt(format!(
            "v2 B-tree header at 0x{btree:x}: record type {t}, expected {rtype}"
        )));
    }
    let node_size = u64::from(r.u32()?);
    let rec_size = u64::from(r.u16()?);
    let depth = usize::from(r.u16()?);
    r.skip(2)?;
    let root = r.u64()?;
    let root_nrec = u64::from(r.u16()?);
    let min_rec = if rtype == 8 { 9 + 1 } else { 4 + 1 };
    if rec_size < min_rec || node_size < 10 + rec_size || depth > MAX_DEPTH {
        return Err(corrupt(format!(
            "v2 B-tree header at 0x{btree:x}: bad node or record size or depth"
        )));
    }
    if root == UNDEF {
        return Ok(Vec::new());
    }
    // node geometry per depth (see the HDF5 spec, "Version 2 B-trees")
    let mut max_nrec = vec![(node_size - 10) / rec_size];
    let mut cum_max = vec![max_nrec[0]];
    let mut cum_size = vec![0usize];
    let nrec_size = enc_size(max_nrec[0]);
    for d in 1..=depth {
        let ptr = 8 + nrec_size as u64 + if d > 1 { cum_size[d - 1] as u64 } else { 0 };
        let m = (node_size.saturating_sub(10 + ptr)) / (rec_size + ptr);
        let c = m
            .saturating_add(1)
            .saturating_mul(cum_max[d - 1])
            .saturating_add(m);
        max_nrec.push(m);
        cum_max.push(c);
        cum_size.push(enc_size(c));
    }
    let geo = BtGeo {
        rec_size: rec_size as usize,
        rtype,
        max_nrec,
        cum_size,
        nrec_size,
    };
    let mut visited = HashSet::new();
    bt_node(fd, &geo, root, root_nrec, depth, &mut visited, &mut ids)?;
    let mut out = Vec::with_capacity(ids.len());
    for rec in ids {
        let id = if rtype == 8 {
            if rec[rec.len() - 9] & 0x02 != 0 {
                return Err(unsupported("shared attribute message in dense storage"));
            }
            &rec[..rec.len() - 9]
        } else {
            &rec[4..]
        };
        if id.len() > heap.id_len.max(1) {
            return Err(corrupt(
                "v2 B-tree record: heap ID longer than the heap's ID length",
            ));
        }
        out.push(heap.object(fd, id)?);
    }
    Ok(out)
}

struct BtGeo {
    rec_size: usize,
    rtype: u8,
    max_nrec: Vec<u64>,
    cum_size: Vec<usize>,
    nrec_size: usize,
}

fn bt_node<'a>(
    fd: &'a FileData,
    g: &BtGeo,
    addr: u64,
    nrec: u64,
    depth: usize,
    visited: &mut HashSet<u64>,
    out: &mut Vec<&'a [u8]>,
) -> Result<()> {
    if !visited.insert(addr) || visited.len() > MAX_NODES {
        return Err(corrupt(format!(
            "v2 B-tree node at 0x{addr:x}: cycle or too many nodes"
        )));
    }
    if nrec > g.max_nrec[depth] {
        return Err(corrupt(format!(
            "v2 B-tree node at 0x{addr:x}: {nrec} records, at most {} fit",
            g.max_nrec[depth]
        )));
    }
    let sig: &[u8; 4] = if depth == 0 { b"BTLF" } else { b"BTIN" };
    fd.expect_sig(addr, sig, "v2 B-tree node")?;
    let mut r: Rd<'a> = fd.rd(addr, "v2 B-tree node")?;
    r.skip(4)?;
    let _ver = r.u8()?;
    let t = r.u8()?;
    if t != g.rtype {
        return Err(corrupt(format!(
            "v2 B-tree node at 0x{addr:x}: record type {t}, expected {}",
            g.rtype
        )));
    }
    for _ in 0..nrec {
        out.push(r.bytes(g.rec_size)?);
    }
    if depth > 0 {
        for _ in 0..=nrec {
            let child = r.u64()?;
            let cn = r.uvar(g.nrec_size)?;
            if depth > 1 {
                r.skip(g.cum_size[depth - 1])?;
            }
            bt_node(fd, g, child, cn, depth - 1, visited, out)?;
        }
    }
    Ok(())
}
