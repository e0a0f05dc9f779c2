//! String leaves through every dataset transformation: slices, map, filter, batch,
//! padded batch (padding ""), shuffle, cache, cache_file (and its corrupt-file errors),
//! take / skip / repeat / prefetch, zip, unbatch.

use kiln_data::dataset::{Dataset, Element};
use kiln_tensor::{strings, DType, Tensor};

fn words() -> Tensor {
    Tensor::from_strings(
        vec!["the cat", "a dog ran", "x", "hello big world", "end"],
        &[5],
    )
    .unwrap()
}

fn texts(items: &[Element]) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|e| e.as_tensor().unwrap().to_strings().unwrap())
        .collect()
}

#[test]
fn slices_map_filter_batch() {
    let ds = Dataset::from_tensor_slices(words()).unwrap();
    let items = ds.collect().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[1].as_tensor().unwrap().shape(), &[] as &[usize]);
    assert_eq!(
        items[1].as_tensor().unwrap().item_str().unwrap(),
        "a dog ran"
    );
    let upper = ds.map(|e| Ok(strings::upper(e.as_tensor()?)?.into()));
    assert_eq!(
        upper.collect().unwrap()[0]
            .as_tensor()
            .unwrap()
            .item_str()
            .unwrap(),
        "THE CAT"
    );
    let short = ds.filter(|e| Ok(strings::length(e.as_tensor()?)?.item::<i32>()? < 4));
    assert_eq!(
        texts(&short.collect().unwrap()),
        vec![vec!["x"], vec!["end"]]
    );
    let b = ds.batch(2).unwrap().collect().unwrap();
    assert_eq!(b.len(), 3);
    assert_eq!(b[0].as_tensor().unwrap().shape(), &[2]);
    assert_eq!(texts(&b)[2], vec!["end"]);
    let back = ds.batch(2).unwrap().unbatch().collect().unwrap();
    assert_eq!(back.len(), 5);
}

#[test]
fn padded_batch_pads_with_empty_strings() {
    let ds = Dataset::from_tensor_slices(words())
        .unwrap()
        .map(|e| Ok(strings::split_whitespace(e.as_tensor()?)?.into()));
    let b = ds
        .padded_batch(2, None, None, false)
        .unwrap()
        .collect()
        .unwrap();
    let first = b[0].as_tensor().unwrap();
    assert_eq!(first.shape(), &[2, 3]);
    assert_eq!(
        first.to_strings().unwrap(),
        vec!["the", "cat", "", "a", "dog", "ran"]
    );
    assert_eq!(b[2].as_tensor().unwrap().to_strings().unwrap(), vec!["end"]);
}

#[test]
fn shuffle_cache_take_skip_repeat_prefetch_zip() {
    let ds = Dataset::from_tensor_slices(words()).unwrap();
    let sh = ds.shuffle_with(5, Some(1), false).collect().unwrap();
    let mut got: Vec<String> = texts(&sh).concat();
    got.sort();
    let mut want = words().to_strings().unwrap();
    want.sort();
    assert_eq!(got, want);
    let cached = ds
        .map(|e| Ok(strings::lower(e.as_tensor()?)?.into()))
        .cache();
    assert_eq!(
        texts(&cached.collect().unwrap()),
        texts(&cached.collect().unwrap())
    );
    let t = ds
        .skip(1)
        .take(2)
        .repeat(Some(2))
        .prefetch(2)
        .collect()
        .unwrap();
    assert_eq!(texts(&t).concat(), vec!["a dog ran", "x", "a dog ran", "x"]);
    let labels =
        Dataset::from_tensor_slices(Tensor::from_vec(vec![0i64, 1, 0, 1, 1], &[5]).unwrap())
            .unwrap();
    let z = Dataset::zip(&[ds.clone(), labels])
        .batch(5)
        .unwrap()
        .collect()
        .unwrap();
    let parts = z[0].tuple().unwrap();
    assert_eq!(parts[0].as_tensor().unwrap().dtype(), DType::String);
    assert_eq!(
        parts[1].as_tensor().unwrap().to_vec::<i64>().unwrap(),
        vec![0, 1, 0, 1, 1]
    );
}

#[test]
fn cache_file_round_trips_strings_and_rejects_damage() {
    let dir = std::env::temp_dir().join(format!("kiln_strings_cache_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.cache");
    let _ = std::fs::remove_file(&path);
    let ds = Dataset::from_tensor_slices((
        Tensor::from_strings(vec!["héllo wörld", "", "tab\tsep"], &[3]).unwrap(),
        Tensor::from_vec(vec![1.5f32, 2.5, 3.5], &[3]).unwrap(),
    ))
    .unwrap()
    .batch(2)
    .unwrap();
    let first = ds.cache_file(&path).collect().unwrap();
    assert!(path.exists());
    // A second dataset over the same file reads it instead of the (different) upstream.
    let other = Dataset::from_tensor_slices((
        Tensor::from_strings(vec!["zzz"], &[1]).unwrap(),
        Tensor::from_vec(vec![0.0f32], &[1]).unwrap(),
    ))
    .unwrap();
    let again = other.cache_file(&path).collect().unwrap();
    assert_eq!(again.len(), 2);
    for (a, b) in first.iter().zip(&again) {
        let (ta, tb) = (a.tuple().unwrap(), b.tuple().unwrap());
        assert_eq!(
            ta[0].as_tensor().unwrap().to_strings().unwrap(),
            tb[0].as_tensor().unwrap().to_strings().unwrap()
        );
        assert_eq!(tb[0].as_tensor().unwrap().dtype(), DType::String);
    }
    assert_eq!(
        again[0].tuple().unwrap()[0]
            .as_tensor()
            .unwrap()
            .to_strings()
            .unwrap(),
        vec!["héllo wörld", ""]
    );
    // Damage a string's bytes (invalid UTF-8) and then truncate the file.
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    bytes[at] = 0xff;
    let bad = dir.join("bad.cache");
    std::fs::write(&bad, &bytes).unwrap();
    let e = other.cache_file(&bad).collect().unwrap_err().to_string();
    assert!(e.contains("UTF-8") || e.contains("checksum"), "{e}");
    let trunc = dir.join("trunc.cache");
    std::fs::write(&trunc, &bytes[..bytes.len() / 2]).unwrap();
    let e = other.cache_file(&trunc).collect().unwrap_err().to_string();
    assert!(e.contains("truncated") || e.contains("end marker"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
