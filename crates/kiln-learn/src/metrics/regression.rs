//! Regression metrics on 1-D targets (`sklearn/metrics/_regression.py`).

use crate::error::{LearnError, Result};
use crate::numeric::{np_average, np_sum};
use crate::validation::{check_consistent_length, check_finite, check_sample_weight};

/// `_check_reg_targets` for 1-D inputs.
fn check_reg_targets(y_true: &[f64], y_pred: &[f64], sample_weight: Option<&[f64]>) -> Result<()> {
    check_consistent_length(&[
        Some(y_true.len()),
        Some(y_pred.len()),
        sample_weight.map(<[f64]>::len),
    ])?;
    for y in [y_true, y_pred] {
        if y.is_empty() {
            return Err(LearnError::NoSamples);
        }
        check_finite(y, "")?;
    }
    if let Some(w) = sample_weight {
        check_sample_weight(w)?;
    }
    Ok(())
}

/// Mean squared error (`sklearn.metrics.mean_squared_error`).
///
/// ```
/// use kiln_learn::metrics::mean_squared_error;
///
/// assert_eq!(mean_squared_error(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None)?, 0.375);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn mean_squared_error(
    y_true: &[f64],
    y_pred: &[f64],
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    check_reg_targets(y_true, y_pred, sample_weight)?;
    let errors: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - p) * (t - p))
        .collect();
    np_average(&errors, sample_weight)
}

/// Root mean squared error (`sklearn.metrics.root_mean_squared_error`).
///
/// ```
/// use kiln_learn::metrics::root_mean_squared_error;
///
/// let rmse = root_mean_squared_error(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None)?;
/// assert_eq!(rmse, 0.375_f64.sqrt());
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn root_mean_squared_error(
    y_true: &[f64],
    y_pred: &[f64],
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    Ok(mean_squared_error(y_true, y_pred, sample_weight)?.sqrt())
}

/// Mean absolute error (`sklearn.metrics.mean_absolute_error`).
///
/// ```
/// use kiln_learn::metrics::mean_absolute_error;
///
/// assert_eq!(mean_absolute_error(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None)?, 0.5);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn mean_absolute_error(
    y_true: &[f64],
    y_pred: &[f64],
    sample_weight: Option<&[f64]>,
) -> Result<f64> {
    check_reg_targets(y_true, y_pred, sample_weight)?;
    let errors: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (p - t).abs())
        .collect();
    np_average(&errors, sample_weight)
}

/// The coefficient of determination R² (`sklearn.metrics.r2_score`).
///
/// With `force_finite` (scikit-learn's default) a constant `y_true` scores 1 when
/// predicted perfectly and 0 otherwise, instead of NaN or -inf. Fewer than two samples
/// give NaN, as in scikit-learn (which also warns).
///
/// ```
/// use kiln_learn::metrics::r2_score;
///
/// let r2 = r2_score(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None, true)?;
/// assert!((r2 - 0.9486081370449679).abs() < 1e-15);
/// assert_eq!(r2_score(&[1.0, 1.0], &[1.0, 2.0], None, true)?, 0.0);
/// assert_eq!(r2_score(&[1.0, 1.0], &[1.0, 2.0], None, false)?, f64::NEG_INFINITY);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn r2_score(
    y_true: &[f64],
    y_pred: &[f64],
    sample_weight: Option<&[f64]>,
    force_finite: bool,
) -> Result<f64> {
    check_reg_targets(y_true, y_pred, sample_weight)?;
    if y_pred.len() < 2 {
        return Ok(f64::NAN);
    }
    let weight = |i: usize| sample_weight.map_or(1.0, |w| w[i]);
    let num: Vec<f64> = (0..y_true.len())
        .map(|i| weight(i) * ((y_true[i] - y_pred[i]) * (y_true[i] - y_pred[i])))
        .collect();
    let mean = np_average(y_true, sample_weight)?;
    let den: Vec<f64> = (0..y_true.len())
        .map(|i| weight(i) * ((y_true[i] - mean) * (y_true[i] - mean)))
        .collect();
    let (numerator, denominator) = (np_sum(&num), np_sum(&den));
    if !force_finite {
        return Ok(1.0 - numerator / denominator);
    }
    Ok(match (numerator != 0.0, denominator != 0.0) {
        (false, _) => 1.0,
        (true, true) => 1.0 - numerator / denominator,
        (true, false) => 0.0,
    })
}
