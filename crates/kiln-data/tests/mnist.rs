use kiln_data::datasets::mnist;

#[test]
fn loads_shipped_mnist_with_keras_shapes() {
    let ((x, y), (xt, yt)) = mnist::load_data().unwrap();
    assert_eq!(x.shape(), &[60000, 28, 28]);
    assert_eq!(y.shape(), &[60000]);
    assert_eq!(xt.shape(), &[10000, 28, 28]);
    assert_eq!(yt.shape(), &[10000]);
    let labels = y.to_vec::<u8>().unwrap();
    assert!(labels.iter().all(|&l| l < 10));
    // The well-known first training labels of MNIST.
    assert_eq!(&labels[..5], &[5, 0, 4, 1, 9]);
}

#[test]
fn missing_and_corrupt_files_name_the_file() {
    let dir = std::env::temp_dir().join(format!("kiln_mnist_test_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let err = mnist::load_data_from(&dir).unwrap_err().to_string();
    assert!(
        err.contains("train-images-idx3-ubyte.gz") && err.contains("not found"),
        "{err}"
    );
    let src = mnist::default_dir();
    for f in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    // Truncate one file: the checksum catches it.
    let p = dir.join("t10k-labels-idx1-ubyte.gz");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let err = mnist::load_data_from(&dir).unwrap_err().to_string();
    assert!(
        err.contains("t10k-labels-idx1-ubyte.gz") && err.contains("corrupt"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
