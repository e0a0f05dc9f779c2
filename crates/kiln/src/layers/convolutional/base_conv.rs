//! The machinery the convolutions share (Keras's `BaseConv`): argument checks,
//! weights, output shapes and config.

use kiln_tensor::ops::conv::Padding;
use kiln_tensor::{Tensor, Variable};
use serde_json::{json, Map, Value};

use crate::activations::Activation;
use crate::constraints::Constraint;
use crate::initializers::Initializer;
use crate::layers::fmt_shape;
use crate::layers::layer::{InputSpec, LayerBase, Shape};
use crate::regularizers::Regularizer;
use crate::{Error, Result};

/// The options of a convolution layer of `RANK` spatial dimensions.
#[derive(Clone)]
pub(crate) struct ConvOptions<const RANK: usize> {
    pub filters: usize,
    pub kernel_size: [usize; RANK],
    pub strides: [usize; RANK],
    pub padding: String,
    pub dilation_rate: [usize; RANK],
    pub groups: usize,
    pub activation: std::result::Result<Activation, String>,
    pub use_bias: bool,
    pub kernel_initializer: Initializer,
    pub bias_initializer: Initializer,
    pub kernel_regularizer: Option<Regularizer>,
    pub bias_regularizer: Option<Regularizer>,
    pub kernel_constraint: Option<Constraint>,
    pub bias_constraint: Option<Constraint>,
    pub data_format: String,
}

impl<const RANK: usize> ConvOptions<RANK> {
    pub fn new(filters: usize, kernel_size: [usize; RANK]) -> Self {
        ConvOptions {
            filters,
            kernel_size,
            strides: [1; RANK],
            padding: "valid".into(),
            dilation_rate: [1; RANK],
            groups: 1,
            activation: Ok(Activation::Linear),
            use_bias: true,
            kernel_initializer: Initializer::GlorotUniform(None),
            bias_initializer: Initializer::Zeros,
            kernel_regularizer: None,
            bias_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
            data_format: "channels_last".into(),
        }
    }

    /// Keras's constructor checks.
    pub fn validate(&self, api: &'static str) -> Result<Padding> {
        let bad = |msg: String| Err(Error::InvalidArgument { api, msg });
        if let Err(e) = &self.activation {
            return bad(e.clone());
        }
        if self.filters == 0 {
            return bad("filters must be a positive integer, got 0".into());
        }
        if self.groups == 0 || !self.filters.is_multiple_of(self.groups) {
            return bad(format!(
                "the number of filters must be evenly divisible by the number of groups; got filters={}, groups={}",
                self.filters, self.groups
            ));
        }
        if self.kernel_size.contains(&0)
            || self.strides.contains(&0)
            || self.dilation_rate.contains(&0)
        {
            return bad(format!(
                "kernel_size, strides and dilation_rate must be positive, got kernel_size={:?}, strides={:?}, dilation_rate={:?}",
                self.kernel_size, self.strides, self.dilation_rate
            ));
        }
        if self.strides.iter().any(|&s| s > 1) && self.dilation_rate.iter().any(|&d| d > 1) {
            return bad(format!(
                "strides > 1 is not compatible with dilation_rate > 1; got strides={:?}, dilation_rate={:?}",
                self.strides, self.dilation_rate
            ));
        }
        if self.data_format != "channels_last" {
            return bad(format!(
                "data_format={:?} is not supported yet; use \"channels_last\"",
                self.data_format
            ));
        }
        let pad = Padding::parse(&self.padding).map_err(|e| Error::InvalidArgument {
            api,
            msg: e.to_string(),
        })?;
        if pad == Padding::Causal && RANK != 1 {
            return bad("padding=\"causal\" is only supported for Conv1D".into());
        }
        Ok(pad)
    }

    /// Checks the input shape `(batch, spatial..., channels)` and returns the channels.
    pub fn input_channels(&self, api: &'static str, shape: &Shape) -> Result<usize> {
        if shape.len() != RANK + 2 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "expected an input of rank {} (batch, {}channels), got shape {}",
                    RANK + 2,
                    "spatial, ".repeat(RANK),
                    fmt_shape(shape)
                ),
            });
        }
        let c = shape[RANK + 1].ok_or_else(|| Error::InvalidArgument {
            api,
            msg: format!(
                "the channel dimension of the input must be known, got shape {}",
                fmt_shape(shape)
            ),
        })?;
        if !c.is_multiple_of(self.groups) {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "the number of input channels must be evenly divisible by groups; got {c} channels, groups={} (input shape {})",
                    self.groups,
                    fmt_shape(shape)
                ),
            });
        }
        Ok(c)
    }

    /// Adds `kernel (k..., c/groups, filters)` and `bias (filters)`.
    pub fn add_weights(
        &self,
        base: &mut LayerBase,
        c: usize,
    ) -> Result<(Variable, Option<Variable>)> {
        let mut shape: Vec<usize> = self.kernel_size.to_vec();
        shape.extend([c / self.groups, self.filters]);
        self.add_kernel_and_bias(base, &shape, self.filters, c)
    }

    /// Adds `kernel` of `kernel_shape` and (with `use_bias`) `bias (bias_len)` with these
    /// options' initializers, regularizers and constraints, and the input spec for `c`
    /// input channels (what every convolution's `build` does, whatever its kernel layout).
    pub fn add_kernel_and_bias(
        &self,
        base: &mut LayerBase,
        kernel_shape: &[usize],
        bias_len: usize,
        c: usize,
    ) -> Result<(Variable, Option<Variable>)> {
        let kernel = (base.weight("kernel", kernel_shape))
            .initializer(self.kernel_initializer.clone())
            .regularizer_opt(self.kernel_regularizer.clone())
            .constraint_opt(self.kernel_constraint.clone())
            .build()?;
        let bias = if self.use_bias {
            let bias = (base.weight("bias", &[bias_len]))
                .initializer(self.bias_initializer.clone())
                .regularizer_opt(self.bias_regularizer.clone())
                .constraint_opt(self.bias_constraint.clone());
            Some(bias.build()?)
        } else {
            None
        };
        base.input_spec = Some(vec![InputSpec::ndim(RANK + 2).with_axis(-1, c)]);
        Ok((kernel, bias))
    }

    /// Output length of one spatial axis (Keras's `compute_conv_output_shape`).
    pub fn out_len(&self, axis: usize, len: Option<usize>) -> Result<Option<usize>> {
        let Some(n) = len else { return Ok(None) };
        let eff = (self.kernel_size[axis] - 1) * self.dilation_rate[axis] + 1;
        let s = self.strides[axis];
        Ok(Some(match self.padding.to_ascii_lowercase().as_str() {
            "same" | "causal" => n.div_ceil(s),
            _ => {
                if n < eff {
                    return Err(Error::InvalidArgument {
                        api: "Conv",
                        msg: format!(
                            "the kernel (size {} with dilation {}, covering {eff}) is larger than the input (size {n}) along spatial axis {axis} with padding \"valid\"",
                            self.kernel_size[axis], self.dilation_rate[axis]
                        ),
                    });
                }
                (n - eff) / s + 1
            }
        }))
    }

    pub fn output_shape(&self, api: &'static str, shape: &Shape) -> Result<Shape> {
        if shape.len() != RANK + 2 {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "expected an input of rank {}, got shape {}",
                    RANK + 2,
                    fmt_shape(shape)
                ),
            });
        }
        let mut out = vec![shape[0]];
        for a in 0..RANK {
            out.push(
                self.out_len(a, shape[a + 1])
                    .map_err(|e| Error::InvalidArgument {
                        api,
                        msg: format!("{} (input shape {})", strip_api(&e), fmt_shape(shape)),
                    })?,
            );
        }
        out.push(Some(self.filters));
        Ok(out)
    }

    /// Bias and activation after the convolution.
    pub fn finish(&self, y: Tensor, bias: &Option<Variable>) -> Result<Tensor> {
        if let (Some(b), Ok(Activation::Relu)) = (bias, &self.activation) {
            // Bias and relu fused: one pass over the (often large) feature map.
            return Ok(y.bias_add_relu(&b.value())?);
        }
        let y = match bias {
            Some(b) => y.bias_add(&b.value())?,
            None => y,
        };
        let act = self.activation.clone().unwrap_or(Activation::Linear);
        act.apply(&y)
    }

    pub fn config(&self, c: &mut Map<String, Value>) {
        let reg =
            |r: &Option<Regularizer>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        let con =
            |r: &Option<Constraint>| r.as_ref().map(|r| r.get_config()).unwrap_or(Value::Null);
        c.insert("filters".into(), json!(self.filters));
        c.insert("kernel_size".into(), json!(self.kernel_size.to_vec()));
        c.insert("strides".into(), json!(self.strides.to_vec()));
        c.insert("padding".into(), json!(self.padding));
        c.insert("data_format".into(), json!(self.data_format));
        c.insert("dilation_rate".into(), json!(self.dilation_rate.to_vec()));
        c.insert("groups".into(), json!(self.groups));
        c.insert(
            "activation".into(),
            json!(self.activation.clone().unwrap_or_default().name()),
        );
        c.insert("use_bias".into(), json!(self.use_bias));
        c.insert(
            "kernel_initializer".into(),
            self.kernel_initializer.get_config(),
        );
        c.insert(
            "bias_initializer".into(),
            self.bias_initializer.get_config(),
        );
        c.insert("kernel_regularizer".into(), reg(&self.kernel_regularizer));
        c.insert("bias_regularizer".into(), reg(&self.bias_regularizer));
        c.insert("kernel_constraint".into(), con(&self.kernel_constraint));
        c.insert("bias_constraint".into(), con(&self.bias_constraint));
    }

    /// Reads the shared options from a config.
    pub fn from_config(class: &str, c: &Value) -> Result<Self> {
        use crate::layers::registry::{constraint, get_bool, get_usize, initializer, regularizer};
        let ints = |key: &str, default: usize| -> Result<[usize; RANK]> {
            match c.get(key) {
                None | Some(Value::Null) => Ok([default; RANK]),
                Some(Value::Number(n)) => Ok([n.as_u64().unwrap_or(0) as usize; RANK]),
                Some(Value::Array(a)) if a.len() == RANK => {
                    let mut out = [0usize; RANK];
                    for (o, v) in out.iter_mut().zip(a) {
                        *o = v.as_u64().unwrap_or(0) as usize;
                    }
                    Ok(out)
                }
                Some(v) => Err(Error::InvalidArgument {
                    api: "layers.from_config",
                    msg: format!(
                        "{class}: '{key}' must be an integer or a list of {RANK}, got {v}"
                    ),
                }),
            }
        };
        let mut o = ConvOptions::new(get_usize(class, c, "filters")?, ints("kernel_size", 0)?);
        o.strides = ints("strides", 1)?;
        o.dilation_rate = ints("dilation_rate", 1)?;
        o.padding = c
            .get("padding")
            .and_then(Value::as_str)
            .unwrap_or("valid")
            .to_string();
        o.data_format = c
            .get("data_format")
            .and_then(Value::as_str)
            .unwrap_or("channels_last")
            .to_string();
        o.groups = c.get("groups").and_then(Value::as_u64).unwrap_or(1) as usize;
        o.activation = match c.get("activation") {
            None | Some(Value::Null) => Ok(Activation::Linear),
            Some(Value::String(s)) => Activation::get(s).map_err(|e| e.to_string()),
            Some(v) => Err(format!("'activation' must be a name, got {v}")),
        };
        o.use_bias = get_bool(class, c, "use_bias", true)?;
        o.kernel_initializer = initializer(
            class,
            c,
            "kernel_initializer",
            Initializer::GlorotUniform(None),
        )?;
        o.bias_initializer = initializer(class, c, "bias_initializer", Initializer::Zeros)?;
        o.kernel_regularizer = regularizer(class, c, "kernel_regularizer")?;
        o.bias_regularizer = regularizer(class, c, "bias_regularizer")?;
        o.kernel_constraint = constraint(class, c, "kernel_constraint")?;
        o.bias_constraint = constraint(class, c, "bias_constraint")?;
        Ok(o)
    }
}

fn strip_api(e: &Error) -> String {
    match e {
        Error::InvalidArgument { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

impl<const RANK: usize> ConvOptions<RANK> {
    /// [`ConvOptions::validate`], refusing `"causal"` as Keras's depthwise, separable and
    /// transposed 1-D convolutions do.
    pub fn validate_no_causal(&self, api: &'static str) -> Result<Padding> {
        let pad = self.validate(api)?;
        if pad == Padding::Causal {
            return Err(Error::InvalidArgument {
                api,
                msg: "padding must be \"valid\" or \"same\", got \"causal\"".into(),
            });
        }
        Ok(pad)
    }
}

/// A convolution's input, strides and dilations as 2-D ones: a 1-D convolution
/// `(n, w, c)` runs as a 2-D one over `(n, 1, w, c)`.
pub(crate) struct Lifted {
    pub x: Tensor,
    pub strides: [usize; 2],
    pub dilations: [usize; 2],
    one_d: bool,
}

impl Lifted {
    pub fn new<const R: usize>(opts: &ConvOptions<R>, x: &Tensor) -> Result<Lifted> {
        let (s, d) = (&opts.strides, &opts.dilation_rate);
        match (R, x.shape()) {
            (1, &[n, w, c]) => Ok(Lifted {
                x: x.reshape(&[n as isize, 1, w as isize, c as isize])?,
                strides: [1, s[0]],
                dilations: [1, d[0]],
                one_d: true,
            }),
            (2, &[_, _, _, _]) => Ok(Lifted {
                x: x.clone(),
                strides: [s[0], s[1]],
                dilations: [d[0], d[1]],
                one_d: false,
            }),
            (_, shape) => Err(Error::InvalidArgument {
                api: "Conv",
                msg: format!("expected an input of rank {}, got shape {shape:?}", R + 2),
            }),
        }
    }

    /// A kernel `(k..., a, b)` in the 2-D layout.
    pub fn kernel(&self, k: &Tensor) -> Result<Tensor> {
        match (self.one_d, k.shape()) {
            (true, &[kw, a, b]) => Ok(k.reshape(&[1, kw as isize, a as isize, b as isize])?),
            _ => Ok(k.clone()),
        }
    }

    /// A 2-D output back in the input's layout.
    pub fn lower(&self, y: &Tensor) -> Result<Tensor> {
        match (self.one_d, y.shape()) {
            (true, &[n, 1, w, c]) => Ok(y.reshape(&[n as isize, w as isize, c as isize])?),
            _ => Ok(y.clone()),
        }
    }
}

/// Renames the `kernel_*` entries of a config to `<to>_*` (`depthwise_initializer`, ...).
pub(crate) fn rename_kernel_keys(c: &mut Map<String, Value>, from: &str, to: &str) {
    for what in ["initializer", "regularizer", "constraint"] {
        if let Some(v) = c.remove(&format!("{from}_{what}")) {
            c.insert(format!("{to}_{what}"), v);
        }
    }
}

/// Builder methods shared by the convolution layers (fields `opts`, `base`).
macro_rules! conv_builders {
    ([$($g:tt)*] $t:ty, $rank:expr) => {
        impl<$($g)*> $t {
            /// Stride per spatial axis (default 1).
            pub fn strides(
                mut self,
                s: impl Into<$crate::layers::convolutional::Ints<$rank>>,
            ) -> Self {
                self.opts.strides = s.into().0;
                self
            }
            /// `"valid"` (default), `"same"` (or `"causal"` for 1-D).
            pub fn padding(mut self, padding: &str) -> Self {
                self.opts.padding = padding.to_string();
                self
            }
            /// Dilation per spatial axis (default 1).
            pub fn dilation_rate(
                mut self,
                d: impl Into<$crate::layers::convolutional::Ints<$rank>>,
            ) -> Self {
                self.opts.dilation_rate = d.into().0;
                self
            }
            /// Channel groups (default 1).
            pub fn groups(mut self, groups: usize) -> Self {
                self.opts.groups = groups;
                self
            }
            /// Activation by name (default linear).
            pub fn activation(mut self, name: &str) -> Self {
                self.opts.activation =
                    $crate::activations::Activation::get(name).map_err(|e| e.to_string());
                self
            }
            /// Whether to add a bias (default true).
            pub fn use_bias(mut self, use_bias: bool) -> Self {
                self.opts.use_bias = use_bias;
                self
            }
            /// Kernel initializer (default glorot_uniform).
            pub fn kernel_initializer(
                mut self,
                init: impl Into<$crate::initializers::Initializer>,
            ) -> Self {
                self.opts.kernel_initializer = init.into();
                self
            }
            /// Bias initializer (default zeros).
            pub fn bias_initializer(
                mut self,
                init: impl Into<$crate::initializers::Initializer>,
            ) -> Self {
                self.opts.bias_initializer = init.into();
                self
            }
            /// Kernel regularizer.
            pub fn kernel_regularizer(mut self, r: $crate::regularizers::Regularizer) -> Self {
                self.opts.kernel_regularizer = Some(r);
                self
            }
            /// Bias regularizer.
            pub fn bias_regularizer(mut self, r: $crate::regularizers::Regularizer) -> Self {
                self.opts.bias_regularizer = Some(r);
                self
            }
            /// Activity regularizer (on the output).
            pub fn activity_regularizer(mut self, r: $crate::regularizers::Regularizer) -> Self {
                self.base.activity_regularizer = Some(r);
                self
            }
            /// Kernel constraint.
            pub fn kernel_constraint(mut self, c: $crate::constraints::Constraint) -> Self {
                self.opts.kernel_constraint = Some(c);
                self
            }
            /// Bias constraint.
            pub fn bias_constraint(mut self, c: $crate::constraints::Constraint) -> Self {
                self.opts.bias_constraint = Some(c);
                self
            }
            /// `"channels_last"` (default); `"channels_first"` is not supported yet and
            /// makes `build` fail.
            pub fn data_format(mut self, format: &str) -> Self {
                self.opts.data_format = format.to_string();
                self
            }
            /// The kernel variable once built.
            pub fn kernel(&self) -> Option<&kiln_tensor::Variable> {
                self.kernel.as_ref()
            }
        }
    };
    ($t:ty, $rank:expr) => {
        $crate::layers::convolutional::base_conv::conv_builders!([] $t, $rank);
    };
}
pub(crate) use conv_builders;
