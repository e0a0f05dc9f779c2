//! The space-partitioning tree of Barnes-Hut t-SNE (`sklearn/neighbors/_quad_tree.pyx`):
//! a quadtree for 2-D embeddings, an octree for 3-D ones (and a binary tree for 1-D),
//! built and summarised with scikit-learn's float32 arithmetic, insertion order and
//! traversal order.

// The axis loops index several fixed-size coordinate arrays at once.
#![allow(clippy::needless_range_loop)]

/// "no child" in [`Cell::children`].
const NONE: usize = usize::MAX;
/// Points closer than this on every axis are one point (`EPSILON` of the Cython tree).
const EPSILON: f32 = 1e-6;

#[derive(Debug, Clone)]
struct Cell {
    children: [usize; 8],
    point_index: usize,
    is_leaf: bool,
    squared_max_width: f32,
    cumulative_size: usize,
    center: [f32; 3],
    barycenter: [f32; 3],
    min_bounds: [f32; 3],
    max_bounds: [f32; 3],
}

impl Cell {
    fn empty() -> Self {
        Cell {
            children: [NONE; 8],
            point_index: NONE,
            is_leaf: true,
            squared_max_width: 0.0,
            cumulative_size: 0,
            center: [0.0; 3],
            barycenter: [0.0; 3],
            min_bounds: [0.0; 3],
            max_bounds: [0.0; 3],
        }
    }
}

/// A Barnes-Hut tree over `n_dimensions`-dimensional float32 points (1 to 3).
#[derive(Debug, Clone)]
pub(crate) struct QuadTree {
    dims: usize,
    cells: Vec<Cell>,
}

impl QuadTree {
    /// `build_tree`: the root spans the points' bounding box (the upper bounds pushed
    /// out by a relative and an absolute 1e-3), then the points go in one by one.
    pub(crate) fn build(points: &[f32], dims: usize) -> Self {
        debug_assert!((1..=3).contains(&dims));
        let n = points.len() / dims;
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for p in points.chunks_exact(dims) {
            for a in 0..dims {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        let mut root = Cell::empty();
        for a in 0..dims {
            let m = hi[a];
            let sign = if m > 0.0 {
                1.0f32
            } else if m < 0.0 {
                -1.0
            } else {
                0.0
            };
            let pushed = m * (1.0f32 + 1e-3f32 * sign);
            let hi_a = pushed.max(m + 1e-3f32);
            root.min_bounds[a] = lo[a];
            root.max_bounds[a] = hi_a;
            root.center[a] = (hi_a + lo[a]) / 2.0;
            let width = hi_a - lo[a];
            root.squared_max_width = root.squared_max_width.max(width * width);
        }
        let mut tree = QuadTree {
            dims,
            cells: Vec::with_capacity(2 * n + 1),
        };
        tree.cells.push(root);
        for (i, p) in points.chunks_exact(dims).enumerate() {
            let mut pt = [0.0f32; 3];
            pt[..dims].copy_from_slice(p);
            tree.insert(pt, i);
        }
        tree
    }

    /// Number of points in the tree (the root's `cumulative_size`).
    pub(crate) fn n_points(&self) -> usize {
        self.cells[0].cumulative_size
    }

    fn select_child(&self, point: &[f32; 3], cell: usize) -> usize {
        let c = &self.cells[cell];
        let mut child = 0;
        for a in 0..self.dims {
            child *= 2;
            if point[a] >= c.center[a] {
                child += 1;
            }
        }
        c.children[child]
    }

    fn is_duplicate(&self, p: &[f32; 3], q: &[f32; 3]) -> bool {
        (0..self.dims).all(|a| (p[a] - q[a]).abs() <= EPSILON)
    }

    /// `insert_point`, iteratively.
    fn insert(&mut self, point: [f32; 3], index: usize) {
        let mut cell_id = 0;
        loop {
            let dims = self.dims;
            let cell = &mut self.cells[cell_id];
            let n_point = cell.cumulative_size;
            if n_point == 0 {
                cell.cumulative_size = 1;
                cell.barycenter[..dims].copy_from_slice(&point[..dims]);
                cell.point_index = index;
                return;
            }
            if !cell.is_leaf {
                for a in 0..dims {
                    cell.barycenter[a] =
                        (n_point as f32 * cell.barycenter[a] + point[a]) / (n_point + 1) as f32;
                }
                cell.cumulative_size += 1;
                let child = self.select_child(&point, cell_id);
                if child == NONE {
                    self.new_child(point, cell_id, index, 1);
                    return;
                }
                cell_id = child;
                continue;
            }
            let bary = cell.barycenter;
            if self.is_duplicate(&point, &bary) {
                self.cells[cell_id].cumulative_size += 1;
                return;
            }
            let (old_index, old_size) = (
                self.cells[cell_id].point_index,
                self.cells[cell_id].cumulative_size,
            );
            self.new_child(bary, cell_id, old_index, old_size);
            // the cell is now internal: insert again from it
        }
    }

    /// `_insert_point_in_new_child`: a child of `parent` holding `size` copies of `point`.
    fn new_child(&mut self, point: [f32; 3], parent: usize, index: usize, size: usize) {
        let id = self.cells.len();
        let mut child = Cell::empty();
        let p = &mut self.cells[parent];
        p.is_leaf = false;
        p.point_index = NONE;
        let mut slot = 0;
        for a in 0..self.dims {
            slot *= 2;
            if point[a] >= p.center[a] {
                slot += 1;
                child.min_bounds[a] = p.center[a];
                child.max_bounds[a] = p.max_bounds[a];
            } else {
                child.min_bounds[a] = p.min_bounds[a];
                child.max_bounds[a] = p.center[a];
            }
            child.center[a] = (child.min_bounds[a] + child.max_bounds[a]) / 2.0;
            let width = child.max_bounds[a] - child.min_bounds[a];
            child.barycenter[a] = point[a];
            child.squared_max_width = child.squared_max_width.max(width * width);
        }
        child.point_index = index;
        child.cumulative_size = size;
        p.children[slot] = id;
        self.cells.push(child);
    }

    /// `summarize` followed by the negative-force loop of `compute_gradient_negative`
    /// for one query point: every cell far enough (`width² / dist² < theta²`) or a
    /// leaf is one summary `(point - barycenter, dist², size)`, visited depth first in
    /// child order; the point's own leaf is skipped. Returns the point's share of
    /// `sum_Q` (float64) and adds the float32 negative force into `neg`.
    pub(crate) fn negative_force(
        &self,
        point: &[f32],
        squared_theta: f32,
        dof: f32,
        exponent: f32,
        neg: &mut [f32],
    ) -> f64 {
        let dims = self.dims;
        let mut sum_q = 0.0f64;
        let mut stack: Vec<usize> = Vec::with_capacity(64);
        stack.push(0);
        while let Some(id) = stack.pop() {
            let cell = &self.cells[id];
            let mut diff = [0.0f32; 3];
            let mut dist2 = 0.0f32;
            let mut duplicate = true;
            for a in 0..dims {
                diff[a] = point[a] - cell.barycenter[a];
                dist2 += diff[a] * diff[a];
                duplicate &= diff[a].abs() <= EPSILON;
            }
            if duplicate && cell.is_leaf {
                continue;
            }
            if cell.is_leaf || (cell.squared_max_width / dist2) < squared_theta {
                let size = cell.cumulative_size as f32;
                let mut q = f64::from(dof / (dof + dist2));
                if dof != 1.0 {
                    q = q.powf(f64::from(exponent));
                }
                sum_q += f64::from(size) * q;
                let mult = (f64::from(size) * q * q) as f32;
                for a in 0..dims {
                    neg[a] += mult * diff[a];
                }
            } else {
                // children in reverse so that they pop in order
                for &c in cell.children[..1 << dims].iter().rev() {
                    if c != NONE {
                        stack.push(c);
                    }
                }
            }
        }
        sum_q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_duplicates_and_summarises_every_other_point() {
        let pts = [0.0f32, 0.0, 1.0, 1.0, 1.0, 1.0, -2.0, 0.5, 3.0, -1.0];
        let tree = QuadTree::build(&pts, 2);
        assert_eq!(tree.n_points(), 5);
        // theta = 0: every other point is its own summary, the exact repulsion
        let mut neg = [0.0f32; 2];
        let s = tree.negative_force(&pts[0..2], 0.0, 1.0, 1.0, &mut neg);
        let mut exact = 0.0;
        let mut f = [0.0f64; 2];
        for p in pts.chunks_exact(2).skip(1) {
            let (dx, dy) = (f64::from(0.0 - p[0]), f64::from(0.0 - p[1]));
            let q = 1.0 / (1.0 + dx * dx + dy * dy);
            exact += q;
            f[0] += q * q * dx;
            f[1] += q * q * dy;
        }
        assert!((s - exact).abs() < 1e-6);
        assert!((f64::from(neg[0]) - f[0]).abs() < 1e-6 && (f64::from(neg[1]) - f[1]).abs() < 1e-6);
    }
}
