//! The global heap (variable-length data).

use super::*;

/// Cache of parsed global heap collections: address -> (index -> body range).
#[derive(Default)]
pub(crate) struct GlobalHeaps {
    pub(super) cols: HashMap<u64, HashMap<u16, Range<usize>>>,
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

pub(super) fn parse_gcol(fd: &FileData, addr: u64) -> Result<HashMap<u16, Range<usize>>> {
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
