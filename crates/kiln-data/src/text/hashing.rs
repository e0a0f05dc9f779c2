//! `Hashing`: values to `num_bins` bins by FarmHash64 (or salted SipHash-2-4), as
//! Keras 3's layer over `tf.strings.to_hash_bucket_fast` / `_strong`.

use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use super::farmhash::fingerprint64;
use super::index_lookup::invalid;
use super::siphash::siphash24;
use crate::Result;

const API: &str = "Hashing";

/// `tf.strings.to_hash_bucket_fast`: `Fingerprint64(s) % num_buckets`.
///
/// ```
/// use kiln_data::text::to_hash_bucket_fast;
/// assert!(to_hash_bucket_fast(b"hello", 10) < 10);
/// ```
pub fn to_hash_bucket_fast(s: &[u8], num_buckets: u64) -> u64 {
    fingerprint64(s) % num_buckets.max(1)
}

/// `tf.strings.to_hash_bucket_strong`: `SipHash-2-4(key, s) % num_buckets`.
///
/// ```
/// use kiln_data::text::to_hash_bucket_strong;
/// assert!(to_hash_bucket_strong(b"hello", 10, [1, 2]) < 10);
/// ```
pub fn to_hash_bucket_strong(s: &[u8], num_buckets: u64, key: [u64; 2]) -> u64 {
    siphash24(key, s) % num_buckets.max(1)
}

/// The value that `Hashing` sends to bin 0 (`mask_value`).
#[derive(Clone, Debug, PartialEq)]
pub enum MaskValue {
    /// For string inputs.
    Str(String),
    /// For integer (and float) inputs.
    Int(i64),
}

/// How `Hashing` encodes the bin indices (`output_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashingMode {
    /// The bin index (i64), same shape as the input (`"int"`, the default).
    Int,
    /// One f32 vector per value; a trailing axis of size 1 is replaced.
    OneHot,
    /// Per sample, 1.0 at every bin present (f32).
    MultiHot,
    /// Per sample, how many values fell in each bin (f32).
    Count,
}

impl HashingMode {
    /// Parses `"int"`, `"one_hot"`, `"multi_hot"` or `"count"`.
    ///
    /// ```
    /// use kiln_data::text::HashingMode;
    /// assert_eq!(HashingMode::parse("count")?, HashingMode::Count);
    /// assert!(HashingMode::parse("tf_idf").is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn parse(s: &str) -> Result<HashingMode> {
        Ok(match s {
            "int" => HashingMode::Int,
            "one_hot" => HashingMode::OneHot,
            "multi_hot" => HashingMode::MultiHot,
            "count" => HashingMode::Count,
            other => {
                return Err(invalid(
                    API,
                    format!(
                        "unknown output_mode {other:?}; expected one of \"int\", \"one_hot\", \
                         \"multi_hot\", \"count\""
                    ),
                ))
            }
        })
    }
    /// Keras's name.
    ///
    /// ```
    /// use kiln_data::text::HashingMode;
    /// assert_eq!(HashingMode::MultiHot.name(), "multi_hot");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            HashingMode::Int => "int",
            HashingMode::OneHot => "one_hot",
            HashingMode::MultiHot => "multi_hot",
            HashingMode::Count => "count",
        }
    }
}

/// `keras.layers.Hashing(num_bins, mask_value=None, salt=None, output_mode="int")`.
///
/// Strings are hashed as their UTF-8 bytes; integers as their decimal text and floats
/// truncated to integers first (as TF's `as_string`). With `mask_value`, that value
/// goes to bin 0 and the others to `1 + hash % (num_bins - 1)`. Only `sparse=false`.
///
/// ```
/// use kiln_data::text::{Hashing, MaskValue};
/// let h = Hashing::new(3)?.mask_value(MaskValue::Str(String::new()));
/// let bins = h.call_str(&["", "a", "b"])?.to_vec::<i64>()?;
/// assert_eq!(bins[0], 0);
/// assert!(bins[1..].iter().all(|&b| b == 1 || b == 2));
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Hashing {
    num_bins: usize,
    mask_value: Option<MaskValue>,
    salt: Option<[i64; 2]>,
    mode: HashingMode,
}

impl Hashing {
    /// `num_bins` bins (must be > 0), FarmHash, no mask, `int` output.
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// assert!(Hashing::new(0).is_err());
    /// ```
    pub fn new(num_bins: usize) -> Result<Hashing> {
        if num_bins == 0 {
            return Err(invalid(
                API,
                "num_bins must be a positive integer; got num_bins=0",
            ));
        }
        Ok(Hashing {
            num_bins,
            mask_value: None,
            salt: None,
            mode: HashingMode::Int,
        })
    }
    /// The value sent to bin 0.
    ///
    /// ```
    /// use kiln_data::text::{Hashing, MaskValue};
    /// let h = Hashing::new(4)?.mask_value(MaskValue::Int(0));
    /// assert_eq!(h.hash_int(0), 0);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn mask_value(mut self, m: MaskValue) -> Self {
        self.mask_value = Some(m);
        self
    }
    /// Use the keyed SipHash with key `[a, b]` (Keras's `salt=(a, b)`; `salt=s` is `[s, s]`).
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// let h = Hashing::new(1000)?.salt([133, 133]);
    /// assert_ne!(h.hash_str("a"), Hashing::new(1000)?.hash_str("a"));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn salt(mut self, key: [i64; 2]) -> Self {
        self.salt = Some(key);
        self
    }
    /// The output mode (`"int"`, `"one_hot"`, `"multi_hot"`, `"count"`).
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// assert!(Hashing::new(4)?.output_mode("count").is_ok());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn output_mode(mut self, mode: &str) -> Result<Self> {
        self.mode = HashingMode::parse(mode)?;
        Ok(self)
    }
    /// `sparse=true` is refused (as Keras for `int`, as unsupported otherwise).
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// assert!(Hashing::new(4)?.sparse(true).is_err());
    /// assert!(Hashing::new(4)?.sparse(false).is_ok());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn sparse(self, sparse: bool) -> Result<Self> {
        if sparse && self.mode == HashingMode::Int {
            return Err(invalid(
                API,
                "sparse=true is only valid with output_mode \"one_hot\", \"multi_hot\" or \
                 \"count\"; got output_mode=\"int\"",
            ));
        }
        if sparse {
            return Err(invalid(
                API,
                "sparse=true (SparseTensor outputs) is not supported by kiln; use sparse=false",
            ));
        }
        Ok(self)
    }
    /// The number of bins.
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// assert_eq!(Hashing::new(7)?.num_bins(), 7);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn num_bins(&self) -> usize {
        self.num_bins
    }
    /// The output mode.
    ///
    /// ```
    /// use kiln_data::text::{Hashing, HashingMode};
    /// assert_eq!(Hashing::new(7)?.mode(), HashingMode::Int);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn mode(&self) -> HashingMode {
        self.mode
    }

    fn hash_bytes(&self, b: &[u8], masked: bool) -> i64 {
        let mask = self.mask_value.is_some() && self.num_bins > 1;
        if mask && masked {
            return 0;
        }
        let bins = (self.num_bins - usize::from(mask)) as u64;
        let h = match self.salt {
            Some([a, k]) => to_hash_bucket_strong(b, bins, [a as u64, k as u64]),
            None => to_hash_bucket_fast(b, bins),
        };
        h as i64 + i64::from(mask)
    }

    /// The bin of one string.
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// let h = Hashing::new(1000)?;
    /// assert_eq!(h.hash_str("a"), h.hash_str("a"));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn hash_str(&self, s: &str) -> i64 {
        let masked = matches!(&self.mask_value, Some(MaskValue::Str(m)) if m == s);
        self.hash_bytes(s.as_bytes(), masked)
    }

    /// The bin of one integer (hashed as its decimal text).
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// let h = Hashing::new(100)?;
    /// assert_eq!(h.hash_int(42), h.hash_str("42"));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn hash_int(&self, v: i64) -> i64 {
        let masked = matches!(self.mask_value, Some(MaskValue::Int(m)) if m == v);
        self.hash_bytes(v.to_string().as_bytes(), masked)
    }

    /// Encodes bin indices of the given shape as the output mode says (Keras's
    /// `encode_categorical_inputs`, after squeezing a trailing axis of 1 for one_hot).
    fn encode(&self, bins: Vec<i64>, shape: &[usize]) -> Result<Tensor> {
        let depth = self.num_bins;
        if self.mode == HashingMode::Int {
            return Ok(Tensor::from_vec(bins, shape)?);
        }
        let mut s = shape.to_vec();
        if s.is_empty() {
            s.push(1);
        }
        if self.mode == HashingMode::OneHot {
            if s.len() > 1 && s[s.len() - 1] == 1 {
                s.pop();
            }
            let mut out = vec![0f32; bins.len() * depth];
            for (i, &b) in bins.iter().enumerate() {
                out[i * depth + b as usize] = 1.0;
            }
            s.push(depth);
            return Ok(Tensor::from_vec(out, &s)?);
        }
        let (rows, len) = match s.len() {
            1 => (1, s[0]),
            2 => (s[0], s[1]),
            _ => {
                return Err(invalid(
                    API,
                    format!(
                        "output_mode={:?} supports inputs of rank <= 2; got shape {shape:?}",
                        self.mode.name()
                    ),
                ))
            }
        };
        let mut out = vec![0f32; rows * depth];
        for r in 0..rows {
            for &b in &bins[r * len..(r + 1) * len] {
                let c = &mut out[r * depth + b as usize];
                *c = if self.mode == HashingMode::MultiHot {
                    1.0
                } else {
                    *c + 1.0
                };
            }
        }
        let out_shape = if s.len() == 1 {
            vec![depth]
        } else {
            vec![rows, depth]
        };
        Ok(Tensor::from_vec(out, &out_shape)?)
    }

    fn check_str_mask(&self) -> Result<()> {
        if let Some(MaskValue::Int(m)) = &self.mask_value {
            return Err(invalid(
                API,
                format!("mask_value={m} is an integer but the inputs are strings"),
            ));
        }
        Ok(())
    }

    /// Hashes a rank-1 batch of strings.
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// let h = Hashing::new(5)?.output_mode("multi_hot")?;
    /// assert_eq!(h.call_str(&["a", "b", "a"])?.shape(), &[5]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_str<S: AsRef<str>>(&self, xs: &[S]) -> Result<Tensor> {
        self.check_str_mask()?;
        let bins = xs.iter().map(|s| self.hash_str(s.as_ref())).collect();
        self.encode(bins, &[xs.len()])
    }

    /// Hashes a rank-2 batch of strings (rows of equal length).
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// let h = Hashing::new(5)?;
    /// assert_eq!(h.call_str_2d(&[vec!["a", "b"], vec!["c", "d"]])?.shape(), &[2, 2]);
    /// assert!(h.call_str_2d(&[vec!["a", "b"], vec!["c"]]).is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call_str_2d<S: AsRef<str>>(&self, rows: &[Vec<S>]) -> Result<Tensor> {
        self.check_str_mask()?;
        let width = rows.first().map_or(0, Vec::len);
        if let Some(r) = rows.iter().find(|r| r.len() != width) {
            return Err(invalid(
                API,
                format!(
                    "rows must have equal lengths: the first has {width}, another {}",
                    r.len()
                ),
            ));
        }
        let bins = rows
            .iter()
            .flat_map(|r| r.iter().map(|s| self.hash_str(s.as_ref())))
            .collect();
        self.encode(bins, &[rows.len(), width])
    }

    /// Hashes a numeric tensor: integers by their decimal text, floats truncated to
    /// integers first (the mask compares the value before truncation, as Keras).
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// use kiln_tensor::Tensor;
    /// let h = Hashing::new(11)?;
    /// let y = h.call(&Tensor::from_vec(vec![42i32, 7], &[2])?)?;
    /// assert_eq!(y.to_vec::<i64>()?, vec![h.hash_str("42"), h.hash_str("7")]);
    /// let s = h.call(&Tensor::from_strings(vec!["42", "7"], &[2, 1])?)?;
    /// assert_eq!((s.shape(), s.to_vec::<i64>()?), (&[2usize, 1][..], y.to_vec::<i64>()?));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn call(&self, x: &Tensor) -> Result<Tensor> {
        if x.dtype() == DType::String {
            // A string tensor hashes its strings, keeping the shape.
            self.check_str_mask()?;
            let bins = x.as_strs()?.iter().map(|s| self.hash_str(s)).collect();
            return self.encode(bins, x.shape());
        }
        if let Some(MaskValue::Str(m)) = &self.mask_value {
            return Err(invalid(
                API,
                format!("mask_value={m:?} is a string but the inputs are numbers"),
            ));
        }
        if x.dtype() == DType::Bool {
            return Err(invalid(
                API,
                "inputs must be integers, floats or strings; got a bool tensor",
            ));
        }
        let bins: Vec<i64> = if x.dtype().is_float() {
            let v = x.cast(DType::F64)?.to_vec::<f64>()?;
            v.iter()
                .map(|&f| {
                    let masked =
                        matches!(self.mask_value, Some(MaskValue::Int(m)) if m as f64 == f);
                    self.hash_bytes((f as i64).to_string().as_bytes(), masked)
                })
                .collect()
        } else {
            let v = x.cast(DType::I64)?.to_vec::<i64>()?;
            v.iter().map(|&i| self.hash_int(i)).collect()
        };
        self.encode(bins, x.shape())
    }

    /// The output shape for an input shape (`None` = unknown dimension).
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// let h = Hashing::new(8)?.output_mode("count")?;
    /// assert_eq!(h.compute_output_shape(&[None, Some(3)]), vec![None, Some(8)]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn compute_output_shape(&self, input: &[Option<usize>]) -> Vec<Option<usize>> {
        let mut s = input.to_vec();
        match self.mode {
            HashingMode::Int => return s,
            HashingMode::OneHot => {
                if s.len() > 1 && s[s.len() - 1] == Some(1) {
                    s.pop();
                }
            }
            _ => {
                s.pop();
            }
        }
        s.push(Some(self.num_bins));
        s
    }

    /// Keras's `get_config()` keys (without `name`/`dtype`/`trainable`).
    ///
    /// ```
    /// use kiln_data::text::Hashing;
    /// let c = Hashing::new(3)?.salt([1, 2]).get_config();
    /// assert_eq!(c["salt"], serde_json::json!([1, 2]));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn get_config(&self) -> Value {
        json!({
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": match &self.mask_value {
                None => Value::Null,
                Some(MaskValue::Str(s)) => json!(s),
                Some(MaskValue::Int(i)) => json!(i),
            },
            "output_mode": self.mode.name(),
            "sparse": false,
        })
    }
}
