//! `CSVLogger`.

use std::io::Write;
use std::path::PathBuf;

use crate::callbacks::{python_float, Callback, Logs};
use crate::models::Model;
use crate::{Error, Result};

/// Writes one CSV row per epoch: `epoch` then the log values in sorted key order
/// (`keras.callbacks.CSVLogger`). Each row is flushed as it is written.
///
/// ```
/// let logger = kiln::callbacks::CSVLogger::new(std::env::temp_dir().join("kiln_doc_log.csv"));
/// # drop(logger);
/// ```
pub struct CSVLogger {
    path: PathBuf,
    separator: char,
    append: bool,
    keys: Option<Vec<String>>,
    file: Option<std::fs::File>,
}

impl CSVLogger {
    /// Logs to `path` (overwritten unless `append`).
    pub fn new(path: impl Into<PathBuf>) -> CSVLogger {
        CSVLogger {
            path: path.into(),
            separator: ',',
            append: false,
            keys: None,
            file: None,
        }
    }
    /// Field separator (default `,`).
    pub fn separator(mut self, c: char) -> Self {
        self.separator = c;
        self
    }
    /// Append to an existing file (no new header when it has content).
    pub fn append(mut self, a: bool) -> Self {
        self.append = a;
        self
    }

    fn io_err(&self, e: std::io::Error) -> Error {
        Error::InvalidArgument {
            api: "CSVLogger",
            msg: format!("cannot write '{}': {e}", self.path.display()),
        }
    }
}

impl Callback for CSVLogger {
    fn on_train_begin(&mut self, _m: &mut Model, _logs: &Logs) -> Result<()> {
        let has_content = self.append
            && std::fs::metadata(&self.path)
                .map(|m| m.len() > 0)
                .unwrap_or(false);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(self.append)
            .truncate(!self.append)
            .open(&self.path)
            .map_err(|e| self.io_err(e))?;
        self.file = Some(file);
        self.keys = None;
        if has_content {
            // Keep the existing header: treat it as already written.
            self.keys = Some(Vec::new());
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, _m: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        let sep = self.separator.to_string();
        let mut out = String::new();
        let keys: Vec<String> = match &self.keys {
            Some(k) if !k.is_empty() => k.clone(),
            _ => {
                let k: Vec<String> = logs
                    .sorted()
                    .into_iter()
                    .map(|(n, _)| n.to_string())
                    .collect();
                if self.keys.is_none() {
                    out.push_str(&format!("epoch{sep}{}\r\n", k.join(&sep)));
                }
                self.keys = Some(k.clone());
                k
            }
        };
        let values: Vec<String> = keys
            .iter()
            .map(|k| logs.get(k).map(python_float).unwrap_or_else(|| "NA".into()))
            .collect();
        out.push_str(&format!("{epoch}{sep}{}\r\n", values.join(&sep)));
        let res = match &mut self.file {
            Some(f) => f.write_all(out.as_bytes()).and_then(|_| f.flush()),
            None => Ok(()),
        };
        res.map_err(|e| self.io_err(e))
    }

    fn on_train_end(&mut self, _m: &mut Model, _logs: &Logs) -> Result<()> {
        self.file = None;
        Ok(())
    }
}
