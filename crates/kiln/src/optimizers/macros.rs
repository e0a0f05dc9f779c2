//! The `optimizer!` macro: one Keras optimizer class from its update rule, with the
//! shared builders (clipping, weight decay), `get_config` / `from_config` and the
//! [`Optimizer`](crate::optimizers::Optimizer) impl.

macro_rules! optimizer {
    (
        $(#[$doc:meta])*
        $t:ident, $name:literal, $rule:ident, default_lr = $lr:expr,
        { $($field:ident : $fty:ty = $default:expr, $fdoc:literal;)* }
        $(, extra_init = $extra:expr)?
    ) => {
        $(#[$doc])*
        pub struct $t {
            core: Core,
            rule: $rule,
        }

        impl Default for $t {
            fn default() -> Self {
                $t::new($lr)
            }
        }

        impl $t {
            /// With `learning_rate` (a number or a schedule) and Keras's other defaults.
            pub fn new(learning_rate: impl Into<LearningRate>) -> $t {
                #[allow(unused_mut)]
                let mut o = $t {
                    core: Core::new(learning_rate.into()),
                    rule: $rule { $($field: $default,)* $(..$extra)? },
                };
                o.init();
                o
            }

            $(
                #[doc = $fdoc]
                pub fn $field(mut self, v: $fty) -> $t {
                    self.rule.$field = v;
                    self
                }
            )*

            /// Clips each gradient to this L2 norm.
            pub fn clipnorm(mut self, v: f64) -> $t {
                self.core.clipnorm = Some(v);
                self
            }

            /// Clips gradient values to `[-v, v]`.
            pub fn clipvalue(mut self, v: f64) -> $t {
                self.core.clipvalue = Some(v);
                self
            }

            /// Scales all gradients together so their joint L2 norm is at most `v`.
            pub fn global_clipnorm(mut self, v: f64) -> $t {
                self.core.global_clipnorm = Some(v);
                self
            }

            /// Decoupled weight decay.
            pub fn weight_decay(mut self, v: f64) -> $t {
                self.core.weight_decay = Some(v);
                self
            }

            /// Keeps an exponential moving average of the variables (`use_ema`).
            pub fn use_ema(mut self, v: bool) -> $t {
                self.core.ema.enabled = v;
                self
            }

            /// The moving average's momentum (0.99; checked in `[0, 1]` at the first step).
            pub fn ema_momentum(mut self, v: f64) -> $t {
                self.core.ema.momentum = v;
                self
            }

            /// Writes the averages into the variables every `n` steps.
            pub fn ema_overwrite_frequency(mut self, n: u64) -> $t {
                self.core.ema.overwrite_frequency = Some(n);
                self
            }

            /// The update rule's parameters.
            pub fn rule(&self) -> &$rule {
                &self.rule
            }

            /// `Optimizer.from_config(config)`: Keras's `get_config()["config"]`, each
            /// key it has replacing the default (a schedule as `learning_rate`, EMA,
            /// loss scaling and gradient accumulation are refused).
            pub fn from_config(config: &Value) -> Result<$t> {
                let api = concat!(stringify!($t), ".from_config");
                let mut o = $t::new($lr);
                o.core.read_config(api, config)?;
                $(
                    // `null` is Keras's None: it sets an optional option to None and
                    // leaves a required one at its default.
                    if let Some(v) = config.get(stringify!($field)) {
                        match serde_json::from_value::<$fty>(v.clone()) {
                            Ok(x) => o.rule.$field = x,
                            Err(_) if v.is_null() => {}
                            Err(e) => {
                                return Err(Error::InvalidArgument {
                                    api,
                                    msg: format!(
                                        "'{}' = {v} is not a valid {}: {e}",
                                        stringify!($field),
                                        stringify!($fty)
                                    ),
                                })
                            }
                        }
                    }
                )*
                o.validate()?;
                Ok(o)
            }
        }

        impl Optimizer for $t {
            fn name(&self) -> &str {
                $name
            }
            fn apply_gradients(&mut self, grads_and_vars: &[(Tensor, Variable)]) -> Result<()> {
                self.validate()?;
                self.core.ema.validate(concat!(stringify!($t), ".apply_gradients"))?;
                self.core.apply(&mut self.rule, concat!(stringify!($t), ".apply_gradients"), grads_and_vars)
            }
            fn learning_rate(&self) -> f64 {
                self.core.current_lr()
            }
            fn set_learning_rate(&mut self, learning_rate: f64) {
                self.core.learning_rate = LearningRate::Constant(learning_rate);
            }
            fn iterations(&self) -> u64 {
                self.core.iterations
            }
            fn variables_size(&self) -> Option<(usize, usize)> {
                self.core.variables_size(&self.rule)
            }
            fn export_state(&self, vars: &[Variable]) -> Option<Vec<Tensor>> {
                self.core.export_state(&self.rule, vars)
            }
            fn import_state(&mut self, vars: &[Variable], values: &[Tensor]) -> Result<()> {
                self.core.import_state(&self.rule, vars, values)
            }
            fn swap_ema_weights(&mut self, vars: &[Variable]) -> Result<()> {
                self.core.ema.swap(vars)
            }
            fn set_ema_from_variables(&mut self, vars: &[Variable]) -> Result<()> {
                self.core.ema.set_averages_from(vars)
            }
            fn finalize_variable_values(&mut self, vars: &[Variable]) -> Result<()> {
                self.core.ema.finalize(vars)
            }
            fn get_config(&self) -> Value {
                let mut c = self.core.config($name);
                $( c.insert(stringify!($field).into(), json!(self.rule.$field)); )*
                json!({ "module": "keras.optimizers", "class_name": stringify!($t), "config": c,
                        "registered_name": null })
            }
        }
    };
}
