//! S004-6: the fix for S004-5. `train_step(model)` takes the model as an argument, so a
//! new model object is a new trace key: LinearRegression trains for 1001 iterations,
//! LinearRegressionV2 for 5001 (its bias falls from 100 to near 0; the seed shows 0.0096), and the function
//! reports tracing count 2.

#[path = "common/seed004.rs"]
mod seed004;
#[path = "common/seed004_traced.rs"]
mod traced;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use kiln::function::{Function, ObjectId, Value};

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    // Models passed by identity, as Python passes objects.
    let models: Rc<RefCell<HashMap<ObjectId, Rc<traced::Linear>>>> = Rc::default();
    let known = models.clone();
    let train_step = Function::new("train_step", move |a| {
        let Value::Object(id) = a.get(0)? else {
            return Err(kiln_tensor::Error::Trace(
                "train_step(model) expects a model".into(),
            ));
        };
        let m = known
            .borrow()
            .get(id)
            .cloned()
            .ok_or_else(|| kiln_tensor::Error::Trace("unknown model".into()))?;
        Ok(Value::from(traced::sgd_step(&m, &x, &y)?))
    });
    let run = |with_bias: bool, iterations: usize| -> kiln::Result<Rc<traced::Linear>> {
        let model = Rc::new(traced::Linear::new(5, with_bias)?);
        let id = ObjectId::fresh();
        models.borrow_mut().insert(id, model.clone());
        for _ in 0..iterations {
            train_step.call(&[Value::object(id)])?;
        }
        seed004::pprint(&model.variables);
        Ok(model)
    };
    let first = run(false, 1001)?;
    let second = run(true, 5001)?;
    println!("{}", train_step.experimental_get_tracing_count());
    seed004::assert_recovers("S004-6 (first model)", &first.variables[0].value(), 1e-2);
    let bias = second.variables[1].value().item::<f32>()?;
    assert!(
        bias.abs() < 0.05,
        "the bias should fall from 100 to near 0, got {bias}"
    );
    assert_eq!(train_step.experimental_get_tracing_count(), 2);
    Ok(())
}
