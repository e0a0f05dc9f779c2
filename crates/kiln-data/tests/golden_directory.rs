//! image_dataset_from_directory / text_dataset_from_directory against Keras 3.15
//! (tools/golden/gen_directory.py on tools/golden/fixtures/dirtree and texttree).

use std::path::{Path, PathBuf};

use kiln_data::utils::{
    image_dataset_from_directory, image_dataset_from_directory_both, text_dataset_from_directory,
    text_dataset_from_directory_both, DirectoryDataset, ImageDatasetArgs, Labels, TextDatasetArgs,
};
use kiln_tensor::Tensor;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures")
}

fn fixture() -> Value {
    let s = std::fs::read_to_string(fixtures().join("directory.json")).unwrap();
    serde_json::from_str(&s).unwrap()
}

fn tree() -> PathBuf {
    fixtures().join("dirtree")
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

/// Keras's kwargs as kiln's arguments.
fn image_args(kw: &Value) -> ImageDatasetArgs {
    let mut a = ImageDatasetArgs::new();
    let kw = kw.as_object().unwrap();
    for (k, v) in kw {
        match k.as_str() {
            "image_size" => {
                let s = usizes(v);
                a = a.image_size(s[0], s[1]);
            }
            "batch_size" => a = a.batch_size(v.as_u64().map(|b| b as usize)),
            "shuffle" => a = a.shuffle(v.as_bool().unwrap()),
            "seed" => a = a.seed(v.as_u64().unwrap()),
            "validation_split" => a.validation_split = Some(v.as_f64().unwrap()),
            "subset" => a.subset = Some(v.as_str().unwrap().into()),
            "label_mode" => a = a.label_mode(v.as_str()),
            "color_mode" => a = a.color_mode(v.as_str().unwrap()),
            "class_names" => a.class_names = Some(strs(v)),
            "labels" => {
                a = a.labels(match v {
                    Value::Null => Labels::None,
                    Value::String(_) => Labels::Inferred,
                    _ => Labels::List(
                        v.as_array()
                            .unwrap()
                            .iter()
                            .map(|x| x.as_i64().unwrap())
                            .collect(),
                    ),
                })
            }
            "interpolation" => a = a.interpolation(v.as_str().unwrap()),
            "crop_to_aspect_ratio" => a = a.crop_to_aspect_ratio(v.as_bool().unwrap()),
            "pad_to_aspect_ratio" => a = a.pad_to_aspect_ratio(v.as_bool().unwrap()),
            other => panic!("unhandled kwarg {other}"),
        }
    }
    a
}

fn rel(paths: &[PathBuf], root: &Path) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            p.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// Compares one dataset with Keras's: class names, file order, batch shapes and dtypes,
/// labels, and (when recorded and `ordered`) the pixel values. JPEG pixels may differ by
/// the decoder's few levels (see `decode_jpeg`), PNG pixels are exact up to f32 rounding.
fn check_dataset(name: &str, ds: &DirectoryDataset, want: &Value, ordered: bool) -> usize {
    let root = tree();
    let want_names = match &want["class_names"] {
        Value::Null => None,
        v => Some(strs(v)),
    };
    assert_eq!(ds.class_names, want_names, "{name}: class_names");
    let files = rel(&ds.file_paths, &root);
    assert_eq!(files, strs(&want["file_paths"]), "{name}: file_paths");
    let batches = ds.dataset.collect().unwrap();
    let wb = want["batches"].as_array().unwrap();
    assert_eq!(batches.len(), wb.len(), "{name}: number of batches");
    let mut all_labels = Vec::new();
    let mut want_labels = Vec::new();
    let mut checked = 0;
    let mut pos = 0;
    let (mut worst_png, mut worst_jpg) = (0.0f64, 0.0f64);
    for (bi, (b, w)) in batches.iter().zip(wb).enumerate() {
        let (x, y) = match b {
            kiln_data::dataset::Element::Tuple(t) => (
                t[0].as_tensor().unwrap().clone(),
                Some(t[1].as_tensor().unwrap().clone()),
            ),
            e => (e.as_tensor().unwrap().clone(), None),
        };
        assert_eq!(
            x.shape(),
            &usizes(&w["x_shape"])[..],
            "{name}: batch {bi} shape"
        );
        assert_eq!(
            x.dtype().name(),
            w["x_dtype"].as_str().unwrap(),
            "{name}: x dtype"
        );
        match (&y, w.get("y")) {
            (Some(y), Some(wy)) => {
                assert_eq!(y.shape(), &usizes(&wy["shape"])[..], "{name}: y shape");
                assert_eq!(
                    y.dtype().name(),
                    wy["dtype"].as_str().unwrap(),
                    "{name}: y dtype"
                );
                if ordered {
                    assert_eq!(
                        y.to_f64_vec(),
                        f64s(&wy["data"]),
                        "{name}: batch {bi} labels"
                    );
                }
                all_labels.extend(y.to_f64_vec());
                want_labels.extend(f64s(&wy["data"]));
            }
            (None, None) => {}
            _ => panic!("{name}: labels present in only one of kiln/Keras"),
        }
        if let (true, Some(wx)) = (ordered, w.get("x")) {
            let got = x.to_f64_vec();
            let want = f64s(&wx["data"]);
            let n = x.shape().first().copied().unwrap_or(1);
            let per = got.len() / n.max(1);
            let per_image = if x.shape().len() == 3 { got.len() } else { per };
            for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                let file = &files[pos + i / per_image];
                let tol = if file.ends_with(".jpg") { 3.0 } else { 1e-3 };
                assert!(
                    (a - b).abs() <= tol,
                    "{name}: {file} value {i}: got {a}, want {b}"
                );
                if file.ends_with(".jpg") {
                    worst_jpg = worst_jpg.max((a - b).abs());
                } else {
                    worst_png = worst_png.max((a - b).abs());
                }
                checked += 1;
            }
            pos += if x.shape().len() == 3 { 1 } else { n };
        }
    }
    if checked > 0 {
        eprintln!("{name}: max |diff| PNG {worst_png:.2e}, JPEG {worst_jpg:.2}");
    }
    all_labels.sort_by(f64::total_cmp);
    want_labels.sort_by(f64::total_cmp);
    assert_eq!(all_labels, want_labels, "{name}: label multiset");
    checked
}

#[test]
fn image_dataset_matches_keras() {
    let root = fixture();
    let mut ran = 0;
    let mut values = 0;
    for case in root["image"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let args = image_args(&case["kwargs"]);
        let shuffled = args.shuffle;
        if let Some(err) = case.get("error") {
            let got = if args.subset.as_deref() == Some("both") {
                image_dataset_from_directory_both(tree(), &args).map(|_| ())
            } else {
                image_dataset_from_directory(tree(), &args).map(|_| ())
            };
            let msg = got.expect_err(name).to_string();
            let want = err
                .as_str()
                .unwrap()
                .replace("{dir}", &tree().display().to_string());
            let want = want.as_str();
            assert!(msg.contains(want), "{name}: got {msg:?}, want {want:?}");
            ran += 1;
            continue;
        }
        if let Some(err) = case.get("iter_error") {
            let ds = image_dataset_from_directory(tree(), &args).unwrap();
            let r = ds.dataset.collect();
            let msg = r.expect_err(name).to_string();
            assert!(
                msg.contains("channels must be 0, 1 or 3"),
                "{name}: got {msg:?} (Keras: {err})"
            );
            ran += 1;
            continue;
        }
        let dss = case["datasets"].as_array().unwrap();
        if dss.len() == 2 {
            let (t, v) = image_dataset_from_directory_both(tree(), &args).unwrap();
            values += check_dataset(name, &t, &dss[0], !shuffled);
            values += check_dataset(name, &v, &dss[1], true);
        } else {
            let ds = image_dataset_from_directory(tree(), &args).unwrap();
            values += check_dataset(name, &ds, &dss[0], !shuffled);
        }
        ran += 1;
    }
    assert_eq!(ran, 25);
    assert!(values > 1000, "only {values} pixel values compared");
}

#[test]
fn directory_errors_match_keras() {
    let root = fixture();
    let errs = &root["dir_errors"];
    let empty = std::env::temp_dir().join(format!("kiln-golden-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    for (label, dir) in [
        ("empty_dir", empty.clone()),
        ("no_class_folders", tree().join("apple")),
    ] {
        let want = errs[label]
            .as_str()
            .unwrap()
            .replace("{dir}", &dir.display().to_string());
        let msg = image_dataset_from_directory(&dir, &ImageDatasetArgs::new())
            .unwrap_err()
            .to_string();
        assert!(msg.contains(&want), "{label}: got {msg:?}, want {want:?}");
    }
    std::fs::remove_dir_all(&empty).unwrap();
    let missing = image_dataset_from_directory("/nonexistent/kiln", &ImageDatasetArgs::new());
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("/nonexistent/kiln"));
}

#[test]
fn seeded_file_shuffle_matches_numpy() {
    let root = fixture();
    let idx = &root["index_directory"];
    for seed in [7u64, 3] {
        let args = ImageDatasetArgs::new().seed(seed).image_size(2, 2);
        let ds = image_dataset_from_directory(tree(), &args).unwrap();
        let want = &idx[seed.to_string()];
        assert_eq!(
            rel(&ds.file_paths, &tree()),
            strs(&want["file_paths"]),
            "seed {seed}"
        );
    }
    // The per-epoch element shuffle reshuffles but keeps every element once.
    let args = ImageDatasetArgs::new()
        .seed(7)
        .image_size(2, 2)
        .batch_size(Some(4));
    let ds = image_dataset_from_directory(tree(), &args).unwrap();
    let labels = |ds: &DirectoryDataset| -> Vec<i32> {
        ds.dataset
            .collect()
            .unwrap()
            .iter()
            .flat_map(|b| {
                b.tuple().unwrap()[1]
                    .as_tensor()
                    .unwrap()
                    .to_vec::<i32>()
                    .unwrap()
            })
            .collect()
    };
    let (a, b) = (labels(&ds), labels(&ds));
    let sorted = |mut v: Vec<i32>| {
        v.sort();
        v
    };
    assert_eq!(sorted(a), sorted(b));
    let text = TextDatasetArgs::new().seed(11);
    let tds = text_dataset_from_directory(fixtures().join("texttree"), &text).unwrap();
    assert_eq!(
        rel(&tds.file_paths, &fixtures().join("texttree")),
        strs(&idx["11"]["file_paths"])
    );
}

fn text_args(kw: &Value) -> TextDatasetArgs {
    let mut a = TextDatasetArgs::new();
    for (k, v) in kw.as_object().unwrap() {
        match k.as_str() {
            "batch_size" => a = a.batch_size(v.as_u64().map(|b| b as usize)),
            "shuffle" => a = a.shuffle(v.as_bool().unwrap()),
            "seed" => a = a.seed(v.as_u64().unwrap()),
            "validation_split" => a.validation_split = Some(v.as_f64().unwrap()),
            "subset" => a.subset = Some(v.as_str().unwrap().into()),
            "label_mode" => a = a.label_mode(v.as_str()),
            "max_length" => a = a.max_length(v.as_u64().map(|m| m as usize)),
            other => panic!("unhandled kwarg {other}"),
        }
    }
    a
}

#[test]
fn text_dataset_matches_keras() {
    let root = fixture();
    let dir = fixtures().join("texttree");
    let mut ran = 0;
    for case in root["text"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let args = text_args(&case["kwargs"]);
        let dss = case["datasets"].as_array().unwrap();
        let got = if dss.len() == 2 {
            let (t, v) = text_dataset_from_directory_both(&dir, &args).unwrap();
            vec![t, v]
        } else {
            vec![text_dataset_from_directory(&dir, &args).unwrap()]
        };
        for (di, (ds, want)) in got.iter().zip(dss).enumerate() {
            assert_eq!(ds.class_names, Some(strs(&want["class_names"])), "{name}");
            let batches = ds.collect().unwrap();
            let wb = want["batches"].as_array().unwrap();
            assert_eq!(batches.len(), wb.len(), "{name}: batches");
            // The shuffled training set is compared as a multiset (TF's element shuffle).
            let ordered = !(args.shuffle && di == 0);
            let mut g: Vec<(String, Vec<f64>)> = Vec::new();
            let mut w: Vec<(String, Vec<f64>)> = Vec::new();
            for (b, wbatch) in batches.iter().zip(wb) {
                let labels: &Tensor = b.labels.as_ref().unwrap();
                let wy = &wbatch["y"];
                assert_eq!(
                    labels.dtype().name(),
                    wy["dtype"].as_str().unwrap(),
                    "{name}"
                );
                let per = labels.numel() / b.texts.len();
                let lv = labels.to_f64_vec();
                let wl = f64s(&wy["data"]);
                for (i, t) in b.texts.iter().enumerate() {
                    g.push((t.clone(), lv[i * per..(i + 1) * per].to_vec()));
                }
                for (i, t) in strs(&wbatch["x"]).into_iter().enumerate() {
                    w.push((t, wl[i * per..(i + 1) * per].to_vec()));
                }
                if wbatch["x_shape"].as_array().unwrap().is_empty() {
                    assert_eq!(b.texts.len(), 1, "{name}: unbatched");
                    assert_eq!(labels.shape(), &usizes(&wy["shape"])[..], "{name}");
                }
            }
            if !ordered {
                g.sort_by(|a, b| a.0.cmp(&b.0));
                w.sort_by(|a, b| a.0.cmp(&b.0));
            }
            assert_eq!(g, w, "{name}: texts and labels");
        }
        ran += 1;
    }
    assert_eq!(ran, 4);
}
