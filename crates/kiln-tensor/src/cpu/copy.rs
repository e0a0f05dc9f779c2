//! Gathering strided views into row-major buffers.

/// Copies the elements of a strided view (`shape`, `strides`, `offset` into `src`) into a
/// new row-major vector. The innermost dimension is copied as a run when its stride is 1.
pub(crate) fn gather_strided<T: Clone>(
    src: &[T],
    shape: &[usize],
    strides: &[isize],
    offset: usize,
) -> Vec<T> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let (shape, strides) = coalesce(shape, strides);
    let rank = shape.len();
    if rank == 0 {
        out.push(src[offset].clone());
        return out;
    }
    let inner = shape[rank - 1];
    let istride = strides[rank - 1];
    let mut idx = vec![0usize; rank - 1];
    let mut base = offset as isize;
    loop {
        if istride == 1 {
            let b = base as usize;
            out.extend_from_slice(&src[b..b + inner]);
        } else if istride == 0 {
            let v = &src[base as usize];
            out.extend(std::iter::repeat_n(v, inner).cloned());
        } else {
            let mut p = base;
            for _ in 0..inner {
                out.push(src[p as usize].clone());
                p += istride;
            }
        }
        // Advance the outer multi-index like an odometer.
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            idx[d] += 1;
            base += strides[d];
            if idx[d] < shape[d] {
                break;
            }
            base -= strides[d] * shape[d] as isize;
            idx[d] = 0;
        }
    }
}

/// Drops size-1 dimensions and merges neighbours that are contiguous with each other, so
/// that loops run over as few, as long, dimensions as possible.
pub(crate) fn coalesce(shape: &[usize], strides: &[isize]) -> (Vec<usize>, Vec<isize>) {
    let mut s: Vec<usize> = Vec::with_capacity(shape.len());
    let mut st: Vec<isize> = Vec::with_capacity(shape.len());
    for (&d, &k) in shape.iter().zip(strides) {
        if d == 1 {
            continue;
        }
        if let (Some(&ld), Some(&lk)) = (s.last(), st.last())
            && lk == k * d as isize
        {
            *s.last_mut().unwrap() = ld * d;
            *st.last_mut().unwrap() = k;
            continue;
        }
        s.push(d);
        st.push(k);
    }
    (s, st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_transposed_view() {
        let src = [1, 2, 3, 4, 5, 6];
        // (3,2) transpose of a (2,3) row-major matrix.
        assert_eq!(
            gather_strided(&src, &[3, 2], &[1, 3], 0),
            vec![1, 4, 2, 5, 3, 6]
        );
    }

    #[test]
    fn gathers_broadcast_and_offset() {
        let src = [9, 1, 2];
        assert_eq!(gather_strided(&src, &[2, 2], &[0, 1], 1), vec![1, 2, 1, 2]);
        assert_eq!(gather_strided(&src, &[2, 2], &[1, 0], 1), vec![1, 1, 2, 2]);
    }

    #[test]
    fn coalesces_contiguous_dims() {
        assert_eq!(coalesce(&[2, 3, 4], &[12, 4, 1]), (vec![24], vec![1]));
        assert_eq!(coalesce(&[2, 1, 4], &[4, 4, 1]), (vec![8], vec![1]));
    }
}
