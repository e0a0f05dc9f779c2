//! S003-37: a 784-64-32-64-784 autoencoder on MNIST (`adam`, binary cross-entropy,
//! `validation_split=0.2`), its encoder as a sub-model (input to bottleneck), the 32-d
//! codes embedded in 2-D by t-SNE, and a scatter plot coloured by K-Means labels (ten
//! clusters of the same images' pixels, as S003-36).
//!
//! ```sh
//! cargo run --release -p kiln-plot --example s003_37_autoencoder_tsne            # short
//! cargo run --release -p kiln-plot --example s003_37_autoencoder_tsne -- --full  # seed scale
//! ```
//!
//! The short run trains on 5,000 images for 5 epochs and embeds 1,000 codes; `--full`
//! is the seed's 60,000 images, 50 epochs, batch 256 (t-SNE on 5,000 codes, which the
//! seed runs on all 60,000). The t-SNE and K-Means use `random_state=0`; PNGs go to
//! `$KILN_PLOT_OUT` (default `target/plots`).

mod common;

use kiln::prelude::*;
use kiln_learn::cluster::KMeans;
use kiln_learn::manifold::TSNE;
use kiln_plot::{history_plot, ScatterPlot};

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let full = std::env::args().any(|a| a == "--full");
    let (n, epochs, n_tsne) = if full {
        (60_000, 50, 5_000)
    } else {
        (5_000, 5, 1_000)
    };
    let (pixels, _) = common::mnist_train(n);
    let x_train = Tensor::from_vec(pixels.clone(), &[n, 784])?;
    kiln::tensor::random::set_global_seed(0);

    let input_layer = Input::new(&[Some(784)]).build();
    let encoded = Dense::new(64).activation("relu").apply(&input_layer)?;
    let bottleneck = Dense::new(32).activation("relu").apply(&encoded)?;
    let decoded = Dense::new(64).activation("relu").apply(&bottleneck)?;
    let output_layer = Dense::new(784).activation("sigmoid").apply(&decoded)?;
    let mut autoencoder = Model::new(std::slice::from_ref(&input_layer), &[output_layer])?;
    autoencoder.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy"),
    )?;
    let history = autoencoder.fit(
        &x_train,
        &x_train,
        FitArgs::new()
            .epochs(epochs)
            .batch_size(256)
            .shuffle(true)
            .validation_split(0.2)
            .verbose(2),
    )?;

    let mut encoder = Model::new(&[input_layer], &[bottleneck])?;
    let codes = encoder.predict(&x_train, PredictArgs::new().verbose(0))?;
    let codes: Vec<f32> = codes.to_vec()?;
    let first = kiln_learn::Matrix::new(
        codes[..n_tsne * 32].iter().map(|&v| f64::from(v)).collect(),
        n_tsne,
        32,
    )?;
    let start = std::time::Instant::now();
    let tsne = TSNE {
        random_state: Some(0),
        ..TSNE::default()
    }
    .fit_transform(&first)?;
    println!(
        "t-SNE of {n_tsne} codes: KL divergence {:.4} after {} iterations, {:.1} s",
        tsne.kl_divergence_,
        tsne.n_iter_,
        start.elapsed().as_secs_f64()
    );
    let km = KMeans {
        n_clusters: 10,
        random_state: Some(0),
        ..KMeans::default()
    }
    .fit(&common::matrix(&pixels[..n_tsne * 784], 784), None)?;
    let labels: Vec<i64> = km.labels_.iter().map(|&l| l as i64).collect();
    let points: Vec<[f64; 2]> = tsne.embedding_.rows().map(|r| [r[0], r[1]]).collect();
    let dir = common::out_dir();
    ScatterPlot::new("t-SNE of 32-d codes, K-Means colours", &points, &labels)?
        .save(dir.join("s003_37_tsne_codes.png"))?;
    history_plot(&history.history, &["loss", "val_loss"], "autoencoder loss")?
        .ylabel("binary cross-entropy")
        .save(dir.join("s003_37_loss.png"))?;
    println!("wrote {}", dir.display());
    Ok(())
}
