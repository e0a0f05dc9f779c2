//! Datatype messages: the datatypes this crate decodes.

use super::*;

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

pub(super) const CLASS_NAMES: [&str; 11] = [
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
