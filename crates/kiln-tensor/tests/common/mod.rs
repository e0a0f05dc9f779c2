//! Shared test helpers: finite-difference gradient checks and golden-fixture loading.
#![allow(dead_code)]

use kiln_tensor::{DType, GradientTape, Result, Tensor};
use serde_json::Value;

/// Deterministic pseudo-random f64 values in [-1, 1) (no dependency on kiln's RNG).
pub fn rand_vec(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// A random f64 tensor of `shape`.
pub fn rand_t(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(rand_vec(n, seed), shape).unwrap()
}

/// Checks the tape gradient of `f` at `inputs` (f64 tensors) against central finite
/// differences of `sum(f(x) * w)` for a fixed random `w`. Panics with details on mismatch.
pub fn gradcheck(name: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Result<Tensor>) {
    gradcheck_tol(name, inputs, 1e-6, 1e-4, f)
}

pub fn gradcheck_tol(
    name: &str,
    inputs: &[Tensor],
    eps: f64,
    tol: f64,
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
) {
    for t in inputs {
        assert_eq!(
            t.dtype(),
            DType::F64,
            "{name}: gradcheck inputs must be f64"
        );
    }
    let y0 = f(inputs).unwrap();
    let w = rand_t(y0.shape(), 999);
    let objective = |xs: &[Tensor]| -> f64 {
        let y = f(xs).unwrap();
        y.mul(&w).unwrap().sum_all().unwrap().item::<f64>().unwrap()
    };
    let tape = GradientTape::new();
    for t in inputs {
        tape.watch(t);
    }
    let y = f(inputs).unwrap();
    let obj = y.mul(&w).unwrap().sum_all().unwrap();
    let grads = tape.gradient(&obj, inputs).unwrap();
    drop(tape);
    for (i, x) in inputs.iter().enumerate() {
        let xv = x.to_vec::<f64>().unwrap();
        let mut numeric = vec![0.0; xv.len()];
        for j in 0..xv.len() {
            let mut plus = xv.clone();
            plus[j] += eps;
            let mut minus = xv.clone();
            minus[j] -= eps;
            let mut xs_p: Vec<Tensor> = inputs.to_vec();
            xs_p[i] = Tensor::from_vec(plus, x.shape()).unwrap();
            let mut xs_m: Vec<Tensor> = inputs.to_vec();
            xs_m[i] = Tensor::from_vec(minus, x.shape()).unwrap();
            numeric[j] = (objective(&xs_p) - objective(&xs_m)) / (2.0 * eps);
        }
        let analytic = match &grads[i] {
            Some(g) => {
                assert_eq!(
                    g.shape(),
                    x.shape(),
                    "{name}: gradient {i} has the wrong shape"
                );
                g.to_vec::<f64>().unwrap()
            }
            None => vec![0.0; xv.len()],
        };
        for j in 0..xv.len() {
            let (a, n) = (analytic[j], numeric[j]);
            assert!(
                (a - n).abs() <= tol * (1.0 + n.abs()),
                "{name}: d/dx{i}[{j}] analytic {a} vs numeric {n}\nanalytic: {analytic:?}\nnumeric: {numeric:?}"
            );
        }
    }
}

/// Asserts two f64 sequences are equal within `rtol` relative (plus `atol`).
pub fn assert_close(name: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(
        got.len(),
        want.len(),
        "{name}: length {} vs {}",
        got.len(),
        want.len()
    );
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= atol + rtol * w.abs();
        assert!(
            ok,
            "{name}: element {i}: got {g}, want {w}\n got: {got:?}\nwant: {want:?}"
        );
    }
}

// ----- golden fixtures ------------------------------------------------------------------

/// One golden case from `tools/golden/fixtures/<family>.json`.
pub struct Case {
    pub name: String,
    pub op: String,
    pub attrs: Value,
    pub inputs: Vec<Tensor>,
    pub outputs: Vec<Tensor>,
    pub upstream: Option<Tensor>,
    pub grads: Vec<Option<Tensor>>,
}

impl Case {
    pub fn attr_i64(&self, k: &str) -> Option<i64> {
        self.attrs.get(k).and_then(|v| v.as_i64())
    }
    pub fn attr_f64(&self, k: &str) -> Option<f64> {
        self.attrs.get(k).and_then(|v| v.as_f64())
    }
    pub fn attr_bool(&self, k: &str) -> Option<bool> {
        self.attrs.get(k).and_then(|v| v.as_bool())
    }
    pub fn attr_str(&self, k: &str) -> Option<&str> {
        self.attrs.get(k).and_then(|v| v.as_str())
    }
    pub fn attr_ints(&self, k: &str) -> Option<Vec<i64>> {
        self.attrs
            .get(k)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_i64()).collect())
    }
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("bad number string {other}"),
        },
        other => panic!("bad number {other}"),
    }
}

/// Parses a fixture tensor `{shape, dtype, data}`.
pub fn tensor_from_json(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let dtype = DType::parse(v["dtype"].as_str().unwrap()).unwrap();
    let data: Vec<f64> = v["data"].as_array().unwrap().iter().map(num).collect();
    Tensor::from_vec(data, &shape).unwrap().cast(dtype).unwrap()
}

/// Loads every case of a fixture family.
pub fn load_cases(family: &str) -> Vec<Case> {
    let path = format!(
        "{}/../../tools/golden/fixtures/{family}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let root: Value = serde_json::from_str(&text).unwrap();
    root["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let outputs = if let Some(o) = c.get("output").filter(|o| !o.is_null()) {
                vec![tensor_from_json(o)]
            } else {
                c["outputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(tensor_from_json)
                    .collect()
            };
            Case {
                name: c["name"].as_str().unwrap().to_string(),
                op: c["op"].as_str().unwrap().to_string(),
                attrs: c.get("attrs").cloned().unwrap_or(Value::Null),
                inputs: c["inputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(tensor_from_json)
                    .collect(),
                outputs,
                upstream: c
                    .get("upstream")
                    .filter(|u| !u.is_null())
                    .map(tensor_from_json),
                grads: c
                    .get("grads")
                    .and_then(|g| g.as_array())
                    .map(|g| {
                        g.iter()
                            .map(|x| {
                                if x.is_null() {
                                    None
                                } else {
                                    Some(tensor_from_json(x))
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Runs a golden case: `run` maps the case's inputs to its first output (or returns None
/// for an op kiln does not map); checks outputs and, with `upstream`, the input gradients.
/// Returns true when the case was checked.
pub fn check_case(
    case: &Case,
    rtol: f64,
    atol: f64,
    run: impl Fn(&Case, &[Tensor]) -> Option<Result<Tensor>>,
) -> bool {
    let tape = GradientTape::persistent();
    for t in &case.inputs {
        if t.dtype().is_float() {
            tape.watch(t);
        }
    }
    let Some(out) = run(case, &case.inputs) else {
        return false;
    };
    let out = out.unwrap_or_else(|e| panic!("{}: op failed: {e}", case.name));
    let want = &case.outputs[0];
    assert_eq!(out.shape(), want.shape(), "{}: output shape", case.name);
    assert_eq!(out.dtype(), want.dtype(), "{}: output dtype", case.name);
    assert_close(
        &case.name,
        &out.to_f64_vec(),
        &want.to_f64_vec(),
        rtol,
        atol,
    );
    if let Some(up) = &case.upstream {
        let grads = tape
            .gradient_with(&[&out], &case.inputs, Some(std::slice::from_ref(up)))
            .unwrap();
        for (i, want) in case.grads.iter().enumerate() {
            let Some(want) = want else { continue };
            let got = grads[i].clone().unwrap_or_else(|| want.zeros_like());
            assert_eq!(got.shape(), want.shape(), "{}: grad {i} shape", case.name);
            assert_close(
                &format!("{} grad {i}", case.name),
                &got.to_f64_vec(),
                &want.to_f64_vec(),
                rtol,
                atol,
            );
        }
    }
    true
}
