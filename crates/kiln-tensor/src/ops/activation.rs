//! Activation functions (`tf.nn` / `keras.activations`) with TF's gradient conventions at
//! kinks: relu' (0) = 0, relu6' = 1 only strictly inside (0, 6), leaky_relu' (0) = alpha,
//! elu' (0) = alpha, hard_sigmoid' = 1/6 only strictly inside (-3, 3).

use crate::autodiff::Op;
use crate::cpu::map::unary_map;
use crate::cpu::simd_math::{self as simd, map_f32};
use crate::ops::math::{float_unary, grad_select, NO_FAST};
use crate::ops::record;
use crate::{float_kernel, DType, Result, Tensor};

const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

impl Tensor {
    /// `1 / (1 + e^-x)`, stable for large |x|.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.sigmoid().unwrap().to_vec::<f32>().unwrap(), vec![0.5]);
    /// ```
    pub fn sigmoid(&self) -> Result<Tensor> {
        let out = float_unary!("sigmoid", self, Some(simd::Sigmoid), |v| {
            if v >= 0.0 {
                1.0 / (1.0 + (-v).exp())
            } else {
                let e = v.exp();
                e / (1.0 + e)
            }
        })?;
        let y = out.clone();
        Ok(record(
            || Op::new("sigmoid"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.mul(&y.mul(&y.neg()?.add_scalar(1.0)?)?)?)]),
        ))
    }

    /// `max(x, 0)`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(x.relu().unwrap().to_vec::<f32>().unwrap(), vec![0.0, 2.0]);
    /// ```
    pub fn relu(&self) -> Result<Tensor> {
        if self.dtype().is_int() {
            return self.maximum(&Tensor::scalar_of(0.0, self.dtype()));
        }
        let out = float_unary!("relu", self, Some(simd::Relu), |v| if v < 0.0 {
            0.0
        } else {
            v
        })?;
        let x = self.clone();
        Ok(record(
            || Op::new("relu"),
            &[self],
            out,
            move |g| {
                Ok(vec![Some(crate::ops::math::grad_select_positive(
                    g, &x, 1.0, 0.0,
                )?)])
            },
        ))
    }

    /// `relu(bias_add(x, bias))` in one op (channels-last bias): one pass over memory
    /// forward, and a backward that masks the gradient once for both inputs. The result
    /// and gradients equal the two-op composition.
    ///
    /// ```
    /// use kiln_tensor::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 1.0, -3.0, 0.5], &[2, 2]).unwrap();
    /// let b = Tensor::from_vec(vec![2.0f32, -2.0], &[2]).unwrap();
    /// assert_eq!(x.bias_add_relu(&b).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 0.0, 0.0, 0.0]);
    /// assert!(x.bias_add_relu(&Tensor::zeros(&[3], kiln_tensor::DType::F32)).is_err());
    /// ```
    pub fn bias_add_relu(&self, bias: &Tensor) -> Result<Tensor> {
        let fast = self.dtype() == crate::DType::F32
            && bias.dtype() == crate::DType::F32
            && bias.rank() == 1
            && self.rank() >= 1
            && self.shape()[self.rank() - 1] == bias.shape()[0]
            && self.is_contiguous()
            && bias.is_contiguous()
            && !self.is_meta()
            && !bias.is_meta();
        if !fast {
            return self.bias_add(bias)?.relu();
        }
        let y = Tensor::from_vec_unchecked(
            crate::cpu::gemm::add_rows_relu_f32(
                self.contiguous_slice::<f32>().expect("contiguous"),
                bias.contiguous_slice::<f32>().expect("contiguous"),
            ),
            self.shape().to_vec(),
        );
        let yc = y.clone();
        let c = bias.shape()[0] as isize;
        Ok(record(
            || Op::new("bias_add_relu"),
            &[self, bias],
            y,
            move |g| {
                // relu'(x + b) = [y > 0]; the bias gradient sums it over all rows.
                let gx = crate::ops::math::grad_select_positive(g, &yc, 1.0, 0.0)?;
                let gb = gx.reshape(&[-1, c])?.sum(&[0], false)?;
                Ok(vec![Some(gx), Some(gb)])
            },
        ))
    }

    /// `min(max(x, 0), 6)`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![-1.0f32, 2.0, 9.0], &[3]).unwrap();
    /// assert_eq!(x.relu6().unwrap().to_vec::<f32>().unwrap(), vec![0.0, 2.0, 6.0]);
    /// ```
    pub fn relu6(&self) -> Result<Tensor> {
        let out = float_unary!("relu6", self, NO_FAST, |v| v.clamp(0.0, 6.0))?;
        let x = self.clone();
        Ok(record(
            || Op::new("relu6"),
            &[self],
            out,
            move |g| {
                Ok(vec![Some(grad_select(
                    g,
                    &x,
                    crate::ops::math::Pred::new(0.0, 6.0, false, false),
                    1.0,
                    0.0,
                )?)])
            },
        ))
    }

    /// `x` for x > 0, `alpha * x` otherwise (Keras default alpha 0.2 for the layer,
    /// `tf.nn.leaky_relu` default 0.2).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(x.leaky_relu(0.2).unwrap().to_vec::<f32>().unwrap(), vec![-0.2, 2.0]);
    /// ```
    pub fn leaky_relu(&self, alpha: f64) -> Result<Tensor> {
        let x = self.clone();
        let out = float_kernel!("leaky_relu", x, T => {
            let a = alpha as T;
            unary_map::<T, T>(&x, move |v: T| if v > 0.0 { v } else { v * a })
        })?;
        let x = self.clone();
        Ok(record(
            || Op::new("leaky_relu").attr("alpha", alpha),
            &[self],
            out,
            move |g| {
                Ok(vec![Some(grad_select(
                    g,
                    &x,
                    crate::ops::math::Pred::GT0,
                    1.0,
                    alpha,
                )?)])
            },
        ))
    }

    /// `x` for x > 0, `alpha * (e^x - 1)` otherwise.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32, 2.0], &[2]).unwrap();
    /// assert_eq!(x.elu(1.0).unwrap().to_vec::<f32>().unwrap(), vec![0.0, 2.0]);
    /// ```
    pub fn elu(&self, alpha: f64) -> Result<Tensor> {
        let out = if alpha == 1.0 {
            float_unary!("elu", self, Some(simd::Elu(1.0)), |v| if v > 0.0 {
                v
            } else {
                v.exp_m1()
            })?
        } else {
            let x = self.clone();
            float_kernel!("elu", x, T => {
                let a = alpha as T;
                unary_map::<T, T>(&x, move |v: T| if v > 0.0 { v } else { a * v.exp_m1() })
            })?
        };
        let x = self.clone();
        let y = out.clone();
        Ok(record(
            || Op::new("elu").attr("alpha", alpha),
            &[self],
            out,
            move |g| {
                // x > 0: 1; else alpha * e^x = y + alpha.
                let neg = grad_select(
                    &y.add_scalar(alpha)?,
                    &x,
                    crate::ops::math::Pred::GT0,
                    0.0,
                    1.0,
                )?;
                let pos = grad_select(&y.ones_like(), &x, crate::ops::math::Pred::GT0, 1.0, 0.0)?;
                Ok(vec![Some(g.mul(&pos.add(&neg)?)?)])
            },
        ))
    }

    /// SELU: `scale * elu(x, alpha)` with the self-normalising constants.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.selu().unwrap().to_vec::<f32>().unwrap(), vec![0.0]);
    /// ```
    pub fn selu(&self) -> Result<Tensor> {
        self.elu(SELU_ALPHA)?.mul_scalar(SELU_SCALE)
    }

    /// GELU: exact `0.5 x (1 + erf(x / sqrt 2))`, or with `approximate` the tanh form
    /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (`tf.nn.gelu`).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.gelu(false).unwrap().to_vec::<f32>().unwrap(), vec![0.0]);
    /// ```
    pub fn gelu(&self, approximate: bool) -> Result<Tensor> {
        const C: f64 = 0.797_884_560_802_865_4; // sqrt(2/pi)
        let out = if approximate {
            float_unary!("gelu", self, Some(simd::GeluTanh), |v| {
                let u = 0.797_884_560_802_865_4 * (v + 0.044715 * v * v * v);
                0.5 * v * (1.0 + u.tanh())
            })?
        } else if self.dtype() == DType::F32 && !self.is_meta() {
            // Vectorised f32 (TF computes the exact gelu in f32 too): see
            // `simd::gelu_parts` for the method and its accuracy.
            let x = self.contiguous_unrecorded();
            let s = x.contiguous_slice::<f32>().ok_or_else(|| {
                crate::Error::Trace("internal: a contiguous f32 tensor has no slice".into())
            })?;
            Tensor::from_vec_unchecked(map_f32(simd::GeluErf, s), self.shape().to_vec())
        } else {
            let erf = crate::cpu::special::erf_f64;
            let x = self.clone();
            float_kernel!("gelu", x, T => unary_map::<T, T>(&x, move |v: T| {
                let vf = v as f64;
                (0.5 * vf * (1.0 + erf(vf * std::f64::consts::FRAC_1_SQRT_2))) as T
            }))?
        };
        // The derivative has cancellation near its zeros; evaluate it in f64 for f32/half
        // inputs (casts are differentiable, so higher derivatives still flow). The cast
        // happens in the backward pass, so a forward no tape needs costs nothing extra.
        let x_in = self.clone();
        let dtype = self.dtype();
        Ok(record(
            || Op::new("gelu").attr("approximate", approximate),
            &[self],
            out,
            move |g| {
                // One pass (TF's GeluGrad) unless another tape records this backward pass,
                // which needs the composed formula to differentiate again.
                if matches!(dtype, DType::F32 | DType::F64)
                    && !crate::autodiff::tape::tapes_recording()
                {
                    let d = gelu_grad(&x_in, g, approximate)?;
                    return Ok(crate::ops::record_fused_grads(
                        vec![Some(d)],
                        |_| gelu_grad_op(approximate),
                        &[&x_in, g],
                        "gelu",
                        "the fused gelu gradient has no second derivative; record the \
                         backward pass with a second tape to differentiate twice",
                    ));
                }
                let x = if dtype == DType::F64 {
                    x_in.clone()
                } else {
                    x_in.cast(DType::F64)?
                };
                let d = if approximate {
                    // 0.5 (1 + t) + 0.5 x (1 - t^2) C (1 + 3 * 0.044715 x^2)
                    let x2 = x.square()?;
                    let t = x
                        .add(&x2.mul(&x)?.mul_scalar(0.044715)?)?
                        .mul_scalar(C)?
                        .tanh()?;
                    let a = t.add_scalar(1.0)?.mul_scalar(0.5)?;
                    let b = x
                        .mul(&t.square()?.neg()?.add_scalar(1.0)?)?
                        .mul(&x2.mul_scalar(3.0 * 0.044715)?.add_scalar(1.0)?)?
                        .mul_scalar(0.5 * C)?;
                    a.add(&b)?
                } else {
                    // 0.5 (1 + erf(x / sqrt 2)) + x * exp(-x^2 / 2) / sqrt(2 pi)
                    let a = x
                        .mul_scalar(std::f64::consts::FRAC_1_SQRT_2)?
                        .erf()?
                        .add_scalar(1.0)?
                        .mul_scalar(0.5)?;
                    let pdf = x
                        .square()?
                        .mul_scalar(-0.5)?
                        .exp()?
                        .mul_scalar(0.398_942_280_401_432_7)?;
                    a.add(&x.mul(&pdf)?)?
                };
                Ok(vec![Some(g.mul(&d.cast(dtype)?)?)])
            },
        ))
    }

    /// `log(1 + e^x)`, stable for large |x|.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f64], &[1]).unwrap();
    /// assert!((x.softplus().unwrap().to_vec::<f64>().unwrap()[0] - 2f64.ln()).abs() < 1e-15);
    /// ```
    pub fn softplus(&self) -> Result<Tensor> {
        let out = float_unary!("softplus", self, Some(simd::Softplus), |v| {
            let m = if v > 0.0 { v } else { 0.0 };
            m + (-v.abs()).exp().ln_1p()
        })?;
        let x = self.clone();
        Ok(record(
            || Op::new("softplus"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.mul(&x.sigmoid()?)?)]),
        ))
    }

    /// `x / (1 + |x|)`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![1.0f32], &[1]).unwrap();
    /// assert_eq!(x.softsign().unwrap().to_vec::<f32>().unwrap(), vec![0.5]);
    /// ```
    pub fn softsign(&self) -> Result<Tensor> {
        let out = float_unary!("softsign", self, NO_FAST, |v| v / (1.0 + v.abs()))?;
        let x = self.clone();
        Ok(record(
            || Op::new("softsign"),
            &[self],
            out,
            move |g| Ok(vec![Some(g.div(&x.abs()?.add_scalar(1.0)?.square()?)?)]),
        ))
    }

    /// SiLU / swish: `x * sigmoid(x)`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.silu().unwrap().to_vec::<f32>().unwrap(), vec![0.0]);
    /// ```
    pub fn silu(&self) -> Result<Tensor> {
        let out = float_unary!("silu", self, Some(simd::Silu), |v| {
            let s = if v >= 0.0 {
                1.0 / (1.0 + (-v).exp())
            } else {
                v.exp() / (1.0 + v.exp())
            };
            v * s
        })?;
        let x = self.clone();
        Ok(record(
            || Op::new("silu"),
            &[self],
            out,
            move |g| {
                let s = x.sigmoid()?;
                // s (1 + x (1 - s))
                let d = s.mul(&x.mul(&s.neg()?.add_scalar(1.0)?)?.add_scalar(1.0)?)?;
                Ok(vec![Some(g.mul(&d)?)])
            },
        ))
    }

    /// Alias of [`Tensor::silu`] (Keras's `swish`).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.swish().unwrap().to_vec::<f32>().unwrap(), vec![0.0]);
    /// ```
    pub fn swish(&self) -> Result<Tensor> {
        self.silu()
    }

    /// Keras 3's hard sigmoid: `relu6(x + 3) / 6`.
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![-4.0f32, 0.0, 4.0], &[3]).unwrap();
    /// assert_eq!(x.hard_sigmoid().unwrap().to_vec::<f32>().unwrap(), vec![0.0, 0.5, 1.0]);
    /// ```
    pub fn hard_sigmoid(&self) -> Result<Tensor> {
        let out = float_unary!("hard_sigmoid", self, NO_FAST, |v| {
            (v + 3.0).clamp(0.0, 6.0) / 6.0
        })?;
        let x = self.clone();
        Ok(record(
            || Op::new("hard_sigmoid"),
            &[self],
            out,
            move |g| {
                Ok(vec![Some(grad_select(
                    g,
                    &x,
                    crate::ops::math::Pred::new(-3.0, 3.0, false, false),
                    1.0 / 6.0,
                    0.0,
                )?)])
            },
        ))
    }

    /// Keras's `exponential` activation (`e^x`).
    ///
    /// ```
    /// let x = kiln_tensor::Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
    /// assert_eq!(x.exponential().unwrap().to_vec::<f32>().unwrap(), vec![1.0]);
    /// ```
    pub fn exponential(&self) -> Result<Tensor> {
        self.exp()
    }
}

/// The op [`gelu_grad`] records: inputs `x` and the output gradient.
fn gelu_grad_op(approximate: bool) -> Op {
    Op::new("gelu_grad")
        .attr("approximate", approximate)
        .attr("output", 0i64)
}

/// `g * gelu'(x)` in one pass for f32/f64 `x` (TF's `GeluGrad`). For f64, and for the
/// tanh approximation in f32, the derivative is evaluated per element in f64 with exactly
/// the steps of the composed backward formula of [`Tensor::gelu`], rounded to `x`'s dtype,
/// then multiplied by `g`, so the result is bit-identical to the composed gradient. The
/// exact gelu in f32 takes the vectorised f32 kernel of its forward pass
/// (`simd::gelu_grad_f32`), within a few f32 ulp of the composed f64 formula.
pub(crate) fn gelu_grad(x: &Tensor, g: &Tensor, approximate: bool) -> Result<Tensor> {
    const C: f64 = 0.797_884_560_802_865_4; // sqrt(2/pi)
    let op = "gelu_grad";
    crate::ops::same_dtype(op, x, g)?;
    if x.shape() != g.shape() {
        return Err(crate::Error::shape(
            op,
            format!(
                "the gradient's shape {} differs from the input's {}",
                crate::shape::fmt_shape(g.shape()),
                crate::shape::fmt_shape(x.shape())
            ),
        ));
    }
    let deriv = move |v: f64| -> f64 {
        if approximate {
            let x2 = v * v;
            let t = ((v + x2 * v * 0.044715) * C).tanh();
            let a = (t + 1.0) * 0.5;
            let b = v * (-(t * t) + 1.0) * (x2 * (3.0 * 0.044715) + 1.0) * (0.5 * C);
            a + b
        } else {
            let a = (crate::cpu::special::erf_f64(v * std::f64::consts::FRAC_1_SQRT_2) + 1.0) * 0.5;
            let pdf = (v * v * -0.5).exp() * 0.398_942_280_401_432_7;
            a + v * pdf
        }
    };
    let shape = x.shape().to_vec();
    if let Some(m) = crate::meta::rule(&[x, g], &shape, x.dtype()) {
        return Ok(m);
    }
    match x.dtype() {
        DType::F32 if !approximate => {
            let (xc, gc) = (x.contiguous_unrecorded(), g.contiguous_unrecorded());
            let internal = || crate::Error::Trace("internal: no contiguous f32 slice".into());
            let xs = xc.contiguous_slice::<f32>().ok_or_else(internal)?;
            let gs = gc.contiguous_slice::<f32>().ok_or_else(internal)?;
            Ok(Tensor::from_vec_unchecked(
                crate::cpu::simd_math::gelu_grad_map_f32(xs, gs),
                shape,
            ))
        }
        DType::F32 => Ok(crate::cpu::map::binary_map::<f32, f32, f32>(
            x,
            g,
            &shape,
            move |v, gv| gv * deriv(v as f64) as f32,
        )),
        DType::F64 => Ok(crate::cpu::map::binary_map::<f64, f64, f64>(
            x,
            g,
            &shape,
            move |v, gv| gv * deriv(v),
        )),
        other => Err(crate::Error::dtype(
            op,
            format!("expected float32 or float64, got {}", other.name()),
        )),
    }
}
