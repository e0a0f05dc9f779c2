//! S004-12: the fused `Linear(units, use_bias, activation)` (bias initialised to ones,
//! ReLU inside the first layer), trained by the traced `train_step`; four variables.

#[path = "common/seed004_layers.rs"]
mod layers;
#[path = "common/seed004.rs"]
mod seed004;

use kiln::layers::LayerBase;
use kiln::models::Model;
use layers::{Linear, NeuralNetwork};

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    // S004-12: fused Linear(units, use_bias=True, activation) with bias initialised to ones.
    let layers = vec![Linear::layer(3, true, true), Linear::layer(1, true, false)];
    let model = Model::from_layer(NeuralNetwork {
        base: LayerBase::new("neural_network"),
        layers,
    });
    let mae = layers::train(&model, &x, &y)?;
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
