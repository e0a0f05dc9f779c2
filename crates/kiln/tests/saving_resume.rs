//! Resume: train 2 epochs, save, load, train 1 more == train 3 epochs straight (same
//! seed), weights identical — the optimizer state and the shuffle order carry over.

use kiln::layers::Dense;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn data() -> (Tensor, Tensor) {
    let mut g = Generator::from_seed(11);
    let x = g.normal(&[64, 5], 0.0, 1.0, DType::F32).unwrap();
    let y = g.randint(&[64], 0, 3, DType::I64).unwrap();
    (x, y)
}

fn model() -> Model {
    let mut m = Model::sequential(vec![
        Dense::new(8).activation("relu").input_shape(&[5]).into(),
        Dense::new(3).activation("softmax").into(),
    ])
    .unwrap();
    m.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )
    .unwrap();
    m
}

#[test]
fn save_load_and_continue_equals_training_straight_through() {
    let (x, y) = data();
    kiln::utils::set_random_seed(7);
    let mut straight = model();
    straight
        .fit(&x, &y, FitArgs::new().epochs(3).batch_size(16).verbose(0))
        .unwrap();

    let dir = std::env::temp_dir().join(format!("kiln_resume_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.keras");
    kiln::utils::set_random_seed(7);
    let mut first = model();
    first
        .fit(&x, &y, FitArgs::new().epochs(2).batch_size(16).verbose(0))
        .unwrap();
    kiln::saving::save_model(&first, &path).unwrap();
    drop(first);

    kiln::utils::set_random_seed(7);
    let mut resumed = kiln::saving::load_model(&path).unwrap();
    resumed
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(3)
                .initial_epoch(2)
                .batch_size(16)
                .verbose(0),
        )
        .unwrap();
    let a: Vec<Vec<f32>> = straight
        .get_weights()
        .iter()
        .map(|t| t.to_vec::<f32>().unwrap())
        .collect();
    let b: Vec<Vec<f32>> = resumed
        .get_weights()
        .iter()
        .map(|t| t.to_vec::<f32>().unwrap())
        .collect();
    assert_eq!(a, b, "weights after resume differ from the straight run");
    std::fs::remove_dir_all(&dir).ok();
}
