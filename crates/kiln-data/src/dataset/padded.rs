//! `padded_batch`: batching elements whose tensors differ in length along some axes, by
//! padding every component to a common shape first.

use kiln_tensor::ops::manip::PadMode;
use kiln_tensor::{DType, Tensor};

use super::nodes::Node;
use super::{Cardinality, Dataset, Element, ElementIter};
use crate::{DataError, Result};

const API: &str = "Dataset.padded_batch";

fn invalid(msg: String) -> DataError {
    DataError::Invalid { api: API, msg }
}

/// Target shape of one component: `None` dims pad to the longest in the batch.
///
/// ```
/// use kiln_data::dataset::PaddedShape;
/// let s: PaddedShape = vec![Some(10), None]; // TF's padded_shapes=[10, None]
/// assert_eq!(s.len(), 2);
/// ```
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
    if let Some(s) = shapes
        && s.len() != nleaves
    {
        return Err(invalid(format!(
            "padded_shapes has {} shapes but the elements have {} components ({})",
            s.len(),
            nleaves,
            first.structure()
        )));
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
        check_value(i, col[0].dtype(), value)?;
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

/// TF requires the padding value to have the component's dtype; kiln takes one `f64`
/// and refuses values the dtype cannot hold instead of silently rounding them.
fn check_value(component: usize, dtype: DType, value: f64) -> Result<()> {
    let ok = match dtype {
        DType::Bool => value == 0.0 || value == 1.0,
        DType::U8 => value.fract() == 0.0 && (0.0..=255.0).contains(&value),
        DType::I32 => value.fract() == 0.0 && (-2_147_483_648.0..=2_147_483_647.0).contains(&value),
        DType::I64 => value.fract() == 0.0 && value.is_finite(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "padding value {value} cannot be represented in component {component}'s dtype {dtype:?}"
        )))
    }
}

impl Node for PaddedBatch {
    fn iter(&self, pass: u64) -> ElementIter {
        let (size, drop, value) = (self.size, self.drop_remainder, self.value);
        let shapes = self.shapes.clone();
        let mut inner = self.input.pass_iter(pass);
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

#[cfg(test)]
mod tests {
    use super::super::Dataset;
    use super::*;

    fn seqs(lens: &[usize]) -> Vec<Element> {
        lens.iter()
            .map(|&n| {
                let v: Vec<f32> = (0..n).map(|i| i as f32 + 1.0).collect();
                Tensor::from_vec(v, &[n]).unwrap().into()
            })
            .collect()
    }

    fn ds(items: Vec<Element>) -> Dataset {
        Dataset::from_generator(move || Box::new(items.clone().into_iter().map(Ok)))
    }

    #[test]
    fn pads_to_batch_max_with_value_and_counts_batches() {
        let d = Dataset::from_tensor_slices(Tensor::zeros(&[5, 2], DType::F32)).unwrap();
        assert_eq!(
            d.padded_batch(2, None, None, false)
                .unwrap()
                .cardinality()
                .as_i64(),
            3
        );
        assert_eq!(
            d.padded_batch(2, None, None, true)
                .unwrap()
                .cardinality()
                .as_i64(),
            2
        );
        let b = ds(seqs(&[1, 3]))
            .padded_batch(2, None, Some(9.5), false)
            .unwrap();
        let t = b.collect().unwrap()[0].as_tensor().unwrap().clone();
        assert_eq!(t.shape(), &[2, 3]);
        assert_eq!(t.to_vec::<f32>().unwrap(), vec![1., 9.5, 9.5, 1., 2., 3.]);
    }

    #[test]
    fn pads_each_dict_component_separately() {
        let mk = |n: usize, m: usize| {
            Element::Dict(vec![
                ("a".into(), Tensor::zeros(&[n], DType::I64).into()),
                ("b".into(), Tensor::zeros(&[m, 2], DType::F32).into()),
            ])
        };
        let out = ds(vec![mk(1, 3), mk(4, 1)])
            .padded_batch(2, Some(vec![vec![None], vec![Some(5), None]]), None, false)
            .unwrap()
            .collect()
            .unwrap();
        let l = out[0].leaves();
        assert_eq!(l[0].shape(), &[2, 4]);
        assert_eq!(l[1].shape(), &[2, 5, 2]);
    }

    #[test]
    fn rejects_bad_shapes_and_sizes() {
        let d = ds(seqs(&[2, 4]));
        assert!(d.padded_batch(0, None, None, false).is_err());
        // A fixed dimension smaller than an element's length.
        let e = d
            .padded_batch(2, Some(vec![vec![Some(3)]]), None, false)
            .unwrap()
            .collect()
            .unwrap_err()
            .to_string();
        assert!(e.contains("smaller") && e.contains("= 4"), "{e}");
        // Wrong rank, wrong number of shapes.
        assert!(d
            .padded_batch(2, Some(vec![vec![None, None]]), None, false)
            .unwrap()
            .collect()
            .is_err());
        assert!(d
            .padded_batch(2, Some(vec![vec![None], vec![None]]), None, false)
            .unwrap()
            .collect()
            .is_err());
        // Elements of different ranks in one component.
        let mixed = ds(vec![
            Tensor::zeros(&[2], DType::F32).into(),
            Tensor::zeros(&[2, 2], DType::F32).into(),
        ]);
        let e = mixed
            .padded_batch(2, None, None, false)
            .unwrap()
            .collect()
            .unwrap_err()
            .to_string();
        assert!(e.contains("different ranks"), "{e}");
        // A padding value the dtype cannot hold.
        let ints = ds(vec![Tensor::zeros(&[2], DType::I64).into()]);
        let e = ints
            .padded_batch(1, None, Some(0.5), false)
            .unwrap()
            .collect()
            .unwrap_err()
            .to_string();
        assert!(e.contains("0.5") && e.contains("I64"), "{e}");
        // Elements of different structure.
        let mixed = ds(vec![
            Tensor::zeros(&[2], DType::F32).into(),
            Element::Tuple(vec![Tensor::zeros(&[2], DType::F32).into()]),
        ]);
        assert!(mixed
            .padded_batch(2, None, None, false)
            .unwrap()
            .collect()
            .is_err());
    }
}
