//! Corrupt inputs (issue 7, acceptance 3): each is an `Err` that names the file and the
//! problem, and nothing is half-loaded (an existing model keeps its weights).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use kiln::layers::Dense;
use kiln::models::Model;
use kiln::saving::{load_model, load_weights, restore_into, save_model, save_weights};
use kiln_tensor::Tensor;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/saving")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kiln_corrupt_{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// The members of a zip archive, in order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut v = Vec::new();
            f.read_to_end(&mut v).unwrap();
            (f.name().to_string(), v)
        })
        .collect()
}

fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    for (name, bytes) in members {
        z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
    buf.into_inner()
}

/// The Keras MLP fixture with one member replaced by `f(member)`.
fn mlp_with(name: &str, f: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let good = std::fs::read(fixtures().join("mlp.keras")).unwrap();
    let members: Vec<_> = unzip(&good)
        .into_iter()
        .map(|(n, b)| {
            let b = if n == name { f(&b) } else { b };
            (n, b)
        })
        .collect();
    zip_of(&members)
}

fn replace_once(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "an in-place patch keeps the length");
    let pos = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("'{from}' not found"));
    let mut out = bytes.to_vec();
    out[pos..pos + to.len()].copy_from_slice(to.as_bytes());
    out
}

fn load_err(path: &Path) -> String {
    match load_model(path) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    }
}

fn assert_names(e: &str, file: &str, problem: &[&str]) {
    assert!(e.contains(file), "error does not name {file}: {e}");
    for p in problem {
        assert!(e.contains(p), "error does not say '{p}': {e}");
    }
}

fn values(m: &Model) -> Vec<Vec<f32>> {
    m.weights()
        .iter()
        .map(|v| v.value().to_vec::<f32>().unwrap())
        .collect()
}

#[test]
fn keras_config_naming_an_unknown_class() {
    let bytes = mlp_with("config.json", |c| {
        replace_once(c, "\"class_name\": \"Dense\"", "\"class_name\": \"Dunse\"")
    });
    let p = tmp("unknown_class.keras");
    std::fs::write(&p, bytes).unwrap();
    assert_names(&load_err(&p), "unknown_class.keras", &["Dunse"]);
}

#[test]
fn keras_weight_of_the_wrong_shape() {
    // The config now asks for 9 units; the file's kernel is (6, 8).
    let bytes = mlp_with("config.json", |c| {
        replace_once(c, "\"units\": 8", "\"units\": 9")
    });
    let p = tmp("wrong_shape.keras");
    std::fs::write(&p, bytes).unwrap();
    assert_names(
        &load_err(&p),
        "wrong_shape.keras",
        &["shape [6, 8]", "[6, 9]", "model.weights.h5"],
    );
}

#[test]
fn legacy_h5_weight_of_the_wrong_shape() {
    let good = std::fs::read(fixtures().join("mlp_legacy.h5")).unwrap();
    // The model_config attribute is stored uncompressed (h5py, no checksums): patch it.
    let bad = replace_once(&good, "\"units\": 8", "\"units\": 9");
    let p = tmp("wrong_shape_legacy.h5");
    std::fs::write(&p, bad).unwrap();
    assert_names(
        &load_err(&p),
        "wrong_shape_legacy.h5",
        &["shape [6, 8]", "[6, 9]"],
    );
}

#[test]
fn legacy_h5_config_naming_an_unknown_class() {
    let good = std::fs::read(fixtures().join("mlp_legacy.h5")).unwrap();
    let bad = replace_once(
        &good,
        "\"class_name\": \"Dense\"",
        "\"class_name\": \"Dunse\"",
    );
    let p = tmp("unknown_class_legacy.h5");
    std::fs::write(&p, bad).unwrap();
    assert_names(&load_err(&p), "unknown_class_legacy.h5", &["Dunse"]);
}

fn two_dense(units: [usize; 2]) -> Model {
    Model::sequential(vec![
        Dense::new(units[0]).input_shape(&[3]).into(),
        Dense::new(units[1]).into(),
    ])
    .unwrap()
}

#[test]
fn load_weights_of_the_wrong_shape_changes_nothing() {
    // The first layer fits, the second does not: the first must not be assigned either.
    let other = two_dense([4, 5]);
    let p = tmp("other.weights.h5");
    save_weights(&other, &p).unwrap();
    let model = two_dense([4, 2]);
    let before = values(&model);
    let e = load_weights(&model, &p).unwrap_err().to_string();
    assert_names(&e, "other.weights.h5", &["shape [4, 5]", "[4, 2]"]);
    assert_eq!(values(&model), before, "weights changed by a failed load");
    // And the same through a .keras archive restored into an existing model.
    let k = tmp("other.keras");
    save_model(&other, &k).unwrap();
    let mut model = model;
    let e = restore_into(&mut model, &k).unwrap_err().to_string();
    assert_names(&e, "other.keras", &["shape [4, 5]"]);
    assert_eq!(
        values(&model),
        before,
        "weights changed by a failed restore"
    );
}

#[test]
fn zip_without_config_json() {
    let good = std::fs::read(fixtures().join("mlp.keras")).unwrap();
    let members: Vec<_> = unzip(&good)
        .into_iter()
        .filter(|(n, _)| n != "config.json")
        .collect();
    let p = tmp("no_config.keras");
    std::fs::write(&p, zip_of(&members)).unwrap();
    assert_names(&load_err(&p), "no_config.keras", &["'config.json'"]);
}

#[test]
fn zip_without_weights() {
    let good = std::fs::read(fixtures().join("mlp.keras")).unwrap();
    let members: Vec<_> = unzip(&good)
        .into_iter()
        .filter(|(n, _)| n != "model.weights.h5")
        .collect();
    let p = tmp("no_weights.keras");
    std::fs::write(&p, zip_of(&members)).unwrap();
    assert_names(&load_err(&p), "no_weights.keras", &["'model.weights.h5'"]);
}

#[test]
fn truncated_hdf5_inside_a_keras_archive() {
    let bytes = mlp_with("model.weights.h5", |h| h[..h.len() / 2].to_vec());
    let p = tmp("truncated_h5.keras");
    std::fs::write(&p, bytes).unwrap();
    assert_names(&load_err(&p), "truncated_h5.keras", &["model.weights.h5"]);
}

#[test]
fn bit_flipped_hdf5_inside_a_keras_archive() {
    // The HDF5 signature: always an error.
    let bytes = mlp_with("model.weights.h5", |h| {
        let mut h = h.to_vec();
        h[1] ^= 0x01;
        h
    });
    let p = tmp("flipped_sig.keras");
    std::fs::write(&p, bytes).unwrap();
    assert_names(&load_err(&p), "flipped_sig.keras", &["model.weights.h5"]);

    // Every structure byte of the file (superblock, object headers, B-trees, heaps: the
    // first 4 KiB hold them all in an h5py 'earliest' file) flipped, one at a time, each
    // at two bit positions: every result is a model or an error naming the file, never a
    // panic. Most flips must be caught.
    let h5 = unzip(&std::fs::read(fixtures().join("mlp.keras")).unwrap())
        .into_iter()
        .find(|(n, _)| n == "model.weights.h5")
        .unwrap()
        .1;
    let p = tmp("flipped.keras");
    let (mut errors, mut total) = (0, 0);
    for i in (0..h5.len().min(4096)).step_by(3) {
        for bit in [0x01u8, 0x80] {
            let bytes = mlp_with("model.weights.h5", |h| {
                let mut h = h.to_vec();
                h[i] ^= bit;
                h
            });
            std::fs::write(&p, bytes).unwrap();
            total += 1;
            if let Err(e) = load_model(&p) {
                errors += 1;
                assert_names(&e.to_string(), "flipped.keras", &[]);
            }
        }
    }
    assert!(errors > 0, "no flip of {total} was caught");
}

#[test]
fn bit_flipped_legacy_h5() {
    let good = std::fs::read(fixtures().join("mlp_legacy.h5")).unwrap();
    let p = tmp("flipped_legacy.h5");
    let mut errors = 0;
    for i in (0..good.len().min(4096)).step_by(7) {
        let mut b = good.clone();
        b[i] ^= 0x10;
        std::fs::write(&p, &b).unwrap();
        if let Err(e) = load_model(&p) {
            errors += 1;
            assert_names(&e.to_string(), "flipped_legacy.h5", &[]);
        }
    }
    assert!(errors > 0);
}

#[test]
fn a_good_archive_still_loads_after_the_patches() {
    // The helpers themselves do not corrupt: an unpatched re-zip loads and predicts.
    let bytes = mlp_with("config.json", |c| c.to_vec());
    let p = tmp("rezipped.keras");
    std::fs::write(&p, bytes).unwrap();
    let m = load_model(&p).unwrap();
    let y = m
        .call(&Tensor::ones(&[1, 6], kiln_tensor::DType::F32))
        .unwrap();
    assert_eq!(y.shape(), &[1, 3]);
}
