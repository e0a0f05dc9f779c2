//! The sorts of `_partitioner.pyx`: introsort with median-of-3 and 3-way partition,
//! heapsort and insertion sort, moving sample indices with their values.

pub(super) fn median3(v: &[f32]) -> f32 {
    let n = v.len();
    let (a, b, c) = (v[0], v[n / 2], v[n - 1]);
    if a < b {
        if b < c {
            b
        } else if a < c {
            c
        } else {
            a
        }
    } else if b < c {
        if a < c {
            a
        } else {
            c
        }
    } else {
        b
    }
}

pub(super) fn sift_down(v: &mut [f32], s: &mut [usize], start: usize, end: usize) {
    let mut root = start;
    loop {
        let child = root * 2 + 1;
        let mut maxind = root;
        if child < end && v[maxind] < v[child] {
            maxind = child;
        }
        if child + 1 < end && v[maxind] < v[child + 1] {
            maxind = child + 1;
        }
        if maxind == root {
            return;
        }
        v.swap(root, maxind);
        s.swap(root, maxind);
        root = maxind;
    }
}

pub(super) fn heapsort(v: &mut [f32], s: &mut [usize]) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let mut start = (n - 2) / 2;
    loop {
        sift_down(v, s, start, n);
        if start == 0 {
            break;
        }
        start -= 1;
    }
    let mut end = n - 1;
    while end > 0 {
        v.swap(0, end);
        s.swap(0, end);
        sift_down(v, s, 0, end);
        end -= 1;
    }
}

pub(super) fn insertion_sort(v: &mut [f32], s: &mut [usize]) {
    for i in 1..v.len() {
        let (tv, ts) = (v[i], s[i]);
        let mut j = i;
        while j > 0 && v[j - 1] > tv {
            v[j] = v[j - 1];
            s[j] = s[j - 1];
            j -= 1;
        }
        v[j] = tv;
        s[j] = ts;
    }
}

pub(super) fn introsort_3way(mut v: &mut [f32], mut s: &mut [usize], mut maxd: i64) {
    while v.len() > 15 {
        if maxd <= 0 {
            heapsort(v, s);
            return;
        }
        maxd -= 1;
        let pivot = median3(v);
        let (mut i, mut l, mut r) = (0, 0, v.len());
        while i < r {
            if v[i] < pivot {
                v.swap(i, l);
                s.swap(i, l);
                i += 1;
                l += 1;
            } else if v[i] > pivot {
                r -= 1;
                v.swap(i, r);
                s.swap(i, r);
            } else {
                i += 1;
            }
        }
        let (lv, rest_v) = std::mem::take(&mut v).split_at_mut(r);
        let (ls, rest_s) = std::mem::take(&mut s).split_at_mut(r);
        introsort_3way(&mut lv[..l], &mut ls[..l], maxd);
        v = rest_v;
        s = rest_s;
    }
    insertion_sort(v, s);
}

/// Sorts by value with ties in unspecified order: `(order-preserving key, index)` pairs
/// packed into `u64`s and sorted as integers.
pub(super) fn fast_sort(v: &mut [f32], s: &mut [usize], packed: &mut Vec<u64>) {
    packed.clear();
    packed.extend(v.iter().zip(s.iter()).map(|(&x, &i)| {
        let b = x.to_bits();
        let key = if b >> 31 == 1 { !b } else { b | 0x8000_0000 };
        (u64::from(key) << 32) | i as u64
    }));
    packed.sort_unstable();
    for ((x, i), &p) in v.iter_mut().zip(s.iter_mut()).zip(packed.iter()) {
        let key = (p >> 32) as u32;
        let b = if key >> 31 == 1 {
            key & 0x7FFF_FFFF
        } else {
            !key
        };
        *x = f32::from_bits(b);
        *i = (p & 0xFFFF_FFFF) as usize;
    }
}

pub(super) fn simultaneous_sort(v: &mut [f32], s: &mut [usize]) {
    let n = v.len();
    if n == 0 {
        return;
    }
    let maxd = 2 * ((n as f64).log2() as i64);
    introsort_3way(v, s, maxd);
}

// ---------------------------------------------------------------------------------------
// splitter and builder

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn introsort_sorts_values_and_indices_together() {
        let mut rng = crate::RandomState::new(3);
        for n in [0, 1, 5, 16, 17, 100, 1000] {
            let mut v: Vec<f32> = (0..n).map(|_| (rng.random_interval(20)) as f32).collect();
            let orig = v.clone();
            let mut s: Vec<usize> = (0..n).collect();
            simultaneous_sort(&mut v, &mut s);
            assert!(v.windows(2).all(|w| w[0] <= w[1]));
            assert!(s.iter().zip(&v).all(|(&i, &x)| orig[i] == x));
        }
    }
}
