//! S004-3: after training the subclassed model of S004-2, print its summary, compile it
//! with `loss='mse', metrics=['mae']` and print `evaluate(x, y)` as a list.

#[path = "common/seed004.rs"]
mod seed004;

use kiln::models::CompileArgs;
use kiln::models::EvaluateArgs;

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    let mut model = seed004::LinearRegression::model(5)?;
    for _ in 0..1001 {
        seed004::train_model_step(&model, &x, &y)?;
    }
    model.summary();
    println!("None"); // print(model.summary()) prints the table, then summary()'s None
    model.compile(CompileArgs::new().loss("mse").metrics(["mae"]))?;
    let logs = model.evaluate(&x, &y, EvaluateArgs::new().verbose(0))?;
    let values: Vec<f64> = logs.iter().map(|(_, v)| v).collect();
    println!("{values:?}");
    // The seed printed [4.28e-06, 0.00167]; kiln's run must land within 10x of both.
    let (loss, mae) = (values[0], values[1]);
    if !(loss <= 4.28e-5 && mae <= 0.0167) {
        eprintln!("S004-3: evaluate gave {values:?}, more than 10x the seed's [4.28e-06, 0.00167]");
        std::process::exit(1);
    }
    Ok(())
}
