//! Convolution kernels on NHWC buffers: tiled im2col + GEMM forward (with a 1x1 fast
//! path), GEMM-based input gradient (col2im of dY·Wᵀ) and kernel gradient (im2colᵀ·dY),
//! per-group GEMMs for grouped convolutions and direct vectorised loops for depthwise
//! ones (one input channel per group), where a GEMM would be tiny.
//!
//! Layouts: input `(n, h, w, c)`, kernel `(kh, kw, c/groups, cout)`, output
//! `(n, oh, ow, cout)`, all row-major. Output channel `o` belongs to group
//! `o / (cout/groups)` and reads input channels `g*cin_g .. (g+1)*cin_g`.

use rayon::prelude::*;

use crate::cpu::conv_direct;
use crate::cpu::parallel::num_threads;
use crate::dtype::Element;

/// Work (multiply-adds x 2) above which the conv kernels use more than one thread.
pub(crate) const PAR_MIN_FLOPS: usize = 25_000_000;

/// Bytes of im2col buffer per tile (fits in L2 with the GEMM's packed operands).
const TILE_BYTES: usize = 384 * 1024;

/// The float element types the GEMM kernels run on (f32, f64).
pub(crate) trait ConvFloat:
    Element
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::AddAssign
{
    const ZERO: Self;
    const ONE: Self;
    const NEG_INF: Self;
    fn from_usize(n: usize) -> Self;
}

impl ConvFloat for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    const NEG_INF: f32 = f32::NEG_INFINITY;
    #[inline]
    fn from_usize(n: usize) -> f32 {
        n as f32
    }
}

impl ConvFloat for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    const NEG_INF: f64 = f64::NEG_INFINITY;
    #[inline]
    fn from_usize(n: usize) -> f64 {
        n as f64
    }
}

/// Geometry of a 2-D convolution (1-D ones use `h = kh = 1`). Also used by pooling and
/// patch extraction (`cout = c`, `groups = 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geom {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub kh: usize,
    pub kw: usize,
    pub cout: usize,
    pub groups: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    /// Padding before the first row / column.
    pub pt: usize,
    pub pl: usize,
    pub oh: usize,
    pub ow: usize,
}

impl Geom {
    /// The op `name` over this geometry, with its window attributes (what the listing,
    /// tracing and export see).
    pub fn op(&self, name: &'static str) -> crate::autodiff::Op {
        crate::autodiff::Op::new(name)
            .attr("kernel", vec![self.kh, self.kw])
            .attr("strides", vec![self.sh, self.sw])
            .attr("dilations", vec![self.dh, self.dw])
            .attr("padding", vec![self.pt, self.pl])
            .attr("groups", self.groups)
            .attr("input_size", vec![self.h, self.w])
            .attr("output_size", vec![self.oh, self.ow])
    }

    #[inline]
    pub fn cin_g(&self) -> usize {
        self.c / self.groups
    }
    #[inline]
    pub fn cout_g(&self) -> usize {
        self.cout / self.groups
    }
    /// Length of one im2col row for one group.
    #[inline]
    pub fn kg(&self) -> usize {
        self.kh * self.kw * self.cin_g()
    }
    /// Output positions per image.
    #[inline]
    pub fn opix(&self) -> usize {
        self.oh * self.ow
    }
    /// Input elements per image.
    #[inline]
    pub fn img(&self) -> usize {
        self.h * self.w * self.c
    }
    fn flops(&self) -> usize {
        2 * self.n * self.opix() * self.kh * self.kw * self.cin_g() * self.cout
    }
    /// A 1x1 stride-1 unpadded conv: the input is already the im2col matrix.
    pub(crate) fn pointwise(&self) -> bool {
        self.kh == 1
            && self.kw == 1
            && self.sh == 1
            && self.sw == 1
            && self.pt == 0
            && self.pl == 0
            && self.oh == self.h
            && self.ow == self.w
    }
    fn depthwise(&self) -> bool {
        self.cin_g() == 1 && self.groups > 1
    }
    /// Rows per im2col tile for a row length of `k` elements of `T`.
    fn tile_rows<T>(&self, k: usize) -> usize {
        let rows = TILE_BYTES / (k.max(1) * std::mem::size_of::<T>());
        rows.clamp(16, 4096)
    }
    /// The valid kernel taps along one axis for output index `o`: `(first input index,
    /// first tap, last tap exclusive)`.
    #[inline]
    fn taps(
        o: usize,
        s: usize,
        d: usize,
        p: usize,
        k: usize,
        size: usize,
    ) -> (isize, usize, usize) {
        let i0 = (o * s) as isize - p as isize;
        // smallest t with i0 + t*d >= 0, largest t with i0 + t*d < size
        let lo = if i0 >= 0 {
            0
        } else {
            ((-i0) as usize).div_ceil(d)
        };
        let hi = if i0 >= size as isize {
            0
        } else {
            ((size as isize - i0 - 1) as usize / d + 1).min(k)
        };
        (i0, lo.min(hi), hi)
    }
}

// ----- GEMM -----------------------------------------------------------------------------

/// `dst[m x n] (+)= lhs[m x k] · rhs[k x n]`, every operand given by a slice plus row and
/// column strides (elements). Checks that each operand's extent fits its slice.
#[allow(clippy::too_many_arguments)]
fn gemm_strided<T: ConvFloat>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [T],
    dst_rs: usize,
    dst_cs: usize,
    accumulate: bool,
    lhs: &[T],
    lhs_rs: usize,
    lhs_cs: usize,
    rhs: &[T],
    rhs_rs: usize,
    rhs_cs: usize,
    parallel: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    dst[i * dst_rs + j * dst_cs] = T::ZERO;
                }
            }
        }
        return;
    }
    let extent = |r: usize, c: usize, rs: usize, cs: usize| (r - 1) * rs + (c - 1) * cs + 1;
    assert!(
        extent(m, n, dst_rs, dst_cs) <= dst.len(),
        "kiln internal: gemm dst out of bounds"
    );
    assert!(
        extent(m, k, lhs_rs, lhs_cs) <= lhs.len(),
        "kiln internal: gemm lhs out of bounds"
    );
    assert!(
        extent(k, n, rhs_rs, rhs_cs) <= rhs.len(),
        "kiln internal: gemm rhs out of bounds"
    );
    let par = if parallel && num_threads() > 1 {
        gemm::Parallelism::Rayon(num_threads())
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the asserts above keep every accessed element inside its slice; dst does
    // not alias lhs or rhs (distinct borrows).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            dst_cs as isize,
            dst_rs as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            par,
        );
    }
}

// ----- im2col / col2im --------------------------------------------------------------------

/// Writes im2col rows `r0..r0+rows` (global output positions `(n, oh, ow)`) for input
/// channels `c0..c0+cg` into `dst` (`rows x kh*kw*cg`, taps in `(kh, kw, c)` order).
pub(crate) fn im2col<T: ConvFloat>(
    x: &[T],
    g: &Geom,
    r0: usize,
    rows: usize,
    c0: usize,
    cg: usize,
    dst: &mut [T],
) {
    let k = g.kh * g.kw * cg;
    if rows == 0 || k == 0 {
        return;
    }
    let whole = cg == g.c && g.dw == 1;
    // Tap ranges per output column and row, computed once per call rather than per row
    // (their integer divisions dominated the im2col of short rows, e.g. one input channel).
    let xtaps: Vec<(isize, usize, usize)> = (0..g.ow)
        .map(|ox| Geom::taps(ox, g.sw, g.dw, g.pl, g.kw, g.w))
        .collect();
    let ytaps: Vec<(isize, usize, usize)> = (0..g.oh)
        .map(|oy| Geom::taps(oy, g.sh, g.dh, g.pt, g.kh, g.h))
        .collect();
    let seg_len = g.kw * cg;
    let (mut ox, t) = (r0 % g.ow, r0 / g.ow);
    let (mut oy, mut img) = (t % g.oh, t / g.oh);
    for row in dst[..rows * k].chunks_exact_mut(k) {
        let base = img * g.img();
        let (iy0, ty0, ty1) = ytaps[oy];
        let (ix0, tx0, tx1) = xtaps[ox];
        if seg_len <= 16 {
            // Short rows (few channels): element loops, no fill/copy calls per segment.
            let mut at = 0;
            for ty in 0..g.kh {
                let yok = ty >= ty0 && ty < ty1;
                let iy = (iy0 + (ty * g.dh) as isize).max(0) as usize;
                let rowbase = base + iy * g.w * g.c + c0;
                for tx in 0..g.kw {
                    if yok && tx >= tx0 && tx < tx1 {
                        let s = rowbase + ((ix0 + (tx * g.dw) as isize) as usize) * g.c;
                        if cg == 1 {
                            row[at] = x[s];
                        } else {
                            for (d, &v) in row[at..at + cg].iter_mut().zip(&x[s..s + cg]) {
                                *d = v;
                            }
                        }
                    } else {
                        for d in &mut row[at..at + cg] {
                            *d = T::ZERO;
                        }
                    }
                    at += cg;
                }
            }
        } else {
            for ty in 0..g.kh {
                let seg = &mut row[ty * seg_len..(ty + 1) * seg_len];
                if ty < ty0 || ty >= ty1 {
                    seg.fill(T::ZERO);
                    continue;
                }
                let iy = (iy0 + (ty * g.dh) as isize) as usize;
                let rowbase = base + iy * g.w * g.c;
                seg[..tx0 * cg].fill(T::ZERO);
                seg[tx1 * cg..].fill(T::ZERO);
                if whole {
                    let ix = (ix0 + tx0 as isize) as usize;
                    let src = &x[rowbase + ix * g.c..rowbase + (ix + tx1 - tx0) * g.c];
                    copy_short(&mut seg[tx0 * cg..tx1 * cg], src);
                } else {
                    for tx in tx0..tx1 {
                        let ix = (ix0 + (tx * g.dw) as isize) as usize;
                        let s = rowbase + ix * g.c + c0;
                        copy_short(&mut seg[tx * cg..(tx + 1) * cg], &x[s..s + cg]);
                    }
                }
            }
        }
        ox += 1;
        if ox == g.ow {
            ox = 0;
            oy += 1;
            if oy == g.oh {
                oy = 0;
                img += 1;
            }
        }
    }
}

/// `dst.copy_from_slice(src)` without a `memcpy` call for the few-element segments of
/// small-channel convolutions.
#[inline(always)]
fn copy_short<T: Copy>(dst: &mut [T], src: &[T]) {
    if dst.len() <= 8 {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s;
        }
    } else {
        dst.copy_from_slice(src);
    }
}

/// The adjoint of [`im2col`]: adds the rows `r0..r0+rows` of `src` back into `x`.
pub(crate) fn col2im<T: ConvFloat>(
    src: &[T],
    g: &Geom,
    r0: usize,
    rows: usize,
    c0: usize,
    cg: usize,
    x: &mut [T],
) {
    let k = g.kh * g.kw * cg;
    for (i, row) in src[..rows * k].chunks_exact(k).enumerate() {
        let r = r0 + i;
        let ox = r % g.ow;
        let t = r / g.ow;
        let oy = t % g.oh;
        let img = t / g.oh;
        let base = img * g.img();
        let (iy0, ty0, ty1) = Geom::taps(oy, g.sh, g.dh, g.pt, g.kh, g.h);
        let (ix0, tx0, tx1) = Geom::taps(ox, g.sw, g.dw, g.pl, g.kw, g.w);
        for ty in ty0..ty1 {
            let iy = (iy0 + (ty * g.dh) as isize) as usize;
            let rowbase = base + iy * g.w * g.c;
            for tx in tx0..tx1 {
                let ix = (ix0 + (tx * g.dw) as isize) as usize;
                let s = rowbase + ix * g.c + c0;
                let from = &row[(ty * g.kw + tx) * cg..(ty * g.kw + tx + 1) * cg];
                for (d, &v) in x[s..s + cg].iter_mut().zip(from) {
                    *d += v;
                }
            }
        }
    }
}

/// Patch extraction: the im2col matrix of all channels, shaped `(n, oh, ow, kh*kw*c)`.
pub(crate) fn extract_patches<T: ConvFloat>(x: &[T], g: &Geom) -> Vec<T> {
    let rows = g.n * g.opix();
    let k = g.kh * g.kw * g.c;
    let mut out = crate::cpu::alloc::filled(rows * k, T::ZERO);
    if rows * k >= crate::cpu::parallel::ELEMENTWISE_PAR_MIN {
        let tile = g.tile_rows::<T>(k);
        out.par_chunks_mut(tile * k)
            .enumerate()
            .for_each(|(ti, chunk)| {
                im2col(x, g, ti * tile, chunk.len() / k, 0, g.c, chunk);
            });
    } else if k > 0 {
        im2col(x, g, 0, rows, 0, g.c, &mut out);
    }
    out
}

/// The adjoint of [`extract_patches`]: sums patch gradients back into the image.
pub(crate) fn extract_patches_grad<T: ConvFloat>(dy: &[T], g: &Geom) -> Vec<T> {
    let mut dx = crate::cpu::alloc::filled(g.n * g.img(), T::ZERO);
    let k = g.kh * g.kw * g.c;
    let per = g.opix() * k;
    if g.img() == 0 || per == 0 {
        return dx;
    }
    let one = |(img, d): (usize, &mut [T])| {
        let gi = Geom { n: 1, ..*g };
        col2im(&dy[img * per..(img + 1) * per], &gi, 0, g.opix(), 0, g.c, d);
    };
    if dy.len() >= crate::cpu::parallel::ELEMENTWISE_PAR_MIN {
        dx.par_chunks_mut(g.img()).enumerate().for_each(one);
    } else {
        dx.chunks_mut(g.img()).enumerate().for_each(one);
    }
    dx
}

// ----- convolution ------------------------------------------------------------------------

/// Forward convolution: `y (n, oh, ow, cout)` from `x` and kernel `wt`.
pub(crate) fn conv_forward<T: ConvFloat>(x: &[T], wt: &[T], g: &Geom) -> Vec<T> {
    let rows = g.n * g.opix();
    if rows > 0 && g.cout > 0 && conv_direct::direct_applies(g) && !g.pointwise() {
        // The direct kernel writes every output element: no zeroing pass.
        let mut y = crate::cpu::alloc::overwritten(rows * g.cout, T::ZERO);
        conv_direct::forward(x, wt, g, &mut y);
        return y;
    }
    let mut y = crate::cpu::alloc::filled(rows * g.cout, T::ZERO);
    if rows == 0 || g.cout == 0 {
        return y;
    }
    if g.depthwise() {
        depthwise_forward(x, wt, g, &mut y);
        return y;
    }
    if winograd_applies(g) {
        winograd_forward(x, wt, g, &mut y);
        return y;
    }

    let (cin_g, cout_g, kg, cout) = (g.cin_g(), g.cout_g(), g.kg(), g.cout);
    let par = g.flops() >= PAR_MIN_FLOPS && num_threads() > 1;
    if g.pointwise() {
        let tile = if par {
            rows.div_ceil(num_threads() * 4).max(64)
        } else {
            rows
        };
        let run = |(ti, ych): (usize, &mut [T])| {
            let r0 = ti * tile;
            let m = ych.len() / cout;
            for gi in 0..g.groups {
                gemm_strided(
                    m,
                    cout_g,
                    cin_g,
                    &mut ych[gi * cout_g..],
                    cout,
                    1,
                    false,
                    &x[r0 * g.c + gi * cin_g..],
                    g.c,
                    1,
                    &wt[gi * cout_g..],
                    cout,
                    1,
                    false,
                );
            }
        };
        if par {
            y.par_chunks_mut(tile * cout).enumerate().for_each(run);
        } else {
            y.chunks_mut(tile * cout).enumerate().for_each(run);
        }
        return y;
    }
    let tile = g.tile_rows::<T>(kg);
    let run = |buf: &mut Vec<T>, (ti, ych): (usize, &mut [T])| {
        let r0 = ti * tile;
        let m = ych.len() / cout;
        for gi in 0..g.groups {
            im2col(x, g, r0, m, gi * cin_g, cin_g, buf);
            gemm_strided(
                m,
                cout_g,
                kg,
                &mut ych[gi * cout_g..],
                cout,
                1,
                false,
                buf,
                kg,
                1,
                &wt[gi * cout_g..],
                cout,
                1,
                false,
            );
        }
    };
    if par {
        y.par_chunks_mut(tile * cout)
            .enumerate()
            .for_each_init(|| vec![T::ZERO; tile * kg], run);
    } else {
        let mut buf = vec![T::ZERO; tile.min(rows) * kg];
        y.chunks_mut(tile * cout)
            .enumerate()
            .for_each(|a| run(&mut buf, a));
    }
    y
}

/// Input gradient: `dx (n, h, w, c)` from `dy (n, oh, ow, cout)` and the kernel, i.e.
/// col2im(dY · Wᵀ) per group. Also the forward of a transposed convolution.
pub(crate) fn conv_backward_input<T: ConvFloat>(dy: &[T], wt: &[T], g: &Geom) -> Vec<T> {
    let mut dx = crate::cpu::alloc::filled(g.n * g.img(), T::ZERO);
    if dx.is_empty() || g.opix() == 0 || g.cout == 0 {
        return dx;
    }
    if g.depthwise() {
        depthwise_backward_input(dy, wt, g, &mut dx);
        return dx;
    }
    let (cin_g, cout_g, kg, cout, c) = (g.cin_g(), g.cout_g(), g.kg(), g.cout, g.c);
    let big = g.flops() >= PAR_MIN_FLOPS && num_threads() > 1;
    let (reach_h, reach_w) = ((g.kh - 1) * g.dh, (g.kw - 1) * g.dw);
    if g.groups == 1
        && g.sh == 1
        && g.sw == 1
        && !g.pointwise()
        && g.pt <= reach_h
        && g.pl <= reach_w
    {
        // Stride 1: the input gradient is itself a forward convolution of dY with the
        // spatially flipped, channel-transposed kernel (im2col + GEMM, no scatter-add).
        let mut wf = vec![T::ZERO; wt.len()];
        let taps = g.kh * g.kw;
        for t in 0..taps {
            let src = &wt[(taps - 1 - t) * c * cout..][..c * cout];
            let dst = &mut wf[t * c * cout..][..c * cout];
            for ci in 0..c {
                for co in 0..cout {
                    dst[co * c + ci] = src[ci * cout + co];
                }
            }
        }
        let g2 = Geom {
            h: g.oh,
            w: g.ow,
            c: cout,
            cout: c,
            pt: reach_h - g.pt,
            pl: reach_w - g.pl,
            oh: g.h,
            ow: g.w,
            ..*g
        };
        return conv_forward(dy, &wf, &g2);
    }
    if g.pointwise() {
        // dX[rows, group cols] = dY_g · W_gᵀ, rows disjoint: split rows over threads.
        let rows = g.n * g.opix();
        let tile = if big {
            rows.div_ceil(num_threads() * 4).max(64)
        } else {
            rows
        };
        let run = |(ti, dxc): (usize, &mut [T])| {
            let r0 = ti * tile;
            let m = dxc.len() / c;
            for gi in 0..g.groups {
                gemm_strided(
                    m,
                    cin_g,
                    cout_g,
                    &mut dxc[gi * cin_g..],
                    c,
                    1,
                    false,
                    &dy[r0 * cout + gi * cout_g..],
                    cout,
                    1,
                    &wt[gi * cout_g..],
                    1,
                    cout,
                    false,
                );
            }
        };
        if big {
            dx.par_chunks_mut(tile * c).enumerate().for_each(run);
        } else {
            dx.chunks_mut(tile * c).enumerate().for_each(run);
        }
        return dx;
    }
    // Images are independent (col2im of one image only touches that image): threads
    // take whole images; with too few images the GEMM itself goes parallel.
    let per_image = big && g.n >= num_threads();
    let gemm_par = big && !per_image;
    let tile = g.tile_rows::<T>(kg).min(g.opix());
    let gi1 = Geom { n: 1, ..*g };
    let opix = g.opix();
    let run = |buf: &mut Vec<T>, (img, dxi): (usize, &mut [T])| {
        let dyi = &dy[img * opix * cout..(img + 1) * opix * cout];
        let mut r0 = 0;
        while r0 < opix {
            let m = tile.min(opix - r0);
            for gi in 0..g.groups {
                gemm_strided(
                    m,
                    kg,
                    cout_g,
                    buf,
                    kg,
                    1,
                    false,
                    &dyi[r0 * cout + gi * cout_g..],
                    cout,
                    1,
                    &wt[gi * cout_g..],
                    1,
                    cout,
                    gemm_par,
                );
                col2im(buf, &gi1, r0, m, gi * cin_g, cin_g, dxi);
            }
            r0 += m;
        }
    };
    if per_image {
        dx.par_chunks_mut(g.img())
            .enumerate()
            .for_each_init(|| vec![T::ZERO; tile * kg], run);
    } else {
        let mut buf = vec![T::ZERO; tile * kg];
        dx.chunks_mut(g.img())
            .enumerate()
            .for_each(|a| run(&mut buf, a));
    }
    dx
}

/// Kernel gradient: `dw (kh, kw, c/groups, cout)` = im2col(x)ᵀ · dY per group.
pub(crate) fn conv_backward_filter<T: ConvFloat>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let (cin_g, cout_g, kg, cout, c) = (g.cin_g(), g.cout_g(), g.kg(), g.cout, g.c);
    let wlen = kg * cout;
    let rows = g.n * g.opix();
    if rows == 0 || wlen == 0 {
        return vec![T::ZERO; wlen];
    }
    if g.depthwise() {
        return depthwise_backward_filter(x, dy, g);
    }
    if winograd_applies(g) {
        return winograd_backward_filter(x, dy, g);
    }
    if conv_direct::direct_applies(g) && !g.pointwise() {
        return conv_direct::backward_filter(x, dy, g);
    }
    let par = g.flops() >= PAR_MIN_FLOPS && num_threads() > 1;
    let pointwise = g.pointwise();
    let tile = if pointwise {
        if par {
            rows.div_ceil(num_threads() * 4).max(64)
        } else {
            rows
        }
    } else {
        // Longer tiles than the forward's: fewer, deeper GEMM calls into the accumulator.
        (g.tile_rows::<T>(kg) * 4).min(rows.div_ceil(num_threads() * 2).max(16))
    };
    let ntiles = rows.div_ceil(tile);
    // Accumulates tiles into `acc` (kg x cout); `first` says whether acc holds data yet.
    let add_tile = |acc: &mut Vec<T>, buf: &mut Vec<T>, filled: &mut bool, ti: usize| {
        let r0 = ti * tile;
        let m = tile.min(rows - r0);
        for gi in 0..g.groups {
            let (lhs, lrs, lcs): (&[T], usize, usize) = if pointwise {
                (&x[r0 * c + gi * cin_g..], 1, c)
            } else {
                im2col(x, g, r0, m, gi * cin_g, cin_g, buf);
                (&buf[..], 1, kg)
            };
            gemm_strided(
                kg,
                cout_g,
                m,
                &mut acc[gi * cout_g..],
                cout,
                1,
                *filled,
                lhs,
                lrs,
                lcs,
                &dy[r0 * cout + gi * cout_g..],
                cout,
                1,
                false,
            );
        }
        *filled = true;
    };
    let bufsize = if pointwise { 0 } else { tile.min(rows) * kg };
    if par {
        let parts: Vec<Vec<T>> = (0..ntiles)
            .into_par_iter()
            .fold(
                || (vec![T::ZERO; wlen], vec![T::ZERO; bufsize], false),
                |(mut acc, mut buf, mut filled), ti| {
                    add_tile(&mut acc, &mut buf, &mut filled, ti);
                    (acc, buf, filled)
                },
            )
            .map(|(acc, _, _)| acc)
            .collect();
        let mut it = parts.into_iter();
        let mut total = it.next().unwrap_or_else(|| vec![T::ZERO; wlen]);
        for p in it {
            for (a, b) in total.iter_mut().zip(p) {
                *a += b;
            }
        }
        total
    } else {
        let mut acc = vec![T::ZERO; wlen];
        let mut buf = vec![T::ZERO; bufsize];
        let mut filled = false;
        for ti in 0..ntiles {
            add_tile(&mut acc, &mut buf, &mut filled, ti);
        }
        acc
    }
}

// ----- Winograd F(2x2, 3x3) -----------------------------------------------------------------

/// Large 3x3 stride-1 undilated ungrouped convolutions use Winograd F(2x2, 3x3): 16 GEMMs
/// of `(tiles x c) · (c x cout)` instead of one `(pixels x 9c) · (9c x cout)`, 2.25x fewer
/// multiplies. Its rounding error stays at a few ulps of the sums (the transforms only
/// add, subtract and halve).
fn winograd_applies(g: &Geom) -> bool {
    g.kh == 3
        && g.kw == 3
        && g.sh == 1
        && g.sw == 1
        && g.dh == 1
        && g.dw == 1
        && g.groups == 1
        && g.c >= 16
        && g.cout >= 16
        && g.oh >= 2
        && g.ow >= 2
        && g.flops() >= PAR_MIN_FLOPS
}

/// `U[xi][ci][co] = (G · g[ci, co] · Gᵀ)[xi]` for `G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]]`.
fn winograd_kernel<T: ConvFloat>(wt: &[T], c: usize, co: usize) -> Vec<T> {
    let half = T::from_f64(0.5);
    let mut u = vec![T::ZERO; 16 * c * co];
    let tr = |a: T, b: T, d: T| [a, half * (a + b + d), half * (a - b + d), d];
    for ci in 0..c {
        for o in 0..co {
            let k = |ky: usize, kx: usize| wt[((ky * 3 + kx) * c + ci) * co + o];
            // rows: G · g (4 x 3)
            let mut gg = [[T::ZERO; 3]; 4];
            for kx in 0..3 {
                let col = tr(k(0, kx), k(1, kx), k(2, kx));
                for (row, &v) in gg.iter_mut().zip(&col) {
                    row[kx] = v;
                }
            }
            for (r, row) in gg.iter().enumerate() {
                let v = tr(row[0], row[1], row[2]);
                for (q, &val) in v.iter().enumerate() {
                    u[((r * 4 + q) * c + ci) * co + o] = val;
                }
            }
        }
    }
    u
}

/// `o = a + b`, `o = a - b`, `o = -a` over one pixel's channels. Whole-slice loops on
/// equal-length slices vectorise; indexing one big scratch buffer per element did not
/// (the transforms were scalar, 14% of a CNN step's instructions).
#[inline(always)]
fn add_to<T: ConvFloat>(o: &mut [T], a: &[T], b: &[T]) {
    for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
        *o = a + b;
    }
}
#[inline(always)]
fn sub_to<T: ConvFloat>(o: &mut [T], a: &[T], b: &[T]) {
    for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
        *o = a - b;
    }
}
#[inline(always)]
fn neg_to<T: ConvFloat>(o: &mut [T], a: &[T]) {
    for (o, &a) in o.iter_mut().zip(a) {
        *o = T::ZERO - a;
    }
}

/// Winograd input transform of the 4x4 input tile `(img, ty, tx)` into row `t` of the 16
/// matrices `v` (`16 x t_count x c`); `d` is a `16 x c` scratch for edge tiles.
#[allow(clippy::too_many_arguments)]
fn wino_input<T: ConvFloat>(
    x: &[T],
    g: &Geom,
    img: usize,
    ty: usize,
    tx: usize,
    t: usize,
    t_count: usize,
    d: &mut [T],
    v: &mut [T],
) {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::simd_math::has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at run time.
        unsafe { wino_input_avx2(x, g, img, ty, tx, t, t_count, d, v) };
        return;
    }
    wino_input_body(x, g, img, ty, tx, t, t_count, d, v, false)
}

/// [`wino_input`] compiled for AVX2 (the build targets baseline x86-64, where the
/// channel loops only get 4-wide SSE).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn wino_input_avx2<T: ConvFloat>(
    x: &[T],
    g: &Geom,
    img: usize,
    ty: usize,
    tx: usize,
    t: usize,
    t_count: usize,
    d: &mut [T],
    v: &mut [T],
) {
    wino_input_body(x, g, img, ty, tx, t, t_count, d, v, true)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn wino_input_body<T: ConvFloat>(
    x: &[T],
    g: &Geom,
    img: usize,
    ty: usize,
    tx: usize,
    t: usize,
    t_count: usize,
    d: &mut [T],
    v: &mut [T],
    avx2: bool,
) {
    let c = g.c;
    let base = img * g.img();
    let iy0 = (2 * ty) as isize - g.pt as isize;
    let ix0 = (2 * tx) as isize - g.pl as isize;
    let interior = iy0 >= 0 && ix0 >= 0 && iy0 as usize + 3 < g.h && ix0 as usize + 3 < g.w;
    // The tile as rows of 4 pixels `rs` apart: straight from the image when it lies
    // inside, else gathered into `d` with zeros for the padding.
    let (xt, rs) = if interior {
        let rs = g.w * c;
        let p0 = base + (iy0 as usize * g.w + ix0 as usize) * c;
        (&x[p0..p0 + 3 * rs + 4 * c], rs)
    } else {
        for a in 0..4 {
            let iy = iy0 + a as isize;
            for b in 0..4 {
                let ix = ix0 + b as isize;
                let dst = &mut d[(a * 4 + b) * c..(a * 4 + b + 1) * c];
                if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize {
                    dst.fill(T::ZERO);
                } else {
                    let s = base + (iy as usize * g.w + ix as usize) * c;
                    dst.copy_from_slice(&x[s..s + c]);
                }
            }
        }
        (&d[..16 * c], 4 * c)
    };
    let (vs, vt) = (t_count * c, t * c);
    assert!(
        15 * vs + vt + c <= v.len(),
        "kiln internal: Winograd V buffer"
    );
    #[cfg(target_arch = "x86_64")]
    if avx2
        && c.is_multiple_of(8)
        && let (Some(xf), Some(vf)) = (
            crate::cpu::conv_direct::as_f32(xt),
            crate::cpu::conv_direct::as_f32_mut(v),
        )
    {
        // SAFETY: AVX2 was detected (`avx2` is only set by `wino_input_avx2`); the
        // extents were checked above.
        unsafe { wino_input_tile_f32(xf, rs, c, vf, vs, vt) };
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    // Any type or channel count: one channel at a time, Bᵀ d B with
    // Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]].
    let tr = |p: [T; 4]| [p[0] - p[2], p[1] + p[2], p[2] - p[1], p[1] - p[3]];
    for ch in 0..c {
        let px = |a: usize, b: usize| xt[a * rs + b * c + ch];
        let cols: [[T; 4]; 4] =
            std::array::from_fn(|b| tr([px(0, b), px(1, b), px(2, b), px(3, b)]));
        for a in 0..4 {
            let r = tr([cols[0][a], cols[1][a], cols[2][a], cols[3][a]]);
            for (q, &val) in r.iter().enumerate() {
                v[(a * 4 + q) * vs + vt + ch] = val;
            }
        }
    }
}

/// The input transform of one tile in AVX2 registers, eight channels at a time:
/// row `a` of `Bᵀ d` from two loads per column, then `· B` along it into four rows of
/// `v` (80 instructions per block instead of several hundred for the array version).
///
/// # Safety
/// AVX2 must be available; `xt` holds the tile (`3 rs + 4 c` elements, `c % 8 == 0`)
/// and `v` rows `q vs + vt .. + c` for `q < 16`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn wino_input_tile_f32(
    xt: &[f32],
    rs: usize,
    c: usize,
    v: &mut [f32],
    vs: usize,
    vt: usize,
) {
    use std::arch::x86_64::*;
    debug_assert!(xt.len() >= 3 * rs + 4 * c && 15 * vs + vt + c <= v.len());
    let (xp, vp) = (xt.as_ptr(), v.as_mut_ptr());
    let mut c0 = 0;
    while c0 < c {
        // SAFETY: a, b < 4 and c0 + 8 <= c keep every load inside `xt` (3 rs + 4 c).
        let ld = |a: usize, b: usize| unsafe { _mm256_loadu_ps(xp.add(a * rs + b * c + c0)) };
        // (Bᵀ d) row a, column b, from rows (i, j) of d: r0 = d0 - d2, r1 = d1 + d2,
        // r2 = d2 - d1, r3 = d1 - d3.
        let rows: [(usize, usize, i32); 4] = [(0, 2, -1), (1, 2, 1), (2, 1, -1), (1, 3, -1)];
        for (a, &(i, j, sign)) in rows.iter().enumerate() {
            let e = |b: usize| {
                if sign > 0 {
                    _mm256_add_ps(ld(i, b), ld(j, b))
                } else {
                    _mm256_sub_ps(ld(i, b), ld(j, b))
                }
            };
            let (e0, e1, e2, e3) = (e(0), e(1), e(2), e(3));
            // SAFETY: row a * 4 + q < 16 and c0 + 8 <= c: inside `v` (checked by the caller).
            let st = |q: usize, val: __m256| unsafe {
                _mm256_storeu_ps(vp.add((a * 4 + q) * vs + vt + c0), val)
            };
            st(0, _mm256_sub_ps(e0, e2));
            st(1, _mm256_add_ps(e1, e2));
            st(2, _mm256_sub_ps(e2, e1));
            st(3, _mm256_sub_ps(e1, e3));
        }
        c0 += 8;
    }
}

/// Output transform `Y = Aᵀ M A` (`Aᵀ = [[1,1,1,0],[0,1,-1,-1]]`) of tile `t` of the 16
/// products `m` into the output band (two rows of `ow` pixels), vectorised over output
/// channels: columns first into `sc` (4 rows x 2 cols x co), then rows.
#[allow(clippy::too_many_arguments)]
fn wino_output<T: ConvFloat>(
    m: &[T],
    sc: &mut [T],
    band: &mut [T],
    t: usize,
    t_count: usize,
    co: usize,
    tx: usize,
    rows: usize,
    cols: usize,
    ow: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::simd_math::has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at run time.
        unsafe { wino_output_avx2(m, sc, band, t, t_count, co, tx, rows, cols, ow) };
        return;
    }
    wino_output_body(m, sc, band, t, t_count, co, tx, rows, cols, ow)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn wino_output_avx2<T: ConvFloat>(
    m: &[T],
    sc: &mut [T],
    band: &mut [T],
    t: usize,
    t_count: usize,
    co: usize,
    tx: usize,
    rows: usize,
    cols: usize,
    ow: usize,
) {
    wino_output_body(m, sc, band, t, t_count, co, tx, rows, cols, ow)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn wino_output_body<T: ConvFloat>(
    m: &[T],
    sc: &mut [T],
    band: &mut [T],
    t: usize,
    t_count: usize,
    co: usize,
    tx: usize,
    rows: usize,
    cols: usize,
    ow: usize,
) {
    for a in 0..4 {
        let at = |q: usize| &m[((a * 4 + q) * t_count + t) * co..][..co];
        let (m0, m1, m2, m3) = (at(0), at(1), at(2), at(3));
        let (s0, s1) = sc[a * 2 * co..(a + 1) * 2 * co].split_at_mut(co);
        for o in 0..co {
            s0[o] = m0[o] + m1[o] + m2[o];
            s1[o] = m1[o] - m2[o] - m3[o];
        }
    }
    for j in 0..cols {
        let r = |a: usize| &sc[(a * 2 + j) * co..][..co];
        let (r0, r1, r2, r3) = (r(0), r(1), r(2), r(3));
        let out0 = &mut band[(2 * tx + j) * co..][..co];
        for o in 0..co {
            out0[o] = r0[o] + r1[o] + r2[o];
        }
        if rows == 2 {
            let out1 = &mut band[(ow + 2 * tx + j) * co..][..co];
            for o in 0..co {
                out1[o] = r1[o] - r2[o] - r3[o];
            }
        }
    }
}

fn winograd_forward<T: ConvFloat>(x: &[T], wt: &[T], g: &Geom, y: &mut [T]) {
    let (c, co) = (g.c, g.cout);
    let u = winograd_kernel(wt, c, co);
    let th = g.oh.div_ceil(2);
    let tw = g.ow.div_ceil(2);
    // Bands: two output rows of one image (the last band of an odd-height image has one).
    let mut bands: Vec<(usize, usize, &mut [T])> = Vec::with_capacity(g.n * th);
    for (img, yi) in y.chunks_mut(g.opix() * co).enumerate() {
        for (ty, band) in yi.chunks_mut(2 * g.ow * co).enumerate() {
            bands.push((img, ty, band));
        }
    }
    // Tiles per task: the transformed input and product buffers (16 x tiles x (c + co))
    // stay near L2 size; the 16 GEMMs get m = tiles.
    let tiles = (TILE_BYTES * 2 / (16 * (c + co) * std::mem::size_of::<T>())).clamp(32, 512);
    let per_task = tiles.div_ceil(tw).max(1);
    let run = |bufs: &mut (Vec<T>, Vec<T>, Vec<T>, Vec<T>),
               task: &mut [(usize, usize, &mut [T])]| {
        let (v, m, d, sc) = bufs;
        let t_count = task.len() * tw;
        // Input transform V[xi][t][ci] = (Bᵀ d B)[xi].
        let mut t = 0;
        for (img, ty, _) in task.iter() {
            for tx in 0..tw {
                wino_input(x, g, *img, *ty, tx, t, t_count, d, v);
                t += 1;
            }
        }
        // 16 GEMMs: M[xi] (t x co) = V[xi] (t x c) · U[xi] (c x co).
        for xi in 0..16 {
            gemm_strided(
                t_count,
                co,
                c,
                &mut m[xi * t_count * co..(xi + 1) * t_count * co],
                co,
                1,
                false,
                &v[xi * t_count * c..(xi + 1) * t_count * c],
                c,
                1,
                &u[xi * c * co..(xi + 1) * c * co],
                co,
                1,
                false,
            );
        }
        // Output transform Y = Aᵀ M A with Aᵀ = [[1,1,1,0],[0,1,-1,-1]], vectorised over
        // output channels: columns first into `sc` (4 rows x 2 cols x co), then rows.
        let mut t = 0;
        for (_, ty, band) in task.iter_mut() {
            let rows = if 2 * *ty + 1 < g.oh { 2 } else { 1 };
            for tx in 0..tw {
                let cols = if 2 * tx + 1 < g.ow { 2 } else { 1 };
                wino_output(m, sc, band, t, t_count, co, tx, rows, cols, g.ow);
                t += 1;
            }
        }
    };
    let cap = per_task * tw;
    let init = || {
        (
            vec![T::ZERO; 16 * cap * c],
            vec![T::ZERO; 16 * cap * co],
            vec![T::ZERO; 16 * c],
            vec![T::ZERO; 8 * co],
        )
    };
    if num_threads() > 1 {
        bands.par_chunks_mut(per_task).for_each_init(init, run);
    } else {
        let mut bufs = init();
        bands
            .chunks_mut(per_task)
            .for_each(|task| run(&mut bufs, task));
    }
}

/// `dM = A dY Aᵀ` of the 2x2 output-gradient tile in `yb[..4 co]` (rows y00, y01, y10,
/// y11) into row `t` of the 16 matrices `dm` (`16 x t_count x co`), with
/// `A = [[1,0],[1,1],[1,-1],[0,-1]]`; `yb[4 co..12 co]` is scratch.
fn wino_dm<T: ConvFloat>(yb: &mut [T], co: usize, t: usize, t_count: usize, dm: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::simd_math::has_avx2_fma() {
        // SAFETY: AVX2 and FMA were detected at run time.
        unsafe { wino_dm_avx2(yb, co, t, t_count, dm) };
        return;
    }
    wino_dm_body(yb, co, t, t_count, dm)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn wino_dm_avx2<T: ConvFloat>(
    yb: &mut [T],
    co: usize,
    t: usize,
    t_count: usize,
    dm: &mut [T],
) {
    wino_dm_body(yb, co, t, t_count, dm)
}

#[inline(always)]
fn wino_dm_body<T: ConvFloat>(yb: &mut [T], co: usize, t: usize, t_count: usize, dm: &mut [T]) {
    // A on the tile's columns (C[i] = [y_i0, y_i0 + y_i1, y_i0 - y_i1, -y_i1]), then on
    // its rows straight into dM: adds only, channel-vectorised.
    let (ys, cs) = yb[..12 * co].split_at_mut(4 * co);
    for i in 0..2 {
        let (yi0, yi1) = (&ys[2 * i * co..][..co], &ys[(2 * i + 1) * co..][..co]);
        let ci = &mut cs[4 * i * co..][..4 * co];
        ci[..co].copy_from_slice(yi0);
        add_to(&mut ci[co..2 * co], yi0, yi1);
        sub_to(&mut ci[2 * co..3 * co], yi0, yi1);
        neg_to(&mut ci[3 * co..], yi1);
    }
    let (c0, c1) = cs.split_at(4 * co);
    for b in 0..4 {
        let (c0b, c1b) = (&c0[b * co..][..co], &c1[b * co..][..co]);
        let row = |a: usize| ((a * 4 + b) * t_count + t) * co;
        dm[row(0)..][..co].copy_from_slice(c0b);
        add_to(&mut dm[row(1)..][..co], c0b, c1b);
        sub_to(&mut dm[row(2)..][..co], c0b, c1b);
        neg_to(&mut dm[row(3)..][..co], c1b);
    }
}

/// Kernel gradient by Winograd F(2x2, 3x3): `dU[xi] = Σ_t V[xi][t]ᵀ · (A dY_t Aᵀ)[xi]`
/// (the adjoint of the forward's products), then `dW = Gᵀ dU G`.
fn winograd_backward_filter<T: ConvFloat>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let (c, co) = (g.c, g.cout);
    let th = g.oh.div_ceil(2);
    let tw = g.ow.div_ceil(2);
    let bands: Vec<(usize, usize)> = (0..g.n)
        .flat_map(|img| (0..th).map(move |ty| (img, ty)))
        .collect();
    let tiles = (TILE_BYTES * 2 / (16 * (c + co) * std::mem::size_of::<T>())).clamp(32, 512);
    let per_task = tiles.div_ceil(tw).max(1);
    let cap = per_task * tw;
    let ulen = 16 * c * co;
    type State<T> = (Vec<T>, Vec<T>, Vec<T>, Vec<T>, Vec<T>, bool);
    let run = |state: &mut State<T>, task: &[(usize, usize)]| {
        let (du, v, dm, d, yb, filled) = state;
        let t_count = task.len() * tw;
        let mut t = 0;
        for &(img, ty) in task {
            for tx in 0..tw {
                wino_input(x, g, img, ty, tx, t, t_count, d, v);
                // dM = A dY Aᵀ with A = [[1,0],[1,1],[1,-1],[0,-1]] on the 2x2 dY tile
                // (zeros past the output edge), vectorised over output channels.
                for i in 0..2 {
                    for j in 0..2 {
                        let (oy, ox) = (2 * ty + i, 2 * tx + j);
                        let dst = &mut yb[(i * 2 + j) * co..(i * 2 + j + 1) * co];
                        if oy < g.oh && ox < g.ow {
                            dst.copy_from_slice(&dy[((img * g.oh + oy) * g.ow + ox) * co..][..co]);
                        } else {
                            dst.fill(T::ZERO);
                        }
                    }
                }
                wino_dm(yb, co, t, t_count, dm);
                t += 1;
            }
        }
        for xi in 0..16 {
            gemm_strided(
                c,
                co,
                t_count,
                &mut du[xi * c * co..(xi + 1) * c * co],
                co,
                1,
                *filled,
                &v[xi * t_count * c..(xi + 1) * t_count * c],
                1,
                c,
                &dm[xi * t_count * co..(xi + 1) * t_count * co],
                co,
                1,
                false,
            );
        }
        *filled = true;
    };
    let init = || {
        (
            vec![T::ZERO; ulen],
            vec![T::ZERO; 16 * cap * c],
            vec![T::ZERO; 16 * cap * co],
            vec![T::ZERO; 16 * c],
            vec![T::ZERO; 12 * co],
            false,
        )
    };
    let du = if num_threads() > 1 {
        bands
            .par_chunks(per_task)
            .fold(init, |mut st, task| {
                run(&mut st, task);
                st
            })
            .map(|st| st.0)
            .reduce(
                || vec![T::ZERO; ulen],
                |mut a, b| {
                    for (p, q) in a.iter_mut().zip(b) {
                        *p += q;
                    }
                    a
                },
            )
    } else {
        let mut st = init();
        for task in bands.chunks(per_task) {
            run(&mut st, task);
        }
        st.0
    };
    // dW = Gᵀ dU G with Gᵀ = [[1,½,½,0],[0,½,-½,0],[0,½,½,1]].
    let half = T::from_f64(0.5);
    let tr = |a0: T, a1: T, a2: T, a3: T| {
        [
            a0 + half * (a1 + a2),
            half * (a1 - a2),
            half * (a1 + a2) + a3,
        ]
    };
    let mut dw = vec![T::ZERO; 9 * c * co];
    for ci in 0..c {
        for o in 0..co {
            let u = |a: usize, b: usize| du[((a * 4 + b) * c + ci) * co + o];
            let mut rows = [[T::ZERO; 4]; 3];
            for b in 0..4 {
                let r = tr(u(0, b), u(1, b), u(2, b), u(3, b));
                for (row, &val) in rows.iter_mut().zip(&r) {
                    row[b] = val;
                }
            }
            for (ky, row) in rows.iter().enumerate() {
                let r = tr(row[0], row[1], row[2], row[3]);
                for (kx, &val) in r.iter().enumerate() {
                    dw[((ky * 3 + kx) * c + ci) * co + o] = val;
                }
            }
        }
    }
    dw
}

// ----- depthwise (one input channel per group) ----------------------------------------------

/// `y[.., c*m + j] = Σ x[.., c] * w[ty, tx, 0, c*m + j]` over the window.
fn depthwise_forward<T: ConvFloat>(x: &[T], wt: &[T], g: &Geom, y: &mut [T]) {
    let (cout, mult) = (g.cout, g.cout_g());
    let row_len = g.ow * cout;
    let run = |(r, yrow): (usize, &mut [T])| {
        let oy = r % g.oh;
        let img = r / g.oh;
        let base = img * g.img();
        let (iy0, ty0, ty1) = Geom::taps(oy, g.sh, g.dh, g.pt, g.kh, g.h);
        for ox in 0..g.ow {
            let out = &mut yrow[ox * cout..(ox + 1) * cout];
            let (ix0, tx0, tx1) = Geom::taps(ox, g.sw, g.dw, g.pl, g.kw, g.w);
            for ty in ty0..ty1 {
                let iy = (iy0 + (ty * g.dh) as isize) as usize;
                for tx in tx0..tx1 {
                    let ix = (ix0 + (tx * g.dw) as isize) as usize;
                    let xs = &x[base + (iy * g.w + ix) * g.c..][..g.c];
                    let ws = &wt[(ty * g.kw + tx) * cout..][..cout];
                    if mult == 1 {
                        for ((o, &xv), &wv) in out.iter_mut().zip(xs).zip(ws) {
                            *o += xv * wv;
                        }
                    } else {
                        for ((o, &xv), w) in out
                            .chunks_exact_mut(mult)
                            .zip(xs)
                            .zip(ws.chunks_exact(mult))
                        {
                            for (o, &wv) in o.iter_mut().zip(w) {
                                *o += xv * wv;
                            }
                        }
                    }
                }
            }
        }
    };
    if g.flops() >= PAR_MIN_FLOPS / 4 && num_threads() > 1 {
        y.par_chunks_mut(row_len).enumerate().for_each(run);
    } else {
        y.chunks_mut(row_len).enumerate().for_each(run);
    }
}

fn depthwise_backward_input<T: ConvFloat>(dy: &[T], wt: &[T], g: &Geom, dx: &mut [T]) {
    let (cout, mult) = (g.cout, g.cout_g());
    let run = |(img, dxi): (usize, &mut [T])| {
        for oy in 0..g.oh {
            let (iy0, ty0, ty1) = Geom::taps(oy, g.sh, g.dh, g.pt, g.kh, g.h);
            for ox in 0..g.ow {
                let d = &dy[((img * g.oh + oy) * g.ow + ox) * cout..][..cout];
                let (ix0, tx0, tx1) = Geom::taps(ox, g.sw, g.dw, g.pl, g.kw, g.w);
                for ty in ty0..ty1 {
                    let iy = (iy0 + (ty * g.dh) as isize) as usize;
                    for tx in tx0..tx1 {
                        let ix = (ix0 + (tx * g.dw) as isize) as usize;
                        let xs = &mut dxi[(iy * g.w + ix) * g.c..][..g.c];
                        let ws = &wt[(ty * g.kw + tx) * cout..][..cout];
                        if mult == 1 {
                            for ((o, &dv), &wv) in xs.iter_mut().zip(d).zip(ws) {
                                *o += dv * wv;
                            }
                        } else {
                            for ((o, dv), wv) in xs
                                .iter_mut()
                                .zip(d.chunks_exact(mult))
                                .zip(ws.chunks_exact(mult))
                            {
                                let mut s = T::ZERO;
                                for (&a, &b) in dv.iter().zip(wv) {
                                    s += a * b;
                                }
                                *o += s;
                            }
                        }
                    }
                }
            }
        }
    };
    if g.flops() >= PAR_MIN_FLOPS / 4 && num_threads() > 1 && g.n > 1 {
        dx.par_chunks_mut(g.img()).enumerate().for_each(run);
    } else {
        dx.chunks_mut(g.img()).enumerate().for_each(run);
    }
}

fn depthwise_backward_filter<T: ConvFloat>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let (cout, mult) = (g.cout, g.cout_g());
    let wlen = g.kh * g.kw * cout;
    let one_image = |acc: &mut Vec<T>, img: usize| {
        let base = img * g.img();
        for oy in 0..g.oh {
            let (iy0, ty0, ty1) = Geom::taps(oy, g.sh, g.dh, g.pt, g.kh, g.h);
            for ox in 0..g.ow {
                let d = &dy[((img * g.oh + oy) * g.ow + ox) * cout..][..cout];
                let (ix0, tx0, tx1) = Geom::taps(ox, g.sw, g.dw, g.pl, g.kw, g.w);
                for ty in ty0..ty1 {
                    let iy = (iy0 + (ty * g.dh) as isize) as usize;
                    for tx in tx0..tx1 {
                        let ix = (ix0 + (tx * g.dw) as isize) as usize;
                        let xs = &x[base + (iy * g.w + ix) * g.c..][..g.c];
                        let ws = &mut acc[(ty * g.kw + tx) * cout..][..cout];
                        if mult == 1 {
                            for ((o, &dv), &xv) in ws.iter_mut().zip(d).zip(xs) {
                                *o += dv * xv;
                            }
                        } else {
                            for ((o, dv), &xv) in
                                ws.chunks_exact_mut(mult).zip(d.chunks_exact(mult)).zip(xs)
                            {
                                for (o, &a) in o.iter_mut().zip(dv) {
                                    *o += a * xv;
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    if g.flops() >= PAR_MIN_FLOPS / 4 && num_threads() > 1 && g.n > 1 {
        (0..g.n)
            .into_par_iter()
            .fold(
                || vec![T::ZERO; wlen],
                |mut acc, img| {
                    one_image(&mut acc, img);
                    acc
                },
            )
            .reduce(
                || vec![T::ZERO; wlen],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            )
    } else {
        let mut acc = vec![T::ZERO; wlen];
        for img in 0..g.n {
            one_image(&mut acc, img);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[f64], w: &[f64], g: &Geom) -> Vec<f64> {
        let mut y = vec![0.0; g.n * g.opix() * g.cout];
        for n in 0..g.n {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    for o in 0..g.cout {
                        let gi = o / g.cout_g();
                        let mut s = 0.0;
                        for ty in 0..g.kh {
                            for tx in 0..g.kw {
                                let iy = (oy * g.sh + ty * g.dh) as isize - g.pt as isize;
                                let ix = (ox * g.sw + tx * g.dw) as isize - g.pl as isize;
                                if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize {
                                    continue;
                                }
                                for ci in 0..g.cin_g() {
                                    let xv = x[((n * g.h + iy as usize) * g.w + ix as usize) * g.c
                                        + gi * g.cin_g()
                                        + ci];
                                    s += xv * w[((ty * g.kw + tx) * g.cin_g() + ci) * g.cout + o];
                                }
                            }
                        }
                        y[((n * g.oh + oy) * g.ow + ox) * g.cout + o] = s;
                    }
                }
            }
        }
        y
    }

    #[test]
    fn winograd_matches_naive() {
        // 19 channels: two full 8-lane blocks of the transforms and a partial one.
        for (h, w, pt, pl, oh, ow, c) in [
            (9, 11, 1, 1, 9, 11, 16),
            (8, 8, 0, 0, 6, 6, 16),
            (7, 6, 1, 0, 7, 4, 16),
            (9, 11, 1, 1, 9, 11, 19),
            (7, 6, 1, 0, 7, 4, 19),
        ] {
            let g = Geom {
                n: 3,
                h,
                w,
                c,
                kh: 3,
                kw: 3,
                cout: 24,
                groups: 1,
                sh: 1,
                sw: 1,
                dh: 1,
                dw: 1,
                pt,
                pl,
                oh,
                ow,
            };
            let x: Vec<f64> = (0..g.n * g.img())
                .map(|i| ((i * 7 % 13) as f64) * 0.25 - 1.5)
                .collect();
            let wv: Vec<f64> = (0..g.kg() * g.cout)
                .map(|i| ((i * 5 % 9) as f64) * 0.5 - 2.0)
                .collect();
            let mut y = vec![0.0; g.n * g.opix() * g.cout];
            winograd_forward(&x, &wv, &g, &mut y);
            let want = naive(&x, &wv, &g);
            for (a, b) in y.iter().zip(&want) {
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                    "{a} vs {b} for {g:?}"
                );
            }
            // f32 takes the AVX2 register path on interior tiles.
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let w32: Vec<f32> = wv.iter().map(|&v| v as f32).collect();
            let mut y32 = vec![0.0f32; y.len()];
            winograd_forward(&x32, &w32, &g, &mut y32);
            for (a, b) in y32.iter().zip(&want) {
                assert!(
                    (*a as f64 - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "f32 {a} vs {b} for {g:?}"
                );
            }
        }
    }

    #[test]
    fn winograd_filter_grad_matches_gemm() {
        // 19 channels: two full 8-lane blocks of the transforms and a partial one.
        for (h, w, pt, pl, oh, ow, c) in [
            (9, 11, 1, 1, 9, 11, 16),
            (8, 8, 0, 0, 6, 6, 16),
            (7, 6, 1, 0, 7, 4, 16),
            (9, 11, 1, 1, 9, 11, 19),
            (7, 6, 1, 0, 7, 4, 19),
        ] {
            let g = Geom {
                n: 3,
                h,
                w,
                c,
                kh: 3,
                kw: 3,
                cout: 24,
                groups: 1,
                sh: 1,
                sw: 1,
                dh: 1,
                dw: 1,
                pt,
                pl,
                oh,
                ow,
            };
            let x: Vec<f64> = (0..g.n * g.img())
                .map(|i| ((i * 7 % 13) as f64) * 0.25 - 1.5)
                .collect();
            let dy: Vec<f64> = (0..g.n * g.opix() * g.cout)
                .map(|i| ((i * 5 % 9) as f64) * 0.5 - 2.0)
                .collect();
            let got = winograd_backward_filter(&x, &dy, &g);
            // The im2col path: force it with a geometry Winograd does not take (groups
            // stay 1; only the flop threshold differs, so call the GEMM code directly).
            let mut want = vec![0.0; g.kg() * g.cout];
            let mut col = vec![0.0; g.n * g.opix() * g.kg()];
            im2col(&x, &g, 0, g.n * g.opix(), 0, g.c, &mut col);
            let rows = g.n * g.opix();
            gemm_strided(
                g.kg(),
                g.cout,
                rows,
                &mut want,
                g.cout,
                1,
                false,
                &col,
                1,
                g.kg(),
                &dy,
                g.cout,
                1,
                false,
            );
            for (a, b) in got.iter().zip(&want) {
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                    "{a} vs {b} for {g:?}"
                );
            }
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let dy32: Vec<f32> = dy.iter().map(|&v| v as f32).collect();
            let got32 = winograd_backward_filter(&x32, &dy32, &g);
            for (a, b) in got32.iter().zip(&want) {
                assert!(
                    (*a as f64 - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "f32 {a} vs {b} for {g:?}"
                );
            }
        }
    }

    #[test]
    fn forward_matches_naive() {
        let shapes = [
            Geom {
                n: 2,
                h: 5,
                w: 6,
                c: 4,
                kh: 3,
                kw: 2,
                cout: 6,
                groups: 2,
                sh: 2,
                sw: 1,
                dh: 1,
                dw: 2,
                pt: 1,
                pl: 1,
                oh: 3,
                ow: 5,
            },
            Geom {
                n: 2,
                h: 5,
                w: 6,
                c: 3,
                kh: 1,
                kw: 1,
                cout: 4,
                groups: 1,
                sh: 1,
                sw: 1,
                dh: 1,
                dw: 1,
                pt: 0,
                pl: 0,
                oh: 5,
                ow: 6,
            },
            Geom {
                n: 1,
                h: 4,
                w: 4,
                c: 3,
                kh: 3,
                kw: 3,
                cout: 6,
                groups: 3,
                sh: 1,
                sw: 1,
                dh: 1,
                dw: 1,
                pt: 1,
                pl: 1,
                oh: 4,
                ow: 4,
            },
        ];
        for g in shapes {
            let x: Vec<f64> = (0..g.n * g.img())
                .map(|i| ((i * 7 % 11) as f64) - 5.0)
                .collect();
            let w: Vec<f64> = (0..g.kg() * g.cout)
                .map(|i| ((i * 3 % 5) as f64) - 2.0)
                .collect();
            assert_eq!(conv_forward(&x, &w, &g), naive(&x, &w, &g), "{g:?}");
        }
    }
}
