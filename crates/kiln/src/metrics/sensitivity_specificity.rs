//! The metrics that read one rate where another meets a constraint, from confusion
//! counts at evenly spaced thresholds: `keras.metrics.PrecisionAtRecall`,
//! `RecallAtPrecision`, `SensitivityAtSpecificity` and `SpecificityAtSensitivity`.

use kiln_tensor::Tensor;
use serde_json::{json, Value};

use crate::metrics::auc::sweep_thresholds;
use crate::metrics::config::MetricConfig;
use crate::metrics::confusion::{flat_inputs, Counts};
use crate::metrics::Metric;
use crate::{Error, Result};

fn div_no_nan(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// Which rate is constrained and which is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Kind::PrecisionAtRecall => "PrecisionAtRecall",
            Kind::RecallAtPrecision => "RecallAtPrecision",
            Kind::SensitivityAtSpecificity => "SensitivityAtSpecificity",
            Kind::SpecificityAtSensitivity => "SpecificityAtSensitivity",
        }
    }
    /// The constructor argument holding the constraint.
    fn arg(self) -> &'static str {
        match self {
            Kind::PrecisionAtRecall => "recall",
            Kind::RecallAtPrecision => "precision",
            Kind::SensitivityAtSpecificity => "specificity",
            Kind::SpecificityAtSensitivity => "sensitivity",
        }
    }
    fn default_name(self) -> &'static str {
        match self {
            Kind::PrecisionAtRecall => "precision_at_recall",
            Kind::RecallAtPrecision => "recall_at_precision",
            Kind::SensitivityAtSpecificity => "sensitivity_at_specificity",
            Kind::SpecificityAtSensitivity => "specificity_at_sensitivity",
        }
    }
}

/// The shared state (Keras's `SensitivitySpecificityBase`).
#[derive(Debug, Clone)]
struct AtThreshold {
    kind: Kind,
    name: String,
    value: f64,
    num_thresholds: usize,
    class_id: Option<usize>,
    thresholds: Vec<f64>,
    counts: Vec<Counts>,
}

impl AtThreshold {
    fn new(kind: Kind, value: f64, num_thresholds: usize) -> Result<Self> {
        if !(0.0..=1.0).contains(&value) {
            return Err(Error::InvalidArgument {
                api: kind.class(),
                msg: format!(
                    "Argument `{a}` must be in the range [0, 1]. Received: {a}={value:?}",
                    a = kind.arg()
                ),
            });
        }
        if num_thresholds == 0 {
            return Err(Error::InvalidArgument {
                api: kind.class(),
                msg: "Argument `num_thresholds` must be an integer > 0. Received: \
                      num_thresholds=0"
                    .into(),
            });
        }
        let thresholds = if num_thresholds == 1 {
            vec![0.5]
        } else {
            let mut t = vec![0.0];
            t.extend((0..num_thresholds - 2).map(|i| (i + 1) as f64 / (num_thresholds - 1) as f64));
            t.push(1.0);
            t
        };
        Ok(AtThreshold {
            kind,
            name: kind.default_name().into(),
            value,
            num_thresholds,
            class_id: None,
            counts: vec![Counts::default(); thresholds.len()],
            thresholds,
        })
    }

    fn from_config(kind: Kind, c: &Value) -> Result<Self> {
        let r = MetricConfig::new(kind.class(), c);
        let n = r.int("num_thresholds", 200)?;
        if n <= 0 {
            return Err(r.bad(format!(
                "Argument `num_thresholds` must be an integer > 0. Received: num_thresholds={n}"
            )));
        }
        let mut s = AtThreshold::new(kind, r.required_num(kind.arg())?, n as usize)?;
        s.name = r.name(kind.default_name())?;
        s.class_id = r.opt_int("class_id")?.map(|c| c as usize);
        Ok(s)
    }

    fn update(&mut self, y_true: &Tensor, y_pred: &Tensor, w: Option<&Tensor>) -> Result<()> {
        let api = self.kind.class();
        let (mut t, mut p, mut w) = flat_inputs(api, y_true, y_pred, w)?;
        if let Some(c) = self.class_id {
            let last = y_pred.shape().last().copied().unwrap_or(1);
            if y_pred.rank() < 2 || c >= last {
                return Err(Error::InvalidArgument {
                    api,
                    msg: format!(
                        "class_id={c} needs y_pred of rank >= 2 with more than {c} classes, \
                         got shape {:?}",
                        y_pred.shape()
                    ),
                });
            }
            let pick = |v: Vec<f64>| -> Vec<f64> { v.into_iter().skip(c).step_by(last).collect() };
            t = pick(t);
            p = pick(p);
            w = w.map(pick);
        }
        sweep_thresholds(&mut self.counts, &self.thresholds, &t, &p, w.as_deref());
        Ok(())
    }

    fn result(&self) -> f64 {
        let rate = |a: f64, b: f64| div_no_nan(a, a + b);
        let mut best: f64 = 0.0;
        for c in &self.counts {
            let recall = rate(c.tp, c.fn_);
            let (constrained, dependent) = match self.kind {
                Kind::PrecisionAtRecall => (recall, rate(c.tp, c.fp)),
                Kind::RecallAtPrecision => (rate(c.tp, c.fp), recall),
                Kind::SensitivityAtSpecificity => (rate(c.tn, c.fp), recall),
                Kind::SpecificityAtSensitivity => (recall, rate(c.tn, c.fp)),
            };
            if constrained >= self.value {
                best = best.max(dependent);
            }
        }
        best
    }

    fn config(&self) -> Value {
        let mut c = json!({"name": self.name, "dtype": "float32", "class_id": self.class_id,
                           "num_thresholds": self.num_thresholds});
        c[self.kind.arg()] = json!(self.value);
        c
    }
}

macro_rules! at_threshold_metric {
    ($t:ident, $arg:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $t {
            s: AtThreshold,
        }

        impl $t {
            /// With the constraint in `[0, 1]` and Keras's 200 thresholds.
            pub fn new($arg: f64) -> Result<Self> {
                Ok($t {
                    s: AtThreshold::new(Kind::$t, $arg, 200)?,
                })
            }
            /// Number of evenly spaced thresholds in `[0, 1]` (> 0).
            pub fn num_thresholds(mut self, n: usize) -> Result<Self> {
                let (name, class_id) = (self.s.name.clone(), self.s.class_id);
                self.s = AtThreshold::new(Kind::$t, self.s.value, n)?;
                self.s.name = name;
                self.s.class_id = class_id;
                Ok(self)
            }
            /// Only this column of `(batch, classes)` inputs.
            pub fn class_id(mut self, c: Option<usize>) -> Self {
                self.s.class_id = c;
                self
            }
            /// Renames the metric.
            pub fn with_name(mut self, n: &str) -> Self {
                self.s.name = n.into();
                self
            }
            /// `from_config(config)`, with Keras's argument checks.
            pub fn from_config(c: &Value) -> Result<Self> {
                Ok($t {
                    s: AtThreshold::from_config(Kind::$t, c)?,
                })
            }
        }

        impl Metric for $t {
            fn name(&self) -> &str {
                &self.s.name
            }
            fn update_state(
                &mut self,
                y_true: &Tensor,
                y_pred: &Tensor,
                w: Option<&Tensor>,
            ) -> Result<()> {
                self.s.update(y_true, y_pred, w)
            }
            fn result(&self) -> f64 {
                self.s.result()
            }
            fn reset_state(&mut self) {
                self.s
                    .counts
                    .iter_mut()
                    .for_each(|c| *c = Counts::default());
            }
            fn get_config(&self) -> Value {
                self.s.config()
            }
            fn class_name(&self) -> String {
                stringify!($t).into()
            }
        }
    };
}

at_threshold_metric!(
    PrecisionAtRecall,
    recall,
    "`keras.metrics.PrecisionAtRecall(recall, num_thresholds=200, class_id=None)`: the best \
     precision where recall >= `recall`.\n\n```\nuse kiln::metrics::{Metric, PrecisionAtRecall};\nuse kiln_tensor::Tensor;\nlet mut m = PrecisionAtRecall::new(0.5)?;\nlet y = Tensor::from_vec(vec![0.0f32, 0.0, 0.0, 1.0, 1.0], &[5])?;\nm.update_state(&y, &Tensor::from_vec(vec![0.0f32, 0.3, 0.8, 0.3, 0.8], &[5])?, None)?;\nassert!((m.result() - 0.5).abs() < 1e-12);\nassert!(PrecisionAtRecall::new(1.5).is_err());\n# Ok::<(), kiln::Error>(())\n```"
);
at_threshold_metric!(
    RecallAtPrecision,
    precision,
    "`keras.metrics.RecallAtPrecision(precision, num_thresholds=200, class_id=None)`: the \
     best recall where precision >= `precision`.\n\n```\nuse kiln::metrics::{Metric, RecallAtPrecision};\nassert_eq!(RecallAtPrecision::new(0.8)?.get_config()[\"precision\"], 0.8);\n# Ok::<(), kiln::Error>(())\n```"
);
at_threshold_metric!(
    SensitivityAtSpecificity,
    specificity,
    "`keras.metrics.SensitivityAtSpecificity(specificity, num_thresholds=200, class_id=None)`: \
     the best sensitivity where specificity >= `specificity`.\n\n```\nuse kiln::metrics::{Metric, SensitivityAtSpecificity};\nassert_eq!(SensitivityAtSpecificity::new(0.5)?.get_config()[\"num_thresholds\"], 200);\n# Ok::<(), kiln::Error>(())\n```"
);
at_threshold_metric!(
    SpecificityAtSensitivity,
    sensitivity,
    "`keras.metrics.SpecificityAtSensitivity(sensitivity, num_thresholds=200, class_id=None)`: \
     the best specificity where sensitivity >= `sensitivity`.\n\n```\nuse kiln::metrics::{Metric, SpecificityAtSensitivity};\nassert!(SpecificityAtSensitivity::new(0.5)?.num_thresholds(0).is_err());\n# Ok::<(), kiln::Error>(())\n```"
);
