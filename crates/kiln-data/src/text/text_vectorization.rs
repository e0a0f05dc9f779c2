//! `TextVectorization`: standardize, split, n-grams, a frequency-ordered vocabulary
//! learned by `adapt`, and integer / multi-hot / count / tf-idf outputs, as Keras 3 (TF
//! backend) computes them.

use std::collections::HashMap;
use std::sync::Arc;

use kiln_tensor::Tensor;

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
    vocab: Vec<String>,
    index: HashMap<String, usize>,
    idf: Vec<f32>,
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
            vocab: Vec::new(),
            index: HashMap::new(),
            idf: Vec::new(),
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
        self
    }
    /// The output mode (default [`OutputMode::Int`]).
    pub fn output_mode(mut self, m: OutputMode) -> Self {
        self.output_mode = m;
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

    /// Index of the first learned token: 2 in `int` mode (padding "" and "[UNK]"), else 1.
    fn token_start(&self) -> usize {
        if self.output_mode == OutputMode::Int {
            2
        } else {
            1
        }
    }

    /// Learns the vocabulary: tokens by descending frequency, ties by descending token
    /// (Keras sorts `(count, token)` ascending and reverses), capped at `max_tokens`.
    pub fn adapt<S: AsRef<str>>(&mut self, texts: &[S]) -> Result<()> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut docs: HashMap<String, usize> = HashMap::new();
        for t in texts {
            let toks = self.tokenize(t.as_ref());
            let mut seen = std::collections::HashSet::new();
            for tok in toks {
                // The OOV token, and the padding token "" in int mode, are never learned.
                if tok == "[UNK]" || (tok.is_empty() && self.output_mode == OutputMode::Int) {
                    continue;
                }
                *counts.entry(tok.clone()).or_default() += 1;
                if seen.insert(tok.clone()) {
                    *docs.entry(tok).or_default() += 1;
                }
            }
        }
        let mut items: Vec<(String, usize)> = counts.into_iter().collect();
        items.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| b.0.as_bytes().cmp(a.0.as_bytes()))
        });
        let start = self.token_start();
        if let Some(m) = self.max_tokens {
            if m < start {
                return Err(invalid(format!(
                    "max_tokens must be at least {start}, got {m}"
                )));
            }
            items.truncate(m - start);
        }
        let learned: Vec<String> = items.into_iter().map(|(t, _)| t).collect();
        if self.output_mode == OutputMode::TfIdf {
            let n = texts.len() as f64;
            let w: Vec<f32> = learned
                .iter()
                .map(|t| (1.0 + n / (1.0 + *docs.get(t).unwrap_or(&0) as f64)).ln() as f32)
                .collect();
            let mean = if w.is_empty() {
                0.0
            } else {
                w.iter().sum::<f32>() / w.len() as f32
            };
            self.idf = std::iter::once(mean).chain(w).collect();
        }
        self.set_learned(learned);
        Ok(())
    }

    fn set_learned(&mut self, learned: Vec<String>) {
        let mut vocab = Vec::with_capacity(learned.len() + 2);
        if self.output_mode == OutputMode::Int {
            vocab.push(String::new());
        }
        vocab.push("[UNK]".to_string());
        vocab.extend(learned);
        self.index = vocab
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i))
            .collect();
        self.vocab = vocab;
    }

    /// Sets the vocabulary (without the padding and OOV tokens, which are added) instead
    /// of `adapt`; `tf_idf` also needs weights, so it is an error there.
    pub fn set_vocabulary<S: AsRef<str>>(&mut self, vocab: &[S]) -> Result<()> {
        if self.output_mode == OutputMode::TfIdf {
            return Err(invalid(
                "set_vocabulary without idf weights is not supported for tf_idf; use adapt".into(),
            ));
        }
        let learned: Vec<String> = vocab.iter().map(|s| s.as_ref().to_string()).collect();
        let mut seen = std::collections::HashSet::new();
        if let Some(d) = learned.iter().find(|t| !seen.insert(t.as_str())) {
            return Err(invalid(format!(
                "the vocabulary contains {d:?} more than once"
            )));
        }
        self.set_learned(learned);
        Ok(())
    }

    /// The vocabulary, index order (padding "" and "[UNK]" first in `int` mode).
    pub fn get_vocabulary(&self) -> Vec<String> {
        self.vocab.clone()
    }

    /// Vectorizes a batch of strings.
    pub fn call<S: AsRef<str>>(&self, texts: &[S]) -> Result<Tensor> {
        if self.vocab.is_empty() {
            return Err(invalid(
                "the layer has no vocabulary: call adapt or set_vocabulary first".into(),
            ));
        }
        let oov = if self.output_mode == OutputMode::Int {
            1
        } else {
            0
        };
        let ids: Vec<Vec<usize>> = texts
            .iter()
            .map(|t| {
                self.tokenize(t.as_ref())
                    .iter()
                    .map(|tok| *self.index.get(tok).unwrap_or(&oov))
                    .collect()
            })
            .collect();
        let n = texts.len();
        match self.output_mode {
            OutputMode::Int => {
                let len = self
                    .output_sequence_length
                    .unwrap_or_else(|| ids.iter().map(Vec::len).max().unwrap_or(0));
                let mut out = vec![0i64; n * len];
                for (i, row) in ids.iter().enumerate() {
                    for (j, &id) in row.iter().take(len).enumerate() {
                        out[i * len + j] = id as i64;
                    }
                }
                Ok(Tensor::from_vec(out, &[n, len])?)
            }
            mode => {
                let width = match (self.pad_to_max_tokens, self.max_tokens) {
                    (true, Some(m)) => m.max(self.vocab.len()),
                    _ => self.vocab.len(),
                };
                let mut out = vec![0f32; n * width];
                for (i, row) in ids.iter().enumerate() {
                    for &id in row {
                        let cell = &mut out[i * width + id];
                        *cell = if mode == OutputMode::MultiHot {
                            1.0
                        } else {
                            *cell + 1.0
                        };
                    }
                }
                if mode == OutputMode::TfIdf {
                    for (k, v) in out.iter_mut().enumerate() {
                        *v *= self.idf.get(k % width).copied().unwrap_or(0.0);
                    }
                }
                Ok(Tensor::from_vec(out, &[n, width])?)
            }
        }
    }
}
