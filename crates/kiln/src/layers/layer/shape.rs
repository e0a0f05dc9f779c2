//! Keras shapes and the input checks a layer declares ([`InputSpec`]).

use kiln_tensor::Tensor;

use crate::{Error, Result};

/// A Keras shape: `None` for a dimension unknown until run time (the batch, usually).
pub type Shape = Vec<Option<usize>>;

/// The size of a shape's last axis (Keras's `input_shape[-1]` in `build`); an unknown or
/// missing last axis is an `Err`.
///
/// ```
/// assert_eq!(kiln::layers::last_dim(&vec![None, Some(8)])?, 8);
/// assert!(kiln::layers::last_dim(&vec![Some(2), None]).is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
pub fn last_dim(shape: &[Option<usize>]) -> Result<usize> {
    shape
        .last()
        .copied()
        .flatten()
        .ok_or_else(|| Error::InvalidArgument {
            api: "Layer.build",
            msg: format!(
                "the last axis of input shape {} must be known",
                fmt_shape(shape)
            ),
        })
}

/// The concrete shape of a tensor as a [`Shape`].
///
/// ```
/// let t = kiln_tensor::Tensor::zeros(&[2, 3], kiln_tensor::DType::F32);
/// assert_eq!(kiln::layers::shape_of(&t), vec![Some(2), Some(3)]);
/// ```
pub fn shape_of(t: &Tensor) -> Shape {
    t.shape().iter().map(|&d| Some(d)).collect()
}

/// Formats a shape as Keras prints it: `(None, 28, 28)`, `(10,)`.
///
/// ```
/// assert_eq!(kiln::layers::fmt_shape(&[None, Some(10)]), "(None, 10)");
/// assert_eq!(kiln::layers::fmt_shape(&[Some(3)]), "(3,)");
/// ```
pub fn fmt_shape(shape: &[Option<usize>]) -> String {
    let parts: Vec<String> = shape
        .iter()
        .map(|d| d.map(|v| v.to_string()).unwrap_or_else(|| "None".into()))
        .collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// What a layer requires of an input, checked on every call (Keras's `InputSpec`).
///
/// ```
/// let spec = kiln::layers::InputSpec::min_ndim(2).with_axis(-1, 784);
/// assert_eq!(spec.axes, vec![(-1, 784)]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputSpec {
    /// Exact rank.
    pub ndim: Option<usize>,
    /// Smallest rank.
    pub min_ndim: Option<usize>,
    /// Required sizes of given axes (negative axes count from the end).
    pub axes: Vec<(isize, usize)>,
}

impl InputSpec {
    /// A spec requiring rank `ndim`.
    ///
    /// ```
    /// assert_eq!(kiln::layers::InputSpec::ndim(4).ndim, Some(4));
    /// ```
    pub fn ndim(ndim: usize) -> InputSpec {
        InputSpec {
            ndim: Some(ndim),
            ..Default::default()
        }
    }

    /// A spec requiring rank at least `min_ndim`.
    ///
    /// ```
    /// assert_eq!(kiln::layers::InputSpec::min_ndim(2).min_ndim, Some(2));
    /// ```
    pub fn min_ndim(min_ndim: usize) -> InputSpec {
        InputSpec {
            min_ndim: Some(min_ndim),
            ..Default::default()
        }
    }

    /// Adds a required axis size.
    ///
    /// ```
    /// let s = kiln::layers::InputSpec::ndim(2).with_axis(1, 3);
    /// assert_eq!(s.axes, vec![(1, 3)]);
    /// ```
    pub fn with_axis(mut self, axis: isize, size: usize) -> InputSpec {
        self.axes.push((axis, size));
        self
    }

    /// Checks `shape` against the spec; the error names the layer, what was expected and
    /// what was received, as Keras's message does.
    ///
    /// ```
    /// let s = kiln::layers::InputSpec::min_ndim(2).with_axis(-1, 4);
    /// assert!(s.check("dense", 0, &[None, Some(4)]).is_ok());
    /// let e = s.check("dense", 0, &[Some(8), Some(3)]).unwrap_err().to_string();
    /// assert!(e.contains("expected axis -1 of input shape to have value 4"), "{e}");
    /// ```
    pub fn check(&self, layer: &str, index: usize, shape: &[Option<usize>]) -> Result<()> {
        let fail = |what: String| {
            Err(Error::InvalidArgument {
                api: "Layer.call",
                msg: format!(
                    "Input {index} of layer '{layer}' is incompatible with the layer: {what}, \
                     but received input with shape {}",
                    fmt_shape(shape)
                ),
            })
        };
        if let Some(n) = self.ndim
            && shape.len() != n
        {
            return fail(format!("expected ndim={n}, found ndim={}", shape.len()));
        }
        if let Some(n) = self.min_ndim
            && shape.len() < n
        {
            return fail(format!("expected min_ndim={n}, found ndim={}", shape.len()));
        }
        for &(axis, size) in &self.axes {
            let a = if axis < 0 {
                shape.len() as isize + axis
            } else {
                axis
            };
            if a < 0 || a as usize >= shape.len() {
                return fail(format!("expected axis {axis} to exist"));
            }
            if let Some(d) = shape[a as usize]
                && d != size
            {
                return fail(format!(
                    "expected axis {axis} of input shape to have value {size}"
                ));
            }
        }
        Ok(())
    }
}
