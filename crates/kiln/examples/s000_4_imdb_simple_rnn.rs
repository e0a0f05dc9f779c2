//! S000-4: `Embedding(10000, 128) -> SimpleRNN(128) -> Dense(1, sigmoid)` on IMDB reviews
//! (`num_words=10000`, padded to 500 ids), adam + binary crossentropy, 10 epochs with the
//! test set as validation data, printing Keras's progress bar.
//!
//! Data: Keras's `imdb.npz` from `$KILN_DATA_DIR` when present; otherwise a clearly
//! announced synthetic stand-in of the same shapes (25,000 + 25,000 reviews of ids below
//! 10,000, padded to 500): each review is random filler ids with a few "sentiment" ids,
//! 10-19 for positive reviews and 20-29 for negative ones, so the labels depend on the ids.
//! `KILN_SAMPLES` (reviews per split), `KILN_MAXLEN` and `KILN_EPOCHS` shrink the run (the
//! seed's full run is hours of CPU time in Keras too).

use kiln::layers::{Dense, Embedding, SimpleRNN};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_data::datasets::{imdb, SequenceOptions, Sequences};
use kiln_data::utils::{pad_sequences, PadSequences};
use kiln_tensor::{DType, Tensor};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Synthetic reviews: filler ids 30..max_features plus 3-6 ids from the label's band.
fn stand_in(n: usize, max_features: usize, seed: u64) -> (Sequences, Tensor) {
    let mut s = seed;
    let mut next = move |m: usize| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as usize) % m
    };
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let positive = next(2) == 1;
        let len = 40 + next(200);
        let mut review: Vec<i64> = (0..len)
            .map(|_| (30 + next(max_features - 30)) as i64)
            .collect();
        for _ in 0..3 + next(4) {
            let band = if positive { 10 } else { 20 };
            let at = next(len);
            review[at] = (band + next(10)) as i64;
        }
        review.insert(0, 1); // start_char, as the loader adds
        xs.push(review);
        ys.push(positive as i64);
    }
    (xs, Tensor::from_vec(ys, &[n]).expect("labels"))
}

fn main() -> kiln::Result<()> {
    let max_features = 10000;
    let maxlen = env("KILN_MAXLEN", 500);
    let samples = env("KILN_SAMPLES", 25000);
    let epochs = env("KILN_EPOCHS", 10);
    let opts = SequenceOptions {
        num_words: Some(max_features),
        ..Default::default()
    };
    let ((x_train, y_train), (x_test, y_test)) = match imdb::load_data(&opts) {
        Ok(data) => data,
        Err(e) => {
            println!(
                "NOTE: IMDB not available ({e}); using a synthetic stand-in of the same shapes."
            );
            (
                stand_in(25000, max_features, 1),
                stand_in(25000, max_features, 2),
            )
        }
    };
    let take = |x: Sequences, y: Tensor| -> kiln::Result<(Sequences, Tensor)> {
        let n = samples.min(x.len());
        Ok((x[..n].to_vec(), y.slice(&[0], &[n as isize])?))
    };
    let (x_train, y_train) = take(x_train, y_train)?;
    let (x_test, y_test) = take(x_test, y_test)?;
    let pad = PadSequences {
        maxlen: Some(maxlen),
        ..Default::default()
    };
    let x_train = pad_sequences(&x_train, &pad)?;
    let x_test = pad_sequences(&x_test, &pad)?;
    println!("x_train shape: {:?}", x_train.shape());

    kiln::utils::set_random_seed(0);
    let mut model = Model::sequential(vec![
        Embedding::new(max_features, 128).into(),
        SimpleRNN::new(128).into(),
        Dense::new(1).activation("sigmoid").into(),
    ])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let (y_train, y_test) = (y_train.cast(DType::F32)?, y_test.cast(DType::F32)?);
    model.fit(
        &x_train,
        &y_train,
        FitArgs::new()
            .epochs(epochs)
            .validation_data(&x_test, &y_test),
    )?;
    model.summary();
    Ok(())
}
