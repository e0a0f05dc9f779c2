//! Retracing parity with TensorFlow 2.21: the 51 `tf.function` cases of
//! `tools/golden/fixtures/tf_function.json` (made by `tools/golden/gen_tf_function.py`,
//! described in `tools/golden/TF_FUNCTION_CASES.md`), each written with
//! `kiln::function`. Every call must give TF's output (or fail where TF raised), TF's
//! tracing count, and TF's count of trace-time ("Python") prints.
//!
//! One `#[test]` runs every case in order, because `run_functions_eagerly` is process-wide.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use kiln::function::{
    cond, print_to, run_functions_eagerly, while_loop, Args, Function, FunctionOptions, ObjectId,
    Params, PrintArg, TensorSpec, Value,
};
use kiln::layers::Dense;
use kiln::models::Model;
use kiln::{DType, GradientTape, Tensor, Variable};
use serde_json::Value as Json;

type R = kiln_tensor::Result<Value>;
type CallFn = Box<dyn Fn(&str, &[Value], &[(&str, Value)]) -> R>;
type ObserveFn = Box<dyn Fn(&str) -> Option<Json>>;
type Body = Box<dyn Fn(&Args) -> R>;

/// One case written in Rust: how to call each target, and what to read back.
struct Case {
    call: CallFn,
    /// Tracing count of a labelled function.
    count: Box<dyn Fn(&str) -> usize>,
    /// Extra readings (`observed`).
    observe: ObserveFn,
    /// Trace-time prints so far.
    prints: Rc<Cell<usize>>,
    /// Run-time (`tf.print`) lines so far.
    tf_prints: Arc<Mutex<Vec<String>>>,
    /// Trace-time print lines.
    lines: Rc<RefCell<Vec<String>>>,
}

struct Env {
    prints: Rc<Cell<usize>>,
    lines: Rc<RefCell<Vec<String>>>,
    tf_prints: Arc<Mutex<Vec<String>>>,
}

impl Env {
    fn new() -> Env {
        Env {
            prints: Rc::new(Cell::new(0)),
            lines: Rc::default(),
            tf_prints: Arc::default(),
        }
    }
    /// A trace-time print (Python's `print` in the TF case).
    fn printer(&self) -> impl Fn(String) + Clone + 'static {
        let (p, l) = (self.prints.clone(), self.lines.clone());
        move |s: String| {
            p.set(p.get() + 1);
            l.borrow_mut().push(s);
        }
    }
    fn tf_sink(&self) -> Arc<dyn Fn(&str) + Send + Sync> {
        let l = self.tf_prints.clone();
        Arc::new(move |s: &str| l.lock().unwrap().push(s.to_string()))
    }
    fn case(
        self,
        call: impl Fn(&str, &[Value], &[(&str, Value)]) -> R + 'static,
        count: impl Fn(&str) -> usize + 'static,
        observe: impl Fn(&str) -> Option<Json> + 'static,
    ) -> Case {
        Case {
            call: Box::new(call),
            count: Box::new(count),
            observe: Box::new(observe),
            prints: self.prints,
            tf_prints: self.tf_prints,
            lines: self.lines,
        }
    }
}

fn none_observed(_: &str) -> Option<Json> {
    None
}

fn shape_str(s: &Option<Vec<Option<usize>>>) -> String {
    match s {
        None => "<unknown>".into(),
        Some(d) => {
            let parts: Vec<String> = d
                .iter()
                .map(|x| x.map_or("None".to_string(), |v| v.to_string()))
                .collect();
            if parts.len() == 1 {
                format!("({},)", parts[0])
            } else {
                format!("({})", parts.join(", "))
            }
        }
    }
}

fn static_shape(a: &Args, i: usize) -> String {
    shape_str(&a.static_shape(i).unwrap_or(None))
}

fn tensor_json(t: &Tensor) -> Json {
    let data: Vec<Json> = match t.dtype() {
        DType::Bool => t
            .to_f64_vec()
            .iter()
            .map(|&x| Json::from(x != 0.0))
            .collect(),
        _ => t.to_f64_vec().into_iter().map(Json::from).collect(),
    };
    serde_json::json!({"kind": "tensor", "shape": t.shape(), "dtype": t.dtype().name(), "data": data})
}

fn vjson(v: &Variable) -> Json {
    tensor_json(&v.value())
}

fn f32s(t: &Tensor, k: f64) -> kiln_tensor::Result<Tensor> {
    t.mul(&Tensor::scalar_of(k, t.dtype()))
}

/// A trivial one-function case: `body` gets the args; the function is labelled `label`.
fn simple(
    env: Env,
    label: &'static str,
    options: FunctionOptions,
    body: impl Fn(&Args, &dyn Fn(String)) -> R + 'static,
) -> Case {
    let pr = env.printer();
    let f = Rc::new(Function::with_options(label, options, move |a: &Args| {
        body(a, &pr)
    }));
    let (f1, f2) = (f.clone(), f.clone());
    env.case(
        move |_, args, kw| f1.call_kw(args, kw),
        move |_| f2.experimental_get_tracing_count(),
        none_observed,
    )
}

fn opts() -> FunctionOptions {
    FunctionOptions::default()
}

/// Python's `x * 2` for a Python number or a tensor `x`.
fn times(v: &Value, k: i64) -> R {
    Ok(match v {
        Value::Int(i) => Value::from(Tensor::scalar((i * k) as i32)),
        Value::Bool(b) => Value::from(Tensor::scalar((i64::from(*b) * k) as i32)),
        Value::Float(x) => Value::from(Tensor::scalar((x * k as f64) as f32)),
        Value::Tensor(t) => Value::from(t.mul(&Tensor::scalar_of(k as f64, t.dtype()))?),
        other => panic!("unexpected {other:?}"),
    })
}

/// A linear model with its own traced `__call__` (cases 22, 23).
struct Linear {
    w: Variable,
    b: Option<Variable>,
    call: Function<Body>,
}

impl Linear {
    fn new(with_bias: bool, pr: impl Fn(String) + 'static) -> Rc<Linear> {
        let w = Variable::new(
            Tensor::from_vec(vec![0.5f32, 0.5], &[2, 1]).unwrap(),
            "w",
            true,
        );
        let b = with_bias
            .then(|| Variable::new(Tensor::from_vec(vec![100.0f32], &[1]).unwrap(), "b", true));
        let (w2, b2) = (w.clone(), b.clone());
        let name = if with_bias {
            "LinearRegressionV2"
        } else {
            "LinearRegression"
        };
        let body: Body = Box::new(move |a: &Args| {
            pr(format!("trace {name}.__call__"));
            let y = a.tensor(0)?.matmul(&w2.value())?;
            Ok(Value::from(match &b2 {
                Some(b) => y.add(&b.value())?,
                None => y,
            }))
        });
        Rc::new(Linear {
            w,
            b,
            call: Function::new(&format!("{name}.__call__"), body),
        })
    }
    fn variables(&self) -> Vec<Variable> {
        let mut v = vec![self.w.clone()];
        v.extend(self.b.clone());
        v
    }
    fn step(&self, x: &Tensor, y: &Tensor) -> R {
        let tape = GradientTape::new();
        let pred = self.call.call(&[x.into()])?;
        let loss = y
            .sub(pred.as_tensor().unwrap())?
            .square()?
            .mean(&[], false)?;
        let vars = self.variables();
        let refs: Vec<&Variable> = vars.iter().collect();
        let grads = tape.gradient(&loss, &refs)?;
        for (v, g) in vars.iter().zip(grads) {
            v.assign_add(&g.unwrap().mul_scalar(-0.01)?)?;
        }
        Ok(Value::from(loss))
    }
}

fn xy() -> (Tensor, Tensor) {
    (
        Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]).unwrap(),
        Tensor::from_vec(vec![5.0f32, 11.0, 17.0], &[3, 1]).unwrap(),
    )
}

fn build(name: &str) -> Case {
    let env = Env::new();
    match name {
        "new_shapes" => simple(env, "f", opts(), |a, pr| {
            pr(format!("trace f {}", static_shape(a, 0)));
            Ok(Value::from(f32s(&a.tensor(0)?, 2.0)?))
        }),
        "new_dtypes" => simple(env, "f", opts(), |a, pr| {
            let x = a.tensor(0)?;
            pr(format!("trace f {}", x.dtype().name()));
            Ok(Value::from(x.add(&x)?))
        }),
        "python_scalars_vs_tensors" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            times(a.get(0)?, 3)
        }),
        "python_equal_literals_share_trace" | "python_equal_literals_float_first" => {
            simple(env, "f", opts(), |a, pr| {
                pr("trace f".into());
                times(a.get(0)?, 2)
            })
        }
        "numpy_arguments_are_tensors" | "scalar_shape_vs_rank1" => {
            simple(env, "f", opts(), |a, pr| {
                pr("trace f".into());
                times(a.get(0)?, 2)
            })
        }
        "input_signature_none_dim" => simple(
            env,
            "f",
            FunctionOptions {
                input_signature: Some(vec![TensorSpec::new(&[None], DType::F32)]),
                params: Some(Params::new(&["x"])),
                ..opts()
            },
            |a, pr| {
                pr(format!("trace f {}", static_shape(a, 0)));
                Ok(Value::from(f32s(&a.tensor(0)?, 2.0)?))
            },
        ),
        "input_signature_two_specs" => simple(
            env,
            "f",
            FunctionOptions {
                input_signature: Some(vec![
                    TensorSpec::new(&[None, Some(2)], DType::F32),
                    TensorSpec::exact(&[], DType::I32),
                ]),
                params: Some(Params::new(&["x", "n"])),
                ..opts()
            },
            |a, pr| {
                pr("trace f".into());
                Ok(Value::from(
                    a.tensor(0)?.mul(&a.tensor(1)?.cast(DType::F32)?)?,
                ))
            },
        ),
        "input_signature_unknown_rank" => simple(
            env,
            "f",
            FunctionOptions {
                input_signature: Some(vec![TensorSpec::unknown_rank(DType::F32)]),
                ..opts()
            },
            |a, pr| {
                pr(format!("trace f {}", static_shape(a, 0)));
                Ok(Value::from(f32s(&a.tensor(0)?, 2.0)?))
            },
        ),
        "reduce_retracing_rank1" => simple(
            env,
            "f",
            FunctionOptions {
                reduce_retracing: true,
                ..opts()
            },
            |a, pr| {
                pr(format!("trace f {}", static_shape(a, 0)));
                Ok(Value::from(f32s(&a.tensor(0)?, 2.0)?))
            },
        ),
        "reduce_retracing_rank2_dispatch" => simple(
            env,
            "f",
            FunctionOptions {
                reduce_retracing: true,
                ..opts()
            },
            |a, pr| {
                let s = a.static_shape(0)?;
                pr(format!("trace f {}", shape_str(&s)));
                let k = match s {
                    None => -1,
                    Some(d) => d.iter().filter(|x| x.is_none()).count() as i32,
                };
                Ok(Value::from(Tensor::scalar(k)))
            },
        ),
        "reduce_retracing_dtypes_and_python_args" => simple(
            env,
            "f",
            FunctionOptions {
                reduce_retracing: true,
                ..opts()
            },
            |a, pr| {
                pr(format!("trace f {} {}", static_shape(a, 0), a.i64(1)?));
                let x = a.tensor(0)?;
                Ok(Value::from(f32s(&x, a.f64(1)?)?))
            },
        ),
        "reduce_retracing_python_scalars" | "excessive_retracing_warning" => {
            let retr = name == "reduce_retracing_python_scalars";
            let pr = env.printer();
            let f = Rc::new(Function::with_options(
                "f",
                FunctionOptions {
                    reduce_retracing: retr,
                    ..opts()
                },
                move |a: &Args| {
                    pr(format!("trace f {}", a.i64(0)?));
                    Ok(Value::from(Tensor::scalar((a.i64(0)? + 1) as i32)))
                },
            ));
            let (f1, f2, f3) = (f.clone(), f.clone(), f.clone());
            env.case(
                move |_, args, kw| f1.call_kw(args, kw),
                move |_| f2.experimental_get_tracing_count(),
                move |k| match k {
                    "retracing_warnings" => Some(Json::from(f3.retracing_warnings().len())),
                    "last_warning_prefix" => Some(
                        f3.retracing_warnings()
                            .last()
                            .map(|w| {
                                let end = w.find(" calls to ").unwrap() + " calls to ".len();
                                Json::from(format!("{}<function>", &w[..end]))
                            })
                            .unwrap_or(Json::Null),
                    ),
                    _ => None,
                },
            )
        }
        "create_variables_once" => {
            let pr = env.printer();
            let slot: Rc<RefCell<Option<Variable>>> = Rc::default();
            let s = slot.clone();
            let f = Rc::new(Function::new("M.__call__", move |a: &Args| {
                pr(format!("trace M.__call__ {}", static_shape(a, 0)));
                if s.borrow().is_none() {
                    *s.borrow_mut() = Some(Variable::new(Tensor::scalar(2.0f32), "v", true));
                }
                let v = s.borrow().clone().unwrap();
                Ok(Value::from(v.value().mul(&a.tensor(0)?)?))
            }));
            let (f1, f2) = (f.clone(), f.clone());
            env.case(
                move |_, args, kw| f1.call_kw(args, kw),
                move |_| f2.experimental_get_tracing_count(),
                move |k| (k == "v").then(|| vjson(slot.borrow().as_ref().unwrap())),
            )
        }
        "create_variable_every_call_fails" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            let v = Variable::new(Tensor::scalar(1.0f32), "v", true);
            Ok(Value::from(v.value().add(&a.tensor(0)?)?))
        }),
        "print_side_effects" | "run_functions_eagerly" => {
            let sink = env.tf_sink();
            let add = name == "print_side_effects";
            simple(env, "f", opts(), move |a, pr| {
                let x = a.tensor(0)?;
                pr("python print".into());
                print_to(sink.clone(), &["x =".into(), PrintArg::from(&x)])?;
                Ok(Value::from(if add {
                    x.add(&Tensor::scalar(1.0f32))?
                } else {
                    f32s(&x, 2.0)?
                }))
            })
        }
        "python_list_append_side_effect" => {
            let list: Rc<RefCell<Vec<i32>>> = Rc::default();
            let l = list.clone();
            let pr = env.printer();
            let f = Rc::new(Function::new("f", move |a: &Args| {
                pr("trace f".into());
                l.borrow_mut().push(1);
                Ok(Value::from(f32s(&a.tensor(0)?, 1.0)?))
            }));
            let (f1, f2) = (f.clone(), f.clone());
            env.case(
                move |_, args, kw| f1.call_kw(args, kw),
                move |_| f2.experimental_get_tracing_count(),
                move |k| (k == "list_len").then(|| Json::from(list.borrow().len())),
            )
        }
        "python_iterator_frozen" => {
            let it = RefCell::new(vec![1.0f32, 2.0, 3.0].into_iter());
            simple(env, "f", opts(), move |a, pr| {
                pr("trace f".into());
                let n = it.borrow_mut().next().unwrap();
                Ok(Value::from(a.tensor(0)?.add(&Tensor::scalar(n))?))
            })
        }
        "nested_functions" => {
            let pr = env.printer();
            let pr2 = pr.clone();
            let inner = Rc::new(Function::new("inner", move |a: &Args| {
                pr2(format!("trace inner {}", static_shape(a, 0)));
                Ok(Value::from(a.tensor(0)?.add(&Tensor::scalar(1.0f32))?))
            }));
            let i2 = inner.clone();
            let outer = Rc::new(Function::new("outer", move |a: &Args| {
                pr(format!("trace outer {}", static_shape(a, 0)));
                let y = i2.call(&[a.tensor(0)?.into()])?;
                Ok(Value::from(f32s(y.as_tensor().unwrap(), 2.0)?))
            }));
            let (o1, o2, n1, n2) = (outer.clone(), outer, inner.clone(), inner);
            env.case(
                move |t, args, kw| match t {
                    "inner" => n1.call_kw(args, kw),
                    _ => o1.call_kw(args, kw),
                },
                move |t| match t {
                    "inner" => n2.experimental_get_tracing_count(),
                    _ => o2.experimental_get_tracing_count(),
                },
                none_observed,
            )
        }
        "keras_model_in_function" => {
            let m = Model::sequential(vec![Dense::new(2)
                .activation("relu")
                .input_shape(&[3])
                .into()])
            .unwrap();
            m.set_weights(&[
                Tensor::from_vec(vec![1.0f32, 0.5, -1.0, 0.25, 0.5, -0.5], &[3, 2]).unwrap(),
                Tensor::from_vec(vec![0.1f32, -0.2], &[2]).unwrap(),
            ])
            .unwrap();
            simple(env, "f", opts(), move |a, pr| {
                pr(format!("trace f {}", static_shape(a, 0)));
                let y = m
                    .call(&a.tensor(0)?)
                    .map_err(|e| kiln_tensor::Error::Trace(e.to_string()))?;
                Ok(Value::from(y))
            })
        }
        "method_traced_per_instance" => {
            let mk = |k: f32, pr: Box<dyn Fn(String)>| {
                Rc::new(Function::new("A.__call__", move |a: &Args| {
                    pr(format!("trace A.__call__ k={k:?} {}", static_shape(a, 0)));
                    Ok(Value::from(a.tensor(0)?.mul(&Tensor::scalar(k))?))
                }))
            };
            let fa = mk(2.0, Box::new(env.printer()));
            let fb = mk(3.0, Box::new(env.printer()));
            let (a1, a2, b1, b2) = (fa.clone(), fa, fb.clone(), fb);
            env.case(
                move |t, args, kw| match t {
                    "b.__call__" => b1.call_kw(args, kw),
                    _ => a1.call_kw(args, kw),
                },
                move |t| match t {
                    "a.__call__" => a2.experimental_get_tracing_count(),
                    "b.__call__" => b2.experimental_get_tracing_count(),
                    // Rust has no class attribute holding a function of its own.
                    _ => 0,
                },
                none_observed,
            )
        }
        "stale_trace_global_model" => {
            let pr = env.printer();
            let first = Linear::new(false, pr.clone());
            let current: Rc<RefCell<Rc<Linear>>> = Rc::new(RefCell::new(first.clone()));
            let cur = current.clone();
            let pr2 = pr.clone();
            let f = Rc::new(Function::new("train_step", move |_a: &Args| {
                pr2("trace train_step".into());
                let (x, y) = xy();
                let m = cur.borrow().clone();
                m.step(&x, &y)
            }));
            let (f1, f2) = (f.clone(), f);
            let calls = Rc::new(Cell::new(0));
            let c2 = calls.clone();
            let cur2 = current.clone();
            env.case(
                move |_, args, kw| {
                    c2.set(c2.get() + 1);
                    if c2.get() == 3 {
                        // Rebind the global: the stale trace keeps training the first model.
                        *cur2.borrow_mut() = Linear::new(true, pr.clone());
                    }
                    f1.call_kw(args, kw)
                },
                move |_| f2.experimental_get_tracing_count(),
                move |k| match k {
                    "first_model_vars" => Some(Json::from(
                        first.variables().iter().map(vjson).collect::<Vec<_>>(),
                    )),
                    "current_model_vars" => Some(Json::from(
                        current
                            .borrow()
                            .variables()
                            .iter()
                            .map(vjson)
                            .collect::<Vec<_>>(),
                    )),
                    _ => None,
                },
            )
        }
        "model_as_argument_retraces" => {
            let pr = env.printer();
            let models: Rc<RefCell<HashMap<ObjectId, Rc<Linear>>>> = Rc::default();
            let ms = models.clone();
            let pr2 = pr.clone();
            let f = Rc::new(Function::new("train_step", move |a: &Args| {
                pr2("trace train_step".into());
                let Value::Object(id) = a.get(0)? else {
                    panic!("model expected")
                };
                let m = ms.borrow()[id].clone();
                let (x, y) = xy();
                m.step(&x, &y)
            }));
            let (f1, f2) = (f.clone(), f);
            let last: Rc<Cell<Option<ObjectId>>> = Rc::default();
            let l2 = last.clone();
            let m2 = models.clone();
            env.case(
                move |_, args, kw| {
                    if let Some(Value::Object(id)) = args.first() {
                        l2.set(Some(*id));
                        m2.borrow_mut()
                            .entry(*id)
                            .or_insert_with(|| Linear::new(m2_label(*id), pr.clone()));
                    }
                    f1.call_kw(args, kw)
                },
                move |_| f2.experimental_get_tracing_count(),
                move |k| {
                    (k == "vars").then(|| {
                        let m = models.borrow()[&last.get().unwrap()].clone();
                        Json::from(m.variables().iter().map(vjson).collect::<Vec<_>>())
                    })
                },
            )
        }
        "python_object_argument_identity" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            Ok(Value::from(a.tensor(1)?.add(&Tensor::scalar(1.0f32))?))
        }),
        "closure_python_scalar_frozen" => {
            let scale = Rc::new(Cell::new(2.0f32));
            let s = scale.clone();
            let pr = env.printer();
            let f = Rc::new(Function::new("f", move |a: &Args| {
                pr("trace f".into());
                Ok(Value::from(a.tensor(0)?.mul(&Tensor::scalar(s.get()))?))
            }));
            let (f1, f2) = (f.clone(), f);
            env.case(
                move |_, args, kw| {
                    let r = f1.call_kw(args, kw);
                    scale.set(3.0);
                    r
                },
                move |_| f2.experimental_get_tracing_count(),
                none_observed,
            )
        }
        "closure_tensor_rebind_frozen" => {
            let t = Rc::new(RefCell::new(Tensor::scalar(2.0f32)));
            let t2 = t.clone();
            let pr = env.printer();
            let f = Rc::new(Function::new("f", move |a: &Args| {
                pr("trace f".into());
                Ok(Value::from(a.tensor(0)?.mul(&t2.borrow())?))
            }));
            let (f1, f2) = (f.clone(), f);
            env.case(
                move |_, args, kw| {
                    let r = f1.call_kw(args, kw);
                    *t.borrow_mut() = Tensor::scalar(3.0f32);
                    r
                },
                move |_| f2.experimental_get_tracing_count(),
                none_observed,
            )
        }
        "closure_variable_sees_updates" => {
            let v = Variable::new(Tensor::scalar(2.0f32), "v", true);
            let v2 = v.clone();
            let pr = env.printer();
            let f = Rc::new(Function::new("f", move |a: &Args| {
                pr("trace f".into());
                Ok(Value::from(a.tensor(0)?.mul(&v2.value())?))
            }));
            let (f1, f2) = (f.clone(), f);
            env.case(
                move |_, args, kw| {
                    let r = f1.call_kw(args, kw);
                    v.assign(&Tensor::scalar(3.0f32)).unwrap();
                    r
                },
                move |_| f2.experimental_get_tracing_count(),
                none_observed,
            )
        }
        "variable_assign_inside" => {
            let v = Variable::new(
                Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap(),
                "v",
                true,
            );
            let v2 = v.clone();
            let pr = env.printer();
            let f = Rc::new(Function::new("f", move |a: &Args| {
                pr("trace f".into());
                v2.assign_add(&a.tensor(0)?)?;
                Ok(Value::from(v2.read_value().mul_scalar(10.0)?))
            }));
            let (f1, f2) = (f.clone(), f);
            env.case(
                move |_, args, kw| f1.call_kw(args, kw),
                move |_| f2.experimental_get_tracing_count(),
                move |k| (k == "v").then(|| vjson(&v)),
            )
        }
        "variable_as_argument" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            Ok(Value::from(f32s(&a.tensor(0)?, 2.0)?))
        }),
        "python_bool_branch" => simple(
            env,
            "f",
            FunctionOptions {
                params: Some(Params::new(&["x", "training"])),
                ..opts()
            },
            |a, pr| {
                pr(format!("trace f {}", a.bool(1)?));
                let x = a.tensor(0)?;
                Ok(Value::from(if a.bool(1)? {
                    f32s(&x, 2.0)?
                } else {
                    x.sub(&Tensor::scalar(1.0f32))?
                }))
            },
        ),
        "python_int_unrolled_loop" => simple(env, "f", opts(), |a, pr| {
            pr(format!("trace f {}", a.i64(1)?));
            let mut x = a.tensor(0)?;
            for _ in 0..a.i64(1)? {
                x = f32s(&x, 2.0)?;
            }
            Ok(Value::from(x))
        }),
        "tensor_if_autograph" | "tf_cond" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            let x = a.tensor(0)?;
            let pred = x.sum_all()?.greater(&Tensor::scalar(0.0f32))?;
            cond(
                &pred,
                || Ok(Value::from(f32s(&x, 2.0)?)),
                || Ok(Value::from(x.neg()?)),
            )
        }),
        "tf_while_loop" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            let (x, n) = (a.tensor(0)?, a.tensor(1)?);
            let out = while_loop(
                |v| v[0].less(&n),
                |v| Ok(vec![v[0].add(&Tensor::scalar(1i32))?, f32s(&v[1], 2.0)?]),
                &[Tensor::scalar(0i32), x],
                None,
            )?;
            Ok(Value::Tuple(out.into_iter().map(Value::from).collect()))
        }),
        "autograph_while_tensor" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            let n = a.tensor(0)?;
            let out = while_loop(
                |v| v[0].less(&n),
                |v| {
                    Ok(vec![
                        v[0].add(&Tensor::scalar(1i32))?,
                        v[1].add(&v[0].mul(&v[0])?)?,
                    ])
                },
                &[Tensor::scalar(0i32), Tensor::scalar(0i32)],
                None,
            )?;
            Ok(Value::from(out[1].clone()))
        }),
        "autograph_for_tf_range" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            let (x, n) = (a.tensor(0)?, a.tensor(1)?);
            let out = while_loop(
                |v| v[0].less(&n),
                |v| {
                    Ok(vec![
                        v[0].add(&Tensor::scalar(1i32))?,
                        v[1].add(&x.mul(&v[0].cast(DType::F32)?)?)?,
                    ])
                },
                &[Tensor::scalar(0i32), x.zeros_like()],
                None,
            )?;
            Ok(Value::from(out[1].clone()))
        }),
        "gradient_tape_inside" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            let x = a.tensor(0)?;
            let tape = GradientTape::new();
            tape.watch(&x);
            let y = x.mul(&x)?.mul(&x)?;
            let g = tape.gradient(&y, &[&x])?;
            Ok(Value::Tuple(vec![y.into(), g[0].clone().unwrap().into()]))
        }),
        "gradient_through_function" => {
            let pr = env.printer();
            let f = Rc::new(Function::new("f", move |a: &Args| {
                pr("trace f".into());
                let x = a.tensor(0)?;
                Ok(Value::from(x.mul(&x)?.add(&f32s(&x, 3.0)?)?.sum_all()?))
            }));
            let (f1, f2) = (f.clone(), f);
            env.case(
                move |_, args, _| {
                    let tape = GradientTape::new();
                    let (y, g) = match &args[0] {
                        Value::Variable(v) => {
                            let y = f1.call(args)?;
                            let g = tape.gradient(y.as_tensor().unwrap(), &[v])?;
                            (y, g)
                        }
                        Value::Tensor(x) => {
                            tape.watch(x);
                            let y = f1.call(args)?;
                            let g = tape.gradient(y.as_tensor().unwrap(), &[x])?;
                            (y, g)
                        }
                        other => panic!("unexpected {other:?}"),
                    };
                    Ok(Value::Tuple(vec![y, g[0].clone().unwrap().into()]))
                },
                move |_| f2.experimental_get_tracing_count(),
                none_observed,
            )
        }
        "structure_list_tuple_dict" => simple(env, "f", opts(), |a, pr| {
            let xs = a.get(0)?;
            let items: Vec<Tensor> = match xs {
                Value::Dict(_) => {
                    pr("trace f dict 2".into());
                    vec![
                        xs.get("a").unwrap().as_tensor().unwrap().clone(),
                        xs.get("b").unwrap().as_tensor().unwrap().clone(),
                    ]
                }
                _ => {
                    let kind = if matches!(xs, Value::List(_)) {
                        "list"
                    } else {
                        "tuple"
                    };
                    pr(format!("trace f {kind} {}", xs.items().unwrap().len()));
                    xs.tensors().into_iter().cloned().collect()
                }
            };
            let mut acc = items[0].clone();
            for t in &items[1..] {
                acc = acc.add(t)?;
            }
            Ok(Value::from(acc))
        }),
        "structure_nested_with_python_leaf" => simple(env, "f", opts(), |a, pr| {
            let items = a.get(0)?.items().unwrap().to_vec();
            pr(format!("trace f {}", items[1].as_i64().unwrap()));
            let t = items[0].as_tensor().unwrap();
            Ok(Value::from(f32s(t, items[1].as_f64().unwrap())?))
        }),
        "keyword_arguments" => simple(
            env,
            "f",
            FunctionOptions {
                params: Some(Params::new(&["x", "y"]).default("scale", 2.0)),
                ..opts()
            },
            |a, pr| {
                pr("trace f".into());
                let s = a.tensor(0)?.add(&a.tensor(1)?)?;
                Ok(Value::from(match a.get(2)? {
                    Value::Tensor(t) => s.mul(t)?,
                    v => f32s(&s, v.as_f64().unwrap())?,
                }))
            },
        ),
        "optional_none_argument" => simple(
            env,
            "f",
            FunctionOptions {
                params: Some(Params::new(&["x"]).default("b", Value::None)),
                ..opts()
            },
            |a, pr| {
                pr(format!("trace f {}", a.get(1)?.is_none()));
                let x = a.tensor(0)?;
                Ok(Value::from(match a.get(1)? {
                    Value::None => x,
                    _ => x.add(&a.tensor(1)?)?,
                }))
            },
        ),
        "get_concrete_function" => {
            let pr = env.printer();
            let f = Rc::new(Function::new("f", move |a: &Args| {
                pr(format!("trace f {}", static_shape(a, 0)));
                Ok(Value::from(f32s(&a.tensor(0)?, 2.0)?))
            }));
            let cf = f
                .get_concrete_function_for(
                    &[TensorSpec::new(&[None], DType::F32)],
                    &[Tensor::from_vec(vec![0.0f32], &[1]).unwrap().into()],
                )
                .unwrap();
            assert_eq!(f.experimental_get_tracing_count(), 1);
            let (f1, f2) = (f.clone(), f);
            env.case(
                move |t, args, kw| match t {
                    "cf" => cf.call(args),
                    _ => f1.call_kw(args, kw),
                },
                move |_| f2.experimental_get_tracing_count(),
                none_observed,
            )
        }
        "error_while_tracing_not_cached" => simple(env, "f", opts(), |a, pr| {
            pr(format!("trace f {}", a.bool(1)?));
            if a.bool(1)? {
                return Err(kiln_tensor::Error::Trace("boom".into()));
            }
            Ok(Value::from(a.tensor(0)?.add(&Tensor::scalar(1.0f32))?))
        }),
        "function_objects_are_independent" => {
            let pr = env.printer();
            let g = move |a: &Args| -> R {
                pr("trace g".into());
                Ok(Value::from(f32s(&a.tensor(0)?, 2.0)?))
            };
            let f1 = Rc::new(Function::new("f1", g.clone()));
            let f2 = Rc::new(Function::new("f2", g));
            let (a1, a2, b1, b2) = (f1.clone(), f1, f2.clone(), f2);
            env.case(
                move |t, args, kw| match t {
                    "f2" => b1.call_kw(args, kw),
                    _ => a1.call_kw(args, kw),
                },
                move |t| match t {
                    "f2" => b2.experimental_get_tracing_count(),
                    _ => a2.experimental_get_tracing_count(),
                },
                none_observed,
            )
        }
        "python_values_in_output" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            Ok(Value::Dict(vec![
                ("a".into(), f32s(&a.tensor(0)?, 2.0)?.into()),
                ("b".into(), Value::Int(3)),
                ("c".into(), Value::None),
            ]))
        }),
        "python_list_of_floats_is_literal" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            let xs = a.get(0)?;
            let t = match xs {
                Value::List(items) => Tensor::from_vec(
                    items.iter().map(|v| v.as_f64().unwrap() as f32).collect(),
                    &[items.len()],
                )?,
                _ => a.tensor(0)?,
            };
            Ok(Value::from(t.sum_all()?))
        }),
        "autograph_false_tensor_condition_error" => simple(env, "f", opts(), |a, pr| {
            pr("trace f".into());
            let x = a.tensor(0)?;
            let positive = x
                .sum_all()?
                .greater(&Tensor::scalar(0.0f32))?
                .item::<bool>()?;
            Ok(Value::from(if positive { x } else { x.neg()? }))
        }),
        other => panic!("no Rust version of case {other}"),
    }
}

/// Models of case 23 are made on first sight: m1 without bias, m2 with.
fn m2_label(id: ObjectId) -> bool {
    thread_local! {
        static SEEN: RefCell<Vec<ObjectId>> = const { RefCell::new(Vec::new()) };
    }
    SEEN.with(|s| {
        let mut s = s.borrow_mut();
        if !s.contains(&id) {
            s.push(id);
        }
        s.iter().position(|x| *x == id).unwrap() == 1
    })
}

// ----- the driver ------------------------------------------------------------------

struct Inputs {
    vars: HashMap<String, Variable>,
    objects: HashMap<String, ObjectId>,
}

fn tensor_from(j: &Json) -> Tensor {
    let shape: Vec<usize> = j["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f64> = j["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x.as_f64()
                .unwrap_or_else(|| f64::from(u8::from(x.as_bool().unwrap())))
        })
        .collect();
    let dtype = DType::parse(j["dtype"].as_str().unwrap()).unwrap();
    Tensor::from_vec(data, &shape).unwrap().cast(dtype).unwrap()
}

fn value_from(j: &Json, inp: &mut Inputs) -> Value {
    match j["kind"].as_str().unwrap() {
        "tensor" => Value::Tensor(tensor_from(j)),
        "ndarray" | "numpy_scalar" => Value::Array(tensor_from(j)),
        "variable" => {
            let label = j["label"].as_str().unwrap().to_string();
            let v = inp
                .vars
                .entry(label.clone())
                .or_insert_with(|| Variable::new(tensor_from(j), &label, true));
            Value::Variable(v.clone())
        }
        "python" => match j["type"].as_str().unwrap() {
            "int" => Value::Int(j["value"].as_i64().unwrap()),
            "float" => Value::Float(j["value"].as_f64().unwrap()),
            "bool" => Value::Bool(j["value"].as_bool().unwrap()),
            "none" => Value::None,
            "str" => Value::Str(j["value"].as_str().unwrap().into()),
            t => panic!("python type {t}"),
        },
        "list" => Value::List(items(j, inp)),
        "tuple" => Value::Tuple(items(j, inp)),
        "dict" => Value::Dict(
            j["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|kv| (kv[0].as_str().unwrap().to_string(), value_from(&kv[1], inp)))
                .collect(),
        ),
        "object" => {
            let label = j["label"].as_str().unwrap().to_string();
            Value::Object(*inp.objects.entry(label).or_insert_with(ObjectId::fresh))
        }
        k => panic!("input kind {k}"),
    }
}

fn items(j: &Json, inp: &mut Inputs) -> Vec<Value> {
    j["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| value_from(x, inp))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-6 * b.abs().max(1e-30) || (a.is_nan() && b.is_nan())
}

fn check_output(got: &Value, want: &Json, ctx: &str) {
    match want["kind"].as_str().unwrap() {
        "tensor" => {
            let t = got
                .as_tensor()
                .unwrap_or_else(|| panic!("{ctx}: expected a tensor, got {got:?}"));
            let w = tensor_from(want);
            assert_eq!(t.dtype(), w.dtype(), "{ctx}: dtype");
            assert_eq!(t.shape(), w.shape(), "{ctx}: shape");
            let (a, b) = (t.to_f64_vec(), w.to_f64_vec());
            assert!(
                a.iter().zip(&b).all(|(x, y)| close(*x, *y)),
                "{ctx}: got {a:?}, TF gave {b:?}"
            );
        }
        "none" => assert!(got.is_none(), "{ctx}: expected None, got {got:?}"),
        "tuple" | "list" => {
            let g = got
                .items()
                .unwrap_or_else(|| panic!("{ctx}: expected a sequence, got {got:?}"));
            let w = want["items"].as_array().unwrap();
            assert_eq!(g.len(), w.len(), "{ctx}: length");
            for (i, (x, y)) in g.iter().zip(w).enumerate() {
                check_output(x, y, &format!("{ctx}[{i}]"));
            }
        }
        "dict" => {
            let w = want["items"].as_array().unwrap();
            for kv in w {
                let k = kv[0].as_str().unwrap();
                let x = got
                    .get(k)
                    .unwrap_or_else(|| panic!("{ctx}: missing key {k} in {got:?}"));
                check_output(x, &kv[1], &format!("{ctx}[{k:?}]"));
            }
        }
        k => panic!("{ctx}: output kind {k}"),
    }
}

fn check_json(got: &Json, want: &Json, ctx: &str) {
    match (got, want) {
        (Json::Array(a), Json::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{ctx}: length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                check_json(x, y, &format!("{ctx}[{i}]"));
            }
        }
        (Json::Object(a), Json::Object(b)) => {
            for (k, y) in b {
                let x = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{ctx}: missing {k} in {got}"));
                check_json(x, y, &format!("{ctx}.{k}"));
            }
        }
        (Json::Number(a), Json::Number(b)) => assert!(
            close(a.as_f64().unwrap(), b.as_f64().unwrap()),
            "{ctx}: got {a}, TF gave {b}"
        ),
        _ => assert_eq!(got, want, "{ctx}"),
    }
}

fn run_case(case_json: &Json) {
    let name = case_json["name"].as_str().unwrap();
    let primary = case_json["primary"].as_str().unwrap();
    let case = build(name);
    let mut inp = Inputs {
        vars: HashMap::new(),
        objects: HashMap::new(),
    };
    if name == "run_functions_eagerly" {
        run_functions_eagerly(true);
    }
    for (ci, call) in case_json["calls"].as_array().unwrap().iter().enumerate() {
        let ctx = format!("{name} call {}", ci + 1);
        if name == "run_functions_eagerly" && ci == 3 {
            run_functions_eagerly(false);
        }
        let target = call["target"].as_str().unwrap();
        let args: Vec<Value> = call["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| value_from(a, &mut inp))
            .collect();
        let kw_owned: Vec<(String, Value)> = call["kwargs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), value_from(v, &mut inp)))
            .collect();
        let kw: Vec<(&str, Value)> = kw_owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let got = (case.call)(target, &args, &kw);
        match (&got, call.get("error")) {
            (Ok(v), None) => check_output(v, &call["output"], &ctx),
            (Err(_), Some(_)) => {}
            (Ok(v), Some(e)) => panic!("{ctx}: TF raised {e}, kiln returned {v:?}"),
            (Err(e), None) => panic!("{ctx}: kiln failed: {e}"),
        }
        assert_eq!(
            (case.count)(primary),
            call["tracing_count"].as_u64().unwrap() as usize,
            "{ctx}: tracing count of {primary}"
        );
        assert_eq!(
            case.prints.get(),
            call["python_prints"].as_u64().unwrap() as usize,
            "{ctx}: trace-time prints ({:?})",
            case.lines.borrow()
        );
        if let Some(tc) = call.get("tracing_counts").and_then(Json::as_object) {
            for (label, n) in tc {
                assert_eq!(
                    (case.count)(label),
                    n.as_u64().unwrap() as usize,
                    "{ctx}: tracing count of {label}"
                );
            }
        }
        if let Some(n) = call.get("tf_prints") {
            assert_eq!(
                case.tf_prints.lock().unwrap().len(),
                n.as_u64().unwrap() as usize,
                "{ctx}: run-time prints"
            );
        }
        if let Some(obs) = call.get("observed").and_then(Json::as_object) {
            for (k, want) in obs {
                if k == "signatures" || k == "functions_run_eagerly" {
                    continue;
                }
                let got = (case.observe)(k)
                    .unwrap_or_else(|| panic!("{ctx}: the Rust case cannot observe {k}"));
                check_json(&got, want, &format!("{ctx}: observed {k}"));
            }
        }
    }
    if let Some(lines) = case_json.get("tf_print_lines").and_then(Json::as_array) {
        let want: Vec<&str> = lines.iter().map(|l| l.as_str().unwrap()).collect();
        assert_eq!(
            *case.tf_prints.lock().unwrap(),
            want,
            "{name}: tf.print lines"
        );
    }
    run_functions_eagerly(false);
}

#[test]
fn tf_function_cases_match_tensorflow() {
    let path = format!(
        "{}/../../tools/golden/fixtures/tf_function.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(doc["tf_version"], "2.21.0");
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 51);
    for c in cases {
        run_case(c);
    }
}
