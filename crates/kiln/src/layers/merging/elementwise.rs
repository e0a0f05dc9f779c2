//! Element-wise merge layers (inputs broadcast against each other, as Keras allows).

use kiln_tensor::Tensor;

use crate::layers::layer::{CallContext, Layer, LayerBase, LayerInput, LayerRef, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

#[derive(Clone, Copy)]
enum Op {
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
}

fn check_arity(op: Op, class: &str, n: usize) -> Result<()> {
    if n == 0 || (matches!(op, Op::Subtract) && n != 2) {
        return Err(Error::InvalidArgument {
            api: "Merge.call",
            msg: format!(
                "layer {class} expects {} inputs, got {n}",
                if matches!(op, Op::Subtract) {
                    "exactly 2"
                } else {
                    "at least 1"
                },
            ),
        });
    }
    Ok(())
}

fn merge(op: Op, class: &str, inputs: &[Tensor]) -> Result<Tensor> {
    check_arity(op, class, inputs.len())?;
    let mut acc = inputs[0].clone();
    for x in &inputs[1..] {
        acc = match op {
            Op::Add | Op::Average => acc.add(x)?,
            Op::Subtract => acc.sub(x)?,
            Op::Multiply => acc.mul(x)?,
            Op::Maximum => acc.maximum(x)?,
            Op::Minimum => acc.minimum(x)?,
        };
    }
    if matches!(op, Op::Average) {
        acc = acc.div_scalar(inputs.len() as f64)?;
    }
    Ok(acc)
}

/// Broadcast of the input shapes (unknown sizes stay unknown).
fn merged_shape(class: &str, shapes: &[Shape]) -> Result<Shape> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out: Shape = vec![Some(1); rank];
    for s in shapes {
        let off = rank - s.len();
        for (i, d) in s.iter().enumerate() {
            let o = &mut out[off + i];
            *o = match (*o, *d) {
                (Some(1), d) => d,
                (o, Some(1)) => o,
                (Some(a), Some(b)) if a == b => Some(a),
                (Some(a), Some(b)) => {
                    return Err(Error::InvalidArgument {
                        api: "Merge",
                        msg: format!(
                            "layer {class}: inputs must have equal (or broadcastable) shapes, \
                             got sizes {a} and {b} on axis {}",
                            off + i
                        ),
                    })
                }
                _ => None,
            };
        }
    }
    Ok(out)
}

macro_rules! merge_layer {
    ($t:ident, $op:expr, $prefix:literal, $fn_name:ident, $doc:literal) => {
        #[doc = $doc]
        ///
        /// ```
        /// use kiln::layers::LayerRef;
        /// use kiln_tensor::Tensor;
        /// let a = Tensor::from_vec(vec![1.0f32, 4.0], &[1, 2])?;
        /// let b = Tensor::from_vec(vec![3.0f32, 2.0], &[1, 2])?;
        #[doc = concat!("let y = LayerRef::new(kiln::layers::", stringify!($t), "::new()).call(&[a, b])?;")]
        /// assert_eq!(y.shape(), &[1, 2]);
        /// # Ok::<(), kiln::Error>(())
        /// ```
        pub struct $t {
            base: LayerBase,
        }

        impl $t {
            /// A new merge layer.
            pub fn new() -> $t {
                $t {
                    base: LayerBase::new($prefix),
                }
            }
        }

        impl Default for $t {
            fn default() -> Self {
                $t::new()
            }
        }

        common_builders!($t);

        layer_state!($t, stringify!($t));

        impl Layer for $t {
            fn call_args(&self) -> $crate::layers::CallArgs {
                $crate::layers::CallArgs::List
            }
            fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
                Ok(vec![merge($op, stringify!($t), inputs)?])
            }
            fn supports_masking(&self) -> bool {
                true
            }
            fn compute_mask(
                &self,
                _inputs: &[Tensor],
                masks: &[Option<Tensor>],
            ) -> Result<Vec<Option<Tensor>>> {
                Ok(vec![and_masks(masks)?])
            }
            fn compute_output_shape(&self, shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
                Some(
                    check_arity($op, stringify!($t), shapes.len())
                        .and_then(|_| merged_shape(stringify!($t), shapes))
                        .map(|s| vec![s]),
                )
            }
        }

        #[doc = concat!("Functional form of [`", stringify!($t), "`]: `", stringify!($fn_name), "(&[a, b])`.")]
        ///
        /// ```
        /// use kiln::layers::Input;
        /// let (a, b) = (Input::shape(&[4]), Input::shape(&[4]));
        #[doc = concat!("let y = kiln::layers::", stringify!($fn_name), "(&[a, b])?;")]
        /// assert_eq!(y.shape(), &[None, Some(4)]);
        /// # Ok::<(), kiln::Error>(())
        /// ```
        pub fn $fn_name<X: LayerInput>(inputs: X) -> Result<X::Output> {
            LayerRef::new($t::new()).call(inputs)
        }
    };
}

merge_layer!(
    Add,
    Op::Add,
    "add",
    add,
    "`keras.layers.Add`: the sum of the inputs."
);
merge_layer!(
    Subtract,
    Op::Subtract,
    "subtract",
    subtract,
    "`keras.layers.Subtract`: the first input minus the second."
);
merge_layer!(
    Multiply,
    Op::Multiply,
    "multiply",
    multiply,
    "`keras.layers.Multiply`: the product of the inputs."
);
merge_layer!(
    Average,
    Op::Average,
    "average",
    average,
    "`keras.layers.Average`: the mean of the inputs."
);
merge_layer!(
    Maximum,
    Op::Maximum,
    "maximum",
    maximum,
    "`keras.layers.Maximum`: the element-wise maximum."
);
merge_layer!(
    Minimum,
    Op::Minimum,
    "minimum",
    minimum,
    "`keras.layers.Minimum`: the element-wise minimum."
);

/// Keras's `Merge.compute_mask`: the logical AND of the inputs' masks (None when none has one).
fn and_masks(masks: &[Option<Tensor>]) -> Result<Option<Tensor>> {
    let mut out: Option<Tensor> = None;
    for m in masks.iter().flatten() {
        out = Some(match out {
            None => m.clone(),
            Some(acc) => acc.logical_and(m)?,
        });
    }
    Ok(out)
}
