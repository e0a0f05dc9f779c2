//! S003-36: `KMeans(n_clusters=10)` on MNIST pixels (flattened, / 255), then a 10 x 10
//! grid: for each cluster its first ten images (the seed's figure), and the ten
//! centroids as 28 x 28 images.
//!
//! ```sh
//! cargo run --release -p kiln-plot --example s003_36_kmeans_mnist            # 10,000 images
//! cargo run --release -p kiln-plot --example s003_36_kmeans_mnist -- --full  # all 60,000
//! ```
//!
//! `random_state=0` (the seed has none); PNGs go to `$KILN_PLOT_OUT` (default
//! `target/plots`).

mod common;

use kiln_learn::cluster::KMeans;
use kiln_plot::ImageGrid;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let full = std::env::args().any(|a| a == "--full");
    let (x, y) = common::mnist_train(if full { 60_000 } else { 10_000 });
    let x = common::matrix(&x, 784);
    let start = std::time::Instant::now();
    let km = KMeans {
        n_clusters: 10,
        random_state: Some(0),
        ..KMeans::default()
    }
    .fit(&x, None)?;
    println!(
        "KMeans on {} images: inertia {:.1}, {} iterations, {:.2} s",
        x.n_rows(),
        km.inertia_,
        km.n_iter_,
        start.elapsed().as_secs_f64()
    );
    // the seed's display: ten members of each cluster, one cluster per row
    let mut members = Vec::new();
    for c in 0..10 {
        let idx: Vec<usize> = (0..x.n_rows())
            .filter(|&i| km.labels_[i] == c)
            .take(10)
            .collect();
        if idx.len() < 10 {
            return Err(format!("cluster {c} has only {} images", idx.len()).into());
        }
        let mut counts = [0usize; 10];
        for i in (0..x.n_rows()).filter(|&i| km.labels_[i] == c) {
            counts[y[i] as usize] += 1;
        }
        let (major, n) = counts
            .iter()
            .enumerate()
            .max_by_key(|(_, n)| **n)
            .map(|(d, n)| (d, *n))
            .unwrap_or((0, 0));
        let size = counts.iter().sum::<usize>();
        println!(
            "cluster {c}: {size} images, most often digit {major} ({:.0}%)",
            100.0 * n as f64 / size as f64
        );
        members.extend(idx.iter().map(|&i| x.row(i).to_vec()));
    }
    let dir = common::out_dir();
    ImageGrid::new(members, 28, 28)?
        .ncols(10)
        .scale(2)
        .save(dir.join("s003_36_cluster_members.png"))?;
    let centroids: Vec<Vec<f64>> = km.cluster_centers_.rows().map(<[f64]>::to_vec).collect();
    let titles = (0..10).map(|c| format!("cluster {c}")).collect();
    ImageGrid::new(centroids, 28, 28)?
        .ncols(5)
        .scale(3)
        .titles(titles)
        .save(dir.join("s003_36_centroids.png"))?;
    println!("wrote {}", dir.display());
    Ok(())
}
