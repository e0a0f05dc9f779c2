//! S004-5: the retracing pitfall. `train_step()` takes no arguments and reads the global
//! `model`; it was traced for the first model, so after `model = LinearRegressionV2(5)`
//! the cached graph keeps training the first model: the new model's weights stay at their
//! random start and its bias at 100, as in the seed.

#[path = "common/seed004.rs"]
mod seed004;
#[path = "common/seed004_traced.rs"]
mod traced;

use std::cell::RefCell;
use std::rc::Rc;

use kiln::function::{Function, Value};

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    // The seed's global name `model`.
    let model: Rc<RefCell<Rc<traced::Linear>>> =
        Rc::new(RefCell::new(Rc::new(traced::Linear::new(5, false)?)));
    let global = model.clone();
    let train_step = Function::new("train_step", move |_| {
        let m = global.borrow().clone();
        Ok::<_, kiln_tensor::Error>(Value::from(traced::sgd_step(&m, &x, &y)?))
    });
    for _ in 0..1001 {
        train_step.call(&[])?;
    }
    let v2 = Rc::new(traced::Linear::new(5, true)?);
    let start = v2.variables[0].value().to_vec::<f32>()?;
    *model.borrow_mut() = v2.clone();
    for _ in 0..1001 {
        train_step.call(&[])?;
    }
    seed004::pprint(&v2.variables);
    // The stale trace never touched the new model.
    assert_eq!(v2.variables[0].value().to_vec::<f32>()?, start);
    assert_eq!(v2.variables[1].value().to_vec::<f32>()?, vec![100.0]);
    assert_eq!(train_step.experimental_get_tracing_count(), 1);
    Ok(())
}
