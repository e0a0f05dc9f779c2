//! Shared parts of the transfer-learning seed examples (S000-5, S003-14, S003-15): the
//! run sizes, the ImageNet weights file when one is on disk, and the stand-in
//! pretraining of a base when none is.
//!
//! No ImageNet weights can be downloaded here. When `$KILN_DATA_DIR` holds Keras's
//! weights file for the base (e.g. `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`)
//! it is loaded; otherwise the base is pretrained briefly on MNIST digits (resized to
//! the base's input, grey copied to RGB) and the example says so. `KILN_FAST=1` cuts
//! every size to a smoke run (the tests use it).

#![allow(dead_code)]

use std::path::PathBuf;

use kiln::layers::{Dense, GlobalAveragePooling2D, LayerApply};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::{DType, Tensor};

/// `KILN_FAST` is set: smoke-test sizes.
pub fn fast() -> bool {
    std::env::var_os("KILN_FAST").is_some_and(|v| !v.is_empty() && v != "0")
}

/// An integer from the environment, or `default`.
pub fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `$KILN_DATA_DIR/<file>` when it exists.
pub fn weights_file(file: &str) -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var_os("KILN_DATA_DIR")?).join(file);
    p.exists().then_some(p)
}

/// `n` MNIST training digits as `(n, size, size, 3)` f32 images in `[0, 255]` (nearest
/// resize of the 28x28 digit, grey copied to the three channels) and `(n, 1)` labels.
pub fn mnist_rgb(n: usize, size: usize) -> kiln::Result<(Tensor, Tensor)> {
    let ((x, y), _) = kiln_data::datasets::mnist::load_data()?;
    let n = n.min(x.shape()[0]);
    let px = x.to_vec::<u8>()?;
    let labels = y.to_vec::<u8>()?;
    let mut out = vec![0f32; n * size * size * 3];
    for i in 0..n {
        for r in 0..size {
            for c in 0..size {
                let v = px[i * 784 + (r * 28 / size) * 28 + c * 28 / size] as f32;
                let o = ((i * size + r) * size + c) * 3;
                out[o..o + 3].fill(v);
            }
        }
    }
    let y: Vec<i64> = labels[..n].iter().map(|&l| l as i64).collect();
    Ok((
        Tensor::from_vec(out, &[n, size, size, 3])?,
        Tensor::from_vec(y, &[n, 1])?,
    ))
}

/// Pretrains `base` in place on MNIST (a GAP + softmax head on its output, Adam,
/// `epochs` over `n` digits run through `preprocess`) and prints what it did and the
/// accuracy it reached, so nobody mistakes the result for ImageNet features.
pub fn pretrain_on_mnist(
    base: &Model,
    n: usize,
    epochs: usize,
    preprocess: fn(&Tensor) -> kiln::Result<Tensor>,
) -> kiln::Result<()> {
    let size = base.inputs()[0].shape()[1].unwrap_or(32);
    println!(
        "No ImageNet weights file in $KILN_DATA_DIR: pretraining the base ourselves on {n} MNIST digits ({size}x{size}x3), {epochs} epoch(s), as a stand-in"
    );
    let (x, y) = mnist_rgb(n, size)?;
    let x = preprocess(&x)?;
    let h = GlobalAveragePooling2D::new().apply(&base.outputs()[0])?;
    let out = Dense::new(10).activation("softmax").apply(&h)?;
    let mut pre = Model::new(&base.inputs(), &[out])?;
    pre.compile(
        CompileArgs::new()
            .optimizer(kiln::optimizers::Adam::new(1e-4))
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    let hist = pre.fit(
        &x,
        &y,
        FitArgs::new()
            .epochs(epochs)
            .batch_size(32.min(n))
            .verbose(0),
    )?;
    let acc = hist.history["accuracy"].last().copied().unwrap_or(f64::NAN);
    println!("stand-in pretraining done: MNIST training accuracy {acc:.4}");
    Ok(())
}

/// Sets `trainable` on every layer of `base` (Keras's `for layer in base.layers`).
pub fn set_all_trainable(base: &Model, trainable: bool) {
    for l in base.layers() {
        l.set_trainable(trainable);
    }
}

/// Unfreezes the last `k` layers of `base` (`for layer in base.layers[-k:]`) and prints
/// which.
pub fn unfreeze_last(base: &Model, k: usize) {
    let layers = base.layers();
    let names: Vec<String> = layers[layers.len().saturating_sub(k)..]
        .iter()
        .map(|l| {
            l.set_trainable(true);
            l.name()
        })
        .collect();
    println!(
        "unfroze the last {k} layers of the base: {}",
        names.join(", ")
    );
}

/// The trainable-parameter count, as `summary()` reports it.
pub fn trainable_params(model: &Model) -> usize {
    model
        .trainable_weights()
        .iter()
        .map(|v| v.value().numel())
        .sum()
}

/// Cast a u8 image batch to f32 (for the generators' `[0, 255]` arrays).
pub fn to_f32(x: &Tensor) -> kiln::Result<Tensor> {
    Ok(x.cast(DType::F32)?)
}

/// A CIFAR-10-shaped stand-in: `n` `(32, 32, 3)` images in `[0, 255]` where each class
/// brightens one colour channel in one horizontal band, plus uniform noise; labels
/// `(n, 1)`.
pub fn cifar_standin(n: usize, seed: u64) -> kiln::Result<(Tensor, Tensor)> {
    let mut g = kiln_tensor::random::Generator::from_seed(seed);
    let y = g.randint(&[n, 1], 0, 10, DType::I64)?;
    let labels = y.to_vec::<i64>()?;
    let mut pattern = vec![0f32; n * 3072];
    for (i, &c) in labels.iter().enumerate() {
        let (ch, band) = ((c % 3) as usize, (c / 3) as usize % 4);
        for row in band * 8..band * 8 + 8 {
            for col in 0..32 {
                pattern[i * 3072 + (row * 32 + col) * 3 + ch] = 120.0;
            }
        }
    }
    let noise = g.uniform(&[n, 32, 32, 3], 0.0, 135.0, DType::F32)?;
    Ok((Tensor::from_vec(pattern, &[n, 32, 32, 3])?.add(&noise)?, y))
}

/// The seed's sample data: `per_class` random 224x224 RGB JPEGs saved into both
/// `class_1/` and `class_2/` under `dir` (the seed writes the same image to both).
pub fn random_jpeg_tree(dir: &std::path::Path, per_class: usize) -> kiln::Result<()> {
    let mut g = kiln_tensor::random::Generator::from_seed(0);
    for c in ["class_1", "class_2"] {
        std::fs::create_dir_all(dir.join(c)).map_err(|e| kiln::Error::InvalidArgument {
            api: "random_jpeg_tree",
            msg: format!("{}: {e}", dir.display()),
        })?;
    }
    for i in 0..per_class {
        let img = g
            .randint(&[224, 224, 3], 0, 255, DType::I64)?
            .cast(DType::U8)?;
        let jpeg = kiln_data::image::encode_jpeg(&img, 75)?;
        for c in ["class_1", "class_2"] {
            std::fs::write(dir.join(c).join(format!("img_{i}.jpg")), &jpeg).map_err(|e| {
                kiln::Error::InvalidArgument {
                    api: "random_jpeg_tree",
                    msg: format!("{}: {e}", dir.display()),
                }
            })?;
        }
    }
    Ok(())
}

/// VGG16 (no top) at `size`x`size`x3 with ImageNet weights from `$KILN_DATA_DIR` when
/// present, else pretrained on the MNIST stand-in (inputs rescaled to `[0, 1]`, as the
/// seeds' generators feed it).
pub fn vgg16_base(size: usize) -> kiln::Result<Model> {
    use kiln::applications::{vgg16, AppArgs, Weights};
    let file = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5";
    let args = AppArgs::new()
        .include_top(false)
        .input_shape([size, size, 3]);
    Ok(match weights_file(file) {
        Some(p) => {
            println!("loading ImageNet weights from {}", p.display());
            vgg16(args.weights(Weights::Path(p)))?
        }
        None => {
            let base = vgg16(args)?;
            let (n, epochs) = if fast() {
                (8, 1)
            } else {
                (env_usize("KILN_PRETRAIN_SAMPLES", 128), 1)
            };
            pretrain_on_mnist(&base, n, epochs, |x| Ok(x.div_scalar(255.0)?))?;
            base
        }
    })
}

/// S003-14 and S003-15: VGG16 frozen + Flatten + Dense(256) + Dense(1, sigmoid) trained
/// on `flow_from_directory(dir, target_size, batch_size=32, class_mode="binary")`
/// rescaled by 1/255, `epochs`; then the last 4 base layers unfrozen, recompiled with
/// `lr_fine` and trained `epochs` more.
pub fn vgg16_binary_transfer(
    dir: &std::path::Path,
    lr_first: f64,
    lr_fine: f64,
) -> kiln::Result<()> {
    use kiln::layers::Flatten;
    use kiln_data::preprocessing::image::{
        FlowFromDirectoryArgs, ImageDataGenerator, ImageDataGeneratorArgs,
    };
    let size = env_usize("KILN_IMAGE_SIZE", 32);
    let epochs = env_usize("KILN_EPOCHS", if fast() { 1 } else { 10 });
    if size != 224 {
        println!("images resized to {size}x{size} instead of the seed's 224x224 (KILN_IMAGE_SIZE), so the run fits a CPU");
    }
    kiln::utils::set_random_seed(0);
    let base = vgg16_base(size)?;
    set_all_trainable(&base, false);
    let mut model = Model::sequential(vec![
        base.as_layer(),
        Flatten::new().into(),
        Dense::new(256).activation("relu").into(),
        Dense::new(1).activation("sigmoid").into(),
    ])?;
    let compile = |model: &mut Model, lr: f64| {
        model.compile(
            CompileArgs::new()
                .optimizer(kiln::optimizers::Adam::new(lr))
                .loss("binary_crossentropy")
                .metrics(["accuracy"]),
        )
    };
    compile(&mut model, lr_first)?;
    println!(
        "model: {} params, {} trainable (base frozen)",
        model.count_params(),
        trainable_params(&model)
    );
    let datagen = ImageDataGenerator::new(ImageDataGeneratorArgs {
        rescale: Some(1.0 / 255.0),
        ..Default::default()
    })?;
    let flow = |seed: u64| {
        datagen.flow_from_directory(
            dir,
            FlowFromDirectoryArgs::new()
                .target_size(size, size)
                .batch_size(32)
                .class_mode(Some("binary"))
                .seed(seed),
        )
    };
    let train = flow(0)?;
    model.fit_dataset(&train.to_dataset(), FitArgs::new().epochs(epochs))?;
    unfreeze_last(&base, 4);
    compile(&mut model, lr_fine)?;
    println!(
        "fine-tuning with Adam(learning_rate={lr_fine}): {} trainable params",
        trainable_params(&model)
    );
    let train = flow(1)?;
    let h = model.fit_dataset(&train.to_dataset(), FitArgs::new().epochs(epochs))?;
    println!(
        "final training accuracy: {:.4}",
        h.history["accuracy"].last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
