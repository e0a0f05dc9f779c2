//! The meta backend runs kiln's layers: each layer called on meta tensors (shapes and
//! dtypes only) gives the shapes and dtypes it gives on real zeros, computes nothing
//! (`kiln_tensor::meta::materialized` stays put) and never falls back to zeros; and
//! Functional models, which infer their shapes through it, build as before.

use kiln::layers::*;
use kiln::models::Model;
use kiln_tensor::{meta, DType, Device, Tensor};

type Make = Box<dyn Fn() -> LayerRef>;
/// A layer case: its name, a factory, and its inputs' shapes and dtypes.
type Case = (&'static str, Make, Vec<(Vec<usize>, DType)>);

fn case(make: impl Fn() -> LayerRef + 'static) -> Make {
    Box::new(make)
}

fn r<L: Layer + 'static>(l: L) -> LayerRef {
    LayerRef::new(l)
}

/// Every layer family, each with the input shapes (batch 2) and dtypes it takes.
fn catalogue() -> Vec<Case> {
    let f = |s: &[usize]| vec![(s.to_vec(), DType::F32)];
    let two = |s: &[usize]| vec![(s.to_vec(), DType::F32), (s.to_vec(), DType::F32)];
    vec![
        ("Dense", case(|| r(Dense::new(4))), f(&[2, 3])),
        ("Dense/3d", case(|| r(Dense::new(4))), f(&[2, 5, 3])),
        (
            "EinsumDense",
            case(|| r(EinsumDense::new("abc,cd->abd", &[Some(5), Some(4)]))),
            f(&[2, 5, 3]),
        ),
        (
            "Activation",
            case(|| r(Activation::new("gelu"))),
            f(&[2, 3]),
        ),
        ("ReLU", case(|| r(ReLU::new())), f(&[2, 3])),
        ("LeakyReLU", case(|| r(LeakyReLU::new())), f(&[2, 3])),
        ("PReLU", case(|| r(PReLU::new())), f(&[2, 3])),
        ("ELU", case(|| r(ELU::new())), f(&[2, 3])),
        ("Softmax", case(|| r(Softmax::new())), f(&[2, 3])),
        ("Identity", case(|| r(Identity::new())), f(&[2, 3])),
        ("Conv1D", case(|| r(Conv1D::new(4, 3))), f(&[2, 9, 3])),
        ("Conv2D", case(|| r(Conv2D::new(4, 3))), f(&[2, 9, 8, 3])),
        ("Conv3D", case(|| r(Conv3D::new(2, 3))), f(&[2, 5, 5, 5, 2])),
        (
            "Conv1DTranspose",
            case(|| r(Conv1DTranspose::new(4, 3))),
            f(&[2, 9, 3]),
        ),
        (
            "Conv2DTranspose",
            case(|| r(Conv2DTranspose::new(4, 3))),
            f(&[2, 6, 5, 3]),
        ),
        (
            "DepthwiseConv1D",
            case(|| r(DepthwiseConv1D::new(3))),
            f(&[2, 9, 3]),
        ),
        (
            "DepthwiseConv2D",
            case(|| r(DepthwiseConv2D::new(3))),
            f(&[2, 7, 7, 3]),
        ),
        (
            "SeparableConv1D",
            case(|| r(SeparableConv1D::new(4, 3))),
            f(&[2, 9, 3]),
        ),
        (
            "SeparableConv2D",
            case(|| r(SeparableConv2D::new(4, 3))),
            f(&[2, 7, 7, 3]),
        ),
        (
            "MaxPooling1D",
            case(|| r(MaxPooling1D::new(2))),
            f(&[2, 8, 3]),
        ),
        (
            "MaxPooling2D",
            case(|| r(MaxPooling2D::new(2))),
            f(&[2, 8, 8, 3]),
        ),
        (
            "MaxPooling3D",
            case(|| r(MaxPooling3D::new(2))),
            f(&[2, 4, 4, 4, 2]),
        ),
        (
            "AveragePooling1D",
            case(|| r(AveragePooling1D::new(2))),
            f(&[2, 8, 3]),
        ),
        (
            "AveragePooling2D",
            case(|| r(AveragePooling2D::new(2))),
            f(&[2, 8, 8, 3]),
        ),
        (
            "AveragePooling3D",
            case(|| r(AveragePooling3D::new(2))),
            f(&[2, 4, 4, 4, 2]),
        ),
        (
            "GlobalAveragePooling1D",
            case(|| r(GlobalAveragePooling1D::new())),
            f(&[2, 8, 3]),
        ),
        (
            "GlobalAveragePooling2D",
            case(|| r(GlobalAveragePooling2D::new())),
            f(&[2, 4, 4, 3]),
        ),
        (
            "GlobalAveragePooling3D",
            case(|| r(GlobalAveragePooling3D::new())),
            f(&[2, 3, 3, 3, 2]),
        ),
        (
            "GlobalMaxPooling1D",
            case(|| r(GlobalMaxPooling1D::new())),
            f(&[2, 8, 3]),
        ),
        (
            "GlobalMaxPooling2D",
            case(|| r(GlobalMaxPooling2D::new())),
            f(&[2, 4, 4, 3]),
        ),
        (
            "GlobalMaxPooling3D",
            case(|| r(GlobalMaxPooling3D::new())),
            f(&[2, 3, 3, 3, 2]),
        ),
        (
            "BatchNormalization",
            case(|| r(BatchNormalization::new())),
            f(&[2, 4, 3]),
        ),
        (
            "LayerNormalization",
            case(|| r(LayerNormalization::new())),
            f(&[2, 4, 3]),
        ),
        (
            "GroupNormalization",
            case(|| r(GroupNormalization::new(2))),
            f(&[2, 4, 4]),
        ),
        (
            "UnitNormalization",
            case(|| r(UnitNormalization::new())),
            f(&[2, 4, 3]),
        ),
        ("Dropout", case(|| r(Dropout::new(0.5))), f(&[2, 4, 3])),
        (
            "GaussianNoise",
            case(|| r(GaussianNoise::new(0.1))),
            f(&[2, 4]),
        ),
        (
            "GaussianDropout",
            case(|| r(GaussianDropout::new(0.1))),
            f(&[2, 4]),
        ),
        (
            "SpatialDropout1D",
            case(|| r(SpatialDropout1D::new(0.5))),
            f(&[2, 4, 3]),
        ),
        (
            "SpatialDropout2D",
            case(|| r(SpatialDropout2D::new(0.5))),
            f(&[2, 4, 4, 3]),
        ),
        (
            "SpatialDropout3D",
            case(|| r(SpatialDropout3D::new(0.5))),
            f(&[2, 2, 2, 2, 3]),
        ),
        (
            "ActivityRegularization",
            case(|| r(ActivityRegularization::new(0.1, 0.1))),
            f(&[2, 4]),
        ),
        ("Flatten", case(|| r(Flatten::new())), f(&[2, 4, 3])),
        ("Reshape", case(|| r(Reshape::new(&[3, -1]))), f(&[2, 4, 3])),
        ("Permute", case(|| r(Permute::new(&[2, 1]))), f(&[2, 4, 3])),
        ("RepeatVector", case(|| r(RepeatVector::new(3))), f(&[2, 4])),
        (
            "UpSampling1D",
            case(|| r(UpSampling1D::new(2))),
            f(&[2, 4, 3]),
        ),
        (
            "UpSampling2D",
            case(|| r(UpSampling2D::new(2))),
            f(&[2, 4, 4, 3]),
        ),
        (
            "UpSampling3D",
            case(|| r(UpSampling3D::new(2))),
            f(&[2, 2, 2, 2, 3]),
        ),
        (
            "ZeroPadding1D",
            case(|| r(ZeroPadding1D::new(1))),
            f(&[2, 4, 3]),
        ),
        (
            "ZeroPadding2D",
            case(|| r(ZeroPadding2D::new(1))),
            f(&[2, 4, 4, 3]),
        ),
        (
            "ZeroPadding3D",
            case(|| r(ZeroPadding3D::new(1))),
            f(&[2, 2, 2, 2, 3]),
        ),
        ("Cropping1D", case(|| r(Cropping1D::new(1))), f(&[2, 4, 3])),
        (
            "Cropping2D",
            case(|| r(Cropping2D::new(1))),
            f(&[2, 4, 4, 3]),
        ),
        (
            "Cropping3D",
            case(|| r(Cropping3D::new(1))),
            f(&[2, 4, 4, 4, 3]),
        ),
        ("Add", case(|| r(Add::new())), two(&[2, 3])),
        ("Subtract", case(|| r(Subtract::new())), two(&[2, 3])),
        ("Multiply", case(|| r(Multiply::new())), two(&[2, 3])),
        ("Average", case(|| r(Average::new())), two(&[2, 3])),
        ("Maximum", case(|| r(Maximum::new())), two(&[2, 3])),
        ("Minimum", case(|| r(Minimum::new())), two(&[2, 3])),
        ("Concatenate", case(|| r(Concatenate::new())), two(&[2, 3])),
        ("Attention", case(|| r(Attention::new())), two(&[2, 4, 3])),
        (
            "AdditiveAttention",
            case(|| r(AdditiveAttention::new())),
            two(&[2, 4, 3]),
        ),
        (
            "MultiHeadAttention",
            case(|| r(MultiHeadAttention::new(2, 4))),
            two(&[2, 5, 6]),
        ),
        (
            "Embedding",
            case(|| r(Embedding::new(10, 4))),
            vec![(vec![2, 5], DType::I64)],
        ),
        ("Masking", case(|| r(Masking::new(0.0))), f(&[2, 5, 3])),
        ("SimpleRNN", case(|| r(SimpleRNN::new(4))), f(&[2, 5, 3])),
        ("LSTM", case(|| r(LSTM::new(4))), f(&[2, 5, 3])),
        ("GRU", case(|| r(GRU::new(4))), f(&[2, 5, 3])),
        (
            "Bidirectional(LSTM)",
            case(|| r(Bidirectional::new(LSTM::new(4)).unwrap())),
            f(&[2, 5, 3]),
        ),
        (
            "TimeDistributed(Dense)",
            case(|| r(TimeDistributed::new(Dense::new(4)))),
            f(&[2, 5, 3]),
        ),
        (
            "Rescaling",
            case(|| r(Rescaling::new(0.5))),
            f(&[2, 4, 4, 3]),
        ),
        (
            "Resizing",
            case(|| r(Resizing::new(6, 5))),
            f(&[2, 4, 4, 3]),
        ),
        (
            "CenterCrop",
            case(|| r(CenterCrop::new(2, 3))),
            f(&[2, 4, 4, 3]),
        ),
        (
            "CategoryEncoding",
            case(|| r(CategoryEncoding::new(6))),
            vec![(vec![2, 3], DType::I64)],
        ),
        (
            "RandomFlip",
            case(|| r(RandomFlip::new("horizontal_and_vertical").unwrap())),
            f(&[2, 4, 4, 3]),
        ),
        (
            "RandomRotation",
            case(|| r(RandomRotation::new(0.2).unwrap())),
            f(&[2, 4, 4, 3]),
        ),
        (
            "RandomZoom",
            case(|| r(RandomZoom::new(0.2).unwrap())),
            f(&[2, 4, 4, 3]),
        ),
        (
            "RandomTranslation",
            case(|| r(RandomTranslation::new(0.2, 0.2).unwrap())),
            f(&[2, 4, 4, 3]),
        ),
        (
            "RandomContrast",
            case(|| r(RandomContrast::new(0.2).unwrap())),
            f(&[2, 4, 4, 3]),
        ),
        (
            "RandomBrightness",
            case(|| r(RandomBrightness::new(0.2).unwrap())),
            f(&[2, 4, 4, 3]),
        ),
        (
            "RandomCrop",
            case(|| r(RandomCrop::new(3, 3).unwrap())),
            f(&[2, 4, 4, 3]),
        ),
    ]
}

/// Layers that compute on the host from their input's values (TF's exact resampling and
/// bincount, written in Rust over `to_vec`): they declare their output shapes
/// (`compute_output_shape`), so a Functional model never runs them symbolically, and on a
/// meta tensor they fail with the meta error rather than compute on made-up values.
const HOST_LAYERS: &[&str] = &[
    "Resizing",
    "CategoryEncoding",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
];

#[test]
fn every_layer_runs_on_the_meta_device_as_on_zeros_and_computes_nothing() {
    let mut problems = Vec::new();
    for (name, make, inputs) in catalogue() {
        for training in [false, true] {
            // A batch-statistics update stores values: training on meta data is an Err
            // (a Functional model infers shapes with training=false).
            if name == "BatchNormalization" && training {
                let metas: Vec<Tensor> = inputs.iter().map(|(s, d)| Tensor::meta(s, *d)).collect();
                let e = make()
                    .call_multi(&metas, Some(true))
                    .err()
                    .map(|e| e.to_string());
                assert!(e.as_deref().is_some_and(|e| e.contains("meta")), "{e:?}");
                continue;
            }
            if HOST_LAYERS.contains(&name) {
                let metas: Vec<Tensor> = inputs.iter().map(|(s, d)| Tensor::meta(s, *d)).collect();
                let real: Vec<Tensor> = inputs.iter().map(|(s, d)| Tensor::zeros(s, *d)).collect();
                let layer = make();
                let want = layer.call_multi(&real, Some(training)).unwrap();
                // At inference the random layers are the identity and run symbolically.
                match layer.call_multi(&metas, Some(training)) {
                    Ok(got) if got[0].is_meta() && got[0].shape() == want[0].shape() => {}
                    Err(e) if e.to_string().contains("meta tensor") => {}
                    other => problems.push(format!(
                        "{name} (training={training}): meta call gave {:?}",
                        other.map(|g| g[0].shape().to_vec())
                    )),
                }
                // Symbolically, the declared shapes are used (no run at all).
                let shapes: Vec<Shape> = inputs
                    .iter()
                    .map(|(s, _)| {
                        std::iter::once(None)
                            .chain(s[1..].iter().map(|&d| Some(d)))
                            .collect()
                    })
                    .collect();
                let declared = layer.lock().compute_output_shape(&shapes);
                let want_shape: Shape = std::iter::once(None)
                    .chain(want[0].shape()[1..].iter().map(|&d| Some(d)))
                    .collect();
                match declared {
                    Some(Ok(d)) if d[0] == want_shape => {}
                    other => problems.push(format!(
                        "{name}: compute_output_shape {other:?}, expected {want_shape:?}"
                    )),
                }
                continue;
            }
            let real: Vec<Tensor> = inputs.iter().map(|(s, d)| Tensor::zeros(s, *d)).collect();
            let metas: Vec<Tensor> = inputs.iter().map(|(s, d)| Tensor::meta(s, *d)).collect();
            let want = match make().call_multi(&real, Some(training)) {
                Ok(w) => w,
                Err(e) => panic!("{name} (training={training}) on zeros: {e}"),
            };
            // A fresh layer, so that building it (real weights) happens on the meta call.
            let before = meta::materialized();
            let got = match make().call_multi(&metas, Some(training)) {
                Ok(g) => g,
                Err(e) => {
                    problems.push(format!("{name} (training={training}): {e}"));
                    continue;
                }
            };
            let spent = meta::materialized() - before;
            let shapes = |v: &[Tensor]| -> Vec<(Vec<usize>, DType)> {
                v.iter().map(|t| (t.shape().to_vec(), t.dtype())).collect()
            };
            if shapes(&got) != shapes(&want) {
                problems.push(format!(
                    "{name} (training={training}): meta {:?}, zeros {:?}",
                    shapes(&got),
                    shapes(&want)
                ));
            }
            if got.iter().any(|t| t.device() != Device::Meta) {
                problems.push(format!(
                    "{name} (training={training}): an output is not meta"
                ));
            }
            if spent != 0 {
                problems.push(format!(
                    "{name} (training={training}): kernels read {spent} meta elements as zeros"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn functional_models_infer_their_shapes_on_the_meta_device() {
    let before = (meta::materialized(), meta_shape_fallbacks());
    let inp = Input::new(&[None, Some(16)]).build();
    let x = Conv1D::new(8, 3).apply(&inp).unwrap();
    let x = MaxPooling1D::new(2).apply(&x).unwrap();
    let x = LSTM::new(6).return_sequences(true).apply(&x).unwrap();
    let a = MultiHeadAttention::new(2, 3)
        .apply(&[x.clone(), x.clone()][..])
        .unwrap();
    let x = LayerNormalization::new()
        .apply(&add(&[x, a]).unwrap())
        .unwrap();
    let x = GlobalAveragePooling1D::new().apply(&x).unwrap();
    let out = Dense::new(3).apply(&x).unwrap();
    assert_eq!(out.shape(), &[None, Some(3)]);
    let mut model = Model::new(&[inp], &[out]).unwrap();
    assert_eq!((meta::materialized(), meta_shape_fallbacks()), before);
    // The model itself still computes on real data.
    let y = model
        .predict(
            Tensor::ones(&[2, 10, 16], DType::F32),
            kiln::models::PredictArgs::new().verbose(0),
        )
        .unwrap();
    assert_eq!((y.shape(), y.device()), (&[2usize, 3][..], Device::Cpu));
}

#[test]
fn a_meta_value_read_is_an_error_naming_the_shape() {
    let t = Tensor::meta(&[2, 3], DType::F32);
    let e = t.to_vec::<f32>().unwrap_err().to_string();
    assert!(e.contains("meta tensor") && e.contains("(2, 3)"), "{e}");
    let v = kiln_tensor::Variable::new(Tensor::zeros(&[2, 3], DType::F32), "w", true);
    let e = v.assign(&t).unwrap_err().to_string();
    assert!(e.contains("meta") && e.contains("'w'"), "{e}");
    // Shape checks are the CPU's.
    let e = t
        .add(&Tensor::meta(&[4], DType::F32))
        .unwrap_err()
        .to_string();
    assert!(e.contains("(2, 3)") && e.contains("(4,)"), "{e}");
}

/// keras.applications models build through the meta device end to end: no layer falls
/// back to zeros and no kernel reads a meta value (their symbolic build computes nothing).
#[test]
fn applications_build_symbolically_without_computing() {
    use kiln::applications::{mobilenet_v2, resnet50, vgg16, AppArgs};
    let before = (meta::materialized(), meta_shape_fallbacks());
    let t = std::time::Instant::now();
    let r = resnet50(AppArgs::new()).unwrap();
    let m = mobilenet_v2(AppArgs::new(), 1.0).unwrap();
    let v = vgg16(AppArgs::new().include_top(false)).unwrap();
    eprintln!("resnet50 + mobilenet_v2 + vgg16 built in {:?}", t.elapsed());
    assert_eq!((meta::materialized(), meta_shape_fallbacks()), before);
    assert_eq!(r.count_params(), 25_636_712);
    assert_eq!(m.count_params(), 3_538_984);
    assert_eq!(v.count_params(), 14_714_688);
}
