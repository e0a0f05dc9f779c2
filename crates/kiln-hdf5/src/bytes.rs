//! Bounds-checked little-endian cursor over a byte slice.

use crate::error::{corrupt, Result};

/// A cursor over `buf`, whose first byte lies at file offset `origin`
/// (used only for error messages).
pub(crate) struct Rd<'a> {
    buf: &'a [u8],
    pos: usize,
    origin: u64,
    what: &'static str,
}

impl<'a> Rd<'a> {
    pub(crate) fn new(buf: &'a [u8], origin: u64, what: &'static str) -> Self {
        Rd {
            buf,
            pos: 0,
            origin,
            what,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn file_pos(&self) -> u64 {
        self.origin.saturating_add(self.pos as u64)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(corrupt(format!(
                "{} at 0x{:x}: needs {} more bytes at 0x{:x} but only {} remain",
                self.what,
                self.origin,
                n,
                self.file_pos(),
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }

    /// Skips to the next multiple of `align` counted from the buffer start.
    pub(crate) fn align(&mut self, align: usize) -> Result<()> {
        let r = self.pos % align;
        if r != 0 {
            self.skip(align - r)?;
        }
        Ok(())
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        self.uvar(8)
    }

    /// An unsigned little-endian integer of `n` (0..=8) bytes.
    pub(crate) fn uvar(&mut self, n: usize) -> Result<u64> {
        if n > 8 {
            return Err(corrupt(format!(
                "{} at 0x{:x}: integer field of {} bytes at 0x{:x}",
                self.what,
                self.origin,
                n,
                self.file_pos()
            )));
        }
        let b = self.bytes(n)?;
        Ok(le_uint(b))
    }
}

pub(crate) fn le_uint(b: &[u8]) -> u64 {
    b.iter()
        .take(8)
        .enumerate()
        .fold(0u64, |acc, (i, &x)| acc | (u64::from(x) << (8 * i)))
}
