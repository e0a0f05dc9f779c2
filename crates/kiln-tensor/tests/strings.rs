//! String tensors: construction, shape and data-movement ops, equality, `where`, the
//! `strings` ops, and a clear `Err` (never a panic) from every numeric op.

use kiln_tensor::function::{Function, Value};
use kiln_tensor::random::Generator;
use kiln_tensor::{strings, DType, GradientTape, Padding, Tensor};

fn s(v: &[&str], shape: &[usize]) -> Tensor {
    Tensor::from_strings(v.to_vec(), shape).unwrap()
}

fn strs(t: &Tensor) -> Vec<String> {
    t.to_strings().unwrap()
}

#[test]
fn construction_and_accessors() {
    let t = s(&["a", "b", "c", "d", "e", "f"], &[2, 3]);
    assert_eq!(t.dtype(), DType::String);
    assert_eq!(t.shape(), &[2, 3]);
    assert_eq!(DType::parse("string").unwrap(), DType::String);
    assert!(Tensor::from_strings(vec!["a"], &[2])
        .unwrap_err()
        .to_string()
        .contains("from_strings"));
    let e = t.to_vec::<f32>().unwrap_err().to_string();
    assert!(e.contains("string") && e.contains("float32"), "{e}");
    assert!(t.item::<i32>().is_err());
    assert!(t.item_str().is_err());
    assert!(Tensor::scalar(1i32)
        .item_str()
        .unwrap_err()
        .to_string()
        .contains("int32"));
    assert_eq!(Tensor::scalar_str("x").item_str().unwrap(), "x");
    assert_eq!(t.to_f64_vec().len(), 6);
    assert!(t.to_f64_vec().iter().all(|v| v.is_nan()));
    // zeros of strings are empty strings, as tf.zeros(dtype=tf.string).
    assert_eq!(strs(&Tensor::zeros(&[2], DType::String)), vec!["", ""]);
    assert_eq!(strs(&t.zeros_like()), vec![""; 6]);
    assert_eq!(
        Tensor::from_strings(vec![String::from("owned")], &[])
            .unwrap()
            .rank(),
        0
    );
}

#[test]
fn shape_ops() {
    let t = s(&["a", "b", "c", "d", "e", "f"], &[2, 3]);
    assert_eq!(strs(&t.reshape(&[3, -1]).unwrap()), strs(&t));
    assert_eq!(
        strs(&t.transpose(None).unwrap()),
        vec!["a", "d", "b", "e", "c", "f"]
    );
    assert_eq!(t.expand_dims(0).unwrap().shape(), &[1, 2, 3]);
    assert_eq!(
        t.reshape(&[1, 6]).unwrap().squeeze(&[0]).unwrap().shape(),
        &[6]
    );
    assert_eq!(
        strs(&t.slice(&[0, 1], &[2, 2]).unwrap()),
        vec!["b", "c", "e", "f"]
    );
    let ss = t
        .strided_slice(&[0, 2], &[2, 0], &[1, -1], 0, 1 << 1, 0, 0, 0)
        .unwrap();
    assert_eq!(strs(&ss), vec!["c", "b", "a", "f", "e", "d"]);
    assert_eq!(
        strs(&t.reverse(&[0]).unwrap()),
        vec!["d", "e", "f", "a", "b", "c"]
    );
    assert_eq!(
        strs(&t.flip(&[1]).unwrap()),
        vec!["c", "b", "a", "f", "e", "d"]
    );
    assert_eq!(
        strs(&t.roll(&[1], &[1]).unwrap()),
        vec!["c", "a", "b", "f", "d", "e"]
    );
    assert_eq!(
        strs(&s(&["x", "y"], &[2]).tile(&[2]).unwrap()),
        vec!["x", "y", "x", "y"]
    );
    assert_eq!(
        strs(&s(&["x", "y"], &[2]).repeat(&[2], None).unwrap()),
        vec!["x", "x", "y", "y"]
    );
    assert_eq!(
        strs(&s(&["x"], &[1]).broadcast_to(&[2, 3]).unwrap()),
        vec!["x"; 6]
    );
    let padded = s(&["x"], &[1])
        .pad(&[(1, 2)], kiln_tensor::ops::manip::PadMode::Constant(0.0))
        .unwrap();
    assert_eq!(strs(&padded), vec!["", "x", "", ""]);
    assert_eq!(strs(&t.contiguous()), strs(&t));
    assert_eq!(strs(&t.identity()), strs(&t));
    assert_eq!(strs(&t.stop_gradient()), strs(&t));
}

#[test]
fn gather_concat_stack_unstack_split() {
    let t = s(&["a", "b", "c", "d", "e", "f"], &[3, 2]);
    let i = Tensor::from_vec(vec![2i64, 0], &[2]).unwrap();
    assert_eq!(strs(&t.gather(&i, 0).unwrap()), vec!["e", "f", "a", "b"]);
    let j = Tensor::from_vec(vec![1i32], &[1]).unwrap();
    assert_eq!(strs(&t.gather(&j, 1).unwrap()), vec!["b", "d", "f"]);
    let nd = Tensor::from_vec(vec![1i32, 1], &[1, 2]).unwrap();
    assert_eq!(strs(&t.gather_nd(&nd).unwrap()), vec!["d"]);
    assert!(t
        .gather(&Tensor::from_vec(vec![3i64], &[1]).unwrap(), 0)
        .is_err());
    let c = Tensor::concat(&[&t, &t.slice(&[0, 0], &[1, 2]).unwrap()], 0).unwrap();
    assert_eq!(c.shape(), &[4, 2]);
    assert_eq!(strs(&c)[6..], ["a".to_string(), "b".to_string()]);
    let a = s(&["p", "q"], &[2]);
    let b = s(&["r", "s"], &[2]);
    let st = Tensor::stack(&[&a, &b], 1).unwrap();
    assert_eq!(strs(&st), vec!["p", "r", "q", "s"]);
    let parts = st.unstack(1).unwrap();
    assert_eq!(strs(&parts[1]), vec!["r", "s"]);
    let halves = t.split(3, 0).unwrap();
    assert_eq!(strs(&halves[2]), vec!["e", "f"]);
    // Mixed dtypes are an error naming both.
    let e = Tensor::concat(&[&a, &Tensor::zeros(&[2], DType::F32)], 0).unwrap_err();
    assert!(e.to_string().contains("string") && e.to_string().contains("float32"));
}

#[test]
fn equality_where_and_shuffle() {
    let a = s(&["x", "y", "z"], &[3]);
    let eq = a.equal(&Tensor::scalar_str("y")).unwrap();
    assert_eq!(eq.to_vec::<bool>().unwrap(), vec![false, true, false]);
    let ne = a.not_equal(&s(&["x", "q", "z"], &[3])).unwrap();
    assert_eq!(ne.to_vec::<bool>().unwrap(), vec![false, true, false]);
    let e = a.less(&a).unwrap_err().to_string();
    assert!(e.contains("less") && e.contains("string"), "{e}");
    let w = Tensor::where_cond(&eq, &Tensor::scalar_str("HIT"), &a).unwrap();
    assert_eq!(strs(&w), vec!["x", "HIT", "z"]);
    assert!(a.equal(&Tensor::scalar(1.0f32)).is_err());
    let mut g = Generator::from_seed(3);
    let sh = g.shuffle(&s(&["a", "b", "c", "d"], &[4])).unwrap();
    let mut got = strs(&sh);
    got.sort();
    assert_eq!(got, vec!["a", "b", "c", "d"]);
}

#[test]
fn numeric_ops_are_errors_naming_op_and_dtype() {
    let t = s(&["1", "2", "3", "4"], &[2, 2]);
    let f = Tensor::zeros(&[2, 2], DType::F32);
    let k = Tensor::zeros(&[1, 1, 1, 1], DType::String);
    let img = Tensor::zeros(&[1, 2, 2, 1], DType::String);
    let mut rng = Generator::from_seed(0);
    let cases: Vec<(&str, kiln_tensor::Result<Tensor>)> = vec![
        ("add", t.add(&t)),
        ("sub", t.sub(&t)),
        ("mul", t.mul(&t)),
        ("div", t.div(&t)),
        ("pow", t.pow(&t)),
        ("maximum", t.maximum(&t)),
        ("minimum", t.minimum(&t)),
        ("rem", t.rem(&t)),
        ("floor_div", t.floor_div(&t)),
        ("squared_difference", t.squared_difference(&t)),
        ("add", t.add(&f)),
        ("neg", t.neg()),
        ("exp", t.exp()),
        ("square", t.square()),
        ("abs", t.abs()),
        ("sign", t.sign()),
        ("log", t.log()),
        ("sqrt", t.sqrt()),
        ("tanh", t.tanh()),
        ("round", t.round()),
        ("clip", t.clip(0.0, 1.0)),
        ("add_scalar", t.add_scalar(1.0)),
        ("mul_scalar", t.mul_scalar(1.0)),
        ("sigmoid", t.sigmoid()),
        ("relu", t.relu()),
        ("gelu", t.gelu(false)),
        ("leaky_relu", t.leaky_relu(0.1)),
        ("softmax", t.softmax(-1)),
        ("log_softmax", t.log_softmax(-1)),
        ("sum", t.sum(&[0], false)),
        ("sum", t.sum_all()),
        ("mean", t.mean(&[0], false)),
        ("max", t.max(&[0], false)),
        ("min", t.min(&[0], false)),
        ("prod", t.prod(&[0], false)),
        ("variance", t.variance(&[0], false)),
        ("logsumexp", t.logsumexp(&[0], false)),
        ("argmax", t.argmax(0)),
        ("argmin", t.argmin(0)),
        ("all", t.all(&[0], false)),
        ("any", t.any(&[0], false)),
        ("cumsum", t.cumsum(0, false, false)),
        ("cumprod", t.cumprod(0, false, false)),
        ("matmul", t.matmul(&t)),
        ("tensordot", t.tensordot(&t, 1)),
        ("outer", t.outer(&t)),
        ("einsum", Tensor::einsum("ij,jk->ik", &[&t, &t])),
        ("cast", t.cast(DType::F32)),
        ("cast", f.cast(DType::String)),
        ("sort", t.sort(0, false)),
        ("argsort", t.argsort(0, false)),
        ("top_k", t.top_k(1).map(|p| p.0)),
        ("one_hot", t.one_hot(2, 1.0, 0.0, -1, DType::F32)),
        (
            "one_hot",
            Tensor::from_vec(vec![0i32], &[1])
                .unwrap()
                .one_hot(2, 1.0, 0.0, -1, DType::String),
        ),
        ("gather", f.gather(&t, 0)),
        ("logical_and", t.logical_and(&t)),
        ("logical_not", t.logical_not()),
        ("isnan", t.isnan()),
        ("where", Tensor::where_cond(&t, &f, &f)),
        ("bias_add", t.bias_add(&s(&["a", "b"], &[2]))),
        ("conv2d", img.conv2d(&k, [1, 1], &Padding::Valid, [1, 1], 1)),
        (
            "max_pool2d",
            img.max_pool2d([1, 1], [1, 1], &Padding::Valid),
        ),
        (
            "avg_pool2d",
            img.avg_pool2d([1, 1], [1, 1], &Padding::Valid),
        ),
        ("layer_norm", t.layer_normalization(None, None, 1e-3)),
        ("dropout", t.dropout(0.5, Some(&mut rng))),
        (
            "scatter_nd_add",
            t.scatter_nd_add(
                &Tensor::from_vec(vec![0i32], &[1, 1]).unwrap(),
                &s(&["a", "b"], &[1, 2]),
            ),
        ),
        ("resize", img.resize_bilinear([2, 2])),
        ("uniform", rng.uniform(&[2], 0.0, 1.0, DType::String)),
        ("normal", rng.normal(&[2], 0.0, 1.0, DType::String)),
        ("arange", Tensor::arange(0.0, 3.0, 1.0, DType::String)),
        ("linspace", Tensor::linspace(0.0, 3.0, 3, DType::String)),
    ];
    let mut bad = Vec::new();
    for (name, r) in cases {
        let e = match r {
            Ok(t) => {
                bad.push(format!("{name} on a string tensor returned {t}"));
                continue;
            }
            Err(e) => e.to_string(),
        };
        let short = name.split('_').next().unwrap_or(name);
        if !(e.contains("string") && e.to_lowercase().contains(short)) {
            bad.push(format!("{name}: {e}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn tapes_ignore_string_ops() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    let words = s(&["a", "b"], &[2]);
    let tape = GradientTape::new();
    tape.watch(&x);
    tape.watch(&words);
    let picked = words
        .gather(&Tensor::from_vec(vec![1i32, 0], &[2]).unwrap(), 0)
        .unwrap();
    let mask = picked.equal(&Tensor::scalar_str("a")).unwrap();
    let y = Tensor::where_cond(&mask, &x, &x.zeros_like())
        .unwrap()
        .sum_all()
        .unwrap();
    let g = tape.gradient(&y, &[&x, &words]).unwrap();
    assert_eq!(
        g[0].as_ref().unwrap().to_vec::<f32>().unwrap(),
        vec![0.0, 1.0]
    );
    assert!(g[1].is_none());
    // A string target has no gradient to any float source.
    let tape = GradientTape::new();
    tape.watch(&x);
    let t = words.reshape(&[2, 1]).unwrap();
    let g = tape.gradient(&t, &[&x]).unwrap();
    assert!(g[0].is_none());
}

#[test]
fn traced_function_replays_string_ops() {
    let f = Function::new("f", |args| {
        let x = args.tensor(0)?;
        let low = strings::lower(&x)?;
        let words = strings::split_whitespace(&low)?;
        let first = words.slice(&[0, 0], &[-1, 1])?.squeeze(&[1])?;
        let hits = first.equal(&Tensor::scalar_str("the"))?;
        let joined = strings::reduce_join(&words, -1, "+")?;
        Ok::<Value, kiln_tensor::Error>(Value::List(vec![
            Value::from(hits.cast(DType::I32)?),
            Value::from(Tensor::where_cond(
                &hits,
                &joined,
                &Tensor::scalar_str("-"),
            )?),
        ]))
    });
    let run = |v: &[&str]| {
        let out = f.call(&[s(v, &[v.len()]).into()]).unwrap();
        let Value::List(items) = out else {
            panic!("list")
        };
        (
            items[0].as_tensor().unwrap().to_vec::<i32>().unwrap(),
            strs(items[1].as_tensor().unwrap()),
        )
    };
    assert_eq!(
        run(&["The cat", "a dog"]),
        (vec![1, 0], vec!["the+cat".to_string(), "-".to_string()])
    );
    // Same signature (shape and dtype): the graph replays on new strings.
    assert_eq!(
        run(&["x y", "THE end"]),
        (vec![0, 1], vec!["-".to_string(), "the+end".to_string()])
    );
    assert_eq!(f.experimental_get_tracing_count(), 1);
    // A numeric op on a string input fails the trace with an Err, not a panic.
    let g = Function::new("g", |args| {
        Ok::<Value, kiln_tensor::Error>(Value::from(args.tensor(0)?.add_scalar(1.0)?))
    });
    assert!(g.call(&[s(&["a"], &[1]).into()]).is_err());
}

#[test]
fn strings_ops() {
    let t = s(&["  The Cat ", "a\tDOG"], &[2]);
    assert_eq!(
        strs(&strings::upper(&t).unwrap()),
        vec!["  THE CAT ", "A\tDOG"]
    );
    assert_eq!(
        strings::length(&t).unwrap().to_vec::<i32>().unwrap(),
        vec![10, 5]
    );
    let w = strings::split_whitespace(&strings::lower(&t).unwrap()).unwrap();
    assert_eq!(strs(&w), vec!["the", "cat", "a", "dog"]);
    let j = strings::join(&[&w, &Tensor::scalar_str("!")], "").unwrap();
    assert_eq!(strs(&j), vec!["the!", "cat!", "a!", "dog!"]);
    assert_eq!(
        strings::to_number(&s(&["3", "-4"], &[2]), DType::I64)
            .unwrap()
            .to_vec::<i64>()
            .unwrap(),
        vec![3, -4]
    );
    let e = strings::to_number(&s(&["3", "four"], &[2]), DType::F32)
        .unwrap_err()
        .to_string();
    assert!(e.contains("four"), "{e}");
    assert_eq!(
        strs(&strings::as_string(&Tensor::from_vec(vec![true, false], &[2]).unwrap()).unwrap()),
        vec!["true", "false"]
    );
}
