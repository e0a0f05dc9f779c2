//! `.tflite` export and post-training quantization without Python: the files kiln writes
//! read back with the expected structure; for the tiny conv model they match, op for op
//! and in every quantization parameter, what `tf.lite.TFLiteConverter` wrote (committed
//! by `tools/golden/check_tflite.py`); and bad input gives `Err`s that name the
//! argument or layer.
mod models;

use kiln::layers::{Dense, LayerNormalization};
use kiln::models::Model;
use kiln_lite::tflite::schema::op;
use kiln_lite::tflite::{reader, Optimize, TGraph, TensorType, TfLiteConverter};
use kiln_lite::LiteError;

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tflite")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn convert(m: &Model, mode: &str) -> Vec<u8> {
    let c = TfLiteConverter::from_keras_model(m);
    let c = match mode {
        "f32" => c,
        "f16" => c
            .optimizations([Optimize::Default])
            .supported_types([TensorType::Float16]),
        "dynamic" => c.optimizations([Optimize::Default]),
        "int8" => c
            .optimizations([Optimize::Default])
            .representative_dataset(models::representative(&[8, 8, 3], 16).expect("dataset")),
        _ => unreachable!(),
    };
    c.convert().expect("convert")
}

fn codes(g: &TGraph) -> Vec<&'static str> {
    g.ops.iter().map(|o| op::name(o.code)).collect()
}

#[test]
fn float32_file_has_the_converters_ops_and_shapes() {
    let m = models::tiny().expect("model");
    let g = reader::read(&convert(&m, "f32")).expect("read");
    assert_eq!(
        codes(&g),
        [
            "CONV_2D",
            "DEPTHWISE_CONV_2D",
            "MEAN",
            "FULLY_CONNECTED",
            "SOFTMAX"
        ]
    );
    let input = &g.tensors[g.inputs[0] as usize];
    assert_eq!(input.shape, [1, 8, 8, 3]);
    assert_eq!(input.signature, [-1, 8, 8, 3]);
    // OHWI filter, BatchNormalization folded (a bias appears), ReLU6 fused (no RELU6 op).
    let conv = &g.ops[0];
    assert_eq!(g.tensors[conv.inputs[1] as usize].shape, [8, 3, 3, 3]);
    assert!(conv.inputs[2] >= 0);
    assert_eq!(g.tensors[g.ops[1].inputs[1] as usize].shape, [1, 3, 3, 8]);
    assert_eq!(g.tensors[g.outputs[0] as usize].shape, [1, 4]);
}

#[test]
fn each_mode_matches_the_converters_file_for_the_tiny_model() {
    let m = models::tiny().expect("model");
    for mode in ["f32", "f16", "dynamic", "int8"] {
        let kiln = reader::read(&convert(&m, mode)).expect("read kiln");
        let tf = reader::read(&fixture(&format!("tiny_{mode}_tf.tflite"))).expect("read tf");
        assert_eq!(codes(&kiln), codes(&tf), "{mode}: op codes");
        // Float16 weights' DEQUANTIZE ops come first in both files, in no fixed order:
        // their count is checked above, the ops that read them are compared below.
        let compute = |g: &TGraph| -> Vec<kiln_lite::tflite::TOp> {
            g.ops
                .iter()
                .filter(|o| {
                    !(o.code == op::DEQUANTIZE && g.tensors[o.inputs[0] as usize].data.is_some())
                })
                .cloned()
                .collect()
        };
        let (kops, tops) = (compute(&kiln), compute(&tf));
        for (k, (ko, to)) in kops.iter().zip(&tops).enumerate() {
            assert_eq!(ko.inputs.len(), to.inputs.len(), "{mode} op {k} inputs");
            for (&ki, &ti) in ko
                .inputs
                .iter()
                .chain(&ko.outputs)
                .zip(to.inputs.iter().chain(&to.outputs))
            {
                assert_eq!(
                    ki < 0,
                    ti < 0,
                    "{mode} op {k}: optional input present in one file only"
                );
                if ki < 0 {
                    continue;
                }
                let (kt, tt) = (&kiln.tensors[ki as usize], &tf.tensors[ti as usize]);
                assert_eq!(
                    kt.ttype, tt.ttype,
                    "{mode} op {k} tensor '{}' type",
                    kt.name
                );
                assert_eq!(
                    kt.shape, tt.shape,
                    "{mode} op {k} tensor '{}' shape",
                    kt.name
                );
                match (&kt.quant, &tt.quant) {
                    (None, None) => {}
                    (Some(a), Some(b)) => {
                        assert_eq!(
                            a.zero_point, b.zero_point,
                            "{mode} op {k} '{}' zero points",
                            kt.name
                        );
                        assert_eq!(a.quantized_dimension, b.quantized_dimension);
                        for (x, y) in a.scale.iter().zip(&b.scale) {
                            assert!(
                                (x - y).abs() <= 1e-6 * y.abs(),
                                "{mode} op {k} '{}' scale {x} vs {y}",
                                kt.name
                            );
                        }
                    }
                    (a, b) => panic!("{mode} op {k} '{}': quantization {a:?} vs {b:?}", kt.name),
                }
                // Constant int8 weights equal the converter's to within one step.
                if let (Some(a), Some(b), TensorType::Int8) = (&kt.data, &tt.data, kt.ttype) {
                    let worst = a
                        .iter()
                        .zip(b)
                        .map(|(x, y)| (*x as i8 as i32 - *y as i8 as i32).abs())
                        .max();
                    assert!(
                        worst <= Some(1),
                        "{mode} op {k} '{}' weights differ by {worst:?}",
                        kt.name
                    );
                }
            }
        }
    }
}

#[test]
fn full_integer_follows_the_quantization_spec() {
    let m = models::tiny().expect("model");
    let g = reader::read(&convert(&m, "int8")).expect("read");
    assert_eq!(codes(&g).first(), Some(&"QUANTIZE"));
    assert_eq!(codes(&g).last(), Some(&"DEQUANTIZE"));
    for o in &g.ops {
        if matches!(
            o.code,
            op::CONV_2D | op::DEPTHWISE_CONV_2D | op::FULLY_CONNECTED
        ) {
            let x = g.tensors[o.inputs[0] as usize]
                .quant
                .clone()
                .expect("input quant");
            let w = g.tensors[o.inputs[1] as usize]
                .quant
                .clone()
                .expect("weight quant");
            assert!(
                w.zero_point.iter().all(|&z| z == 0),
                "weights are symmetric"
            );
            if o.inputs[2] >= 0 {
                let b = &g.tensors[o.inputs[2] as usize];
                assert_eq!(b.ttype, TensorType::Int32);
                let bq = b.quant.as_ref().expect("bias quant");
                for (sb, sw) in bq.scale.iter().zip(&w.scale) {
                    assert!((sb - x.scale[0] * sw).abs() <= 1e-6 * sb.abs());
                }
            }
        }
        if o.code == op::SOFTMAX {
            let y = g.tensors[o.outputs[0] as usize]
                .quant
                .clone()
                .expect("softmax quant");
            assert_eq!((y.scale[0], y.zero_point[0]), (1.0 / 256.0, -128));
        }
    }
    let int8_io = TfLiteConverter::from_keras_model(&m)
        .optimizations([Optimize::Default])
        .representative_dataset(models::representative(&[8, 8, 3], 4).expect("dataset"))
        .inference_types(TensorType::Int8, TensorType::Int8)
        .convert()
        .expect("convert int8 io");
    let g = reader::read(&int8_io).expect("read");
    assert_eq!(g.tensors[g.inputs[0] as usize].ttype, TensorType::Int8);
    assert_eq!(g.tensors[g.outputs[0] as usize].ttype, TensorType::Int8);
    assert!(!codes(&g).contains(&"QUANTIZE") && !codes(&g).contains(&"DEQUANTIZE"));
}

#[test]
fn float16_and_dynamic_range_store_weights_small() {
    let m = models::mlp().expect("model");
    let f32_len = convert_len(&m, None);
    let f16 = reader::read(&convert_mlp(&m, "f16")).expect("read");
    assert!(f16.ops.iter().take(2).all(|o| o.code == op::DEQUANTIZE));
    assert!(f16.tensors.iter().any(|t| t.ttype == TensorType::Float16));
    let dynamic = convert_mlp(&m, "dynamic");
    let g = reader::read(&dynamic).expect("read");
    let w = &g.tensors[g.ops[1].inputs[1] as usize];
    assert_eq!(
        (w.ttype, w.quant.as_ref().map(|q| q.scale.len())),
        (TensorType::Int8, Some(128))
    );
    assert!(
        dynamic.len() * 3 < f32_len,
        "{} vs {f32_len}",
        dynamic.len()
    );
}

fn convert_mlp(m: &Model, mode: &str) -> Vec<u8> {
    let c = TfLiteConverter::from_keras_model(m).optimizations([Optimize::Default]);
    let c = if mode == "f16" {
        c.supported_types([TensorType::Float16])
    } else {
        c
    };
    c.convert().expect("convert")
}

fn convert_len(m: &Model, _: Option<()>) -> usize {
    TfLiteConverter::from_keras_model(m)
        .convert()
        .expect("convert")
        .len()
}

#[test]
fn wrong_representative_dataset_names_the_argument() {
    let m = models::tiny().expect("model");
    let bad = models::representative(&[9, 8, 3], 2).expect("dataset");
    let e = TfLiteConverter::from_keras_model(&m)
        .optimizations([Optimize::Default])
        .representative_dataset(bad)
        .convert()
        .expect_err("wrong shape must fail");
    match &e {
        LiteError::Argument { arg, msg } => {
            assert_eq!(arg, "representative_dataset");
            assert!(msg.contains("[1, 9, 8, 3]"), "{msg}");
        }
        other => panic!("unexpected {other}"),
    }
    let e = TfLiteConverter::from_keras_model(&m)
        .optimizations([Optimize::Default])
        .representative_dataset(Vec::new())
        .convert()
        .expect_err("empty must fail");
    assert!(e.to_string().contains("representative_dataset"), "{e}");
    let e = TfLiteConverter::from_keras_model(&m)
        .optimizations([Optimize::Default])
        .inference_types(TensorType::Int8, TensorType::Float32)
        .convert()
        .expect_err("int8 io without a dataset must fail");
    assert!(e.to_string().contains("representative_dataset"), "{e}");
}

#[test]
fn a_layer_with_no_tflite_form_is_named() {
    let m = Model::sequential(vec![
        Dense::new(4).input_shape(&[3]).into(),
        LayerNormalization::new().name("ln").into(),
    ])
    .expect("model");
    let e = TfLiteConverter::from_keras_model(&m)
        .convert()
        .expect_err("must fail");
    match &e {
        LiteError::Layer { layer, class, .. } => {
            assert_eq!(
                (layer.as_str(), class.as_str()),
                ("ln", "LayerNormalization")
            );
        }
        other => panic!("unexpected {other}"),
    }
    let e = TfLiteConverter::from_keras_model(&models::tiny().expect("model"))
        .optimizations([Optimize::Default])
        .supported_types([TensorType::Int32])
        .convert()
        .expect_err("int32 target type must fail");
    assert!(e.to_string().contains("target_spec.supported_types"), "{e}");
}

#[test]
fn convert_to_file_writes_atomically() {
    let m = models::tiny().expect("model");
    let p = std::env::temp_dir().join(format!("kiln_lite_{}.tflite", std::process::id()));
    TfLiteConverter::from_keras_model(&m)
        .convert_to_file(&p)
        .expect("write");
    let bytes = std::fs::read(&p).expect("read back");
    assert_eq!(&bytes[4..8], b"TFL3");
    let mut tmp = p.as_os_str().to_owned();
    tmp.push(".tmp");
    assert!(!std::path::Path::new(&tmp).exists());
    std::fs::remove_file(&p).ok();
    let e = TfLiteConverter::from_keras_model(&m)
        .convert_to_file("/nonexistent-dir/x.tflite")
        .expect_err("bad dir");
    assert!(e.to_string().contains("/nonexistent-dir/x.tflite"), "{e}");
}
