//! kiln::function graph optimization through the public API: optimized and unoptimized
//! traces give bit-identical outputs and variable effects, and the fused Adam update is
//! faster.

use std::time::Instant;

use kiln_tensor::function::{Function, FunctionOptions, TensorSpec, Value};
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

fn data(n: usize, seed: u32) -> Tensor {
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    let v: Vec<f32> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            ((s >> 8) as f32 / (1u32 << 24) as f32 - 0.45) * 4.0
        })
        .collect();
    Tensor::from_vec(v, &[n]).unwrap()
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|x| x.to_bits())
        .collect()
}

fn opts(optimize: bool) -> FunctionOptions {
    FunctionOptions {
        optimize,
        ..Default::default()
    }
}

/// A traced training step of a one-layer model with a tape inside, and an Adam update of
/// its weights written as tensor ops.
fn adam_step(
    optimize: bool,
    w: Variable,
    m: Variable,
    v: Variable,
) -> Function<impl Fn(&kiln_tensor::function::Args) -> kiln_tensor::Result<Value>> {
    let (b1, b2, lr, eps) = (0.9f64, 0.999f64, 1e-3f64, 1e-7f64);
    Function::with_options("adam_step", opts(optimize), move |a| {
        let x = a.tensor(0)?;
        let y = a.tensor(1)?;
        let tape = GradientTape::new();
        let wv = w.value();
        tape.watch(&wv);
        let pred = x.mul(&wv)?.tanh()?.mul(&x)?.add(&wv.sigmoid()?)?;
        let loss = pred.sub(&y)?.square()?.sum_all()?;
        let g = tape.gradient(&loss, &[&wv])?.remove(0).unwrap();
        let m_new = m.value().mul_scalar(b1)?.add(&g.mul_scalar(1.0 - b1)?)?;
        let v_new = v
            .value()
            .mul_scalar(b2)?
            .add(&g.mul(&g)?.mul_scalar(1.0 - b2)?)?;
        m.assign(&m_new)?;
        v.assign(&v_new)?;
        let m_hat = m_new.div_scalar(1.0 - b1.powi(3))?;
        let v_hat = v_new.div_scalar(1.0 - b2.powi(3))?;
        let upd = m_hat.div(&v_hat.sqrt()?.add_scalar(eps)?)?.mul_scalar(lr)?;
        w.assign_sub(&upd)?;
        Ok(Value::Tuple(vec![Value::from(loss), Value::from(g)]))
    })
}

fn vars(n: usize) -> (Variable, Variable, Variable) {
    (
        Variable::new(data(n, 1), "w", true),
        Variable::new(data(n, 2).mul_scalar(0.01).unwrap(), "m", false),
        Variable::new(data(n, 3).abs().unwrap(), "v", false),
    )
}

#[test]
fn optimized_training_step_matches_unoptimized_bit_for_bit() {
    let n = 1000;
    let (w1, m1, v1) = vars(n);
    let (w2, m2, v2) = vars(n);
    let fo = adam_step(true, w1.clone(), m1.clone(), v1.clone());
    let fu = adam_step(false, w2.clone(), m2.clone(), v2.clone());
    for step in 0..3 {
        let x = data(n, 10 + step);
        let y = data(n, 20 + step);
        let a = fo.call(&[x.clone().into(), y.clone().into()]).unwrap();
        let b = fu.call(&[x.into(), y.into()]).unwrap();
        let (a, b) = (a.items().unwrap(), b.items().unwrap());
        for k in 0..2 {
            assert_eq!(
                bits(a[k].as_tensor().unwrap()),
                bits(b[k].as_tensor().unwrap())
            );
        }
        for (p, q) in [(&w1, &w2), (&m1, &m2), (&v1, &v2)] {
            assert_eq!(
                bits(&p.value()),
                bits(&q.value()),
                "{} after step {step}",
                p.name()
            );
        }
    }
    let cf = &fo.concrete_functions()[0];
    let cu = &fu.concrete_functions()[0];
    assert!(cf.num_nodes() < cu.num_nodes(), "{}", cf.listing());
    assert!(cf.listing().contains("fused{"), "{}", cf.listing());
    assert_eq!(cf.listing_unoptimized(), cu.listing());
    assert_eq!(cu.listing_unoptimized(), cu.listing());
    println!(
        "adam step: {} nodes traced, {} after optimization\n{}",
        cu.num_nodes(),
        cf.num_nodes(),
        cf.listing()
    );
}

#[test]
fn optimized_functions_nest_and_differentiate_like_unoptimized_ones() {
    let make = |optimize: bool| {
        Function::with_options("inner", opts(optimize), |a| {
            let x = a.tensor(0)?;
            Ok::<_, kiln_tensor::Error>(Value::from(x.exp()?.mul_scalar(0.5)?.tanh()?.add(&x)?))
        })
    };
    let (io, iu) = (make(true), make(false));
    let x = data(64, 5);
    // Gradients through a call under an outer tape.
    let grad = |f: &Function<_>| {
        let xv = x.clone();
        let tape = GradientTape::new();
        tape.watch(&xv);
        let y = f.call(&[xv.clone().into()]).unwrap();
        let s = y.as_tensor().unwrap().sum_all().unwrap();
        tape.gradient(&s, &[&xv]).unwrap().remove(0).unwrap()
    };
    assert_eq!(bits(&grad(&io)), bits(&grad(&iu)));
    // Called from inside another trace: the outer graph sees every op.
    let outer = |inner: Function<_>| {
        Function::new("outer", move |a| {
            let y = inner.call(&[a.tensor(0)?.into()])?;
            Ok::<_, kiln_tensor::Error>(Value::from(y.as_tensor().unwrap().square()?))
        })
    };
    let (oo, ou) = (outer(io), outer(iu));
    for seed in [6, 7] {
        let x = data(64, seed);
        let a = oo.call(&[x.clone().into()]).unwrap();
        let b = ou.call(&[x.into()]).unwrap();
        assert_eq!(bits(a.as_tensor().unwrap()), bits(b.as_tensor().unwrap()));
    }
}

#[test]
fn fused_graphs_replay_at_relaxed_shapes() {
    let make = |optimize: bool| {
        Function::with_options(
            "f",
            FunctionOptions {
                input_signature: Some(vec![TensorSpec::new(&[None], DType::F32)]),
                optimize,
                ..Default::default()
            },
            |a| {
                let x = a.tensor(0)?;
                Ok::<_, kiln_tensor::Error>(Value::from(
                    x.sigmoid()?.mul(&x)?.add_scalar(1.0)?.log()?,
                ))
            },
        )
    };
    let (fo, fu) = (make(true), make(false));
    for n in [3, 10, 1, 200_000] {
        let x = data(n, n as u32);
        let a = fo.call(&[x.clone().into()]).unwrap();
        let b = fu.call(&[x.into()]).unwrap();
        assert_eq!(
            bits(a.as_tensor().unwrap()),
            bits(b.as_tensor().unwrap()),
            "n = {n}"
        );
    }
    assert_eq!(fo.experimental_get_tracing_count(), 1);
    assert!(fo.concrete_functions()[0].listing().contains("fused"));
}

/// An Adam update (as in a traced `apply_gradients`) over 4M f32 parameters: fused, the
/// update streams memory 3 times instead of once per op. Timing is printed; the assert
/// only guards against the optimized graph being slower (CI machines vary).
#[test]
fn fused_adam_update_over_4m_elements_is_not_slower() {
    let n = 4 << 20;
    let make = |optimize: bool| {
        let w = Variable::new(data(n, 1), "w", true);
        let m = Variable::new(Tensor::zeros(&[n], DType::F32), "m", false);
        let v = Variable::new(Tensor::zeros(&[n], DType::F32), "v", false);
        let (b1, b2, lr, eps) = (0.9f64, 0.999f64, 1e-3f64, 1e-7f64);
        let (wc, mc, vc) = (w.clone(), m.clone(), v.clone());
        let f = Function::with_options("adam", opts(optimize), move |a| {
            let g = a.tensor(0)?;
            let m_new = mc.value().mul_scalar(b1)?.add(&g.mul_scalar(1.0 - b1)?)?;
            let v_new = vc
                .value()
                .mul_scalar(b2)?
                .add(&g.mul(&g)?.mul_scalar(1.0 - b2)?)?;
            mc.assign(&m_new)?;
            vc.assign(&v_new)?;
            let m_hat = m_new.div_scalar(1.0 - b1)?;
            let v_hat = v_new.div_scalar(1.0 - b2)?;
            wc.assign_sub(&m_hat.div(&v_hat.sqrt()?.add_scalar(eps)?)?.mul_scalar(lr)?)?;
            Ok::<_, kiln_tensor::Error>(Value::None)
        });
        (f, w)
    };
    let g = data(n, 9);
    let (fo, wo) = make(true);
    let (fu, wu) = make(false);
    let time = |f: &dyn Fn()| {
        f();
        f(); // warm: traced, buffers cached
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            f();
            best = best.min(t.elapsed().as_secs_f64());
        }
        best
    };
    let t_opt = time(&|| {
        fo.call(&[g.clone().into()]).unwrap();
    });
    let t_unopt = time(&|| {
        fu.call(&[g.clone().into()]).unwrap();
    });
    // Interleave a second measurement of each to even out machine noise.
    let t_opt = t_opt.min(time(&|| {
        fo.call(&[g.clone().into()]).unwrap();
    }));
    let t_unopt = t_unopt.min(time(&|| {
        fu.call(&[g.clone().into()]).unwrap();
    }));
    println!(
        "adam update, 4M f32: optimize=true {:.2} ms, optimize=false {:.2} ms ({:.2}x)\n{}",
        t_opt * 1e3,
        t_unopt * 1e3,
        t_unopt / t_opt,
        fo.concrete_functions()[0].listing()
    );
    assert_eq!(
        bits(&wo.value()),
        bits(&wu.value()),
        "same number of steps, same result"
    );
    assert!(
        t_opt <= 1.1 * t_unopt,
        "optimized {t_opt:.4}s vs unoptimized {t_unopt:.4}s"
    );
}
