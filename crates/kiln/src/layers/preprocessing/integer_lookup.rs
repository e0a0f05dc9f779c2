//! `IntegerLookup` as a kiln layer on integer tensors, over
//! `kiln_data::text::IntegerLookup` (which holds the vocabulary logic).

use kiln_data::text::{IntegerLookup as Core, IntegerLookupOptions, OovMethod, Vocabulary};
use serde_json::Value;

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};
use kiln_tensor::Tensor;

/// `keras.layers.IntegerLookup` as a layer: integer values to vocabulary indices (or
/// back with `invert`), in Keras's output modes (i64; f32 for `tf_idf`). Options as in
/// [`IntegerLookupOptions`]; `adapt`, `set_vocabulary`, `get_vocabulary` and
/// `vocabulary_size` as Keras.
///
/// ```
/// use kiln::layers::{IntegerLookup, LayerRef};
/// use kiln_data::text::{IntegerLookupOptions, Vocabulary};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(IntegerLookup::new(IntegerLookupOptions {
///     vocabulary: Some(Vocabulary::Tokens(vec![12, 36, 1138, 42])),
///     ..Default::default()
/// })?);
/// let y = l.call(&Tensor::from_vec(vec![12i64, 1138, 42, 42, 1000, 36], &[2, 3])?)?;
/// assert_eq!(y.to_vec::<i64>()?, vec![1, 3, 4, 4, 0, 2]);
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct IntegerLookup {
    base: LayerBase,
    core: Core,
}

impl IntegerLookup {
    /// Builds the layer, validating the options as Keras does.
    ///
    /// ```
    /// use kiln::layers::IntegerLookup;
    /// use kiln_data::text::IntegerLookupOptions;
    /// let bad = IntegerLookupOptions { invert: true, output_mode: "count".into(), ..Default::default() };
    /// assert!(IntegerLookup::new(bad).is_err());
    /// ```
    pub fn new(options: IntegerLookupOptions) -> Result<IntegerLookup> {
        Ok(IntegerLookup {
            base: LayerBase::new("integer_lookup"),
            core: Core::new(options)?,
        })
    }
    /// Learns the vocabulary (rank 1: one value per document; rank 2: a row each).
    ///
    /// ```
    /// use kiln::layers::IntegerLookup;
    /// use kiln_tensor::Tensor;
    /// let mut l = IntegerLookup::new(Default::default())?;
    /// l.adapt(&Tensor::from_vec(vec![7i64, 7, 3], &[3])?)?;
    /// assert_eq!(l.get_vocabulary(true), vec![-1, 7, 3]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn adapt(&mut self, data: &Tensor) -> Result<()> {
        Ok(self.core.adapt(data)?)
    }
    /// Replaces the vocabulary (`idf_weights` for `tf_idf`).
    ///
    /// ```
    /// use kiln::layers::IntegerLookup;
    /// let mut l = IntegerLookup::new(Default::default())?;
    /// l.set_vocabulary(&[5, 9], None)?;
    /// assert_eq!(l.vocabulary_size(), 3);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn set_vocabulary(
        &mut self,
        vocabulary: &[i64],
        idf_weights: Option<&[f32]>,
    ) -> Result<()> {
        Ok(self.core.set_vocabulary(vocabulary, idf_weights)?)
    }
    /// The vocabulary in index order.
    ///
    /// ```
    /// use kiln::layers::IntegerLookup;
    /// let mut l = IntegerLookup::new(Default::default())?;
    /// l.set_vocabulary(&[5, 9], None)?;
    /// assert_eq!(l.get_vocabulary(false), vec![5, 9]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn get_vocabulary(&self, include_special_tokens: bool) -> Vec<i64> {
        self.core.get_vocabulary(include_special_tokens)
    }
    /// The number of indices, special ones included.
    ///
    /// ```
    /// use kiln::layers::IntegerLookup;
    /// assert_eq!(IntegerLookup::new(Default::default())?.vocabulary_size(), 1);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn vocabulary_size(&self) -> usize {
        self.core.vocabulary_size()
    }
    /// The lookup itself (the kiln-data object).
    ///
    /// ```
    /// use kiln::layers::IntegerLookup;
    /// let l = IntegerLookup::new(Default::default())?;
    /// assert_eq!(l.lookup().vocabulary_size(), 1);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn lookup(&self) -> &Core {
        &self.core
    }
}

common_builders!(IntegerLookup);
layer_state!(IntegerLookup, "IntegerLookup");

impl Layer for IntegerLookup {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(vec![self.core.call(one_input(inputs, "IntegerLookup")?)?])
    }
    fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
        let s = input_shapes.first()?;
        Some(Ok(vec![self.core.compute_output_shape(s)]))
    }
    fn get_config(&self) -> Value {
        let mut c = self.base.base_config();
        if let Value::Object(m) = self.core.get_config() {
            c.extend(m);
        }
        Value::Object(c)
    }
}

pub(crate) fn from_config(class: &str, c: &Value) -> Result<IntegerLookup> {
    let bad = |m: String| Error::InvalidArgument {
        api: "layers.from_config",
        msg: format!("{class}: {m}"),
    };
    let opt_int = |k: &str| -> Result<Option<i64>> {
        match c.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| bad(format!("'{k}' must be an integer, got {v}"))),
        }
    };
    let d = IntegerLookupOptions::default();
    let vocabulary = match c.get("vocabulary") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(Vocabulary::File(p.into())),
        Some(Value::Array(a)) => Some(Vocabulary::Tokens(
            a.iter()
                .map(Value::as_i64)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("'vocabulary' must be a list of integers".into()))?,
        )),
        Some(v) => return Err(bad(format!("'vocabulary' must be a list, got {v}"))),
    };
    let idf_weights = match c.get("idf_weights") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_array()
                .and_then(|a| a.iter().map(|x| x.as_f64().map(|f| f as f32)).collect())
                .ok_or_else(|| bad("'idf_weights' must be a list of numbers".into()))?,
        ),
    };
    let salt = match c.get("salt") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            super::hashing::salt_of(v)
                .ok_or_else(|| bad(format!("'salt' must be an integer or two, got {v}")))?,
        ),
    };
    let s = |k: &str, def: &str| c.get(k).and_then(Value::as_str).unwrap_or(def).to_string();
    let b = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
    let options = IntegerLookupOptions {
        max_tokens: opt_int("max_tokens")?.map(|m| m.max(0) as usize),
        num_oov_indices: opt_int("num_oov_indices")?.unwrap_or(1),
        mask_token: opt_int("mask_token")?,
        oov_token: opt_int("oov_token")?.unwrap_or(d.oov_token),
        vocabulary,
        vocabulary_dtype: s("vocabulary_dtype", "int64"),
        idf_weights,
        invert: b("invert"),
        output_mode: s("output_mode", "int"),
        sparse: b("sparse"),
        pad_to_max_tokens: b("pad_to_max_tokens"),
        oov_method: OovMethod::parse(&s("oov_method", "floormod"))?,
        salt,
    };
    IntegerLookup::new(options)
}
