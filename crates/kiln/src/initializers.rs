//! Weight initializers, as `keras.initializers`, with Keras's exact formulas.
//!
//! Random initializers draw from a generator seeded by their `seed` when given, else from
//! a stream split off the global generator (`kiln::utils::set_random_seed`). The random
//! streams are kiln's own, so values differ from TensorFlow's; the distributions (bounds,
//! standard deviations, truncation at two standard deviations) are Keras's.

use std::sync::Arc;

use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};
use serde_json::{json, Value};

use crate::{Error, Result};

/// The fan mode of [`Initializer::VarianceScaling`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    /// Number of input units.
    FanIn,
    /// Number of output units.
    FanOut,
    /// Average of the two.
    FanAvg,
}

/// The distribution of [`Initializer::VarianceScaling`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Normal truncated at two standard deviations, rescaled so the variance is right.
    TruncatedNormal,
    /// Plain normal.
    UntruncatedNormal,
    /// Uniform on `[-limit, limit]`.
    Uniform,
}

/// A user initializer: `Fn(shape, dtype) -> Tensor`.
pub type InitFn = Arc<dyn Fn(&[usize], DType) -> Result<Tensor> + Send + Sync>;

/// A weight initializer (`keras.initializers.*`).
///
/// ```
/// use kiln::initializers::Initializer;
/// use kiln_tensor::DType;
/// let w = Initializer::get("glorot_uniform")?.call(&[784, 128], DType::F32)?;
/// let limit = (6.0f32 / (784.0 + 128.0)).sqrt();
/// assert!(w.to_vec::<f32>()?.iter().all(|v| v.abs() <= limit));
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Clone)]
pub enum Initializer {
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
    /// A constant.
    Constant(f64),
    /// Normal with `mean`, `stddev` (Keras defaults 0, 0.05).
    RandomNormal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        stddev: f64,
        /// Seed (`None`: the global stream).
        seed: Option<u64>,
    },
    /// Uniform on `[minval, maxval)` (Keras defaults -0.05, 0.05).
    RandomUniform {
        /// Lower bound.
        minval: f64,
        /// Upper bound.
        maxval: f64,
        /// Seed.
        seed: Option<u64>,
    },
    /// Normal truncated at two standard deviations (Keras defaults 0, 0.05).
    TruncatedNormal {
        /// Mean.
        mean: f64,
        /// Standard deviation before truncation.
        stddev: f64,
        /// Seed.
        seed: Option<u64>,
    },
    /// Variance scaling: `scale / n` variance, `n` from the fan mode.
    VarianceScaling {
        /// Scale factor.
        scale: f64,
        /// Which fan `n` is.
        mode: FanMode,
        /// Which distribution.
        distribution: Distribution,
        /// Seed.
        seed: Option<u64>,
    },
    /// Glorot (Xavier) uniform: `limit = sqrt(6 / (fan_in + fan_out))`.
    GlorotUniform(Option<u64>),
    /// Glorot normal: truncated normal, `stddev = sqrt(2 / (fan_in + fan_out))`.
    GlorotNormal(Option<u64>),
    /// He uniform: `limit = sqrt(6 / fan_in)`.
    HeUniform(Option<u64>),
    /// He normal: truncated normal, `stddev = sqrt(2 / fan_in)`.
    HeNormal(Option<u64>),
    /// LeCun uniform: `limit = sqrt(3 / fan_in)`.
    LecunUniform(Option<u64>),
    /// LeCun normal: truncated normal, `stddev = sqrt(1 / fan_in)`.
    LecunNormal(Option<u64>),
    /// A (semi-)orthogonal matrix times `gain`, over the shape flattened to
    /// `(prod(shape[..-1]), shape[-1])`.
    Orthogonal {
        /// Multiplier.
        gain: f64,
        /// Seed.
        seed: Option<u64>,
    },
    /// `gain` times the identity (2-D shapes only).
    Identity {
        /// Multiplier.
        gain: f64,
    },
    /// A user function.
    Custom(InitFn),
}

impl std::fmt::Debug for Initializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.class_name())
    }
}

const NAMES: &[&str] = &[
    "zeros",
    "ones",
    "constant",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "identity",
];

/// `(fan_in, fan_out)` of a weight shape, as Keras computes them: the receptive field
/// (all axes before the last two) multiplies both for convolution kernels.
///
/// ```
/// assert_eq!(kiln::initializers::compute_fans(&[3, 3, 16, 32]), (144.0, 288.0));
/// assert_eq!(kiln::initializers::compute_fans(&[10]), (10.0, 10.0));
/// ```
pub fn compute_fans(shape: &[usize]) -> (f64, f64) {
    match shape.len() {
        0 => (1.0, 1.0),
        1 => (shape[0] as f64, shape[0] as f64),
        2 => (shape[0] as f64, shape[1] as f64),
        n => {
            let rf: usize = shape[..n - 2].iter().product();
            ((shape[n - 2] * rf) as f64, (shape[n - 1] * rf) as f64)
        }
    }
}

impl Initializer {
    /// Resolves a Keras initializer name (snake_case or the class name) with Keras's
    /// default arguments.
    ///
    /// ```
    /// use kiln::initializers::Initializer;
    /// assert_eq!(Initializer::get("HeNormal").unwrap().class_name(), "HeNormal");
    /// assert!(Initializer::get("glorot").is_err());
    /// ```
    pub fn get(name: &str) -> Result<Initializer> {
        let snake = crate::utils::to_snake_case(name);
        Ok(match snake.as_str() {
            "zeros" | "zero" => Initializer::Zeros,
            "ones" | "one" => Initializer::Ones,
            "constant" => Initializer::Constant(0.0),
            "random_normal" => Initializer::random_normal(0.0, 0.05),
            "random_uniform" => Initializer::random_uniform(-0.05, 0.05),
            "truncated_normal" => Initializer::TruncatedNormal {
                mean: 0.0,
                stddev: 0.05,
                seed: None,
            },
            "variance_scaling" => Initializer::VarianceScaling {
                scale: 1.0,
                mode: FanMode::FanIn,
                distribution: Distribution::TruncatedNormal,
                seed: None,
            },
            "glorot_uniform" | "xavier_uniform" => Initializer::GlorotUniform(None),
            "glorot_normal" | "xavier_normal" => Initializer::GlorotNormal(None),
            "he_uniform" => Initializer::HeUniform(None),
            "he_normal" => Initializer::HeNormal(None),
            "lecun_uniform" => Initializer::LecunUniform(None),
            "lecun_normal" => Initializer::LecunNormal(None),
            "orthogonal" => Initializer::Orthogonal {
                gain: 1.0,
                seed: None,
            },
            "identity" => Initializer::Identity { gain: 1.0 },
            _ => {
                return Err(Error::InvalidArgument {
                    api: "initializers.get",
                    msg: format!(
                        "unknown initializer '{name}'; expected one of: {}",
                        NAMES.join(", ")
                    ),
                })
            }
        })
    }

    /// `RandomNormal(mean, stddev)` without a seed.
    ///
    /// ```
    /// let i = kiln::initializers::Initializer::random_normal(0.0, 1.0);
    /// assert_eq!(i.class_name(), "RandomNormal");
    /// ```
    pub fn random_normal(mean: f64, stddev: f64) -> Initializer {
        Initializer::RandomNormal {
            mean,
            stddev,
            seed: None,
        }
    }

    /// `RandomUniform(minval, maxval)` without a seed.
    ///
    /// ```
    /// let i = kiln::initializers::Initializer::random_uniform(-1.0, 1.0);
    /// assert_eq!(i.class_name(), "RandomUniform");
    /// ```
    pub fn random_uniform(minval: f64, maxval: f64) -> Initializer {
        Initializer::RandomUniform {
            minval,
            maxval,
            seed: None,
        }
    }

    /// Keras's class name (`"GlorotUniform"`, ...).
    ///
    /// ```
    /// assert_eq!(kiln::initializers::Initializer::Zeros.class_name(), "Zeros");
    /// ```
    pub fn class_name(&self) -> &'static str {
        match self {
            Initializer::Zeros => "Zeros",
            Initializer::Ones => "Ones",
            Initializer::Constant(_) => "Constant",
            Initializer::RandomNormal { .. } => "RandomNormal",
            Initializer::RandomUniform { .. } => "RandomUniform",
            Initializer::TruncatedNormal { .. } => "TruncatedNormal",
            Initializer::VarianceScaling { .. } => "VarianceScaling",
            Initializer::GlorotUniform(_) => "GlorotUniform",
            Initializer::GlorotNormal(_) => "GlorotNormal",
            Initializer::HeUniform(_) => "HeUniform",
            Initializer::HeNormal(_) => "HeNormal",
            Initializer::LecunUniform(_) => "LecunUniform",
            Initializer::LecunNormal(_) => "LecunNormal",
            Initializer::Orthogonal { .. } => "Orthogonal",
            Initializer::Identity { .. } => "Identity",
            Initializer::Custom(_) => "Custom",
        }
    }

    /// Keras's serialised form: `{"module", "class_name", "config"}`.
    ///
    /// ```
    /// let c = kiln::initializers::Initializer::Constant(2.0).get_config();
    /// assert_eq!(c["config"]["value"], 2.0);
    /// ```
    pub fn get_config(&self) -> Value {
        let seed = |s: &Option<u64>| s.map(Value::from).unwrap_or(Value::Null);
        let config = match self {
            Initializer::Zeros | Initializer::Ones | Initializer::Custom(_) => json!({}),
            Initializer::Constant(v) => json!({ "value": v }),
            Initializer::RandomNormal {
                mean,
                stddev,
                seed: s,
            }
            | Initializer::TruncatedNormal {
                mean,
                stddev,
                seed: s,
            } => {
                json!({ "mean": mean, "stddev": stddev, "seed": seed(s) })
            }
            Initializer::RandomUniform {
                minval,
                maxval,
                seed: s,
            } => {
                json!({ "minval": minval, "maxval": maxval, "seed": seed(s) })
            }
            Initializer::VarianceScaling {
                scale,
                mode,
                distribution,
                seed: s,
            } => json!({
                "scale": scale,
                "mode": match mode {
                    FanMode::FanIn => "fan_in",
                    FanMode::FanOut => "fan_out",
                    FanMode::FanAvg => "fan_avg",
                },
                "distribution": match distribution {
                    Distribution::TruncatedNormal => "truncated_normal",
                    Distribution::UntruncatedNormal => "untruncated_normal",
                    Distribution::Uniform => "uniform",
                },
                "seed": seed(s),
            }),
            Initializer::GlorotUniform(s)
            | Initializer::GlorotNormal(s)
            | Initializer::HeUniform(s)
            | Initializer::HeNormal(s)
            | Initializer::LecunUniform(s)
            | Initializer::LecunNormal(s) => json!({ "seed": seed(s) }),
            Initializer::Orthogonal { gain, seed: s } => json!({ "gain": gain, "seed": seed(s) }),
            Initializer::Identity { gain } => json!({ "gain": gain }),
        };
        json!({
            "module": "keras.initializers",
            "class_name": self.class_name(),
            "config": config,
            "registered_name": null,
        })
    }

    /// The equivalent variance-scaling parameters of the named Glorot/He/LeCun forms.
    fn as_variance_scaling(&self) -> Option<(f64, FanMode, Distribution, Option<u64>)> {
        use Distribution::*;
        use FanMode::*;
        Some(match *self {
            Initializer::VarianceScaling {
                scale,
                mode,
                distribution,
                seed,
            } => (scale, mode, distribution, seed),
            Initializer::GlorotUniform(s) => (1.0, FanAvg, Uniform, s),
            Initializer::GlorotNormal(s) => (1.0, FanAvg, TruncatedNormal, s),
            Initializer::HeUniform(s) => (2.0, FanIn, Uniform, s),
            Initializer::HeNormal(s) => (2.0, FanIn, TruncatedNormal, s),
            Initializer::LecunUniform(s) => (1.0, FanIn, Uniform, s),
            Initializer::LecunNormal(s) => (1.0, FanIn, TruncatedNormal, s),
            _ => return None,
        })
    }

    /// Creates a tensor of `shape` and float `dtype`.
    ///
    /// ```
    /// use kiln::initializers::Initializer;
    /// let t = Initializer::Identity { gain: 2.0 }.call(&[2, 2], kiln_tensor::DType::F32)?;
    /// assert_eq!(t.to_vec::<f32>()?, vec![2.0, 0.0, 0.0, 2.0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn call(&self, shape: &[usize], dtype: DType) -> Result<Tensor> {
        let rng = |seed: &Option<u64>| match seed {
            Some(s) => Generator::from_seed(*s),
            None => Generator::from_global(),
        };
        if let Some((scale, mode, distribution, seed)) = self.as_variance_scaling() {
            if scale <= 0.0 {
                return Err(Error::InvalidArgument {
                    api: "VarianceScaling",
                    msg: format!("scale must be positive, got {scale}"),
                });
            }
            let (fan_in, fan_out) = compute_fans(shape);
            let n = match mode {
                FanMode::FanIn => fan_in,
                FanMode::FanOut => fan_out,
                FanMode::FanAvg => (fan_in + fan_out) / 2.0,
            };
            let variance = scale / n.max(1.0);
            let mut g = rng(&seed);
            return Ok(match distribution {
                // 0.8796... is the stddev of a unit normal truncated to [-2, 2].
                Distribution::TruncatedNormal => g.truncated_normal(
                    shape,
                    0.0,
                    variance.sqrt() / 0.879_625_661_034_239_8,
                    dtype,
                )?,
                Distribution::UntruncatedNormal => g.normal(shape, 0.0, variance.sqrt(), dtype)?,
                Distribution::Uniform => {
                    let limit = (3.0 * variance).sqrt();
                    g.uniform(shape, -limit, limit, dtype)?
                }
            });
        }
        Ok(match self {
            Initializer::Zeros => Tensor::zeros(shape, dtype),
            Initializer::Ones => Tensor::ones(shape, dtype),
            Initializer::Constant(v) => Tensor::full(shape, *v, dtype),
            Initializer::RandomNormal { mean, stddev, seed } => {
                rng(seed).normal(shape, *mean, *stddev, dtype)?
            }
            Initializer::RandomUniform {
                minval,
                maxval,
                seed,
            } => rng(seed).uniform(shape, *minval, *maxval, dtype)?,
            Initializer::TruncatedNormal { mean, stddev, seed } => {
                rng(seed).truncated_normal(shape, *mean, *stddev, dtype)?
            }
            Initializer::Identity { gain } => {
                if shape.len() != 2 {
                    return Err(Error::InvalidArgument {
                        api: "Identity",
                        msg: format!("needs a 2-D shape, got {shape:?}"),
                    });
                }
                Tensor::eye(shape[0], Some(shape[1]), dtype).mul_scalar(*gain)?
            }
            Initializer::Orthogonal { gain, seed } => orthogonal(shape, *gain, seed, dtype)?,
            Initializer::Custom(f) => {
                let t = f(shape, dtype)?;
                if t.shape() != shape {
                    return Err(Error::InvalidArgument {
                        api: "initializer",
                        msg: format!(
                            "custom initializer returned shape {:?}, expected {shape:?}",
                            t.shape()
                        ),
                    });
                }
                t
            }
            _ => unreachable!("variance-scaling forms handled above"),
        })
    }
}

/// Keras's orthogonal initializer: QR of a normal matrix, signs fixed by `diag(R)`.
fn orthogonal(shape: &[usize], gain: f64, seed: &Option<u64>, dtype: DType) -> Result<Tensor> {
    if shape.len() < 2 {
        return Err(Error::InvalidArgument {
            api: "Orthogonal",
            msg: format!("needs a shape of rank >= 2, got {shape:?}"),
        });
    }
    let cols = shape[shape.len() - 1];
    let rows: usize = shape[..shape.len() - 1].iter().product();
    // Factor the tall orientation, then transpose back when the target is wide.
    let (m, n) = (rows.max(cols), rows.min(cols));
    let mut g = match seed {
        Some(s) => Generator::from_seed(*s),
        None => Generator::from_global(),
    };
    let a = g.normal(&[m, n], 0.0, 1.0, DType::F64)?.to_vec::<f64>()?;
    let q = thin_q(&a, m, n);
    let mut out = vec![0.0f64; rows * cols];
    for i in 0..m {
        for j in 0..n {
            let v = gain * q[i * n + j];
            if rows >= cols {
                out[i * cols + j] = v;
            } else {
                out[j * cols + i] = v;
            }
        }
    }
    Ok(Tensor::from_vec(out, shape)?.cast(dtype)?)
}

/// The `m x n` (m >= n) Q factor of a row-major matrix by modified Gram-Schmidt, with the
/// column signs chosen so `diag(R) > 0` (the convention Keras applies after its QR).
fn thin_q(a: &[f64], m: usize, n: usize) -> Vec<f64> {
    let mut q = a.to_vec();
    for j in 0..n {
        for k in 0..j {
            let dot: f64 = (0..m).map(|i| q[i * n + k] * q[i * n + j]).sum();
            for i in 0..m {
                q[i * n + j] -= dot * q[i * n + k];
            }
        }
        let norm = (0..m).map(|i| q[i * n + j].powi(2)).sum::<f64>().sqrt();
        let norm = if norm > 0.0 { norm } else { 1.0 };
        for i in 0..m {
            q[i * n + j] /= norm;
        }
    }
    q
}

impl Initializer {
    /// Rebuilds an initializer from Keras's serialised form (`{"class_name", "config"}`)
    /// or a plain name.
    ///
    /// ```
    /// use kiln::initializers::Initializer;
    /// let i = Initializer::from_config(&Initializer::Constant(3.0).get_config())?;
    /// assert_eq!(i.call(&[1], kiln_tensor::DType::F32)?.to_vec::<f32>()?, vec![3.0]);
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn from_config(v: &Value) -> Result<Initializer> {
        if let Some(name) = v.as_str() {
            return Initializer::get(name);
        }
        let class =
            v.get("class_name")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::InvalidArgument {
                    api: "Initializer.from_config",
                    msg: format!("expected {{\"class_name\", \"config\"}} or a name, got {v}"),
                })?;
        let c = v.get("config").cloned().unwrap_or(Value::Null);
        let f = |k: &str, d: f64| c.get(k).and_then(Value::as_f64).unwrap_or(d);
        let seed = c.get("seed").and_then(Value::as_u64);
        let mode = match c.get("mode").and_then(Value::as_str).unwrap_or("fan_in") {
            "fan_out" => FanMode::FanOut,
            "fan_avg" => FanMode::FanAvg,
            _ => FanMode::FanIn,
        };
        let distribution = match c
            .get("distribution")
            .and_then(Value::as_str)
            .unwrap_or("truncated_normal")
        {
            "uniform" => Distribution::Uniform,
            "untruncated_normal" | "normal" => Distribution::UntruncatedNormal,
            _ => Distribution::TruncatedNormal,
        };
        Ok(match class {
            "Constant" => Initializer::Constant(f("value", 0.0)),
            "RandomNormal" => Initializer::RandomNormal {
                mean: f("mean", 0.0),
                stddev: f("stddev", 0.05),
                seed,
            },
            "RandomUniform" => Initializer::RandomUniform {
                minval: f("minval", -0.05),
                maxval: f("maxval", 0.05),
                seed,
            },
            "TruncatedNormal" => Initializer::TruncatedNormal {
                mean: f("mean", 0.0),
                stddev: f("stddev", 0.05),
                seed,
            },
            "VarianceScaling" => Initializer::VarianceScaling {
                scale: f("scale", 1.0),
                mode,
                distribution,
                seed,
            },
            "GlorotUniform" => Initializer::GlorotUniform(seed),
            "GlorotNormal" => Initializer::GlorotNormal(seed),
            "HeUniform" => Initializer::HeUniform(seed),
            "HeNormal" => Initializer::HeNormal(seed),
            "LecunUniform" => Initializer::LecunUniform(seed),
            "LecunNormal" => Initializer::LecunNormal(seed),
            "Orthogonal" => Initializer::Orthogonal {
                gain: f("gain", 1.0),
                seed,
            },
            "Identity" => Initializer::Identity {
                gain: f("gain", 1.0),
            },
            other => Initializer::get(other)?,
        })
    }
}

impl From<&str> for Initializer {
    /// Unknown names fall back to a [`Initializer::Custom`] that errors when called, so a
    /// typo surfaces at build time with the message of [`Initializer::get`].
    fn from(name: &str) -> Initializer {
        match Initializer::get(name) {
            Ok(i) => i,
            Err(e) => {
                let msg = e.to_string();
                Initializer::Custom(Arc::new(move |_, _| {
                    Err(Error::InvalidArgument {
                        api: "initializers.get",
                        msg: msg.clone(),
                    })
                }))
            }
        }
    }
}

crate::utils::serde_via_config!(Initializer);
