//! Export -> import round trips (kiln's graph runner predicts what the kiln model
//! predicts), and bad files give errors naming the node.

mod models;

use kiln_onnx::proto::{self, ModelProto, NodeProto};
use prost::Message;

fn max_diff(a: &kiln::Tensor, b: &kiln::Tensor) -> f32 {
    let a = a.to_vec::<f32>().unwrap();
    let b = b.to_vec::<f32>().unwrap();
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn exported_models_reimport_and_predict_the_same() {
    for (name, model, inputs) in models::all().unwrap() {
        let want = model.call_multi(&inputs, false).unwrap();
        for opset in [17, 18, 21] {
            let bytes = kiln_onnx::export_bytes(&model, opset).unwrap();
            let g = kiln_onnx::load_bytes(&bytes).unwrap();
            assert_eq!(g.opset(), opset);
            let got = g.run(&inputs).unwrap();
            let d = max_diff(&got[0], &want[0]);
            assert!(d <= 1e-5, "{name} opset {opset}: max |diff| {d}");
            assert_eq!(got[0].shape(), want[0].shape(), "{name}");
        }
    }
}

#[test]
fn names_trace_back_to_layers() {
    let (_, model, _) = models::all().unwrap().remove(0);
    let bytes = kiln_onnx::export_bytes(&model, 17).unwrap();
    let m = ModelProto::decode(&bytes[..]).unwrap();
    assert_eq!(m.ir_version, Some(8));
    let g = m.graph.unwrap();
    let first = model.layers()[0].name();
    assert!(g
        .initializer
        .iter()
        .any(|t| t.name.as_deref() == Some(&format!("{first}/kernel"))));
    assert!(g
        .node
        .iter()
        .any(|n| n.name.as_deref() == Some(&format!("{first}/MatMul"))));
    // dynamic batch
    let dim = &g.input[0].r#type.as_ref().unwrap();
    let proto::type_proto::Value::TensorType(t) = dim.value.as_ref().unwrap() else {
        panic!()
    };
    assert!(matches!(
        t.shape.as_ref().unwrap().dim[0].value,
        Some(proto::tensor_shape_proto::dimension::Value::DimParam(_))
    ));
}

#[test]
fn unsupported_layer_is_an_error_naming_it() {
    use kiln::layers::{Dense, SimpleRNN, UpSampling2D};
    let m = kiln::models::Model::sequential(vec![
        UpSampling2D::new(2)
            .name("my_up")
            .input_shape(&[4, 4, 2])
            .into(),
        Dense::new(1).into(),
    ])
    .unwrap();
    let e = kiln_onnx::export_bytes(&m, 17).unwrap_err().to_string();
    assert!(e.contains("my_up") && e.contains("UpSampling2D"), "{e}");
    assert!(kiln_onnx::export_bytes(&m, 16).is_err());
    // An unsupported option of a supported layer names the option.
    let m = kiln::models::Model::sequential(vec![
        SimpleRNN::new(3)
            .activation("softplus")
            .unwrap()
            .name("my_rnn")
            .input_shape(&[4, 2])
            .into(),
        Dense::new(1).into(),
    ])
    .unwrap();
    let e = kiln_onnx::export_bytes(&m, 17).unwrap_err().to_string();
    assert!(e.contains("my_rnn") && e.contains("softplus"), "{e}");
}

fn mlp_bytes() -> Vec<u8> {
    let (_, model, _) = models::all().unwrap().remove(0);
    kiln_onnx::export_bytes(&model, 17).unwrap()
}

#[test]
fn truncated_and_bit_flipped_files_are_errors_not_panics() {
    let bytes = mlp_bytes();
    for cut in [1, 7, bytes.len() / 3, bytes.len() / 2, bytes.len() - 3] {
        assert!(
            kiln_onnx::load_bytes(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let x = models::ramp(&[3, 8], 0).unwrap();
    let (ok, err) = mutate(&bytes, 3000, 0x9e37_79b9_7f4a_7c15, &x);
    eprintln!("mutation loop, MLP: {ok} loaded, {err} errors, 0 panics");
    assert!(err > 0);
}

/// Mutation loop (a small fuzz): flip 1-4 bits of `bytes` `rounds` times; every outcome
/// must be Ok or Err, never a panic, and a graph that loads must run or fail cleanly.
/// Returns (loaded, refused).
fn mutate(bytes: &[u8], rounds: usize, seed: u64, x: &kiln::Tensor) -> (usize, usize) {
    let mut state = seed;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut ok, mut errs) = (0, 0);
    for _ in 0..rounds {
        let mut b = bytes.to_vec();
        for _ in 0..(1 + next() % 4) {
            let i = (next() as usize) % b.len();
            b[i] ^= 1 << (next() % 8);
        }
        match kiln_onnx::load_bytes(&b) {
            Ok(g) => {
                ok += 1;
                let _ = g.run(std::slice::from_ref(x));
            }
            Err(_) => errs += 1,
        }
    }
    (ok, errs)
}

/// The same over torch.onnx's Conv / BatchNormalization / Relu / Add block, whose
/// convolutions the loader prepares and folds (weights, BN statistics, attributes mutated).
#[test]
fn bit_flipped_conv_graph_is_an_error_or_runs_never_panics() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/torch/torch_bn_block.onnx");
    let bytes = std::fs::read(p).unwrap();
    for cut in [5, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            kiln_onnx::load_bytes(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let x = models::ramp(&[1, 8, 12, 12], 0).unwrap();
    let (ok, err) = mutate(&bytes, 400, 0x2545_f491_4f6c_dd1d, &x);
    eprintln!("mutation loop, conv block: {ok} loaded, {err} errors, 0 panics");
    assert!(ok > 0 && err > 0);
}

fn graph_with(nodes: Vec<NodeProto>, init: Vec<proto::TensorProto>) -> Vec<u8> {
    let bytes = mlp_bytes();
    let mut m = ModelProto::decode(&bytes[..]).unwrap();
    let g = m.graph.as_mut().unwrap();
    g.node = nodes;
    g.initializer = init;
    g.output[0].name = Some("y".into());
    m.encode_to_vec()
}

fn node(op: &str, name: &str, inputs: &[&str], out: &str) -> NodeProto {
    NodeProto {
        op_type: Some(op.into()),
        name: Some(name.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![out.into()],
        ..Default::default()
    }
}

#[test]
fn unsupported_op_cycle_and_bad_initializer_name_the_node() {
    let input = {
        let m = ModelProto::decode(&mlp_bytes()[..]).unwrap();
        m.graph.unwrap().input[0].name.clone().unwrap()
    };
    let e = kiln_onnx::load_bytes(&graph_with(
        vec![node("NonMaxSuppression", "nms_1", &[&input], "y")],
        vec![],
    ))
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("nms_1") && e.contains("NonMaxSuppression"),
        "{e}"
    );

    let cyc = vec![
        node("Add", "a_node", &[&input, "b"], "a"),
        node("Relu", "b_node", &["a"], "b"),
        node("Identity", "out", &["a"], "y"),
    ];
    let e = kiln_onnx::load_bytes(&graph_with(cyc, vec![]))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("cycle") && e.contains("a_node"), "{e}");

    let bad = proto::TensorProto {
        name: Some("w_bad".into()),
        dims: vec![8, 4],
        data_type: Some(proto::tensor_proto::DataType::Float as i32),
        raw_data: Some(vec![0u8; 8 * 3 * 4]),
        ..Default::default()
    };
    let e = kiln_onnx::load_bytes(&graph_with(
        vec![node("MatMul", "mm", &[&input, "w_bad"], "y")],
        vec![bad],
    ))
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("w_bad") && e.contains("96 bytes"), "{e}");
}

#[test]
fn conv_with_a_bad_bias_or_group_names_the_node() {
    // One model's bytes: each export names its input afresh (input_layer_N).
    let base = ModelProto::decode(&mlp_bytes()[..]).unwrap();
    let input = base.graph.as_ref().unwrap().input[0].name.clone().unwrap();
    let with = |nodes: Vec<NodeProto>, init: Vec<proto::TensorProto>| {
        let mut m = base.clone();
        let g = m.graph.as_mut().unwrap();
        g.node = nodes;
        g.initializer = init;
        g.output[0].name = Some("y".into());
        m.encode_to_vec()
    };
    let f32s = |name: &str, dims: Vec<i64>| {
        let n: i64 = dims.iter().product();
        proto::TensorProto {
            name: Some(name.into()),
            dims,
            data_type: Some(proto::tensor_proto::DataType::Float as i32),
            float_data: vec![0.5; n as usize],
            ..Default::default()
        }
    };
    let e = kiln_onnx::load_bytes(&with(
        vec![node("Conv", "conv_b", &[&input, "w", "b"], "y")],
        vec![f32s("w", vec![4, 2, 3, 3]), f32s("b", vec![3])],
    ))
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("conv_b") && e.contains("bias B has shape [3]"),
        "{e}"
    );
    let mut conv = node("Conv", "conv_g", &[&input, "w"], "y");
    conv.attribute.push(proto::AttributeProto {
        name: Some("group".into()),
        i: Some(3),
        r#type: Some(proto::attribute_proto::AttributeType::Int as i32),
        ..Default::default()
    });
    let e = kiln_onnx::load_bytes(&with(vec![conv], vec![f32s("w", vec![4, 2, 3, 3])]))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("conv_g") && e.contains("group 3"), "{e}");
}
