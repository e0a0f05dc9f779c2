//! Pruning beyond the golden fits: `.keras` save/load of a pruned model, functional
//! models, the callback requirement, `PruningSummaries`, and the bad inputs TFMOT
//! refuses (each an `Err` naming the argument or layer).

use kiln::layers::{
    Conv2D, Dense, DepthwiseConv2D, Flatten, Input, LayerApply, LayerRef, PReLU, LSTM,
};
use kiln::models::{CompileArgs, FitArgs, Model, PredictArgs};
use kiln_lite::sparsity::{
    collect_prunable_layers, prune_low_magnitude, strip_pruning, ConstantSparsity, PolynomialDecay,
    PruneLowMagnitude, PruningParams, PruningSummaries, UpdatePruningStep,
    PRUNE_CALLBACK_ERROR_MSG,
};
use kiln_tensor::Tensor;

fn data() -> (Tensor, Tensor) {
    let x: Vec<f32> = (0..64)
        .map(|i| ((i * 37 % 17) as f32 / 8.0) - 1.0)
        .collect();
    let y: Vec<f32> = (0..16).map(|i| (i % 3) as f32 - 1.0).collect();
    (
        Tensor::from_vec(x, &[16, 4]).expect("x"),
        Tensor::from_vec(y, &[16, 1]).expect("y"),
    )
}

fn mlp() -> Model {
    Model::sequential(vec![
        Dense::new(8).activation("relu").input_shape(&[4]).into(),
        Dense::new(1).into(),
    ])
    .expect("model")
}

fn params() -> PruningParams {
    PruningParams::new(PolynomialDecay::with_options(0.0, 0.5, 0, 6, 3.0, 2).expect("schedule"))
}

fn zeros_of(l: &LayerRef) -> (usize, usize) {
    l.downcast(|w: &mut PruneLowMagnitude| {
        let k = w.pruning_vars()[0]
            .0
            .value()
            .to_vec::<f32>()
            .expect("kernel");
        (k.iter().filter(|&&v| v == 0.0).count(), k.len())
    })
    .expect("wrapper")
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("kiln_lite_{}_{name}", std::process::id()))
}

#[test]
fn pruned_model_saves_and_loads_in_keras_format() {
    let (x, y) = data();
    let mut pruned = prune_low_magnitude(mlp(), params())
        .expect("prune")
        .into_model()
        .expect("m");
    pruned
        .compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .expect("compile");
    let fit = || FitArgs::new().batch_size(4).verbose(0).shuffle(false);
    pruned
        .fit(&x, &y, fit().epochs(2).callback(UpdatePruningStep::new()))
        .expect("fit");
    let path = tmp("pruned.keras");
    pruned.save(&path).expect("save");
    let mut loaded = kiln::saving::load_model(&path).expect("load");
    std::fs::remove_file(&path).ok();
    let (a, b) = (
        collect_prunable_layers(&pruned),
        collect_prunable_layers(&loaded),
    );
    assert_eq!(b.len(), 2);
    for (p, l) in a.iter().zip(&b) {
        assert_eq!(p.name(), l.name());
        let get = |r: &LayerRef| {
            r.downcast(|w: &mut PruneLowMagnitude| {
                let (k, m, t) = w.pruning_vars().remove(0);
                (
                    w.pruning_step(),
                    m.value().to_vec::<f32>().expect("m"),
                    k.value().to_vec::<f32>().expect("k"),
                    t.value().to_vec::<f32>().expect("t"),
                    w.params().pruning_schedule.get_config(),
                )
            })
            .expect("wrapper")
        };
        assert_eq!(get(p), get(l));
    }
    assert_eq!(get_step(&b[0]), Some(8)); // 2 epochs x 4 batches
    let pa = pruned
        .predict(&x, PredictArgs::new().verbose(0))
        .expect("p")
        .to_vec::<f32>()
        .expect("v");
    let pb = loaded
        .predict(&x, PredictArgs::new().verbose(0))
        .expect("p")
        .to_vec::<f32>()
        .expect("v");
    assert_eq!(pa, pb);
    // A loaded model resumes its step instead of restarting at 0.
    loaded
        .fit(&x, &y, fit().epochs(1).callback(UpdatePruningStep::new()))
        .expect("fit");
    assert_eq!(get_step(&b[0]), Some(12));
    let config = loaded.as_layer().get_config().to_string();
    assert!(
        config.contains("\"block_pooling_type\":\"AVG\"") && config.contains("PolynomialDecay")
    );
}

fn get_step(l: &LayerRef) -> Option<i64> {
    l.downcast(|w: &mut PruneLowMagnitude| w.pruning_step())
        .flatten()
}

#[test]
fn functional_model_prunes_strips_and_reaches_the_target() {
    let inp = Input::shape(&[6, 6, 1]);
    let h = Conv2D::new(4, 3)
        .activation("relu")
        .apply(&inp)
        .expect("conv");
    let h = DepthwiseConv2D::new(3).apply(&h).expect("dw");
    let h = Flatten::new().apply(&h).expect("flatten");
    let out = Dense::new(2).apply(&h).expect("dense");
    let model = Model::new(&[inp], &[out]).expect("model");
    let sched = ConstantSparsity::with_options(0.75, 0, -1, 1).expect("schedule");
    let mut pruned = prune_low_magnitude(&model, PruningParams::new(sched))
        .expect("prune")
        .into_model()
        .expect("model");
    let classes: Vec<&str> = pruned.layers().iter().map(|l| l.class_name()).collect();
    assert_eq!(
        classes,
        [
            "InputLayer",
            "PruneLowMagnitude",
            "PruneLowMagnitude",
            "PruneLowMagnitude",
            "PruneLowMagnitude"
        ]
    );
    pruned
        .compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .expect("compile");
    let x = Tensor::from_vec(
        (0..144).map(|i| (i % 7) as f32 / 7.0).collect(),
        &[4, 6, 6, 1],
    )
    .expect("x");
    let y = Tensor::from_vec(vec![0.5f32; 8], &[4, 2]).expect("y");
    pruned
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(1)
                .batch_size(2)
                .verbose(0)
                .callback(UpdatePruningStep::new()),
        )
        .expect("fit");
    let layers = collect_prunable_layers(&pruned);
    // Conv2D kernel 3*3*1*4 = 36 -> 27 zeros; DepthwiseConv2D is wrapped but not pruned
    // (TFMOT 0.8.1's registry), Flatten has nothing to prune; Dense 16*2 = 32 -> 24.
    assert_eq!(zeros_of(&layers[0]), (27, 36));
    assert!(layers[1]
        .downcast(|w: &mut PruneLowMagnitude| w.pruning_vars().is_empty())
        .expect("w"));
    assert_eq!(zeros_of(&layers[3]), (24, 32));
    let mut plain = strip_pruning(&pruned).expect("strip");
    let classes: Vec<&str> = plain.layers().iter().map(|l| l.class_name()).collect();
    assert_eq!(
        classes,
        [
            "InputLayer",
            "Conv2D",
            "DepthwiseConv2D",
            "Flatten",
            "Dense"
        ]
    );
    let a = pruned
        .predict(&x, PredictArgs::new().verbose(0))
        .expect("p")
        .to_vec::<f32>()
        .expect("v");
    let b = plain
        .predict(&x, PredictArgs::new().verbose(0))
        .expect("p")
        .to_vec::<f32>()
        .expect("v");
    assert_eq!(a, b);
}

#[test]
fn training_without_update_pruning_step_is_tfmot_error() {
    let (x, y) = data();
    let mut pruned = prune_low_magnitude(mlp(), params())
        .expect("prune")
        .into_model()
        .expect("m");
    pruned
        .compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .expect("compile");
    let err = pruned
        .fit(&x, &y, FitArgs::new().epochs(1).verbose(0))
        .unwrap_err()
        .to_string();
    assert!(err.contains(PRUNE_CALLBACK_ERROR_MSG), "{err}");
    assert!(err.contains("prune_low_magnitude_dense"), "{err}");
}

#[test]
fn pruning_summaries_write_sparsity_scalars() {
    let (x, y) = data();
    let mut pruned = prune_low_magnitude(mlp(), params())
        .expect("prune")
        .into_model()
        .expect("m");
    pruned
        .compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .expect("compile");
    let dir = tmp("summaries");
    pruned
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(2)
                .batch_size(4)
                .verbose(0)
                .callback(UpdatePruningStep::new())
                .callback(PruningSummaries::new(&dir).expect("summaries")),
        )
        .expect("fit");
    let files: Vec<_> = std::fs::read_dir(dir.join("metrics"))
        .expect("metrics dir")
        .collect();
    assert_eq!(files.len(), 1);
    let path = files[0].as_ref().expect("entry").path();
    let bytes = std::fs::read(path).expect("events");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("mask/sparsity") && text.contains("threshold/threshold"),
        "{text}"
    );
    assert!(dir.join("train").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_schedules_are_errors_naming_the_argument() {
    let e = PolynomialDecay::new(0.0, 0.5, 100, 10)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("PolynomialDecay") && e.contains("begin_step should be <= end_step"),
        "{e}"
    );
    let e = PolynomialDecay::new(0.0, 1.0, 0, 10)
        .unwrap_err()
        .to_string();
    assert!(e.contains("final_sparsity must be in range [0,1)"), "{e}");
    let e = PolynomialDecay::new(-0.1, 0.5, 0, 10)
        .unwrap_err()
        .to_string();
    assert!(e.contains("initial_sparsity must be in range [0,1)"), "{e}");
    let e = PolynomialDecay::new(0.0, 0.5, 0, -1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("end_step cannot be -1."), "{e}");
    let e = PolynomialDecay::with_options(0.0, 0.5, 0, 10, 3.0, 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("frequency should be > 0"), "{e}");
    let e = ConstantSparsity::new(0.5, -3).unwrap_err().to_string();
    assert!(
        e.contains("ConstantSparsity") && e.contains("begin_step should be >= 0"),
        "{e}"
    );
    let e = ConstantSparsity::with_options(0.5, 5, 2, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("begin_step should be <= end_step"), "{e}");
    let e = PruningParams::default()
        .block_pooling_type("SUM")
        .unwrap_err()
        .to_string();
    assert!(e.contains("Unsupported pooling type 'SUM'"), "{e}");
}

#[test]
fn unprunable_layers_and_bad_blocks_are_errors_naming_the_layer() {
    let lstm = LayerRef::new(LSTM::new(4).name("seq_lstm"));
    let e = prune_low_magnitude(lstm, PruningParams::default())
        .err()
        .expect("err")
        .to_string();
    assert!(
        e.contains("'seq_lstm'") && e.contains("LSTM") && e.contains("no pruned form"),
        "{e}"
    );
    // In a model: PReLU has weights but no pruned form in TFMOT's registry.
    let m = Model::sequential(vec![
        Dense::new(4).input_shape(&[3]).into(),
        PReLU::new().name("act_prelu").into(),
    ])
    .expect("model");
    let e = prune_low_magnitude(&m, PruningParams::default())
        .err()
        .expect("err")
        .to_string();
    assert!(e.contains("'act_prelu'") && e.contains("PReLU"), "{e}");
    // Block sparsity needs 2-D weights: a Conv2D kernel is 4-D.
    let conv = LayerRef::new(Conv2D::new(2, 3).name("c_block"));
    conv.build(&[vec![None, Some(5), Some(5), Some(1)]])
        .expect("build");
    let e = prune_low_magnitude(conv, PruningParams::default().block_size([2, 2]))
        .err()
        .expect("err")
        .to_string();
    assert!(
        e.contains("'c_block'") && e.contains("Block Sparsity can only be used"),
        "{e}"
    );
    // Unbuilt: refused when the wrapper builds.
    let conv = LayerRef::new(Conv2D::new(2, 3).name("c_lazy"));
    let w = prune_low_magnitude(conv, PruningParams::default().block_size([1, 2]))
        .expect("wrap")
        .into_layer()
        .expect("layer");
    let e = w
        .build(&[vec![None, Some(5), Some(5), Some(1)]])
        .unwrap_err()
        .to_string();
    assert!(e.contains("'c_lazy'") && e.contains("2-dimensional"), "{e}");
    let e = prune_low_magnitude(
        LayerRef::new(Dense::new(2)),
        PruningParams::default().block_size([0, 2]),
    )
    .err()
    .expect("err")
    .to_string();
    assert!(e.contains("block_size"), "{e}");
}

#[test]
fn subclassed_models_are_refused() {
    #[derive(kiln::layers::Layer)]
    struct Sub {
        base: kiln::layers::LayerBase,
        d: LayerRef,
    }
    impl kiln::layers::Layer for Sub {
        fn call(
            &mut self,
            x: &[Tensor],
            _c: &kiln::layers::CallContext,
        ) -> kiln::Result<Vec<Tensor>> {
            Ok(vec![self.d.call(&x[0])?])
        }
    }
    let m = Model::from_layer(Sub {
        base: kiln::layers::LayerBase::new("sub"),
        d: Dense::new(1).into(),
    });
    let e = prune_low_magnitude(&m, PruningParams::default())
        .err()
        .expect("err")
        .to_string();
    assert!(
        e.contains("Subclassed models are not supported currently."),
        "{e}"
    );
}

#[test]
fn unbuilt_sequential_starts_its_step_at_zero() {
    let (x, y) = data();
    let model = Model::sequential(vec![
        Dense::new(8).activation("relu").into(),
        Dense::new(1).into(),
    ])
    .expect("model");
    let mut pruned = prune_low_magnitude(model, params())
        .expect("prune")
        .into_model()
        .expect("m");
    pruned
        .compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .expect("compile");
    pruned
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(2)
                .batch_size(4)
                .verbose(0)
                .callback(UpdatePruningStep::new()),
        )
        .expect("fit");
    let layers = collect_prunable_layers(&pruned);
    assert_eq!(get_step(&layers[0]), Some(8));
    // Step 6 is the schedule's end (0 -> 0.5 over 0..6, every 2 steps): 16 of 32 pruned.
    assert_eq!(zeros_of(&layers[0]), (16, 32));
}
