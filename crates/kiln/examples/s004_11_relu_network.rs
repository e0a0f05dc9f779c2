//! S004-11 and S004-12: `NeuralNetwork([3, 1])` with a ReLU between the linear layers (the
//! collapse check now fails), then the fused `Linear(units, use_bias, activation)` with a
//! bias initialised to ones.

#[path = "common/seed004.rs"]
mod seed004;

use kiln::initializers::Initializer;
use kiln::layers::{CallContext, Layer, LayerBase, LayerRef, Shape};
use kiln::models::Model;
use kiln_tensor::{Tensor, Variable};

#[derive(Layer)]
struct Linear {
    base: LayerBase,
    units: usize,
    use_bias: bool,
    relu: bool,
    #[layer(skip)]
    weights: Option<Variable>,
    #[layer(skip)]
    bias: Option<Variable>,
}

impl Linear {
    fn layer(units: usize, use_bias: bool, relu: bool) -> LayerRef {
        LayerRef::new(Linear {
            base: LayerBase::new("linear"),
            units,
            use_bias,
            relu,
            weights: None,
            bias: None,
        })
    }
}

impl Layer for Linear {
    fn build(&mut self, input_shape: &[Shape]) -> kiln::Result<()> {
        let last = input_shape[0].last().copied().flatten().unwrap_or(1);
        // `self.add_weight(shape=...)`: glorot-uniform and trainable by default.
        self.weights = Some(self.base.weight("Variable", &[last, self.units]).build()?);
        if self.use_bias {
            self.bias = Some(
                self.base
                    .weight("Variable", &[self.units])
                    .initializer(Initializer::Ones)
                    .build()?,
            );
        }
        Ok(())
    }
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let w = self.weights.as_ref().map(|w| w.value()).ok_or_else(|| {
            kiln::Error::InvalidArgument {
                api: "Linear.call",
                msg: "not built".into(),
            }
        })?;
        let mut out = x[0].matmul(&w)?;
        if let Some(b) = &self.bias {
            out = out.add(&b.value())?;
        }
        if self.relu {
            out = out.maximum(&Tensor::scalar(0.0f32))?;
        }
        Ok(vec![out])
    }
}

/// S004-11's separate activation layer: `maximum(0, x)`.
#[derive(Layer)]
struct ReLU {
    base: LayerBase,
}

impl Layer for ReLU {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![x[0].maximum(&Tensor::scalar(0.0f32))?])
    }
}

#[derive(Layer)]
struct NeuralNetwork {
    base: LayerBase,
    layers: Vec<LayerRef>,
}

impl Layer for NeuralNetwork {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let mut x = x[0].clone();
        for l in &self.layers {
            x = l.call(&x)?;
        }
        Ok(vec![x])
    }
}

fn train(model: &Model, x: &Tensor, y: &Tensor) -> kiln::Result<f32> {
    for _ in 0..1001 {
        seed004::train_model_step(model, x, y)?;
    }
    seed004::mean_absolute_error(model, x, y)
}

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    // S004-11: Linear, ReLU, Linear (no biases). Whether this network trains depends on
    // its random initial weights: when every hidden unit starts (or is pushed) negative
    // on all 32 inputs, the ReLUs die and the output stays 0 (MAE ~5, the mean of y).
    // kiln's seeded stream (ChaCha) is not TF's (Philox), so seed 42 gives other weights.
    // Run over seeds 0-19, the seed's TF program killed every ReLU on seeds 6 and 19
    // (MAE 5.94, 5.23) and kiln's did on seed 3 (MAE 4.89, what this example printed when
    // it drew its weights after the data's seed 42). This seed's weights train, as the
    // seed's did (MAE 0.0052 in the seed; 0.0024 here).
    kiln::utils::set_random_seed(0);
    let layers = vec![
        Linear::layer(3, false, false),
        LayerRef::new(ReLU {
            base: LayerBase::new("re_lu"),
        }),
        Linear::layer(1, false, false),
    ];
    let model = Model::from_layer(NeuralNetwork {
        base: LayerBase::new("neural_network"),
        layers,
    });
    let mae = train(&model, &x, &y)?;
    println!("Mean absolute error is:  {mae}");
    if mae > 0.05 {
        eprintln!("S004-11: the ReLU network did not train (MAE {mae})");
        std::process::exit(1);
    }
    seed004::pprint(&model.weights());
    let reduced = seed004::reduce_matmul(&model.weights())?;
    println!("{reduced}");
    let diff = model.call(&x)?.sub(&x.matmul(&reduced)?)?.abs()?;
    println!("{}", diff.less(&Tensor::scalar(1e-6f32))?.any(&[], false)?);

    // S004-12: fused Linear(units, use_bias=True, activation) with bias initialised to ones.
    let layers = vec![Linear::layer(3, true, true), Linear::layer(1, true, false)];
    let model = Model::from_layer(NeuralNetwork {
        base: LayerBase::new("neural_network"),
        layers,
    });
    let mae = train(&model, &x, &y)?;
    println!("Mean absolute error is:  {mae}");
    seed004::pprint(&model.weights());
    if model.weights().len() != 4 || mae > 0.5 {
        eprintln!(
            "S004-12: expected 4 variables and a small error, got {} and {mae}",
            model.weights().len()
        );
        std::process::exit(1);
    }
    Ok(())
}
