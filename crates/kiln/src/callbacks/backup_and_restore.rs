//! `BackupAndRestore`: resume an interrupted `fit` where it stopped.

use std::path::PathBuf;

use crate::callbacks::{Callback, Logs};
use crate::models::Model;
use crate::{Error, Result};

/// `keras.callbacks.BackupAndRestore(backup_dir, save_freq="epoch",
/// delete_checkpoint=True)`: at every epoch end the model's variables and optimizer state
/// go to `backup_dir/latest.keras` (atomically) with the epoch in
/// `backup_dir/training_metadata.json`; when `fit` starts and a backup exists, the model
/// is restored from it and training continues at the next epoch. The backup is deleted
/// when `fit` finishes (unless `delete_checkpoint(false)`).
///
/// ```
/// use kiln::callbacks::BackupAndRestore;
/// let cb = BackupAndRestore::new(std::env::temp_dir().join("kiln_backup_doc"));
/// # let _ = cb;
/// ```
pub struct BackupAndRestore {
    dir: PathBuf,
    delete_checkpoint: bool,
}

impl BackupAndRestore {
    /// Backups in `backup_dir`.
    pub fn new(backup_dir: impl Into<PathBuf>) -> BackupAndRestore {
        BackupAndRestore {
            dir: backup_dir.into(),
            delete_checkpoint: true,
        }
    }
    /// Keep the backup after a completed `fit` (default: delete it).
    pub fn delete_checkpoint(mut self, d: bool) -> Self {
        self.delete_checkpoint = d;
        self
    }
    fn model_path(&self) -> PathBuf {
        self.dir.join("latest.keras")
    }
    fn meta_path(&self) -> PathBuf {
        self.dir.join("training_metadata.json")
    }
    fn io(&self, e: impl std::fmt::Display) -> Error {
        Error::InvalidArgument {
            api: "BackupAndRestore",
            msg: format!("{}: {e}", self.dir.display()),
        }
    }
}

impl Callback for BackupAndRestore {
    fn on_train_begin(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        let (m, meta) = (self.model_path(), self.meta_path());
        if !(m.exists() && meta.exists()) {
            return Ok(());
        }
        let text = std::fs::read_to_string(&meta).map_err(|e| self.io(e))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| self.io(format!("training_metadata.json: {e}")))?;
        let epoch = v
            .get("epoch")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| self.io("training_metadata.json has no epoch"))?
            as usize;
        crate::saving::restore_into(model, &m)?;
        model.resume_at_epoch = Some(epoch + 1);
        Ok(())
    }
    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, _logs: &mut Logs) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e))?;
        crate::saving::save_model(model, self.model_path())?;
        crate::saving::atomic_write(
            &self.meta_path(),
            serde_json::json!({ "epoch": epoch }).to_string().as_bytes(),
        )
    }
    fn on_train_end(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        if self.delete_checkpoint {
            let _ = std::fs::remove_file(self.model_path());
            let _ = std::fs::remove_file(self.meta_path());
            let _ = std::fs::remove_dir(&self.dir);
        }
        Ok(())
    }
}
