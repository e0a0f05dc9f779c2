//! S000-1: a functional model (784 -> 64 -> 10) made of a custom layer, compiled with
//! adam / sparse categorical crossentropy / accuracy. Build and compile only, as the seed.

#[path = "common/custom_layer.rs"]
mod custom_layer;

use custom_layer::MyCustomLayer;
use kiln::layers::Input;
use kiln::models::{CompileArgs, Model};

fn main() -> kiln::Result<()> {
    let inputs = Input::shape(&[784]);
    let x = MyCustomLayer::layer(64, "relu")?.call(&inputs)?;
    let outputs = MyCustomLayer::layer(10, "softmax")?.call(&x)?;
    let mut model = Model::new(&[inputs], &[outputs])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.summary();
    Ok(())
}
