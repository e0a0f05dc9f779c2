//! `MinMaxScaler` and `StandardScaler` with scikit-learn's semantics (per column of a
//! `(samples, features)` tensor; constant columns get scale 1).

use kiln_tensor::{DType, Tensor};

use crate::{DataError, Result};

fn columns(api: &'static str, x: &Tensor) -> Result<(usize, usize, Vec<f64>)> {
    if x.rank() != 2 || x.shape()[0] == 0 {
        return Err(DataError::Invalid {
            api,
            msg: format!(
                "expected a non-empty (samples, features) tensor, got shape {:?}",
                x.shape()
            ),
        });
    }
    Ok((
        x.shape()[0],
        x.shape()[1],
        x.cast(DType::F64)?.to_vec::<f64>()?,
    ))
}

fn apply(x: &Tensor, mul: &[f64], add: &[f64], api: &'static str) -> Result<Tensor> {
    let (_, f, v) = columns(api, x)?;
    if f != mul.len() {
        return Err(DataError::Invalid {
            api,
            msg: format!("fitted on {} features, got {f}", mul.len()),
        });
    }
    let out: Vec<f64> = v
        .iter()
        .enumerate()
        .map(|(i, &a)| a * mul[i % f] + add[i % f])
        .collect();
    let dt = if x.dtype().is_float() {
        x.dtype()
    } else {
        DType::F32
    };
    Ok(Tensor::from_vec(out, x.shape())?.cast(dt)?)
}

fn not_fitted(api: &'static str) -> DataError {
    DataError::Invalid {
        api,
        msg: "call fit first".into(),
    }
}

/// Scales each feature to `feature_range` (default `(0, 1)`).
///
/// ```
/// use kiln_data::utils::MinMaxScaler;
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 10.0, 3.0, 10.0], &[2, 2])?;
/// let mut s = MinMaxScaler::new((0.0, 1.0));
/// let y = s.fit_transform(&x)?;
/// assert_eq!(y.to_vec::<f32>()?, vec![0.0, 0.0, 1.0, 0.0]);
/// assert_eq!(s.inverse_transform(&y)?.to_vec::<f32>()?, vec![1.0, 10.0, 3.0, 10.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct MinMaxScaler {
    range: (f64, f64),
    scale: Vec<f64>,
    min: Vec<f64>,
}

impl MinMaxScaler {
    /// A scaler to `feature_range`.
    pub fn new(feature_range: (f64, f64)) -> MinMaxScaler {
        MinMaxScaler {
            range: feature_range,
            scale: Vec::new(),
            min: Vec::new(),
        }
    }
    /// Learns each column's min and max.
    pub fn fit(&mut self, x: &Tensor) -> Result<&mut Self> {
        let api = "MinMaxScaler.fit";
        if self.range.0 >= self.range.1 {
            return Err(DataError::Invalid {
                api,
                msg: format!("feature_range min must be below max, got {:?}", self.range),
            });
        }
        let (n, f, v) = columns(api, x)?;
        let (mut lo, mut hi) = (vec![f64::INFINITY; f], vec![f64::NEG_INFINITY; f]);
        for r in 0..n {
            for c in 0..f {
                lo[c] = lo[c].min(v[r * f + c]);
                hi[c] = hi[c].max(v[r * f + c]);
            }
        }
        let (a, b) = self.range;
        self.scale = lo
            .iter()
            .zip(&hi)
            .map(|(l, h)| (b - a) / if h - l == 0.0 { 1.0 } else { h - l })
            .collect();
        self.min = lo.iter().zip(&self.scale).map(|(l, s)| a - l * s).collect();
        Ok(self)
    }
    /// `x * scale + min` per column.
    pub fn transform(&self, x: &Tensor) -> Result<Tensor> {
        if self.scale.is_empty() {
            return Err(not_fitted("MinMaxScaler.transform"));
        }
        apply(x, &self.scale, &self.min, "MinMaxScaler.transform")
    }
    /// `fit` then `transform`.
    pub fn fit_transform(&mut self, x: &Tensor) -> Result<Tensor> {
        self.fit(x)?;
        self.transform(x)
    }
    /// Undoes `transform`.
    pub fn inverse_transform(&self, x: &Tensor) -> Result<Tensor> {
        if self.scale.is_empty() {
            return Err(not_fitted("MinMaxScaler.inverse_transform"));
        }
        let mul: Vec<f64> = self.scale.iter().map(|s| 1.0 / s).collect();
        let add: Vec<f64> = self
            .min
            .iter()
            .zip(&self.scale)
            .map(|(m, s)| -m / s)
            .collect();
        apply(x, &mul, &add, "MinMaxScaler.inverse_transform")
    }
}

/// Standardizes each feature to zero mean and unit (population) variance.
///
/// ```
/// use kiln_data::utils::StandardScaler;
/// use kiln_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 5.0], &[2, 2])?;
/// let mut s = StandardScaler::new();
/// assert_eq!(s.fit_transform(&x)?.to_vec::<f32>()?, vec![-1.0, 0.0, 1.0, 0.0]);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct StandardScaler {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl StandardScaler {
    /// An unfitted scaler.
    pub fn new() -> StandardScaler {
        StandardScaler::default()
    }
    /// Learns each column's mean and standard deviation.
    pub fn fit(&mut self, x: &Tensor) -> Result<&mut Self> {
        let (n, f, v) = columns("StandardScaler.fit", x)?;
        let mut mean = vec![0.0; f];
        for r in 0..n {
            for c in 0..f {
                mean[c] += v[r * f + c];
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0.0; f];
        for r in 0..n {
            for c in 0..f {
                var[c] += (v[r * f + c] - mean[c]).powi(2);
            }
        }
        self.scale = var
            .iter()
            .map(|s| {
                let sd = (s / n as f64).sqrt();
                if sd == 0.0 {
                    1.0
                } else {
                    sd
                }
            })
            .collect();
        self.mean = mean;
        Ok(self)
    }
    /// `(x - mean) / std` per column.
    pub fn transform(&self, x: &Tensor) -> Result<Tensor> {
        if self.scale.is_empty() {
            return Err(not_fitted("StandardScaler.transform"));
        }
        let mul: Vec<f64> = self.scale.iter().map(|s| 1.0 / s).collect();
        let add: Vec<f64> = self
            .mean
            .iter()
            .zip(&self.scale)
            .map(|(m, s)| -m / s)
            .collect();
        apply(x, &mul, &add, "StandardScaler.transform")
    }
    /// `fit` then `transform`.
    pub fn fit_transform(&mut self, x: &Tensor) -> Result<Tensor> {
        self.fit(x)?;
        self.transform(x)
    }
    /// Undoes `transform`.
    pub fn inverse_transform(&self, x: &Tensor) -> Result<Tensor> {
        if self.scale.is_empty() {
            return Err(not_fitted("StandardScaler.inverse_transform"));
        }
        apply(
            x,
            &self.scale,
            &self.mean,
            "StandardScaler.inverse_transform",
        )
    }
}
