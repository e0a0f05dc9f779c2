//! `padded_batch`: batching elements whose tensors differ in length along some axes, by
//! padding every component to a common shape first.

use kiln_tensor::ops::manip::PadMode;
use kiln_tensor::Tensor;

use super::nodes::Node;
use super::{Cardinality, Dataset, Element, ElementIter};
use crate::{DataError, Result};

const API: &str = "Dataset.padded_batch";

fn invalid(msg: String) -> DataError {
    DataError::Invalid { api: API, msg }
}

/// Target shape of one component: `None` dims pad to the longest in the batch.
pub type PaddedShape = Vec<Option<usize>>;

pub(crate) struct PaddedBatch {
    pub input: Dataset,
    pub size: usize,
    pub shapes: Option<Vec<PaddedShape>>,
    pub value: f64,
    pub drop_remainder: bool,
}

/// Pads each leaf of `items` to the batch's target shape and stacks them.
pub(crate) fn pad_and_stack(
    items: &[Element],
    shapes: Option<&[PaddedShape]>,
    value: f64,
) -> Result<Element> {
    let first = items
        .first()
        .ok_or_else(|| invalid("cannot batch zero elements".into()))?;
    if let Some(bad) = items.iter().find(|e| !e.same_structure(first)) {
        return Err(invalid(format!(
            "elements of different structure: {} and {}",
            first.structure(),
            bad.structure()
        )));
    }
    let per: Vec<Vec<&Tensor>> = items.iter().map(Element::leaves).collect();
    let nleaves = per[0].len();
    if let Some(s) = shapes {
        if s.len() != nleaves {
            return Err(invalid(format!(
                "padded_shapes has {} shapes but the elements have {} components ({})",
                s.len(),
                nleaves,
                first.structure()
            )));
        }
    }
    let mut stacked = Vec::with_capacity(nleaves);
    for i in 0..nleaves {
        let col: Vec<&Tensor> = per.iter().map(|l| l[i]).collect();
        let rank = col[0].rank();
        if let Some(bad) = col.iter().find(|t| t.rank() != rank) {
            return Err(invalid(format!(
                "component {i} has elements of different ranks: shapes {:?} and {:?}",
                col[0].shape(),
                bad.shape()
            )));
        }
        let mut target: Vec<usize> = (0..rank)
            .map(|d| col.iter().map(|t| t.shape()[d]).max().unwrap_or(0))
            .collect();
        if let Some(s) = shapes {
            let want = &s[i];
            if want.len() != rank {
                return Err(invalid(format!(
                    "padded shape {want:?} for component {i} has rank {}, but its elements have rank {rank} (shape {:?})",
                    want.len(),
                    col[0].shape()
                )));
            }
            for (d, w) in want.iter().enumerate() {
                if let Some(w) = *w {
                    if w < target[d] {
                        return Err(invalid(format!(
                            "attempted to pad component {i} to a smaller size than the input element: padded shape {want:?}, but an element has dimension {} = {}",
                            d, target[d]
                        )));
                    }
                    target[d] = w;
                }
            }
        }
        let padded: Vec<Tensor> = col
            .iter()
            .map(|t| {
                if t.shape() == target.as_slice() {
                    return Ok((*t).clone());
                }
                let pads: Vec<(usize, usize)> = t
                    .shape()
                    .iter()
                    .zip(&target)
                    .map(|(&have, &want)| (0, want - have))
                    .collect();
                Ok(t.pad(&pads, PadMode::Constant(value))?)
            })
            .collect::<Result<_>>()?;
        let refs: Vec<&Tensor> = padded.iter().collect();
        stacked.push(Tensor::stack(&refs, 0)?);
    }
    Element::rebuild(first, &mut stacked.into_iter())
}

impl Node for PaddedBatch {
    fn iter(&self, pass: u64) -> ElementIter {
        let (size, drop, value) = (self.size, self.drop_remainder, self.value);
        let shapes = self.shapes.clone();
        let mut inner = self.input.node().iter(pass);
        Box::new(std::iter::from_fn(move || {
            let mut items = Vec::with_capacity(size);
            for e in inner.by_ref() {
                match e {
                    Ok(e) => items.push(e),
                    Err(err) => return Some(Err(err)),
                }
                if items.len() == size {
                    break;
                }
            }
            if items.is_empty() || (drop && items.len() < size) {
                return None;
            }
            Some(pad_and_stack(&items, shapes.as_deref(), value))
        }))
    }
    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Finite(n) if self.drop_remainder => Cardinality::Finite(n / self.size),
            Cardinality::Finite(n) => Cardinality::Finite(n.div_ceil(self.size)),
            other => other,
        }
    }
}
