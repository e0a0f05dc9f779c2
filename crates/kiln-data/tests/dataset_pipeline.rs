//! Dataset pipeline semantics (tf.data): slicing, batching, shuffling determinism,
//! repeat/take/skip/zip/concatenate/enumerate/cache/prefetch, cardinality rules, errors.

use kiln_data::dataset::{Cardinality, Dataset, Element};
use kiln_tensor::{DType, Tensor};

fn ints(ds: &Dataset) -> Vec<i64> {
    ds.collect()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e.leaves()[0]
                .cast(DType::I64)
                .unwrap()
                .to_vec::<i64>()
                .unwrap()
        })
        .collect()
}

fn range10() -> Dataset {
    Dataset::from_tensor_slices(Tensor::from_vec((0..10i64).collect(), &[10]).unwrap()).unwrap()
}

#[test]
fn slices_batches_and_structures() {
    let x = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[6, 2]).unwrap();
    let y = Tensor::from_vec((0..6i64).collect(), &[6]).unwrap();
    let ds = Dataset::from_tensor_slices((x, y)).unwrap();
    let first = &ds.collect().unwrap()[0];
    assert_eq!(first.tuple().unwrap()[0].as_tensor().unwrap().shape(), &[2]);
    let b = ds.batch(4).unwrap().collect().unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(
        b[0].tuple().unwrap()[0].as_tensor().unwrap().shape(),
        &[4, 2]
    );
    assert_eq!(
        b[1].tuple().unwrap()[1]
            .as_tensor()
            .unwrap()
            .to_vec::<i64>()
            .unwrap(),
        vec![4, 5]
    );
    assert_eq!(ds.batch_with(4, true).unwrap().collect().unwrap().len(), 1);
    // Batching element-wise (after a map) stacks the same way as the gather fast path.
    let mapped = ds.map(Ok).batch(4).unwrap().collect().unwrap();
    assert_eq!(
        mapped[0].tuple().unwrap()[0]
            .as_tensor()
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        b[0].tuple().unwrap()[0]
            .as_tensor()
            .unwrap()
            .to_vec::<f32>()
            .unwrap()
    );
    // unbatch inverts batch.
    assert_eq!(
        ints(&range10().batch(3).unwrap().unbatch()),
        (0..10).collect::<Vec<_>>()
    );
}

#[test]
fn shuffle_is_a_seeded_permutation_and_reshuffles_per_pass() {
    let ds = range10().shuffle_with(4, Some(7), true);
    let a = ints(&ds);
    let b = ints(&ds);
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(sorted, (0..10).collect::<Vec<_>>());
    assert_ne!(a, b, "reshuffle_each_iteration gives a new order per pass");
    let again = range10().shuffle_with(4, Some(7), true);
    assert_eq!(ints(&again), a, "same seed, same first pass");
    assert_eq!(ints(&again), b, "and the same second pass");
    let fixed = range10().shuffle_with(4, Some(7), false);
    assert_eq!(ints(&fixed), ints(&fixed));
    // A buffer of 1 keeps the order; the buffer bounds how far an element moves early.
    assert_eq!(
        ints(&range10().shuffle_with(1, Some(3), true)),
        (0..10).collect::<Vec<_>>()
    );
    let first = ints(&range10().shuffle_with(3, Some(5), true))[0];
    assert!(first < 3);
    // The gather fast path (shuffle -> batch over slices) visits the same order.
    let batched = ints(&range10().shuffle_with(4, Some(9), false).batch(3).unwrap());
    assert_eq!(batched, ints(&range10().shuffle_with(4, Some(9), false)));
}

#[test]
fn counting_and_combining() {
    assert_eq!(ints(&range10().take(3)), vec![0, 1, 2]);
    assert_eq!(ints(&range10().skip(8)), vec![8, 9]);
    assert_eq!(
        ints(&range10().take(2).repeat(Some(3))),
        vec![0, 1, 0, 1, 0, 1]
    );
    assert_eq!(ints(&range10().repeat(None).take(12)).len(), 12);
    assert_eq!(
        ints(&range10().take(2).concatenate(&range10().skip(9))),
        vec![0, 1, 9]
    );
    let z = Dataset::zip(&[range10(), range10().skip(5)])
        .collect()
        .unwrap();
    assert_eq!(z.len(), 5);
    let en = range10().skip(4).enumerate(100).collect().unwrap();
    assert_eq!(en[0].leaves()[0].item::<i64>().unwrap(), 100);
    assert_eq!(en[0].leaves()[1].item::<i64>().unwrap(), 4);
    assert_eq!(
        ints(&range10().filter(|e| Ok(e.as_tensor()?.item::<i64>()? > 6))),
        vec![7, 8, 9]
    );
    let m = range10().map_parallel(|e| Ok(Element::Tensor(e.as_tensor()?.mul_scalar(3.0)?)), 2);
    assert_eq!(ints(&m), (0..10).map(|v| v * 3).collect::<Vec<_>>());
    assert_eq!(ints(&range10().prefetch(2)), (0..10).collect::<Vec<_>>());
    // Dropping a prefetching iterator early stops its thread cleanly.
    let mut it = range10().repeat(None).prefetch(2).iter();
    assert!(it.next().is_some());
    drop(it);
    let cached = range10().shuffle_with(10, Some(1), true).cache();
    assert_eq!(ints(&cached), ints(&cached), "cache replays the first pass");
}

#[test]
fn cardinality_follows_tf_rules() {
    let c = |d: &Dataset| d.cardinality().as_i64();
    assert_eq!(c(&range10()), 10);
    assert_eq!(c(&range10().batch(3).unwrap()), 4);
    assert_eq!(c(&range10().batch_with(3, true).unwrap()), 3);
    assert_eq!(c(&range10().repeat(Some(2))), 20);
    assert_eq!(c(&range10().repeat(None)), -1);
    assert_eq!(c(&range10().repeat(None).take(5)), 5);
    assert_eq!(c(&range10().skip(12)), 0);
    assert_eq!(c(&range10().filter(|_| Ok(true))), -2);
    assert_eq!(c(&Dataset::zip(&[range10(), range10().take(4)])), 4);
    assert_eq!(c(&Dataset::zip(&[range10(), range10().repeat(None)])), 10);
    assert_eq!(c(&range10().concatenate(&range10())), 20);
    assert_eq!(
        Dataset::range(0, 10, 3).unwrap().cardinality(),
        Cardinality::Finite(4)
    );
    assert_eq!(
        Dataset::range(5, 0, -2).unwrap().cardinality(),
        Cardinality::Finite(3)
    );
}

#[test]
fn bad_input_is_an_error() {
    let e = Dataset::from_tensor_slices((
        Tensor::zeros(&[3, 2], DType::F32),
        Tensor::zeros(&[4], DType::F32),
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("[3, 2]") && e.contains("[4]"), "{e}");
    assert!(Dataset::from_tensor_slices(Tensor::scalar(1.0f32)).is_err());
    assert!(range10().batch(0).is_err());
    let mixed = range10().concatenate(&Dataset::zip(&[range10(), range10()]));
    assert!(mixed.collect().is_err());
    let ragged = Dataset::from_generator(|| {
        Box::new(
            vec![
                Tensor::zeros(&[2], DType::F32),
                Tensor::zeros(&[3], DType::F32),
            ]
            .into_iter()
            .map(|t| Ok(t.into())),
        )
    });
    let e = ragged.batch(2).unwrap().collect().unwrap_err().to_string();
    assert!(e.contains("[2]") && e.contains("[3]"), "{e}");
}

/// Regression (issue 15, bug 1): `cache()` then `shuffle()`, TF's usual order. The
/// shuffle buffer polled its ended input again and the cache replaced its stored pass
/// with an empty one, so every pass after the first was empty.
#[test]
fn cache_then_shuffle_keeps_every_pass() {
    let ds = range10()
        .cache()
        .shuffle_with(4, Some(7), true)
        .batch(3)
        .unwrap();
    for pass in 0..4 {
        let mut v = ints(&ds);
        assert_eq!(v.len(), 10, "pass {pass} lost elements");
        v.sort();
        assert_eq!(v, (0..10).collect::<Vec<_>>(), "pass {pass}");
    }
}

/// Regression (issue 15, bug 2): `cache_file()` then `shuffle()`: later passes read
/// past the end marker and failed with a false "bad element record".
#[test]
fn cache_file_then_shuffle_reads_every_pass() {
    let path = std::env::temp_dir().join(format!("kiln-cache-shuffle-{}.bin", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let ds = range10()
        .cache_file(&path)
        .shuffle_with(4, Some(7), true)
        .batch(3)
        .unwrap();
    for pass in 0..4 {
        let mut v: Vec<i64> = ds
            .iter()
            .map(|e| e.map(|e| e.leaves()[0].to_vec::<i64>().unwrap()))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("pass {pass}: {e}"))
            .concat();
        v.sort();
        assert_eq!(v, (0..10).collect::<Vec<_>>(), "pass {pass}");
    }
    // A reader polled again after its end stays ended.
    let mut it = range10().cache_file(&path).iter();
    assert_eq!(it.by_ref().count(), 10);
    assert!(it.next().is_none() && it.next().is_none());
    std::fs::remove_file(&path).unwrap();
}
