//! Adam against real Keras 3.15 (TF backend): three apply_gradients steps, lr 0.01.
//! Reference produced with:
//!   v = keras.Variable([1.0, -2.0, 0.5]); opt = keras.optimizers.Adam(0.01)
//!   for g in ([0.3,-1,2], [0.1,0.2,-0.5], [1,1,1]): opt.apply_gradients([(g, v)])
use kiln::optimizers::{Adam, Optimizer};
use kiln_tensor::{Tensor, Variable};

#[test]
fn three_steps_match_keras() {
    let keras = [
        0.9731699824333191f64,
        -1.9865456819534302,
        0.4792507290840149,
    ];
    for dtype in [kiln_tensor::DType::F32, kiln_tensor::DType::F64] {
        let init = Tensor::from_vec(vec![1.0f64, -2.0, 0.5], &[3])
            .unwrap()
            .cast(dtype)
            .unwrap();
        let v = Variable::new(init, "v", true);
        let mut opt = Adam::new(0.01);
        for g in [[0.3, -1.0, 2.0], [0.1, 0.2, -0.5], [1.0, 1.0, 1.0]] {
            let g = Tensor::from_vec(g.to_vec(), &[3])
                .unwrap()
                .cast(dtype)
                .unwrap();
            opt.apply_gradients(&[(g, v.clone())]).unwrap();
        }
        let got = v.value().to_f64_vec();
        for (a, b) in got.iter().zip(keras) {
            assert!(
                (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                "{dtype}: {got:?} vs {keras:?}"
            );
        }
    }
}

#[test]
fn mismatched_gradient_is_an_error() {
    let v = Variable::new(
        Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap(),
        "w",
        true,
    );
    let mut opt = Adam::default();
    let err = opt
        .apply_gradients(&[(Tensor::from_vec(vec![1.0f32], &[1]).unwrap(), v)])
        .unwrap_err();
    assert!(err.to_string().contains("'w'"), "{err}");
}
