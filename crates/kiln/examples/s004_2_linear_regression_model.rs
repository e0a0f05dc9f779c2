//! S004-2: the same regression as a subclassed Keras model (`tf.keras.Model` subclass with
//! its own variable), trained by the hand-written step traced with `kiln::function` (the
//! seed's `@tf.function def train_step`).

#[path = "common/seed004.rs"]
mod seed004;

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    let model = seed004::LinearRegression::model(5)?;
    let train_step = seed004::traced_train_step(&model, &x, &y);
    let t0 = std::time::Instant::now();
    for iteration in 0..1001 {
        let loss = seed004::loss_of(train_step.call(&[])?)?;
        if iteration % 200 == 0 {
            println!("mean squared loss at iteration {iteration:4} is {loss:5.4}");
        }
    }
    seed004::pprint(&model.weights());
    println!("time took: {} seconds", t0.elapsed().as_secs_f64());
    seed004::assert_recovers("S004-2", &model.weights()[0].value(), 1e-2);
    Ok(())
}
