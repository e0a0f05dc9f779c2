//! S004-9 and S004-10: the regression built from `Dense(unit, use_bias=False)` layers;
//! then the collapse check: the product of the kernels is one linear map, and the model
//! equals `x @ W` everywhere.

#[path = "common/seed004.rs"]
mod seed004;

use kiln::layers::{CallContext, Dense, Layer, LayerBase, LayerRef};
use kiln::models::Model;
use kiln_tensor::Tensor;

#[derive(Layer)]
struct Regression {
    base: LayerBase,
    layers: Vec<LayerRef>,
}

impl Layer for Regression {
    fn call(&mut self, x: &[Tensor], _ctx: &CallContext) -> kiln::Result<Vec<Tensor>> {
        let mut x = x[0].clone();
        for l in &self.layers {
            x = l.call(&x)?;
        }
        Ok(vec![x])
    }
}

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    let layers = [3usize, 1]
        .iter()
        .map(|&u| Dense::new(u).use_bias(false).into())
        .collect();
    let model = Model::from_layer(Regression {
        base: LayerBase::new("regression"),
        layers,
    });
    for _ in 0..1001 {
        seed004::train_model_step(&model, &x, &y)?;
    }
    let mae = seed004::mean_absolute_error(&model, &x, &y)?;
    println!("Mean absolute error is:  {mae:e}");
    seed004::pprint(&model.weights());
    // S004-10: reduce(matmul, model.variables) and reduce_all(|model(x) - x @ W| < 1e-6).
    let reduced = seed004::reduce_matmul(&model.weights())?;
    println!("{reduced}");
    let diff = model.call(&x)?.sub(&x.matmul(&reduced)?)?.abs()?;
    let all_close = diff.less(&Tensor::scalar(1e-6f32))?.all(&[], false)?;
    println!("{all_close}");
    seed004::assert_recovers("S004-10", &reduced, 1e-2);
    if !all_close.item::<bool>()? {
        eprintln!("S004-10: the two Dense layers are not one linear map");
        std::process::exit(1);
    }
    Ok(())
}
