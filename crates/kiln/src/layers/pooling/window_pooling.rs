//! `MaxPooling1D/2D/3D` and `AveragePooling1D/2D/3D`.

use kiln_tensor::ops::conv::Padding;
use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::convolutional::Ints;
use crate::layers::fmt_shape;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

/// Max or average.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Max,
    Avg,
}

/// Window options shared by the pooling layers.
#[derive(Clone)]
struct PoolOptions<const R: usize> {
    pool_size: [usize; R],
    strides: Option<[usize; R]>,
    padding: String,
    data_format: String,
}

impl<const R: usize> PoolOptions<R> {
    fn strides(&self) -> [usize; R] {
        self.strides.unwrap_or(self.pool_size)
    }
    fn check(&self, api: &'static str) -> Result<Padding> {
        if self.pool_size.contains(&0) || self.strides().contains(&0) {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "pool_size and strides must be positive, got pool_size={:?}, strides={:?}",
                    self.pool_size,
                    self.strides()
                ),
            });
        }
        if self.data_format != "channels_last" {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "data_format={:?} is not supported yet; use \"channels_last\"",
                    self.data_format
                ),
            });
        }
        match self.padding.to_ascii_lowercase().as_str() {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            p => Err(Error::InvalidArgument {
                api,
                msg: format!("padding must be \"valid\" or \"same\", got {p:?}"),
            }),
        }
    }
    fn output_shape(&self, api: &'static str, s: &Shape) -> Result<Shape> {
        if s.len() != R + 2 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "expected an input of rank {} (batch, {}channels), got shape {}",
                    R + 2,
                    "spatial, ".repeat(R),
                    fmt_shape(s)
                ),
            });
        }
        let same = self.padding.eq_ignore_ascii_case("same");
        let mut out = vec![s[0]];
        for a in 0..R {
            let (k, st) = (self.pool_size[a], self.strides()[a]);
            out.push(match s[a + 1] {
                None => None,
                Some(n) if same => Some(n.div_ceil(st)),
                Some(n) if n < k => {
                    return Err(Error::InvalidArgument {
                        api,
                        msg: format!("pool_size {k} is larger than the input (size {n}) along spatial axis {a} with padding \"valid\" (input shape {})", fmt_shape(s)),
                    })
                }
                Some(n) => Some((n - k) / st + 1),
            });
        }
        out.push(s[R + 1]);
        Ok(out)
    }
    fn config(&self, c: &mut serde_json::Map<String, Value>) {
        c.insert("pool_size".into(), json!(self.pool_size.to_vec()));
        c.insert("padding".into(), json!(self.padding));
        c.insert("strides".into(), json!(self.strides().to_vec()));
        c.insert("data_format".into(), json!(self.data_format));
    }
}

macro_rules! pool_layer {
    ($t:ident, $class:literal, $snake:literal, $rank:literal, $kind:expr, $doc:literal, $shape:literal, $out:literal) => {
        #[doc = $doc]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use kiln::layers::{", stringify!($t), ", LayerRef};")]
        #[doc = "use kiln_tensor::{DType, Tensor};"]
        #[doc = concat!("let p = LayerRef::new(", stringify!($t), "::new(2));")]
        #[doc = concat!("let y = p.call(&Tensor::ones(&", $shape, ", DType::F32))?;")]
        #[doc = concat!("assert_eq!(y.shape(), &", $out, ");")]
        #[doc = "# Ok::<(), kiln::Error>(())"]
        #[doc = "```"]
        pub struct $t {
            base: LayerBase,
            opts: PoolOptions<$rank>,
        }

        impl $t {
            /// A `pool_size` window (an int or one per axis); strides default to it.
            pub fn new(pool_size: impl Into<Ints<$rank>>) -> $t {
                $t {
                    base: LayerBase::new($snake),
                    opts: PoolOptions {
                        pool_size: pool_size.into().0,
                        strides: None,
                        padding: "valid".into(),
                        data_format: "channels_last".into(),
                    },
                }
            }
            /// Window step (default: the pool size).
            pub fn strides(mut self, s: impl Into<Ints<$rank>>) -> Self {
                self.opts.strides = Some(s.into().0);
                self
            }
            /// `"valid"` (default) or `"same"`.
            pub fn padding(mut self, padding: &str) -> Self {
                self.opts.padding = padding.to_string();
                self
            }
            /// `"channels_last"` (default); `"channels_first"` is not supported yet.
            pub fn data_format(mut self, f: &str) -> Self {
                self.opts.data_format = f.to_string();
                self
            }
        }

        common_builders!($t);
        layer_state!($t, $class);

        impl Layer for $t {
            fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
                self.opts.check($class)?;
                if let Some(s) = input_shapes.first() {
                    self.opts.output_shape($class, s)?;
                }
                Ok(())
            }
            fn call(&mut self, inputs: &[Tensor], _ctx: &CallContext) -> Result<Vec<Tensor>> {
                let x = one_input(inputs, $class)?;
                let pad = self.opts.check($class)?;
                let shape: Shape = x.shape().iter().map(|&d| Some(d)).collect();
                self.opts.output_shape($class, &shape)?;
                let (k, s) = (self.opts.pool_size, self.opts.strides());
                let y = pool(x, $kind, &k, &s, &pad)?;
                Ok(vec![y])
            }
            fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
                let s = input_shapes.first()?;
                Some(self.opts.output_shape($class, s).map(|o| vec![o]))
            }
            fn get_config(&self) -> Value {
                let mut c = self.base.base_config();
                self.opts.config(&mut c);
                Value::Object(c)
            }
        }
    };
}

fn pool(x: &Tensor, kind: Kind, k: &[usize], s: &[usize], pad: &Padding) -> Result<Tensor> {
    Ok(match (k.len(), kind) {
        (1, Kind::Max) => x.max_pool1d(k[0], s[0], pad)?,
        (1, Kind::Avg) => x.avg_pool1d(k[0], s[0], pad)?,
        (2, Kind::Max) => x.max_pool2d([k[0], k[1]], [s[0], s[1]], pad)?,
        (2, Kind::Avg) => x.avg_pool2d([k[0], k[1]], [s[0], s[1]], pad)?,
        (_, Kind::Max) => x.max_pool3d([k[0], k[1], k[2]], [s[0], s[1], s[2]], pad)?,
        (_, Kind::Avg) => x.avg_pool3d([k[0], k[1], k[2]], [s[0], s[1], s[2]], pad)?,
    })
}

pool_layer!(
    MaxPooling2D,
    "MaxPooling2D",
    "max_pooling2d",
    2,
    Kind::Max,
    "`keras.layers.MaxPooling2D`: the maximum of each window of `(batch, h, w, channels)`.",
    "[1, 4, 6, 3]",
    "[1, 2, 3, 3]"
);
pool_layer!(AveragePooling2D, "AveragePooling2D", "average_pooling2d", 2, Kind::Avg,
    "`keras.layers.AveragePooling2D`: the mean of each window (with 'same' padding, over the real elements only).",
    "[1, 4, 6, 3]", "[1, 2, 3, 3]");
pool_layer!(
    MaxPooling1D,
    "MaxPooling1D",
    "max_pooling1d",
    1,
    Kind::Max,
    "`keras.layers.MaxPooling1D`: the maximum of each window of `(batch, steps, channels)`.",
    "[1, 6, 3]",
    "[1, 3, 3]"
);
pool_layer!(
    AveragePooling1D,
    "AveragePooling1D",
    "average_pooling1d",
    1,
    Kind::Avg,
    "`keras.layers.AveragePooling1D`: the mean of each window of `(batch, steps, channels)`.",
    "[1, 6, 3]",
    "[1, 3, 3]"
);

pool_layer!(
    MaxPooling3D,
    "MaxPooling3D",
    "max_pooling3d",
    3,
    Kind::Max,
    "`keras.layers.MaxPooling3D`: the maximum of each window of `(batch, d, h, w, channels)`.",
    "[1, 4, 6, 2, 3]",
    "[1, 2, 3, 1, 3]"
);
pool_layer!(AveragePooling3D, "AveragePooling3D", "average_pooling3d", 3, Kind::Avg,
    "`keras.layers.AveragePooling3D`: the mean of each window of `(batch, d, h, w, channels)` (with 'same' padding, over the real elements only).",
    "[1, 4, 6, 2, 3]", "[1, 2, 3, 1, 3]");

/// Rebuilds a pooling layer's window options from a config.
fn opts_from<const R: usize>(class: &str, c: &Value) -> Result<PoolOptions<R>> {
    let ints = |key: &str| -> Result<Option<[usize; R]>> {
        match c.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(Some([n.as_u64().unwrap_or(0) as usize; R])),
            Some(Value::Array(a)) if a.len() == R => {
                let mut o = [0usize; R];
                for (d, v) in o.iter_mut().zip(a) {
                    *d = v.as_u64().unwrap_or(0) as usize;
                }
                Ok(Some(o))
            }
            Some(v) => Err(Error::InvalidArgument {
                api: "layers.from_config",
                msg: format!("{class}: '{key}' must be an integer or a list of {R}, got {v}"),
            }),
        }
    };
    Ok(PoolOptions {
        pool_size: ints("pool_size")?.unwrap_or([2; R]),
        strides: ints("strides")?,
        padding: c
            .get("padding")
            .and_then(Value::as_str)
            .unwrap_or("valid")
            .to_string(),
        data_format: c
            .get("data_format")
            .and_then(Value::as_str)
            .unwrap_or("channels_last")
            .to_string(),
    })
}

pub(crate) fn from_config(class: &str, c: &Value) -> Result<Option<crate::layers::LayerRef>> {
    macro_rules! mk {
        ($t:ident, $r:literal) => {{
            let mut l = $t::new(1);
            l.opts = opts_from::<$r>(class, c)?;
            l.into()
        }};
    }
    Ok(Some(match class {
        "MaxPooling2D" => mk!(MaxPooling2D, 2),
        "AveragePooling2D" => mk!(AveragePooling2D, 2),
        "MaxPooling1D" => mk!(MaxPooling1D, 1),
        "AveragePooling1D" => mk!(AveragePooling1D, 1),
        "MaxPooling3D" => mk!(MaxPooling3D, 3),
        "AveragePooling3D" => mk!(AveragePooling3D, 3),
        _ => return Ok(None),
    }))
}
