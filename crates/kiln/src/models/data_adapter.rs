//! Data adaptation (Keras's `trainers/data_adapters`): tensors and datasets become one
//! stream of `(x, y, sample_weight)` batches per epoch, read by the single training loop.

use kiln_data::dataset::{Cardinality, Dataset, Element};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

use crate::{Error, Result};

/// Number of samples in each tensor; all must agree (Keras's "data cardinality" check).
pub(crate) fn cardinality(groups: &[(&str, &[Tensor])]) -> Result<usize> {
    let sizes: Vec<(String, Vec<usize>)> = groups
        .iter()
        .map(|(name, ts)| {
            (
                name.to_string(),
                ts.iter()
                    .map(|t| t.shape().first().copied().unwrap_or(0))
                    .collect(),
            )
        })
        .collect();
    let all: Vec<usize> = sizes.iter().flat_map(|(_, s)| s.iter().copied()).collect();
    let first = *all.first().ok_or_else(|| Error::InvalidArgument {
        api: "Model.fit",
        msg: "no data was given".into(),
    })?;
    if all.iter().any(|&n| n != first) {
        let desc: Vec<String> = sizes
            .iter()
            .map(|(n, s)| {
                format!(
                    "{n} sizes: {}",
                    s.iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        return Err(Error::InvalidArgument {
            api: "Model.fit",
            msg: format!(
                "data cardinality is ambiguous: {}. Make sure all arrays contain the same number \
                 of samples",
                desc.join("; ")
            ),
        });
    }
    Ok(first)
}

/// Rows `idx` (or the contiguous range when `idx` is `None`) of every tensor.
pub(crate) fn take_rows(
    ts: &[Tensor],
    range: std::ops::Range<usize>,
    perm: Option<&[i64]>,
) -> Result<Vec<Tensor>> {
    match perm {
        Some(p) => {
            let rows = Tensor::from_vec(p[range.clone()].to_vec(), &[range.len()])?;
            ts.iter().map(|t| Ok(t.gather(&rows, 0)?)).collect()
        }
        None => ts
            .iter()
            .map(|t| {
                let mut begin = vec![0isize; t.rank()];
                let mut size = vec![-1isize; t.rank()];
                begin[0] = range.start as isize;
                size[0] = range.len() as isize;
                Ok(t.slice(&begin, &size)?)
            })
            .collect(),
    }
}

/// Sample weights from `class_weight` and the labels (sparse ids, or one-hot argmax).
fn class_sample_weights(
    class_weight: &std::collections::HashMap<usize, f64>,
    y: &Tensor,
) -> Result<Tensor> {
    let n = y.shape().first().copied().unwrap_or(0);
    let labels: Vec<i64> = if y.rank() >= 2 && y.shape()[y.rank() - 1] > 1 {
        y.argmax(-1)?.to_vec::<i64>()?
    } else {
        y.reshape(&[n as isize])?
            .cast(DType::I64)?
            .to_vec::<i64>()?
    };
    let w: Vec<f32> = labels
        .iter()
        .map(|&c| {
            usize::try_from(c)
                .ok()
                .and_then(|c| class_weight.get(&c).copied())
                .unwrap_or(1.0) as f32
        })
        .collect();
    Ok(Tensor::from_vec(w, &[n])?)
}

/// `sample_weight` multiplied by the weights `class_weight` gives `y`'s labels (Keras:
/// single-output models only).
pub(crate) fn apply_class_weight(
    api: &'static str,
    class_weight: &std::collections::HashMap<usize, f64>,
    ys: &[Tensor],
    sample_weight: Option<Tensor>,
) -> Result<Tensor> {
    let [y] = ys else {
        return Err(Error::InvalidArgument {
            api,
            msg: "class_weight is only supported for models with a single output".into(),
        });
    };
    let w = class_sample_weights(class_weight, y)?;
    Ok(match sample_weight {
        Some(s) => s.cast(DType::F32)?.mul(&w)?,
        None => w,
    })
}

/// Batches of one pass over `n` samples.
pub(crate) fn batch_ranges(n: usize, batch_size: usize) -> Vec<std::ops::Range<usize>> {
    (0..n.div_ceil(batch_size))
        .map(|b| b * batch_size..((b + 1) * batch_size).min(n))
        .collect()
}

/// One batch: inputs, targets (empty for `predict`) and the optional sample weights.
pub(crate) type Batch = (Vec<Tensor>, Vec<Tensor>, Option<Tensor>);

type Pass = Box<dyn Iterator<Item = Result<Batch>>>;

/// Where the batches come from (Keras's `ArrayDataAdapter` / `TFDatasetAdapter`).
pub(crate) enum DataAdapter {
    /// In-memory tensors, cut into `batch_size` rows, shuffled per pass when asked.
    Tensors {
        /// Inputs, then targets, then the sample weights (when `has_sw`).
        all: Vec<Tensor>,
        n_x: usize,
        has_sw: bool,
        n: usize,
        batch_size: usize,
        shuffle: bool,
        seed: u64,
    },
    /// A dataset of `(x, y[, sample_weight])` elements (`x` or `(x,)` for `predict`).
    Dataset {
        ds: Dataset,
        /// `false` for `predict`: an element's first part is `x`, the rest is ignored.
        targets: bool,
    },
}

fn bad(api: &'static str, msg: String) -> Error {
    Error::InvalidArgument { api, msg }
}

fn leaves(e: &Element) -> Vec<Tensor> {
    e.leaves().into_iter().cloned().collect()
}

/// Splits a dataset element into `(x, y, sample_weight)`.
fn split_element(api: &'static str, e: &Element, targets: bool) -> Result<Batch> {
    if !targets {
        let x = match e {
            Element::Tuple(parts) if !parts.is_empty() => leaves(&parts[0]),
            other => leaves(other),
        };
        return Ok((x, Vec::new(), None));
    }
    match e {
        Element::Tuple(parts) if parts.len() == 2 || parts.len() == 3 => {
            let sw = match parts.get(2) {
                Some(w) => Some(
                    w.as_tensor()
                        .map_err(|_| {
                            bad(
                                api,
                                format!("sample_weight must be a tensor, got {}", w.structure()),
                            )
                        })?
                        .clone(),
                ),
                None => None,
            };
            Ok((leaves(&parts[0]), leaves(&parts[1]), sw))
        }
        other => Err(bad(
            api,
            format!(
                "dataset elements must be (x, y) or (x, y, sample_weight) tuples, got {}",
                other.structure()
            ),
        )),
    }
}

impl DataAdapter {
    /// An adapter over tensors: `x`, `y` (empty for `predict`) and the optional weights,
    /// all with the same number of samples (at least one).
    pub(crate) fn tensors(
        api: &'static str,
        xs: Vec<Tensor>,
        ys: Vec<Tensor>,
        sw: Option<Tensor>,
        batch_size: usize,
        shuffle: bool,
        seed: u64,
    ) -> Result<DataAdapter> {
        if batch_size == 0 {
            return Err(bad(api, "batch_size must be at least 1".into()));
        }
        if xs.is_empty() {
            return Err(bad(api, "no input data (x) was given".into()));
        }
        let n = cardinality(&[("x", &xs), ("y", &ys)]).map_err(|e| match e {
            Error::InvalidArgument { msg, .. } => bad(api, msg),
            other => other,
        })?;
        if n == 0 {
            return Err(bad(
                api,
                "the input data has 0 samples; expected at least one sample (a batch axis of \
                 size >= 1)"
                    .into(),
            ));
        }
        if let Some(w) = &sw
            && w.shape().first().copied() != Some(n)
        {
            return Err(bad(
                api,
                format!("sample_weight has shape {:?}, expected ({n},)", w.shape()),
            ));
        }
        let n_x = xs.len();
        let has_sw = sw.is_some();
        let all = xs.into_iter().chain(ys).chain(sw).collect();
        Ok(DataAdapter::Tensors {
            all,
            n_x,
            has_sw,
            n,
            batch_size,
            shuffle,
            seed,
        })
    }

    /// Batches in one full pass, when known.
    pub(crate) fn num_batches(&self) -> Option<usize> {
        match self {
            DataAdapter::Tensors { n, batch_size, .. } => Some(n.div_ceil(*batch_size)),
            DataAdapter::Dataset { ds, .. } => match ds.cardinality() {
                Cardinality::Finite(n) => Some(n),
                _ => None,
            },
        }
    }

    /// Whether a pass never ends (a dataset repeated without a count).
    pub(crate) fn is_infinite(&self) -> bool {
        matches!(self, DataAdapter::Dataset { ds, .. } if ds.cardinality() == Cardinality::Infinite)
    }

    /// One pass over the data; `pass_seed` picks the shuffle order of tensors.
    pub(crate) fn pass(&self, api: &'static str, pass_seed: u64) -> Result<Pass> {
        match self {
            DataAdapter::Tensors {
                all,
                n_x,
                has_sw,
                n,
                batch_size,
                shuffle,
                seed,
            } => {
                let perm: Option<Vec<i64>> = if *shuffle {
                    let mut rng = Generator::from_seed(
                        seed ^ pass_seed
                            .wrapping_add(1)
                            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    );
                    Some(rng.permutation(*n).to_vec::<i64>()?)
                } else {
                    None
                };
                let all = all.clone();
                let (n_x, has_sw) = (*n_x, *has_sw);
                let ranges = batch_ranges(*n, *batch_size);
                Ok(Box::new(ranges.into_iter().map(move |range| {
                    // One take over inputs, targets and weights: the batch's row indices
                    // are built once.
                    let mut batch = take_rows(&all, range, perm.as_deref())?;
                    let bw = if has_sw { batch.pop() } else { None };
                    let by = batch.split_off(n_x);
                    Ok((batch, by, bw))
                })))
            }
            DataAdapter::Dataset { ds, targets } => {
                let targets = *targets;
                Ok(Box::new(ds.iter().map(move |e| {
                    let e = e?;
                    split_element(api, &e, targets)
                })))
            }
        }
    }
}

/// Draws each epoch's batches from a [`DataAdapter`] (Keras's `EpochIterator`): without
/// `steps_per_epoch` an epoch is one full pass; with it, an epoch is that many batches
/// from an iterator that continues across epochs and starts a new pass (a new shuffle)
/// when the data runs out.
pub(crate) struct EpochIterator {
    api: &'static str,
    adapter: DataAdapter,
    steps_per_epoch: Option<usize>,
    current: Option<Pass>,
    passes: u64,
}

impl EpochIterator {
    /// An iterator over `adapter`; an infinite dataset needs `steps_per_epoch`, and
    /// `steps_per_epoch` must be at least 1.
    pub(crate) fn new(
        api: &'static str,
        adapter: DataAdapter,
        steps_per_epoch: Option<usize>,
    ) -> Result<EpochIterator> {
        if steps_per_epoch == Some(0) {
            return Err(bad(api, "steps_per_epoch must be at least 1, got 0".into()));
        }
        if steps_per_epoch.is_none() && adapter.is_infinite() {
            return Err(bad(
                api,
                "the dataset is infinite (repeat() without a count): pass steps_per_epoch".into(),
            ));
        }
        Ok(EpochIterator {
            api,
            adapter,
            steps_per_epoch,
            current: None,
            passes: 0,
        })
    }

    /// The batch size when every batch has it (in-memory data whose size the batch
    /// size divides), as the static batch dimension of Keras's `tf.data` pipeline;
    /// `None` when a batch may be partial, or for a dataset.
    pub(crate) fn static_batch(&self) -> Option<usize> {
        match &self.adapter {
            DataAdapter::Tensors { n, batch_size, .. } if *n % *batch_size == 0 => {
                Some(*batch_size)
            }
            _ => None,
        }
    }

    /// Steps in one epoch, when known (for the callbacks' `params`).
    pub(crate) fn steps(&self) -> Option<usize> {
        self.steps_per_epoch.or_else(|| self.adapter.num_batches())
    }

    fn new_pass(&mut self, epoch: usize) -> Result<()> {
        // The shuffle order comes from (adapter seed, epoch, pass), so a fit resumed at a
        // later epoch shuffles exactly as the uninterrupted run did.
        let seed = epoch as u64 | (self.passes << 32);
        self.passes += 1;
        self.current = Some(self.adapter.pass(self.api, seed)?);
        Ok(())
    }

    /// Begins epoch `epoch`: a fresh pass unless `steps_per_epoch` continues the last one.
    pub(crate) fn begin_epoch(&mut self, epoch: usize) -> Result<()> {
        if self.steps_per_epoch.is_none() || self.current.is_none() {
            self.passes = 0;
            self.new_pass(epoch)?;
        }
        Ok(())
    }

    /// The epoch's next batch (`None` when the epoch is over); `step` is the number of
    /// batches already drawn this epoch.
    pub(crate) fn next_batch(&mut self, epoch: usize, step: usize) -> Result<Option<Batch>> {
        if self.steps_per_epoch.is_some_and(|s| step >= s) {
            return Ok(None);
        }
        if let Some(b) = self.current.as_mut().and_then(|p| p.next()) {
            return b.map(Some);
        }
        if self.steps_per_epoch.is_none() {
            return Ok(None);
        }
        // Exhausted mid-epoch: start a new pass (an empty one ends the epoch).
        self.new_pass(epoch)?;
        match self.current.as_mut().and_then(|p| p.next()) {
            Some(b) => b.map(Some),
            None => Ok(None),
        }
    }
}
