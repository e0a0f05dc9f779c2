//! Magnitude masks (TFMOT's `Pruning._update_mask` and `_maybe_update_block_mask`): keep
//! the largest weights by magnitude, elementwise or by pooled blocks of a 2-D weight.

use kiln::{Error, Result};

/// How blocks of weights are ranked in block sparsity (TFMOT's `block_pooling_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockPooling {
    /// The mean magnitude of the block (`"AVG"`, the default).
    Avg,
    /// The largest magnitude in the block (`"MAX"`).
    Max,
}

impl BlockPooling {
    /// `"AVG"` or `"MAX"`; anything else is TFMOT's `ValueError`.
    ///
    /// ```
    /// use kiln_lite::sparsity::BlockPooling;
    /// assert_eq!(BlockPooling::parse("MAX")?, BlockPooling::Max);
    /// assert!(BlockPooling::parse("SUM").is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn parse(name: &str) -> Result<BlockPooling> {
        match name {
            "AVG" => Ok(BlockPooling::Avg),
            "MAX" => Ok(BlockPooling::Max),
            other => Err(Error::InvalidArgument {
                api: "PruneLowMagnitude",
                msg: format!("Unsupported pooling type '{other}'. Should be 'AVG' or 'MAX'."),
            }),
        }
    }

    /// The name TFMOT's config uses.
    pub fn name(self) -> &'static str {
        match self {
            BlockPooling::Avg => "AVG",
            BlockPooling::Max => "MAX",
        }
    }
}

/// The elementwise mask of `weights` at `sparsity`, and its threshold: the `k`-th largest
/// magnitude with `k = max(round_half_even(n * (1 - sparsity)), 1)` (float32 as TFMOT),
/// keeping every weight whose magnitude is at least the threshold (ties are all kept).
///
/// ```
/// let (t, m) = kiln_lite::sparsity::magnitude_mask(&[0.1, -0.5, 0.3, 0.2], 0.5);
/// assert_eq!((t, m), (0.3, vec![0.0, 1.0, 1.0, 0.0]));
/// ```
pub fn magnitude_mask(weights: &[f32], sparsity: f32) -> (f32, Vec<f32>) {
    let n = weights.len();
    if n == 0 {
        return (0.0, Vec::new());
    }
    let k = ((n as f32) * (1.0f32 - sparsity))
        .round_ties_even()
        .max(1.0) as usize;
    let k = k.min(n);
    let abs: Vec<f32> = weights.iter().map(|w| w.abs()).collect();
    let mut sorted = abs.clone();
    // Descending, as tf.math.top_k (NaN first, as the largest).
    sorted.sort_by(|a, b| {
        b.partial_cmp(a)
            .unwrap_or_else(|| b.is_nan().cmp(&a.is_nan()))
    });
    let threshold = sorted[k - 1];
    let mask = abs
        .iter()
        .map(|&a| if a >= threshold { 1.0 } else { 0.0 })
        .collect();
    (threshold, mask)
}

/// TF's SAME padding before the data for a window `b` with stride `b` over `n`.
fn same_pad_before(n: usize, b: usize) -> usize {
    let out = n.div_ceil(b);
    let total = ((out - 1) * b + b).saturating_sub(n);
    total / 2
}

/// Pools `rows x cols` (row-major) along rows in windows of `b` with stride `b` and SAME
/// padding (padding excluded from averages), as `tf.nn.pool` does in `factorized_pool`.
fn pool_rows(data: &[f32], rows: usize, cols: usize, b: usize, pooling: BlockPooling) -> Vec<f32> {
    let out_rows = rows.div_ceil(b);
    let pad = same_pad_before(rows, b);
    let mut out = vec![0f32; out_rows * cols];
    for o in 0..out_rows {
        let start = (o * b) as isize - pad as isize;
        let lo = start.max(0) as usize;
        let hi = ((start + b as isize) as usize).min(rows);
        for c in 0..cols {
            let v = match pooling {
                BlockPooling::Avg => {
                    let mut s = 0f32;
                    for r in lo..hi {
                        s += data[r * cols + c];
                    }
                    s / (hi - lo) as f32
                }
                BlockPooling::Max => (lo..hi)
                    .map(|r| data[r * cols + c])
                    .fold(f32::NEG_INFINITY, f32::max),
            };
            out[o * cols + c] = v;
        }
    }
    out
}

fn transpose(data: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0f32; data.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = data[r * cols + c];
        }
    }
    t
}

/// The block mask of a 2-D `rows x cols` weight (row-major) and the threshold of the
/// pooled magnitudes: magnitudes pooled over `block` (AVG or MAX, SAME padding, stride =
/// block, rows first then columns as TFMOT's `factorized_pool`), ranked as
/// [`magnitude_mask`], each pooled decision repeated over its block and cropped to the
/// weight's shape (TFMOT's `expand_tensor`).
///
/// ```
/// use kiln_lite::sparsity::{block_mask, BlockPooling};
/// let w = [1.0, 1.0, 0.1, 0.1,
///          1.0, 1.0, 0.1, 0.1];
/// let (_, m) = block_mask(&w, 2, 4, [2, 2], BlockPooling::Avg, 0.5);
/// assert_eq!(m, vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
/// ```
pub fn block_mask(
    weights: &[f32],
    rows: usize,
    cols: usize,
    block: [usize; 2],
    pooling: BlockPooling,
    sparsity: f32,
) -> (f32, Vec<f32>) {
    let [bh, bw] = block;
    let abs: Vec<f32> = weights.iter().map(|w| w.abs()).collect();
    let by_rows = pool_rows(&abs, rows, cols, bh, pooling);
    let pr = rows.div_ceil(bh);
    let t = transpose(&by_rows, pr, cols);
    let by_cols = pool_rows(&t, cols, pr, bw, pooling);
    let pc = cols.div_ceil(bw);
    let pooled = transpose(&by_cols, pc, pr);
    let (threshold, small) = magnitude_mask(&pooled, sparsity);
    let mut mask = vec![0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            mask[r * cols + c] = small[(r / bh) * pc + c / bw];
        }
    }
    (threshold, mask)
}
