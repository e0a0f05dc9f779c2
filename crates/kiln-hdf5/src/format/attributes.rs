//! Attribute messages, split into their parts.

use super::*;

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
