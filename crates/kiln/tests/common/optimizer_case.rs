//! One optimizer golden case from `tools/golden` (gen_optimizers.py, gen_ema.py):
//! `{"variables": [{"name", "shape", "init"}], "grads": [[...] per step]}`.

use kiln::optimizers::Optimizer;
use kiln_tensor::{Tensor, Variable};
use kiln_testing::{f32s, shape};
use serde_json::Value;

/// The case's trainable variables at their initial values.
pub fn variables(c: &Value) -> Vec<Variable> {
    c["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let t = Tensor::from_vec(f32s(&v["init"]), &shape(&v["shape"])).unwrap();
            Variable::new(t, v["name"].as_str().unwrap(), true)
        })
        .collect()
}

/// Applies step `k`'s gradients of the case to `vars`.
pub fn step(opt: &mut dyn Optimizer, c: &Value, vars: &[Variable], k: usize) {
    let pairs: Vec<(Tensor, Variable)> = c["grads"][k]
        .as_array()
        .unwrap()
        .iter()
        .zip(vars)
        .map(|(g, v)| (Tensor::from_vec(f32s(g), &v.shape()).unwrap(), v.clone()))
        .collect();
    opt.apply_gradients(&pairs).unwrap();
}
