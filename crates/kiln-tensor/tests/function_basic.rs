//! kiln_tensor::function: tracing, caching, replay, variable semantics.

use std::cell::Cell;
use std::rc::Rc;

use kiln_tensor::function::{Function, FunctionOptions, TensorSpec, Value};
use kiln_tensor::{DType, GradientTape, Tensor, Variable};

fn t(v: &[f32]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
}

fn out(v: &Value) -> Vec<f32> {
    v.as_tensor().unwrap().to_vec::<f32>().unwrap()
}

#[test]
fn traces_once_per_shape_and_replays_without_the_closure() {
    let prints = Rc::new(Cell::new(0));
    let p = prints.clone();
    let f = Function::new("f", move |a| {
        p.set(p.get() + 1);
        Ok::<_, kiln_tensor::Error>(Value::from(a.tensor(0)?.mul(&Tensor::scalar(2.0f32))?))
    });
    assert_eq!(
        out(&f.call(&[t(&[1.0, 2.0]).into()]).unwrap()),
        vec![2.0, 4.0]
    );
    assert_eq!(
        out(&f.call(&[t(&[3.0, 5.0]).into()]).unwrap()),
        vec![6.0, 10.0]
    );
    assert_eq!((f.experimental_get_tracing_count(), prints.get()), (1, 1));
    assert_eq!(
        out(&f.call(&[t(&[1.0, 2.0, 3.0]).into()]).unwrap()),
        vec![2.0, 4.0, 6.0]
    );
    assert_eq!((f.experimental_get_tracing_count(), prints.get()), (2, 2));
    let listing = f.concrete_functions()[0].listing();
    assert!(listing.contains("mul"), "{listing}");
}

#[test]
fn reading_a_traced_value_fails_and_is_not_cached() {
    let f = Function::new("f", |a| {
        let x = a.tensor(0)?;
        let s = x.sum_all()?.item::<f32>()?; // a Rust `if` on this would be frozen
        Ok::<_, kiln_tensor::Error>(Value::from(x.mul(&Tensor::scalar(s))?))
    });
    let e = f.call(&[t(&[1.0]).into()]).unwrap_err();
    assert!(e.to_string().contains("cond"), "{e}");
    assert_eq!(f.experimental_get_tracing_count(), 0);
}

#[test]
fn variable_writes_apply_once_per_call_and_captured_reads_see_updates() {
    let v = Variable::new(Tensor::scalar(1.0f32), "v", true);
    let c = v.clone();
    let f = Function::new("f", move |a| {
        c.assign_add(&a.tensor(0)?.sum_all()?)?;
        Ok::<_, kiln_tensor::Error>(Value::from(c.value()))
    });
    let y = f.call(&[t(&[1.0, 2.0]).into()]).unwrap();
    assert_eq!(y.as_tensor().unwrap().item::<f32>().unwrap(), 4.0);
    v.assign(&Tensor::scalar(10.0f32)).unwrap();
    let y = f.call(&[t(&[1.0, 2.0]).into()]).unwrap();
    assert_eq!(y.as_tensor().unwrap().item::<f32>().unwrap(), 13.0);
    assert_eq!(f.experimental_get_tracing_count(), 1);
}

#[test]
fn variables_created_on_first_call_trace_twice_later_creation_fails() {
    let slot: Rc<std::cell::RefCell<Option<Variable>>> = Rc::default();
    let s = slot.clone();
    let f = Function::new("f", move |a| {
        let x = a.tensor(0)?;
        if s.borrow().is_none() {
            *s.borrow_mut() = Some(Variable::new(Tensor::scalar(2.0f32), "w", true));
        }
        let w = s.borrow().clone().unwrap();
        Ok::<_, kiln_tensor::Error>(Value::from(x.mul(&w.value())?))
    });
    assert_eq!(
        out(&f.call(&[Tensor::scalar(3.0f32).into()]).unwrap()),
        vec![6.0]
    );
    assert_eq!(f.experimental_get_tracing_count(), 2);
    f.call(&[t(&[1.0, 1.0]).into()]).unwrap();
    assert_eq!(f.experimental_get_tracing_count(), 3);

    let g = Function::new("g", |a| {
        let v = Variable::new(Tensor::scalar(1.0f32), "fresh", true);
        Ok::<_, kiln_tensor::Error>(Value::from(a.tensor(0)?.add(&v.value())?))
    });
    assert!(g.call(&[Tensor::scalar(1.0f32).into()]).is_err());
    assert_eq!(g.experimental_get_tracing_count(), 1);
    assert!(g.call(&[Tensor::scalar(1.0f32).into()]).is_err());
    assert_eq!(g.experimental_get_tracing_count(), 1);
}

#[test]
fn input_signature_and_reduce_retracing() {
    let f = Function::with_options(
        "f",
        FunctionOptions {
            input_signature: Some(vec![TensorSpec::new(&[None], DType::F32)]),
            ..Default::default()
        },
        |a| Ok::<_, kiln_tensor::Error>(Value::from(a.tensor(0)?.add(&Tensor::scalar(1.0f32))?)),
    );
    assert_eq!(
        out(&f.call(&[t(&[1.0, 2.0]).into()]).unwrap()),
        vec![2.0, 3.0]
    );
    assert_eq!(
        out(&f.call(&[t(&[1.0, 2.0, 3.0]).into()]).unwrap()),
        vec![2.0, 3.0, 4.0]
    );
    let list = Value::List(vec![Value::Float(1.0), Value::Float(2.0)]);
    assert_eq!(out(&f.call(&[list]).unwrap()), vec![2.0, 3.0]);
    assert!(f
        .call(&[Tensor::zeros(&[1, 2], DType::F32).into()])
        .is_err());
    assert!(f.call(&[Tensor::zeros(&[2], DType::F64).into()]).is_err());
    assert_eq!(f.experimental_get_tracing_count(), 1);

    let g = Function::with_options(
        "g",
        FunctionOptions {
            reduce_retracing: true,
            ..Default::default()
        },
        |a| Ok::<_, kiln_tensor::Error>(Value::from(a.tensor(0)?.mul(&Tensor::scalar(2.0f32))?)),
    );
    let counts: Vec<usize> = [
        vec![2],
        vec![3],
        vec![4],
        vec![2],
        vec![2, 2],
        vec![3, 3],
        vec![],
    ]
    .iter()
    .map(|s: &Vec<usize>| {
        g.call(&[Tensor::ones(s, DType::F32).into()]).unwrap();
        g.experimental_get_tracing_count()
    })
    .collect();
    assert_eq!(counts, vec![1, 2, 2, 2, 3, 3, 3]);
}

#[test]
fn gradients_flow_through_a_replayed_function() {
    let f = Function::new("f", |a| {
        let x = a.tensor(0)?;
        Ok::<_, kiln_tensor::Error>(Value::from(x.mul(&x)?.sum_all()?))
    });
    for v in [[1.0f32, 2.0], [3.0, 4.0]] {
        let x = t(&v);
        let tape = GradientTape::new();
        tape.watch(&x);
        let y = f.call(&[x.clone().into()]).unwrap();
        let g = tape.gradient(y.as_tensor().unwrap(), &[&x]).unwrap();
        assert_eq!(
            g[0].as_ref().unwrap().to_vec::<f32>().unwrap(),
            vec![2.0 * v[0], 2.0 * v[1]]
        );
    }
}

#[test]
fn gradient_tape_inside_a_traced_function() {
    let f = Function::new("f", |a| {
        let x = a.tensor(0)?;
        let tape = GradientTape::new();
        tape.watch(&x);
        let y = x.mul(&x)?.sum_all()?;
        let g = tape.gradient(&y, &[&x])?;
        Ok::<_, kiln_tensor::Error>(Value::from(g[0].clone().unwrap()))
    });
    assert_eq!(
        out(&f.call(&[t(&[1.0, 2.0]).into()]).unwrap()),
        vec![2.0, 4.0]
    );
    assert_eq!(
        out(&f.call(&[t(&[5.0, -1.0]).into()]).unwrap()),
        vec![10.0, -2.0]
    );
    assert_eq!(f.experimental_get_tracing_count(), 1);
}

#[test]
fn same_tensor_passed_twice_is_two_inputs() {
    let f = Function::new("f", |a| {
        Ok::<_, kiln_tensor::Error>(Value::from(a.tensor(0)?.sub(&a.tensor(1)?)?))
    });
    let x = t(&[1.0, 2.0]);
    assert_eq!(
        out(&f.call(&[x.clone().into(), x.clone().into()]).unwrap()),
        vec![0.0, 0.0]
    );
    assert_eq!(
        out(&f.call(&[x.into(), t(&[1.0, 1.0]).into()]).unwrap()),
        vec![0.0, 1.0]
    );
}

#[test]
fn cond_branches_with_different_structures_are_an_error() {
    let f = Function::new("f", |a| {
        let x = a.tensor(0)?;
        let pred = x.sum_all()?.greater(&Tensor::scalar(0.0f32))?;
        kiln_tensor::function::cond(
            &pred,
            || Ok(Value::Tuple(vec![x.clone().into(), x.clone().into()])),
            || Ok(Value::from(x.neg()?)),
        )
    });
    let e = f.call(&[t(&[1.0, 2.0]).into()]).unwrap_err().to_string();
    assert!(e.contains("same structure"), "{e}");
    assert_eq!(f.experimental_get_tracing_count(), 0);
    // Eagerly (no trace) only one branch runs, as tf.cond does eagerly.
    let x = t(&[1.0]);
    let pred = x
        .sum_all()
        .unwrap()
        .greater(&Tensor::scalar(0.0f32))
        .unwrap();
    let v = kiln_tensor::function::cond(&pred, || Ok(Value::from(x.clone())), || Ok(Value::None))
        .unwrap();
    assert!(v.as_tensor().is_some());
}

#[test]
fn while_loop_body_changing_a_shape_is_an_error() {
    let f = Function::new("f", |a| {
        let x = a.tensor(0)?;
        let out = kiln_tensor::function::while_loop(
            |v| v[0].sum_all()?.less(&Tensor::scalar(100.0f32)),
            |v| Ok(vec![Tensor::concat(&[&v[0], &v[0]], 0)?]),
            &[x],
            None,
        )?;
        Ok::<_, kiln_tensor::Error>(Value::from(out[0].clone()))
    });
    let e = f.call(&[t(&[1.0, 2.0]).into()]).unwrap_err().to_string();
    assert!(e.contains("keeps its dtype and shape"), "{e}");
}

#[test]
fn concrete_function_rejects_another_dtype() {
    let f = Function::new("f", |a| {
        Ok::<_, kiln_tensor::Error>(Value::from(a.tensor(0)?.mul(&Tensor::scalar(2.0f32))?))
    });
    let cf = f.get_concrete_function(&[t(&[1.0]).into()]).unwrap();
    let bad = Tensor::from_vec(vec![1i32], &[1]).unwrap();
    assert!(cf
        .call(&[bad.into()])
        .unwrap_err()
        .to_string()
        .contains("traced for"));
}
