//! `IntegerLookup`: integer tokens to vocabulary indices (or back, with `invert`).

use std::path::Path;

use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use super::index_lookup::{invalid, IndexLookup, LookupArgs, LookupMode, Vocabulary};
use crate::Result;

const API: &str = "IntegerLookup";

/// How an unknown integer picks one of several OOV indices (`oov_method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OovMethod {
    /// `value mod num_oov_indices` (Keras's default, `"floormod"`).
    FloorMod,
    /// FarmHash64 (or SipHash with `salt`) of the value's decimal text (`"farmhash"`).
    FarmHash,
}

impl OovMethod {
    /// Parses `"floormod"` or `"farmhash"`.
    ///
    /// ```
    /// use kiln_data::text::OovMethod;
    /// assert_eq!(OovMethod::parse("farmhash")?, OovMethod::FarmHash);
    /// assert!(OovMethod::parse("md5").is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn parse(s: &str) -> Result<OovMethod> {
        match s {
            "floormod" => Ok(OovMethod::FloorMod),
            "farmhash" => Ok(OovMethod::FarmHash),
            other => Err(invalid(
                API,
                format!("unknown oov_method {other:?}; expected \"floormod\" or \"farmhash\""),
            )),
        }
    }
    /// Keras's name.
    ///
    /// ```
    /// use kiln_data::text::OovMethod;
    /// assert_eq!(OovMethod::FloorMod.name(), "floormod");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            OovMethod::FloorMod => "floormod",
            OovMethod::FarmHash => "farmhash",
        }
    }
}

/// The arguments of `keras.layers.IntegerLookup`, with Keras's defaults.
///
/// ```
/// use kiln_data::text::IntegerLookupOptions;
/// let o = IntegerLookupOptions::default();
/// assert_eq!((o.oov_token, o.num_oov_indices), (-1, 1));
/// ```
#[derive(Clone, Debug)]
pub struct IntegerLookupOptions {
    /// Vocabulary size cap, special tokens included (must be > 1 when set).
    pub max_tokens: Option<usize>,
    /// How many OOV indices (default 1).
    pub num_oov_indices: i64,
    /// The value mapped to index 0; `None` = no mask.
    pub mask_token: Option<i64>,
    /// The value OOV indices stand for (default -1).
    pub oov_token: i64,
    /// A fixed vocabulary (then `adapt` is an error).
    pub vocabulary: Option<Vocabulary<i64>>,
    /// Only `"int64"` (as Keras).
    pub vocabulary_dtype: String,
    /// The idf weights for `output_mode="tf_idf"` with a fixed vocabulary.
    pub idf_weights: Option<Vec<f32>>,
    /// Map indices back to values.
    pub invert: bool,
    /// `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
    pub output_mode: String,
    /// Sparse outputs: only `false` is supported.
    pub sparse: bool,
    /// Make non-int outputs `max_tokens` wide.
    pub pad_to_max_tokens: bool,
    /// How unknown values pick one of several OOV indices.
    pub oov_method: OovMethod,
    /// SipHash key for `oov_method=FarmHash` (an integer `s` in Keras is `[s, s]`).
    pub salt: Option<[i64; 2]>,
}

impl Default for IntegerLookupOptions {
    fn default() -> Self {
        IntegerLookupOptions {
            max_tokens: None,
            num_oov_indices: 1,
            mask_token: None,
            oov_token: -1,
            vocabulary: None,
            vocabulary_dtype: "int64".into(),
            idf_weights: None,
            invert: false,
            output_mode: "int".into(),
            sparse: false,
            pad_to_max_tokens: false,
            oov_method: OovMethod::FloorMod,
            salt: None,
        }
    }
}

/// `keras.layers.IntegerLookup` over integer tensors: indices of values in a
/// vocabulary (given, read from a file, or learned by [`IntegerLookup::adapt`]), or the
/// values of indices with `invert`. Float inputs are truncated to integers first (as
/// TF's cast). Outputs: i64, or f32 for `tf_idf`.
///
/// ```
/// use kiln_data::text::{IntegerLookup, IntegerLookupOptions, Vocabulary};
/// use kiln_tensor::Tensor;
/// let l = IntegerLookup::new(IntegerLookupOptions {
///     vocabulary: Some(Vocabulary::Tokens(vec![12, 36, 1138, 42])),
///     ..Default::default()
/// })?;
/// let x = Tensor::from_vec(vec![12i64, 1138, 42, 42, 1000, 36], &[2, 3])?;
/// assert_eq!(l.call(&x)?.to_vec::<i64>()?, vec![1, 3, 4, 4, 0, 2]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct IntegerLookup {
    core: IndexLookup<i64>,
    oov_method: OovMethod,
}

fn values(x: &Tensor) -> Result<Vec<i64>> {
    if x.dtype() == DType::Bool {
        return Err(invalid(
            API,
            "inputs must be integers (or floats, truncated); got a bool tensor",
        ));
    }
    Ok(x.cast(DType::I64)?.to_vec::<i64>()?)
}

impl IntegerLookup {
    /// Builds the layer, validating the arguments as Keras does.
    pub fn new(o: IntegerLookupOptions) -> Result<IntegerLookup> {
        if o.vocabulary_dtype != "int64" {
            return Err(invalid(
                API,
                format!(
                    "only vocabulary_dtype=\"int64\" is supported; got {:?}",
                    o.vocabulary_dtype
                ),
            ));
        }
        if o.salt.is_some() && o.oov_method != OovMethod::FarmHash {
            return Err(invalid(
                API,
                format!(
                    "salt is only used with oov_method=\"farmhash\"; got oov_method={:?}",
                    o.oov_method.name()
                ),
            ));
        }
        let core = IndexLookup::new(LookupArgs {
            api: API,
            max_tokens: o.max_tokens,
            num_oov_indices: o.num_oov_indices,
            mask_token: o.mask_token,
            oov_token: o.oov_token,
            vocabulary: o.vocabulary,
            idf_weights: o.idf_weights,
            invert: o.invert,
            output_mode: o.output_mode,
            sparse: o.sparse,
            pad_to_max_tokens: o.pad_to_max_tokens,
            farmhash_oov: o.oov_method == OovMethod::FarmHash,
            salt: o.salt,
        })?;
        Ok(IntegerLookup {
            core,
            oov_method: o.oov_method,
        })
    }

    /// The output mode.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions, LookupMode};
    /// let l = IntegerLookup::new(IntegerLookupOptions { output_mode: "count".into(), ..Default::default() })?;
    /// assert_eq!(l.output_mode(), LookupMode::Count);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn output_mode(&self) -> LookupMode {
        self.core.mode
    }

    /// Whether the layer maps indices back to values.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions};
    /// assert!(!IntegerLookup::new(IntegerLookupOptions::default())?.invert());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn invert(&self) -> bool {
        self.core.invert
    }

    /// The output width of non-int modes (`max_tokens` when padded, else the frozen
    /// vocabulary size), if known.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions, Vocabulary};
    /// let l = IntegerLookup::new(IntegerLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec![5, 6])),
    ///     output_mode: "multi_hot".into(),
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(l.output_depth(), Some(3));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn output_depth(&self) -> Option<usize> {
        match (self.core.pad_to_max_tokens, self.core.max_tokens) {
            (true, Some(m)) => Some(m),
            _ => self.core.frozen_vocab_size,
        }
    }

    /// Learns the vocabulary. A rank-1 tensor holds one value per document, a rank-2
    /// tensor one document per row; values by descending frequency, ties by descending
    /// value.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions};
    /// use kiln_tensor::Tensor;
    /// let mut l = IntegerLookup::new(IntegerLookupOptions::default())?;
    /// l.adapt(&Tensor::from_vec(vec![5i64, 3, 3, 9, 9], &[5])?)?;
    /// assert_eq!(l.get_vocabulary(true), vec![-1, 9, 3, 5]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn adapt(&mut self, data: &Tensor) -> Result<()> {
        let v = values(data)?;
        let docs: Vec<Vec<i64>> = match data.shape() {
            [] => vec![v],
            [_] => v.into_iter().map(|x| vec![x]).collect(),
            [n, ..] => {
                let w = if *n == 0 { 0 } else { v.len() / n };
                v.chunks(w.max(1)).map(<[i64]>::to_vec).collect()
            }
        };
        self.core.adapt(&docs)
    }

    /// Learns the vocabulary from ragged rows, each a document.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions};
    /// let mut l = IntegerLookup::new(IntegerLookupOptions::default())?;
    /// l.adapt_ragged(&[vec![1, 2], vec![2]])?;
    /// assert_eq!(l.get_vocabulary(false), vec![2, 1]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn adapt_ragged(&mut self, rows: &[Vec<i64>]) -> Result<()> {
        self.core.adapt(rows)
    }

    /// Replaces the vocabulary (optionally led by the special tokens in Keras's order).
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions};
    /// let mut l = IntegerLookup::new(IntegerLookupOptions::default())?;
    /// l.set_vocabulary(&[7, 8], None)?;
    /// assert_eq!(l.vocabulary_size(), 3);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn set_vocabulary(
        &mut self,
        vocabulary: &[i64],
        idf_weights: Option<&[f32]>,
    ) -> Result<()> {
        self.core.set_vocabulary(vocabulary, idf_weights)
    }

    /// Reads the vocabulary from a text file of one integer a line.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions};
    /// let p = std::env::temp_dir().join(format!("kiln_doc_integer_lookup_vocab_{}.txt", std::process::id()));
    /// std::fs::write(&p, "12\n36\n")?;
    /// let mut l = IntegerLookup::new(IntegerLookupOptions::default())?;
    /// l.set_vocabulary_file(&p)?;
    /// assert_eq!(l.get_vocabulary(true), vec![-1, 12, 36]);
    /// # std::fs::remove_file(&p).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_vocabulary_file(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.core.set_vocabulary_file(path.as_ref())
    }

    /// The vocabulary in index order, with or without the mask/OOV tokens.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions, Vocabulary};
    /// let l = IntegerLookup::new(IntegerLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec![4, 2])),
    ///     mask_token: Some(0),
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(l.get_vocabulary(true), vec![0, -1, 4, 2]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn get_vocabulary(&self, include_special_tokens: bool) -> Vec<i64> {
        self.core.get_vocabulary(include_special_tokens)
    }

    /// The number of indices, special ones included.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions};
    /// let l = IntegerLookup::new(IntegerLookupOptions { num_oov_indices: 3, ..Default::default() })?;
    /// assert_eq!(l.vocabulary_size(), 3);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn vocabulary_size(&self) -> usize {
        self.core.vocabulary_size()
    }

    /// The idf weights (`tf_idf` mode), one per output column.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions, Vocabulary};
    /// let l = IntegerLookup::new(IntegerLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec![3, 4])),
    ///     output_mode: "tf_idf".into(),
    ///     idf_weights: Some(vec![1.0, 3.0]),
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(l.idf_weights(), Some(&[2.0f32, 1.0, 3.0][..])); // OOV gets the mean
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn idf_weights(&self) -> Option<&[f32]> {
        self.core.idf_weights()
    }

    /// Looks up (or, with `invert`, maps back) an integer tensor. `int` keeps the
    /// shape; the other modes encode rank 0-2 inputs as Keras does.
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions, Vocabulary};
    /// use kiln_tensor::Tensor;
    /// let l = IntegerLookup::new(IntegerLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec![12, 36])),
    ///     invert: true,
    ///     ..Default::default()
    /// })?;
    /// let y = l.call(&Tensor::from_vec(vec![2i64, 0, 1], &[3])?)?;
    /// assert_eq!(y.to_vec::<i64>()?, vec![36, -1, 12]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call(&self, x: &Tensor) -> Result<Tensor> {
        let v = values(x)?;
        if self.core.invert {
            let out: Vec<i64> = v.iter().map(|&i| self.core.token_at(i)).collect();
            return Ok(Tensor::from_vec(out, x.shape())?);
        }
        self.core.check_callable()?;
        let ids = v
            .iter()
            .map(|k| self.core.lookup(k))
            .collect::<Result<Vec<i64>>>()?;
        self.core.encode(&ids, x.shape(), None)
    }

    /// The output shape for an input shape (`None` = unknown dimension).
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions, Vocabulary};
    /// let l = IntegerLookup::new(IntegerLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec![5, 6])),
    ///     output_mode: "one_hot".into(),
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(l.compute_output_shape(&[None, Some(1)]), vec![None, Some(3)]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn compute_output_shape(&self, input: &[Option<usize>]) -> Vec<Option<usize>> {
        let mut s = input.to_vec();
        match self.core.mode {
            LookupMode::Int => return s,
            LookupMode::OneHot => {
                if s.len() > 1 && s[s.len() - 1] == Some(1) {
                    s.pop();
                }
            }
            _ => {
                s.pop();
            }
        }
        s.push(self.output_depth());
        s
    }

    /// Keras's `get_config()` keys (without `name`/`dtype`/`trainable`).
    ///
    /// ```
    /// use kiln_data::text::{IntegerLookup, IntegerLookupOptions};
    /// let c = IntegerLookup::new(IntegerLookupOptions::default())?.get_config();
    /// assert_eq!((c["oov_token"].as_i64(), c["vocabulary_dtype"].as_str()), (Some(-1), Some("int64")));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn get_config(&self) -> Value {
        let c = &self.core;
        json!({
            "invert": c.invert,
            "max_tokens": c.max_tokens,
            "num_oov_indices": c.num_oov,
            "oov_token": c.oov,
            "mask_token": c.mask,
            "output_mode": c.mode.name(),
            "sparse": false,
            "pad_to_max_tokens": c.pad_to_max_tokens,
            "vocabulary_dtype": "int64",
            "idf_weights": c.input_idf,
            "vocabulary": c.input_vocabulary,
            "vocabulary_size": c.frozen_vocab_size,
            "oov_method": self.oov_method.name(),
            "salt": c.salt,
        })
    }
}
