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

mod criterion;
mod sort;
mod splitter;

use criterion::Criterion;
use splitter::Splitter;

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
