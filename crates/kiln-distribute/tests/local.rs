//! The strategy in one process (no MPI): the same API, every collective the identity.

use kiln::layers::Dense;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::SGD;
use kiln_distribute::{Error, MultiWorkerMirroredStrategy, ReduceOp};
use kiln_tensor::{DType, GradientTape, Tensor};

fn model() -> Model {
    let mut m = Model::sequential(vec![Dense::new(2).input_shape(&[3]).into()]).unwrap();
    m.compile(CompileArgs::new().optimizer(SGD::new(0.1)).loss("mse"))
        .unwrap();
    m
}

#[test]
fn local_fit_matches_plain_fit() {
    let x = Tensor::from_vec((0..24).map(|i| i as f32 / 10.0).collect(), &[8, 3]).unwrap();
    let y = x.slice(&[0, 0], &[-1, 2]).unwrap();
    let s = MultiWorkerMirroredStrategy::local();
    let mut a = model();
    let mut b = model();
    b.set_weights(&a.get_weights()).unwrap();
    s.scope(&mut a).unwrap();
    assert!(a.is_chief());
    let args = || {
        FitArgs::new()
            .batch_size(4)
            .epochs(2)
            .shuffle(false)
            .verbose(0)
    };
    let ha = a.fit(&x, &y, args()).unwrap();
    let hb = b.fit(&x, &y, args()).unwrap();
    assert_eq!(ha.get("loss"), hb.get("loss"));
    for (wa, wb) in a.get_weights().iter().zip(b.get_weights()) {
        assert_eq!(wa.to_f64_vec(), wb.to_f64_vec());
    }
    let st = s.stats();
    assert_eq!((st.steps, st.buckets), (4, 4));
    assert_eq!(st.elements, 4 * 8);
}

#[test]
fn shard_tensors_is_the_whole_set_for_one_replica_and_checks_rows() {
    let s = MultiWorkerMirroredStrategy::local();
    let x = Tensor::from_vec((0..10).map(|i| i as f32).collect(), &[5, 2]).unwrap();
    let y = Tensor::from_vec(vec![0i32, 1, 2, 3, 4], &[5]).unwrap();
    let out = s.shard_tensors(&[x.clone(), y], false).unwrap();
    assert_eq!(out[0].to_f64_vec(), x.to_f64_vec());
    let bad = Tensor::zeros(&[4], DType::F32);
    let e = s.shard_tensors(&[x, bad], false).unwrap_err();
    assert!(e.to_string().contains("tensor 1 has shape [4]"), "{e}");
}

#[test]
fn per_replica_batch_size_and_reduce() {
    let s = MultiWorkerMirroredStrategy::local();
    assert_eq!(s.per_replica_batch_size(64).unwrap(), 64);
    assert!(matches!(
        s.per_replica_batch_size(0),
        Err(Error::InvalidArgument { .. })
    ));
    let v = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
    assert_eq!(
        s.reduce(ReduceOp::Sum, &v).unwrap().to_f64_vec(),
        vec![1.0, 2.0]
    );
    assert_eq!(s.reduce(ReduceOp::Mean, &v).unwrap().dtype(), DType::F32);
}

#[test]
fn custom_loop_apply_gradients() {
    let s = MultiWorkerMirroredStrategy::local();
    let mut m = model();
    s.scope(&mut m).unwrap();
    let vars = m.trainable_weights();
    let before = m.get_weights();
    let x = Tensor::ones(&[4, 3], DType::F32);
    let tape = GradientTape::new();
    let loss = m
        .call(&x)
        .unwrap()
        .square()
        .unwrap()
        .mean(&[0, 1], false)
        .unwrap();
    let grads = tape
        .gradient(&loss, &vars.iter().collect::<Vec<_>>())
        .unwrap();
    drop(tape);
    s.apply_gradients(&mut m, grads, &vars).unwrap();
    assert_ne!(before[0].to_f64_vec(), m.get_weights()[0].to_f64_vec());
    // Uncompiled: a clear error.
    let mut raw = Model::sequential(vec![Dense::new(1).input_shape(&[1]).into()]).unwrap();
    let raw_vars = raw.trainable_weights();
    let e = s
        .apply_gradients(&mut raw, vec![None, None], &raw_vars)
        .unwrap_err();
    assert!(e.to_string().contains("not compiled"), "{e}");
}

#[test]
fn jit_compile_under_a_strategy_is_an_error() {
    let s = MultiWorkerMirroredStrategy::local();
    let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[1]).into()]).unwrap();
    m.compile(
        CompileArgs::new()
            .optimizer("sgd")
            .loss("mse")
            .jit_compile(true),
    )
    .unwrap();
    s.scope(&mut m).unwrap();
    let x = Tensor::ones(&[4, 1], DType::F32);
    let e = m.fit(&x, &x, FitArgs::new().verbose(0)).unwrap_err();
    assert!(e.to_string().contains("jit_compile"), "{e}");
}

#[cfg(not(feature = "mpi"))]
#[test]
fn from_env_without_the_mpi_feature_is_an_error() {
    let e = MultiWorkerMirroredStrategy::from_env()
        .err()
        .expect("an error");
    assert!(e.to_string().contains("--features mpi"), "{e}");
}

#[cfg(feature = "mpi")]
#[test]
fn from_env_without_a_launcher_is_an_error() {
    // cargo test does not run under mpirun (CI runs the MPI checks separately).
    if std::env::var_os("OMPI_COMM_WORLD_SIZE").is_some() {
        return;
    }
    let e = MultiWorkerMirroredStrategy::from_env()
        .err()
        .expect("an error");
    assert!(e.to_string().contains("mpirun"), "{e}");
}
