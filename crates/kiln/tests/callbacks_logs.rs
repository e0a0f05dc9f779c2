//! Callbacks that add to the logs (issue 15): Keras 3's LearningRateScheduler and
//! ReduceLROnPlateau write `learning_rate` into the epoch's logs, which History (and a
//! later CSVLogger) records. Expected values are Keras 3.15.1's `history["learning_rate"]`
//! for the same programs (float32 rates read back as floats).

use kiln::callbacks::{CSVLogger, LearningRateScheduler, ReduceLROnPlateau};
use kiln::prelude::*;

fn model() -> Model {
    let mut m = Model::sequential(vec![Dense::new(1)
        .kernel_initializer("zeros")
        .input_shape(&[2])
        .into()])
    .unwrap();
    m.compile(
        CompileArgs::new()
            .optimizer(kiln::optimizers::SGD::new(0.1))
            .loss("mse"),
    )
    .unwrap();
    m
}

#[test]
fn learning_rate_scheduler_and_reduce_lr_on_plateau_log_the_rate_as_keras() {
    let x = Tensor::ones(&[8, 2], DType::F32);
    let y = Tensor::ones(&[8, 1], DType::F32);
    let mut m = model();
    let h = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(3)
                .verbose(0)
                .shuffle(false)
                .callback(LearningRateScheduler::new(|_, lr| lr * 0.5)),
        )
        .unwrap();
    assert_eq!(
        h.history["learning_rate"],
        [
            0.05000000074505806,
            0.02500000037252903,
            0.012500000186264515
        ]
    );
    let csv = std::env::temp_dir().join(format!("kiln-lr-log-{}.csv", std::process::id()));
    let mut m = model();
    let h = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(4)
                .verbose(0)
                .shuffle(false)
                .callback(
                    ReduceLROnPlateau::new()
                        .monitor("loss")
                        .patience(0)
                        .factor(0.5)
                        .min_delta(10.0),
                )
                .callback(CSVLogger::new(&csv)),
        )
        .unwrap();
    assert_eq!(
        h.history["learning_rate"],
        [
            0.10000000149011612,
            0.10000000149011612,
            0.05000000074505806,
            0.02500000037252903
        ]
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.lines().next().unwrap().contains("learning_rate"),
        "{text}"
    );
    std::fs::remove_file(&csv).unwrap();
}
