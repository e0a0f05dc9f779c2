//! Reading and atomically writing the project's state files.

use std::path::Path;

use crate::error::{Result, TunerError};
use crate::value::Json;

fn io_err(path: &Path, source: std::io::Error) -> TunerError {
    TunerError::Io {
        path: path.display().to_string(),
        source,
    }
}

pub(crate) fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| io_err(path, e))
}

pub(crate) fn read_json(path: &Path) -> Result<Json> {
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    Json::parse(&text).map_err(|msg| TunerError::State {
        path: path.display().to_string(),
        msg,
    })
}

/// Writes `text` to a temporary file beside `path`, syncs it and renames it over `path`,
/// so a crash leaves either the old file or the new one, never half of one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        create_dir(dir)?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        f.write_all(bytes).map_err(|e| io_err(&tmp, e))?;
        f.sync_all().map_err(|e| io_err(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(path, e)
    })
}

pub(crate) fn write_json(path: &Path, j: &Json) -> Result<()> {
    write_atomic(path, j.dumps().as_bytes())
}
