//! Adam (Kingma & Ba), with Keras 3's defaults and update rule.

use kiln_tensor::{DType, Tensor, Variable};

use crate::{Error, Result};

/// The Adam optimizer as `keras.optimizers.Adam`: `learning_rate=0.001`, `beta_1=0.9`,
/// `beta_2=0.999`, `epsilon=1e-7`, optional `amsgrad`.
///
/// Per step `t` (starting at 1), for each variable:
/// `m += (g - m)(1 - beta_1)`, `v += (g² - v)(1 - beta_2)`,
/// `var -= lr·sqrt(1 - beta_2^t)/(1 - beta_1^t) · m / (sqrt(v) + epsilon)`.
/// f32 variables are updated in place in one fused pass.
///
/// ```
/// use kiln::optimizers::Adam;
/// let opt = Adam::default();
/// assert_eq!(opt.learning_rate, 0.001);
/// assert_eq!(opt.epsilon, 1e-7);
/// ```
#[derive(Debug, Clone)]
pub struct Adam {
    /// Step size.
    pub learning_rate: f64,
    /// Decay of the first-moment average.
    pub beta_1: f64,
    /// Decay of the second-moment average.
    pub beta_2: f64,
    /// Added to the denominator for stability (Keras: 1e-7).
    pub epsilon: f64,
    /// Use the maximum of past second moments (AMSGrad).
    pub amsgrad: bool,
    iterations: u64,
    slots: Vec<Slot>,
}

#[derive(Debug, Clone)]
struct Slot {
    var_id: u64,
    m: Vec<f64>,
    v: Vec<f64>,
    v_hat: Vec<f64>,
    m32: Vec<f32>,
    v32: Vec<f32>,
    v_hat32: Vec<f32>,
}

impl Default for Adam {
    fn default() -> Self {
        Adam::new(0.001)
    }
}

impl Adam {
    /// Adam with `learning_rate` and Keras's other defaults.
    ///
    /// ```
    /// let opt = kiln::optimizers::Adam::new(0.01);
    /// assert_eq!(opt.beta_1, 0.9);
    /// ```
    pub fn new(learning_rate: f64) -> Adam {
        Adam {
            learning_rate,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            amsgrad: false,
            iterations: 0,
            slots: Vec::new(),
        }
    }

    /// Number of `apply_gradients` calls so far (Keras's `optimizer.iterations`).
    ///
    /// ```
    /// assert_eq!(kiln::optimizers::Adam::default().iterations(), 0);
    /// ```
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// Applies one update to each `(gradient, variable)` pair, as
    /// `optimizer.apply_gradients(zip(grads, vars))`. Shapes and dtypes must match.
    ///
    /// ```
    /// use kiln::optimizers::Adam;
    /// use kiln_tensor::{Tensor, Variable};
    /// let w = Variable::new(Tensor::from_vec(vec![1.0f32, 1.0], &[2]).unwrap(), "w", true);
    /// let mut opt = Adam::new(0.5);
    /// opt.apply_gradients(&[(Tensor::from_vec(vec![1.0f32, -1.0], &[2]).unwrap(), w.clone())]).unwrap();
    /// let v = w.value().to_vec::<f32>().unwrap();
    /// assert!((v[0] - 0.5).abs() < 1e-5 && (v[1] - 1.5).abs() < 1e-5);
    /// ```
    pub fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, Variable)]) -> Result<()> {
        for (g, var) in grads_and_vars {
            if g.shape() != var.shape().as_slice() || g.dtype() != var.dtype() {
                return Err(Error::InvalidArgument {
                    api: "Adam.apply_gradients",
                    msg: format!(
                        "gradient {:?}/{} does not match variable '{}' {:?}/{}",
                        g.shape(),
                        g.dtype(),
                        var.name(),
                        var.shape(),
                        var.dtype()
                    ),
                });
            }
            if !var.dtype().is_float() {
                return Err(Error::InvalidArgument {
                    api: "Adam.apply_gradients",
                    msg: format!(
                        "variable '{}' has dtype {}; only float variables can be trained",
                        var.name(),
                        var.dtype()
                    ),
                });
            }
        }
        self.iterations += 1;
        let t = self.iterations as f64;
        let alpha =
            self.learning_rate * (1.0 - self.beta_2.powf(t)).sqrt() / (1.0 - self.beta_1.powf(t));
        for (g, var) in grads_and_vars {
            let idx = match self.slots.iter().position(|s| s.var_id == var.id()) {
                Some(i) => i,
                None => {
                    let n = g.numel();
                    let f32_var = var.dtype() == DType::F32;
                    let z64 = if f32_var { Vec::new() } else { vec![0.0; n] };
                    let z32 = if f32_var { vec![0.0f32; n] } else { Vec::new() };
                    self.slots.push(Slot {
                        var_id: var.id(),
                        m: z64.clone(),
                        v: z64.clone(),
                        v_hat: if self.amsgrad { z64 } else { Vec::new() },
                        m32: z32.clone(),
                        v32: z32.clone(),
                        v_hat32: if self.amsgrad { z32 } else { Vec::new() },
                    });
                    self.slots.len() - 1
                }
            };
            let slot = &mut self.slots[idx];
            let (b1, b2, eps, ams) = (self.beta_1, self.beta_2, self.epsilon, self.amsgrad);
            if var.dtype() == DType::F32 {
                let gv = g.to_vec::<f32>()?;
                let (b1, b2, eps, alpha) = (b1 as f32, b2 as f32, eps as f32, alpha as f32);
                let (m, v, vh) = (&mut slot.m32, &mut slot.v32, &mut slot.v_hat32);
                var.update_in_place::<f32>(|w| {
                    for i in 0..w.len() {
                        let gi = gv[i];
                        m[i] += (gi - m[i]) * (1.0 - b1);
                        v[i] += (gi * gi - v[i]) * (1.0 - b2);
                        let vi = if ams {
                            vh[i] = vh[i].max(v[i]);
                            vh[i]
                        } else {
                            v[i]
                        };
                        w[i] -= m[i] * alpha / (vi.sqrt() + eps);
                    }
                })?;
            } else {
                let gv = g.to_f64_vec();
                let cur = var.value().to_f64_vec();
                let mut new = cur.clone();
                for i in 0..new.len() {
                    slot.m[i] += (gv[i] - slot.m[i]) * (1.0 - b1);
                    slot.v[i] += (gv[i] * gv[i] - slot.v[i]) * (1.0 - b2);
                    let vi = if ams {
                        slot.v_hat[i] = slot.v_hat[i].max(slot.v[i]);
                        slot.v_hat[i]
                    } else {
                        slot.v[i]
                    };
                    new[i] -= slot.m[i] * alpha / (vi.sqrt() + eps);
                }
                let t = Tensor::from_vec(new, &var.shape())?.cast(var.dtype())?;
                var.assign(&t)?;
            }
        }
        Ok(())
    }
}
