//! Object headers: their messages, continuation chunks and the message kinds.

use super::*;

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
pub(super) fn parse_chunk(
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
