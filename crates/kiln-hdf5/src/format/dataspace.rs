//! Dataspace messages: dimensions and maximum dimensions.

use super::*;

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
