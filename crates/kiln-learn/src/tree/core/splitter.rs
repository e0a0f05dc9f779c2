//! The dense `BestSplitter` (`_splitter.pyx`): the best split of a node over its drawn
//! features.

use super::criterion::Criterion;
use super::sort::{fast_sort, simultaneous_sort};
use super::{rand_int, BuildParams, Codes, Columns, FEATURE_THRESHOLD};

pub(super) struct SplitRecord {
    pub(super) feature: usize,
    pub(super) pos: usize,
    pub(super) threshold: f64,
    pub(super) improvement: f64,
    pub(super) impurity_left: f64,
    pub(super) impurity_right: f64,
}

pub(super) struct Splitter<'a> {
    pub(super) x: &'a Columns,
    pub(super) params: &'a BuildParams,
    pub(super) criterion: Criterion<'a>,
    pub(super) samples: Vec<usize>,
    pub(super) features: Vec<usize>,
    pub(super) constant_features: Vec<usize>,
    pub(super) feature_values: Vec<f32>,
    pub(super) rand_r_state: u32,
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
    pub(super) any_order: bool,
    pub(super) packed: Vec<u64>,
    /// the current feature's samples in value order (`any_order` mode)
    pub(super) order: Vec<usize>,
    /// the rank codes of the columns (`any_order` mode, columns with few values)
    pub(super) codes: Option<&'a Codes>,
    pub(super) code_buf: Vec<u8>,
    pub(super) counts: [usize; 256],
}

impl Splitter<'_> {
    /// `node_split_best` on `samples[start..end]`; updates `n_constant_features`.
    pub(super) fn node_split(
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
