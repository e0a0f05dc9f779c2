//! scikit-learn's input checks (`check_consistent_length`, `check_array`'s finiteness
//! check, `_check_sample_weight`), with its messages.

use crate::error::{LearnError, Result};

/// `check_consistent_length`: all given lengths must agree.
pub(crate) fn check_consistent_length(lengths: &[Option<usize>]) -> Result<()> {
    let given: Vec<usize> = lengths.iter().flatten().copied().collect();
    if given.windows(2).any(|w| w[0] != w[1]) {
        return Err(LearnError::InconsistentLength { lengths: given });
    }
    Ok(())
}

/// `assert_all_finite`: NaN is reported before an infinity.
pub(crate) fn check_finite(values: &[f64], input_name: &str) -> Result<()> {
    let nan = values.iter().any(|v| v.is_nan());
    if nan || values.iter().any(|v| v.is_infinite()) {
        return Err(LearnError::NonFinite {
            input_name: input_name.to_string(),
            nan,
        });
    }
    Ok(())
}

/// `_check_sample_weight` for a given 1-D weight array of the right length: finite and
/// not all zero (negative weights are allowed, as in scikit-learn).
pub(crate) fn check_sample_weight(weights: &[f64]) -> Result<()> {
    check_finite(weights, "sample_weight")?;
    if weights.iter().all(|w| *w == 0.0) {
        return Err(LearnError::AllZeroSampleWeight);
    }
    Ok(())
}

/// Row lengths of a 2-D input; every row must have the same length.
pub(crate) fn check_2d<R: AsRef<[f64]>>(rows: &[R]) -> Result<usize> {
    let width = rows.first().map_or(0, |r| r.as_ref().len());
    if rows.iter().any(|r| r.as_ref().len() != width) {
        return Err(LearnError::InhomogeneousShape { n_rows: rows.len() });
    }
    Ok(width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let err = check_consistent_length(&[Some(3), Some(3), None, Some(2)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Found input variables with inconsistent numbers of samples: [3, 3, 2]"
        );
        assert!(check_consistent_length(&[Some(2), None, Some(2)]).is_ok());
        assert_eq!(
            check_finite(&[1.0, f64::INFINITY, f64::NAN], "")
                .unwrap_err()
                .to_string(),
            "Input contains NaN."
        );
        assert_eq!(
            check_finite(&[f64::NEG_INFINITY], "")
                .unwrap_err()
                .to_string(),
            "Input contains infinity or a value too large for dtype('float64')."
        );
        assert_eq!(
            check_sample_weight(&[f64::NAN]).unwrap_err().to_string(),
            "Input sample_weight contains NaN."
        );
        assert_eq!(
            check_sample_weight(&[0.0, 0.0]),
            Err(LearnError::AllZeroSampleWeight)
        );
        assert_eq!(
            check_2d(&[vec![1.0], vec![]]),
            Err(LearnError::InhomogeneousShape { n_rows: 2 })
        );
    }
}
