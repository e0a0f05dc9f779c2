//! `timeseries_dataset_from_array` (`keras.utils.timeseries_dataset_from_array`).

use kiln_tensor::Tensor;

use super::{Dataset, Element};
use crate::{DataError, Result};

/// Options of [`timeseries_dataset_from_array`] (Keras's defaults).
#[derive(Clone, Debug)]
pub struct Timeseries {
    /// Steps per output sequence.
    pub sequence_length: usize,
    /// Steps between the starts of consecutive sequences (default 1).
    pub sequence_stride: usize,
    /// Steps between consecutive samples within a sequence (default 1).
    pub sampling_rate: usize,
    /// Sequences per batch (default 128); `None` yields single sequences.
    pub batch_size: Option<usize>,
    /// Shuffle the sequence start positions (with NumPy's `RandomState(seed)` shuffle, as
    /// Keras does first; Keras's TF backend then also shuffles batches-worth of
    /// sequences with TF's own generator, which kiln does not reproduce).
    pub shuffle: bool,
    /// Seed of the shuffle.
    pub seed: Option<u32>,
    /// First step used (default 0).
    pub start_index: Option<usize>,
    /// One past the last step used (default: all of `data`).
    pub end_index: Option<usize>,
}

impl Timeseries {
    /// Sequences of `sequence_length` steps, Keras's other defaults.
    pub fn new(sequence_length: usize) -> Timeseries {
        Timeseries {
            sequence_length,
            sequence_stride: 1,
            sampling_rate: 1,
            batch_size: Some(128),
            shuffle: false,
            seed: None,
            start_index: None,
            end_index: None,
        }
    }
}

fn invalid(msg: String) -> DataError {
    DataError::Invalid {
        api: "timeseries_dataset_from_array",
        msg,
    }
}

/// Sliding windows over `data` (first axis = time) as a dataset of `(batch,
/// sequence_length, ...)` tensors, paired with `targets[start_index + start]` when
/// targets are given — Keras's semantics, including the number of sequences
/// `end - start - (sequence_length - 1) * sampling_rate` capped by the targets' length.
///
/// ```
/// use kiln_data::dataset::{timeseries_dataset_from_array, Timeseries};
/// use kiln_tensor::Tensor;
/// let data = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[10, 1])?;
/// let mut opts = Timeseries::new(3);
/// opts.batch_size = Some(4);
/// let ds = timeseries_dataset_from_array(&data, None, &opts)?;
/// let batches = ds.collect()?;
/// assert_eq!(batches.len(), 2); // 8 windows
/// assert_eq!(batches[0].as_tensor()?.shape(), &[4, 3, 1]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn timeseries_dataset_from_array(
    data: &Tensor,
    targets: Option<&Tensor>,
    opts: &Timeseries,
) -> Result<Dataset> {
    if opts.sequence_length == 0 || opts.sequence_stride == 0 || opts.sampling_rate == 0 {
        return Err(invalid(format!(
            "sequence_length, sequence_stride and sampling_rate must be positive, got {}, {}, {}",
            opts.sequence_length, opts.sequence_stride, opts.sampling_rate
        )));
    }
    if opts.batch_size == Some(0) {
        return Err(invalid("batch_size must be at least 1".into()));
    }
    let len = *data
        .shape()
        .first()
        .ok_or_else(|| invalid("data must have a time axis".into()))?;
    let start = opts.start_index.unwrap_or(0);
    let end = opts.end_index.unwrap_or(len);
    if start > end || end > len {
        return Err(invalid(format!(
            "need 0 <= start_index <= end_index <= len(data) = {len}, got start_index={start}, end_index={end}"
        )));
    }
    let span = (opts.sequence_length - 1) * opts.sampling_rate;
    let mut num = (end - start).saturating_sub(span);
    if let Some(t) = targets {
        let tl = *t
            .shape()
            .first()
            .ok_or_else(|| invalid("targets must have a first axis".into()))?;
        num = num.min(tl.saturating_sub(start));
    }
    let mut starts: Vec<usize> = (0..num).step_by(opts.sequence_stride).collect();
    if opts.shuffle {
        let seed = opts.seed.unwrap_or_else(|| {
            (kiln_tensor::random::Generator::from_global().next_u64() % 1_000_000) as u32
        });
        let order = crate::numpy_random::shuffled_indices(starts.len(), seed);
        starts = order.into_iter().map(|i| starts[i]).collect();
    }
    let per = opts.batch_size.unwrap_or(1);
    let batched = opts.batch_size.is_some();
    let chunks: Vec<Vec<usize>> = starts.chunks(per).map(<[usize]>::to_vec).collect();
    let (data, targets) = (data.clone(), targets.cloned());
    let (seq, rate) = (opts.sequence_length, opts.sampling_rate);
    let n = chunks.len() as i64;
    let chunks = std::sync::Arc::new(chunks);
    Ok(Dataset::range(0, n, 1)?.map(move |e| {
        let b = e.as_tensor()?.item::<i64>()? as usize;
        let pos = &chunks[b];
        let idx: Vec<i64> = pos
            .iter()
            .flat_map(|&p| (0..seq).map(move |k| (start + p + k * rate) as i64))
            .collect();
        let it = Tensor::from_vec(idx, &[pos.len() * seq])?;
        let mut shape: Vec<isize> = vec![pos.len() as isize, seq as isize];
        shape.extend(data.shape()[1..].iter().map(|&d| d as isize));
        let mut x = data.gather(&it, 0)?.reshape(&shape)?;
        if !batched {
            x = x.squeeze(&[0])?;
        }
        let x = Element::Tensor(x);
        match &targets {
            None => Ok(x),
            Some(t) => {
                let ti: Vec<i64> = pos.iter().map(|&p| (start + p) as i64).collect();
                let mut y = t.gather(&Tensor::from_vec(ti, &[pos.len()])?, 0)?;
                if !batched {
                    y = y.squeeze(&[0])?;
                }
                Ok(Element::Tuple(vec![x, Element::Tensor(y)]))
            }
        }
    }))
}
