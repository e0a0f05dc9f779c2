//! `TextVectorization` and `StringLookup` as kiln layers on string tensors (dtype
//! `string`), over `kiln_data::text` (which holds the vocabulary and tokenizing logic), so
//! a functional model can start from raw text as Keras's end-to-end text models do:
//! `Input(shape=(1,), dtype="string") -> TextVectorization -> Embedding -> ...`.
//!
//! Saving: these layers hold a learned vocabulary that kiln's `.keras` writer does not
//! store yet; saving a model that holds one is an `Err` naming the layer (adapt again, or
//! `set_vocabulary`, after rebuilding the model).

use kiln_data::dataset::Dataset;
use kiln_data::text::{
    LookupMode, OutputMode, Split, Standardize, StringLookup as LookupCore, StringLookupOptions,
    TextVectorization as TvCore,
};
use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::Result;

/// `keras.layers.TextVectorization` as a layer: a string tensor `[batch]` or
/// `[batch, 1]` (or one string, rank 0) to token ids (`int`, i64, padded / truncated to
/// `output_sequence_length`) or `[batch, vocab]` multi-hot / count / tf-idf rows (f32),
/// exactly as Keras 3 computes them. `adapt` learns the vocabulary from a string tensor
/// or a [`Dataset`] of string tensors. A non-string input is an `Err` saying what was
/// expected and received. Saving a model holding this layer is an `Err` for now (see the
/// module docs).
///
/// ```
/// use kiln::layers::{Dense, Embedding, GlobalAveragePooling1D, Input, LayerApply, TextVectorization};
/// use kiln::models::Model;
/// use kiln_tensor::{DType, Tensor};
/// let texts = Tensor::from_strings(vec!["a good film", "a bad film", "good", "bad"], &[4, 1])?;
/// let mut tv = TextVectorization::new().max_tokens(10).output_sequence_length(4);
/// tv.adapt(&texts)?;
/// let inp = Input::new(&[Some(1)]).dtype(DType::String).build();
/// let x = tv.apply(&inp)?;
/// assert_eq!((x.shape(), x.dtype()), (&[None, Some(4)][..], DType::I64));
/// let x = Embedding::new(10, 3).apply(&x)?;
/// let x = GlobalAveragePooling1D::new().apply(&x)?;
/// let out = Dense::new(1).apply(&x)?;
/// let mut model = Model::new(&[inp], &[out])?;
/// assert_eq!(model.predict(&texts, kiln::models::PredictArgs::new().verbose(0))?.shape(), &[4, 1]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct TextVectorization {
    base: LayerBase,
    core: TvCore,
}

impl Default for TextVectorization {
    fn default() -> Self {
        Self::new()
    }
}

impl TextVectorization {
    /// Keras's defaults: `lower_and_strip_punctuation`, whitespace split, `int` output.
    pub fn new() -> TextVectorization {
        TextVectorization {
            base: LayerBase::new("text_vectorization"),
            core: TvCore::new(),
        }
    }
    /// The vocabulary size cap, padding and OOV included (`max_tokens`).
    pub fn max_tokens(mut self, n: usize) -> Self {
        self.core = self.core.max_tokens(n);
        self
    }
    /// `OutputMode::Int` (default), `MultiHot`, `Count` or `TfIdf`.
    pub fn output_mode(mut self, m: OutputMode) -> Self {
        self.core = self.core.output_mode(m);
        self
    }
    /// Pads / truncates `int` outputs to `n` tokens.
    pub fn output_sequence_length(mut self, n: usize) -> Self {
        self.core = self.core.output_sequence_length(n);
        self
    }
    /// The standardization (default lower case and strip punctuation).
    pub fn standardize(mut self, s: Standardize) -> Self {
        self.core = self.core.standardize(s);
        self
    }
    /// The split (default whitespace).
    pub fn split(mut self, s: Split) -> Self {
        self.core = self.core.split(s);
        self
    }
    /// n-grams of widths `1..=n`.
    pub fn ngrams(mut self, n: usize) -> Self {
        self.core = self.core.ngrams(n);
        self
    }
    /// Non-int outputs `max_tokens` wide whatever the vocabulary size.
    pub fn pad_to_max_tokens(mut self, p: bool) -> Self {
        self.core = self.core.pad_to_max_tokens(p);
        self
    }
    /// Learns the vocabulary from a string tensor (rank 0, 1 or `[n, 1]`).
    ///
    /// ```
    /// use kiln::layers::TextVectorization;
    /// let mut tv = TextVectorization::new();
    /// tv.adapt(&kiln_tensor::Tensor::from_strings(vec!["b a b"], &[1])?)?;
    /// assert_eq!(tv.get_vocabulary(), vec!["", "[UNK]", "b", "a"]);
    /// assert!(tv.adapt(&kiln_tensor::Tensor::scalar(1.0f32)).is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn adapt(&mut self, data: &Tensor) -> Result<()> {
        Ok(self.core.adapt_tensor(data)?)
    }
    /// Learns the vocabulary from a dataset of string tensors (Keras's `adapt(ds)`).
    ///
    /// ```
    /// use kiln::layers::TextVectorization;
    /// use kiln_data::dataset::Dataset;
    /// let mut tv = TextVectorization::new();
    /// tv.adapt_dataset(&Dataset::from_strings(vec!["x y", "y"])?.batch(2)?)?;
    /// assert_eq!(tv.vocabulary_size(), 4);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn adapt_dataset(&mut self, ds: &Dataset) -> Result<()> {
        Ok(self.core.adapt_dataset(ds)?)
    }
    /// Sets the vocabulary instead of `adapt`.
    pub fn set_vocabulary<S: AsRef<str>>(&mut self, vocab: &[S]) -> Result<()> {
        Ok(self.core.set_vocabulary(vocab)?)
    }
    /// The vocabulary in index order (padding and OOV first in `int` mode).
    pub fn get_vocabulary(&self) -> Vec<String> {
        self.core.get_vocabulary()
    }
    /// The number of indices (0 before `adapt`).
    pub fn vocabulary_size(&self) -> usize {
        self.core.vocabulary_size()
    }
    /// The `kiln_data` layer underneath (for use in a `Dataset::map`).
    pub fn core(&self) -> &TvCore {
        &self.core
    }
}

common_builders!(TextVectorization);
layer_state!(TextVectorization, "TextVectorization");

impl Layer for TextVectorization {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(vec![self
            .core
            .call_tensor(one_input(inputs, "TextVectorization")?)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        let batch = s.first().copied().flatten();
        let width = if self.core.mode() == OutputMode::Int {
            self.core.sequence_length()
        } else {
            Some(self.core.vocabulary_size()).filter(|&n| n > 0)
        };
        Some(Ok(vec![match s.len() {
            0 => vec![width],
            _ => vec![batch, width],
        }]))
    }
    fn compute_output_dtype(&self, input_dtypes: &[DType]) -> Option<Vec<DType>> {
        // Only strings go in; anything else is left to `call` to reject.
        (input_dtypes.first() == Some(&DType::String)).then(|| {
            vec![if self.core.mode() == OutputMode::Int {
                DType::I64
            } else {
                DType::F32
            }]
        })
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        let mode = match self.core.mode() {
            OutputMode::Int => "int",
            OutputMode::MultiHot => "multi_hot",
            OutputMode::Count => "count",
            OutputMode::TfIdf => "tf_idf",
        };
        c.insert("output_mode".into(), json!(mode));
        c.insert(
            "output_sequence_length".into(),
            json!(self.core.sequence_length()),
        );
        c.insert("vocabulary_size".into(), json!(self.core.vocabulary_size()));
        c.insert("dtype".into(), json!("string"));
        Value::Object(c)
    }
}

/// `keras.layers.StringLookup` as a layer: strings to vocabulary indices in Keras's
/// output modes (i64; f32 for `tf_idf`), or with `invert=true` integer indices back to a
/// string tensor. Options as in [`StringLookupOptions`]. Saving a model holding this
/// layer is an `Err` for now (see the module docs).
///
/// ```
/// use kiln::layers::{LayerRef, StringLookup};
/// use kiln_data::text::{StringLookupOptions, Vocabulary};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(StringLookup::new(StringLookupOptions {
///     vocabulary: Some(Vocabulary::Tokens(vec!["a".into(), "b".into()])),
///     ..Default::default()
/// })?);
/// let y = l.call(&Tensor::from_strings(vec!["b", "zz", "a"], &[3, 1])?)?;
/// assert_eq!((y.shape(), y.to_vec::<i64>()?), (&[3usize, 1][..], vec![2, 0, 1]));
/// assert!(l.call(&Tensor::zeros(&[3, 1], kiln_tensor::DType::F32)).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct StringLookup {
    base: LayerBase,
    core: LookupCore,
}

impl StringLookup {
    /// Builds the layer, validating the options as Keras does.
    pub fn new(options: StringLookupOptions) -> Result<StringLookup> {
        Ok(StringLookup {
            base: LayerBase::new("string_lookup"),
            core: LookupCore::new(options)?,
        })
    }
    /// Learns the vocabulary from a string tensor (rank <= 1: one token per document;
    /// rank 2: a row each).
    pub fn adapt(&mut self, data: &Tensor) -> Result<()> {
        Ok(self.core.adapt_tensor(data)?)
    }
    /// Learns the vocabulary from a dataset of string tensors.
    pub fn adapt_dataset(&mut self, ds: &Dataset) -> Result<()> {
        Ok(self.core.adapt_dataset(ds)?)
    }
    /// The vocabulary in index order.
    pub fn get_vocabulary(&self, include_special_tokens: bool) -> Vec<String> {
        self.core.get_vocabulary(include_special_tokens)
    }
    /// The number of indices.
    pub fn vocabulary_size(&self) -> usize {
        self.core.vocabulary_size()
    }
    /// The `kiln_data` layer underneath.
    pub fn core(&self) -> &LookupCore {
        &self.core
    }
}

common_builders!(StringLookup);
layer_state!(StringLookup, "StringLookup");

impl Layer for StringLookup {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(vec![self
            .core
            .call_tensor(one_input(inputs, "StringLookup")?)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        if self.core.invert() || self.core.output_mode() == LookupMode::Int {
            return Some(Ok(vec![s.clone()]));
        }
        None
    }
    fn compute_output_dtype(&self, input_dtypes: &[DType]) -> Option<Vec<DType>> {
        let d = *input_dtypes.first()?;
        if self.core.invert() {
            d.is_int().then(|| vec![DType::String])
        } else if self.core.output_mode() == LookupMode::Int {
            (d == DType::String).then(|| vec![DType::I64])
        } else {
            None
        }
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        if let Value::Object(m) = self.core.get_config() {
            c.extend(m);
        }
        Value::Object(c)
    }
}
