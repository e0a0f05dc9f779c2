//! S000-5: transfer learning with ResNet50 on CIFAR-10. The seed scales CIFAR-10 to
//! [0, 1], puts GlobalAveragePooling2D + Dense(1024, relu) + Dense(10, softmax) on a
//! frozen ResNet50 (ImageNet, no top, 32x32x3), trains 10 epochs with validation data,
//! then unfreezes the base's last 10 layers, recompiles with Adam(1e-5) and trains 10
//! more.
//!
//! Here: CIFAR-10 comes from `$KILN_DATA_DIR/cifar-10-batches-bin` when present, else a
//! synthetic stand-in of the same shape (announced); ImageNet weights from
//! `$KILN_DATA_DIR/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5` when present,
//! else the base is pretrained briefly on MNIST and the example says so. To fit a CPU
//! the run uses `KILN_SAMPLES` training images (default 512; test: a quarter),
//! `KILN_EPOCHS` per phase (default 2; the seed's 10 is `KILN_EPOCHS=10`), and
//! `KILN_FAST=1` makes a smoke run.

#[path = "common/transfer.rs"]
mod transfer;

use kiln::applications::{resnet50, AppArgs, Weights};
use kiln::layers::{Dense, GlobalAveragePooling2D, LayerApply};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln::optimizers::Adam;
use kiln_tensor::{DType, Tensor};

fn head_slice(x: &Tensor, n: usize) -> kiln::Result<Tensor> {
    let begin = vec![0isize; x.rank()];
    let mut size = vec![-1isize; x.rank()];
    size[0] = n.min(x.shape()[0]) as isize;
    Ok(x.slice(&begin, &size)?.contiguous())
}

fn main() -> kiln::Result<()> {
    let fast = transfer::fast();
    let n = transfer::env_usize("KILN_SAMPLES", if fast { 8 } else { 512 });
    let epochs = transfer::env_usize("KILN_EPOCHS", if fast { 1 } else { 2 });
    let ((x_train, y_train), (x_test, y_test)) = match kiln_data::datasets::cifar::load_cifar10() {
        Ok(((x, y), (tx, ty))) => (
            (head_slice(&x.cast(DType::F32)?, n)?, head_slice(&y, n)?),
            (
                head_slice(&tx.cast(DType::F32)?, n / 4)?,
                head_slice(&ty, n / 4)?,
            ),
        ),
        Err(e) => {
            println!("CIFAR-10 not available ({e}); using a synthetic stand-in of the same shape ({n} + {} images)", n / 4);
            (
                transfer::cifar_standin(n, 0)?,
                transfer::cifar_standin(n / 4, 1)?,
            )
        }
    };
    let (x_train, x_test) = (x_train.div_scalar(255.0)?, x_test.div_scalar(255.0)?);
    println!(
        "x_train shape: {:?}, x_test shape: {:?}",
        x_train.shape(),
        x_test.shape()
    );

    kiln::utils::set_random_seed(0);
    let file = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5";
    let args = AppArgs::new().include_top(false).input_shape([32, 32, 3]);
    let base_model = match transfer::weights_file(file) {
        Some(p) => {
            println!("loading ImageNet weights from {}", p.display());
            resnet50(args.weights(Weights::Path(p)))?
        }
        None => {
            let base = resnet50(args)?;
            let pre = transfer::env_usize("KILN_PRETRAIN_SAMPLES", if fast { 8 } else { 256 });
            transfer::pretrain_on_mnist(&base, pre, 1, |x| Ok(x.div_scalar(255.0)?))?;
            base
        }
    };
    let x = GlobalAveragePooling2D::new().apply(&base_model.outputs()[0])?;
    let x = Dense::new(1024).activation("relu").apply(&x)?;
    let x = Dense::new(10).activation("softmax").apply(&x)?;
    let mut model = Model::new(&base_model.inputs(), &[x])?;
    transfer::set_all_trainable(&base_model, false);

    let compile = |model: &mut Model, lr: f64| {
        model.compile(
            CompileArgs::new()
                .optimizer(Adam::new(lr))
                .loss("sparse_categorical_crossentropy")
                .metrics(["accuracy"]),
        )
    };
    compile(&mut model, 1e-3)?;
    println!(
        "model: {} params, {} trainable (base frozen)",
        model.count_params(),
        transfer::trainable_params(&model)
    );
    model.fit(
        &x_train,
        &y_train,
        FitArgs::new()
            .epochs(epochs)
            .validation_data(&x_test, &y_test),
    )?;

    transfer::unfreeze_last(&base_model, 10);
    compile(&mut model, 1e-5)?;
    println!(
        "fine-tuning with Adam(learning_rate=1e-05): {} trainable params",
        transfer::trainable_params(&model)
    );
    let h = model.fit(
        &x_train,
        &y_train,
        FitArgs::new()
            .epochs(epochs)
            .validation_data(&x_test, &y_test),
    )?;
    println!(
        "final val_accuracy: {:.4}",
        h.history["val_accuracy"]
            .last()
            .copied()
            .unwrap_or(f64::NAN)
    );
    Ok(())
}
