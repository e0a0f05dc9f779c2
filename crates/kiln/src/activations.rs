//! Activation functions by name, as `keras.activations`.

use std::cell::RefCell;

use kiln_tensor::Tensor;

use crate::{Error, Result};

thread_local! {
    /// The last few (softmax/sigmoid output id, logits) pairs. Keras (TF backend) tags a
    /// softmax or sigmoid activation's output with its logits so crossentropy losses can
    /// use the stable logits form; kiln keeps the same link here.
    static LOGITS: RefCell<Vec<(u64, Tensor)>> = const { RefCell::new(Vec::new()) };
}

const LOGITS_KEPT: usize = 8;

fn remember_logits(output: &Tensor, logits: &Tensor) {
    LOGITS.with(|l| {
        let mut l = l.borrow_mut();
        if l.len() >= LOGITS_KEPT {
            l.remove(0);
        }
        l.push((output.id(), logits.clone()));
    });
}

/// The logits a softmax or sigmoid activation produced `output` from, when it is one of
/// the most recent such outputs on this thread (Keras's `_keras_logits`).
///
/// ```
/// use kiln::activations::{keras_logits, Activation};
/// let x = kiln_tensor::Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]).unwrap();
/// let p = Activation::Softmax.apply(&x).unwrap();
/// assert_eq!(keras_logits(&p).unwrap().id(), x.id());
/// assert!(keras_logits(&x).is_none());
/// ```
pub fn keras_logits(output: &Tensor) -> Option<Tensor> {
    LOGITS.with(|l| {
        l.borrow()
            .iter()
            .rev()
            .find(|(id, _)| *id == output.id())
            .map(|(_, t)| t.clone())
    })
}

/// An activation function that layers accept by name (`Dense::new(64).activation("relu")`).
///
/// Each variant applies Keras 3's default arguments: `gelu` is the exact (erf) form,
/// `leaky_relu` uses `negative_slope = 0.2`, `elu` uses `alpha = 1`, `hard_sigmoid` is
/// `relu6(x + 3) / 6`, `softmax`/`log_softmax` act on the last axis.
///
/// ```
/// use kiln::activations::Activation;
/// use kiln_tensor::Tensor;
/// let a = Activation::get("relu").unwrap();
/// let y = a.apply(&Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).unwrap()).unwrap();
/// assert_eq!(y.to_vec::<f32>().unwrap(), vec![0.0, 2.0]);
/// assert!(Activation::get("rleu").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activation {
    /// `linear`: the identity (also `None` in Keras).
    #[default]
    Linear,
    /// `relu`.
    Relu,
    /// `relu6`.
    Relu6,
    /// `sigmoid`.
    Sigmoid,
    /// `tanh`.
    Tanh,
    /// `softmax` over the last axis.
    Softmax,
    /// `log_softmax` over the last axis.
    LogSoftmax,
    /// `elu` with alpha 1.
    Elu,
    /// `selu`.
    Selu,
    /// `gelu`, exact form.
    Gelu,
    /// `softplus`.
    Softplus,
    /// `softsign`.
    Softsign,
    /// `swish` / `silu`.
    Silu,
    /// `leaky_relu` with negative slope 0.2.
    LeakyRelu,
    /// `hard_sigmoid`.
    HardSigmoid,
    /// `exponential`.
    Exponential,
}

const NAMES: &[(&str, Activation)] = &[
    ("linear", Activation::Linear),
    ("relu", Activation::Relu),
    ("relu6", Activation::Relu6),
    ("sigmoid", Activation::Sigmoid),
    ("tanh", Activation::Tanh),
    ("softmax", Activation::Softmax),
    ("log_softmax", Activation::LogSoftmax),
    ("elu", Activation::Elu),
    ("selu", Activation::Selu),
    ("gelu", Activation::Gelu),
    ("softplus", Activation::Softplus),
    ("softsign", Activation::Softsign),
    ("silu", Activation::Silu),
    ("swish", Activation::Silu),
    ("leaky_relu", Activation::LeakyRelu),
    ("hard_sigmoid", Activation::HardSigmoid),
    ("exponential", Activation::Exponential),
];

impl Activation {
    /// Resolves a Keras activation name (`keras.activations.get`). `""` and `"linear"`
    /// give the identity.
    ///
    /// ```
    /// use kiln::activations::Activation;
    /// assert_eq!(Activation::get("swish").unwrap(), Activation::Silu);
    /// ```
    pub fn get(name: &str) -> Result<Activation> {
        if name.is_empty() || name == "None" {
            return Ok(Activation::Linear);
        }
        NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
            .ok_or_else(|| Error::InvalidArgument {
                api: "activations.get",
                msg: format!(
                    "unknown activation '{name}'; expected one of: {}",
                    NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            })
    }

    /// The name Keras serialises (`"relu"`, `"silu"`, ...).
    ///
    /// ```
    /// assert_eq!(kiln::activations::Activation::Relu.name(), "relu");
    /// ```
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .unwrap_or("linear")
    }

    /// Applies the activation.
    ///
    /// ```
    /// use kiln::activations::Activation;
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(Activation::Sigmoid.apply(&x).unwrap().to_vec::<f32>().unwrap(), vec![0.5]);
    /// ```
    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Activation::Linear => x.clone(),
            Activation::Relu => x.relu()?,
            Activation::Relu6 => x.relu6()?,
            Activation::Sigmoid => {
                let y = x.sigmoid()?;
                remember_logits(&y, x);
                y
            }
            Activation::Tanh => x.tanh()?,
            Activation::Softmax => {
                let y = x.softmax(-1)?;
                remember_logits(&y, x);
                y
            }
            Activation::LogSoftmax => x.log_softmax(-1)?,
            Activation::Elu => x.elu(1.0)?,
            Activation::Selu => x.selu()?,
            Activation::Gelu => x.gelu(false)?,
            Activation::Softplus => x.softplus()?,
            Activation::Softsign => x.softsign()?,
            Activation::Silu => x.silu()?,
            Activation::LeakyRelu => x.leaky_relu(0.2)?,
            Activation::HardSigmoid => x.hard_sigmoid()?,
            Activation::Exponential => x.exponential()?,
        })
    }
}

impl std::str::FromStr for Activation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Activation> {
        Activation::get(s)
    }
}

/// Saved as Keras saves a built-in activation: its name.
impl serde::Serialize for Activation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Activation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        Activation::get(&name).map_err(serde::de::Error::custom)
    }
}
