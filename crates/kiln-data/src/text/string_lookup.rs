//! `StringLookup`: strings to vocabulary indices (or back, with `invert`), as Keras 3.

use std::path::Path;

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use super::index_lookup::{invalid, IndexLookup, LookupArgs, LookupMode, Vocabulary};
use crate::Result;

const API: &str = "StringLookup";

/// The arguments of `keras.layers.StringLookup`, with Keras's defaults.
///
/// ```
/// use kiln_data::text::{StringLookupOptions, Vocabulary};
/// let o = StringLookupOptions {
///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into(), "b".into()])),
///     mask_token: Some(String::new()),
///     ..Default::default()
/// };
/// assert_eq!(o.oov_token, "[UNK]");
/// ```
#[derive(Clone, Debug)]
pub struct StringLookupOptions {
    /// Vocabulary size cap, special tokens included (must be > 1 when set).
    pub max_tokens: Option<usize>,
    /// How many OOV indices (default 1); several are chosen by hashing the token.
    pub num_oov_indices: i64,
    /// The token mapped to index 0 (and dropped from counts); `None` = no mask.
    pub mask_token: Option<String>,
    /// The token OOV indices stand for (default `"[UNK]"`).
    pub oov_token: String,
    /// A fixed vocabulary (then `adapt` is an error).
    pub vocabulary: Option<Vocabulary<String>>,
    /// The idf weights for `output_mode="tf_idf"` with a fixed vocabulary.
    pub idf_weights: Option<Vec<f32>>,
    /// Map indices back to tokens.
    pub invert: bool,
    /// `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
    pub output_mode: String,
    /// Make non-int outputs `max_tokens` wide.
    pub pad_to_max_tokens: bool,
    /// Sparse outputs: only `false` is supported.
    pub sparse: bool,
    /// The text encoding: only `"utf-8"` (Rust strings are UTF-8).
    pub encoding: String,
    /// Key of the SipHash used for OOV buckets when `num_oov_indices > 1` (an integer
    /// `s` in Keras is `[s, s]`); `None` uses FarmHash.
    pub salt: Option<[i64; 2]>,
}

impl Default for StringLookupOptions {
    fn default() -> Self {
        StringLookupOptions {
            max_tokens: None,
            num_oov_indices: 1,
            mask_token: None,
            oov_token: "[UNK]".into(),
            vocabulary: None,
            idf_weights: None,
            invert: false,
            output_mode: "int".into(),
            pad_to_max_tokens: false,
            sparse: false,
            encoding: "utf-8".into(),
            salt: None,
        }
    }
}

/// `keras.layers.StringLookup` over Rust strings: indices of tokens in a vocabulary
/// (given, read from a file, or learned by [`StringLookup::adapt`]), encoded as Keras's
/// `output_mode` says; with `invert`, tokens of indices.
///
/// Index layout (int mode): the mask token (if any) at 0, then `num_oov_indices` OOV
/// slots, then the vocabulary. With several OOV slots an unknown token goes to slot
/// `FarmHash64(token) % num_oov_indices` (SipHash-2-4 with `salt`), exactly as TF.
/// `int` / `one_hot` / `multi_hot` / `count` outputs are i64 tensors, `tf_idf` f32.
///
/// ```
/// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
/// let vocab = vec!["a".to_string(), "b".into(), "c".into(), "d".into()];
/// let l = StringLookup::new(StringLookupOptions {
///     vocabulary: Some(Vocabulary::Tokens(vocab)),
///     ..Default::default()
/// })?;
/// let y = l.call_2d(&[vec!["a", "c", "d"], vec!["d", "z", "b"]])?;
/// assert_eq!(y.to_vec::<i64>()?, vec![1, 3, 4, 4, 0, 2]);
/// assert_eq!(l.get_vocabulary(true)[0], "[UNK]");
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct StringLookup {
    core: IndexLookup<String>,
    encoding: String,
}

fn flat<S: AsRef<str>>(rows: &[Vec<S>]) -> (Vec<String>, Vec<usize>) {
    let lens = rows.iter().map(Vec::len).collect();
    let v = rows
        .iter()
        .flat_map(|r| r.iter().map(|s| s.as_ref().to_string()))
        .collect();
    (v, lens)
}

/// The strings of `x`, or an `Err` naming the dtype received.
fn string_input(x: &Tensor, what: &str) -> Result<Vec<String>> {
    if x.dtype() != kiln_tensor::DType::String {
        return Err(invalid(
            API,
            format!(
                "{what} expects a string tensor (dtype string), received a {} tensor of shape {:?}",
                x.dtype().name(),
                x.shape()
            ),
        ));
    }
    Ok(x.to_strings()?)
}

impl StringLookup {
    /// The `invert` flag.
    pub fn invert(&self) -> bool {
        self.core.invert
    }

    /// Builds the layer, validating the arguments as Keras does (`Err` with the reason).
    pub fn new(o: StringLookupOptions) -> Result<StringLookup> {
        let enc = o.encoding.to_ascii_lowercase().replace('_', "-");
        if enc != "utf-8" && enc != "utf8" {
            return Err(invalid(
                API,
                format!(
                    "encoding {:?} is not supported: kiln strings are UTF-8 (use \"utf-8\")",
                    o.encoding
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
            farmhash_oov: true,
            salt: o.salt,
        })?;
        Ok(StringLookup {
            core,
            encoding: o.encoding,
        })
    }

    /// The output mode.
    ///
    /// ```
    /// use kiln_data::text::{LookupMode, StringLookup, StringLookupOptions};
    /// let l = StringLookup::new(StringLookupOptions::default())?;
    /// assert_eq!(l.output_mode(), LookupMode::Int);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn output_mode(&self) -> LookupMode {
        self.core.mode
    }

    /// Learns the vocabulary from a rank-1 batch: every string is one document.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions};
    /// let mut l = StringLookup::new(StringLookupOptions::default())?;
    /// l.adapt(&["b", "a", "b", "c", "a", "b"])?;
    /// assert_eq!(l.get_vocabulary(true), vec!["[UNK]", "b", "a", "c"]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn adapt<S: AsRef<str>>(&mut self, data: &[S]) -> Result<()> {
        let docs: Vec<Vec<String>> = data.iter().map(|s| vec![s.as_ref().to_string()]).collect();
        self.core.adapt(&docs)
    }

    /// Learns the vocabulary from a rank-2 (possibly ragged) batch: each row is a
    /// document (for the tf-idf document frequencies).
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions};
    /// let mut l = StringLookup::new(StringLookupOptions { max_tokens: Some(3), ..Default::default() })?;
    /// l.adapt_2d(&[vec!["x", "y"], vec!["y"], vec!["z", "y", "x"]])?;
    /// assert_eq!(l.get_vocabulary(false), vec!["y", "x"]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn adapt_2d<S: AsRef<str>>(&mut self, data: &[Vec<S>]) -> Result<()> {
        let docs: Vec<Vec<String>> = data
            .iter()
            .map(|r| r.iter().map(|s| s.as_ref().to_string()).collect())
            .collect();
        self.core.adapt(&docs)
    }

    /// Replaces the vocabulary (optionally led by the special tokens in Keras's order);
    /// `idf_weights` is required in `tf_idf` mode and refused otherwise.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions};
    /// let mut l = StringLookup::new(StringLookupOptions::default())?;
    /// l.set_vocabulary(&["[UNK]", "x", "y"], None)?;
    /// assert_eq!(l.vocabulary_size(), 3);
    /// assert!(l.set_vocabulary(&["x", "x"], None).is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn set_vocabulary<S: AsRef<str>>(
        &mut self,
        vocabulary: &[S],
        idf_weights: Option<&[f32]>,
    ) -> Result<()> {
        let v: Vec<String> = vocabulary.iter().map(|s| s.as_ref().to_string()).collect();
        self.core.set_vocabulary(&v, idf_weights)
    }

    /// Reads the vocabulary from a text file, one token a line (no special-token
    /// detection and no `max_tokens` check, as TF's file initializer).
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions};
    /// let p = std::env::temp_dir().join(format!("kiln_doc_string_lookup_vocab_{}.txt", std::process::id()));
    /// std::fs::write(&p, "the\ncat\n")?;
    /// let mut l = StringLookup::new(StringLookupOptions::default())?;
    /// l.set_vocabulary_file(&p)?;
    /// assert_eq!(l.call(&["cat", "dog"])?.to_vec::<i64>()?, vec![2, 0]);
    /// # std::fs::remove_file(&p).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_vocabulary_file(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.core.set_vocabulary_file(path.as_ref())
    }

    /// The vocabulary in index order, with or without the mask/OOV tokens.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
    /// let l = StringLookup::new(StringLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into()])),
    ///     mask_token: Some("".into()),
    ///     num_oov_indices: 2,
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(l.get_vocabulary(true), vec!["", "[UNK]", "[UNK]", "a"]);
    /// assert_eq!(l.get_vocabulary(false), vec!["a"]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn get_vocabulary(&self, include_special_tokens: bool) -> Vec<String> {
        self.core.get_vocabulary(include_special_tokens)
    }

    /// The number of indices: the vocabulary plus the mask and OOV slots.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions};
    /// assert_eq!(StringLookup::new(StringLookupOptions::default())?.vocabulary_size(), 1);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn vocabulary_size(&self) -> usize {
        self.core.vocabulary_size()
    }

    /// The idf weights (`tf_idf` mode), one per output column.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions};
    /// let mut l = StringLookup::new(StringLookupOptions { output_mode: "tf_idf".into(), ..Default::default() })?;
    /// l.adapt_2d(&[vec!["a", "b"], vec!["a"]])?;
    /// let w = l.idf_weights().unwrap();
    /// assert!((w[1] - (1.0f32 + 2.0 / 3.0).ln()).abs() < 1e-6); // "a" is in both documents
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn idf_weights(&self) -> Option<&[f32]> {
        self.core.idf_weights()
    }

    fn forward(&self, toks: &[String]) -> Result<Vec<i64>> {
        if self.core.invert {
            return Err(invalid(
                API,
                "this layer has invert=true: it maps indices to strings, use call_invert",
            ));
        }
        self.core.check_callable()?;
        toks.iter().map(|t| self.core.lookup(t)).collect()
    }

    /// Looks up one string (a rank-0 input): `int` gives a scalar, the other modes
    /// one sample.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
    /// let l = StringLookup::new(StringLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into(), "b".into()])),
    ///     ..Default::default()
    /// })?;
    /// let y = l.call_scalar("b")?;
    /// assert_eq!((y.shape().to_vec(), y.to_vec::<i64>()?), (vec![], vec![2]));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_scalar(&self, token: &str) -> Result<Tensor> {
        let ids = self.forward(&[token.to_string()])?;
        self.core.encode(&ids, &[], None)
    }

    /// Looks up a rank-1 batch of strings.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
    /// let l = StringLookup::new(StringLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into(), "b".into()])),
    ///     output_mode: "count".into(),
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(l.call(&["b", "b", "q"])?.to_vec::<i64>()?, vec![1, 0, 2]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call<S: AsRef<str>>(&self, tokens: &[S]) -> Result<Tensor> {
        let t: Vec<String> = tokens.iter().map(|s| s.as_ref().to_string()).collect();
        let ids = self.forward(&t)?;
        self.core.encode(&ids, &[t.len()], None)
    }

    /// Looks up a rank-2 batch. Rows of different lengths are a ragged batch: fine for
    /// `multi_hot` / `count` / `tf_idf` (one output row each), an `Err` for `int` and
    /// `one_hot` (use [`StringLookup::call_ragged`]).
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
    /// let l = StringLookup::new(StringLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into(), "b".into()])),
    ///     output_mode: "multi_hot".into(),
    ///     ..Default::default()
    /// })?;
    /// let y = l.call_2d(&[vec!["a"], vec!["b", "b", "x"]])?;
    /// assert_eq!(y.to_vec::<i64>()?, vec![0, 1, 0, 1, 0, 1]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_2d<S: AsRef<str>>(&self, rows: &[Vec<S>]) -> Result<Tensor> {
        let (t, lens) = flat(rows);
        let ids = self.forward(&t)?;
        let ragged = lens.windows(2).any(|w| w[0] != w[1]);
        if ragged {
            if matches!(self.core.mode, LookupMode::Int | LookupMode::OneHot) {
                return Err(invalid(
                    API,
                    format!(
                        "rows of different lengths {lens:?} in output_mode={:?}: use call_ragged \
                         for int outputs, or rectangular rows",
                        self.core.mode.name()
                    ),
                ));
            }
            return self.core.encode(&ids, &[], Some(&lens));
        }
        let width = lens.first().copied().unwrap_or(0);
        self.core.encode(&ids, &[rows.len(), width], None)
    }

    /// Indices of a ragged batch (`int` mode), one list per row.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
    /// let l = StringLookup::new(StringLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into(), "b".into()])),
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(l.call_ragged(&[vec!["a", "x"], vec!["b"]])?, vec![vec![1, 0], vec![2]]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_ragged<S: AsRef<str>>(&self, rows: &[Vec<S>]) -> Result<Vec<Vec<i64>>> {
        if self.core.mode != LookupMode::Int {
            return Err(invalid(
                API,
                format!(
                    "call_ragged returns indices, which needs output_mode=\"int\" (got {:?})",
                    self.core.mode.name()
                ),
            ));
        }
        rows.iter()
            .map(|r| {
                let t: Vec<String> = r.iter().map(|s| s.as_ref().to_string()).collect();
                self.forward(&t)
            })
            .collect()
    }

    fn check_invert(&self) -> Result<()> {
        if !self.core.invert {
            return Err(invalid(
                API,
                "call_invert needs a layer built with invert=true",
            ));
        }
        Ok(())
    }

    /// `invert=true`: the token of each index (the OOV token for unknown indices).
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
    /// let l = StringLookup::new(StringLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into(), "b".into()])),
    ///     invert: true,
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(l.call_invert(&[2, 0, 1, 7])?, vec!["b", "[UNK]", "a", "[UNK]"]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_invert(&self, indices: &[i64]) -> Result<Vec<String>> {
        self.check_invert()?;
        Ok(indices.iter().map(|&i| self.core.token_at(i)).collect())
    }

    /// `invert=true` on a rank-2 (or ragged) batch of indices.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
    /// let l = StringLookup::new(StringLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into()])),
    ///     invert: true,
    ///     mask_token: Some("<pad>".into()),
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(l.call_invert_2d(&[vec![2, 0], vec![1]])?, vec![vec!["a", "<pad>"], vec!["[UNK]"]]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_invert_2d(&self, indices: &[Vec<i64>]) -> Result<Vec<Vec<String>>> {
        self.check_invert()?;
        Ok(indices
            .iter()
            .map(|r| r.iter().map(|&i| self.core.token_at(i)).collect())
            .collect())
    }

    /// `invert=true` on an integer tensor of any shape: the tokens in row-major order.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
    /// use kiln_tensor::Tensor;
    /// let l = StringLookup::new(StringLookupOptions {
    ///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into()])),
    ///     invert: true,
    ///     ..Default::default()
    /// })?;
    /// let t = Tensor::from_vec(vec![1i64, 0], &[2, 1])?;
    /// assert_eq!(l.call_invert_tensor(&t)?, vec!["a", "[UNK]"]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_invert_tensor(&self, indices: &Tensor) -> Result<Vec<String>> {
        let v = indices.cast(kiln_tensor::DType::I64)?.to_vec::<i64>()?;
        self.call_invert(&v)
    }

    /// Learns the vocabulary from a string tensor: rank 0 or 1, every string one
    /// document; rank 2, every row one document (as Keras's `adapt(tensor)`).
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions};
    /// use kiln_tensor::Tensor;
    /// let mut l = StringLookup::new(StringLookupOptions::default())?;
    /// l.adapt_tensor(&Tensor::from_strings(vec!["b", "a", "b"], &[3, 1])?)?;
    /// assert_eq!(l.get_vocabulary(true), vec!["[UNK]", "b", "a"]);
    /// assert!(l.adapt_tensor(&Tensor::scalar(1i64)).is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn adapt_tensor(&mut self, data: &Tensor) -> Result<()> {
        let s = string_input(data, "adapt")?;
        match data.shape() {
            [] | [_] => self.adapt(&s),
            [_, w] => {
                let rows: Vec<Vec<String>> = s.chunks((*w).max(1)).map(|r| r.to_vec()).collect();
                self.adapt_2d(&rows)
            }
            shape => Err(invalid(
                API,
                format!("adapt supports inputs of rank <= 2; got shape {shape:?}"),
            )),
        }
    }

    /// Learns the vocabulary from every element of a dataset of string tensors (Keras's
    /// `adapt(dataset)`); each element is adapted as [`StringLookup::adapt_tensor`] does,
    /// the counts summed over the whole dataset.
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// use kiln_data::text::{StringLookup, StringLookupOptions};
    /// use kiln_tensor::Tensor;
    /// let ds = Dataset::from_tensor_slices(Tensor::from_strings(vec!["b", "a", "b"], &[3])?)?;
    /// let mut l = StringLookup::new(StringLookupOptions::default())?;
    /// l.adapt_dataset(&ds.batch(2)?)?;
    /// assert_eq!(l.get_vocabulary(true), vec!["[UNK]", "b", "a"]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn adapt_dataset(&mut self, ds: &crate::dataset::Dataset) -> Result<()> {
        let mut rows: Vec<Vec<String>> = Vec::new();
        for e in ds.iter() {
            let e = e?;
            let t = e.as_tensor().map_err(|_| {
                invalid(
                    API,
                    format!(
                        "adapt expects a dataset of string tensors, got elements {}",
                        e.structure()
                    ),
                )
            })?;
            let s = string_input(t, "adapt")?;
            match t.shape() {
                [] | [_] => rows.extend(s.into_iter().map(|x| vec![x])),
                [_, w] => rows.extend(s.chunks((*w).max(1)).map(|r| r.to_vec())),
                shape => {
                    return Err(invalid(
                        API,
                        format!("adapt supports elements of rank <= 2; got shape {shape:?}"),
                    ))
                }
            }
        }
        self.adapt_2d(&rows)
    }

    /// The layer on a tensor, as Keras's `layer(tensor)`: a string tensor of any shape
    /// in `int` mode (indices of the same shape, int64), of rank <= 2 in the other modes;
    /// with `invert=true` an integer tensor, giving a string tensor of the same shape.
    /// The wrong dtype is an `Err` saying what was expected and received.
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions, Vocabulary};
    /// use kiln_tensor::Tensor;
    /// let vocab = Some(Vocabulary::Tokens(vec!["a".into(), "b".into()]));
    /// let l = StringLookup::new(StringLookupOptions { vocabulary: vocab.clone(), ..Default::default() })?;
    /// let ids = l.call_tensor(&Tensor::from_strings(vec!["b", "z", "a"], &[3, 1])?)?;
    /// assert_eq!((ids.shape().to_vec(), ids.to_vec::<i64>()?), (vec![3, 1], vec![2, 0, 1]));
    /// let inv = StringLookup::new(StringLookupOptions { vocabulary: vocab, invert: true, ..Default::default() })?;
    /// assert_eq!(inv.call_tensor(&ids)?.to_strings()?, vec!["b", "[UNK]", "a"]);
    /// assert!(l.call_tensor(&ids).unwrap_err().to_string().contains("expects a string tensor"));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_tensor(&self, x: &Tensor) -> Result<Tensor> {
        if self.core.invert {
            if !x.dtype().is_int() {
                return Err(invalid(
                    API,
                    format!(
                        "with invert=true the layer expects an integer tensor of indices, received a {} tensor of shape {:?}",
                        x.dtype().name(),
                        x.shape()
                    ),
                ));
            }
            let v = x.cast(kiln_tensor::DType::I64)?.to_vec::<i64>()?;
            let toks = self.call_invert(&v)?;
            return Ok(Tensor::from_strings(toks, x.shape())?);
        }
        let s = string_input(x, "call")?;
        let ids = self.forward(&s)?;
        if self.core.mode != LookupMode::Int && x.rank() > 2 {
            return Err(invalid(
                API,
                format!(
                    "output_mode={:?} supports inputs of rank <= 2; got shape {:?}",
                    self.core.mode.name(),
                    x.shape()
                ),
            ));
        }
        self.core.encode(&ids, x.shape(), None)
    }

    /// Keras's `get_config()` keys (without `name`/`dtype`/`trainable`).
    ///
    /// ```
    /// use kiln_data::text::{StringLookup, StringLookupOptions};
    /// let c = StringLookup::new(StringLookupOptions::default())?.get_config();
    /// assert_eq!(c["oov_token"], "[UNK]");
    /// assert_eq!(c["encoding"], "utf-8");
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
            "idf_weights": c.input_idf,
            "vocabulary": c.input_vocabulary,
            "vocabulary_size": c.frozen_vocab_size,
            "oov_method": "floormod",
            "salt": c.salt,
            "encoding": self.encoding,
        })
    }
}
