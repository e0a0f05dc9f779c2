//! S004-11: `NeuralNetwork([3, 1])` with a ReLU between the linear layers (the collapse
//! check now fails), trained by the traced `train_step`.

#[path = "common/seed004_layers.rs"]
mod layers;
#[path = "common/seed004.rs"]
mod seed004;

use kiln::layers::{LayerBase, LayerRef};
use kiln::models::Model;
use kiln_tensor::Tensor;
use layers::{Linear, NeuralNetwork, ReLU};

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
    let mae = layers::train(&model, &x, &y)?;
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

    Ok(())
}
