//! S004-1: a plain struct holding one variable (`LinearRegression(object)`) with a traced
//! `call`, trained by a traced, argument-free `train_step` (`@tf.function` is
//! `kiln::function::Function`) for 1001 iterations.

#[path = "common/seed004.rs"]
mod seed004;
#[path = "common/seed004_traced.rs"]
mod traced;

use kiln::function::{Function, Value};

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    let model = std::rc::Rc::new(traced::Linear::new(5, false)?);
    let m = model.clone();
    let train_step = Function::new("train_step", move |_| {
        Ok::<_, kiln_tensor::Error>(Value::from(traced::sgd_step(&m, &x, &y)?))
    });
    let t0 = std::time::Instant::now();
    for iteration in 0..1001 {
        let loss = train_step.call(&[])?;
        if iteration % 200 == 0 {
            let loss = loss.as_tensor().map_or(Ok(f32::NAN), |t| t.item::<f32>())?;
            println!("mean squared loss at iteration {iteration:4} is {loss:5.4}");
        }
    }
    seed004::pprint(&model.variables);
    println!("time took: {} seconds", t0.elapsed().as_secs_f64());
    assert_eq!(train_step.experimental_get_tracing_count(), 1);
    seed004::assert_recovers("S004-1", &model.variables[0].value(), 1e-2);
    Ok(())
}
