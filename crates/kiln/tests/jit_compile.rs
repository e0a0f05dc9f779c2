//! `compile(jit_compile=true)`: the traced train/test/predict steps give what the eager
//! steps give (per-epoch losses, final weights, evaluate and predict), for an MLP, a CNN,
//! an LSTM and a transformer block; the steps trace once per input signature; the flag
//! and `steps_per_execution` survive `compile_config`.

use kiln::layers::*;
use kiln::models::EvaluateArgs;
use kiln::models::PredictArgs;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn data(shape: &[usize], seed: u64) -> Tensor {
    Generator::from_seed(seed)
        .normal(shape, 0.0, 1.0, DType::F32)
        .unwrap()
}

fn labels(n: usize, classes: i64, seed: u64) -> Tensor {
    Generator::from_seed(seed)
        .randint(&[n], 0, classes, DType::I32)
        .unwrap()
}

fn mlp() -> Model {
    Model::sequential(vec![
        Dense::new(16).activation("relu").input_shape(&[6]).into(),
        Dense::new(3).activation("softmax").into(),
    ])
    .unwrap()
}

fn cnn() -> Model {
    Model::sequential(vec![
        Conv2D::new(4, 3)
            .activation("relu")
            .input_shape(&[8, 8, 1])
            .into(),
        MaxPooling2D::new(2).into(),
        Flatten::new().into(),
        Dense::new(3).activation("softmax").into(),
    ])
    .unwrap()
}

fn lstm() -> Model {
    Model::sequential(vec![
        LSTM::new(8).input_shape(&[5, 3]).into(),
        Dense::new(1).into(),
    ])
    .unwrap()
}

fn transformer() -> Model {
    let x = Input::shape(&[5, 8]);
    let mha = LayerRef::new(MultiHeadAttention::new(2, 4));
    let a = mha.call(&[x.clone(), x.clone()][..]).unwrap();
    let h = add(&[x.clone(), a]).unwrap();
    let h = LayerNormalization::new().apply(&h).unwrap();
    let f = Dense::new(16).activation("relu").apply(&h).unwrap();
    let f = Dense::new(8).apply(&f).unwrap();
    let h = add(&[h, f]).unwrap();
    let h = LayerNormalization::new().apply(&h).unwrap();
    let p = GlobalAveragePooling1D::new().apply(&h).unwrap();
    let y = Dense::new(1).apply(&p).unwrap();
    Model::new(&[x], &[y]).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

/// Trains the same model eagerly and compiled from the same weights and compares.
fn same_training(make: fn() -> Model, x: Tensor, y: Tensor, loss: &str, optimizer: &str) {
    let mut eager = make();
    let mut jit = make();
    jit.set_weights(&eager.get_weights()).unwrap();
    eager
        .compile(CompileArgs::new().optimizer(optimizer).loss(loss))
        .unwrap();
    jit.compile(
        CompileArgs::new()
            .optimizer(optimizer)
            .loss(loss)
            .jit_compile(true),
    )
    .unwrap();
    let args = || {
        FitArgs::new()
            .epochs(3)
            .batch_size(8)
            .shuffle(false)
            .verbose(0)
    };
    let he = eager.fit(&x, &y, args()).unwrap();
    let hj = jit.fit(&x, &y, args()).unwrap();
    let (le, lj) = (he.get("loss"), hj.get("loss"));
    assert_eq!(le.len(), 3);
    for (a, b) in lj.iter().zip(le.iter()) {
        assert!(close(*a, *b, 1e-6), "compiled loss {lj:?} vs eager {le:?}");
    }
    for (a, b) in jit.get_weights().iter().zip(eager.get_weights()) {
        for (p, q) in a.to_f64_vec().iter().zip(b.to_f64_vec()) {
            assert!((p - q).abs() <= 1e-5, "weights differ: {p} vs {q}");
        }
    }
    // 20 samples in batches of 8: a full batch shape and the last partial one.
    assert_eq!(jit.step_tracing_counts()[0], 2);
    let ee = eager
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(8).verbose(0))
        .unwrap();
    let ej = jit
        .evaluate(&x, &y, EvaluateArgs::new().batch_size(8).verbose(0))
        .unwrap();
    assert!(close(ej["loss"], ee["loss"], 1e-6), "{ej:?} vs {ee:?}");
    let pe = eager
        .predict(&x, PredictArgs::new().batch_size(8).verbose(0))
        .unwrap()
        .to_f64_vec();
    let pj = jit
        .predict(&x, PredictArgs::new().batch_size(8).verbose(0))
        .unwrap()
        .to_f64_vec();
    assert!(pe.iter().zip(&pj).all(|(a, b)| (a - b).abs() <= 1e-6));
    assert_eq!(jit.step_tracing_counts(), [2, 2, 2]);
    assert_eq!(eager.step_tracing_counts(), [0, 0, 0]);
}

#[test]
fn mlp_compiled_equals_eager() {
    same_training(
        mlp,
        data(&[20, 6], 1),
        labels(20, 3, 2),
        "sparse_categorical_crossentropy",
        "adam",
    );
}

#[test]
fn cnn_compiled_equals_eager() {
    same_training(
        cnn,
        data(&[20, 8, 8, 1], 3),
        labels(20, 3, 4),
        "sparse_categorical_crossentropy",
        "sgd",
    );
}

#[test]
fn lstm_compiled_equals_eager() {
    same_training(
        lstm,
        data(&[20, 5, 3], 5),
        data(&[20, 1], 6),
        "mse",
        "rmsprop",
    );
}

#[test]
fn transformer_block_compiled_equals_eager() {
    same_training(
        transformer,
        data(&[20, 5, 8], 7),
        data(&[20, 1], 8),
        "mse",
        "adam",
    );
}

#[test]
fn jit_compile_and_steps_per_execution_round_trip_in_compile_config() {
    let mut m = mlp();
    m.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("mse")
            .jit_compile(true)
            .steps_per_execution(4),
    )
    .unwrap();
    let cc = m.get_compile_config().unwrap();
    assert_eq!(cc["jit_compile"], true);
    assert_eq!(cc["steps_per_execution"], 4);
    let mut again = mlp();
    again.compile_from_config(&cc).unwrap();
    let cc2 = again.get_compile_config().unwrap();
    assert_eq!(cc2["jit_compile"], true);
    assert_eq!(cc2["steps_per_execution"], 4);
    // Keras writes "auto" when it was left to decide; on a CPU that is false.
    let mut auto = cc.clone();
    auto["jit_compile"] = "auto".into();
    again.compile_from_config(&auto).unwrap();
    assert_eq!(again.get_compile_config().unwrap()["jit_compile"], false);
    let mut bad = cc;
    bad["steps_per_execution"] = 0.into();
    assert!(again.compile_from_config(&bad).is_err());
}
