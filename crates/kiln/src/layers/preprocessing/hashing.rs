//! `Hashing` as a kiln layer on integer (or float) tensors; the hashing itself, and the
//! string form, live in `kiln_data::text::Hashing`.

use kiln_data::text::{Hashing as HashingCore, HashingMode, MaskValue};
use serde_json::{json, Value};

use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::Result;
use kiln_tensor::Tensor;

/// `keras.layers.Hashing(num_bins, mask_value=None, salt=None, output_mode="int")` on
/// numeric tensors: each integer is hashed as its decimal text with FarmHash64 (salted:
/// SipHash-2-4), floats truncated first, exactly as TF, so the bins equal Keras's.
/// `int` outputs are i64, the other modes f32. Strings: use
/// [`kiln_data::text::Hashing::call_str`]. `sparse=True` is an `Err`.
///
/// ```
/// use kiln::layers::{Hashing, LayerRef};
/// use kiln_tensor::Tensor;
/// let l = LayerRef::new(Hashing::new(3)?.mask_value(0));
/// let y = l.call(&Tensor::from_vec(vec![0i64, 1, 2, 3], &[2, 2])?)?;
/// let bins = y.to_vec::<i64>()?;
/// assert_eq!(bins[0], 0); // the mask value goes to bin 0, the rest to 1..=2
/// assert!(bins[1..].iter().all(|&b| b == 1 || b == 2));
/// # Ok::<(), kiln::Error>(())
/// ```
pub struct Hashing {
    base: LayerBase,
    core: HashingCore,
}

impl Hashing {
    /// `num_bins` bins (> 0), FarmHash, `int` output.
    ///
    /// ```
    /// assert!(kiln::layers::Hashing::new(0).is_err());
    /// ```
    pub fn new(num_bins: usize) -> Result<Hashing> {
        Ok(Hashing {
            base: LayerBase::new("hashing"),
            core: HashingCore::new(num_bins)?,
        })
    }
    /// The integer value sent to bin 0.
    ///
    /// ```
    /// use kiln::layers::{Hashing, LayerRef};
    /// use kiln_tensor::Tensor;
    /// let l = LayerRef::new(Hashing::new(5)?.mask_value(-1));
    /// assert_eq!(l.call(&Tensor::from_vec(vec![-1i64], &[1])?)?.to_vec::<i64>()?, vec![0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn mask_value(mut self, v: i64) -> Self {
        self.core = self.core.mask_value(MaskValue::Int(v));
        self
    }
    /// SipHash key `[a, b]` (Keras's `salt=(a, b)`; `salt=s` is `[s, s]`).
    ///
    /// ```
    /// use kiln::layers::{Hashing, LayerRef};
    /// let l = LayerRef::new(Hashing::new(5)?.salt([7, 7]));
    /// assert_eq!(l.get_config()["salt"], serde_json::json!([7, 7]));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn salt(mut self, key: [i64; 2]) -> Self {
        self.core = self.core.salt(key);
        self
    }
    /// `"int"` (default), `"one_hot"`, `"multi_hot"` or `"count"`.
    ///
    /// ```
    /// use kiln::layers::{Hashing, LayerRef};
    /// use kiln_tensor::Tensor;
    /// let l = LayerRef::new(Hashing::new(4)?.output_mode("one_hot")?);
    /// assert_eq!(l.call(&Tensor::from_vec(vec![1i64, 2, 3], &[3])?)?.shape(), &[3, 4]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn output_mode(mut self, mode: &str) -> Result<Self> {
        self.core = self.core.output_mode(mode)?;
        Ok(self)
    }
    /// Only `false` is supported.
    ///
    /// ```
    /// assert!(kiln::layers::Hashing::new(4)?.sparse(true).is_err());
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn sparse(mut self, sparse: bool) -> Result<Self> {
        self.core = self.core.sparse(sparse)?;
        Ok(self)
    }
}

common_builders!(Hashing);
layer_state!(Hashing, "Hashing");

impl Layer for Hashing {
    fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
        Ok(vec![self.core.call(one_input(inputs, "Hashing")?)?])
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
        if self.core.mode() == HashingMode::Int {
            c.insert("dtype".into(), json!("int64"));
        }
        Value::Object(c)
    }
}

pub(crate) fn from_config(class: &str, c: &Value) -> Result<Hashing> {
    let bad = |m: String| crate::Error::InvalidArgument {
        api: "layers.from_config",
        msg: format!("{class}: {m}"),
    };
    let bins = c
        .get("num_bins")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("'num_bins' must be a positive integer".into()))?;
    let mut h = Hashing::new(bins as usize)?
        .output_mode(
            c.get("output_mode")
                .and_then(Value::as_str)
                .unwrap_or("int"),
        )?
        .sparse(c.get("sparse").and_then(Value::as_bool).unwrap_or(false))?;
    match c.get("salt") {
        None | Some(Value::Null) => {}
        Some(v) => {
            h = h.salt(salt_of(v).ok_or_else(|| {
                bad(format!(
                    "'salt' must be an integer or two integers, got {v}"
                ))
            })?)
        }
    }
    match c.get("mask_value") {
        None | Some(Value::Null) => {}
        Some(v) => {
            h = h.mask_value(v.as_i64().ok_or_else(|| {
                bad(format!(
                    "'mask_value' must be an integer for the tensor layer, got {v} (string \
                     masks: kiln_data::text::Hashing)"
                ))
            })?)
        }
    }
    Ok(h)
}

/// Keras's salt: one integer `s` (meaning `[s, s]`) or a pair.
pub(crate) fn salt_of(v: &Value) -> Option<[i64; 2]> {
    match v {
        Value::Number(n) => n.as_i64().map(|s| [s, s]),
        Value::Array(a) if a.len() == 2 => Some([a[0].as_i64()?, a[1].as_i64()?]),
        _ => None,
    }
}
