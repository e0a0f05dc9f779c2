//! The Keras guide's custom `Linear` layer: built lazily, used in a Functional model,
//! saved to `.keras` and loaded back (after `register::<Linear>()`, Keras's
//! `@register_keras_serializable`).
//!
//! `cargo run --release -p kiln --example keras_guide_linear`

#[path = "common/guide_linear.rs"]
mod guide_linear;

use guide_linear::Linear;
use kiln::prelude::*;

fn main() -> kiln::Result<()> {
    random::set_global_seed(7);
    let x = Input::named("x", &[4]);
    let h = Linear::new().units(8).apply(&x)?;
    let h = Activation::new("relu").apply(&h)?;
    let y = Linear::new().units(3).apply(&h)?;
    let model = Model::new(&[x], &[y])?;
    let batch = Tensor::ones(&[2, 4], DType::F32);
    let before = model.call(&batch)?;
    println!(
        "Linear(8) -> relu -> Linear(3): output {:?}",
        before.shape()
    );
    println!("{}", model.get_layer("linear")?.get_config());

    register::<Linear>();
    let path = std::env::temp_dir().join(format!("kiln_guide_linear_{}.keras", std::process::id()));
    model.save(&path)?;
    let loaded = saving::load_model(&path)?;
    let after = loaded.call(&batch)?;
    let _ = std::fs::remove_file(&path);
    assert_eq!(before.to_vec::<f32>()?, after.to_vec::<f32>()?);
    println!(
        "saved and reloaded: same predictions {:?}",
        after.to_vec::<f32>()?
    );
    Ok(())
}
