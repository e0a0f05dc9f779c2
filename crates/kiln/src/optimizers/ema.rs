//! Keras's `use_ema`: an exponential moving average of every trained variable, kept by
//! the optimizer after each step (optionally written back every
//! `ema_overwrite_frequency` steps, and at the end of `fit`), and swapped into the
//! model by the `SwapEMAWeights` callback.

use std::collections::HashMap;

use kiln_tensor::{DType, Tensor, Variable};
use serde_json::{json, Map, Value};

use crate::{Error, Result};

/// The EMA options and averages of one optimizer.
#[derive(Debug, Clone)]
pub(crate) struct Ema {
    pub(crate) enabled: bool,
    pub(crate) momentum: f64,
    pub(crate) overwrite_frequency: Option<u64>,
    /// Average of each variable by id (f64; Keras keeps the variable's dtype).
    averages: HashMap<u64, Vec<f64>>,
}

impl Default for Ema {
    fn default() -> Self {
        Ema {
            enabled: false,
            momentum: 0.99,
            overwrite_frequency: None,
            averages: HashMap::new(),
        }
    }
}

impl Ema {
    /// Keras's checks on the options.
    pub(crate) fn validate(&self, api: &'static str) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        if !(0.0..=1.0).contains(&self.momentum) {
            return Err(Error::InvalidArgument {
                api,
                msg: format!(
                    "`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={}",
                    self.momentum
                ),
            });
        }
        if self.overwrite_frequency == Some(0) {
            return Err(Error::InvalidArgument {
                api,
                msg: "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: \
                      ema_overwrite_frequency=0"
                    .into(),
            });
        }
        Ok(())
    }

    /// Reads `use_ema`, `ema_momentum` and `ema_overwrite_frequency` from a config.
    pub(crate) fn read_config(&mut self, api: &'static str, c: &Value) -> Result<()> {
        let bad = |k: &str, v: &Value, want: &str| Error::InvalidArgument {
            api,
            msg: format!("'{k}' = {v} is not {want}"),
        };
        if let Some(v) = c.get("use_ema").filter(|v| !v.is_null()) {
            self.enabled = v.as_bool().ok_or_else(|| bad("use_ema", v, "a bool"))?;
        }
        if let Some(v) = c.get("ema_momentum").filter(|v| !v.is_null()) {
            self.momentum = v
                .as_f64()
                .ok_or_else(|| bad("ema_momentum", v, "a number"))?;
        }
        match c.get("ema_overwrite_frequency") {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_i64() {
                Some(n) if n >= 1 => self.overwrite_frequency = Some(n as u64),
                _ => {
                    return Err(Error::InvalidArgument {
                        api,
                        msg: format!(
                            "`ema_overwrite_frequency` must be an integer >= 1 or None. \
                             Received: ema_overwrite_frequency={v}"
                        ),
                    })
                }
            },
        }
        self.validate(api)
    }

    /// The config entries.
    pub(crate) fn config(&self, m: &mut Map<String, Value>) {
        m.insert("use_ema".into(), json!(self.enabled));
        m.insert("ema_momentum".into(), json!(self.momentum));
        m.insert(
            "ema_overwrite_frequency".into(),
            json!(self.overwrite_frequency),
        );
    }

    /// After a step's updates (`iterations` not yet incremented): the averages, then
    /// the overwrite when `iterations + 1` is a multiple of the frequency.
    pub(crate) fn after_step(&mut self, vars: &[&Variable], iterations: u64) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        // Keras: momentum 0 on the first step (the average starts as the variable).
        let m = if iterations == 0 { 0.0 } else { self.momentum };
        for v in vars {
            let x = v.value().to_f64_vec();
            let avg = self
                .averages
                .entry(v.id())
                .or_insert_with(|| vec![0.0; x.len()]);
            for (a, xi) in avg.iter_mut().zip(&x) {
                *a = m * *a + (1.0 - m) * xi;
            }
        }
        if let Some(f) = self.overwrite_frequency
            && (iterations + 1).is_multiple_of(f)
        {
            for v in vars {
                self.write_average(v)?;
            }
        }
        Ok(())
    }

    fn write_average(&self, v: &Variable) -> Result<()> {
        if let Some(avg) = self.averages.get(&v.id()) {
            let t = Tensor::from_vec(avg.clone(), &v.shape())?.cast(v.dtype())?;
            v.assign(&t)?;
        }
        Ok(())
    }

    fn require(&self, api: &'static str) -> Result<()> {
        if self.enabled {
            return Ok(());
        }
        Err(Error::InvalidArgument {
            api,
            msg: "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. \
                  Received: use_ema=False"
                .into(),
        })
    }

    /// Exchanges each variable's value with its average (`SwapEMAWeights`).
    pub(crate) fn swap(&mut self, vars: &[Variable]) -> Result<()> {
        self.require("SwapEMAWeights")?;
        for v in vars {
            let x = v.value().to_f64_vec();
            let avg = self
                .averages
                .entry(v.id())
                .or_insert_with(|| vec![0.0; x.len()]);
            let t = Tensor::from_vec(avg.clone(), &v.shape())?.cast(v.dtype())?;
            v.assign(&t)?;
            *avg = x;
        }
        Ok(())
    }

    /// `finalize_variable_values`: the averages written into the variables.
    pub(crate) fn finalize(&self, vars: &[Variable]) -> Result<()> {
        if self.enabled {
            for v in vars {
                self.write_average(v)?;
            }
        }
        Ok(())
    }

    /// Copies the averages into the variables' places after a swap-back
    /// (`SwapEMAWeights` on the last epoch: Keras's `_finalize_ema_values`).
    pub(crate) fn set_averages_from(&mut self, vars: &[Variable]) -> Result<()> {
        self.require("SwapEMAWeights")?;
        for v in vars {
            self.averages.insert(v.id(), v.value().to_f64_vec());
        }
        Ok(())
    }

    /// Number of saved averages (one per variable) when enabled.
    pub(crate) fn count(&self, n_vars: usize) -> usize {
        if self.enabled {
            n_vars
        } else {
            0
        }
    }

    /// The averages Keras saves, after `iterations` and `learning_rate`.
    pub(crate) fn export(&self, vars: &[Variable]) -> Option<Vec<Tensor>> {
        if !self.enabled {
            return Some(Vec::new());
        }
        vars.iter()
            .map(|v| {
                let shape = v.shape();
                let n: usize = shape.iter().product();
                let a = self
                    .averages
                    .get(&v.id())
                    .cloned()
                    .unwrap_or_else(|| vec![0.0; n]);
                Tensor::from_vec(a, &shape).ok()?.cast(DType::F32).ok()
            })
            .collect()
    }

    /// Restores what [`Ema::export`] wrote (shapes checked by the caller's count).
    pub(crate) fn import(&mut self, vars: &[Variable], values: &[Tensor]) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        let mut averages = HashMap::new();
        for (v, t) in vars.iter().zip(values) {
            if t.shape() != v.shape().as_slice() {
                return Err(Error::InvalidArgument {
                    api: "Optimizer.import_state",
                    msg: format!(
                        "the average of '{}' has shape {:?}, expected {:?}",
                        v.name(),
                        t.shape(),
                        v.shape()
                    ),
                });
            }
            averages.insert(v.id(), t.to_f64_vec());
        }
        self.averages = averages;
        Ok(())
    }
}
