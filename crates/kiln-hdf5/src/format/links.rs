//! Groups: symbol tables (v1 B-tree, local heap, SNOD) and link messages.

use super::*;

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

pub(super) fn heap_string(hdata: &[u8], off: u64, daddr: u64) -> Result<String> {
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
pub(super) fn btree_v1_node(
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
