//! S000-3: a CNN (Conv32 -> Pool -> Conv64 -> Pool -> Conv64 -> Flatten -> Dense64 ->
//! Dense10) on CIFAR-10 scaled to [0, 1], trained with validation data.
//!
//! CIFAR-10 cannot be downloaded here: the example reads the binary batches from
//! `$KILN_DATA_DIR/cifar-10-batches-bin` when present and otherwise announces and uses a
//! synthetic stand-in of the same shape (class-dependent colour patterns plus noise).
//! `KILN_EPOCHS` (default 10, as the seed) and `KILN_STANDIN_SAMPLES` (default 50000
//! training / 10000 test) control the run.

use kiln::layers::{Conv2D, Dense, Flatten, MaxPooling2D};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

fn standin(n: usize, g: &mut Generator) -> kiln::Result<(Tensor, Tensor)> {
    let y = g.randint(&[n, 1], 0, 10, DType::I64)?;
    let labels = y.to_vec::<i64>()?;
    // Each class brightens one colour channel in one third of the image.
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
    let x = Tensor::from_vec(pattern, &[n, 32, 32, 3])?.add(&noise)?;
    Ok((x, y))
}

fn main() -> kiln::Result<()> {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let epochs = env("KILN_EPOCHS", 10);
    let ((x_train, y_train), (x_test, y_test)) = match kiln_data::datasets::cifar::load_cifar10() {
        Ok(((x, y), (tx, ty))) => ((x.cast(DType::F32)?, y), (tx.cast(DType::F32)?, ty)),
        Err(e) => {
            let n = env("KILN_STANDIN_SAMPLES", 50_000);
            println!("CIFAR-10 not available ({e}); using a synthetic stand-in of the same shape ({n} + {} images)", n / 5);
            let mut g = Generator::from_seed(0);
            (standin(n, &mut g)?, standin(n / 5, &mut g)?)
        }
    };
    let (x_train, x_test) = (x_train.div_scalar(255.0)?, x_test.div_scalar(255.0)?);
    kiln::utils::set_random_seed(0);
    let mut model = Model::sequential_empty();
    model.add(
        Conv2D::new(32, 3)
            .activation("relu")
            .input_shape(&[32, 32, 3]),
    )?;
    model.add(MaxPooling2D::new(2))?;
    model.add(Conv2D::new(64, 3).activation("relu"))?;
    model.add(MaxPooling2D::new(2))?;
    model.add(Conv2D::new(64, 3).activation("relu"))?;
    model.add(Flatten::new())?;
    model.add(Dense::new(64).activation("relu"))?;
    model.add(Dense::new(10).activation("softmax"))?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    model.fit(
        &x_train,
        &y_train,
        FitArgs::new()
            .epochs(epochs)
            .validation_data(&x_test, &y_test),
    )?;
    Ok(())
}
