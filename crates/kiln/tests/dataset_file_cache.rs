//! `Dataset::cache_file` (tf.data's `cache(filename)`): round trips of tuples and dicts of
//! several dtypes, later passes read the file (the upstream map does not run again),
//! an abandoned or failed first pass leaves no cache, corrupt and truncated files are
//! errors naming the file. (It lives in the kiln crate so it shares kiln's build of
//! kiln-data.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kiln_data::dataset::{Dataset, Element};
use kiln_data::DataError;
use kiln_tensor::{DType, Tensor};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln_file_cache_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// Every leaf as (dtype, shape, values as f64), in order.
fn flat(e: &Element) -> Vec<(DType, Vec<usize>, Vec<f64>)> {
    e.leaves()
        .iter()
        .map(|t| (t.dtype(), t.shape().to_vec(), t.to_f64_vec()))
        .collect()
}

fn mixed() -> Dataset {
    let x = Tensor::from_vec((0..12).map(|v| v as f32 * 0.5).collect(), &[4, 3]).unwrap();
    let y = Tensor::from_vec(vec![1i64, -2, 3, i64::MAX], &[4]).unwrap();
    let w = Tensor::from_vec(vec![0.25f64, 1e300, -0.0, 7.0], &[4]).unwrap();
    let b = Tensor::from_vec(vec![true, false, true, true], &[4]).unwrap();
    let u = Tensor::from_vec((0..8u8).map(|v| v * 30).collect(), &[4, 2]).unwrap();
    let i = Tensor::from_vec(vec![i32::MIN, 0, 5, i32::MAX], &[4, 1]).unwrap();
    let h = Tensor::from_vec(vec![0.5f32, 1.5, -2.0, 1024.0], &[4])
        .unwrap()
        .cast(DType::F16)
        .unwrap();
    let dict = Element::Dict(vec![
        ("image".into(), Element::Tensor(u)),
        ("index".into(), Element::Tensor(i)),
        ("half".into(), Element::Tensor(h)),
    ]);
    Dataset::from_tensor_slices(Element::Tuple(vec![
        Element::Tuple(vec![x.into(), b.into()]),
        dict,
        y.into(),
        w.into(),
    ]))
    .unwrap()
}

#[test]
fn round_trip_of_nested_tuples_and_dicts_of_every_dtype() {
    let path = temp("mixed.cache");
    let plain = mixed().collect().unwrap();
    let cached = mixed().batch(3).unwrap().unbatch().cache_file(&path);
    let first = cached.collect().unwrap();
    assert!(path.exists(), "the first full pass writes the file");
    // A fresh dataset object on the same file reads it (as a later process would).
    let from_file = mixed().take(0).cache_file(&path).collect().unwrap();
    assert_eq!(from_file.len(), 4);
    for ((a, b), c) in plain.iter().zip(&first).zip(&from_file) {
        assert_eq!(flat(a), flat(b));
        assert_eq!(flat(a), flat(c));
        assert_eq!(a.structure(), c.structure());
    }
    // Names and order of the dict survive.
    match &from_file[0].tuple().unwrap()[1] {
        Element::Dict(v) => {
            let keys: Vec<&str> = v.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, ["image", "index", "half"]);
        }
        other => panic!("expected a dict, got {}", other.structure()),
    }
    std::fs::remove_file(&path).unwrap();
}

fn counted(calls: &Arc<AtomicUsize>) -> Dataset {
    let c = calls.clone();
    Dataset::range(0, 5, 1).unwrap().map(move |e| {
        c.fetch_add(1, Ordering::SeqCst);
        let t = e.as_tensor()?.mul_scalar(10.0)?;
        Ok(Element::Tensor(t))
    })
}

fn values(ds: &Dataset) -> Vec<i64> {
    ds.collect()
        .unwrap()
        .iter()
        .map(|e| e.as_tensor().unwrap().item::<i64>().unwrap())
        .collect()
}

#[test]
fn later_epochs_read_the_file_not_the_upstream() {
    let path = temp("epochs.cache");
    let calls = Arc::new(AtomicUsize::new(0));
    let ds = counted(&calls).cache_file(&path);
    assert_eq!(values(&ds), vec![0, 10, 20, 30, 40]);
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    for _ in 0..3 {
        assert_eq!(values(&ds), vec![0, 10, 20, 30, 40]);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        5,
        "the map ran only in the first pass"
    );
    // Repeat over the cache: epochs 2 and 3 come from the file too.
    let rep = counted(&calls).cache_file(&path).repeat(Some(3));
    assert_eq!(values(&rep).len(), 15);
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    assert_eq!(ds.cardinality(), kiln_data::dataset::Cardinality::Finite(5));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn an_abandoned_first_pass_leaves_no_cache() {
    let path = temp("partial.cache");
    let calls = Arc::new(AtomicUsize::new(0));
    let ds = counted(&calls).cache_file(&path);
    {
        let mut it = ds.iter();
        it.next().unwrap().unwrap();
        it.next().unwrap().unwrap();
    } // dropped after 2 of 5 elements
    assert!(!path.exists(), "no cache file after a partial pass");
    let dir = path.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("partial.cache.tmp")
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary file removed: {leftovers:?}"
    );
    // take() stops early too: still no cache.
    assert_eq!(values(&ds.take(3)), vec![0, 10, 20]);
    assert!(!path.exists());
    // The next full pass runs the upstream again and writes the complete cache.
    let before = calls.load(Ordering::SeqCst);
    assert_eq!(values(&ds), vec![0, 10, 20, 30, 40]);
    assert_eq!(calls.load(Ordering::SeqCst), before + 5);
    assert!(path.exists());
    assert_eq!(values(&ds), vec![0, 10, 20, 30, 40]);
    assert_eq!(calls.load(Ordering::SeqCst), before + 5);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_failing_pass_leaves_no_cache() {
    let path = temp("failing.cache");
    let ds = Dataset::range(0, 4, 1)
        .unwrap()
        .map(|e| {
            if e.as_tensor()?.item::<i64>()? == 2 {
                Err(DataError::Invalid {
                    api: "test",
                    msg: "boom".into(),
                })
            } else {
                Ok(e)
            }
        })
        .cache_file(&path);
    let got: Vec<_> = ds.iter().collect();
    assert!(got.iter().any(|r| r.is_err()));
    assert!(!path.exists());
}

#[test]
fn corrupt_and_truncated_files_are_errors_naming_the_file() {
    let path = temp("corrupt.cache");
    let calls = Arc::new(AtomicUsize::new(0));
    let ds = counted(&calls).cache_file(&path);
    values(&ds);
    let good = std::fs::read(&path).unwrap();
    let check = |bytes: &[u8], what: &str, want: &str| {
        std::fs::write(&path, bytes).unwrap();
        let err = ds
            .iter()
            .find_map(|r| r.err())
            .unwrap_or_else(|| panic!("{what}: expected an error"));
        let msg = err.to_string();
        assert!(msg.contains("corrupt.cache"), "{what}: {msg}");
        assert!(msg.contains(want), "{what}: {msg}");
    };
    check(&good[..good.len() - 5], "truncated tail", "end marker");
    check(&good[..good.len() / 2], "cut in half", "end marker");
    check(&good[..10], "header only", "too short");
    let mut bad = good.clone();
    bad[0] = b'X';
    check(&bad, "bad magic", "magic");
    let mut bad = good.clone();
    bad[8 + 17 + 3] ^= 0x55; // inside the first element's payload
    check(&bad, "flipped byte", "checksum");
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 16] = 9; // the element count in the end marker
    check(&bad, "wrong count", "missing");
    // A missing directory is an I/O error naming the file, not a panic.
    let nowhere = temp("x").parent().unwrap().join("no/such/dir/c.cache");
    let err = Dataset::range(0, 2, 1)
        .unwrap()
        .cache_file(&nowhere)
        .iter()
        .find_map(|r| r.err())
        .unwrap();
    assert!(err.to_string().contains("c.cache"), "{err}");
    std::fs::remove_file(&path).unwrap();
}
