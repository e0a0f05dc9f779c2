//! S004-9: the regression built from `Dense(unit, use_bias=False)` layers, trained by the
//! traced `train_step`.

#[path = "common/seed004_layers.rs"]
mod layers;
#[path = "common/seed004.rs"]
mod seed004;

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    let (model, mae) = layers::dense_regression(&x, &y)?;
    println!("Mean absolute error is:  {mae:e}");
    seed004::pprint(&model.weights());
    seed004::assert_recovers(
        "S004-9 (product of the kernels)",
        &seed004::reduce_matmul(&model.weights())?,
        1e-2,
    );
    Ok(())
}
