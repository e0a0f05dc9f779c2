//! Same global seed, same training, bit for bit (alone in this binary: the global random
//! stream is shared by every test running in parallel in one process).

use kiln::layers::*;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn class_data(n: usize) -> (Tensor, Tensor) {
    let mut g = Generator::from_seed(3);
    let x = g.normal(&[n, 4], 0.0, 1.0, DType::F32).unwrap();
    let v = x.to_vec::<f32>().unwrap();
    let y: Vec<i64> = (0..n).map(|i| i64::from(v[i * 4] > v[i * 4 + 1])).collect();
    (x, Tensor::from_vec(y, &[n]).unwrap())
}

#[test]
fn same_seed_same_training() {
    let run = || {
        kiln::utils::set_random_seed(11);
        let (x, y) = class_data(64);
        let mut m = Model::sequential(vec![
            Dense::new(8).activation("relu").input_shape(&[4]).into(),
            Dropout::new(0.3).into(),
            Dense::new(2).activation("softmax").into(),
        ])
        .unwrap();
        m.compile(
            CompileArgs::new()
                .optimizer("adam")
                .loss("sparse_categorical_crossentropy"),
        )
        .unwrap();
        let h = m
            .fit(&x, &y, FitArgs::new().epochs(3).batch_size(16).verbose(0))
            .unwrap();
        h.get("loss").to_vec()
    };
    assert_eq!(run(), run());
}
