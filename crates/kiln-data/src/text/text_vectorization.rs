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

/// `keras.layers.TextVectorization` over `&str` batches.
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

    /// Vectorizes a batch of strings.
    pub fn call<S: AsRef<str>>(&self, texts: &[S]) -> Result<Tensor> {
        let table = self
            .lookup
            .as_ref()
            .filter(|l| l.vocabulary_size() > l.token_start());
        let table = table.ok_or_else(|| {
            invalid("the layer has no vocabulary: call adapt or set_vocabulary first".into())
        })?;
        let ids: Vec<Vec<i64>> = texts
            .iter()
            .map(|t| {
                self.tokenize(t.as_ref())
                    .iter()
                    .map(|tok| table.lookup(tok))
                    .collect::<Result<Vec<i64>>>()
            })
            .collect::<Result<_>>()?;
        let n = texts.len();
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
            return Ok(Tensor::from_vec(out, &[n, len])?);
        }
        // One output row per text, whatever the token counts.
        let lens: Vec<usize> = ids.iter().map(Vec::len).collect();
        let flat: Vec<i64> = ids.concat();
        Ok(table.encode(&flat, &[], Some(&lens))?.cast(DType::F32)?)
    }
}
