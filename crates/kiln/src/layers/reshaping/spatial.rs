//! Spatial reshaping: `ZeroPadding1D/2D/3D`, `Cropping1D/2D/3D`, `UpSampling1D/2D/3D`,
//! one macro per family over the number of spatial axes (inputs are channels-last).

use kiln_tensor::ops::manip::PadMode;
use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::fmt_shape;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

fn rank_err(api: &'static str, want: usize, s: &Shape) -> Error {
    Error::InvalidArgument {
        api,
        msg: format!(
            "expected an input of rank {want} (batch, spatial..., channels), got shape {}",
            fmt_shape(s)
        ),
    }
}

fn shape_of(x: &Tensor) -> Shape {
    x.shape().iter().map(|&d| Some(d)).collect()
}

macro_rules! zero_padding {
    ($t:ident, $class:literal, $snake:literal, $r:literal, $doc_in:literal, $doc_out:literal) => {
        #[doc = concat!("`keras.layers.", $class, "`: pads each spatial axis with zeros, `(before, after)` per axis.")]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use kiln::layers::{", stringify!($t), ", LayerRef};")]
        #[doc = "use kiln_tensor::{DType, Tensor};"]
        #[doc = concat!("let l = LayerRef::new(", stringify!($t), "::new(1));")]
        #[doc = concat!("assert_eq!(l.call(&Tensor::ones(&", $doc_in, ", DType::F32))?.shape(), &", $doc_out, ");")]
        #[doc = "# Ok::<(), kiln::Error>(())"]
        #[doc = "```"]
        pub struct $t {
            base: LayerBase,
            padding: [(usize, usize); $r],
        }

        impl $t {
            /// The same padding before and after every spatial axis.
            pub fn new(padding: usize) -> Self {
                $t { base: LayerBase::new($snake), padding: [(padding, padding); $r] }
            }
            /// `(before, after)` per spatial axis.
            pub fn pairs(padding: [(usize, usize); $r]) -> Self {
                $t { base: LayerBase::new($snake), padding }
            }
        }

        common_builders!($t);
        layer_state!($t, $class);

        impl Layer for $t {
            fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
                let x = one_input(inputs, $class)?;
                if x.rank() != $r + 2 {
                    return Err(rank_err($class, $r + 2, &shape_of(x)));
                }
                let mut pads = vec![(0usize, 0usize); $r + 2];
                pads[1..=$r].copy_from_slice(&self.padding);
                Ok(vec![x.pad(&pads, PadMode::Constant(0.0))?])
            }
            fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
                let s = input_shapes.first()?;
                if s.len() != $r + 2 {
                    return Some(Err(rank_err($class, $r + 2, s)));
                }
                let mut o = s.clone();
                for (a, (b, e)) in self.padding.iter().enumerate() {
                    o[a + 1] = s[a + 1].map(|n| n + b + e);
                }
                Some(Ok(vec![o]))
            }
            fn get_config(&self) -> Value {
                let mut c = self.base.base_config();
                let p: Vec<Value> = self.padding.iter().map(|(b, e)| json!([b, e])).collect();
                c.insert("padding".into(), if $r == 1 { p[0].clone() } else { Value::Array(p) });
                c.insert("data_format".into(), json!("channels_last"));
                Value::Object(c)
            }
        }
    };
}

macro_rules! cropping {
    ($t:ident, $class:literal, $snake:literal, $r:literal, $doc_in:literal, $doc_out:literal) => {
        #[doc = concat!("`keras.layers.", $class, "`: removes `(before, after)` elements from each spatial axis.")]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use kiln::layers::{", stringify!($t), ", LayerRef};")]
        #[doc = "use kiln_tensor::{DType, Tensor};"]
        #[doc = concat!("let l = LayerRef::new(", stringify!($t), "::new(1));")]
        #[doc = concat!("assert_eq!(l.call(&Tensor::ones(&", $doc_in, ", DType::F32))?.shape(), &", $doc_out, ");")]
        #[doc = "# Ok::<(), kiln::Error>(())"]
        #[doc = "```"]
        pub struct $t {
            base: LayerBase,
            cropping: [(usize, usize); $r],
        }

        impl $t {
            /// The same cropping before and after every spatial axis.
            pub fn new(c: usize) -> Self {
                $t { base: LayerBase::new($snake), cropping: [(c, c); $r] }
            }
            /// `(before, after)` per spatial axis.
            pub fn pairs(cropping: [(usize, usize); $r]) -> Self {
                $t { base: LayerBase::new($snake), cropping }
            }
            fn out(&self, s: &Shape) -> Result<Shape> {
                if s.len() != $r + 2 {
                    return Err(rank_err($class, $r + 2, s));
                }
                let mut o = s.clone();
                for (a, (b, e)) in self.cropping.iter().enumerate() {
                    if let Some(n) = s[a + 1] {
                        if b + e >= n {
                            return Err(Error::InvalidArgument {
                                api: $class,
                                msg: format!(
                                    "cropping {:?} removes all of spatial axis {a} (size {n}) of input shape {}",
                                    self.cropping, fmt_shape(s)
                                ),
                            });
                        }
                        o[a + 1] = Some(n - b - e);
                    }
                }
                Ok(o)
            }
        }

        common_builders!($t);
        layer_state!($t, $class);

        impl Layer for $t {
            fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
                let x = one_input(inputs, $class)?;
                let o = self.out(&shape_of(x))?;
                let mut begin = vec![0isize; $r + 2];
                let mut size: Vec<isize> = o.iter().map(|d| d.unwrap_or(0) as isize).collect();
                for (a, (b, _)) in self.cropping.iter().enumerate() {
                    begin[a + 1] = *b as isize;
                }
                size[0] = -1;
                size[$r + 1] = -1;
                Ok(vec![x.slice(&begin, &size)?])
            }
            fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
                Some(self.out(input_shapes.first()?).map(|o| vec![o]))
            }
            fn get_config(&self) -> Value {
                let mut c = self.base.base_config();
                let p: Vec<Value> = self.cropping.iter().map(|(b, e)| json!([b, e])).collect();
                c.insert("cropping".into(), if $r == 1 { p[0].clone() } else { Value::Array(p) });
                if $r > 1 {
                    c.insert("data_format".into(), json!("channels_last"));
                }
                Value::Object(c)
            }
        }
    };
}

macro_rules! up_sampling {
    ($t:ident, $class:literal, $snake:literal, $r:literal, $doc_in:literal, $doc_out:literal) => {
        #[doc = concat!("`keras.layers.", $class, "`: repeats each spatial row/column `size` times")]
        #[doc = "(nearest-neighbour). `UpSampling2D` also takes `interpolation(\"bilinear\")`: TF's"]
        #[doc = "half-pixel bilinear resize (`Tensor::resize_bilinear`); other interpolations are an"]
        #[doc = "error at call."]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use kiln::layers::{", stringify!($t), ", LayerRef};")]
        #[doc = "use kiln_tensor::{DType, Tensor};"]
        #[doc = concat!("let l = LayerRef::new(", stringify!($t), "::new(2));")]
        #[doc = concat!("assert_eq!(l.call(&Tensor::ones(&", $doc_in, ", DType::F32))?.shape(), &", $doc_out, ");")]
        #[doc = "# Ok::<(), kiln::Error>(())"]
        #[doc = "```"]
        pub struct $t {
            base: LayerBase,
            size: [usize; $r],
            interpolation: String,
        }

        impl $t {
            /// The same factor on every spatial axis.
            pub fn new(size: usize) -> Self {
                $t { base: LayerBase::new($snake), size: [size; $r], interpolation: "nearest".into() }
            }
            /// One factor per spatial axis.
            pub fn sizes(size: [usize; $r]) -> Self {
                $t { base: LayerBase::new($snake), size, interpolation: "nearest".into() }
            }
            /// `"nearest"` (default), or `"bilinear"` for `UpSampling2D`.
            pub fn interpolation(mut self, i: &str) -> Self {
                self.interpolation = i.to_string();
                self
            }
        }

        common_builders!($t);
        layer_state!($t, $class);

        impl Layer for $t {
            fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
                let x = one_input(inputs, $class)?;
                if x.rank() != $r + 2 {
                    return Err(rank_err($class, $r + 2, &shape_of(x)));
                }
                match self.interpolation.as_str() {
                    "nearest" => {}
                    "bilinear" if $r == 2 => return Ok(vec![bilinear(x, &self.size)?]),
                    other => {
                        return Err(Error::InvalidArgument {
                            api: $class,
                            msg: format!(
                                "interpolation {other:?} is not supported; use \"nearest\"{}",
                                if $r == 2 { " or \"bilinear\"" } else { "" }
                            ),
                        })
                    }
                }
                let mut y = x.clone();
                for (a, &k) in self.size.iter().enumerate() {
                    if k != 1 {
                        y = y.repeat(&[k], Some(a as isize + 1))?;
                    }
                }
                Ok(vec![y])
            }
            fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
                let s = input_shapes.first()?;
                if s.len() != $r + 2 {
                    return Some(Err(rank_err($class, $r + 2, s)));
                }
                let mut o = s.clone();
                for (a, &k) in self.size.iter().enumerate() {
                    o[a + 1] = s[a + 1].map(|n| n * k);
                }
                Some(Ok(vec![o]))
            }
            fn get_config(&self) -> Value {
                let mut c = self.base.base_config();
                if $r == 1 {
                    c.insert("size".into(), json!(self.size[0]));
                } else {
                    c.insert("size".into(), json!(self.size.to_vec()));
                    c.insert("data_format".into(), json!("channels_last"));
                    if $r == 2 {
                        c.insert("interpolation".into(), json!(self.interpolation));
                    }
                }
                Value::Object(c)
            }
        }
    };
}

zero_padding!(
    ZeroPadding1D,
    "ZeroPadding1D",
    "zero_padding1d",
    1,
    "[1, 4, 2]",
    "[1, 6, 2]"
);
zero_padding!(
    ZeroPadding2D,
    "ZeroPadding2D",
    "zero_padding2d",
    2,
    "[1, 4, 4, 2]",
    "[1, 6, 6, 2]"
);
cropping!(
    Cropping1D,
    "Cropping1D",
    "cropping1d",
    1,
    "[1, 4, 2]",
    "[1, 2, 2]"
);
cropping!(
    Cropping2D,
    "Cropping2D",
    "cropping2d",
    2,
    "[1, 4, 5, 2]",
    "[1, 2, 3, 2]"
);
up_sampling!(
    UpSampling1D,
    "UpSampling1D",
    "up_sampling1d",
    1,
    "[1, 3, 2]",
    "[1, 6, 2]"
);
up_sampling!(
    UpSampling2D,
    "UpSampling2D",
    "up_sampling2d",
    2,
    "[1, 3, 4, 2]",
    "[1, 6, 8, 2]"
);

zero_padding!(
    ZeroPadding3D,
    "ZeroPadding3D",
    "zero_padding3d",
    3,
    "[1, 2, 4, 4, 2]",
    "[1, 4, 6, 6, 2]"
);
cropping!(
    Cropping3D,
    "Cropping3D",
    "cropping3d",
    3,
    "[1, 4, 4, 5, 2]",
    "[1, 2, 2, 3, 2]"
);
up_sampling!(
    UpSampling3D,
    "UpSampling3D",
    "up_sampling3d",
    3,
    "[1, 2, 3, 4, 2]",
    "[1, 4, 6, 8, 2]"
);

/// `UpSampling2D(interpolation="bilinear")`: Keras resizes with `tf.image.resize` to
/// `(h * size[0], w * size[1])`.
fn bilinear(x: &Tensor, size: &[usize]) -> Result<Tensor> {
    let s = x.shape();
    Ok(x.resize_bilinear([s[1] * size[0], s[2] * size[1]])?)
}

/// `(before, after)` pairs from an int, a pair, or a list of pairs (Keras's forms).
fn pairs<const R: usize>(
    class: &str,
    v: Option<&Value>,
    default: usize,
) -> Result<[(usize, usize); R]> {
    let bad = || Error::InvalidArgument {
        api: "layers.from_config",
        msg: format!("{class}: expected an int, a pair or {R} pairs, got {v:?}"),
    };
    let u = |x: &Value| x.as_u64().map(|n| n as usize).ok_or_else(bad);
    match v {
        None | Some(Value::Null) => Ok([(default, default); R]),
        Some(Value::Number(_)) => {
            let n = u(v.ok_or_else(bad)?)?;
            Ok([(n, n); R])
        }
        Some(Value::Array(a)) if R == 1 && a.len() == 2 => Ok([(u(&a[0])?, u(&a[1])?); R]),
        Some(Value::Array(a)) if a.len() == R => {
            let mut out = [(0, 0); R];
            for (o, p) in out.iter_mut().zip(a) {
                *o = match p {
                    Value::Number(_) => (u(p)?, u(p)?),
                    Value::Array(q) if q.len() == 2 => (u(&q[0])?, u(&q[1])?),
                    _ => return Err(bad()),
                };
            }
            Ok(out)
        }
        _ => Err(bad()),
    }
}

pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<crate::layers::LayerRef>> {
    let sizes = |d: usize| -> Result<Vec<usize>> {
        match c.get("size") {
            None | Some(Value::Null) => Ok(vec![2; d]),
            Some(Value::Number(n)) => Ok(vec![n.as_u64().unwrap_or(2) as usize; d]),
            Some(Value::Array(a)) => {
                Ok(a.iter().map(|v| v.as_u64().unwrap_or(2) as usize).collect())
            }
            Some(v) => Err(Error::InvalidArgument {
                api: "layers.from_config",
                msg: format!("{class}: bad size {v}"),
            }),
        }
    };
    let interp = c
        .get("interpolation")
        .and_then(Value::as_str)
        .unwrap_or("nearest");
    Ok(Some(match class {
        "ZeroPadding1D" => ZeroPadding1D::pairs(pairs::<1>(class, c.get("padding"), 1)?).into(),
        "ZeroPadding2D" => ZeroPadding2D::pairs(pairs::<2>(class, c.get("padding"), 1)?).into(),
        "Cropping1D" => Cropping1D::pairs(pairs::<1>(class, c.get("cropping"), 1)?).into(),
        "Cropping2D" => Cropping2D::pairs(pairs::<2>(class, c.get("cropping"), 0)?).into(),
        "UpSampling1D" => UpSampling1D::new(sizes(1)?[0]).into(),
        "ZeroPadding3D" => ZeroPadding3D::pairs(pairs::<3>(class, c.get("padding"), 1)?).into(),
        "Cropping3D" => Cropping3D::pairs(pairs::<3>(class, c.get("cropping"), 1)?).into(),
        "UpSampling3D" => {
            let s = sizes(3)?;
            if s.len() != 3 {
                return Err(Error::InvalidArgument {
                    api: "layers.from_config",
                    msg: format!("{class}: size must be an int or 3 ints, got {s:?}"),
                });
            }
            UpSampling3D::sizes([s[0], s[1], s[2]]).into()
        }
        "UpSampling2D" => {
            let s = sizes(2)?;
            UpSampling2D::sizes([s[0], *s.get(1).unwrap_or(&s[0])])
                .interpolation(interp)
                .into()
        }
        _ => return Ok(None),
    }))
}
