//! kiln's own int8 runtime for fully integer-quantized graphs: the model a
//! [`crate::tflite::TfLiteConverter`] with a representative dataset produces, run with
//! int32 accumulation and TFLite's fixed-point requantization, so that its outputs equal
//! the TFLite interpreter's (within one quantization step where the interpreter's
//! kernels round differently).

use kiln::Tensor;

use super::fixed_point::{multiply_by_quantized_multiplier as mbqm, quantize_multiplier};
use super::kernels::dot_i8;
use super::params::quantize_i8;
use crate::tflite::schema::{op, Activation, Padding, TensorType};
use crate::tflite::{Options, TGraph, TOp};
use crate::{LiteError, Result};

/// A fully int8 graph ready to run (QUANTIZE / DEQUANTIZE at its float edges, if any).
///
/// ```
/// use kiln::layers::Dense;
/// use kiln::models::Model;
/// use kiln::Tensor;
/// use kiln_lite::quantize::Int8Model;
/// use kiln_lite::tflite::{Optimize, TfLiteConverter};
/// let m = Model::sequential(vec![Dense::new(2).activation("relu").input_shape(&[3]).into()])?;
/// let rep = vec![vec![Tensor::from_vec(vec![0.5f32, -1.0, 2.0], &[1, 3])?]];
/// let g = TfLiteConverter::from_keras_model(&m)
///     .optimizations([Optimize::Default])
///     .representative_dataset(rep)
///     .convert_graph()?;
/// let y = Int8Model::new(g)?.predict(&Tensor::from_vec(vec![0.5f32, -1.0, 2.0], &[1, 3])?)?;
/// assert_eq!(y.shape(), &[1, 2]);
/// # Ok::<(), kiln_lite::LiteError>(())
/// ```
pub struct Int8Model {
    g: TGraph,
    /// Per op: requantization multipliers per output channel (conv, depthwise, FC) and
    /// the sums of each output channel's weights.
    prepared: Vec<Prepared>,
}

#[derive(Default)]
struct Prepared {
    mult: Vec<(i32, i32)>,
    wsum: Vec<i32>,
}

fn unsupported(o: &TOp, why: &str) -> LiteError {
    LiteError::Argument {
        arg: "graph".into(),
        msg: format!("{} {why}", op::name(o.code)),
    }
}

fn qp(g: &TGraph, t: i32) -> (f32, i32) {
    g.tensors[t as usize]
        .quant
        .as_ref()
        .map(|q| (q.scale[0], q.zero_point[0] as i32))
        .unwrap_or((1.0, 0))
}

fn act_range(act: Activation, scale: f32, zp: i32) -> (i32, i32) {
    let q = |v: f32| zp + (v / scale).round() as i32;
    match act {
        Activation::None => (-128, 127),
        Activation::Relu => (zp.max(-128), 127),
        Activation::Relu6 => (zp.max(-128), q(6.0).min(127)),
    }
}

impl Int8Model {
    /// Checks that every op is one the runtime has in int8, and precomputes the
    /// requantization multipliers.
    pub fn new(g: TGraph) -> Result<Self> {
        let mut prepared = Vec::with_capacity(g.ops.len());
        for o in &g.ops {
            let ty = |t: i32| g.tensors[t as usize].ttype;
            let int8_io = match o.code {
                op::QUANTIZE => ty(o.outputs[0]) == TensorType::Int8,
                op::DEQUANTIZE => ty(o.inputs[0]) == TensorType::Int8,
                _ => ty(o.inputs[0]) == TensorType::Int8 && ty(o.outputs[0]) == TensorType::Int8,
            };
            if !int8_io {
                return Err(unsupported(o, "is not int8: Int8Model runs fully integer-quantized graphs (a representative dataset conversion)"));
            }
            let mut p = Prepared::default();
            if matches!(
                o.code,
                op::CONV_2D | op::DEPTHWISE_CONV_2D | op::FULLY_CONNECTED
            ) {
                let w = &g.tensors[o.inputs[1] as usize];
                let wq = w
                    .quant
                    .as_ref()
                    .ok_or_else(|| unsupported(o, "weights are not quantized"))?;
                let data = w
                    .data
                    .as_ref()
                    .ok_or_else(|| unsupported(o, "weights are not constant"))?;
                let (s_in, _) = qp(&g, o.inputs[0]);
                let (s_out, _) = qp(&g, o.outputs[0]);
                p.mult = wq
                    .scale
                    .iter()
                    .map(|&sw| quantize_multiplier(s_in as f64 * sw as f64 / s_out as f64))
                    .collect();
                if o.code != op::DEPTHWISE_CONV_2D {
                    // One sum per output row of the weights (per-tensor scales included).
                    let c = w.shape[0].max(1) as usize;
                    let inner = data.len() / c;
                    p.wsum = (0..c)
                        .map(|k| {
                            data[k * inner..(k + 1) * inner]
                                .iter()
                                .map(|&v| v as i8 as i32)
                                .sum()
                        })
                        .collect();
                }
            }
            prepared.push(p);
        }
        Ok(Int8Model { g, prepared })
    }

    /// Runs the graph on a float32 batch (each sample separately, as the interpreter's
    /// batch-1 graph); returns the float32 output (dequantized if the graph ends int8).
    pub fn predict(&self, x: &Tensor) -> Result<Tensor> {
        let g = &self.g;
        let input = &g.tensors[g.inputs[0] as usize];
        let per: usize = input.numel();
        let xs = x.cast(kiln::DType::F32)?.to_vec::<f32>()?;
        let dims_ok = x.shape().len() == input.shape.len()
            && x.shape()[1..]
                .iter()
                .zip(&input.shape[1..])
                .all(|(&a, &b)| a as i32 == b);
        if per == 0 || xs.len() % per != 0 || !dims_ok {
            return Err(LiteError::Argument {
                arg: "x".into(),
                msg: format!(
                    "shape {:?}; the model takes {:?}",
                    x.shape(),
                    input.signature
                ),
            });
        }
        let out_t = &g.tensors[g.outputs[0] as usize];
        let mut out = Vec::new();
        for sample in xs.chunks(per) {
            out.extend(self.run_one(sample)?);
        }
        let mut shape = vec![xs.len() / per];
        shape.extend(out_t.shape[1..].iter().map(|&d| d as usize));
        Ok(Tensor::from_vec(out, &shape)?)
    }

    fn run_one(&self, x: &[f32]) -> Result<Vec<f32>> {
        let g = &self.g;
        let mut f: Vec<Option<Vec<f32>>> = vec![None; g.tensors.len()];
        let mut q: Vec<Option<Vec<i8>>> = vec![None; g.tensors.len()];
        let inp = g.inputs[0] as usize;
        if g.tensors[inp].ttype == TensorType::Int8 {
            let (s, z) = qp(g, inp as i32);
            q[inp] = Some(x.iter().map(|&v| quantize_i8(v, s, z as i64)).collect());
        } else {
            f[inp] = Some(x.to_vec());
        }
        for (o, p) in g.ops.iter().zip(&self.prepared) {
            let y = o.outputs[0] as usize;
            if o.code == op::DEQUANTIZE {
                let (s, z) = qp(g, o.inputs[0]);
                let v = q[o.inputs[0] as usize]
                    .as_ref()
                    .ok_or_else(|| unsupported(o, "input not computed"))?;
                f[y] = Some(v.iter().map(|&v| (v as i32 - z) as f32 * s).collect());
                continue;
            }
            let r = if o.code == op::QUANTIZE {
                let (s, z) = qp(g, o.outputs[0]);
                let v = f[o.inputs[0] as usize]
                    .as_ref()
                    .ok_or_else(|| unsupported(o, "input not computed"))?;
                v.iter().map(|&v| quantize_i8(v, s, z as i64)).collect()
            } else {
                self.run_op(o, p, &q)?
            };
            q[y] = Some(r);
        }
        let o = g.outputs[0] as usize;
        match (&f[o], &q[o]) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(v)) => {
                let (s, z) = qp(g, o as i32);
                Ok(v.iter().map(|&v| (v as i32 - z) as f32 * s).collect())
            }
            _ => Err(LiteError::Internal("the output was not computed".into())),
        }
    }

    fn run_op(&self, o: &TOp, p: &Prepared, q: &[Option<Vec<i8>>]) -> Result<Vec<i8>> {
        let g = &self.g;
        let get = |t: i32| -> Result<&Vec<i8>> {
            q[t as usize]
                .as_ref()
                .ok_or_else(|| unsupported(o, "input not computed"))
        };
        let shape = |t: i32| -> Vec<usize> {
            g.tensors[t as usize]
                .shape
                .iter()
                .map(|&d| d as usize)
                .collect()
        };
        let x = get(o.inputs[0])?;
        let (s_in, z_in) = qp(g, o.inputs[0]);
        let (s_out, z_out) = qp(g, o.outputs[0]);
        let consti32 = |t: i32| -> Vec<i32> {
            if t < 0 {
                return Vec::new();
            }
            g.tensors[t as usize]
                .data
                .as_ref()
                .map(|d| {
                    d.chunks_exact(4)
                        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect()
                })
                .unwrap_or_default()
        };
        let consti8 = |t: i32| -> Vec<i8> {
            g.tensors[t as usize]
                .data
                .as_ref()
                .map(|d| d.iter().map(|&v| v as i8).collect())
                .unwrap_or_default()
        };
        let fin = |acc: i32, m: (i32, i32), lo: i32, hi: i32| -> i8 {
            (mbqm(acc, m.0, m.1) + z_out).clamp(lo, hi) as i8
        };
        Ok(match (&o.options, o.code) {
            (Options::FullyConnected { act, .. }, op::FULLY_CONNECTED) => {
                let w = consti8(o.inputs[1]);
                let b = consti32(o.inputs[2]);
                let units = p.wsum.len();
                let cin = w.len() / units.max(1);
                let (lo, hi) = act_range(*act, s_out, z_out);
                let mut y = Vec::with_capacity(x.len() / cin * units);
                for row in x.chunks(cin) {
                    for u in 0..units {
                        let m = p.mult[u.min(p.mult.len() - 1)];
                        let acc = dot_i8(row, &w[u * cin..(u + 1) * cin]) - z_in * p.wsum[u]
                            + b.get(u).copied().unwrap_or(0);
                        y.push(fin(acc, m, lo, hi));
                    }
                }
                y
            }
            (
                Options::Conv2D {
                    padding,
                    stride,
                    dilation,
                    act,
                },
                op::CONV_2D,
            ) => {
                let (xs, ws, ys) = (shape(o.inputs[0]), shape(o.inputs[1]), shape(o.outputs[0]));
                let w = consti8(o.inputs[1]);
                let b = consti32(o.inputs[2]);
                let (cout, kh, kw, cin) = (ws[0], ws[1], ws[2], ws[3]);
                let (pt, pl) = pad_before(*padding, &xs, &ys, (kh, kw), *stride, *dilation);
                let (lo, hi) = act_range(*act, s_out, z_out);
                let mut patch = vec![0i8; kh * kw * cin];
                let mut y = Vec::with_capacity(ys.iter().product());
                for oy in 0..ys[1] {
                    for ox in 0..ys[2] {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let iy = (oy * stride.0 as usize + ky * dilation.0 as usize)
                                    as isize
                                    - pt;
                                let ix = (ox * stride.1 as usize + kx * dilation.1 as usize)
                                    as isize
                                    - pl;
                                let dst =
                                    &mut patch[(ky * kw + kx) * cin..(ky * kw + kx + 1) * cin];
                                if iy < 0 || ix < 0 || iy >= xs[1] as isize || ix >= xs[2] as isize
                                {
                                    // Padding holds the input zero point: (x - z_in) = 0.
                                    dst.fill(z_in as i8);
                                } else {
                                    let at = (iy as usize * xs[2] + ix as usize) * cin;
                                    dst.copy_from_slice(&x[at..at + cin]);
                                }
                            }
                        }
                        for c in 0..cout {
                            let wc = &w[c * kh * kw * cin..(c + 1) * kh * kw * cin];
                            let acc = dot_i8(&patch, wc) - z_in * p.wsum[c]
                                + b.get(c).copied().unwrap_or(0);
                            y.push(fin(acc, p.mult[c.min(p.mult.len() - 1)], lo, hi));
                        }
                    }
                }
                y
            }
            (
                Options::DepthwiseConv2D {
                    padding,
                    stride,
                    dilation,
                    multiplier,
                    act,
                },
                op::DEPTHWISE_CONV_2D,
            ) => {
                let (xs, ws, ys) = (shape(o.inputs[0]), shape(o.inputs[1]), shape(o.outputs[0]));
                let w = consti8(o.inputs[1]);
                let b = consti32(o.inputs[2]);
                let (kh, kw, cout) = (ws[1], ws[2], ws[3]);
                let (cin, mult) = (xs[3], *multiplier as usize);
                let (pt, pl) = pad_before(*padding, &xs, &ys, (kh, kw), *stride, *dilation);
                let (lo, hi) = act_range(*act, s_out, z_out);
                let mut y = vec![0i8; ys.iter().product()];
                let mut acc = vec![0i32; cout];
                for oy in 0..ys[1] {
                    for ox in 0..ys[2] {
                        acc.iter_mut()
                            .enumerate()
                            .for_each(|(c, a)| *a = b.get(c).copied().unwrap_or(0));
                        for ky in 0..kh {
                            let iy =
                                (oy * stride.0 as usize + ky * dilation.0 as usize) as isize - pt;
                            if iy < 0 || iy >= xs[1] as isize {
                                continue;
                            }
                            for kx in 0..kw {
                                let ix = (ox * stride.1 as usize + kx * dilation.1 as usize)
                                    as isize
                                    - pl;
                                if ix < 0 || ix >= xs[2] as isize {
                                    continue;
                                }
                                let xi = &x[(iy as usize * xs[2] + ix as usize) * cin..][..cin];
                                let wi = &w[(ky * kw + kx) * cout..][..cout];
                                for c in 0..cout {
                                    acc[c] += (xi[c / mult] as i32 - z_in) * wi[c] as i32;
                                }
                            }
                        }
                        let out = &mut y[(oy * ys[2] + ox) * cout..][..cout];
                        for c in 0..cout {
                            out[c] = fin(acc[c], p.mult[c.min(p.mult.len() - 1)], lo, hi);
                        }
                    }
                }
                y
            }
            (
                Options::Pool2D {
                    padding,
                    stride,
                    filter,
                    act,
                },
                op::MAX_POOL_2D | op::AVERAGE_POOL_2D,
            ) => {
                let (xs, ys) = (shape(o.inputs[0]), shape(o.outputs[0]));
                let (fh, fw) = (filter.0 as usize, filter.1 as usize);
                let (pt, pl) = pad_before(*padding, &xs, &ys, (fh, fw), *stride, (1, 1));
                let (lo, hi) = act_range(*act, s_out, z_out);
                let c = xs[3];
                let mut y = Vec::with_capacity(ys.iter().product());
                for oy in 0..ys[1] {
                    for ox in 0..ys[2] {
                        for ch in 0..c {
                            let (mut m, mut sum, mut n) = (i32::MIN, 0i32, 0i32);
                            for ky in 0..fh {
                                for kx in 0..fw {
                                    let iy = (oy * stride.0 as usize + ky) as isize - pt;
                                    let ix = (ox * stride.1 as usize + kx) as isize - pl;
                                    if iy < 0
                                        || ix < 0
                                        || iy >= xs[1] as isize
                                        || ix >= xs[2] as isize
                                    {
                                        continue;
                                    }
                                    let v = x[(iy as usize * xs[2] + ix as usize) * c + ch] as i32;
                                    m = m.max(v);
                                    sum += v;
                                    n += 1;
                                }
                            }
                            let v = if o.code == op::MAX_POOL_2D {
                                m
                            } else if sum > 0 {
                                (sum + n / 2) / n
                            } else {
                                (sum - n / 2) / n
                            };
                            y.push(v.clamp(lo, hi) as i8);
                        }
                    }
                }
                y
            }
            (Options::Reducer { .. }, op::MEAN) => {
                let xs = shape(o.inputs[0]);
                let axes = consti32(o.inputs[1]);
                if xs.len() != 4 || axes != [1, 2] {
                    return Err(unsupported(o, "over axes other than [1, 2] of an NHWC tensor is not in kiln's int8 runtime"));
                }
                let (n, c) = (xs[1] * xs[2], xs[3]);
                let m = quantize_multiplier(s_in as f64 / (n as f64 * s_out as f64));
                let bias = z_out - (z_in as f32 * s_in / s_out) as i32;
                (0..c)
                    .map(|ch| {
                        let sum: i32 = (0..n).map(|i| x[i * c + ch] as i32).sum();
                        (mbqm(sum, m.0, m.1) + bias).clamp(-128, 127) as i8
                    })
                    .collect()
            }
            (Options::Add { act }, op::ADD) => {
                let x2 = get(o.inputs[1])?;
                let (s2, z2) = qp(g, o.inputs[1]);
                if x2.len() != x.len() {
                    return Err(unsupported(
                        o,
                        "with broadcasting is not in kiln's int8 runtime",
                    ));
                }
                let left_shift = 20;
                let twice_max = 2.0 * (s_in as f64).max(s2 as f64);
                let m1 = quantize_multiplier(s_in as f64 / twice_max);
                let m2 = quantize_multiplier(s2 as f64 / twice_max);
                let mo =
                    quantize_multiplier(twice_max / ((1i64 << left_shift) as f64 * s_out as f64));
                let (lo, hi) = act_range(*act, s_out, z_out);
                x.iter()
                    .zip(x2)
                    .map(|(&a, &b)| {
                        let a = mbqm((a as i32 - z_in) * (1 << left_shift), m1.0, m1.1);
                        let b = mbqm((b as i32 - z2) * (1 << left_shift), m2.0, m2.1);
                        (mbqm(a + b, mo.0, mo.1) + z_out).clamp(lo, hi) as i8
                    })
                    .collect()
            }
            (Options::Softmax { beta }, op::SOFTMAX) => {
                let c = *shape(o.outputs[0]).last().unwrap_or(&1);
                let mut y = Vec::with_capacity(x.len());
                for row in x.chunks(c.max(1)) {
                    let mx = row.iter().copied().max().unwrap_or(0) as f32;
                    let e: Vec<f32> = row
                        .iter()
                        .map(|&v| ((v as f32 - mx) * s_in * beta).exp())
                        .collect();
                    let sum: f32 = e.iter().sum();
                    y.extend(e.iter().map(|v| quantize_i8(v / sum, s_out, z_out as i64)));
                }
                y
            }
            (_, op::RESHAPE) => x.clone(),
            (_, op::PAD) => {
                let (xs, ys) = (shape(o.inputs[0]), shape(o.outputs[0]));
                let pads = consti32(o.inputs[1]);
                let mut y = vec![z_in as i8; ys.iter().product()];
                let (t, l) = (pads[2] as usize, pads[4] as usize);
                for iy in 0..xs[1] {
                    for ix in 0..xs[2] {
                        let src = &x[(iy * xs[2] + ix) * xs[3]..][..xs[3]];
                        let at = ((iy + t) * ys[2] + ix + l) * ys[3];
                        y[at..at + xs[3]].copy_from_slice(src);
                    }
                }
                y
            }
            _ => return Err(unsupported(o, "is not in kiln's int8 runtime")),
        })
    }
}

/// Rows/columns of padding before the input for SAME (TensorFlow's split), 0 for VALID.
fn pad_before(
    padding: Padding,
    xs: &[usize],
    ys: &[usize],
    k: (usize, usize),
    stride: (i32, i32),
    dilation: (i32, i32),
) -> (isize, isize) {
    if padding == Padding::Valid {
        return (0, 0);
    }
    let one = |i: usize, o: usize, k: usize, s: i32, d: i32| -> isize {
        let eff = (k as isize - 1) * d as isize + 1;
        (((o as isize - 1) * s as isize + eff - i as isize).max(0)) / 2
    };
    (
        one(xs[1], ys[1], k.0, stride.0, dilation.0),
        one(xs[2], ys[2], k.1, stride.1, dilation.1),
    )
}
