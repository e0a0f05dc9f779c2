//! ModelCheckpoint (templates, best-only, weights-only, every N batches),
//! BackupAndRestore (an interrupted fit resumes at the right epoch with the same
//! optimizer state), and atomic saves (a failed save leaves the previous file intact).

use kiln::callbacks::{BackupAndRestore, Callback, Logs, ModelCheckpoint, SaveFreq};
use kiln::layers::Dense;
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

/// The tests seed kiln's process-wide generator: run them one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn data() -> (Tensor, Tensor) {
    let mut g = Generator::from_seed(3);
    (
        g.normal(&[48, 4], 0.0, 1.0, DType::F32).unwrap(),
        g.normal(&[48, 1], 0.0, 1.0, DType::F32).unwrap(),
    )
}

fn model() -> Model {
    let mut m = Model::sequential(vec![
        Dense::new(6).activation("tanh").input_shape(&[4]).into(),
        Dense::new(1).into(),
    ])
    .unwrap();
    m.compile(CompileArgs::new().optimizer("adam").loss("mse"))
        .unwrap();
    m
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kiln_ckpt_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn model_checkpoint_writes_templated_best_and_weights_files() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (x, y) = data();
    let d = tmp("mc");
    let tpl = d
        .join("m-{epoch:02d}-{loss:.3f}.keras")
        .to_string_lossy()
        .to_string();
    let mut m = model();
    let cb = ModelCheckpoint::new(&tpl).unwrap().monitor("loss");
    let best = ModelCheckpoint::new(&d.join("best.keras").to_string_lossy())
        .unwrap()
        .monitor("loss")
        .save_best_only(true);
    let w = ModelCheckpoint::new(&d.join("w.weights.h5").to_string_lossy())
        .unwrap()
        .save_weights_only(true)
        .unwrap()
        .save_freq(SaveFreq::Batches(2));
    let h = m
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(3)
                .batch_size(16)
                .verbose(0)
                .callback(cb)
                .callback(best)
                .callback(w),
        )
        .unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let losses = h.history["loss"].clone();
    for (e, l) in losses.iter().enumerate() {
        let want = format!("m-{:02}-{:.3}.keras", e + 1, l);
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
    assert!(
        names.contains(&"best.keras".to_string()) && names.contains(&"w.weights.h5".to_string())
    );
    // The best checkpoint holds the model of the lowest-loss epoch (the last here).
    let best = kiln::saving::load_model(d.join("best.keras")).unwrap();
    assert_eq!(
        best.call(&x).unwrap().to_vec::<f32>().unwrap(),
        m.call(&x).unwrap().to_vec::<f32>().unwrap()
    );
    // Keras's extension rules.
    assert!(ModelCheckpoint::new("x.h5").is_err());
    assert!(ModelCheckpoint::new("x.keras")
        .unwrap()
        .save_weights_only(true)
        .is_err());
    // A template field missing from the logs is an error naming it.
    let mut m2 = model();
    let bad = ModelCheckpoint::new(&d.join("{val_auc}.keras").to_string_lossy()).unwrap();
    let e = m2
        .fit(&x, &y, FitArgs::new().epochs(1).verbose(0).callback(bad))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("val_auc"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}

/// Fails `fit` at the end of epoch `at` (a crash stand-in).
struct Crash(usize);
impl Callback for Crash {
    fn on_epoch_end(&mut self, _m: &mut Model, epoch: usize, _l: &mut Logs) -> kiln::Result<()> {
        if epoch == self.0 {
            return Err(kiln::Error::InvalidArgument {
                api: "test",
                msg: "simulated crash".into(),
            });
        }
        Ok(())
    }
}

#[test]
fn backup_and_restore_resumes_an_interrupted_fit() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (x, y) = data();
    kiln::utils::set_random_seed(5);
    let mut straight = model();
    straight
        .fit(&x, &y, FitArgs::new().epochs(4).batch_size(16).verbose(0))
        .unwrap();

    let d = tmp("bar");
    let backup = d.join("backup");
    kiln::utils::set_random_seed(5);
    let mut m = model();
    // BackupAndRestore runs before the crash callback, so epoch 1's backup is written.
    let r = m.fit(
        &x,
        &y,
        FitArgs::new()
            .epochs(4)
            .batch_size(16)
            .verbose(0)
            .callback(BackupAndRestore::new(&backup))
            .callback(Crash(1)),
    );
    assert!(r.is_err());
    assert!(backup.join("latest.keras").exists());

    kiln::utils::set_random_seed(5);
    let mut again = model();
    let h = again
        .fit(
            &x,
            &y,
            FitArgs::new()
                .epochs(4)
                .batch_size(16)
                .verbose(0)
                .callback(BackupAndRestore::new(&backup)),
        )
        .unwrap();
    assert_eq!(h.history["loss"].len(), 2, "epochs 3 and 4 only");
    let a: Vec<Vec<f32>> = straight
        .get_weights()
        .iter()
        .map(|t| t.to_vec::<f32>().unwrap())
        .collect();
    let b: Vec<Vec<f32>> = again
        .get_weights()
        .iter()
        .map(|t| t.to_vec::<f32>().unwrap())
        .collect();
    assert_eq!(a, b);
    assert!(
        !backup.join("latest.keras").exists(),
        "the backup is deleted after a completed fit"
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_failed_save_leaves_the_previous_file_intact() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let d = tmp("atomic");
    let path = d.join("m.keras");
    let first = model();
    kiln::saving::save_model(&first, &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // Block the temporary file the save writes first, so it fails before the rename.
    let blocker = d.join(format!(".m.keras.tmp-{}", std::process::id()));
    std::fs::create_dir_all(&blocker).unwrap();
    kiln::utils::set_random_seed(99);
    let second = model();
    assert!(kiln::saving::save_model(&second, &path).is_err());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the old file is untouched"
    );
    let x = Tensor::ones(&[1, 4], DType::F32);
    let loaded = kiln::saving::load_model(&path).unwrap();
    assert_eq!(
        loaded.call(&x).unwrap().to_vec::<f32>().unwrap(),
        first.call(&x).unwrap().to_vec::<f32>().unwrap()
    );
    std::fs::remove_dir_all(&d).ok();
}
