//! `pad_sequences`.

use kiln_tensor::{DType, Tensor};

use crate::{DataError, Result};

/// Options of [`pad_sequences`] (Keras's defaults: `maxlen=None, dtype="int32",
/// padding="pre", truncating="pre", value=0.0`).
#[derive(Clone, Debug)]
pub struct PadSequences {
    /// Output length; `None` uses the longest sequence.
    pub maxlen: Option<usize>,
    /// Output dtype.
    pub dtype: DType,
    /// `"pre"` or `"post"`: where padding goes.
    pub padding: String,
    /// `"pre"` or `"post"`: which end is cut from longer sequences.
    pub truncating: String,
    /// The padding value.
    pub value: f64,
}

impl Default for PadSequences {
    fn default() -> Self {
        PadSequences {
            maxlen: None,
            dtype: DType::I32,
            padding: "pre".into(),
            truncating: "pre".into(),
            value: 0.0,
        }
    }
}

/// An element type [`pad_sequences`] accepts: floats, or integer token ids as the
/// `keras.datasets` loaders return them.
pub trait SequenceValue: Copy {
    /// The value as f64 (exact for ids below 2^53).
    fn to_f64(self) -> f64;
}

macro_rules! sequence_value {
    ($($t:ty),*) => {$(
        impl SequenceValue for $t {
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
sequence_value!(f64, f32, i64, i32, u32, u16, u8, usize);

/// Pads (or truncates) ragged sequences to one length (`keras.utils.pad_sequences`),
/// returning a `(num_sequences, maxlen)` tensor.
///
/// ```
/// use kiln_data::utils::{pad_sequences, PadSequences};
/// let seqs = vec![vec![1.0, 2.0, 3.0], vec![4.0]];
/// let t = pad_sequences(&seqs, &PadSequences::default())?;
/// assert_eq!(t.to_vec::<i32>()?, vec![1, 2, 3, 0, 0, 4]);
/// let opts = PadSequences { maxlen: Some(2), padding: "post".into(), ..Default::default() };
/// assert_eq!(pad_sequences(&seqs, &opts)?.to_vec::<i32>()?, vec![2, 3, 4, 0]);
/// // Integer ids, as the imdb/reuters loaders give them, pad the same way.
/// let ids: Vec<Vec<i64>> = vec![vec![1, 14, 22], vec![1, 7]];
/// assert_eq!(pad_sequences(&ids, &PadSequences::default())?.to_vec::<i32>()?, vec![1, 14, 22, 0, 1, 7]);
/// let bad = PadSequences { padding: "middle".into(), ..Default::default() };
/// assert!(pad_sequences(&seqs, &bad).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn pad_sequences<T: SequenceValue, S: AsRef<[T]>>(
    sequences: &[S],
    opts: &PadSequences,
) -> Result<Tensor> {
    let api = "pad_sequences";
    for (what, v) in [("padding", &opts.padding), ("truncating", &opts.truncating)] {
        if v != "pre" && v != "post" {
            return Err(DataError::Invalid {
                api,
                msg: format!("{what} type {v:?} not understood; expected \"pre\" or \"post\""),
            });
        }
    }
    if opts.maxlen == Some(0) {
        // Keras fails on maxlen=0 too (its truncation step cannot broadcast).
        return Err(DataError::Invalid {
            api,
            msg: "maxlen must be at least 1".into(),
        });
    }
    let maxlen = opts.maxlen.unwrap_or_else(|| {
        sequences
            .iter()
            .map(|s| s.as_ref().len())
            .max()
            .unwrap_or(0)
    });
    let n = sequences.len();
    let mut out = vec![opts.value; n * maxlen];
    for (i, s) in sequences.iter().enumerate() {
        let s = s.as_ref();
        if s.is_empty() || maxlen == 0 {
            continue;
        }
        let kept: &[T] = if s.len() > maxlen {
            if opts.truncating == "pre" {
                &s[s.len() - maxlen..]
            } else {
                &s[..maxlen]
            }
        } else {
            s
        };
        let row = &mut out[i * maxlen..(i + 1) * maxlen];
        let at = if opts.padding == "post" {
            0
        } else {
            maxlen - kept.len()
        };
        for (o, &v) in row[at..at + kept.len()].iter_mut().zip(kept) {
            *o = v.to_f64();
        }
    }
    Ok(Tensor::from_vec(out, &[n, maxlen])?.cast(opts.dtype)?)
}
