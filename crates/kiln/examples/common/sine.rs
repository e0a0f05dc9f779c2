//! The sine-wave data of seed 003's sequence-model section: `sin(linspace(0, 50, 100))`,
//! windows of 10 steps predicting the next value (90 samples, `(90, 10, 1)` inputs).

use kiln_tensor::Tensor;

/// `(X (90, 10, 1), Y (90, 1))` from the 100-point sine wave, window 10.
pub fn windows() -> kiln::Result<(Tensor, Tensor)> {
    let n = 100;
    let window = 10;
    let data: Vec<f32> = (0..n)
        .map(|i| (50.0 * i as f64 / (n - 1) as f64).sin() as f32)
        .collect();
    let m = n - window;
    let mut x = Vec::with_capacity(m * window);
    let mut y = Vec::with_capacity(m);
    for i in 0..m {
        x.extend_from_slice(&data[i..i + window]);
        y.push(data[i + window]);
    }
    Ok((
        Tensor::from_vec(x, &[m, window, 1])?,
        Tensor::from_vec(y, &[m, 1])?,
    ))
}

/// Mean squared error of predictions against targets.
pub fn mse(pred: &Tensor, y: &Tensor) -> kiln::Result<f64> {
    Ok(pred.sub(y)?.square()?.mean(&[], false)?.to_f64_vec()[0])
}
