//! `TextVectorization`: standardize, split, n-grams, a frequency-ordered vocabulary
//! learned by `adapt`, and integer / multi-hot / count / tf-idf outputs, as Keras 3 (TF
//! backend) computes them.

use std::sync::Arc;

use kiln_tensor::{DType, Tensor};

use super::index_lookup::{IndexLookup, LookupArgs, LookupMode};
use crate::{DataError, Result};

/// How text is standardized before splitting.
#[derive(Clone)]
pub enum Standardize {
    /// ASCII lowercase, then strip ASCII punctuation (Keras's default).
    LowerAndStripPunctuation,
    /// ASCII lowercase only.
    Lower,
    /// Strip ASCII punctuation only.
    StripPunctuation,
    /// Leave the text as it is.
    None,
    /// A custom function.
    Custom(Arc<dyn Fn(&str) -> String + Send + Sync>),
}

/// A custom tokenizer: standardized text to tokens.
pub type SplitFn = Arc<dyn Fn(&str) -> Vec<String> + Send + Sync>;

/// How standardized text is split into tokens.
#[derive(Clone)]
pub enum Split {
    /// Runs of whitespace separate tokens (leading/trailing whitespace ignored).
    Whitespace,
    /// Each Unicode character is a token.
    Character,
    /// The whole string is one token.
    None,
    /// A custom function.
    Custom(SplitFn),
}

/// What `call` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputMode {
    /// Token indices `(batch, length)` (i64), 0 = padding, 1 = out of vocabulary.
    Int,
    /// `(batch, vocab)` 0/1 presence (f32), column 0 = out of vocabulary.
    MultiHot,
    /// `(batch, vocab)` token counts (f32).
    Count,
    /// `(batch, vocab)` counts times inverse document frequency (f32).
    TfIdf,
}

/// Keras's punctuation set `[!"#$%&()*+,-./:;<=>?@[\]^_`{|}~']`.
fn is_punct(c: char) -> bool {
    "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'".contains(c)
}

/// `keras.layers.TextVectorization` over `&str` batches or string tensors.
///
/// [`TextVectorization::call_tensor`] takes a [`DType::String`] tensor of rank 0 (one
/// text), 1 (`[batch]`) or 2 (`[batch, 1]`), as Keras's layer does, so it works inside
/// [`crate::dataset::Dataset::map`]; [`TextVectorization::adapt_tensor`] and
/// [`TextVectorization::adapt_dataset`] learn from string tensors and datasets of them.
///
/// ```
/// use kiln_data::dataset::Dataset;
/// use kiln_data::text::TextVectorization;
/// use kiln_tensor::Tensor;
/// let texts = Tensor::from_strings(vec!["the cat sat", "the dog", "a cat"], &[3])?;
/// let mut tv = TextVectorization::new().output_sequence_length(4);
/// tv.adapt_dataset(&Dataset::from_tensor_slices(texts.clone())?.batch(2)?)?;
/// let ids = tv.call_tensor(&texts)?;
/// assert_eq!(ids.shape(), &[3, 4]);
/// // Per element inside a pipeline: a rank-0 string gives one row of ids.
/// let ds = Dataset::from_tensor_slices(texts)?.map(move |e| Ok(tv.call_tensor(e.as_tensor()?)?.into()));
/// assert_eq!(ds.collect()?[0].as_tensor()?.shape(), &[4]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
///
/// ```
/// use kiln_data::text::TextVectorization;
/// let texts = ["Hello, how are you?", "I am fine, thank you.", "How about you?", "I am good too."];
/// let mut tv = TextVectorization::new().max_tokens(100).output_sequence_length(10);
/// tv.adapt(&texts)?;
/// assert_eq!(&tv.get_vocabulary()[..4], &["", "[UNK]", "you", "i"]);
/// let ids = tv.call(&texts)?;
/// assert_eq!(ids.shape(), &[4, 10]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone)]
pub struct TextVectorization {
    standardize: Standardize,
    split: Split,
    ngrams: Option<Vec<usize>>,
    max_tokens: Option<usize>,
    output_mode: OutputMode,
    output_sequence_length: Option<usize>,
    pad_to_max_tokens: bool,
    /// The vocabulary table, shared with `StringLookup` (Keras builds TextVectorization
    /// on a StringLookup too); created by `adapt` / `set_vocabulary`.
    lookup: Option<IndexLookup<String>>,
}

impl Default for TextVectorization {
    fn default() -> Self {
        Self::new()
    }
}

fn invalid(msg: String) -> DataError {
    DataError::Invalid {
        api: "TextVectorization",
        msg,
    }
}

impl TextVectorization {
    /// Keras's defaults: lower_and_strip_punctuation, whitespace split, no n-grams, no
    /// vocabulary limit, `int` output padded to the longest sequence.
    pub fn new() -> TextVectorization {
        TextVectorization {
            standardize: Standardize::LowerAndStripPunctuation,
            split: Split::Whitespace,
            ngrams: None,
            max_tokens: None,
            output_mode: OutputMode::Int,
            output_sequence_length: None,
            pad_to_max_tokens: false,
            lookup: None,
        }
    }
    /// The standardization.
    pub fn standardize(mut self, s: Standardize) -> Self {
        self.standardize = s;
        self
    }
    /// The split.
    pub fn split(mut self, s: Split) -> Self {
        self.split = s;
        self
    }
    /// n-grams of every width `1..=n` (Keras's `ngrams=n`).
    pub fn ngrams(mut self, n: usize) -> Self {
        self.ngrams = Some((1..=n).collect());
        self
    }
    /// n-grams of exactly the given widths (Keras's `ngrams=(2, 3)`).
    pub fn ngram_widths(mut self, widths: &[usize]) -> Self {
        self.ngrams = Some(widths.to_vec());
        self
    }
    /// The vocabulary size including the padding and OOV tokens.
    pub fn max_tokens(mut self, n: usize) -> Self {
        self.max_tokens = Some(n);
        self.lookup = None;
        self
    }
    /// The output mode (default [`OutputMode::Int`]).
    pub fn output_mode(mut self, m: OutputMode) -> Self {
        self.output_mode = m;
        self.lookup = None;
        self
    }
    /// Pad/truncate `int` outputs to this length.
    pub fn output_sequence_length(mut self, n: usize) -> Self {
        self.output_sequence_length = Some(n);
        self
    }
    /// Make non-int outputs `max_tokens` wide even for a smaller vocabulary.
    pub fn pad_to_max_tokens(mut self, p: bool) -> Self {
        self.pad_to_max_tokens = p;
        self.lookup = None;
        self
    }

    /// The output mode set with [`TextVectorization::output_mode`].
    pub fn mode(&self) -> OutputMode {
        self.output_mode
    }

    /// The `output_sequence_length`, if set.
    pub fn sequence_length(&self) -> Option<usize> {
        self.output_sequence_length
    }

    /// The number of indices (vocabulary plus padding and OOV), 0 before `adapt`.
    ///
    /// ```
    /// let mut tv = kiln_data::text::TextVectorization::new();
    /// tv.set_vocabulary(&["a", "b"])?;
    /// assert_eq!(tv.vocabulary_size(), 4);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn vocabulary_size(&self) -> usize {
        self.lookup
            .as_ref()
            .map(|l| l.vocabulary_size())
            .unwrap_or(0)
    }

    /// Tokens of one string after standardize, split and n-grams.
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        let std: String = match &self.standardize {
            Standardize::LowerAndStripPunctuation => text
                .to_ascii_lowercase()
                .chars()
                .filter(|c| !is_punct(*c))
                .collect(),
            Standardize::Lower => text.to_ascii_lowercase(),
            Standardize::StripPunctuation => text.chars().filter(|c| !is_punct(*c)).collect(),
            Standardize::None => text.to_string(),
            Standardize::Custom(f) => f(text),
        };
        let toks: Vec<String> = match &self.split {
            Split::Whitespace => std.split_ascii_whitespace().map(str::to_string).collect(),
            Split::Character => std.chars().map(|c| c.to_string()).collect(),
            Split::None => vec![std],
            Split::Custom(f) => f(&std),
        };
        match &self.ngrams {
            None => toks,
            Some(widths) => {
                let mut out = Vec::new();
                for &w in widths {
                    if w == 0 || w > toks.len() {
                        continue;
                    }
                    for i in 0..=toks.len() - w {
                        out.push(toks[i..i + w].join(" "));
                    }
                }
                out
            }
        }
    }

    /// The lookup table, made on first use from the current settings: in `int` mode
    /// the padding token "" is its mask token (index 0), then one "[UNK]" OOV index.
    fn table(&mut self) -> Result<&mut IndexLookup<String>> {
        if self.lookup.is_none() {
            let int = self.output_mode == OutputMode::Int;
            self.lookup = Some(IndexLookup::new(LookupArgs {
                api: "TextVectorization",
                max_tokens: self.max_tokens,
                num_oov_indices: 1,
                mask_token: int.then(String::new),
                oov_token: "[UNK]".into(),
                vocabulary: None,
                idf_weights: None,
                invert: false,
                output_mode: self.lookup_mode().name().into(),
                sparse: false,
                pad_to_max_tokens: self.pad_to_max_tokens,
                farmhash_oov: true,
                salt: None,
            })?);
        }
        self.lookup
            .as_mut()
            .ok_or_else(|| invalid("no lookup table".into()))
    }

    fn lookup_mode(&self) -> LookupMode {
        match self.output_mode {
            OutputMode::Int => LookupMode::Int,
            OutputMode::MultiHot => LookupMode::MultiHot,
            OutputMode::Count => LookupMode::Count,
            OutputMode::TfIdf => LookupMode::TfIdf,
        }
    }

    /// Learns the vocabulary: tokens by descending frequency, ties by descending token
    /// (Keras sorts `(count, token)` ascending and reverses), capped at `max_tokens`;
    /// each text is one document for the tf-idf weights.
    pub fn adapt<S: AsRef<str>>(&mut self, texts: &[S]) -> Result<()> {
        let docs: Vec<Vec<String>> = texts.iter().map(|t| self.tokenize(t.as_ref())).collect();
        self.table()?.adapt(&docs)
    }

    /// Sets the vocabulary instead of `adapt` (the padding and OOV tokens are added, or
    /// may lead the list in Keras's order); `tf_idf` also needs weights, so it is an
    /// error there.
    pub fn set_vocabulary<S: AsRef<str>>(&mut self, vocab: &[S]) -> Result<()> {
        if self.output_mode == OutputMode::TfIdf {
            return Err(invalid(
                "set_vocabulary without idf weights is not supported for tf_idf; use adapt".into(),
            ));
        }
        let v: Vec<String> = vocab.iter().map(|s| s.as_ref().to_string()).collect();
        self.table()?.set_vocabulary(&v, None)
    }

    /// The vocabulary, index order (padding "" and "[UNK]" first in `int` mode).
    pub fn get_vocabulary(&self) -> Vec<String> {
        self.lookup
            .as_ref()
            .map(|l| l.get_vocabulary(true))
            .unwrap_or_default()
    }

    /// Learns the vocabulary from a string tensor of rank 0, 1 (`[batch]`) or 2
    /// (`[batch, 1]`): every string is one document, as Keras's `adapt(tensor)`.
    ///
    /// ```
    /// use kiln_data::text::TextVectorization;
    /// use kiln_tensor::Tensor;
    /// let mut tv = TextVectorization::new();
    /// tv.adapt_tensor(&Tensor::from_strings(vec!["b a b", "b"], &[2, 1])?)?;
    /// assert_eq!(tv.get_vocabulary(), vec!["", "[UNK]", "b", "a"]);
    /// assert!(tv.adapt_tensor(&Tensor::scalar(1.0f32)).is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn adapt_tensor(&mut self, data: &Tensor) -> Result<()> {
        let texts = self.texts_of(data, "adapt")?;
        self.adapt(&texts.0)
    }

    /// Learns the vocabulary from every string of every element of `ds` (a dataset of
    /// string tensors, batched or not), as Keras's `adapt(dataset)`. Elements that are
    /// tuples are an `Err` (map them to the text first, as Keras requires).
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// use kiln_data::text::TextVectorization;
    /// use kiln_tensor::Tensor;
    /// let ds = Dataset::from_tensor_slices(Tensor::from_strings(vec!["x y", "y"], &[2])?)?;
    /// let mut tv = TextVectorization::new();
    /// tv.adapt_dataset(&ds)?;
    /// assert_eq!(tv.get_vocabulary(), vec!["", "[UNK]", "y", "x"]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn adapt_dataset(&mut self, ds: &crate::dataset::Dataset) -> Result<()> {
        let mut texts: Vec<String> = Vec::new();
        for e in ds.iter() {
            let e = e?;
            let t = e.as_tensor().map_err(|_| {
                invalid(format!(
                    "adapt expects a dataset of string tensors, got elements {}; map them to the text first",
                    e.structure()
                ))
            })?;
            texts.extend(self.texts_of(t, "adapt")?.0);
        }
        self.adapt(&texts)
    }

    /// The strings of a rank 0/1/2 input and whether it was rank 0, checking the dtype
    /// and shape as Keras does.
    fn texts_of(&self, x: &Tensor, what: &str) -> Result<(Vec<String>, bool)> {
        if x.dtype() != DType::String {
            return Err(invalid(format!(
                "{what} expects a string tensor (dtype string), received a {} tensor of shape {:?}",
                x.dtype().name(),
                x.shape()
            )));
        }
        match x.shape() {
            [] => Ok((x.to_strings()?, true)),
            [_] => Ok((x.to_strings()?, false)),
            [_, 1] => Ok((x.to_strings()?, false)),
            shape if matches!(self.split, Split::None) && shape.len() == 2 => {
                Ok((x.to_strings()?, false))
            }
            shape => Err(invalid(format!(
                "When using `TextVectorization` to tokenize strings, the input rank must be 1 or the last shape dimension must be 1. Received: inputs.shape={shape:?} with rank={}",
                shape.len()
            ))),
        }
    }

    /// Vectorizes a string tensor as Keras's `layer(tensor)`: rank 0 (one text) gives
    /// `[sequence_length]` ids (`int`) or `[vocab]` (other modes); rank 1 `[batch]` and
    /// rank 2 `[batch, 1]` give `[batch, sequence_length]` or `[batch, vocab]`. Another
    /// dtype or shape is an `Err` saying what was expected and received.
    ///
    /// ```
    /// use kiln_data::text::{OutputMode, TextVectorization};
    /// use kiln_tensor::Tensor;
    /// let mut tv = TextVectorization::new().output_mode(OutputMode::MultiHot);
    /// tv.set_vocabulary(&["cat", "dog"])?;
    /// let y = tv.call_tensor(&Tensor::scalar_str("Dog, dog! Bird."))?;
    /// assert_eq!(y.to_vec::<f32>()?, vec![1.0, 0.0, 1.0]);
    /// let e = tv.call_tensor(&Tensor::zeros(&[2], kiln_tensor::DType::F32)).unwrap_err();
    /// assert!(e.to_string().contains("expects a string tensor"));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_tensor(&self, x: &Tensor) -> Result<Tensor> {
        let (texts, scalar) = self.texts_of(x, "call")?;
        if matches!(self.split, Split::None) && x.rank() == 2 && x.shape()[1] != 1 {
            // No split: every element is one token, the shape is kept.
            let (n, k) = (x.shape()[0], x.shape()[1]);
            let rows: Vec<Vec<i64>> = texts
                .chunks(k.max(1))
                .map(|r| self.ids(r))
                .collect::<Result<Vec<Vec<Vec<i64>>>>>()?
                .into_iter()
                .map(|r| r.concat())
                .collect();
            return self.finish(rows, n, false);
        }
        let ids = self.ids(&texts)?;
        self.finish(ids, texts.len(), scalar)
    }

    /// Token ids of each text.
    fn ids<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<i64>>> {
        let table = self.vocab_table()?;
        texts
            .iter()
            .map(|t| {
                self.tokenize(t.as_ref())
                    .iter()
                    .map(|tok| table.lookup(tok))
                    .collect::<Result<Vec<i64>>>()
            })
            .collect()
    }

    fn vocab_table(&self) -> Result<&IndexLookup<String>> {
        self.lookup
            .as_ref()
            .filter(|l| l.vocabulary_size() > l.token_start())
            .ok_or_else(|| {
                invalid("the layer has no vocabulary: call adapt or set_vocabulary first".into())
            })
    }

    /// Pads/encodes per-text ids: `[n, len]` / `[n, vocab]`, or without the batch axis
    /// for a rank-0 input.
    fn finish(&self, ids: Vec<Vec<i64>>, n: usize, scalar: bool) -> Result<Tensor> {
        let table = self.vocab_table()?;
        if self.output_mode == OutputMode::Int {
            let len = self
                .output_sequence_length
                .unwrap_or_else(|| ids.iter().map(Vec::len).max().unwrap_or(0));
            let mut out = vec![0i64; n * len];
            for (i, row) in ids.iter().enumerate() {
                for (j, &id) in row.iter().take(len).enumerate() {
                    out[i * len + j] = id;
                }
            }
            let shape: Vec<usize> = if scalar { vec![len] } else { vec![n, len] };
            return Ok(Tensor::from_vec(out, &shape)?);
        }
        let lens: Vec<usize> = ids.iter().map(Vec::len).collect();
        let flat: Vec<i64> = ids.concat();
        let y = if scalar {
            table.encode(&flat, &[flat.len()], None)?
        } else {
            // One output row per text, whatever the token counts.
            table.encode(&flat, &[], Some(&lens))?
        };
        Ok(y.cast(DType::F32)?)
    }

    /// Vectorizes a batch of strings (a rank-1 batch: `[batch, sequence_length]` or
    /// `[batch, vocab]`).
    pub fn call<S: AsRef<str>>(&self, texts: &[S]) -> Result<Tensor> {
        let ids = self.ids(texts)?;
        self.finish(ids, texts.len(), false)
    }
}
