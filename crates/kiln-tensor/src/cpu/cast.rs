//! Element type conversion with `tf.cast` semantics.

use crate::dtype::{DType, Element, Storable};
use crate::{with_dtype, Tensor};

/// Converts every element of `t` to `dtype`: floats to integers truncate toward zero
/// (saturating, NaN to 0), anything to bool is `!= 0`, bool to numbers is 0/1.
///
/// Strings do not convert (the public `cast` rejects them before this): a numeric tensor
/// cast to string here gives empty strings and a string tensor cast to a number gives
/// zeros, which only creation functions with a string dtype (`eye`) reach.
pub(crate) fn cast_tensor(t: &Tensor, dtype: DType) -> Tensor {
    with_dtype!(t.dtype(), S => {
        let src = t.data::<S>();
        with_dtype!(dtype, D => {
            let out: Vec<D> = convert_slice::<S, D>(&src);
            Tensor::from_vec_unchecked(out, t.shape().to_vec())
        }, string => Tensor::from_stored(vec![<std::sync::Arc<str> as Storable>::fill(0.0); t.numel()], t.shape().to_vec()))
    }, string => crate::storage::with_any_dtype!(dtype, D => Tensor::from_stored(vec![<D as Storable>::fill(0.0); t.numel()], t.shape().to_vec())))
}

fn convert_slice<S: Element, D: Element>(src: &[S]) -> Vec<D> {
    // f64 is wide enough to carry every value of the other types except the extremes of
    // i64, which kiln's tensors do not rely on being exact beyond 2^53.
    src.iter().map(|&v| D::from_f64(v.to_f64())).collect()
}
