//! The tree builder shared by the decision trees and the forests: scikit-learn's
//! depth-first builder with the dense `BestSplitter` (`_tree.pyx`, `_splitter.pyx`,
//! `_partitioner.pyx`, `_criterion.pyx`), re-derived step for step.
//!
//! What makes the trees equal to scikit-learn's:
//!
//! - `X` is rounded to `float32` (scikit-learn's `DTYPE`) and thresholds are
//!   `v[p-1] / 2 + v[p] / 2` in `float64`, with values closer than `1e-7` treated as tied;
//! - the features of a node are drawn with scikit-learn's own xorshift generator
//!   (`our_rand_r`, seeded by `RandomState.randint(0, 2**31 - 1)`) in its Fisher–Yates
//!   scheme, including the bookkeeping of constant features that changes which draws
//!   happen, so ties between equally good features are broken the same way;
//! - samples are sorted with the same introsort (median-of-3, 3-way partition), and
//!   partitioned with the same swaps, so every node sees its samples in scikit-learn's
//!   order and floating-point sums run in the same order;
//! - the criteria (`gini`, `entropy`/`log_loss`, `squared_error`) update their sums
//!   forwards or backwards from the same side as scikit-learn's, and the stopping rules
//!   (`EPSILON` slack, `min_impurity_decrease`) are the same.

/// Values of a feature closer than this are one value (`FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f32 = 1e-7;
/// `np.finfo(np.float64).eps`.
const EPSILON: f64 = f64::EPSILON;
/// `RAND_R_MAX`.
pub(crate) const RAND_R_MAX: u32 = 0x7FFF_FFFF;
/// Marks a missing child.
pub(crate) const TREE_LEAF: usize = usize::MAX;

/// scikit-learn's `our_rand_r`: a 32-bit xorshift reduced to 31 bits.
fn our_rand_r(seed: &mut u32) -> u32 {
    if *seed == 0 {
        *seed = 1;
    }
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    *seed % (RAND_R_MAX + 1)
}

/// A uniform integer in `[low, high)` (`rand_int`).
fn rand_int(low: usize, high: usize, seed: &mut u32) -> usize {
    low + (our_rand_r(seed) as usize) % (high - low)
}

/// Training data in the builder's layout: `float32`, one contiguous column per feature.
pub(crate) struct Columns {
    pub(crate) data: Vec<f32>,
    pub(crate) n_samples: usize,
    pub(crate) n_features: usize,
    /// rank codes, built by the first tree that can use them
    codes: std::sync::OnceLock<Option<Codes>>,
}

/// Each value's rank among its column's distinct values, one byte per value (columns
/// with at most 256 distinct values, as pixels): a quarter of the `float32` column's
/// memory traffic in the gathers that dominate a classification tree's fit, and a
/// counting sort instead of a comparison sort. Ranks order and tie exactly as the
/// values do, so the splits are the same.
pub(crate) struct Codes {
    /// column-major codes
    data: Vec<u8>,
    /// per feature, its distinct values in increasing order
    values: Vec<Vec<f32>>,
}

impl Codes {
    fn build(x: &Columns) -> Option<Codes> {
        use rayon::prelude::*;
        let n = x.n_samples;
        let per_column: Vec<Option<(Vec<u8>, Vec<f32>)>> = (0..x.n_features)
            .into_par_iter()
            .map(|f| {
                let col = x.column(f);
                let mut uniq: Vec<f32> = col.to_vec();
                uniq.sort_unstable_by(f32::total_cmp);
                uniq.dedup_by(|a, b| a == b);
                if uniq.len() > 256 || uniq.iter().any(|v| v.is_nan()) {
                    return None;
                }
                let codes = col
                    .iter()
                    .map(|v| uniq.partition_point(|u| u < v) as u8)
                    .collect();
                Some((codes, uniq))
            })
            .collect();
        let mut data = Vec::with_capacity(n * x.n_features);
        let mut values = Vec::with_capacity(x.n_features);
        for c in per_column {
            let (codes, uniq) = c?;
            data.extend_from_slice(&codes);
            values.push(uniq);
        }
        Some(Codes { data, values })
    }
}

impl Columns {
    /// Column-major `float32` copy of a row-major `float64` matrix.
    pub(crate) fn from_matrix(x: &crate::Matrix) -> Self {
        let (n, d) = x.shape();
        let mut data = vec![0f32; n * d];
        let src = x.as_slice();
        for i in 0..n {
            for f in 0..d {
                data[f * n + i] = src[i * d + f] as f32;
            }
        }
        Columns {
            data,
            n_samples: n,
            n_features: d,
            codes: std::sync::OnceLock::new(),
        }
    }

    fn column(&self, f: usize) -> &[f32] {
        &self.data[f * self.n_samples..(f + 1) * self.n_samples]
    }

    fn codes(&self) -> Option<&Codes> {
        self.codes.get_or_init(|| Codes::build(self)).as_ref()
    }

    /// Feature `f`'s codes and distinct values.
    fn code_column<'c>(&self, codes: &'c Codes, f: usize) -> (&'c [u8], &'c [f32]) {
        (
            &codes.data[f * self.n_samples..(f + 1) * self.n_samples],
            &codes.values[f],
        )
    }
}

/// The impurity criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CriterionKind {
    Gini,
    Entropy,
    SquaredError,
}

/// The targets: class codes `0..n_classes` or real values.
#[derive(Clone, Copy)]
pub(crate) enum Targets<'a> {
    Classes { y: &'a [usize], n_classes: usize },
    Values(&'a [f64]),
}

/// The resolved stopping rules and split search size.
#[derive(Debug, Clone)]
pub(crate) struct BuildParams {
    pub(crate) criterion: CriterionKind,
    pub(crate) max_depth: usize,
    pub(crate) min_samples_split: usize,
    pub(crate) min_samples_leaf: usize,
    pub(crate) min_weight_leaf: f64,
    pub(crate) max_features: usize,
    pub(crate) min_impurity_decrease: f64,
}

/// A node of a fitted tree (`tree_.children_left`, `feature`, `threshold`, ...).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) left: usize,
    pub(crate) right: usize,
    pub(crate) feature: usize,
    pub(crate) threshold: f64,
    pub(crate) impurity: f64,
    pub(crate) n_node_samples: usize,
    pub(crate) weighted_n_node_samples: f64,
}

/// A fitted tree: nodes in scikit-learn's (depth-first, left first) order and each
/// node's value (class fractions, or the mean).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
    pub(crate) values: Vec<f64>,
    pub(crate) n_values: usize,
    pub(crate) max_depth: usize,
}

impl Tree {
    /// The leaf reached by a `float32`-rounded row (`apply`).
    pub(crate) fn leaf(&self, row: &[f64]) -> usize {
        let mut id = 0;
        loop {
            let node = &self.nodes[id];
            if node.left == TREE_LEAF {
                return id;
            }
            let v = f64::from(row[node.feature] as f32);
            id = if v <= node.threshold {
                node.left
            } else {
                node.right
            };
        }
    }

    /// The value of the leaf reached by `row`.
    pub(crate) fn value(&self, row: &[f64]) -> &[f64] {
        let id = self.leaf(row);
        &self.values[id * self.n_values..(id + 1) * self.n_values]
    }

    /// `compute_feature_importances(normalize=True)`.
    pub(crate) fn feature_importances(&self, n_features: usize) -> Vec<f64> {
        let mut imp = vec![0.0; n_features];
        for node in &self.nodes {
            if node.left != TREE_LEAF {
                let (l, r) = (&self.nodes[node.left], &self.nodes[node.right]);
                imp[node.feature] += node.weighted_n_node_samples * node.impurity
                    - l.weighted_n_node_samples * l.impurity
                    - r.weighted_n_node_samples * r.impurity;
            }
        }
        let root_w = self.nodes[0].weighted_n_node_samples;
        for v in &mut imp {
            *v /= root_w;
        }
        let total: f64 = imp.iter().sum();
        if total > 0.0 {
            for v in &mut imp {
                *v /= total;
            }
        }
        imp
    }
}

// ---------------------------------------------------------------------------------------
// criteria

struct Criterion<'a> {
    kind: CriterionKind,
    targets: Targets<'a>,
    sample_weight: Option<&'a [f64]>,
    weighted_n_samples: f64,
    start: usize,
    end: usize,
    pos: usize,
    /// per class (classification) or one slot (regression)
    sum_total: Vec<f64>,
    sum_left: Vec<f64>,
    sum_right: Vec<f64>,
    sq_sum_total: f64,
    weighted_n_node_samples: f64,
    weighted_n_left: f64,
    weighted_n_right: f64,
}

impl<'a> Criterion<'a> {
    fn new(
        kind: CriterionKind,
        targets: Targets<'a>,
        sample_weight: Option<&'a [f64]>,
        weighted_n_samples: f64,
    ) -> Self {
        let width = match targets {
            Targets::Classes { n_classes, .. } => n_classes,
            Targets::Values(_) => 1,
        };
        Criterion {
            kind,
            targets,
            sample_weight,
            weighted_n_samples,
            start: 0,
            end: 0,
            pos: 0,
            sum_total: vec![0.0; width],
            sum_left: vec![0.0; width],
            sum_right: vec![0.0; width],
            sq_sum_total: 0.0,
            weighted_n_node_samples: 0.0,
            weighted_n_left: 0.0,
            weighted_n_right: 0.0,
        }
    }

    #[inline]
    fn w(&self, i: usize) -> f64 {
        self.sample_weight.map_or(1.0, |w| w[i])
    }

    fn init(&mut self, samples: &[usize], start: usize, end: usize) {
        self.start = start;
        self.end = end;
        self.weighted_n_node_samples = 0.0;
        self.sum_total.iter_mut().for_each(|v| *v = 0.0);
        self.sq_sum_total = 0.0;
        match self.targets {
            Targets::Classes { y, .. } => {
                for &i in &samples[start..end] {
                    let w = self.w(i);
                    self.sum_total[y[i]] += w;
                    self.weighted_n_node_samples += w;
                }
            }
            Targets::Values(y) => {
                for &i in &samples[start..end] {
                    let w = self.w(i);
                    let wy = w * y[i];
                    self.sum_total[0] += wy;
                    self.sq_sum_total += wy * y[i];
                    self.weighted_n_node_samples += w;
                }
            }
        }
        self.reset();
    }

    fn reset(&mut self) {
        self.pos = self.start;
        self.sum_left.iter_mut().for_each(|v| *v = 0.0);
        self.sum_right.copy_from_slice(&self.sum_total);
        self.weighted_n_left = 0.0;
        self.weighted_n_right = self.weighted_n_node_samples;
    }

    fn reverse_reset(&mut self) {
        self.pos = self.end;
        self.sum_right.iter_mut().for_each(|v| *v = 0.0);
        self.sum_left.copy_from_slice(&self.sum_total);
        self.weighted_n_right = 0.0;
        self.weighted_n_left = self.weighted_n_node_samples;
    }

    /// Moves `samples[pos..new_pos]` to the left child, from whichever end is nearer.
    fn update(&mut self, samples: &[usize], new_pos: usize) {
        let pos = self.pos;
        let forward = new_pos - pos <= self.end - new_pos;
        if !forward {
            self.reverse_reset();
        }
        match self.targets {
            Targets::Classes { y, .. } => {
                if forward {
                    for &i in &samples[pos..new_pos] {
                        let w = self.w(i);
                        self.sum_left[y[i]] += w;
                        self.weighted_n_left += w;
                    }
                } else {
                    for &i in samples[new_pos..self.end].iter().rev() {
                        let w = self.w(i);
                        self.sum_left[y[i]] -= w;
                        self.weighted_n_left -= w;
                    }
                }
            }
            Targets::Values(y) => {
                if forward {
                    for &i in &samples[pos..new_pos] {
                        let w = self.w(i);
                        self.sum_left[0] += w * y[i];
                        self.weighted_n_left += w;
                    }
                } else {
                    for &i in samples[new_pos..self.end].iter().rev() {
                        let w = self.w(i);
                        self.sum_left[0] -= w * y[i];
                        self.weighted_n_left -= w;
                    }
                }
            }
        }
        self.weighted_n_right = self.weighted_n_node_samples - self.weighted_n_left;
        for c in 0..self.sum_total.len() {
            self.sum_right[c] = self.sum_total[c] - self.sum_left[c];
        }
        self.pos = new_pos;
    }

    fn class_impurity(&self, sums: &[f64], weight: f64) -> f64 {
        match self.kind {
            CriterionKind::Gini => {
                let mut sq = 0.0;
                for &c in sums {
                    sq += c * c;
                }
                1.0 - sq / (weight * weight)
            }
            _ => {
                let mut entropy = 0.0;
                for &c in sums {
                    if c > 0.0 {
                        let p = c / weight;
                        entropy -= p * (p.ln() / std::f64::consts::LN_2);
                    }
                }
                entropy
            }
        }
    }

    fn node_impurity(&self) -> f64 {
        match self.targets {
            Targets::Classes { .. } => {
                self.class_impurity(&self.sum_total, self.weighted_n_node_samples)
            }
            Targets::Values(_) => {
                let w = self.weighted_n_node_samples;
                let mean = self.sum_total[0] / w;
                self.sq_sum_total / w - mean.powi(2)
            }
        }
    }

    fn children_impurity(&self, samples: &[usize]) -> (f64, f64) {
        match self.targets {
            Targets::Classes { .. } => (
                self.class_impurity(&self.sum_left, self.weighted_n_left),
                self.class_impurity(&self.sum_right, self.weighted_n_right),
            ),
            Targets::Values(y) => {
                let mut sq_left = 0.0;
                for &i in &samples[self.start..self.pos] {
                    let w = self.w(i);
                    sq_left += w * y[i] * y[i];
                }
                let sq_right = self.sq_sum_total - sq_left;
                let (wl, wr) = (self.weighted_n_left, self.weighted_n_right);
                (
                    sq_left / wl - (self.sum_left[0] / wl).powi(2),
                    sq_right / wr - (self.sum_right[0] / wr).powi(2),
                )
            }
        }
    }

    fn proxy_impurity_improvement(&self, samples: &[usize]) -> f64 {
        match self.targets {
            Targets::Classes { .. } => {
                let (l, r) = self.children_impurity(samples);
                -self.weighted_n_right * r - self.weighted_n_left * l
            }
            Targets::Values(_) => {
                let (sl, sr) = (self.sum_left[0], self.sum_right[0]);
                sl * sl / self.weighted_n_left + sr * sr / self.weighted_n_right
            }
        }
    }

    fn impurity_improvement(&self, parent: f64, left: f64, right: f64) -> f64 {
        let wn = self.weighted_n_node_samples;
        (wn / self.weighted_n_samples)
            * (parent - self.weighted_n_right / wn * right - self.weighted_n_left / wn * left)
    }

    fn node_value(&self, out: &mut [f64]) {
        for (o, s) in out.iter_mut().zip(&self.sum_total) {
            *o = s / self.weighted_n_node_samples;
        }
    }
}

// ---------------------------------------------------------------------------------------
// sorting (scikit-learn's `simultaneous_sort` with the 3-way introsort)

fn median3(v: &[f32]) -> f32 {
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

fn sift_down(v: &mut [f32], s: &mut [usize], start: usize, end: usize) {
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

fn heapsort(v: &mut [f32], s: &mut [usize]) {
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

fn insertion_sort(v: &mut [f32], s: &mut [usize]) {
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

fn introsort_3way(mut v: &mut [f32], mut s: &mut [usize], mut maxd: i64) {
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
fn fast_sort(v: &mut [f32], s: &mut [usize], packed: &mut Vec<u64>) {
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

fn simultaneous_sort(v: &mut [f32], s: &mut [usize]) {
    let n = v.len();
    if n == 0 {
        return;
    }
    let maxd = 2 * ((n as f64).log2() as i64);
    introsort_3way(v, s, maxd);
}

// ---------------------------------------------------------------------------------------
// splitter and builder

struct SplitRecord {
    feature: usize,
    pos: usize,
    threshold: f64,
    improvement: f64,
    impurity_left: f64,
    impurity_right: f64,
}

struct Splitter<'a> {
    x: &'a Columns,
    params: &'a BuildParams,
    criterion: Criterion<'a>,
    samples: Vec<usize>,
    features: Vec<usize>,
    constant_features: Vec<usize>,
    feature_values: Vec<f32>,
    rand_r_state: u32,
    /// Classification with integer weights: the sums of a node do not depend on the
    /// order of its samples, so tied values may be sorted in any order (a faster sort
    /// gives the same tree). Regression keeps scikit-learn's exact order.
    ///
    /// In this mode a node's `samples` are also kept in ascending order (the root is,
    /// and a stable partition keeps both children so): a feature's values are then
    /// gathered from its column front to back, which the hardware prefetches, instead of
    /// in the previous feature's value order. The value sort goes to `order`, and since
    /// it sorts `(value, index)` pairs completely, its result does not depend on the
    /// order it is given: the tree is the same.
    any_order: bool,
    packed: Vec<u64>,
    /// the current feature's samples in value order (`any_order` mode)
    order: Vec<usize>,
    /// the rank codes of the columns (`any_order` mode, columns with few values)
    codes: Option<&'a Codes>,
    code_buf: Vec<u8>,
    counts: [usize; 256],
}

impl Splitter<'_> {
    /// `node_split_best` on `samples[start..end]`; updates `n_constant_features`.
    fn node_split(
        &mut self,
        start: usize,
        end: usize,
        impurity: f64,
        n_constant_features: &mut usize,
    ) -> SplitRecord {
        let n_features = self.x.n_features;
        let max_features = self.params.max_features;
        let min_samples_leaf = self.params.min_samples_leaf;
        let min_weight_leaf = self.params.min_weight_leaf;
        let mut best = SplitRecord {
            feature: 0,
            pos: end,
            threshold: 0.0,
            improvement: f64::NEG_INFINITY,
            impurity_left: f64::INFINITY,
            impurity_right: f64::INFINITY,
        };
        let mut best_proxy = f64::NEG_INFINITY;
        let mut f_i = n_features;
        let mut n_visited = 0;
        let mut n_found_constants = 0;
        let mut n_drawn_constants = 0;
        let n_known_constants = *n_constant_features;
        let mut n_total_constants = n_known_constants;

        while f_i > n_total_constants
            && (n_visited < max_features || n_visited <= n_found_constants + n_drawn_constants)
        {
            n_visited += 1;
            let mut f_j = rand_int(
                n_drawn_constants,
                f_i - n_found_constants,
                &mut self.rand_r_state,
            );
            if f_j < n_known_constants {
                self.features.swap(n_drawn_constants, f_j);
                n_drawn_constants += 1;
                continue;
            }
            f_j += n_found_constants;
            let feature = self.features[f_j];
            // sort_samples_and_feature_values
            if let Some(codes) = self.codes {
                // the same values in the same (value, index) order, by a counting sort
                // of the rank codes gathered in ascending sample order
                let (col, vals) = self.x.code_column(codes, feature);
                let (mut lo, mut hi) = (u8::MAX, 0u8);
                for (c, &s) in self.code_buf[start..end]
                    .iter_mut()
                    .zip(&self.samples[start..end])
                {
                    *c = col[s];
                    lo = lo.min(*c);
                    hi = hi.max(*c);
                }
                let fv = &mut self.feature_values;
                if lo == hi {
                    fv[start] = vals[usize::from(lo)];
                    fv[end - 1] = fv[start];
                } else {
                    let (lo, hi) = (usize::from(lo), usize::from(hi));
                    let counts = &mut self.counts[lo..=hi];
                    counts.fill(0);
                    for &c in &self.code_buf[start..end] {
                        counts[usize::from(c) - lo] += 1;
                    }
                    let mut acc = start;
                    for c in counts.iter_mut() {
                        let k = *c;
                        *c = acc;
                        acc += k;
                    }
                    for (&c, &s) in self.code_buf[start..end]
                        .iter()
                        .zip(&self.samples[start..end])
                    {
                        let slot = &mut counts[usize::from(c) - lo];
                        self.order[*slot] = s;
                        fv[*slot] = vals[usize::from(c)];
                        *slot += 1;
                    }
                }
            } else {
                let column = self.x.column(feature);
                let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
                for (v, &s) in self.feature_values[start..end]
                    .iter_mut()
                    .zip(&self.samples[start..end])
                {
                    *v = column[s];
                    lo = lo.min(*v);
                    hi = hi.max(*v);
                }
                // an exactly constant feature: scikit-learn's 3-way introsort leaves the
                // order unchanged, so there is nothing to sort
                if lo != hi {
                    if self.any_order {
                        self.order[start..end].copy_from_slice(&self.samples[start..end]);
                        fast_sort(
                            &mut self.feature_values[start..end],
                            &mut self.order[start..end],
                            &mut self.packed,
                        );
                    } else {
                        simultaneous_sort(
                            &mut self.feature_values[start..end],
                            &mut self.samples[start..end],
                        );
                    }
                }
            }
            let fv = &self.feature_values;
            if fv[end - 1] <= fv[start] + FEATURE_THRESHOLD {
                self.features.swap(f_j, n_total_constants);
                n_found_constants += 1;
                n_total_constants += 1;
                continue;
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);

            self.criterion.reset();
            let mut p = start;
            while p < end {
                // next_p
                p += 1;
                while p < end && fv[p] <= fv[p - 1] + FEATURE_THRESHOLD {
                    p += 1;
                }
                let p_prev = p - 1;
                if p >= end {
                    continue;
                }
                if p - start < min_samples_leaf || end - p < min_samples_leaf {
                    continue;
                }
                let sorted = if self.any_order {
                    &self.order
                } else {
                    &self.samples
                };
                self.criterion.update(sorted, p);
                if self.criterion.weighted_n_left < min_weight_leaf
                    || self.criterion.weighted_n_right < min_weight_leaf
                {
                    continue;
                }
                let proxy = self.criterion.proxy_impurity_improvement(sorted);
                if proxy > best_proxy {
                    best_proxy = proxy;
                    best.feature = feature;
                    best.pos = p;
                    best.threshold = f64::from(fv[p_prev]) / 2.0 + f64::from(fv[p]) / 2.0;
                }
            }
        }

        if best.pos < end {
            // partition_samples_final
            let column = self.x.column(best.feature);
            if self.any_order {
                // stable, so that both children keep their samples in ascending order
                let (mut left, mut right) = (start, start);
                for i in start..end {
                    let s = self.samples[i];
                    if f64::from(column[s]) <= best.threshold {
                        self.samples[left] = s;
                        left += 1;
                    } else {
                        self.order[right] = s;
                        right += 1;
                    }
                }
                self.samples[left..end].copy_from_slice(&self.order[start..right]);
                debug_assert_eq!(left, best.pos);
            } else {
                let (mut ps, mut pe) = (start, end);
                while ps < pe {
                    if f64::from(column[self.samples[ps]]) <= best.threshold {
                        ps += 1;
                    } else {
                        pe -= 1;
                        self.samples.swap(ps, pe);
                    }
                }
            }
            self.criterion.reset();
            self.criterion.update(&self.samples, best.pos);
            let (l, r) = self.criterion.children_impurity(&self.samples);
            best.impurity_left = l;
            best.impurity_right = r;
            best.improvement = self.criterion.impurity_improvement(impurity, l, r);
        }
        self.features[..n_known_constants]
            .copy_from_slice(&self.constant_features[..n_known_constants]);
        let (known, found) = (n_known_constants, n_found_constants);
        let new_found = self.features[known..known + found].to_vec();
        self.constant_features[known..known + found].copy_from_slice(&new_found);
        *n_constant_features = n_total_constants;
        best
    }
}

struct StackRecord {
    start: usize,
    end: usize,
    depth: usize,
    parent: usize,
    is_left: bool,
    impurity: f64,
    n_constant_features: usize,
}

/// Builds one tree (`DepthFirstTreeBuilder.build`). `rand_r_seed` is the splitter's
/// `RandomState.randint(0, RAND_R_MAX)` draw.
pub(crate) fn build_tree(
    x: &Columns,
    targets: Targets<'_>,
    sample_weight: Option<&[f64]>,
    params: &BuildParams,
    rand_r_seed: u32,
) -> Tree {
    let n = x.n_samples;
    let mut samples = Vec::with_capacity(n);
    let mut weighted_n_samples = 0.0;
    for i in 0..n {
        match sample_weight {
            Some(w) => {
                if w[i] != 0.0 {
                    samples.push(i);
                }
                weighted_n_samples += w[i];
            }
            None => {
                samples.push(i);
                weighted_n_samples += 1.0;
            }
        }
    }
    let n_values = match targets {
        Targets::Classes { n_classes, .. } => n_classes,
        Targets::Values(_) => 1,
    };
    let mut splitter = Splitter {
        x,
        params,
        criterion: Criterion::new(params.criterion, targets, sample_weight, weighted_n_samples),
        samples,
        features: (0..x.n_features).collect(),
        constant_features: vec![0; x.n_features],
        feature_values: vec![0.0; n],
        rand_r_state: rand_r_seed,
        any_order: matches!(targets, Targets::Classes { .. })
            && n <= u32::MAX as usize
            && sample_weight.is_none_or(|w| w.iter().all(|v| v.fract() == 0.0 && *v < 1e15)),
        packed: Vec::new(),
        order: vec![0; n],
        codes: None,
        code_buf: vec![0; n],
        counts: [0; 256],
    };
    if splitter.any_order {
        splitter.codes = x.codes();
    }
    let mut tree = Tree {
        nodes: Vec::new(),
        values: Vec::new(),
        n_values,
        max_depth: 0,
    };
    let mut stack = vec![StackRecord {
        start: 0,
        end: splitter.samples.len(),
        depth: 0,
        parent: TREE_LEAF,
        is_left: false,
        impurity: f64::INFINITY,
        n_constant_features: 0,
    }];
    let mut first = true;
    let mut value = vec![0.0; n_values];
    while let Some(rec) = stack.pop() {
        let (start, end, depth) = (rec.start, rec.end, rec.depth);
        let n_node_samples = end - start;
        splitter.criterion.init(&splitter.samples, start, end);
        let weighted = splitter.criterion.weighted_n_node_samples;
        let mut is_leaf = depth >= params.max_depth
            || n_node_samples < params.min_samples_split
            || n_node_samples < 2 * params.min_samples_leaf
            || weighted < 2.0 * params.min_weight_leaf;
        let mut impurity = rec.impurity;
        if first {
            impurity = splitter.criterion.node_impurity();
            first = false;
        }
        is_leaf = is_leaf || impurity <= EPSILON;
        let mut n_constant = rec.n_constant_features;
        let mut split = None;
        if !is_leaf {
            let s = splitter.node_split(start, end, impurity, &mut n_constant);
            is_leaf = s.pos >= end || s.improvement + EPSILON < params.min_impurity_decrease;
            split = Some(s);
        }
        let node_id = tree.nodes.len();
        let (feature, threshold) = match (&split, is_leaf) {
            (Some(s), false) => (s.feature, s.threshold),
            _ => (0, -2.0),
        };
        tree.nodes.push(Node {
            left: TREE_LEAF,
            right: TREE_LEAF,
            feature,
            threshold,
            impurity,
            n_node_samples,
            weighted_n_node_samples: weighted,
        });
        if rec.parent != TREE_LEAF {
            if rec.is_left {
                tree.nodes[rec.parent].left = node_id;
            } else {
                tree.nodes[rec.parent].right = node_id;
            }
        }
        // node_value uses the criterion state of this node (init above; node_split
        // resets but does not change the totals)
        splitter.criterion.node_value(&mut value);
        tree.values.extend_from_slice(&value);
        if let (Some(s), false) = (split, is_leaf) {
            stack.push(StackRecord {
                start: s.pos,
                end,
                depth: depth + 1,
                parent: node_id,
                is_left: false,
                impurity: s.impurity_right,
                n_constant_features: n_constant,
            });
            stack.push(StackRecord {
                start,
                end: s.pos,
                depth: depth + 1,
                parent: node_id,
                is_left: true,
                impurity: s.impurity_left,
                n_constant_features: n_constant,
            });
        }
        tree.max_depth = tree.max_depth.max(depth);
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift_matches_the_cython_generator() {
        // seed 1: 1 ^ (1 << 13) = 8193; ^ (8193 >> 17) = 8193; ^ (8193 << 5) = 270369
        let mut seed = 1;
        assert_eq!(our_rand_r(&mut seed), 270_369);
        let mut zero = 0;
        let mut one = 1;
        assert_eq!(our_rand_r(&mut zero), our_rand_r(&mut one));
    }

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

    #[test]
    fn rank_codes_build_the_same_trees_as_float_values() {
        // 400 samples x 12 features of few distinct values (some negative, a -0.0),
        // integer bootstrap weights, sqrt features: the codes path against the float
        // path on the same data
        let mut rng = crate::RandomState::new(11);
        let (n, d) = (400, 12);
        let mut rows = Vec::with_capacity(n * d);
        for _ in 0..n * d {
            let v = rng.random_interval(40) as f64 / 7.0 - 2.0;
            rows.push(if v == 0.0 { -0.0 } else { v });
        }
        let x = crate::Matrix::new(rows, n, d).unwrap();
        let y: Vec<usize> = (0..n)
            .map(|i| ((x.row(i)[0] + x.row(i)[3] > 0.0) as usize) + (i % 7 == 0) as usize)
            .collect();
        let weights: Vec<f64> = (0..n).map(|_| rng.random_interval(3) as f64).collect();
        let params = BuildParams {
            criterion: CriterionKind::Gini,
            max_depth: usize::MAX,
            min_samples_split: 2,
            min_samples_leaf: 1,
            min_weight_leaf: 0.0,
            max_features: 3,
            min_impurity_decrease: 0.0,
        };
        let coded = Columns::from_matrix(&x);
        assert!(coded.codes().is_some());
        let plain = Columns::from_matrix(&x);
        assert!(plain.codes.set(None).is_ok());
        for seed in [1u32, 7, 99] {
            let targets = Targets::Classes {
                y: &y,
                n_classes: 3,
            };
            let a = build_tree(&coded, targets, Some(&weights), &params, seed);
            let targets = Targets::Classes {
                y: &y,
                n_classes: 3,
            };
            let b = build_tree(&plain, targets, Some(&weights), &params, seed);
            assert!(a.nodes.len() > 20);
            assert_eq!(a, b, "seed {seed}");
        }
    }
}
