//! keras.datasets.imdb / reuters on tiny files in Keras's layout: kiln's loaders return
//! exactly what Keras 3.15's return (tools/golden/gen_sequence_datasets.py), for the
//! default options and for num_words, skip_top, maxlen, start_char/oov_char/index_from
//! and seed variants; the restricted pickle reader refuses foreign globals and never
//! panics on truncated or damaged input.

use std::path::PathBuf;

use kiln_data::datasets::{imdb, reuters, SequenceOptions};
use kiln_data::npy_object::parse_object_npy;
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/sequence_datasets")
}

fn options(v: &Value) -> SequenceOptions {
    let mut o = SequenceOptions::default();
    let opt_i64 = |k: &str, default: Option<i64>| match v.get(k) {
        Some(Value::Null) => None,
        Some(x) => x.as_i64(),
        None => default,
    };
    o.num_words = v
        .get("num_words")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    o.skip_top = v.get("skip_top").and_then(Value::as_u64).unwrap_or(0) as usize;
    o.maxlen = v.get("maxlen").and_then(Value::as_u64).map(|n| n as usize);
    o.seed = v.get("seed").and_then(Value::as_u64).unwrap_or(113) as u32;
    o.start_char = opt_i64("start_char", Some(1));
    o.oov_char = opt_i64("oov_char", Some(2));
    o.index_from = v.get("index_from").and_then(Value::as_i64).unwrap_or(3);
    o
}

fn seqs(v: &Value) -> Vec<Vec<i64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect()
        })
        .collect()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

#[test]
fn loaders_match_keras() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    for case in doc["cases"].as_array().unwrap() {
        let file = dir().join(case["file"].as_str().unwrap());
        let opts = options(&case["options"]);
        let ((xtr, ytr), (xte, yte)) = match case["loader"].as_str().unwrap() {
            "imdb" => imdb::load_data_from(&file, &opts).unwrap(),
            _ => {
                let split = case["options"]["test_split"].as_f64().unwrap_or(0.2);
                reuters::load_data_from(&file, split, &opts).unwrap()
            }
        };
        let want = &case["result"];
        let what = format!("{} {}", case["file"], case["options"]);
        assert_eq!(xtr, seqs(&want["x_train"]), "{what}: x_train");
        assert_eq!(xte, seqs(&want["x_test"]), "{what}: x_test");
        assert_eq!(
            ytr.to_vec::<i64>().unwrap(),
            ints(&want["y_train"]),
            "{what}: y_train"
        );
        assert_eq!(
            yte.to_vec::<i64>().unwrap(),
            ints(&want["y_test"]),
            "{what}: y_test"
        );
        checked += 1;
    }
    assert_eq!(checked, 28);
}

#[test]
fn word_index_and_missing_files() {
    let index = imdb::get_word_index_from(dir().join("word_index.json")).unwrap();
    assert_eq!(index["the"], 1);
    assert_eq!(index["movie"], 17);
    assert_eq!(index.len(), 5);
    let err = imdb::load_data_from(dir().join("nope.npz"), &SequenceOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("nope.npz") && err.contains("KILN_DATA_DIR"),
        "{err}"
    );
    // An archive without the expected members names the missing one.
    let err = imdb::load_data_from(dir().join("reuters.npz"), &SequenceOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("x_train") && err.contains("reuters.npz"),
        "{err}"
    );
    // maxlen that keeps nothing is Keras's ValueError.
    let opts = SequenceOptions {
        maxlen: Some(1),
        ..Default::default()
    };
    let err = imdb::load_data_from(dir().join("imdb.npz"), &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("maxlen=1"), "{err}");
    let err = reuters::load_data_from(dir().join("reuters.npz"), 1.5, &SequenceOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("test_split"), "{err}");
}

#[test]
fn pickle_reader_refuses_foreign_globals() {
    let p = dir().join("evil.npy");
    let err = parse_object_npy(&p, &std::fs::read(&p).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("evil.npy") && err.contains("refusing") && err.contains("system"),
        "{err}"
    );
}

#[test]
fn pickle_reader_never_panics_on_damage() {
    let p = dir().join("x_protocol3.npy");
    let good = std::fs::read(&p).unwrap();
    let seqs = parse_object_npy(&p, &good).unwrap();
    assert_eq!(seqs.len(), 6);
    assert!(
        seqs[0].contains(&3_000_000_000),
        "LONG1 ids survive: {:?}",
        seqs[0]
    );
    for cut in 0..good.len() {
        assert!(
            parse_object_npy(&p, &good[..cut]).is_err(),
            "prefix of {cut} bytes parsed"
        );
    }
    for i in 0..good.len() {
        for bit in [0x01u8, 0x10, 0x80] {
            let mut bad = good.clone();
            bad[i] ^= bit;
            let _ = parse_object_npy(&p, &bad); // Ok or Err, never a panic
        }
    }
}
