//! Optimizers with `use_ema` and the `SwapEMAWeights` callback against Keras 3.15
//! (tools/golden/gen_ema.py → fixtures/ema.json): trajectories with the moving averages
//! (and `ema_overwrite_frequency`), the saved optimizer variables (averages before the
//! slots, as Keras saves them), configs, restored state continuing as Keras, and `fit`
//! with validation and SwapEMAWeights (with and without `swap_on_epoch`) giving Keras's
//! history and final weights.

mod common;

use common::optimizer_case::{step, variables};
use kiln::callbacks::SwapEMAWeights;
use kiln::optimizers;
use kiln::prelude::*;
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/ema.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{i}] = {g}, Keras {w}"
        );
    }
}

#[test]
fn ema_trajectories_state_and_configs_match_keras() {
    for c in fixture()["trajectories"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let class = c["class"].as_str().unwrap();
        let mut opt = optimizers::from_config(class, &c["kwargs"]).unwrap();
        let vars = variables(c);
        for (k, want) in c["trajectory"].as_array().unwrap().iter().enumerate() {
            step(&mut *opt, c, &vars, k);
            for (v, w) in vars.iter().zip(want.as_array().unwrap()) {
                let what = format!("{id} step {} {}", k + 1, v.name());
                close(&what, &v.value().to_vec::<f32>().unwrap(), &floats(w), 2e-5);
            }
        }
        let state = opt.export_state(&vars).unwrap();
        let want = c["state"].as_array().unwrap();
        assert_eq!(
            state.len(),
            want.len(),
            "{id}: number of optimizer variables"
        );
        for (t, w) in state.iter().zip(want) {
            let got: Vec<f32> = t
                .cast(DType::F64)
                .unwrap()
                .to_vec::<f64>()
                .unwrap()
                .iter()
                .map(|&x| x as f32)
                .collect();
            close(
                &format!("{id} {}", w["path"]),
                &got,
                &floats(&w["values"]),
                2e-5,
            );
        }
        let ours = opt.get_config();
        for k in ["use_ema", "ema_momentum", "ema_overwrite_frequency"] {
            assert_eq!(ours["config"][k], c["config"][k], "{id}: {k}");
        }
        // Restore after step 3 into a fresh optimizer: steps 4 and 5 follow Keras.
        let mut first = optimizers::from_config(class, &c["kwargs"]).unwrap();
        let vars = variables(c);
        for k in 0..3 {
            step(&mut *first, c, &vars, k);
        }
        let saved = first.export_state(&vars).unwrap();
        let mut again = optimizers::from_config(class, &ours["config"]).unwrap();
        again.import_state(&vars, &saved).unwrap();
        for k in 3..5 {
            step(&mut *again, c, &vars, k);
        }
        for (v, w) in vars.iter().zip(c["trajectory"][4].as_array().unwrap()) {
            close(
                &format!("{id} restored {}", v.name()),
                &v.value().to_vec::<f32>().unwrap(),
                &floats(w),
                2e-5,
            );
        }
    }
}

#[test]
fn fit_with_swap_ema_weights_matches_keras() {
    for c in fixture()["fits"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let t = |k: &str, n: usize| {
            Tensor::from_vec(floats(&c[k]), &[n, floats(&c[k]).len() / n]).unwrap()
        };
        let (x, y, xv, yv) = (t("x", 16), t("y", 16), t("x_val", 8), t("y_val", 8));
        let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[3]).into()]).unwrap();
        m.set_weights(&[
            Tensor::from_vec(floats(&c["kernel"]), &[3, 1]).unwrap(),
            Tensor::zeros(&[1], DType::F32),
        ])
        .unwrap();
        m.compile(
            CompileArgs::new()
                .optimizer(optimizers::SGD::new(0.1).use_ema(true).ema_momentum(0.5))
                .loss("mse"),
        )
        .unwrap();
        let mut args = FitArgs::new()
            .epochs(3)
            .batch_size(4)
            .shuffle(false)
            .verbose(0)
            .validation_data(&xv, &yv);
        if c["swap"].as_bool().unwrap() {
            args = args.callback(SwapEMAWeights::new(c["swap_on_epoch"].as_bool().unwrap()));
        }
        let h = m.fit(&x, &y, args).unwrap();
        for key in ["loss", "val_loss"] {
            let got: Vec<f32> = h.history[key].iter().map(|&v| v as f32).collect();
            close(
                &format!("{id} {key}"),
                &got,
                &floats(&c["history"][key]),
                2e-5,
            );
        }
        let w = m.get_weights();
        close(
            &format!("{id} kernel"),
            &w[0].to_vec::<f32>().unwrap(),
            &floats(&c["final_kernel"]),
            2e-5,
        );
        close(
            &format!("{id} bias"),
            &w[1].to_vec::<f32>().unwrap(),
            &floats(&c["final_bias"]),
            2e-5,
        );
    }
}

#[test]
fn keras_errors_and_swap_without_ema() {
    for e in fixture()["errors"].as_array().unwrap() {
        let msg = e["message"].as_str().unwrap();
        let err = optimizers::from_config("Adam", &e["kwargs"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(msg), "{err} lacks {msg:?}");
    }
    let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[2]).into()]).unwrap();
    m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .unwrap();
    let x = Tensor::ones(&[4, 2], DType::F32);
    let y = Tensor::ones(&[4, 1], DType::F32);
    let err = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .verbose(0)
                .validation_data(&x, &y)
                .callback(SwapEMAWeights::new(false)),
        )
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("SwapEMAWeights must be used when `use_ema=True`"),
        "{err}"
    );
}
