//! `SpatialDropout1D`, `SpatialDropout2D`, `SpatialDropout3D`.

use kiln_tensor::random::Generator;
use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::layers::fmt_shape;
use crate::layers::layer::{one_input, CallContext, Layer, LayerBase, Shape};
use crate::layers::macros::{common_builders, layer_state};
use crate::{Error, Result};

macro_rules! spatial_dropout {
    ($t:ident, $class:literal, $snake:literal, $spatial:expr, $doc_shape:literal) => {
        #[doc = concat!("`keras.layers.", $class, "`: dropout of whole feature maps — one")]
        #[doc = "keep/drop decision per sample and channel, shared over the spatial axes;"]
        #[doc = "kept values are scaled by `1 / (1 - rate)`. The identity in inference."]
        #[doc = ""]
        #[doc = "```"]
        #[doc = concat!("use kiln::layers::{", stringify!($t), ", LayerRef};")]
        #[doc = "use kiln_tensor::{DType, Tensor};"]
        #[doc = concat!("let l = LayerRef::new(", stringify!($t), "::new(0.5).seed(2));")]
        #[doc = concat!("let x = Tensor::ones(&", $doc_shape, ", DType::F32);")]
        #[doc = "let y = l.call_training(&x, true)?.to_vec::<f32>()?;"]
        #[doc = "assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));"]
        #[doc = "# Ok::<(), kiln::Error>(())"]
        #[doc = "```"]
        pub struct $t {
            base: LayerBase,
            rate: f64,
            seed: Option<u64>,
            channels_first: bool,
            generator: Option<Generator>,
        }

        impl $t {
            /// Drops each feature map with probability `rate` in `[0, 1)`.
            pub fn new(rate: f64) -> $t {
                $t {
                    base: LayerBase::new($snake),
                    rate,
                    seed: None,
                    channels_first: false,
                    generator: None,
                }
            }
            /// Seeds this layer's own random stream.
            pub fn seed(mut self, seed: u64) -> Self {
                self.seed = Some(seed);
                self.generator = Some(Generator::from_seed(seed));
                self
            }
            /// `"channels_last"` (default) or `"channels_first"`.
            pub fn data_format(mut self, format: &str) -> Result<Self> {
                self.channels_first = parse_format($class, format)?;
                Ok(self)
            }
        }

        common_builders!($t);
        layer_state!($t, $class);

        impl Layer for $t {
            fn build(&mut self, input_shapes: &[Shape]) -> Result<()> {
                check(
                    $class,
                    self.rate,
                    input_shapes.first().map(|s| s.len()),
                    $spatial + 2,
                )
            }
            fn call(&mut self, inputs: &[Tensor], ctx: &CallContext) -> Result<Vec<Tensor>> {
                let x = one_input(inputs, $class)?;
                if !ctx.training || self.rate == 0.0 {
                    return Ok(vec![x.clone()]);
                }
                let ns = noise_shape($class, x.shape(), $spatial + 2, self.channels_first)?;
                Ok(vec![x.dropout_noise_shape(
                    self.rate,
                    &ns,
                    self.generator.as_mut(),
                )?])
            }
            fn compute_output_shape(&self, input_shapes: &[Shape]) -> Option<Result<Vec<Shape>>> {
                Some(Ok(input_shapes.to_vec()))
            }
            fn get_config(&self) -> Value {
                let mut c = self.base.base_config();
                c.insert("rate".into(), json!(self.rate));
                c.insert("seed".into(), json!(self.seed));
                if $spatial > 1 {
                    c.insert(
                        "data_format".into(),
                        json!(if self.channels_first {
                            "channels_first"
                        } else {
                            "channels_last"
                        }),
                    );
                }
                Value::Object(c)
            }
        }
    };
}

fn parse_format(api: &'static str, format: &str) -> Result<bool> {
    match format {
        "channels_last" => Ok(false),
        "channels_first" => Ok(true),
        _ => Err(Error::InvalidArgument {
            api,
            msg: format!(
                "data_format must be \"channels_last\" or \"channels_first\", got {format:?}"
            ),
        }),
    }
}

fn check(api: &'static str, rate: f64, rank: Option<usize>, want: usize) -> Result<()> {
    if !(0.0..1.0).contains(&rate) {
        return Err(Error::InvalidArgument {
            api,
            msg: format!("rate must be in [0, 1), got {rate}"),
        });
    }
    match rank {
        Some(r) if r != want => Err(Error::InvalidArgument {
            api,
            msg: format!(
                "expected an input of rank {want} (batch, spatial..., channels), got rank {r}"
            ),
        }),
        _ => Ok(()),
    }
}

/// `(batch, 1, ..., 1, channels)` (channels last) or `(batch, channels, 1, ...)`.
fn noise_shape(
    api: &'static str,
    shape: &[usize],
    rank: usize,
    channels_first: bool,
) -> Result<Vec<usize>> {
    if shape.len() != rank {
        let s: Shape = shape.iter().map(|&d| Some(d)).collect();
        return Err(Error::InvalidArgument {
            api,
            msg: format!(
                "expected an input of rank {rank}, got shape {}",
                fmt_shape(&s)
            ),
        });
    }
    let mut ns = vec![1usize; rank];
    ns[0] = shape[0];
    let ch = if channels_first { 1 } else { rank - 1 };
    ns[ch] = shape[ch];
    Ok(ns)
}

spatial_dropout!(
    SpatialDropout1D,
    "SpatialDropout1D",
    "spatial_dropout1d",
    1,
    "[2, 5, 3]"
);
spatial_dropout!(
    SpatialDropout2D,
    "SpatialDropout2D",
    "spatial_dropout2d",
    2,
    "[2, 4, 4, 3]"
);
spatial_dropout!(
    SpatialDropout3D,
    "SpatialDropout3D",
    "spatial_dropout3d",
    3,
    "[2, 3, 3, 3, 2]"
);
