//! Dataset loaders on small files written in the published formats, and bad input (wrong
//! IDX magic, truncated gzip, wrong record lengths, empty files): an error naming the file.

use std::io::Write;
use std::path::Path;

use kiln_data::datasets::{cifar, fashion_mnist, mnist};

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn idx_images(n: u32) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 3];
    for d in [n, 28, 28] {
        v.extend(d.to_be_bytes());
    }
    v.extend((0..n * 784).map(|i| (i % 251) as u8));
    v
}

fn idx_labels(n: u32) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 1];
    v.extend(n.to_be_bytes());
    v.extend((0..n).map(|i| (i % 10) as u8));
    v
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kiln-loaders-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_fashion(dir: &Path, train_images: &[u8]) {
    std::fs::write(dir.join("train-images-idx3-ubyte.gz"), gz(train_images)).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte.gz"), gz(&idx_labels(3))).unwrap();
    std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), gz(&idx_images(2))).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), gz(&idx_labels(2))).unwrap();
}

#[test]
fn fashion_mnist_reads_idx_files_and_rejects_bad_ones() {
    let d = tmp("fashion");
    write_fashion(&d, &idx_images(3));
    let ((x, y), (tx, ty)) = fashion_mnist::load_data_from(&d).unwrap();
    assert_eq!((x.shape(), y.shape()), (&[3, 28, 28][..], &[3][..]));
    assert_eq!((tx.shape(), ty.shape()), (&[2, 28, 28][..], &[2][..]));
    // Wrong magic number.
    let mut bad = idx_images(3);
    bad[2] = 9;
    write_fashion(&d, &bad);
    let e = fashion_mnist::load_data_from(&d).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte.gz"), "{e}");
    // Size mismatch: header says 3 images, data holds fewer.
    let mut short = idx_images(3);
    short.truncate(100);
    write_fashion(&d, &short);
    assert!(fashion_mnist::load_data_from(&d).is_err());
    // Truncated gzip stream.
    write_fashion(&d, &idx_images(3));
    let full = std::fs::read(d.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    std::fs::write(d.join("t10k-labels-idx1-ubyte.gz"), &full[..full.len() / 2]).unwrap();
    let e = fashion_mnist::load_data_from(&d).unwrap_err().to_string();
    assert!(e.contains("t10k-labels-idx1-ubyte.gz"), "{e}");
    // Labels not matching images.
    write_fashion(&d, &idx_images(4));
    assert!(fashion_mnist::load_data_from(&d).is_err());
    // MNIST checks checksums: a wrong file is an error too.
    assert!(mnist::load_data_from(&d).is_err());
    let _ = std::fs::remove_dir_all(&d);
}

fn record(label: &[u8], seed: u8) -> Vec<u8> {
    let mut r = label.to_vec();
    r.extend((0..3072u32).map(|i| (i as u8).wrapping_add(seed)));
    r
}

#[test]
fn cifar_binary_batches() {
    let d = tmp("cifar10");
    for b in 1..=5u8 {
        let recs: Vec<u8> = [record(&[b], b), record(&[9], 0)].concat();
        std::fs::write(d.join(format!("data_batch_{b}.bin")), recs).unwrap();
    }
    std::fs::write(d.join("test_batch.bin"), record(&[3], 7)).unwrap();
    let ((x, y), (tx, ty)) = cifar::load_cifar10_from(&d).unwrap();
    assert_eq!(x.shape(), &[10, 32, 32, 3]);
    assert_eq!(y.shape(), &[10, 1]);
    assert_eq!(y.to_vec::<u8>().unwrap()[..4], [1, 9, 2, 9]);
    assert_eq!(
        (tx.shape(), ty.to_vec::<u8>().unwrap()),
        (&[1, 32, 32, 3][..], vec![3])
    );
    // Channels-last: pixel 0's RGB come from offsets 0, 1024, 2048 of the record image.
    let px: Vec<u8> = x.to_vec::<u8>().unwrap()[..3].to_vec();
    assert_eq!(px, vec![1, 1, 1]);
    let second: Vec<u8> = x.to_vec::<u8>().unwrap()[3..6].to_vec();
    assert_eq!(second, vec![2, 2, 2]);
    // A file of the wrong length names itself.
    std::fs::write(d.join("test_batch.bin"), vec![0u8; 100]).unwrap();
    let e = cifar::load_cifar10_from(&d).unwrap_err().to_string();
    assert!(e.contains("test_batch.bin") && e.contains("3073"), "{e}");
    std::fs::write(d.join("test_batch.bin"), Vec::<u8>::new()).unwrap();
    assert!(cifar::load_cifar10_from(&d).is_err());

    let d100 = tmp("cifar100");
    std::fs::write(
        d100.join("train.bin"),
        [record(&[4, 42], 0), record(&[5, 51], 0)].concat(),
    )
    .unwrap();
    std::fs::write(d100.join("test.bin"), record(&[1, 10], 0)).unwrap();
    let ((_, fine), _) = cifar::load_cifar100_from(&d100, "fine").unwrap();
    assert_eq!(fine.to_vec::<u8>().unwrap(), vec![42, 51]);
    let ((_, coarse), _) = cifar::load_cifar100_from(&d100, "coarse").unwrap();
    assert_eq!(coarse.to_vec::<u8>().unwrap(), vec![4, 5]);
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::remove_dir_all(&d100);
}
