//! Low-level parsing of HDF5 on-disk structures. Every read is bounds
//! checked against the file; every loop is bounded by the file size or an
//! explicit cap.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::ops::Range;

use crate::bytes::Rd;
use crate::error::{corrupt, unsupported, Error, Result};

mod attributes;
mod dataspace;
mod datatype;
mod global_heap;
mod layout;
mod links;
mod object_header;

pub(crate) use attributes::*;
pub(crate) use dataspace::*;
pub(crate) use datatype::*;
pub(crate) use global_heap::*;
pub(crate) use layout::*;
pub(crate) use links::*;
pub(crate) use object_header::*;

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
