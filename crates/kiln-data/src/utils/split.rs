//! `keras.utils.split_dataset`: a finite dataset split into a left and a right part by
//! fractions or counts, optionally shuffled first with Python's seeded `random.shuffle`
//! (as Keras does, so a seeded split picks the same samples).

use crate::dataset::{stack_elements, Cardinality, Dataset, Element};
use crate::python_random::PyRandom;
use crate::{DataError, Result};

const API: &str = "split_dataset";

fn invalid(msg: String) -> DataError {
    DataError::Invalid { api: API, msg }
}

/// One side's size: a fraction of the dataset in `(0, 1)` or a number of samples.
///
/// ```
/// use kiln_data::utils::SplitSize;
/// assert_eq!(SplitSize::from(0.8), SplitSize::Fraction(0.8));
/// assert_eq!(SplitSize::from(3usize), SplitSize::Count(3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SplitSize {
    /// A Python float: the fraction of the samples.
    Fraction(f64),
    /// A Python int: the number of samples.
    Count(usize),
}

impl From<f64> for SplitSize {
    fn from(v: f64) -> SplitSize {
        SplitSize::Fraction(v)
    }
}

impl From<usize> for SplitSize {
    fn from(v: usize) -> SplitSize {
        SplitSize::Count(v)
    }
}

/// A size as Keras holds it while rescaling: an int or a float (they print differently
/// in its messages).
#[derive(Clone, Copy)]
enum Num {
    Int(usize),
    Float(f64),
}

impl Num {
    fn value(self) -> f64 {
        match self {
            Num::Int(v) => v as f64,
            Num::Float(v) => v,
        }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(v) => write!(f, "{v}"),
            Num::Float(v) => write!(f, "{v:?}"), // Python float repr: 12.0, 0.5
        }
    }
}

fn size_display(s: SplitSize) -> String {
    match s {
        SplitSize::Count(v) => Num::Int(v).to_string(),
        SplitSize::Fraction(v) => Num::Float(v).to_string(),
    }
}

/// Keras's `_rescale_dataset_split_sizes`: validates the sizes and turns them into
/// sample counts (fractions round half to even, as Python's `round`).
fn rescale(
    left: Option<SplitSize>,
    right: Option<SplitSize>,
    total: usize,
) -> Result<(usize, usize)> {
    let is_zero = |s: Option<SplitSize>| match s {
        Some(SplitSize::Count(0)) => true,
        Some(SplitSize::Fraction(v)) => v == 0.0,
        _ => false,
    };
    if is_zero(left) && is_zero(right) {
        return Err(invalid(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes must be non-zero.".into(),
        ));
    }
    let out_of_range = |s: Option<SplitSize>| match s {
        Some(SplitSize::Count(v)) => v == 0 || v >= total,
        Some(SplitSize::Fraction(v)) => !(v > 0.0 && v < 1.0),
        None => false,
    };
    if out_of_range(left) {
        return Err(invalid(format!(
            "`left_size` should be either a positive integer smaller than {total}, or a float within the range `[0, 1]`. Received: left_size={}",
            size_display(left.unwrap_or(SplitSize::Count(0)))
        )));
    }
    if out_of_range(right) {
        return Err(invalid(format!(
            "`right_size` should be either a positive integer and smaller than {total} or a float within the range `[0, 1]`. Received: right_size={}",
            size_display(right.unwrap_or(SplitSize::Count(0)))
        )));
    }
    if let (Some(SplitSize::Fraction(l)), Some(SplitSize::Fraction(r))) = (left, right)
        && l + r > 1.0
    {
        return Err(invalid(
                "The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal to 1.".into(),
            ));
    }
    // Keras turns fractions into (rounded) ints and counts into floats.
    let convert = |s: Option<SplitSize>| {
        s.map(|s| match s {
            SplitSize::Fraction(v) => Num::Int((v * total as f64).round_ties_even() as usize),
            SplitSize::Count(v) => Num::Float(v as f64),
        })
    };
    let complement = |other: Num| match other {
        Num::Int(v) => Num::Int(total.saturating_sub(v)),
        Num::Float(v) => Num::Float(total as f64 - v),
    };
    let (l, r) = match (convert(left), convert(right)) {
        (Some(l), Some(r)) => (l, r),
        (None, Some(r)) => (complement(r), r),
        (Some(l), None) => (l, complement(l)),
        (None, None) => {
            return Err(invalid(
                "At least one of the `left_size` or `right_size` must be specified. Received: left_size=None and right_size=None".into(),
            ))
        }
    };
    let sum = l.value() + r.value();
    if sum > total as f64 {
        let sum = match (l, r) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a + b),
            _ => Num::Float(sum),
        };
        return Err(invalid(format!(
            "The sum of `left_size` and `right_size` should be smaller than the {total}. Received: left_size + right_size = {sum}and total_length = {total}"
        )));
    }
    for (split, side) in [(l, "left"), (r, "right")] {
        if split.value() == 0.0 {
            return Err(invalid(format!(
                "With `dataset` of length={total}, `left_size`={l} and `right_size`={r}.Resulting {side} side dataset split will be empty. Adjust any of the aforementioned parameters"
            )));
        }
    }
    Ok((l.value() as usize, r.value() as usize))
}

/// Splits a finite dataset into a left and a right dataset
/// (`keras.utils.split_dataset`). `left_size` / `right_size` are fractions in `(0, 1)`
/// or sample counts below the dataset's length; a missing one is the complement of the
/// other (at least one is required). The left part is the first `left` samples and the
/// right part the last `right` ones (samples in between are dropped when the sizes do
/// not add up). With `shuffle`, the samples are first shuffled with Python's
/// `random.shuffle` after `random.seed(seed)` (a random seed when `None`), as Keras does.
///
/// The dataset is read once into memory; an infinite dataset, an empty one, or samples
/// of different shapes are an `Err`, as are invalid sizes (with Keras's messages).
/// Unlike Keras, a batched input is split batch by batch (kiln does not record that a
/// dataset is batched); unbatch it first to split samples.
///
/// ```
/// use kiln_data::dataset::Dataset;
/// use kiln_data::utils::{split_dataset, SplitSize};
/// let ds = Dataset::range(0, 10, 1)?;
/// let (l, r) = split_dataset(&ds, Some(0.8.into()), None, false, None)?;
/// assert_eq!((l.cardinality().as_i64(), r.cardinality().as_i64()), (8, 2));
/// let (l, _) = split_dataset(&ds, Some(0.5.into()), None, true, Some(1337))?;
/// let v: Vec<i64> = l.collect()?.iter().map(|e| e.as_tensor().unwrap().item::<i64>().unwrap()).collect();
/// assert_eq!(v, vec![0, 3, 7, 2, 1]); // keras.utils.split_dataset(np.arange(10), 0.5, shuffle=True, seed=1337)
/// assert!(split_dataset(&ds, Some(SplitSize::Count(10)), None, false, None).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn split_dataset(
    dataset: &Dataset,
    left_size: Option<SplitSize>,
    right_size: Option<SplitSize>,
    shuffle: bool,
    seed: Option<u64>,
) -> Result<(Dataset, Dataset)> {
    if left_size.is_none() && right_size.is_none() {
        return Err(invalid(
            "At least one of the `left_size` or `right_size` must be specified. Received: left_size=None and right_size=None".into(),
        ));
    }
    if dataset.cardinality() == Cardinality::Infinite {
        return Err(invalid(
            "the dataset is infinite (repeat() without a count); split_dataset needs a finite dataset".into(),
        ));
    }
    let mut samples: Vec<Element> = dataset.collect()?;
    if samples.is_empty() {
        return Err(invalid(
            "Received an empty dataset. Argument `dataset` must be a non-empty list/tuple of `numpy.ndarray` objects or `tf.data.Dataset` objects.".into(),
        ));
    }
    if shuffle {
        // Keras: `seed = random.randint(0, int(1e6))` when none is given.
        let seed = seed.unwrap_or_else(|| {
            kiln_tensor::random::Generator::from_global().next_u64() % 1_000_001
        });
        PyRandom::new(seed).shuffle(&mut samples);
    }
    let total = samples.len();
    let (l, r) = rescale(left_size, right_size, total)?;
    let left = stack_elements(API, &samples[..l])?;
    let right = stack_elements(API, &samples[total - r..])?;
    Ok((
        Dataset::from_tensor_slices(left)?,
        Dataset::from_tensor_slices(right)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_tensor::{DType, Tensor};

    #[test]
    fn splits_tuples_and_shuffles_reproducibly() {
        let x = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[6, 2]).unwrap();
        let y = Tensor::from_vec((0..6i64).collect(), &[6]).unwrap();
        let ds = Dataset::from_tensor_slices((x, y)).unwrap();
        let (l, r) = split_dataset(&ds, Some(4.into()), None, true, Some(3)).unwrap();
        let (l2, _) = split_dataset(&ds, Some(4.into()), None, true, Some(3)).unwrap();
        let ys = |d: &Dataset| -> Vec<i64> {
            d.collect()
                .unwrap()
                .iter()
                .map(|e| e.leaves()[1].item::<i64>().unwrap())
                .collect()
        };
        assert_eq!(ys(&l), ys(&l2));
        assert_eq!((ys(&l).len(), ys(&r).len()), (4, 2));
        let mut all = [ys(&l), ys(&r)].concat();
        all.sort();
        assert_eq!(all, (0..6).collect::<Vec<_>>());
        // Unseeded shuffles still split every sample once.
        let (l, r) = split_dataset(&ds, None, Some(0.5.into()), true, None).unwrap();
        assert_eq!(ys(&l).len() + ys(&r).len(), 6);
    }

    #[test]
    fn rejects_infinite_empty_and_ragged_datasets() {
        let ds = Dataset::range(0, 4, 1).unwrap();
        let e = split_dataset(&ds.repeat(None), Some(0.5.into()), None, false, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("infinite"), "{e}");
        let e = split_dataset(&ds.take(0), Some(0.5.into()), None, false, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty dataset"), "{e}");
        let ragged = Dataset::from_generator(|| {
            Box::new((1..5).map(|n| Ok(Tensor::zeros(&[n], DType::F32).into())))
        });
        assert!(split_dataset(&ragged, Some(0.5.into()), None, false, None).is_err());
        assert!(split_dataset(&ds, None, None, false, None).is_err());
        assert!(split_dataset(&ds, Some(f64::NAN.into()), None, false, None).is_err());
    }
}
