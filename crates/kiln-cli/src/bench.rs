//! `kiln bench ops`: single-op timings, one JSON line per bench.
//!
//! Bench names, inputs and the timing rule are those of `ops_peers.py` (the NumPy / PyTorch
//! peer script), so kiln's lines pair with the peers' lines by name:
//! `{"bench": NAME, "impl": "kiln", "seconds": S}` plus `"gflops"` for matmul and conv.
//! Each figure is the median wall time of one call after two warm-up calls, over at least
//! 5 calls and up to 1 second (at most 1000 calls).
//!
//! Every bench is a row of a table: a name, an optional flop count, and a `setup` function
//! that builds the inputs and returns the closure to time. A workload without a kiln bench
//! prints nothing: no figure is ever made up.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Result, Tensor};

/// The timed body of a bench.
pub type Body = Box<dyn FnMut() -> Result<()>>;

/// One benchmark: its peer-script name, its flop count (for GFLOP/s) and its setup.
pub struct Bench {
    /// Name shared with the peer script.
    pub name: &'static str,
    /// Floating-point operations per call, when GFLOP/s is meaningful.
    pub flops: Option<f64>,
    /// Builds the inputs and returns the body to time.
    pub setup: fn() -> Result<Body>,
}

/// Options of `kiln bench ops`.
#[derive(Debug, Default, clap::Args)]
pub struct OpsOptions {
    /// Only benches whose name contains SUBSTRING.
    #[arg(long, value_name = "SUBSTRING")]
    pub filter: Option<String>,
    /// Also run kiln-only benches (random generation, dropout, tiny-op overhead).
    #[arg(long)]
    pub extra: bool,
    /// Time budget per bench in seconds (the peers use 1.0).
    #[arg(
        long = "budget",
        value_name = "SECONDS",
        default_value_t = 1.0,
        allow_negative_numbers = true,
        value_parser = seconds
    )]
    pub budget_s: f64,
}

/// Parses `--budget`: a finite, non-negative number of seconds.
fn seconds(v: &str) -> std::result::Result<f64, String> {
    let s: f64 = v
        .parse()
        .map_err(|_| format!("'{v}' is not a number of seconds"))?;
    if !(s.is_finite() && s >= 0.0) {
        return Err(format!("{s} must be a non-negative number of seconds"));
    }
    Ok(s)
}

/// Standard-normal f32 inputs, like the peers' `rng.standard_normal` / `torch.randn`.
fn randn(g: &mut Generator, shape: &[usize]) -> Result<Tensor> {
    g.normal(shape, 0.0, 1.0, DType::F32)
}

fn unary(shape: &'static [usize], f: fn(&Tensor) -> Result<Tensor>) -> Result<Body> {
    let x = randn(&mut Generator::from_seed(0), shape)?;
    Ok(Box::new(move || {
        black_box(f(black_box(&x))?);
        Ok(())
    }))
}

fn binary(
    sa: &'static [usize],
    sb: &'static [usize],
    f: fn(&Tensor, &Tensor) -> Result<Tensor>,
) -> Result<Body> {
    let mut g = Generator::from_seed(0);
    let (a, b) = (randn(&mut g, sa)?, randn(&mut g, sb)?);
    Ok(Box::new(move || {
        black_box(f(black_box(&a), black_box(&b))?);
        Ok(())
    }))
}

/// Benches of ops kiln-tensor has now, in the peer script's order.
pub fn available() -> Vec<Bench> {
    vec![
        Bench {
            name: "add_f32_1m",
            flops: None,
            setup: || binary(&[1 << 20], &[1 << 20], |a, b| a.add(b)),
        },
        Bench {
            name: "add_f32_16m",
            flops: None,
            setup: || binary(&[1 << 24], &[1 << 24], |a, b| a.add(b)),
        },
        Bench {
            name: "exp_f32_16m",
            flops: None,
            setup: || unary(&[1 << 24], |x| x.exp()),
        },
        Bench {
            name: "sum_f32_16m",
            flops: None,
            setup: || unary(&[1 << 24], |x| x.sum_all()),
        },
        Bench {
            name: "add_bias_f32_128x1024",
            flops: None,
            setup: || binary(&[128, 1024], &[1024], |a, b| a.add(b)),
        },
    ]
}

/// kiln-only benches (no peer line): random generation, dropout and tiny-op overhead.
pub fn extra() -> Vec<Bench> {
    vec![
        Bench {
            name: "random_normal_f32_1m",
            flops: None,
            setup: || {
                let mut g = Generator::from_seed(0);
                Ok(Box::new(move || {
                    black_box(g.normal(&[1 << 20], 0.0, 1.0, DType::F32)?);
                    Ok(())
                }))
            },
        },
        Bench {
            name: "random_uniform_f32_1m",
            flops: None,
            setup: || {
                let mut g = Generator::from_seed(0);
                Ok(Box::new(move || {
                    black_box(g.uniform(&[1 << 20], 0.0, 1.0, DType::F32)?);
                    Ok(())
                }))
            },
        },
        Bench {
            name: "truncated_normal_f32_1m",
            flops: None,
            setup: || {
                let mut g = Generator::from_seed(0);
                Ok(Box::new(move || {
                    black_box(g.truncated_normal(&[1 << 20], 0.0, 1.0, DType::F32)?);
                    Ok(())
                }))
            },
        },
        Bench {
            name: "dropout_f32_1m",
            flops: None,
            setup: || {
                let mut g = Generator::from_seed(0);
                let x = randn(&mut g, &[1 << 20])?;
                Ok(Box::new(move || {
                    black_box(x.dropout(0.5, Some(&mut g))?);
                    Ok(())
                }))
            },
        },
        Bench {
            name: "add_f32_8",
            flops: None,
            setup: || binary(&[8], &[8], |a, b| a.add(b)),
        },
        Bench {
            name: "elementwise_chain_f32_4m",
            flops: None,
            setup: || elementwise_chain(false),
        },
        Bench {
            name: "elementwise_chain_f32_4m_compiled",
            flops: None,
            setup: || elementwise_chain(true),
        },
    ]
}

/// One training step of an elementwise model over 4M f32 parameters:
/// `loss = sum(gelu(x * w + b))`, its gradients for `w` and `b` under a tape, and a Keras
/// Adam update of both. Eager, or traced once with `kiln::function` (the update as the
/// optimizer's host op, as `compile(jit_compile=true)` runs it) and replayed.
fn elementwise_chain(compiled: bool) -> Result<Body> {
    use kiln::optimizers::{Adam, Optimizer};
    use kiln_tensor::function::{host_op, trace_concrete, Value};
    use kiln_tensor::{GradientTape, Variable};
    let n = 4 << 20;
    let mut g = Generator::from_seed(0);
    let x = randn(&mut g, &[n])?;
    let w = Variable::new(randn(&mut g, &[n])?, "w", true);
    let b = Variable::new(Tensor::zeros(&[n], DType::F32), "b", true);
    let mut adam = Adam::new(1e-3);
    let grads = {
        let (w, b) = (w.clone(), b.clone());
        move |x: &Tensor| -> Result<(Tensor, Tensor, Tensor)> {
            let tape = GradientTape::new();
            let loss = x.mul(&w.value())?.add(&b.value())?.gelu(false)?.sum_all()?;
            let mut gs = tape.gradient(&loss, &[&w, &b])?.into_iter();
            let missing = || kiln_tensor::Error::Trace("no gradient".into());
            let gw = gs.next().flatten().ok_or_else(missing)?;
            let gb = gs.next().flatten().ok_or_else(missing)?;
            Ok((loss, gw, gb))
        }
    };
    let to_err = |e: kiln::Error| kiln_tensor::Error::Trace(e.to_string());
    if !compiled {
        return Ok(Box::new(move || {
            let (loss, gw, gb) = grads(&x)?;
            adam.apply_gradients(&[(gw, w.clone()), (gb, b.clone())])
                .map_err(to_err)?;
            black_box(loss);
            Ok(())
        }));
    }
    let args = vec![Value::from(x)];
    let cf = trace_concrete("elementwise_chain", &args, |a| {
        let (loss, gw, gb) = grads(&a.tensor(0)?)?;
        host_op("apply_gradients", &[0, 1], &[gw, gb], &[])?;
        Ok::<_, kiln_tensor::Error>(Value::from(loss))
    })?;
    Ok(Box::new(move || {
        let vars = [w.clone(), b.clone()];
        let mut apply = |_: &str, idx: &[usize], gs: &[Tensor]| -> Result<Vec<Tensor>> {
            let pairs: Vec<(Tensor, Variable)> = idx
                .iter()
                .zip(gs)
                .map(|(&i, g)| (g.clone(), vars[i].clone()))
                .collect();
            adam.apply_gradients(&pairs).map_err(to_err)?;
            Ok(vec![])
        };
        black_box(cf.call_with(&args, &mut apply)?);
        Ok(())
    }))
}

/// Benches of composite workloads: matmul, relu, softmax, conv2d (forward and
/// forward+backward), max_pool2d, an MLP training step and an LSTM.
pub fn workload_benches() -> Vec<Bench> {
    workloads::benches()
}

/// Bench bodies for the composite workloads of [`workload_benches`].
pub mod workloads {
    use super::*;
    use kiln_tensor::ops::conv::Padding; // expected location of the conv padding enum
    use kiln_tensor::GradientTape;

    fn matmul(n: usize, k: usize, m: usize) -> Result<Body> {
        let mut g = Generator::from_seed(0);
        let (a, b) = (randn(&mut g, &[n, k])?, randn(&mut g, &[k, m])?);
        Ok(Box::new(move || {
            black_box(a.matmul(&b)?);
            Ok(())
        }))
    }

    // Convolution: batch 64, 28x28, 32 -> 64 channels, 3x3, 'same' (NHWC, kernel HWIO).
    const CONV_FLOPS: f64 = 2.0 * 64.0 * 28.0 * 28.0 * 64.0 * 32.0 * 9.0;

    fn conv_inputs() -> Result<(Tensor, Tensor)> {
        let mut g = Generator::from_seed(0);
        Ok((
            randn(&mut g, &[64, 28, 28, 32])?,
            randn(&mut g, &[3, 3, 32, 64])?,
        ))
    }

    pub fn benches() -> Vec<Bench> {
        vec![
            Bench {
                name: "matmul_f32_128",
                flops: Some(2.0 * 128f64.powi(3)),
                setup: || matmul(128, 128, 128),
            },
            Bench {
                name: "matmul_f32_512",
                flops: Some(2.0 * 512f64.powi(3)),
                setup: || matmul(512, 512, 512),
            },
            Bench {
                name: "matmul_f32_1024",
                flops: Some(2.0 * 1024f64.powi(3)),
                setup: || matmul(1024, 1024, 1024),
            },
            Bench {
                name: "matmul_f32_128x784x128",
                flops: Some(2.0 * 128.0 * 784.0 * 128.0),
                setup: || matmul(128, 784, 128),
            },
            Bench {
                name: "relu_f32_16m",
                flops: None,
                setup: || unary(&[1 << 24], |x| x.relu()),
            },
            Bench {
                name: "softmax_f32_256x1000",
                flops: None,
                setup: || unary(&[256, 1000], |x| x.softmax(-1)),
            },
            Bench {
                name: "conv2d_fwd_b64_28x28_32to64_k3",
                flops: Some(CONV_FLOPS),
                setup: || {
                    let (x, w) = conv_inputs()?;
                    Ok(Box::new(move || {
                        black_box(x.conv2d(&w, [1, 1], &Padding::Same, [1, 1], 1)?);
                        Ok(())
                    }))
                },
            },
            Bench {
                name: "maxpool2d_b64_28x28x64_p2",
                flops: None,
                setup: || {
                    let x = randn(&mut Generator::from_seed(0), &[64, 28, 28, 64])?;
                    Ok(Box::new(move || {
                        black_box(x.max_pool2d([2, 2], [2, 2], &Padding::Valid)?);
                        Ok(())
                    }))
                },
            },
            Bench {
                name: "conv2d_fwdbwd_b64_28x28_32to64_k3",
                flops: Some(3.0 * CONV_FLOPS),
                setup: || {
                    let (x, w) = conv_inputs()?;
                    Ok(Box::new(move || {
                        // y.backward(ones_like(y)) == gradient of sum(y) w.r.t. x and w.
                        let tape = GradientTape::new();
                        tape.watch(&x);
                        tape.watch(&w);
                        let y = x.conv2d(&w, [1, 1], &Padding::Same, [1, 1], 1)?;
                        black_box(tape.gradient(&y.sum_all()?, &[&x, &w])?);
                        Ok(())
                    }))
                },
            },
            Bench {
                name: "mlp_train_step_b128",
                flops: None,
                setup: mlp_train_step,
            },
            Bench {
                name: "lstm128_fwdbwd_b64_t100_f64",
                flops: None,
                setup: lstm_fwdbwd,
            },
            Bench {
                name: "transformer_block_fwdbwd_b32_s128_d128_h4",
                flops: None,
                setup: transformer_block_fwdbwd,
            },
        ]
    }

    /// One post-norm transformer encoder block as PyTorch's `TransformerEncoderLayer(128,
    /// 4, 512, dropout=0)`: `h = LN(x + MHA(x, x))`, `y = LN(h + Dense(Dense(h, 512,
    /// relu), 128))`, batch 32, 128 steps; forward and the gradient of `sum(y)` w.r.t.
    /// every weight.
    fn transformer_block_fwdbwd() -> Result<Body> {
        use kiln::layers::{Dense, LayerNormalization, LayerRef, MultiHeadAttention};
        let to_tensor_err = |e: kiln::Error| kiln_tensor::Error::InvalidArgument {
            op: "transformer_block",
            msg: e.to_string(),
        };
        kiln::utils::set_random_seed(0);
        let mut g = Generator::from_seed(0);
        let x = randn(&mut g, &[32, 128, 128])?;
        let mha = LayerRef::new(MultiHeadAttention::new(4, 32));
        let ln1 = LayerRef::new(LayerNormalization::new().epsilon(1e-5));
        let ln2 = LayerRef::new(LayerNormalization::new().epsilon(1e-5));
        let ff1 = LayerRef::new(Dense::new(512).activation("relu"));
        let ff2 = LayerRef::new(Dense::new(128));
        let layers = [
            mha.clone(),
            ln1.clone(),
            ln2.clone(),
            ff1.clone(),
            ff2.clone(),
        ];
        let block = move |x: &Tensor| -> kiln::Result<Tensor> {
            let a = mha.call(&[x.clone(), x.clone()][..])?;
            let h = ln1.call(&x.add(&a)?)?;
            let f = ff2.call(&ff1.call(&h)?)?;
            ln2.call(&h.add(&f)?)
        };
        let y = block(&x).map_err(to_tensor_err)?;
        black_box(y);
        let vars: Vec<kiln_tensor::Variable> =
            layers.iter().flat_map(|l| l.trainable_weights()).collect();
        Ok(Box::new(move || {
            let tape = GradientTape::new();
            let y = block(&x).map_err(to_tensor_err)?;
            let refs: Vec<&kiln_tensor::Variable> = vars.iter().collect();
            black_box(tape.gradient(&y.sum_all()?, &refs)?);
            Ok(())
        }))
    }

    /// One step of a 784-128-10 MLP (batch 128) through the Keras API:
    /// `model.train_on_batch` on `Sequential([Dense(128, relu), Dense(10)])` compiled with
    /// Adam and sparse categorical crossentropy from logits, as the PyTorch peer's step
    /// (forward, loss, backward, optimizer step).
    fn mlp_train_step() -> Result<Body> {
        use kiln::layers::Dense;
        use kiln::losses::SparseCategoricalCrossentropy;
        use kiln::models::{CompileArgs, Model};
        let to_tensor_err = |e: kiln::Error| kiln_tensor::Error::InvalidArgument {
            op: "mlp_train_step",
            msg: e.to_string(),
        };
        let mut g = Generator::from_seed(0);
        kiln::utils::set_random_seed(0);
        let mut model = Model::sequential(vec![
            Dense::new(128)
                .activation("relu")
                .input_shape(&[784])
                .into(),
            Dense::new(10).into(),
        ])
        .map_err(to_tensor_err)?;
        model
            .compile(
                CompileArgs::new()
                    .optimizer(kiln::optimizers::Adam::new(1e-3))
                    .loss(SparseCategoricalCrossentropy::new().from_logits(true)),
            )
            .map_err(to_tensor_err)?;
        let xb = randn(&mut g, &[128, 784])?;
        let yb = g.randint(&[128], 0, 10, DType::I64)?;
        Ok(Box::new(move || {
            let logs = model
                .train_on_batch(&xb, &yb, None)
                .map_err(to_tensor_err)?;
            black_box(&logs);
            Ok(())
        }))
    }

    /// LSTM, 64 features -> 128 units, 100 steps, batch 64: the `kiln::layers::LSTM` layer
    /// (`return_sequences`) over the sequence and the gradient of the sum of all outputs
    /// w.r.t. its weights, as `torch.nn.LSTM(64, 128)` with `out.sum().backward()`.
    fn lstm_fwdbwd() -> Result<Body> {
        let keras = |e: kiln::Error| kiln_tensor::Error::InvalidArgument {
            op: "bench lstm",
            msg: e.to_string(),
        };
        let mut g = Generator::from_seed(0);
        let (units, feat, batch, steps) = (128usize, 64usize, 64usize, 100usize);
        let lstm =
            kiln::layers::LayerRef::new(kiln::layers::LSTM::new(units).return_sequences(true));
        lstm.build(&[vec![None, Some(steps), Some(feat)]])
            .map_err(keras)?;
        let weights = lstm.trainable_weights();
        let x = randn(&mut g, &[batch, steps, feat])?;
        Ok(Box::new(move || {
            let tape = GradientTape::new();
            let y = lstm.call(&x).map_err(keras)?;
            let total = y.sum_all()?;
            black_box(tape.gradient(&total, &weights.iter().collect::<Vec<_>>())?);
            Ok(())
        }))
    }
}

/// Median wall time of one call of `body`: two warm-up calls, then at least 5 timed
/// calls, continuing until `budget_s` has passed (at most 1000 calls), as `ops_peers.py`.
pub fn median_time(body: &mut Body, budget_s: f64) -> Result<f64> {
    body()?;
    body()?;
    let mut times: Vec<f64> = Vec::new();
    let end = Instant::now() + Duration::from_secs_f64(budget_s);
    while times.len() < 5 || (Instant::now() < end && times.len() < 1000) {
        let t = Instant::now();
        body()?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// The JSON line for one result (`gflops` rounded to 2 decimals, as the peers).
pub fn json_line(name: &str, seconds: f64, flops: Option<f64>) -> String {
    let mut row = serde_json::json!({"bench": name, "impl": "kiln", "seconds": seconds});
    if let Some(f) = flops {
        row["gflops"] = serde_json::json!((f / seconds / 1e9 * 100.0).round() / 100.0);
    }
    row.to_string()
}

/// Runs the selected benches, printing one JSON line each to stdout; a bench that fails
/// is reported on stderr and counted. Returns the number of failures.
pub fn run_ops(opts: &OpsOptions) -> usize {
    let mut benches = available();
    benches.extend(workload_benches());
    if opts.extra {
        benches.extend(extra());
    }
    let mut failures = 0;
    for b in benches {
        if let Some(f) = &opts.filter
            && !b.name.contains(f.as_str())
        {
            continue;
        }
        let result = (b.setup)().and_then(|mut body| median_time(&mut body, opts.budget_s));
        match result {
            Ok(s) => println!("{}", json_line(b.name, s, b.flops)),
            Err(e) => {
                eprintln!("bench {}: {e}", b.name);
                failures += 1;
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_bodies_run() {
        let mut names: Vec<&str> = available()
            .iter()
            .chain(extra().iter())
            .map(|b| b.name)
            .collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
        // The small ones run quickly; the 16M ones are left to the real run.
        for b in available().into_iter().chain(extra()) {
            if b.name.contains("16m") {
                continue;
            }
            let mut body = (b.setup)().unwrap();
            let s = median_time(&mut body, 0.0).unwrap();
            assert!(s > 0.0);
        }
    }

    #[test]
    fn json_line_format() {
        let v: serde_json::Value =
            serde_json::from_str(&json_line("matmul_f32_128", 0.002, Some(4.0e6))).unwrap();
        assert_eq!(v["bench"], "matmul_f32_128");
        assert_eq!(v["impl"], "kiln");
        assert_eq!(v["seconds"], 0.002);
        assert_eq!(v["gflops"], 2.0);
        let v: serde_json::Value =
            serde_json::from_str(&json_line("add_f32_1m", 0.001, None)).unwrap();
        assert!(v.get("gflops").is_none());
    }
}
