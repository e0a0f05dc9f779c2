//! `.npz` files written by NumPy (np.savez and np.savez_compressed, zip64 headers) and
//! Keras's boston_housing split (tools/golden/gen_npz.py), plus corrupt-file errors.

use kiln_data::datasets::boston_housing::load_data_from;
use kiln_data::npz::{parse_npz, read_npz};
use kiln_data::numpy_random::shuffled_indices;
use kiln_data::DataError;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools/golden/fixtures/npz")
        .join(name)
}

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn ints(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn reads_numpy_archives() {
    let e = expected();
    for f in ["mini.npz", "mini_compressed.npz"] {
        let arrays = read_npz(fixture(f)).unwrap();
        assert_eq!(arrays[0].0, "x");
        assert_eq!(arrays[0].1.shape(), &[10, 13]);
        assert_eq!(arrays[0].1.to_vec::<f64>().unwrap(), floats(&e["x"]));
        assert_eq!(arrays[1].1.to_vec::<f64>().unwrap(), floats(&e["y"]));
    }
}

#[test]
fn shuffle_matches_numpy_random_state() {
    let e = expected();
    assert_eq!(shuffled_indices(506, 113), ints(&e["perm_506_seed_113"]));
    assert_eq!(shuffled_indices(10, 113), ints(&e["perm_10_seed_113"]));
}

#[test]
fn keras_split_of_a_small_archive() {
    let e = expected();
    let ((xtr, ytr), (xte, yte)) = load_data_from(fixture("mini.npz"), 0.2, 113).unwrap();
    let n_train = e["n_train_10"].as_u64().unwrap() as usize;
    assert_eq!((xtr.shape()[0], xte.shape()[0]), (n_train, 10 - n_train));
    let perm = ints(&e["perm_10_seed_113"]);
    let y = floats(&e["y"]);
    let want: Vec<f64> = perm.iter().map(|&i| y[i]).collect();
    let mut got = ytr.to_vec::<f64>().unwrap();
    got.extend(yte.to_vec::<f64>().unwrap());
    assert_eq!(got, want);
}

#[test]
fn corrupt_and_missing_files_are_errors() {
    let bytes = std::fs::read(fixture("mini.npz")).unwrap();
    let p = std::path::Path::new("mini.npz");
    // Truncated.
    let e = parse_npz(p, &bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(e, DataError::Corrupt { .. }), "{e}");
    // A flipped data byte fails the CRC check.
    let mut bad = bytes.clone();
    let at = bytes.len() / 3;
    bad[at] ^= 0xFF;
    let e = parse_npz(p, &bad).unwrap_err().to_string();
    assert!(e.contains("CRC") || e.contains("corrupt"), "{e}");
    let e = load_data_from("/nonexistent/boston_housing.npz", 0.2, 113).unwrap_err();
    assert!(matches!(e, DataError::Missing { .. }));
    assert!(e.to_string().contains("KILN_DATA_DIR"), "{e}");
}

/// The shipped CSV gives Keras's `boston_housing.load_data()`: its first training row and
/// targets, and the test targets' constant-predictor MSE the seed prints (S004-13,
/// `tf.Tensor(83.24384)`), computed in f32 as TF does.
#[test]
fn the_shipped_csv_reproduces_keras_split() {
    let ((x, y), (xt, yt)) = kiln_data::datasets::boston_housing::load_data().unwrap();
    assert_eq!((x.shape(), xt.shape()), (&[404, 13][..], &[102, 13][..]));
    assert_eq!(
        x.to_vec::<f64>().unwrap()[..13],
        [1.23247, 0.0, 8.14, 0.0, 0.538, 6.142, 91.7, 3.9769, 4.0, 307.0, 21.0, 396.9, 18.72]
    );
    assert_eq!(y.to_vec::<f64>().unwrap()[..3], [15.2, 42.3, 50.0]);
    let t = yt.cast(kiln_tensor::DType::F32).unwrap();
    let mse = t
        .sub(&t.mean(&[], false).unwrap())
        .unwrap()
        .square()
        .unwrap()
        .mean(&[], false)
        .unwrap()
        .item::<f32>()
        .unwrap();
    assert!((mse - 83.24384).abs() < 2e-4, "{mse}");
    // A damaged copy is an error naming the file.
    let bad = std::env::temp_dir().join(format!("kiln-boston-{}.csv", std::process::id()));
    std::fs::write(&bad, "CRIM\n1,2\n").unwrap();
    let e = kiln_data::datasets::boston_housing::load_data_csv(&bad, 0.2, 113).unwrap_err();
    assert!(e.to_string().contains("SHA-256"), "{e}");
    std::fs::remove_file(&bad).unwrap();
}
