//! Dense linear algebra for PCA, in Rust: a thin singular value decomposition by
//! one-sided (Hestenes) Jacobi rotations after a Householder QR, and a symmetric
//! eigen-decomposition by cyclic Jacobi rotations.
//!
//! Jacobi methods are slower than LAPACK's divide and conquer for large matrices but
//! simple and accurate: singular values to high relative accuracy, singular vectors to
//! rounding over the gap to the neighbouring singular value, which is what agreeing with
//! LAPACK (and so with scikit-learn) needs.

/// A thin SVD `A = U diag(s) Vt` of an `m × n` matrix, `k = min(m, n)`: `u` is `m × k`,
/// `vt` is `k × n` (both row-major), `s` is non-increasing.
#[derive(Debug, Clone)]
pub(crate) struct Svd {
    pub u: Vec<f64>,
    pub s: Vec<f64>,
    pub vt: Vec<f64>,
    pub k: usize,
}

const MAX_SWEEPS: usize = 80;

/// The thin SVD of the row-major `m × n` matrix `a`.
pub(crate) fn svd(a: &[f64], m: usize, n: usize) -> Svd {
    debug_assert_eq!(a.len(), m * n);
    if m >= n {
        let (u_cols, s, v_cols) = svd_tall(a, m, n);
        // u_cols: k columns of length m; v_cols: k columns of length n
        let k = n;
        let mut u = vec![0.0; m * k];
        for (j, col) in u_cols.chunks_exact(m.max(1)).enumerate().take(k) {
            for (i, v) in col.iter().enumerate() {
                u[i * k + j] = *v;
            }
        }
        let vt = v_cols;
        Svd { u, s, vt, k }
    } else {
        // A^T = U' S V'^T, so A = V' S U'^T
        let mut at = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                at[j * m + i] = a[i * n + j];
            }
        }
        let (u_cols, s, v_cols) = svd_tall(&at, n, m);
        let k = m;
        // U = V' (m × k): v_cols holds k columns of length m
        let mut u = vec![0.0; m * k];
        for (j, col) in v_cols.chunks_exact(m).enumerate().take(k) {
            for (i, v) in col.iter().enumerate() {
                u[i * k + j] = *v;
            }
        }
        // Vt = U'^T (k × n): row j is column j of U', of length n
        let vt = u_cols;
        Svd { u, s, vt, k }
    }
}

/// SVD of a row-major `m × n` matrix with `m >= n`: the left singular vectors as `n`
/// columns of length `m`, the singular values (non-increasing), the right singular
/// vectors as `n` columns of length `n` (so, read row by row, `V^T`).
fn svd_tall(a: &[f64], m: usize, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    if n == 0 {
        return (Vec::new(), Vec::new(), Vec::new());
    }
    // column-major copy
    let mut w = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            w[j * m + i] = a[i * n + j];
        }
    }
    let qr = (m > n).then(|| householder_qr(&mut w, m, n));
    // the matrix the rotations work on: R (n × n, column-major) or A itself
    let (mut b, rows) = match &qr {
        Some(q) => (q.r.clone(), n),
        None => (w, m),
    };
    let mut v = vec![0.0; n * n];
    for j in 0..n {
        v[j * n + j] = 1.0;
    }
    one_sided_jacobi(&mut b, rows, n, &mut v);

    let norms: Vec<f64> = b.chunks_exact(rows).map(norm2).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| norms[y].total_cmp(&norms[x]));
    let mut u_small = vec![0.0; rows * n];
    let mut s = Vec::with_capacity(n);
    let mut v_sorted = vec![0.0; n * n];
    for (dst, &src) in order.iter().enumerate() {
        let sv = norms[src];
        s.push(sv);
        if sv > 0.0 {
            for (o, x) in u_small[dst * rows..(dst + 1) * rows]
                .iter_mut()
                .zip(&b[src * rows..(src + 1) * rows])
            {
                *o = x / sv;
            }
        }
        v_sorted[dst * n..(dst + 1) * n].copy_from_slice(&v[src * n..(src + 1) * n]);
    }
    let u = match &qr {
        Some(q) => q.apply_q(&u_small, n),
        None => u_small,
    };
    (u, s, v_sorted)
}

fn norm2(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Orthogonalises the `n` columns (of length `rows`, column-major in `b`) by plane
/// rotations, applying the same rotations to the columns of `v`, until every pair of
/// columns is orthogonal to rounding.
fn one_sided_jacobi(b: &mut [f64], rows: usize, n: usize, v: &mut [f64]) {
    let tol = f64::EPSILON * (rows as f64).sqrt().max(1.0);
    for _ in 0..MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..n.saturating_sub(1) {
            for q in p + 1..n {
                let (bp, bq) = pair(b, rows, p, q);
                let (mut alpha, mut beta, mut gamma) = (0.0, 0.0, 0.0);
                for (x, y) in bp.iter().zip(bq.iter()) {
                    alpha += x * x;
                    beta += y * y;
                    gamma += x * y;
                }
                if alpha == 0.0 || beta == 0.0 || gamma.abs() <= tol * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let (c, s) = rotation(alpha, beta, gamma);
                rotate(bp, bq, c, s);
                let (vp, vq) = pair(v, n, p, q);
                rotate(vp, vq, c, s);
            }
        }
        if !rotated {
            break;
        }
    }
}

/// The rotation that makes two columns with squared norms `alpha`, `beta` and inner
/// product `gamma` orthogonal.
fn rotation(alpha: f64, beta: f64, gamma: f64) -> (f64, f64) {
    let zeta = (beta - alpha) / (2.0 * gamma);
    let t = if zeta.abs() > 1e150 {
        0.5 / zeta
    } else {
        zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt())
    };
    let c = 1.0 / (1.0 + t * t).sqrt();
    (c, c * t)
}

/// `(x, y) <- (c x - s y, s x + c y)`.
fn rotate(x: &mut [f64], y: &mut [f64], c: f64, s: f64) {
    for (a, b) in x.iter_mut().zip(y.iter_mut()) {
        let (xa, yb) = (*a, *b);
        *a = c * xa - s * yb;
        *b = s * xa + c * yb;
    }
}

/// Columns `p < q` of a column-major matrix, both mutable.
fn pair(m: &mut [f64], rows: usize, p: usize, q: usize) -> (&mut [f64], &mut [f64]) {
    let (left, right) = m.split_at_mut(q * rows);
    (&mut left[p * rows..(p + 1) * rows], &mut right[..rows])
}

/// A Householder QR of an `m × n` column-major matrix (`m > n`): `R` and the
/// reflectors that make `Q`.
struct Qr {
    m: usize,
    n: usize,
    /// `n × n`, column-major, upper triangular.
    r: Vec<f64>,
    /// Reflector `j` acts on rows `j..m`: `I - tau v v^T`.
    reflectors: Vec<(Vec<f64>, f64)>,
}

fn householder_qr(w: &mut [f64], m: usize, n: usize) -> Qr {
    let mut reflectors = Vec::with_capacity(n);
    for j in 0..n {
        let x = &w[j * m + j..(j + 1) * m];
        let norm = norm2(x);
        if norm == 0.0 {
            reflectors.push((vec![0.0; m - j], 0.0));
            continue;
        }
        let alpha = if x[0] > 0.0 { -norm } else { norm };
        let mut v = x.to_vec();
        v[0] -= alpha;
        let vv: f64 = v.iter().map(|t| t * t).sum();
        let tau = if vv == 0.0 { 0.0 } else { 2.0 / vv };
        w[j * m + j] = alpha;
        for t in &mut w[j * m + j + 1..(j + 1) * m] {
            *t = 0.0;
        }
        for c in j + 1..n {
            let col = &mut w[c * m + j..(c + 1) * m];
            let f = tau * v.iter().zip(col.iter()).map(|(a, b)| a * b).sum::<f64>();
            for (t, vi) in col.iter_mut().zip(&v) {
                *t -= f * vi;
            }
        }
        reflectors.push((v, tau));
    }
    let mut r = vec![0.0; n * n];
    for c in 0..n {
        for i in 0..=c {
            r[c * n + i] = w[c * m + i];
        }
    }
    Qr {
        m,
        n,
        r,
        reflectors,
    }
}

impl Qr {
    /// `Q [Y; 0]` for `cols` columns `Y` of length `n` (column-major): columns of
    /// length `m`.
    fn apply_q(&self, y: &[f64], cols: usize) -> Vec<f64> {
        let (m, n) = (self.m, self.n);
        let mut out = vec![0.0; m * cols];
        for c in 0..cols {
            out[c * m..c * m + n].copy_from_slice(&y[c * n..(c + 1) * n]);
        }
        for (j, (v, tau)) in self.reflectors.iter().enumerate().rev() {
            if *tau == 0.0 {
                continue;
            }
            for c in 0..cols {
                let col = &mut out[c * m + j..(c + 1) * m];
                let f = tau * v.iter().zip(col.iter()).map(|(a, b)| a * b).sum::<f64>();
                for (t, vi) in col.iter_mut().zip(v) {
                    *t -= f * vi;
                }
            }
        }
        out
    }
}

/// The eigen-decomposition of a symmetric row-major `n × n` matrix by cyclic Jacobi
/// rotations: eigenvalues in ascending order (as LAPACK's `syevd`) and the matching
/// eigenvectors as the rows of the second result.
pub(crate) fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        let diag: f64 = (0..n).map(|i| m[i * n + i] * m[i * n + i]).sum();
        if off <= (f64::EPSILON * f64::EPSILON) * diag || off == 0.0 {
            break;
        }
        for p in 0..n.saturating_sub(1) {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (m[p * n + p], m[q * n + q]);
                let (c, s) = rotation(app, aqq, apq);
                // m <- J^T m J with J acting on columns/rows p, q
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                m[p * n + q] = 0.0;
                m[q * n + p] = 0.0;
                // eigenvectors are the columns of V; V <- V J
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let values: Vec<f64> = (0..n).map(|i| m[i * n + i]).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| values[x].total_cmp(&values[y]));
    let mut vectors = Vec::with_capacity(n * n);
    for &j in &order {
        vectors.extend((0..n).map(|k| v[k * n + j]));
    }
    (order.iter().map(|&j| values[j]).collect(), vectors)
}

/// `out = a · bᵀ` for row-major `a` (`m × k`) and `b` (`n × k`): `out` is `m × n`,
/// row-major. The `gemm` crate picks its SIMD kernel (AVX2/FMA, AVX-512, ...) at run
/// time; `parallel` lets it split the product over rayon's threads.
pub(crate) fn gemm_nt(
    a: &[f64],
    b: &[f64],
    m: usize,
    n: usize,
    k: usize,
    out: &mut [f64],
    parallel: bool,
) {
    assert!(a.len() >= m * k && b.len() >= n * k && out.len() >= m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        out[..m * n].fill(0.0);
        return;
    }
    let par = if parallel {
        gemm::Parallelism::Rayon(rayon::current_num_threads().max(1))
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the asserts above keep every access in bounds: `a` is read at
    // `i * k + p` (row stride k, column stride 1), `b` as the `k × n` matrix bᵀ at
    // `j * k + p` (row stride 1, column stride k), and `out` written at `i * n + j`;
    // `read_dst = false`, so `out` is only written.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            k as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconstruct(s: &Svd, m: usize, n: usize) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..s.k)
                    .map(|t| s.u[i * s.k + t] * s.s[t] * s.vt[t * n + j])
                    .sum();
            }
        }
        out
    }

    fn orthonormal_rows(x: &[f64], rows: usize, cols: usize) -> bool {
        (0..rows).all(|i| {
            (0..rows).all(|j| {
                let d: f64 = (0..cols).map(|c| x[i * cols + c] * x[j * cols + c]).sum();
                (d - if i == j { 1.0 } else { 0.0 }).abs() < 1e-13
            })
        })
    }

    #[test]
    fn gemm_nt_matches_dot_products() {
        let (m, n, k) = (5, 3, 7);
        let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..n * k).map(|i| (i as f64 * 0.91).cos()).collect();
        let mut out = vec![f64::NAN; m * n];
        gemm_nt(&a, &b, m, n, k, &mut out, false);
        for i in 0..m {
            for j in 0..n {
                let d: f64 = (0..k).map(|p| a[i * k + p] * b[j * k + p]).sum();
                assert!((out[i * n + j] - d).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn svd_reconstructs_tall_square_and_wide() {
        for (m, n) in [(7, 3), (4, 4), (3, 6), (1, 3), (5, 1)] {
            let a: Vec<f64> = (0..m * n)
                .map(|i| ((i * 7919 % 23) as f64 - 11.0) / 3.0 + (i as f64).sin())
                .collect();
            let s = svd(&a, m, n);
            assert_eq!(s.k, m.min(n));
            assert!(s.s.windows(2).all(|w| w[0] >= w[1]), "{:?}", s.s);
            let back = reconstruct(&s, m, n);
            for (x, y) in back.iter().zip(&a) {
                assert!((x - y).abs() < 1e-12, "{m}x{n}: {x} vs {y}");
            }
            assert!(orthonormal_rows(&s.vt, s.k, n), "{m}x{n} vt");
            let mut ut = vec![0.0; s.k * m];
            for i in 0..m {
                for t in 0..s.k {
                    ut[t * m + i] = s.u[i * s.k + t];
                }
            }
            assert!(orthonormal_rows(&ut, s.k, m), "{m}x{n} u");
        }
    }

    #[test]
    fn svd_of_a_known_matrix_and_a_rank_deficient_one() {
        // [[3, 0], [4, 5]] has singular values sqrt(45) and sqrt(5)
        let s = svd(&[3.0, 0.0, 4.0, 5.0], 2, 2);
        assert!((s.s[0] - 45f64.sqrt()).abs() < 1e-14);
        assert!((s.s[1] - 5f64.sqrt()).abs() < 1e-14);
        let s = svd(&[1.0, 2.0, 2.0, 4.0, 3.0, 6.0], 3, 2);
        assert!((s.s[0] - 70f64.sqrt()).abs() < 1e-13);
        assert!(s.s[1].abs() < 1e-14);
    }

    #[test]
    fn eigen_of_a_symmetric_matrix() {
        let a = [2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0];
        let (values, vectors) = symmetric_eigen(&a, 3);
        let want = [2.0 - 2f64.sqrt(), 2.0, 2.0 + 2f64.sqrt()];
        for (v, w) in values.iter().zip(want) {
            assert!((v - w).abs() < 1e-14, "{values:?}");
        }
        for (i, lambda) in values.iter().enumerate() {
            let x = &vectors[i * 3..(i + 1) * 3];
            for r in 0..3 {
                let ax: f64 = (0..3).map(|c| a[r * 3 + c] * x[c]).sum();
                assert!((ax - lambda * x[r]).abs() < 1e-14);
            }
        }
    }
}
