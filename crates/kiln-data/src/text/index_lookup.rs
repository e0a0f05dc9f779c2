//! The vocabulary table shared by [`StringLookup`](super::StringLookup) and
//! [`IntegerLookup`](super::IntegerLookup): Keras's `IndexLookup` (special-token layout,
//! OOV buckets, `adapt` by frequency, idf weights, output encodings).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::hash::Hash;
use std::path::{Path, PathBuf};

use kiln_tensor::Tensor;

use super::farmhash::fingerprint64;
use super::siphash::siphash24;
use crate::{DataError, Result};

/// What a lookup layer's `call` returns (`output_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupMode {
    /// The index of each token (i64), same shape as the input (`"int"`, the default).
    Int,
    /// One vector per token (`"one_hot"`, i64); a trailing axis of size 1 is replaced.
    OneHot,
    /// Per sample, 1 at every index present (`"multi_hot"`, alias `"binary"`; i64).
    MultiHot,
    /// Per sample, how often each index occurs (`"count"`, i64).
    Count,
    /// Counts times the idf weights (`"tf_idf"`, alias `"tf-idf"`; f32).
    TfIdf,
}

impl LookupMode {
    /// Parses Keras's names, including the aliases `"binary"` and `"tf-idf"`.
    ///
    /// ```
    /// use kiln_data::text::LookupMode;
    /// assert_eq!(LookupMode::parse("StringLookup", "binary")?, LookupMode::MultiHot);
    /// assert!(LookupMode::parse("StringLookup", "bogus").is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn parse(api: &'static str, s: &str) -> Result<LookupMode> {
        Ok(match s {
            "int" => LookupMode::Int,
            "one_hot" => LookupMode::OneHot,
            "multi_hot" | "binary" => LookupMode::MultiHot,
            "count" => LookupMode::Count,
            "tf_idf" | "tf-idf" => LookupMode::TfIdf,
            other => {
                return Err(invalid(
                    api,
                    format!(
                        "unknown output_mode {other:?}; expected one of \"int\", \"one_hot\", \
                         \"multi_hot\", \"count\", \"tf_idf\""
                    ),
                ))
            }
        })
    }
    /// Keras's name of the mode.
    ///
    /// ```
    /// use kiln_data::text::LookupMode;
    /// assert_eq!(LookupMode::TfIdf.name(), "tf_idf");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            LookupMode::Int => "int",
            LookupMode::OneHot => "one_hot",
            LookupMode::MultiHot => "multi_hot",
            LookupMode::Count => "count",
            LookupMode::TfIdf => "tf_idf",
        }
    }
}

/// Where a vocabulary comes from: a list of tokens or a text file with one token a line.
#[derive(Clone, Debug, PartialEq)]
pub enum Vocabulary<K> {
    /// The tokens, optionally preceded by the special tokens in Keras's order.
    Tokens(Vec<K>),
    /// A UTF-8 text file, one token a line (a trailing `\r` is dropped, as TF does).
    File(PathBuf),
}

pub(crate) fn invalid(api: &'static str, msg: impl Into<String>) -> DataError {
    DataError::Invalid {
        api,
        msg: msg.into(),
    }
}

/// A token type a lookup table can hold.
pub(crate) trait LookupKey: Clone + Eq + Hash + Ord + Debug {
    /// The bytes TF hashes for OOV buckets (integers as their decimal text).
    fn hash_text(&self) -> Cow<'_, [u8]>;
    /// The integer value, for `oov_method="floormod"`.
    fn as_int(&self) -> Option<i64>;
    /// Parses one line of a vocabulary file.
    fn parse_line(line: &str) -> Option<Self>;
}

impl LookupKey for String {
    fn hash_text(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.as_bytes())
    }
    fn as_int(&self) -> Option<i64> {
        None
    }
    fn parse_line(line: &str) -> Option<Self> {
        Some(line.to_string())
    }
}

impl LookupKey for i64 {
    fn hash_text(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.to_string().into_bytes())
    }
    fn as_int(&self) -> Option<i64> {
        Some(*self)
    }
    fn parse_line(line: &str) -> Option<Self> {
        line.trim().parse().ok()
    }
}

/// The arguments Keras's `IndexLookup.__init__` validates.
pub(crate) struct LookupArgs<K> {
    pub api: &'static str,
    pub max_tokens: Option<usize>,
    pub num_oov_indices: i64,
    pub mask_token: Option<K>,
    pub oov_token: K,
    pub vocabulary: Option<Vocabulary<K>>,
    pub idf_weights: Option<Vec<f32>>,
    pub invert: bool,
    pub output_mode: String,
    pub sparse: bool,
    pub pad_to_max_tokens: bool,
    pub farmhash_oov: bool,
    pub salt: Option<[i64; 2]>,
}

/// The id a masked input gets outside `int` mode: past every bin, so no bin counts it.
const MASKED: i64 = i64::MAX;

/// Keras's `IndexLookup` state.
#[derive(Clone, Debug)]
pub(crate) struct IndexLookup<K: LookupKey> {
    pub api: &'static str,
    pub max_tokens: Option<usize>,
    pub num_oov: usize,
    pub mask: Option<K>,
    pub oov: K,
    pub invert: bool,
    pub mode: LookupMode,
    pub pad_to_max_tokens: bool,
    /// Integer keys hash their decimal text for OOV buckets instead of `floormod`.
    pub farmhash_oov: bool,
    pub salt: Option<[i64; 2]>,
    has_input_vocabulary: bool,
    pub frozen_vocab_size: Option<usize>,
    /// The learned or given tokens; token `i` has index `token_start() + i`.
    tokens: Vec<K>,
    index: HashMap<K, usize>,
    idf: Option<Vec<f32>>,
    pub input_vocabulary: Option<Vec<K>>,
    pub input_idf: Option<Vec<f32>>,
}

impl<K: LookupKey> IndexLookup<K> {
    pub fn new(a: LookupArgs<K>) -> Result<IndexLookup<K>> {
        let api = a.api;
        if let Some(m) = a.max_tokens
            && m <= 1
        {
            return Err(invalid(
                api,
                format!("max_tokens, if set, must be greater than 1; got max_tokens={m}"),
            ));
        }
        if a.pad_to_max_tokens && a.max_tokens.is_none() {
            return Err(invalid(
                api,
                "pad_to_max_tokens=true needs max_tokens to be set (got max_tokens=None)",
            ));
        }
        if a.num_oov_indices < 0 {
            return Err(invalid(
                api,
                format!(
                    "num_oov_indices must be >= 0; got num_oov_indices={}",
                    a.num_oov_indices
                ),
            ));
        }
        let mode = LookupMode::parse(api, &a.output_mode)?;
        if a.invert && mode != LookupMode::Int {
            return Err(invalid(
                api,
                format!(
                    "invert=true needs output_mode=\"int\"; got output_mode={:?}",
                    mode.name()
                ),
            ));
        }
        if a.sparse && mode == LookupMode::Int {
            return Err(invalid(
                api,
                "sparse=true is only valid with output_mode \"one_hot\", \"multi_hot\", \
                 \"count\" or \"tf_idf\"; got output_mode=\"int\"",
            ));
        }
        if a.sparse {
            return Err(invalid(
                api,
                "sparse=true (SparseTensor outputs) is not supported by kiln; use sparse=false",
            ));
        }
        if a.idf_weights.is_some() && mode != LookupMode::TfIdf {
            return Err(invalid(
                api,
                format!(
                    "idf_weights may only be given with output_mode=\"tf_idf\"; got output_mode={:?}",
                    mode.name()
                ),
            ));
        }
        let has_input_vocabulary = a.vocabulary.is_some();
        if mode == LookupMode::TfIdf && has_input_vocabulary && a.idf_weights.is_none() {
            return Err(invalid(
                api,
                "output_mode=\"tf_idf\" with a vocabulary argument also needs idf_weights",
            ));
        }
        let mut l = IndexLookup {
            api,
            max_tokens: a.max_tokens,
            num_oov: a.num_oov_indices as usize,
            mask: a.mask_token,
            oov: a.oov_token,
            invert: a.invert,
            mode,
            pad_to_max_tokens: a.pad_to_max_tokens,
            farmhash_oov: a.farmhash_oov,
            salt: a.salt,
            has_input_vocabulary,
            frozen_vocab_size: None,
            tokens: Vec::new(),
            index: HashMap::new(),
            idf: None,
            input_vocabulary: None,
            input_idf: a.idf_weights.clone(),
        };
        if let Some(idf) = &a.idf_weights {
            l.idf = Some(idf.clone());
        }
        match a.vocabulary {
            Some(Vocabulary::Tokens(v)) => {
                l.input_vocabulary = Some(v.clone());
                l.set_vocabulary(&v, a.idf_weights.as_deref())?;
            }
            Some(Vocabulary::File(p)) => l.set_vocabulary_file(&p)?,
            None => {}
        }
        Ok(l)
    }

    /// Index of the first OOV slot: 1 when a mask token occupies index 0 (int mode only).
    pub fn oov_start(&self) -> usize {
        usize::from(self.mask.is_some() && self.mode == LookupMode::Int)
    }

    /// Index of the first vocabulary token.
    pub fn token_start(&self) -> usize {
        self.oov_start() + self.num_oov
    }

    pub fn vocabulary_size(&self) -> usize {
        self.tokens.len() + self.token_start()
    }

    pub fn idf_weights(&self) -> Option<&[f32]> {
        self.idf.as_deref()
    }

    pub fn get_vocabulary(&self, include_special_tokens: bool) -> Vec<K> {
        let mut v: Vec<K> = std::iter::repeat_n(self.oov.clone(), self.token_start())
            .chain(self.tokens.iter().cloned())
            .collect();
        if let (Some(m), LookupMode::Int) = (&self.mask, self.mode) {
            v[0] = m.clone();
        }
        if include_special_tokens {
            v
        } else {
            v.split_off(self.token_start())
        }
    }

    /// Keras freezes the vocabulary size of non-int, unpadded layers once it is first
    /// set; a later vocabulary of a different size is an error.
    fn record_vocabulary_size(&mut self) -> Result<()> {
        let new = self.vocabulary_size();
        if self.mode != LookupMode::Int
            && !self.pad_to_max_tokens
            && let Some(old) = self.frozen_vocab_size
            && old != new
        {
            return Err(invalid(
                self.api,
                format!(
                    "with output_mode={:?} and pad_to_max_tokens=false the vocabulary \
                     size cannot change once set: it was {old}, the new one is {new}",
                    self.mode.name()
                ),
            ));
        }
        self.frozen_vocab_size = Some(new);
        Ok(())
    }

    fn set_tokens(&mut self, tokens: Vec<K>) {
        self.index = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i))
            .collect();
        self.tokens = tokens;
    }

    pub fn set_vocabulary(&mut self, vocabulary: &[K], idf_weights: Option<&[f32]>) -> Result<()> {
        let api = self.api;
        if self.mode == LookupMode::TfIdf {
            if idf_weights.is_none() {
                return Err(invalid(
                    api,
                    "idf_weights must be given when output_mode is \"tf_idf\"",
                ));
            }
        } else if idf_weights.is_some() {
            return Err(invalid(
                api,
                format!(
                    "idf_weights may only be given with output_mode=\"tf_idf\"; got output_mode={:?}",
                    self.mode.name()
                ),
            ));
        }
        if vocabulary.is_empty() {
            return Err(invalid(api, "cannot set an empty vocabulary"));
        }
        let oov_start = self.oov_start();
        let token_start = self.token_start();
        // oov_start is 1 only when there is a mask token.
        let special: Vec<&K> = self
            .mask
            .iter()
            .take(oov_start)
            .chain(std::iter::repeat_n(&self.oov, self.num_oov))
            .collect();
        // The special tokens may lead the list, in exactly Keras's order; they are dropped.
        let found_special =
            vocabulary.len() >= token_start && special.iter().zip(vocabulary).all(|(s, v)| *s == v);
        let tokens = if found_special {
            &vocabulary[token_start..]
        } else {
            vocabulary
        };
        let mut seen = HashSet::new();
        let mut repeated: Vec<&K> = Vec::new();
        for t in tokens {
            if !seen.insert(t) && !repeated.contains(&t) {
                repeated.push(t);
            }
        }
        if !repeated.is_empty() {
            return Err(invalid(
                api,
                format!("the vocabulary repeats some tokens (each must appear once): {repeated:?}"),
            ));
        }
        let order = "the special tokens may only lead the vocabulary, in this order";
        if let Some(m) = &self.mask
            && let Some(p) = vocabulary.iter().rposition(|t| t == m)
            && tokens.contains(m)
        {
            return Err(invalid(
                api,
                format!(
                    "the mask token {m:?} is at vocabulary index {p}; {order}: {special:?} \
                     (or leave them out)"
                ),
            ));
        }
        if self.invert && tokens.contains(&self.oov) {
            let p = vocabulary.iter().rposition(|t| *t == self.oov).unwrap_or(0);
            return Err(invalid(
                api,
                format!(
                    "the OOV token {:?} is at vocabulary index {p}; {order}: {special:?} (or \
                     leave them out)",
                    self.oov
                ),
            ));
        }
        let new_size = token_start + tokens.len();
        if let Some(m) = self.max_tokens
            && new_size > m
        {
            return Err(invalid(
                api,
                format!(
                    "the vocabulary ({new_size} entries with the special tokens) is larger \
                     than max_tokens={m}"
                ),
            ));
        }
        let weights = match idf_weights {
            Some(w) if self.mode == LookupMode::TfIdf => {
                if w.len() != vocabulary.len() {
                    return Err(invalid(
                        api,
                        format!(
                            "idf_weights must have one weight per vocabulary entry: got {} \
                             weights for {} entries",
                            w.len(),
                            vocabulary.len()
                        ),
                    ));
                }
                // Missing special-token weights are filled with the mean weight.
                let (front, front_value) = if found_special {
                    (0, 0.0)
                } else {
                    let mean = w.iter().map(|&x| x as f64).sum::<f64>() / w.len() as f64;
                    (token_start, mean as f32)
                };
                let mut out = vec![front_value; front];
                out.extend_from_slice(w);
                if let (true, Some(m)) = (self.pad_to_max_tokens, self.max_tokens) {
                    out.resize(m.max(out.len()), 0.0);
                }
                Some(out)
            }
            _ => None,
        };
        self.set_tokens(tokens.to_vec());
        self.record_vocabulary_size()?;
        if weights.is_some() {
            self.idf = weights;
        }
        Ok(())
    }

    pub fn set_vocabulary_file(&mut self, path: &Path) -> Result<()> {
        let api = self.api;
        if !path.exists() {
            return Err(invalid(
                api,
                format!("vocabulary file {} does not exist", path.display()),
            ));
        }
        if self.mode == LookupMode::TfIdf {
            return Err(invalid(
                api,
                "output_mode=\"tf_idf\" cannot load its vocabulary from a file",
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            invalid(
                api,
                format!("cannot read vocabulary file {}: {e}", path.display()),
            )
        })?;
        let mut lines: Vec<&str> = text.split('\n').collect();
        if lines.last() == Some(&"") {
            lines.pop();
        }
        let mut tokens = Vec::with_capacity(lines.len());
        let mut seen: HashMap<K, usize> = HashMap::new();
        for (n, line) in lines.iter().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                return Err(invalid(
                    api,
                    format!(
                        "vocabulary file {}: line {} is empty (every line must hold a token)",
                        path.display(),
                        n + 1
                    ),
                ));
            }
            let tok = K::parse_line(line).ok_or_else(|| {
                invalid(
                    api,
                    format!(
                        "vocabulary file {}: line {} ({line:?}) is not an integer",
                        path.display(),
                        n + 1
                    ),
                )
            })?;
            if let Some(first) = seen.insert(tok.clone(), n + 1) {
                return Err(invalid(
                    api,
                    format!(
                        "vocabulary file {}: token {tok:?} appears on line {first} and again on \
                         line {}",
                        path.display(),
                        n + 1
                    ),
                ));
            }
            tokens.push(tok);
        }
        self.set_tokens(tokens);
        self.record_vocabulary_size()
    }

    /// Learns the vocabulary from documents (each a list of tokens): descending
    /// frequency, ties by descending token (Keras's `lexsort((tokens, counts))[::-1]`),
    /// at most `max_tokens` entries with the special ones; idf weights in `tf_idf` mode.
    pub fn adapt(&mut self, docs: &[Vec<K>]) -> Result<()> {
        if self.has_input_vocabulary {
            return Err(invalid(
                self.api,
                "cannot adapt a layer built with a fixed vocabulary argument",
            ));
        }
        let mut counts: HashMap<&K, u64> = HashMap::new();
        let mut doc_counts: HashMap<&K, u64> = HashMap::new();
        for d in docs {
            let mut in_doc = HashSet::new();
            for t in d {
                *counts.entry(t).or_default() += 1;
                if in_doc.insert(t) {
                    *doc_counts.entry(t).or_default() += 1;
                }
            }
        }
        if counts.is_empty() {
            return self.record_vocabulary_size();
        }
        if let Some(m) = &self.mask {
            counts.remove(m);
        }
        counts.remove(&self.oov);
        let mut items: Vec<(&K, u64)> = counts.into_iter().collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(a.0)));
        if let Some(m) = self.max_tokens {
            // Python slicing: a negative bound drops that many from the end.
            let keep = m as i64 - self.token_start() as i64;
            let n = items.len() as i64;
            let keep = if keep >= 0 {
                keep.min(n)
            } else {
                (n + keep).max(0)
            };
            items.truncate(keep as usize);
        }
        let tokens: Vec<K> = items.iter().map(|(t, _)| (*t).clone()).collect();
        if self.mode == LookupMode::TfIdf {
            let n = docs.len() as f64;
            let w: Vec<f32> = tokens
                .iter()
                .map(|t| {
                    let df = doc_counts.get(t).copied().unwrap_or(0) as f64;
                    (1.0 + n / (1.0 + df)).ln() as f32
                })
                .collect();
            let mean = if w.is_empty() {
                f32::NAN
            } else {
                (w.iter().map(|&x| x as f64).sum::<f64>() / w.len() as f64) as f32
            };
            let mut out = vec![mean; self.token_start()];
            out.extend(w);
            if let (true, Some(m)) = (self.pad_to_max_tokens, self.max_tokens) {
                out.resize(m.max(out.len()), 0.0);
            }
            self.idf = Some(out);
        }
        self.set_tokens(tokens);
        self.record_vocabulary_size()
    }

    /// The index of one token (before the output encoding); `Err` for an OOV token
    /// when `num_oov_indices` is 0.
    pub fn lookup(&self, key: &K) -> Result<i64> {
        if let Some(m) = &self.mask
            && m == key
        {
            return Ok(if self.mode == LookupMode::Int {
                0
            } else {
                MASKED
            });
        }
        if let Some(&i) = self.index.get(key) {
            return Ok((self.token_start() + i) as i64);
        }
        let start = self.oov_start() as i64;
        match self.num_oov {
            0 => Err(invalid(
                self.api,
                format!(
                    "with num_oov_indices=0 every input must be in the vocabulary, but {key:?} \
                     is not; set num_oov_indices=1 to map unknown inputs to an OOV index"
                ),
            )),
            1 => Ok(start),
            n => {
                let bucket = match key.as_int() {
                    Some(v) if !self.farmhash_oov => v.rem_euclid(n as i64) as u64,
                    _ => {
                        let text = key.hash_text();
                        let h = match self.salt {
                            Some([a, b]) => siphash24([a as u64, b as u64], &text),
                            None => fingerprint64(&text),
                        };
                        h % n as u64
                    }
                };
                Ok(start + bucket as i64)
            }
        }
    }

    /// The token at an index (invert mode): the mask token at 0 when there is one, the
    /// OOV token for OOV slots and indices outside the vocabulary.
    pub fn token_at(&self, idx: i64) -> K {
        if idx == 0
            && let Some(m) = &self.mask
        {
            return m.clone();
        }
        let start = self.token_start() as i64;
        if idx >= start && idx - start < self.tokens.len() as i64 {
            return self.tokens[(idx - start) as usize].clone();
        }
        self.oov.clone()
    }

    /// Errors unless the layer can encode (a vocabulary exists when the width needs one).
    fn depth(&self) -> Result<usize> {
        if self.pad_to_max_tokens
            && let Some(m) = self.max_tokens
        {
            return Ok(m);
        }
        self.frozen_vocab_size.ok_or_else(|| {
            invalid(
                self.api,
                format!(
                    "output_mode={:?} with pad_to_max_tokens=false needs a vocabulary before \
                     the layer is called: pass vocabulary or call adapt",
                    self.mode.name()
                ),
            )
        })
    }

    pub fn check_callable(&self) -> Result<()> {
        if self.mode != LookupMode::Int {
            self.depth()?;
        }
        Ok(())
    }

    /// Encodes looked-up ids of logical shape `shape` (rank 0, 1 or 2; or `None` for
    /// ragged rows) as Keras's `encode_categorical_inputs` does for this layer.
    pub fn encode(&self, ids: &[i64], shape: &[usize], rows: Option<&[usize]>) -> Result<Tensor> {
        if self.mode == LookupMode::Int {
            return Ok(Tensor::from_vec(ids.to_vec(), shape)?);
        }
        let depth = self.depth()?;
        let api = self.api;
        let in_range = |v: i64| v >= 0 && (v as usize) < depth;
        let (out, out_shape): (Vec<f64>, Vec<usize>) = if self.mode == LookupMode::OneHot {
            if rows.is_some() {
                return Err(invalid(
                    api,
                    "output_mode=\"one_hot\" needs rectangular input; the rows have different \
                     lengths",
                ));
            }
            let mut s: Vec<usize> = if shape.is_empty() {
                vec![1]
            } else {
                shape.to_vec()
            };
            if s.len() > 1 && s[s.len() - 1] == 1 {
                s.pop();
            }
            let mut out = vec![0.0; ids.len() * depth];
            for (i, &v) in ids.iter().enumerate() {
                if in_range(v) {
                    out[i * depth + v as usize] = 1.0;
                }
            }
            s.push(depth);
            (out, s)
        } else {
            // Row lengths: the whole input is one sample at rank <= 1.
            let lens: Vec<usize> = match (rows, shape.len()) {
                (Some(r), _) => r.to_vec(),
                (None, 0) | (None, 1) => vec![ids.len()],
                (None, 2) => vec![shape[1]; shape[0]],
                (None, _) => {
                    return Err(invalid(
                        api,
                        format!(
                            "output_mode={:?} supports inputs of rank <= 2; got shape {shape:?}",
                            self.mode.name()
                        ),
                    ))
                }
            };
            let mut out = vec![0.0; lens.len() * depth];
            let mut k = 0;
            for (r, &len) in lens.iter().enumerate() {
                for &v in &ids[k..k + len] {
                    if in_range(v) {
                        let c = &mut out[r * depth + v as usize];
                        *c = if self.mode == LookupMode::MultiHot {
                            1.0
                        } else {
                            *c + 1.0
                        };
                    }
                }
                k += len;
            }
            let s = if rows.is_none() && shape.len() <= 1 {
                vec![depth]
            } else {
                vec![lens.len(), depth]
            };
            (out, s)
        };
        if self.mode == LookupMode::TfIdf {
            let idf = self.idf.as_deref().ok_or_else(|| {
                invalid(
                    api,
                    "output_mode=\"tf_idf\" needs idf weights: call adapt or set_vocabulary \
                     with idf_weights",
                )
            })?;
            if idf.len() != depth {
                return Err(invalid(
                    api,
                    format!(
                        "the idf weights ({}) do not match the output width {depth}",
                        idf.len()
                    ),
                ));
            }
            let v: Vec<f32> = out
                .iter()
                .enumerate()
                .map(|(i, &c)| c as f32 * idf[i % depth])
                .collect();
            return Ok(Tensor::from_vec(v, &out_shape)?);
        }
        let v: Vec<i64> = out.iter().map(|&c| c as i64).collect();
        Ok(Tensor::from_vec(v, &out_shape)?)
    }
}
