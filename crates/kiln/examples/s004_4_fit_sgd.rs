//! S004-4: a fresh LinearRegression trained with `compile(optimizer='SGD', loss='mse')`,
//! the learning rate set to 0.05, and `fit(x, y, epochs=1001, verbose=0)`; prints every
//! 200th epoch's loss and the variables.

#[path = "common/seed004.rs"]
mod seed004;

use kiln::models::{CompileArgs, FitArgs};

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    let mut model = seed004::LinearRegression::model(5)?;
    model.compile(CompileArgs::new().optimizer("SGD").loss("mse"))?;
    if let Some(opt) = model.optimizer_mut() {
        opt.set_learning_rate(0.05); // model.optimizer.lr.assign(.05)
    }
    let t0 = std::time::Instant::now();
    let history = model.fit(&x, &y, FitArgs::new().epochs(1001).verbose(0))?;
    let every: Vec<f64> = history.get("loss").iter().step_by(200).copied().collect();
    println!("{every:?}");
    seed004::pprint(&model.weights());
    println!("time took: {} seconds", t0.elapsed().as_secs_f64());
    seed004::assert_recovers("S004-4", &model.weights()[0].value(), 1e-2);
    Ok(())
}
