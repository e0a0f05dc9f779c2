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
/// let bad = PadSequences { padding: "middle".into(), ..Default::default() };
/// assert!(pad_sequences(&seqs, &bad).is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn pad_sequences<S: AsRef<[f64]>>(sequences: &[S], opts: &PadSequences) -> Result<Tensor> {
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
        let kept: &[f64] = if s.len() > maxlen {
            if opts.truncating == "pre" {
                &s[s.len() - maxlen..]
            } else {
                &s[..maxlen]
            }
        } else {
            s
        };
        let row = &mut out[i * maxlen..(i + 1) * maxlen];
        if opts.padding == "post" {
            row[..kept.len()].copy_from_slice(kept);
        } else {
            row[maxlen - kept.len()..].copy_from_slice(kept);
        }
    }
    Ok(Tensor::from_vec(out, &[n, maxlen])?.cast(opts.dtype)?)
}
