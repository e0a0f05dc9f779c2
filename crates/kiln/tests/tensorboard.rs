//! The `TensorBoard` callback against Keras 3.15.1's (issue 20). The fixture
//! (`tools/golden/gen_tensorboard.py`) lists what TensorBoard 2.21's `EventAccumulator`
//! reads from Keras's logs for five models and argument sets: per run directory the tags,
//! their plugins and serialized metadata, the tensors' dtypes and shapes, and the steps.
//! kiln fits the same models with the same arguments; this test reads kiln's event files
//! with its own TFRecord/protobuf reader (bitwise CRC-32C, not kiln's table) and checks
//! the same tags and steps, and the values against kiln's own `History`, batch logs,
//! weights and config.

mod common;

use common::fixture;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kiln::callbacks::{histogram_buckets, TensorBoard, UpdateFreq};
use kiln::prelude::*;
use serde_json::Value;

// ---- reader ----------------------------------------------------------------------------

fn crc32c_bitwise(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0x82F6_3B78 & mask);
        }
    }
    !crc
}

fn masked(data: &[u8]) -> u32 {
    let c = crc32c_bitwise(data);
    c.rotate_right(15).wrapping_add(0xA282_EAD8)
}

fn records(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < bytes.len() {
        assert!(p + 12 <= bytes.len(), "torn record header at {p}");
        let len_bytes = &bytes[p..p + 8];
        let len = u64::from_le_bytes(len_bytes.try_into().unwrap()) as usize;
        let lcrc = u32::from_le_bytes(bytes[p + 8..p + 12].try_into().unwrap());
        assert_eq!(lcrc, masked(len_bytes), "length CRC at {p}");
        let data = &bytes[p + 12..p + 12 + len];
        let dcrc = u32::from_le_bytes(bytes[p + 12 + len..p + 16 + len].try_into().unwrap());
        assert_eq!(dcrc, masked(data), "data CRC at {p}");
        out.push(data);
        p += 16 + len;
    }
    out
}

/// Protobuf fields: (number, wire type, varint or fixed value, bytes).
fn fields(mut b: &[u8]) -> Vec<(u32, u8, u64, &[u8])> {
    fn varint(b: &mut &[u8]) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let byte = b[0];
            *b = &b[1..];
            v |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = varint(&mut b);
        let (field, wire) = ((key >> 3) as u32, (key & 7) as u8);
        match wire {
            0 => out.push((field, wire, varint(&mut b), &[][..])),
            1 => {
                let v = u64::from_le_bytes(b[..8].try_into().unwrap());
                b = &b[8..];
                out.push((field, wire, v, &[][..]));
            }
            2 => {
                let n = varint(&mut b) as usize;
                out.push((field, wire, 0, &b[..n]));
                b = &b[n..];
            }
            5 => {
                let v = u64::from(u32::from_le_bytes(b[..4].try_into().unwrap()));
                b = &b[4..];
                out.push((field, wire, v, &[][..]));
            }
            w => panic!("wire type {w}"),
        }
    }
    out
}

#[derive(Debug, Clone)]
struct TensorRead {
    dtype: u64,
    shape: Vec<usize>,
    content: Vec<u8>,
    strings: Vec<Vec<u8>>,
}

impl TensorRead {
    fn f32_scalar(&self) -> f32 {
        assert_eq!(self.dtype, 1);
        f32::from_le_bytes(self.content[..4].try_into().unwrap())
    }
    fn f64s(&self) -> Vec<f64> {
        assert_eq!(self.dtype, 2);
        self.content
            .chunks(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }
}

#[derive(Debug, Clone)]
struct ValueRead {
    step: i64,
    tag: String,
    metadata: Vec<u8>,
    tensor: TensorRead,
}

struct RunRead {
    n_files: usize,
    file_versions: Vec<String>,
    values: Vec<ValueRead>,
}

fn read_run(dir: &Path) -> Option<RunRead> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut run = RunRead {
        n_files: files.len(),
        file_versions: Vec::new(),
        values: Vec::new(),
    };
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with("events.out.tfevents.") && name.ends_with(".v2"),
            "{name}"
        );
        let bytes = std::fs::read(f).unwrap();
        for rec in records(&bytes) {
            let mut step = 0i64;
            let mut summary: Option<&[u8]> = None;
            for (num, _, v, b) in fields(rec) {
                match num {
                    2 => step = v as i64,
                    3 => run
                        .file_versions
                        .push(String::from_utf8(b.to_vec()).unwrap()),
                    5 => summary = Some(b),
                    _ => {}
                }
            }
            let Some(summary) = summary else { continue };
            for (num, _, _, vb) in fields(summary) {
                assert_eq!(num, 1);
                let mut tag = String::new();
                let mut metadata = Vec::new();
                let mut tensor = None;
                for (n, _, _, b) in fields(vb) {
                    match n {
                        1 => tag = String::from_utf8(b.to_vec()).unwrap(),
                        9 => metadata = b.to_vec(),
                        8 => {
                            let mut t = TensorRead {
                                dtype: 0,
                                shape: vec![],
                                content: vec![],
                                strings: vec![],
                            };
                            for (tn, _, tv, tb) in fields(b) {
                                match tn {
                                    1 => t.dtype = tv,
                                    2 => {
                                        for (dn, _, _, db) in fields(tb) {
                                            assert_eq!(dn, 2);
                                            let size = fields(db)
                                                .iter()
                                                .find(|f| f.0 == 1)
                                                .map_or(0, |f| f.2);
                                            t.shape.push(size as usize);
                                        }
                                    }
                                    4 => t.content = tb.to_vec(),
                                    8 => t.strings.push(tb.to_vec()),
                                    _ => {}
                                }
                            }
                            tensor = Some(t);
                        }
                        _ => {}
                    }
                }
                run.values.push(ValueRead {
                    step,
                    tag,
                    metadata,
                    tensor: tensor.expect("a tensor summary"),
                });
            }
        }
    }
    Some(run)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---- the fits --------------------------------------------------------------------------

struct BatchLogs(Arc<Mutex<Vec<Logs>>>);

impl Callback for BatchLogs {
    fn on_train_batch_end(&mut self, _m: &mut Model, _b: usize, logs: &Logs) -> kiln::Result<()> {
        self.0.lock().unwrap().push(logs.clone());
        Ok(())
    }
}

fn build(kind: &str) -> Model {
    kiln::utils::clear_session();
    if kind == "sequential" {
        let mut m = Model::sequential(vec![
            Dense::new(3).activation("relu").input_shape(&[4]).into(),
            Dense::new(2).activation("softmax").into(),
        ])
        .unwrap();
        m.compile(
            CompileArgs::new()
                .optimizer("adam")
                .loss("sparse_categorical_crossentropy")
                .metrics(["accuracy"]),
        )
        .unwrap();
        m
    } else {
        let x = Input::new(&[Some(4)]).name("features").build();
        let h = Dense::new(5)
            .activation("tanh")
            .name("hidden")
            .apply(&x)
            .unwrap();
        let y = Dense::new(1).name("out").apply(&h).unwrap();
        let mut m = Model::new_named(&[x], &[y], "regressor").unwrap();
        m.compile(
            CompileArgs::new()
                .optimizer(kiln::optimizers::SGD::new(0.01))
                .loss("mse")
                .metrics(["mae"]),
        )
        .unwrap();
        m
    }
}

fn data(kind: &str) -> (Tensor, Tensor) {
    let mut rng = kiln_learn_free_rng(7);
    let x: Vec<f32> = (0..400).map(|_| rng()).collect();
    let rows: Vec<&[f32]> = x.chunks(4).collect();
    let xt = Tensor::from_vec(x.clone(), &[100, 4]).unwrap();
    if kind == "sequential" {
        let y: Vec<i64> = rows
            .iter()
            .map(|r| i64::from(r.iter().sum::<f32>() > 2.0))
            .collect();
        (xt, Tensor::from_vec(y, &[100]).unwrap())
    } else {
        let y: Vec<f32> = rows
            .iter()
            .map(|r| r[0] - 2.0 * r[1] + 0.5 * r[2] + 3.0 * r[3])
            .collect();
        (xt, Tensor::from_vec(y, &[100, 1]).unwrap())
    }
}

/// A small LCG in [0, 1), so the test needs no other crate.
fn kiln_learn_free_rng(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 40) as f32) / (1u64 << 24) as f32
    }
}

fn take(t: &Tensor, range: std::ops::Range<usize>) -> Tensor {
    let idx: Vec<i64> = range.map(|i| i as i64).collect();
    t.gather(&Tensor::from_vec(idx.clone(), &[idx.len()]).unwrap(), 0)
        .unwrap()
}

#[test]
fn tensorboard_logs_have_keras_tags_steps_and_history_values() {
    let fx = fixture("tensorboard.json");
    // KILN_TENSORBOARD_KEEP=<dir> keeps the logs (with kiln's History next to them) for
    // tools/golden/check_tensorboard_logs.py, which reads them with TensorBoard itself.
    let keep = std::env::var_os("KILN_TENSORBOARD_KEEP").map(PathBuf::from);
    let root = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("kiln_tb_test_{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&root);
    for case in fx["fits"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let kind = case["model"].as_str().unwrap();
        let tb_args = &case["tensorboard"];
        let fit = &case["fit"];
        let log_dir = root.join(name);
        let mut tb = TensorBoard::new(&log_dir);
        if let Some(v) = tb_args.get("update_freq") {
            let f: UpdateFreq = match v {
                Value::String(s) => s.parse().unwrap(),
                n => UpdateFreq::from(n.as_u64().unwrap()),
            };
            tb = tb.update_freq(f);
        }
        if let Some(v) = tb_args.get("histogram_freq") {
            tb = tb.histogram_freq(v.as_u64().unwrap() as usize);
        }
        if let Some(v) = tb_args.get("write_images") {
            tb = tb.write_images(v.as_bool().unwrap());
        }
        if let Some(v) = tb_args.get("write_graph") {
            tb = tb.write_graph(v.as_bool().unwrap());
        }
        if let Some(v) = tb_args.get("write_steps_per_second") {
            tb = tb.write_steps_per_second(v.as_bool().unwrap());
        }
        let mut model = build(kind);
        let (x, y) = data(kind);
        let batches = Arc::new(Mutex::new(Vec::new()));
        let batch_size = fit["batch_size"].as_u64().unwrap() as usize;
        let mut args = FitArgs::new()
            .epochs(fit["epochs"].as_u64().unwrap() as usize)
            .batch_size(batch_size)
            .shuffle(false)
            .verbose(0)
            .callback(BatchLogs(batches.clone()))
            .callback(tb);
        let (x, y) = match &fit["validation"] {
            Value::String(s) if s == "data" => {
                args = args.validation_data(take(&x, 80..100), take(&y, 80..100));
                (take(&x, 0..80), take(&y, 0..80))
            }
            Value::Number(f) => {
                args = args.validation_split(f.as_f64().unwrap());
                (x, y)
            }
            _ => (x, y),
        };
        let history = model.fit(&x, &y, args).unwrap();
        let keys: Vec<&String> = history.history.keys().collect();
        let want_keys: Vec<String> = case["history_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            keys,
            want_keys.iter().collect::<Vec<_>>(),
            "{name}: history keys"
        );
        let mut n_train = case["n_train"].as_u64().unwrap() as usize;
        if let Some(f) = fit["validation"].as_f64() {
            n_train = (n_train as f64 * (1.0 - f)).floor() as usize;
        }
        let steps_per_epoch = n_train.div_ceil(batch_size);
        let batch_logs = batches.lock().unwrap().clone();
        if keep.is_some() {
            let batch: Vec<BTreeMap<&str, f64>> =
                batch_logs.iter().map(|l| l.iter().collect()).collect();
            let lr = model.optimizer().unwrap().learning_rate() as f32 as f64;
            let doc = serde_json::json!({
                "history": history.history, "batch_logs": batch,
                "steps_per_epoch": steps_per_epoch, "learning_rate": lr,
            });
            std::fs::write(log_dir.join("kiln_history.json"), doc.to_string()).unwrap();
        }

        for run in ["train", "validation"] {
            let want = &case["runs"][run];
            let got = read_run(&log_dir.join(run));
            if want.is_null() {
                assert!(
                    got.is_none(),
                    "{name}/{run}: Keras writes no such directory"
                );
                continue;
            }
            let got = got.unwrap_or_else(|| panic!("{name}/{run}: no directory"));
            assert_eq!(
                got.n_files as u64,
                want["n_files"].as_u64().unwrap(),
                "{name}/{run}"
            );
            assert_eq!(
                got.file_versions,
                vec!["brain.Event:2".to_string(); got.n_files]
            );
            let mut by_tag: BTreeMap<&str, Vec<&ValueRead>> = BTreeMap::new();
            for v in &got.values {
                by_tag.entry(&v.tag).or_default().push(v);
            }
            let want_tags: Vec<&str> = want["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["tag"].as_str().unwrap())
                .collect();
            let mut sorted_want = want_tags.clone();
            sorted_want.sort();
            assert_eq!(
                by_tag.keys().copied().collect::<Vec<_>>(),
                sorted_want,
                "{name}/{run}: tags"
            );
            for t in want["tags"].as_array().unwrap() {
                let tag = t["tag"].as_str().unwrap();
                let evs = &by_tag[tag];
                let steps: Vec<i64> = evs.iter().map(|e| e.step).collect();
                let want_steps: Vec<i64> = t["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_i64().unwrap())
                    .collect();
                assert_eq!(steps, want_steps, "{name}/{run}/{tag}: steps");
                assert_eq!(
                    hex(&evs[0].metadata),
                    t["metadata_hex"].as_str().unwrap(),
                    "{name}/{run}/{tag}: metadata"
                );
                let dtype = match t["dtype"].as_str().unwrap() {
                    "float32" => 1,
                    "float64" => 2,
                    "string" => 7,
                    d => panic!("{d}"),
                };
                let shape: Vec<usize> = t["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_u64().unwrap() as usize)
                    .collect();
                for e in evs {
                    assert_eq!(e.tensor.dtype, dtype, "{name}/{run}/{tag}: dtype");
                    assert_eq!(e.tensor.shape, shape, "{name}/{run}/{tag}: shape");
                }
                // values
                let prefix = if run == "validation" { "val_" } else { "" };
                for e in evs {
                    let step = e.step as usize;
                    if let Some(metric) = tag.strip_prefix("epoch_") {
                        let got_v = e.tensor.f32_scalar();
                        match metric {
                            "learning_rate" => {
                                let lr = model.optimizer().unwrap().learning_rate() as f32;
                                assert_eq!(got_v, lr, "{name}: learning rate");
                            }
                            "steps_per_second" => assert!(got_v > 0.0 && got_v.is_finite()),
                            m => {
                                let h = history.history[&format!("{prefix}{m}")][step] as f32;
                                assert_eq!(got_v, h, "{name}/{run}/{tag} at {step}");
                            }
                        }
                    } else if let Some(rest) = tag.strip_prefix("evaluation_") {
                        let metric = rest.strip_suffix("_vs_iterations").unwrap();
                        assert_eq!(step % steps_per_epoch, 0);
                        let epoch = step / steps_per_epoch - 1;
                        let h = history.history[&format!("val_{metric}")][epoch] as f32;
                        assert_eq!(e.tensor.f32_scalar(), h, "{name}/{tag} at {step}");
                    } else if let Some(metric) = tag.strip_prefix("batch_") {
                        let v = e.tensor.f32_scalar();
                        if metric == "steps_per_second" {
                            assert!(v > 0.0 && v.is_finite());
                        } else {
                            let logged = batch_logs[step - 1][metric] as f32;
                            assert_eq!(v, logged, "{name}/{tag} at {step}");
                        }
                    } else if tag.ends_with("/histogram") {
                        let b = e.tensor.f64s();
                        let count: f64 = b.chunks(3).map(|r| r[2]).sum();
                        let path = tag.strip_suffix("/histogram").unwrap();
                        let path = if kind == "sequential" {
                            path.strip_prefix("sequential/").unwrap()
                        } else {
                            path
                        };
                        let w = model
                            .weights()
                            .into_iter()
                            .find(|v| v.name() == path)
                            .unwrap();
                        assert_eq!(count as usize, w.shape().iter().product::<usize>(), "{tag}");
                    } else if tag.ends_with("/image") {
                        let n = e.tensor.strings.len();
                        assert_eq!(n, shape[0]);
                        assert!(e.tensor.strings[2].starts_with(b"\x89PNG"));
                    } else if tag == "keras" {
                        let json = String::from_utf8(e.tensor.strings[0].clone()).unwrap();
                        assert_eq!(json, kiln::saving::model_to_json(&model).unwrap());
                        let v: Value = serde_json::from_str(&json).unwrap();
                        assert_eq!(
                            v["class_name"],
                            if kind == "sequential" {
                                "Sequential"
                            } else {
                                "Functional"
                            }
                        );
                        assert!(v.get("compile_config").is_some());
                    } else {
                        panic!("unchecked tag {tag}");
                    }
                }
            }
        }
        // the last histograms are those of the final weights
        if let Some(hf) = tb_args.get("histogram_freq").and_then(Value::as_u64) {
            let epochs = fit["epochs"].as_u64().unwrap();
            let last = (0..epochs).rev().find(|e| e % hf == 0).unwrap() as i64;
            let got = read_run(&log_dir.join("train")).unwrap();
            let layer = &model.layers()[usize::from(kind == "functional")];
            let kernel = layer.weights()[0].clone();
            let data: Vec<f64> = kernel.value().cast(DType::F64).unwrap().to_vec().unwrap();
            let prefix = if kind == "sequential" {
                "sequential/"
            } else {
                ""
            };
            let tag = format!("{prefix}{}/histogram", kernel.name());
            let keras_has_it = case["runs"]["train"]["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| {
                    t["tag"] == tag.as_str()
                        && t["steps"].as_array().unwrap().contains(&Value::from(last))
                });
            let e = got.values.iter().find(|v| v.tag == tag && v.step == last);
            assert_eq!(e.is_some(), keras_has_it, "{name}: {tag} at {last}");
            if let Some(e) = e {
                let want: Vec<f64> = histogram_buckets(&data, 30).into_iter().flatten().collect();
                assert_eq!(e.tensor.f64s(), want, "{name}: {tag}");
            }
        }
    }
    if keep.is_none() {
        std::fs::remove_dir_all(&root).ok();
    }
}

#[test]
fn histogram_buckets_equal_tensorboards() {
    let fx = fixture("tensorboard.json");
    for case in fx["histograms"].as_array().unwrap() {
        // floats are repr strings (serde_json's default parser may be one ulp off)
        let f = |v: &Value| v.as_str().unwrap().parse::<f64>().unwrap();
        let data: Vec<f64> = case["data"].as_array().unwrap().iter().map(f).collect();
        let want: Vec<[f64; 3]> = case["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let r = r.as_array().unwrap();
                [f(&r[0]), f(&r[1]), f(&r[2])]
            })
            .collect();
        assert_eq!(histogram_buckets(&data, 30), want, "{}", case["name"]);
    }
}

#[test]
fn a_failed_run_leaves_readable_files() {
    // The fit fails at the second epoch (a callback error); what was written is whole.
    struct FailAt(usize);
    impl Callback for FailAt {
        fn on_epoch_end(
            &mut self,
            _m: &mut Model,
            epoch: usize,
            _l: &mut Logs,
        ) -> kiln::Result<()> {
            if epoch == self.0 {
                return Err(kiln::Error::InvalidArgument {
                    api: "test",
                    msg: "stop".into(),
                });
            }
            Ok(())
        }
    }
    let dir = std::env::temp_dir().join(format!("kiln_tb_fail_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut m = Model::sequential(vec![Dense::new(1).name("d").input_shape(&[2]).into()]).unwrap();
    m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .unwrap();
    let x = Tensor::ones(&[8, 2], DType::F32);
    let y = Tensor::ones(&[8, 1], DType::F32);
    let err = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(3)
                .verbose(0)
                .callback(TensorBoard::new(&dir).histogram_freq(1))
                .callback(FailAt(1)),
        )
        .unwrap_err();
    assert!(err.to_string().contains("stop"));
    let run = read_run(&dir.join("train")).unwrap();
    let loss: Vec<i64> = run
        .values
        .iter()
        .filter(|v| v.tag == "epoch_loss")
        .map(|v| v.step)
        .collect();
    assert_eq!(loss, vec![0, 1]);
    std::fs::remove_dir_all(&dir).ok();
}
