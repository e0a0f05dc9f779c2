//! Lloyd's per-sample kernels with run-time SIMD dispatch: the dot products of one
//! sample with every centre (AVX2 + FMA when the CPU has them, else portable code) and
//! the weighted add of the sample into its cluster's sum (AVX2 when available; a
//! separate multiply and add, never fused, so the sums round as scikit-learn's).

/// Whether the CPU running this has AVX2 and FMA (checked once).
fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `out[j] = x · centers[j]` for the `k` rows of `centers` (each `x.len()` long).
pub(crate) fn dots(x: &[f64], centers: &[f64], out: &mut [f64]) {
    let d = x.len();
    assert!(centers.len() >= out.len() * d);
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above); the kernel reads `x[..d]`
        // and `centers[..out.len() * d]`, in bounds by the assert.
        unsafe { avx2::dots(x, centers, out) };
        return;
    }
    for (o, c) in out.iter_mut().zip(centers.chunks_exact(d.max(1))) {
        *o = crate::numeric::dot(x, c);
    }
}

/// [`dots`] for four consecutive samples `xs` (`4 × d`, row-major) at once, so that
/// each centre is read once per four samples: `out[r * k + j] = xs[r] · centers[j]`.
/// Each product is summed exactly as [`dots`] sums it.
pub(crate) fn dots4(xs: &[f64], centers: &[f64], k: usize, out: &mut [f64]) {
    let d = xs.len() / 4;
    assert!(xs.len() == 4 * d && centers.len() >= k * d && out.len() >= 4 * k);
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above); the kernel reads
        // `xs[..4 * d]` and `centers[..k * d]` and writes `out[..4 * k]`, in bounds by
        // the assert.
        unsafe { avx2::dots4(xs, centers, k, out) };
        return;
    }
    for (r, x) in xs.chunks_exact(d.max(1)).enumerate() {
        dots(x, &centers[..k * d], &mut out[r * k..(r + 1) * k]);
    }
}

/// `acc[f] += x[f] * w` for every feature (multiply, then add).
pub(crate) fn add_scaled(acc: &mut [f64], x: &[f64], w: f64) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 (checked above); the kernel only zips the slices.
        unsafe { avx2::add_scaled(acc, x, w) };
        return;
    }
    for (a, v) in acc.iter_mut().zip(x) {
        *a += v * w;
    }
}

/// [`dots`] for `float32` samples and centres (products summed in `float32`, as
/// `sgemm` sums them).
pub(crate) fn dots_f32(x: &[f32], centers: &[f32], out: &mut [f32]) {
    let d = x.len();
    assert!(centers.len() >= out.len() * d);
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above); the kernel reads `x[..d]`
        // and `centers[..out.len() * d]`, in bounds by the assert.
        unsafe { avx2_f32::dots(x, centers, out) };
        return;
    }
    for (o, c) in out.iter_mut().zip(centers.chunks_exact(d.max(1))) {
        *o = <f32 as super::real::Real>::dot(x, c);
    }
}

/// [`dots4`] for `float32`: four samples' products with every centre, each summed as
/// [`dots_f32`] sums it.
pub(crate) fn dots4_f32(xs: &[f32], centers: &[f32], k: usize, out: &mut [f32]) {
    let d = xs.len() / 4;
    assert!(xs.len() == 4 * d && centers.len() >= k * d && out.len() >= 4 * k);
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above); the kernel reads
        // `xs[..4 * d]` and `centers[..k * d]` and writes `out[..4 * k]`, in bounds by
        // the assert.
        unsafe { avx2_f32::dots4(xs, centers, k, out) };
        return;
    }
    for (r, x) in xs.chunks_exact(d.max(1)).enumerate() {
        dots_f32(x, &centers[..k * d], &mut out[r * k..(r + 1) * k]);
    }
}

/// [`add_scaled`] in `float32` (multiply, then add, never fused).
pub(crate) fn add_scaled_f32(acc: &mut [f32], x: &[f32], w: f32) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 (checked above); the kernel only zips the slices.
        unsafe { avx2_f32::add_scaled(acc, x, w) };
        return;
    }
    for (a, v) in acc.iter_mut().zip(x) {
        *a += v * w;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2_f32 {
    use std::arch::x86_64::*;

    /// The horizontal sum of an 8-lane accumulator, as a tree.
    #[target_feature(enable = "avx2,fma")]
    fn hsum(a: __m256) -> f32 {
        let hi = _mm256_extractf128_ps(a, 1);
        let lo = _mm256_castps256_ps128(a);
        let s4 = _mm_add_ps(lo, hi);
        let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)))
    }

    /// Up to `B` centres at once, eight features per step.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block<const B: usize>(x: &[f32], centers: &[f32], first: usize, out: &mut [f32]) {
        let d = x.len();
        let mut acc = [_mm256_setzero_ps(); B];
        let mut f = 0;
        // SAFETY (all loads): f + 8 <= d, rows first..first + B of `centers` exist
        // (the caller's assert).
        while f + 8 <= d {
            let xv = unsafe { _mm256_loadu_ps(x.as_ptr().add(f)) };
            for (b, a) in acc.iter_mut().enumerate() {
                let cv = unsafe { _mm256_loadu_ps(centers.as_ptr().add((first + b) * d + f)) };
                *a = _mm256_fmadd_ps(xv, cv, *a);
            }
            f += 8;
        }
        for (b, a) in acc.iter().enumerate() {
            let mut s = hsum(*a);
            let c = &centers[(first + b) * d..(first + b + 1) * d];
            for t in f..d {
                s += x[t] * c[t];
            }
            out[first + b] = s;
        }
    }

    /// Four samples against `B` centres: `4 × B` accumulators in registers.
    #[allow(clippy::needless_range_loop)] // the register tile is indexed [sample][centre]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block4<const B: usize>(
        xs: &[f32],
        centers: &[f32],
        k: usize,
        first: usize,
        out: &mut [f32],
    ) {
        let d = xs.len() / 4;
        let mut acc = [[_mm256_setzero_ps(); B]; 4];
        let mut f = 0;
        // SAFETY (all loads): f + 8 <= d; the samples are rows 0..4 of `xs` and the
        // centres rows first..first + B < k of `centers` (the caller's assert).
        while f + 8 <= d {
            let xv: [__m256; 4] =
                std::array::from_fn(|r| unsafe { _mm256_loadu_ps(xs.as_ptr().add(r * d + f)) });
            for b in 0..B {
                let cv = unsafe { _mm256_loadu_ps(centers.as_ptr().add((first + b) * d + f)) };
                for r in 0..4 {
                    acc[r][b] = _mm256_fmadd_ps(xv[r], cv, acc[r][b]);
                }
            }
            f += 8;
        }
        for r in 0..4 {
            let x = &xs[r * d..(r + 1) * d];
            for b in 0..B {
                let c = &centers[(first + b) * d..(first + b + 1) * d];
                let mut s = hsum(acc[r][b]);
                for t in f..d {
                    s += x[t] * c[t];
                }
                out[r * k + first + b] = s;
            }
        }
    }

    /// # Safety
    /// The CPU must have AVX2 and FMA; `xs` holds 4 rows of `d`, `centers` `k` rows of
    /// `d`, `out` at least `4 k` values.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dots4(xs: &[f32], centers: &[f32], k: usize, out: &mut [f32]) {
        let mut j = 0;
        // SAFETY: same CPU features; each block reads centres j..j + B <= k.
        unsafe {
            while j + 2 <= k {
                block4::<2>(xs, centers, k, j, out);
                j += 2;
            }
            if j < k {
                block4::<1>(xs, centers, k, j, out);
            }
        }
    }

    /// # Safety
    /// The CPU must have AVX2 and FMA; `centers` holds `out.len()` rows of `x.len()`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dots(x: &[f32], centers: &[f32], out: &mut [f32]) {
        let k = out.len();
        let mut j = 0;
        // SAFETY: same CPU features; each block reads rows j..j + B < k.
        unsafe {
            while j + 4 <= k {
                block::<4>(x, centers, j, out);
                j += 4;
            }
            match k - j {
                0 => {}
                1 => block::<1>(x, centers, j, out),
                2 => block::<2>(x, centers, j, out),
                _ => block::<3>(x, centers, j, out),
            }
        }
    }

    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn add_scaled(acc: &mut [f32], x: &[f32], w: f32) {
        // plain Rust: vectorised to 256-bit lanes under this target feature; a
        // multiply and an add (Rust does not contract them into an FMA)
        for (a, v) in acc.iter_mut().zip(x) {
            *a += v * w;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Up to `B` centres at once, four features per step, `B` accumulators in
    /// registers.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block<const B: usize>(x: &[f64], centers: &[f64], first: usize, out: &mut [f64]) {
        let d = x.len();
        let mut acc = [_mm256_setzero_pd(); B];
        let mut f = 0;
        // SAFETY (all loads): f + 4 <= d, rows first..first + B of `centers` exist
        // (the caller's assert), so every 4-wide load is in bounds.
        while f + 4 <= d {
            let xv = unsafe { _mm256_loadu_pd(x.as_ptr().add(f)) };
            for (b, a) in acc.iter_mut().enumerate() {
                let cv = unsafe { _mm256_loadu_pd(centers.as_ptr().add((first + b) * d + f)) };
                *a = _mm256_fmadd_pd(xv, cv, *a);
            }
            f += 4;
        }
        for (b, a) in acc.iter().enumerate() {
            let mut s = hsum(*a);
            let c = &centers[(first + b) * d..(first + b + 1) * d];
            for t in f..d {
                s += x[t] * c[t];
            }
            out[first + b] = s;
        }
    }

    /// The horizontal sum of a 4-lane accumulator: `(l0 + l2) + (l1 + l3)`.
    #[target_feature(enable = "avx2,fma")]
    fn hsum(a: __m256d) -> f64 {
        let hi = _mm256_extractf128_pd(a, 1);
        let lo = _mm256_castpd256_pd128(a);
        let s2 = _mm_add_pd(lo, hi);
        _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)))
    }

    /// Four samples against `B` centres: `4 × B` accumulators in registers.
    #[allow(clippy::needless_range_loop)] // the register tile is indexed [sample][centre]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn block4<const B: usize>(
        xs: &[f64],
        centers: &[f64],
        k: usize,
        first: usize,
        out: &mut [f64],
    ) {
        let d = xs.len() / 4;
        let mut acc = [[_mm256_setzero_pd(); B]; 4];
        let mut f = 0;
        // SAFETY (all loads): f + 4 <= d; the samples are rows 0..4 of `xs` and the
        // centres rows first..first + B < k of `centers` (the caller's assert).
        while f + 4 <= d {
            let xv: [__m256d; 4] =
                std::array::from_fn(|r| unsafe { _mm256_loadu_pd(xs.as_ptr().add(r * d + f)) });
            for b in 0..B {
                let cv = unsafe { _mm256_loadu_pd(centers.as_ptr().add((first + b) * d + f)) };
                for r in 0..4 {
                    acc[r][b] = _mm256_fmadd_pd(xv[r], cv, acc[r][b]);
                }
            }
            f += 4;
        }
        for r in 0..4 {
            let x = &xs[r * d..(r + 1) * d];
            for b in 0..B {
                let c = &centers[(first + b) * d..(first + b + 1) * d];
                let mut s = hsum(acc[r][b]);
                for t in f..d {
                    s += x[t] * c[t];
                }
                out[r * k + first + b] = s;
            }
        }
    }

    /// # Safety
    /// The CPU must have AVX2 and FMA; `xs` holds 4 rows of `d`, `centers` `k` rows of
    /// `d`, `out` at least `4 k` values.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dots4(xs: &[f64], centers: &[f64], k: usize, out: &mut [f64]) {
        let mut j = 0;
        // SAFETY: same CPU features; each block reads centres j..j + B <= k.
        unsafe {
            while j + 2 <= k {
                block4::<2>(xs, centers, k, j, out);
                j += 2;
            }
            if j < k {
                block4::<1>(xs, centers, k, j, out);
            }
        }
    }

    /// # Safety
    /// The CPU must have AVX2 and FMA; `centers` holds `out.len()` rows of `x.len()`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dots(x: &[f64], centers: &[f64], out: &mut [f64]) {
        let k = out.len();
        let mut j = 0;
        // SAFETY: same CPU features; each block reads rows j..j + B < k.
        unsafe {
            while j + 8 <= k {
                block::<8>(x, centers, j, out);
                j += 8;
            }
            match k - j {
                0 => {}
                1 => block::<1>(x, centers, j, out),
                2 => block::<2>(x, centers, j, out),
                3 => block::<3>(x, centers, j, out),
                4 => block::<4>(x, centers, j, out),
                5 => block::<5>(x, centers, j, out),
                6 => block::<6>(x, centers, j, out),
                _ => block::<7>(x, centers, j, out),
            }
        }
    }

    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn add_scaled(acc: &mut [f64], x: &[f64], w: f64) {
        // plain Rust: vectorised to 256-bit lanes under this target feature; a
        // multiply and an add (Rust does not contract them into an FMA)
        for (a, v) in acc.iter_mut().zip(x) {
            *a += v * w;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_plain_loops() {
        for (k, d) in [(10, 784), (3, 5), (9, 13), (17, 4)] {
            let x: Vec<f64> = (0..d)
                .map(|i| ((i * 37) % 11) as f64 * 0.25 - 1.0)
                .collect();
            let c: Vec<f64> = (0..k * d).map(|i| ((i * 53) % 17) as f64 * 0.125).collect();
            let mut out = vec![f64::NAN; k];
            dots(&x, &c, &mut out);
            for j in 0..k {
                let want: f64 = (0..d).map(|f| x[f] * c[j * d + f]).sum();
                assert!(
                    (out[j] - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{k}x{d}"
                );
            }
            let mut acc: Vec<f64> = (0..d).map(|i| i as f64 * 0.1).collect();
            let mut plain = acc.clone();
            add_scaled(&mut acc, &x, 0.3);
            for (a, v) in plain.iter_mut().zip(&x) {
                *a += v * 0.3;
            }
            assert_eq!(acc, plain);
            // four samples at once: bit for bit the single-sample kernel
            let xs: Vec<f64> = (0..4 * d)
                .map(|i| ((i * 29) % 13) as f64 * 0.3 - 1.7)
                .collect();
            let mut four = vec![f64::NAN; 4 * k];
            dots4(&xs, &c, k, &mut four);
            for r in 0..4 {
                let mut one = vec![0.0; k];
                dots(&xs[r * d..(r + 1) * d], &c, &mut one);
                assert_eq!(&four[r * k..(r + 1) * k], &one[..], "{k}x{d}");
            }
        }
    }
    #[test]
    fn f32_kernels_match_plain_loops() {
        for (k, d) in [(10, 784), (3, 5), (9, 13), (17, 4)] {
            let x: Vec<f32> = (0..d)
                .map(|i| ((i * 37) % 11) as f32 * 0.25 - 1.0)
                .collect();
            let c: Vec<f32> = (0..k * d).map(|i| ((i * 53) % 17) as f32 * 0.125).collect();
            let mut out = vec![f32::NAN; k];
            dots_f32(&x, &c, &mut out);
            for j in 0..k {
                let want: f64 = (0..d)
                    .map(|f| f64::from(x[f]) * f64::from(c[j * d + f]))
                    .sum();
                assert!(
                    (f64::from(out[j]) - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "{k}x{d}"
                );
            }
            let mut acc: Vec<f32> = (0..d).map(|i| i as f32 * 0.1).collect();
            let mut plain = acc.clone();
            add_scaled_f32(&mut acc, &x, 0.3);
            for (a, v) in plain.iter_mut().zip(&x) {
                *a += v * 0.3;
            }
            assert_eq!(acc, plain);
            let xs: Vec<f32> = (0..4 * d)
                .map(|i| ((i * 29) % 13) as f32 * 0.3 - 1.7)
                .collect();
            let mut four = vec![f32::NAN; 4 * k];
            dots4_f32(&xs, &c, k, &mut four);
            for r in 0..4 {
                let mut one = vec![0.0; k];
                dots_f32(&xs[r * d..(r + 1) * d], &c, &mut one);
                assert_eq!(&four[r * k..(r + 1) * k], &one[..], "{k}x{d}");
            }
        }
    }
}
