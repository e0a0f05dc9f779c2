//! Golden parity of `KMeans` and `PCA` with scikit-learn 1.9.1 (fixtures from
//! tools/golden/gen_sklearn_cluster.py, made with OpenMP and BLAS on one thread).
//!
//! Tolerances, by quantity:
//!
//! - KMeans `labels_`, `predict`, `n_iter_`: exact.
//! - KMeans `cluster_centers_`, `inertia_`, `score` (explicit, k-means++ and random
//!   initialisations alike): bit for bit. kiln-learn centres the data, accumulates the
//!   centres, scales them and sums the inertia in scikit-learn's order, so once the
//!   labels agree these agree exactly; k-means++ draws the same candidates from the same
//!   `RandomState` stream. Except: Lloyd on inputs large enough for kiln to thread
//!   (`n·k·d >= 2²¹`, the 4000×32, k = 20 cases, on a machine with several cores) sums
//!   the centres per thread and adds the per-thread sums, as scikit-learn does with
//!   several OpenMP threads, while the fixtures were made on one; there the centres,
//!   the inertia and the score are compared within 1e-12 relative (labels and `n_iter_`
//!   still exactly).
//! - KMeans on `float32` data (`KMeans::fit_f32`, the `f32_*` cases, which scikit-learn
//!   fits with its `float32` kernels): `labels_` and `n_iter_` exactly; centres and
//!   inertia bit for bit (kiln's `float32` path sums in scikit-learn's order, in
//!   `float32`), except for the threaded Lloyd fits of the 4000×32, k = 20 data: there
//!   each centre sum of ~200 `float32` samples is split into per-thread partial sums,
//!   which reorders its roundings (`u = 6e-8` each; a random walk over ~200 terms
//!   gives ~1e-6), so the centres are compared within 4e-6 of the largest |centre|
//!   (seen: 5.6e-7, under 5 `float32` ulps) and the inertia within 1e-5 relative
//!   (seen: 1.1e-7). The k-means++ cases (5 seeds) are also checked within 1% of
//!   scikit-learn's inertia, issue 20's acceptance.
//! - KMeans `transform`: the squared distances within 1e-14 of `|x|² + |c|²`
//!   (scikit-learn sums the `x·c` products of `-2 x·c + |x|² + |c|²` in BLAS, in an
//!   order of its own; seen: 8.3e-16).
//! - PCA: `mean_` bit for bit; singular values, variances, ratios 1e-13 relative (seen:
//!   1.8e-14); the components, projections and reconstructions 1e-11 relative to the
//!   largest entry of the compared array (seen: 3.0e-13; LAPACK's `gesdd` or `syevd`
//!   and kiln's Jacobi methods agree to rounding divided by the gaps between singular
//!   values); `noise_variance_` 1e-13 relative to the largest explained variance (seen:
//!   4.7e-16; it is a mean of small values).
//! - Error messages: exact.

use std::collections::BTreeMap;

use kiln_learn::cluster::{FittedKMeans, KMeans, KMeansAlgorithm, KMeansInit, NInit};
use kiln_learn::decomposition::{NComponents, SvdSolver, PCA};
use kiln_learn::{LearnError, Matrix, Warning, WarningCategory};
use serde_json::Value;

struct Family {
    cases: Vec<Value>,
    data: BTreeMap<String, Value>,
}

fn load(family: &str) -> Family {
    let path = format!(
        "{}/../../tools/golden/fixtures/sklearn/{family}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("fixture JSON");
    assert_eq!(doc["sklearn_version"], "1.9.1");
    assert_eq!(doc["numpy_version"], "2.4.6");
    let mut cases = Vec::new();
    let mut data = BTreeMap::new();
    for case in doc["cases"].as_array().expect("cases") {
        if case["fn"] == "data" {
            let name = case["name"].as_str().expect("name");
            let key = name.strip_prefix("data/").expect("data/ prefix");
            data.insert(key.to_string(), case["expect"].clone());
        } else {
            cases.push(case.clone());
        }
    }
    Family { cases, data }
}

impl Family {
    /// An argument, with `{"$ref": key}` replaced by the stored data set.
    fn arg<'a>(&'a self, args: &'a Value, key: &str) -> Option<&'a Value> {
        let v = args.get(key)?;
        match v.get("$ref") {
            Some(r) => Some(&self.data[r.as_str().expect("ref")]),
            None => Some(v),
        }
    }

    fn matrix(&self, args: &Value, key: &str) -> Matrix {
        let v = args.get(key).unwrap_or_else(|| panic!("no {key}"));
        if let Some(spec) = v.get("$synth") {
            let get = |k: &str| spec[k].as_u64().expect("synth size") as usize;
            return synth(
                get("n"),
                get("d"),
                get("k"),
                get("seed") as u64,
                num(&spec["spread"]),
            );
        }
        matrix(self.arg(args, key).unwrap_or_else(|| panic!("no {key}")))
    }
}

/// The generator's `synth`: `k` blobs from splitmix64 draws, the same doubles as the
/// Python code computes (every step is an exactly specified IEEE operation).
fn synth(n: usize, d: usize, k: usize, seed: u64, spread: f64) -> Matrix {
    let mut state = seed;
    let mut draw = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / 9_007_199_254_740_992.0
    };
    let centres: Vec<f64> = (0..k * d).map(|_| draw() * 20.0 - 10.0).collect();
    let mut x = Vec::with_capacity(n * d);
    for _ in 0..n {
        let c = ((draw() * k as f64) as usize).min(k - 1);
        for f in 0..d {
            let noise = draw() + draw() + draw() - 1.5;
            x.push(centres[c * d + f] + noise * (spread * (1.0 + f as f64 / d as f64)));
        }
    }
    Matrix::new(x, n, d).expect("synth shape")
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "nan" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        _ => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

/// A fixture array as a matrix; `[]` with a known width comes from `np.zeros((0, d))`,
/// which JSON cannot tell apart, so an empty list is `(0, 0)` unless `width` says more.
fn matrix(v: &Value) -> Matrix {
    let rows: Vec<Vec<f64>> = v.as_array().expect("rows").iter().map(nums).collect();
    Matrix::from_rows(&rows).expect("rectangular")
}

fn matrix_with_width(v: &Value, width: usize) -> Matrix {
    let m = matrix(v);
    if m.n_rows() == 0 {
        Matrix::new(Vec::new(), 0, width).expect("empty")
    } else {
        m
    }
}

fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        _ => vec![num(v)],
    }
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("index") as usize)
        .collect()
}

fn warnings_json(w: &[Warning]) -> Vec<(String, String)> {
    w.iter()
        .map(|w| {
            let class = match w.category {
                WarningCategory::Convergence => "ConvergenceWarning",
                WarningCategory::Runtime => "RuntimeWarning",
                WarningCategory::User => "UserWarning",
                WarningCategory::UndefinedMetric => "UndefinedMetricWarning",
            };
            (class.to_string(), w.message.clone())
        })
        .collect()
}

fn fixture_warnings(case: &Value) -> Vec<(String, String)> {
    case.get("warnings")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().expect("class").to_string(),
                        p[1].as_str().expect("message").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// comparison

/// How close two float arrays must be.
#[derive(Clone, Copy, Debug)]
enum Tol {
    /// Bit for bit (NaN equal to NaN).
    Exact,
    /// `|got - want| <= rtol * max(|want|, |got|)`.
    Relative(f64),
    /// `|got - want| <= rtol * max |want|` over the array.
    RelativeToMax(f64),
    /// `|got - want| <= rtol * scale[i]`, scales given per element.
    Scaled(f64),
}

struct Checker {
    failures: Vec<String>,
}

impl Checker {
    fn floats(&mut self, what: &str, got: &[f64], want: &[f64], tol: Tol, scale: Option<&[f64]>) {
        if got.len() != want.len() {
            self.failures
                .push(format!("{what}: length {} != {}", got.len(), want.len()));
            return;
        }
        let max_want = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            let ok = match tol {
                _ if g.is_nan() || w.is_nan() => g.is_nan() && w.is_nan(),
                Tol::Exact => g == w,
                Tol::Relative(r) => g == w || (g - w).abs() <= r * g.abs().max(w.abs()),
                Tol::RelativeToMax(r) => (g - w).abs() <= r * max_want,
                Tol::Scaled(r) => {
                    let s = scale.map_or(1.0, |s| s[i]);
                    (g - w).abs() <= r * s
                }
            };
            if !ok {
                self.failures
                    .push(format!("{what}[{i}]: {g:e} != {w:e} ({tol:?})"));
                return;
            }
        }
    }

    fn exact<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: T, want: T) {
        if got != want {
            self.failures.push(format!("{what}: {got:?} != {want:?}"));
        }
    }

    fn finish(self, family: &str, n: usize) {
        assert!(
            self.failures.is_empty(),
            "{} failures in {n} {family} cases:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------
// KMeans

fn kmeans_params(fam: &Family, a: &Value) -> KMeans {
    let mut km = KMeans::default();
    if let Some(v) = a.get("n_clusters") {
        km.n_clusters = v.as_u64().expect("n_clusters") as usize;
    }
    if let Some(v) = fam.arg(a, "init") {
        km.init = match v {
            Value::String(s) => s.parse().expect("init"),
            _ => KMeansInit::Array(matrix(v)),
        };
    }
    if let Some(v) = a.get("n_init") {
        km.n_init = match v {
            Value::String(s) if s == "auto" => NInit::Auto,
            _ => NInit::Count(v.as_u64().expect("n_init") as usize),
        };
    }
    if let Some(v) = a.get("max_iter") {
        km.max_iter = v.as_u64().expect("max_iter") as usize;
    }
    if let Some(v) = a.get("tol") {
        km.tol = num(v);
    }
    if let Some(v) = a.get("random_state") {
        km.random_state = Some(v.as_u64().expect("seed") as u32);
    }
    if let Some(v) = a.get("algorithm") {
        km.algorithm = v.as_str().expect("algorithm").parse().expect("algorithm");
    }
    km
}

fn sample_weight(a: &Value) -> Option<Vec<f64>> {
    a.get("sample_weight").map(nums)
}

/// `|x|² + |c|²` for every (sample, centre) pair: the scale of `transform`'s rounding.
fn distance_scales(x: &Matrix, centers: &Matrix) -> Vec<f64> {
    let sq = |r: &[f64]| r.iter().map(|v| v * v).sum::<f64>();
    let mut out = Vec::new();
    for xi in x.rows() {
        for c in centers.rows() {
            // the distance itself is sqrt(d²); its error is (error of d²) / (2 d)
            out.push((sq(xi) + sq(c)).max(1e-300));
        }
    }
    out
}

/// Whether kiln's Lloyd iteration runs on several threads for this fit, summing the
/// centres per thread (see the module notes).
fn threaded_lloyd(km: &KMeans, x: &Matrix) -> bool {
    km.algorithm == KMeansAlgorithm::Lloyd
        && x.n_rows() * x.n_cols() * km.n_clusters >= 1 << 21
        && std::thread::available_parallelism().map_or(1, |t| t.get()) > 1
}

fn check_kmeans_fit(fam: &Family, case: &Value, chk: &mut Checker) -> FittedKMeans {
    let name = case["name"].as_str().expect("name");
    let a = &case["args"];
    let x = fam.matrix(a, "X");
    let sw = sample_weight(a);
    let km = kmeans_params(fam, a);
    let sums = if threaded_lloyd(&km, &x) {
        Tol::Relative(1e-12)
    } else {
        Tol::Exact
    };
    let fitted = km
        .fit(&x, sw.as_deref())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let e = &case["expect"];
    chk.exact(
        &format!("{name}.labels_"),
        fitted.labels_.clone(),
        usizes(&e["labels_"]),
    );
    chk.exact(
        &format!("{name}.n_iter_"),
        fitted.n_iter_,
        e["n_iter_"].as_u64().expect("n_iter_") as usize,
    );
    chk.floats(
        &format!("{name}.cluster_centers_"),
        fitted.cluster_centers_.as_slice(),
        &flat(&e["cluster_centers_"]),
        sums,
        None,
    );
    chk.floats(
        &format!("{name}.inertia_"),
        &[fitted.inertia_],
        &[num(&e["inertia_"])],
        sums,
        None,
    );
    let score = fitted.score(&x, None).expect("score");
    chk.floats(
        &format!("{name}.score"),
        &[score],
        &[num(&e["score"])],
        sums,
        None,
    );
    let x_new = fam.matrix(a, "X_new");
    chk.exact(
        &format!("{name}.predict"),
        fitted.predict(&x_new).expect("predict"),
        usizes(&e["predict"]),
    );
    let t = fitted.transform(&x_new).expect("transform");
    let want_t = flat(&e["transform_new"]);
    // compare squared distances, whose rounding scale is |x|² + |c|²
    let got_sq: Vec<f64> = t.as_slice().iter().map(|v| v * v).collect();
    let want_sq: Vec<f64> = want_t.iter().map(|v| v * v).collect();
    let scales = distance_scales(&x_new, &fitted.cluster_centers_);
    chk.floats(
        &format!("{name}.transform_new"),
        &got_sq,
        &want_sq,
        Tol::Scaled(1e-14),
        Some(&scales),
    );
    let score_new = fitted.score(&x_new, None).expect("score");
    chk.floats(
        &format!("{name}.score_new"),
        &[score_new],
        &[num(&e["score_new"])],
        sums,
        None,
    );
    chk.exact(
        &format!("{name}.warnings"),
        warnings_json(&fitted.warnings),
        fixture_warnings(case),
    );
    fitted
}

fn kmeans_error(fam: &Family, case: &Value) -> Result<(), LearnError> {
    let a = &case["args"];
    let x0 = fam.arg(a, "X").expect("X");
    // np.zeros((0, d)) and np.zeros((n, 0)) need their widths: take them from the name
    let name = case["name"].as_str().expect("name");
    let x = match name {
        "err_no_samples" => Matrix::new(Vec::new(), 0, 2)?,
        "err_no_features" => Matrix::new(Vec::new(), 3, 0)?,
        _ => matrix(x0),
    };
    let km = kmeans_params(fam, a);
    let fitted = km.fit(&x, sample_weight(a).as_deref())?;
    if let Some(method) = a.get("method").and_then(Value::as_str) {
        let x_new = matrix_with_width(&a["X_new"], x.n_cols());
        match method {
            "predict" => {
                fitted.predict(&x_new)?;
            }
            "transform" => {
                fitted.transform(&x_new)?;
            }
            "score" => {
                fitted.score(&x_new, None)?;
            }
            m => panic!("method {m}"),
        }
    }
    Ok(())
}

fn check_errors(
    family: &str,
    fam: &Family,
    run: impl Fn(&Family, &Value) -> Result<(), LearnError>,
) -> usize {
    let mut failures = Vec::new();
    let mut n = 0;
    for case in fam.cases.iter().filter(|c| c.get("error").is_some()) {
        n += 1;
        let name = case["name"].as_str().expect("name");
        let want = case["error"].as_str().expect("error");
        match run(fam, case) {
            Ok(()) => failures.push(format!("{name}: no error, expected {want:?}")),
            Err(e) if e.to_string() == want => {}
            Err(e) => failures.push(format!("{name}:\n  got  {e}\n  want {want}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} {family} error cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    n
}

/// Whether a case fits the float32 copy of its data (`"dtype": "float32"`).
fn is_f32(case: &Value) -> bool {
    case["args"].get("dtype").and_then(Value::as_str) == Some("float32")
}

#[test]
fn kmeans_float32_matches_sklearn() {
    let fam = load("cluster");
    let mut chk = Checker {
        failures: Vec::new(),
    };
    let mut n = 0;
    let mut seeds = 0;
    for case in fam.cases.iter().filter(|c| is_f32(c)) {
        let name = case["name"].as_str().expect("name");
        let a = &case["args"];
        let x = fam.matrix(a, "X");
        // numpy's astype(np.float32): round to nearest (the stored data already are
        // float32 values, the synthetic set is rebuilt in float64 and rounded)
        let x32: Vec<f32> = x.as_slice().iter().map(|&v| v as f32).collect();
        let km = kmeans_params(&fam, a);
        let fitted = km
            .fit_f32(&x32, x.n_rows(), x.n_cols(), None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let e = &case["expect"];
        // bit for bit, except where kiln's Lloyd sums per thread (see the module notes)
        let (centres_tol, inertia_tol) = if threaded_lloyd(&km, &x) {
            (Tol::RelativeToMax(4e-6), Tol::Relative(1e-5))
        } else {
            (Tol::Exact, Tol::Exact)
        };
        chk.exact(
            &format!("{name}.labels_"),
            fitted.labels_.clone(),
            usizes(&e["labels_"]),
        );
        chk.exact(
            &format!("{name}.n_iter_"),
            fitted.n_iter_,
            e["n_iter_"].as_u64().expect("n_iter_") as usize,
        );
        chk.floats(
            &format!("{name}.cluster_centers_"),
            fitted.cluster_centers_.as_slice(),
            &flat(&e["cluster_centers_"]),
            centres_tol,
            None,
        );
        let want_inertia = num(&e["inertia_"]);
        chk.floats(
            &format!("{name}.inertia_"),
            &[fitted.inertia_],
            &[want_inertia],
            inertia_tol,
            None,
        );
        // every result is a float32 value
        let is_f32 = |v: f64| f64::from(v as f32) == v;
        chk.exact(
            &format!("{name}.float32 values"),
            fitted
                .cluster_centers_
                .as_slice()
                .iter()
                .all(|&v| is_f32(v))
                && is_f32(fitted.inertia_),
            true,
        );
        if name.starts_with("f32_kmeanspp_blobs_400x5_k6_seed") {
            // issue 20's acceptance: within 1% of scikit-learn's inertia on 5 seeds
            // (in fact equal, checked above)
            chk.exact(
                &format!("{name}.inertia within 1%"),
                (fitted.inertia_ - want_inertia).abs() <= 0.01 * want_inertia,
                true,
            );
            seeds += 1;
        }
        n += 1;
    }
    assert_eq!(seeds, 6, "k-means++ float32 cases");
    chk.finish("cluster float32", n);
    assert!(n >= 20, "{n} cases");
}

#[test]
fn kmeans_matches_sklearn() {
    let fam = load("cluster");
    let mut chk = Checker {
        failures: Vec::new(),
    };
    let mut n = 0;
    for case in fam
        .cases
        .iter()
        .filter(|c| c.get("expect").is_some() && !is_f32(c))
    {
        check_kmeans_fit(&fam, case, &mut chk);
        n += 1;
    }
    chk.finish("cluster", n);
    assert!(n >= 40, "{n} cases");
}

#[test]
fn kmeans_errors_match_sklearn() {
    let fam = load("cluster");
    assert!(check_errors("cluster", &fam, kmeans_error) >= 20);
}

#[test]
fn kmeans_lloyd_and_elkan_agree() {
    // every explicit-init case is in the fixtures for both algorithms; their results
    // must be identical to each other as well as to scikit-learn's (up to 1e-12 where
    // Lloyd sums per thread)
    let fam = load("cluster");
    let mut pairs = 0;
    for case in &fam.cases {
        let name = case["name"].as_str().expect("name");
        let Some(base) = name.strip_suffix("_lloyd") else {
            continue;
        };
        if is_f32(case) {
            continue;
        }
        let a = &case["args"];
        let x = fam.matrix(a, "X");
        let sw = sample_weight(a);
        let mut km = kmeans_params(&fam, a);
        let lloyd = km.fit(&x, sw.as_deref()).expect("lloyd");
        let threaded = threaded_lloyd(&km, &x);
        km.algorithm = KMeansAlgorithm::Elkan;
        let elkan = km.fit(&x, sw.as_deref()).expect("elkan");
        if threaded {
            assert_eq!(lloyd.labels_, elkan.labels_, "{base}");
            assert_eq!(lloyd.n_iter_, elkan.n_iter_, "{base}");
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
            assert!(close(lloyd.inertia_, elkan.inertia_), "{base}");
            let (lc, ec) = (
                lloyd.cluster_centers_.as_slice(),
                elkan.cluster_centers_.as_slice(),
            );
            assert!(lc.iter().zip(ec).all(|(a, b)| close(*a, *b)), "{base}");
        } else {
            assert_eq!(lloyd, elkan, "{base}");
        }
        pairs += 1;
    }
    assert!(pairs >= 9, "{pairs} pairs");
}

#[test]
fn kmeanspp_inertia_within_one_percent_over_five_seeds() {
    // issue 20's acceptance: k-means++ with a seed reaches scikit-learn's inertia
    // within 1% (in fact the same centres, checked bit for bit above)
    let fam = load("cluster");
    for prefix in [
        "kmeanspp_blobs_400x5_k6_seed",
        "kmeanspp_uniform_250x2_k8_seed",
    ] {
        let mut seeds = 0;
        for case in fam.cases.iter().filter(|c| {
            let n = c["name"].as_str().unwrap_or("");
            n.starts_with(prefix) && n[prefix.len()..].parse::<u32>().is_ok()
        }) {
            let a = &case["args"];
            let fitted = kmeans_params(&fam, a)
                .fit(&fam.matrix(a, "X"), None)
                .expect("fit");
            let want = num(&case["expect"]["inertia_"]);
            assert!(
                (fitted.inertia_ - want).abs() <= 0.01 * want,
                "{}: {} vs {want}",
                case["name"],
                fitted.inertia_
            );
            seeds += 1;
        }
        assert_eq!(seeds, 5, "{prefix}");
    }
}

#[test]
fn a_changed_expectation_fails_the_comparison() {
    // the comparison can fail: one ulp on a centre, a swapped label, an extra iteration
    let fam = load("cluster");
    let case = fam
        .cases
        .iter()
        .find(|c| c["name"] == "blobs_300x4_k5_explicit_lloyd")
        .expect("case")
        .clone();
    let mut chk = Checker {
        failures: Vec::new(),
    };
    check_kmeans_fit(&fam, &case, &mut chk);
    assert!(chk.failures.is_empty(), "{:?}", chk.failures);
    for change in 0..3 {
        let mut bad = case.clone();
        let e = &mut bad["expect"];
        match change {
            0 => {
                let v = e["cluster_centers_"][2][1].as_f64().expect("f64");
                e["cluster_centers_"][2][1] = Value::from(f64::from_bits(v.to_bits() + 1));
            }
            1 => {
                let l = e["labels_"][7].as_u64().expect("label");
                e["labels_"][7] = Value::from((l + 1) % 5);
            }
            _ => {
                let it = e["n_iter_"].as_u64().expect("n_iter");
                e["n_iter_"] = Value::from(it + 1);
            }
        }
        let mut chk = Checker {
            failures: Vec::new(),
        };
        check_kmeans_fit(&fam, &bad, &mut chk);
        assert_eq!(chk.failures.len(), 1, "change {change}: {:?}", chk.failures);
    }
}

// ---------------------------------------------------------------------------------------
// PCA

fn pca_params(a: &Value) -> PCA {
    let mut p = PCA::default();
    match a.get("n_components") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == "mle" => p.n_components = Some(NComponents::Mle),
        Some(v) if v.is_u64() => {
            p.n_components = Some(NComponents::Count(v.as_u64().expect("int") as usize));
        }
        Some(v) => p.n_components = Some(NComponents::Fraction(num(v))),
    }
    if let Some(v) = a.get("whiten") {
        p.whiten = v.as_bool().expect("whiten");
    }
    if let Some(v) = a.get("svd_solver") {
        p.svd_solver = match v.as_str().expect("solver") {
            "full" => SvdSolver::Full,
            "covariance_eigh" => SvdSolver::CovarianceEigh,
            s => panic!("solver {s}"),
        };
    }
    p
}

fn check_pca(fam: &Family, case: &Value, chk: &mut Checker) {
    let name = case["name"].as_str().expect("name");
    let a = &case["args"];
    let x = fam.matrix(a, "X");
    let e = &case["expect"];
    let (fitted, xt) = pca_params(a)
        .fit_transform(&x)
        .unwrap_or_else(|err| panic!("{name}: {err}"));
    let head = e["fit_transform_head"].as_array().map_or(0, Vec::len);
    let k = e["n_components_"].as_u64().expect("n_components_") as usize;
    chk.exact(&format!("{name}.n_components_"), fitted.n_components_, k);
    chk.exact(
        &format!("{name}.n_samples_"),
        fitted.n_samples_,
        e["n_samples_"].as_u64().expect("n_samples_") as usize,
    );
    chk.floats(
        &format!("{name}.mean_"),
        &fitted.mean_,
        &nums(&e["mean_"]),
        Tol::Exact,
        None,
    );
    let rel = Tol::Relative(1e-13);
    chk.floats(
        &format!("{name}.singular_values_"),
        &fitted.singular_values_,
        &nums(&e["singular_values_"]),
        rel,
        None,
    );
    chk.floats(
        &format!("{name}.explained_variance_"),
        &fitted.explained_variance_,
        &nums(&e["explained_variance_"]),
        rel,
        None,
    );
    chk.floats(
        &format!("{name}.explained_variance_ratio_"),
        &fitted.explained_variance_ratio_,
        &nums(&e["explained_variance_ratio_"]),
        rel,
        None,
    );
    let largest = fitted
        .explained_variance_
        .first()
        .copied()
        .unwrap_or(1.0)
        .max(num(&e["noise_variance_"]));
    chk.floats(
        &format!("{name}.noise_variance_"),
        &[fitted.noise_variance_],
        &[num(&e["noise_variance_"])],
        Tol::Scaled(1e-13),
        Some(&[largest]),
    );
    let vec_tol = Tol::RelativeToMax(1e-11);
    chk.floats(
        &format!("{name}.components_"),
        fitted.components_.as_slice(),
        &flat(&e["components_"]),
        vec_tol,
        None,
    );
    let xt_head: Vec<f64> = xt.rows().take(head).flatten().copied().collect();
    chk.floats(
        &format!("{name}.fit_transform_head"),
        &xt_head,
        &flat(&e["fit_transform_head"]),
        vec_tol,
        None,
    );
    let x_head = Matrix::new(
        x.rows().take(head).flatten().copied().collect(),
        head.min(x.n_rows()),
        x.n_cols(),
    )
    .expect("head");
    let t = fitted.transform(&x_head).expect("transform");
    chk.floats(
        &format!("{name}.transform_head"),
        t.as_slice(),
        &flat(&e["transform_head"]),
        vec_tol,
        None,
    );
    if let Some(x_new) = fam.arg(a, "X_new") {
        let x_new = matrix(x_new);
        let t = fitted.transform(&x_new).expect("transform");
        chk.floats(
            &format!("{name}.transform_new"),
            t.as_slice(),
            &flat(&e["transform_new"]),
            vec_tol,
            None,
        );
        let back = fitted.inverse_transform(&t).expect("inverse_transform");
        chk.floats(
            &format!("{name}.inverse_transform_new"),
            back.as_slice(),
            &flat(&e["inverse_transform_new"]),
            vec_tol,
            None,
        );
    }
}

fn pca_error(fam: &Family, case: &Value) -> Result<(), LearnError> {
    let a = &case["args"];
    let name = case["name"].as_str().expect("name");
    let x = match name {
        "err_no_samples" => Matrix::new(Vec::new(), 0, 2)?,
        "err_no_features" => Matrix::new(Vec::new(), 4, 0)?,
        _ => fam.matrix(a, "X"),
    };
    let fitted = pca_params(a).fit(&x)?;
    if let Some(method) = a.get("method").and_then(Value::as_str) {
        let width = if method == "transform" {
            x.n_cols()
        } else {
            fitted.n_components_
        };
        let x_new = matrix_with_width(&a["X_new"], width);
        match method {
            "transform" => {
                fitted.transform(&x_new)?;
            }
            "inverse_transform" => {
                fitted.inverse_transform(&x_new)?;
            }
            m => panic!("method {m}"),
        }
    }
    Ok(())
}

#[test]
fn pca_matches_sklearn() {
    let fam = load("decomposition");
    let mut chk = Checker {
        failures: Vec::new(),
    };
    let mut n = 0;
    for case in fam.cases.iter().filter(|c| c.get("expect").is_some()) {
        check_pca(&fam, case, &mut chk);
        n += 1;
    }
    chk.finish("decomposition", n);
    assert!(n >= 15, "{n} cases");
}

#[test]
fn pca_errors_match_sklearn() {
    let fam = load("decomposition");
    assert!(check_errors("decomposition", &fam, pca_error) >= 10);
}

#[test]
fn a_changed_pca_expectation_fails_the_comparison() {
    let fam = load("decomposition");
    let case = fam
        .cases
        .iter()
        .find(|c| c["name"] == "tall_int2_full")
        .expect("case")
        .clone();
    let mut chk = Checker {
        failures: Vec::new(),
    };
    check_pca(&fam, &case, &mut chk);
    assert!(chk.failures.is_empty(), "{:?}", chk.failures);
    for change in 0..3 {
        let mut bad = case.clone();
        let e = &mut bad["expect"];
        match change {
            // a flipped component sign
            0 => {
                let row: Vec<Value> = e["components_"][1]
                    .as_array()
                    .expect("row")
                    .iter()
                    .map(|v| Value::from(-v.as_f64().expect("f64")))
                    .collect();
                e["components_"][1] = Value::from(row);
            }
            // a variance off by 1e-9 relative
            1 => {
                let v = e["explained_variance_"][0].as_f64().expect("f64");
                e["explained_variance_"][0] = Value::from(v * (1.0 + 1e-9));
            }
            _ => {
                let v = e["mean_"][3].as_f64().expect("f64");
                e["mean_"][3] = Value::from(f64::from_bits(v.to_bits() + 1));
            }
        }
        let mut chk = Checker {
            failures: Vec::new(),
        };
        check_pca(&fam, &bad, &mut chk);
        assert!(!chk.failures.is_empty(), "change {change} went unnoticed");
    }
}
