//! `TensorBoard`: logs for TensorBoard, as `keras.callbacks.TensorBoard`.

mod events;

use std::path::{Path, PathBuf};
use std::time::Instant;

use events::TensorValue;
pub use events::{crc32c, histogram_buckets, SummaryWriter};

use crate::callbacks::{Callback, Logs};
use crate::models::Model;
use crate::{Error, Result};

/// How often `TensorBoard` writes batch-level summaries (`update_freq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateFreq {
    /// `"epoch"` (the default): only epoch summaries.
    #[default]
    Epoch,
    /// `"batch"`: every batch (`Batches(1)`).
    Batch,
    /// An integer: every `n` batches (counted over the whole `fit`).
    Batches(u64),
}

impl UpdateFreq {
    fn every(self) -> Option<u64> {
        match self {
            UpdateFreq::Epoch => None,
            UpdateFreq::Batch => Some(1),
            UpdateFreq::Batches(n) => Some(n),
        }
    }
}

impl From<u64> for UpdateFreq {
    fn from(n: u64) -> Self {
        UpdateFreq::Batches(n)
    }
}

impl std::str::FromStr for UpdateFreq {
    type Err = Error;
    /// `"epoch"`, `"batch"` or an integer.
    fn from_str(s: &str) -> Result<UpdateFreq> {
        match s {
            "epoch" => Ok(UpdateFreq::Epoch),
            "batch" => Ok(UpdateFreq::Batch),
            _ => s
                .parse::<u64>()
                .map(UpdateFreq::Batches)
                .map_err(|_| Error::InvalidArgument {
                    api: "TensorBoard",
                    msg: format!(
                        "update_freq must be \"epoch\", \"batch\" or an integer. Received: update_freq={s}"
                    ),
                }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Train,
    Validation,
}

/// Writes TensorBoard logs (`keras.callbacks.TensorBoard`): event files in
/// `log_dir/train` and `log_dir/validation` with
///
/// - `epoch_<name>` scalars at step `epoch` (the training logs and `epoch_learning_rate`
///   in `train`, the `val_` logs without the prefix in `validation`);
/// - `evaluation_<name>_vs_iterations` in `validation` after each validation run, at the
///   optimizer's iteration count;
/// - with `update_freq` `"batch"` or an integer `n`, `batch_<name>` scalars at the global
///   batch number (1-based) every `n` batches;
/// - with `histogram_freq`, `<weight path>/histogram` for every weight every
///   `histogram_freq` epochs, and with `write_images` the weights as images;
/// - with `write_graph` (the default), the model's JSON config (`keras`, for the graph
///   dashboard's conceptual graph) at step 0;
/// - with `write_steps_per_second`, `batch_steps_per_second` / `epoch_steps_per_second`.
///
/// The tags and steps are Keras 3's for the same arguments, including a quirk of its
/// integer `update_freq`: the batch's recording condition stays open over the epoch's
/// end, so epoch summaries are written only at epochs whose last global batch number is
/// a multiple of `n`. Keras also writes TensorFlow's op graph of its `train_function`,
/// which kiln does not have; profiling and embeddings are not supported.
///
/// ```
/// use kiln::callbacks::{TensorBoard, UpdateFreq};
/// use kiln::prelude::*;
///
/// let logs = std::env::temp_dir().join(format!("kiln_doc_tb_{}", std::process::id()));
/// let mut m = Model::sequential(vec![Dense::new(1).input_shape(&[2]).into()])?;
/// m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))?;
/// let (x, y) = (Tensor::ones(&[8, 2], DType::F32), Tensor::ones(&[8, 1], DType::F32));
/// let tb = TensorBoard::new(&logs).histogram_freq(1).update_freq("batch".parse::<UpdateFreq>()?);
/// m.fit(&x, &y, FitArgs::new().epochs(2).batch_size(4).verbose(0).callback(tb))?;
/// // then: tensorboard --logdir <logs>
/// assert_eq!(std::fs::read_dir(logs.join("train"))?.count(), 1);
/// # std::fs::remove_dir_all(&logs).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TensorBoard {
    log_dir: PathBuf,
    histogram_freq: usize,
    write_graph: bool,
    write_images: bool,
    write_steps_per_second: bool,
    update_freq: UpdateFreq,
    train: Option<SummaryWriter>,
    val: Option<SummaryWriter>,
    global_train_batch: u64,
    global_test_batch: u64,
    /// Keras's stack of `(writer, record_if(step % update_freq == 0))` contexts.
    contexts: Vec<(Run, u64)>,
    in_fit: bool,
    batch_start: Option<Instant>,
    epoch_start: Option<Instant>,
    previous_epoch_iterations: u64,
}

impl Default for TensorBoard {
    /// `TensorBoard()`: `log_dir="logs"`.
    fn default() -> Self {
        TensorBoard::new("logs")
    }
}

impl TensorBoard {
    /// Logs under `log_dir` with Keras's defaults (`histogram_freq=0`,
    /// `write_graph=True`, `write_images=False`, `write_steps_per_second=False`,
    /// `update_freq="epoch"`).
    pub fn new(log_dir: impl Into<PathBuf>) -> TensorBoard {
        TensorBoard {
            log_dir: log_dir.into(),
            histogram_freq: 0,
            write_graph: true,
            write_images: false,
            write_steps_per_second: false,
            update_freq: UpdateFreq::Epoch,
            train: None,
            val: None,
            global_train_batch: 0,
            global_test_batch: 0,
            contexts: Vec::new(),
            in_fit: false,
            batch_start: None,
            epoch_start: None,
            previous_epoch_iterations: 0,
        }
    }
    /// Weight histograms every `n` epochs (0: none).
    pub fn histogram_freq(mut self, n: usize) -> Self {
        self.histogram_freq = n;
        self
    }
    /// Write the model's config for the graph dashboard (true).
    pub fn write_graph(mut self, on: bool) -> Self {
        self.write_graph = on;
        self
    }
    /// Also write the weights as images when histograms are written (false).
    pub fn write_images(mut self, on: bool) -> Self {
        self.write_images = on;
        self
    }
    /// Log training steps per second (false).
    pub fn write_steps_per_second(mut self, on: bool) -> Self {
        self.write_steps_per_second = on;
        self
    }
    /// Batch-level summaries (`"epoch"`: none).
    pub fn update_freq(mut self, f: impl Into<UpdateFreq>) -> Self {
        self.update_freq = f.into();
        self
    }
    /// The log directory.
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    fn writer(&mut self, run: Run) -> Result<&mut SummaryWriter> {
        let (slot, sub) = match run {
            Run::Train => (&mut self.train, "train"),
            Run::Validation => (&mut self.val, "validation"),
        };
        if slot.is_none() {
            *slot = Some(SummaryWriter::new(self.log_dir.join(sub))?);
        }
        slot.as_mut().ok_or_else(|| Error::InvalidArgument {
            api: "TensorBoard",
            msg: "no writer".into(),
        })
    }

    /// Whether summaries are recorded now (`record_if` of the innermost context).
    fn recording(&self) -> bool {
        match (self.update_freq.every(), self.contexts.last()) {
            (Some(n), Some(&(_, step))) => step.is_multiple_of(n),
            _ => true,
        }
    }

    fn push(&mut self, run: Run, step: u64) -> Result<()> {
        if self.update_freq.every().is_some() {
            self.writer(run)?;
            self.contexts.push((run, step));
        }
        Ok(())
    }

    fn pop(&mut self) {
        if self.update_freq.every().is_some() {
            self.contexts.pop();
        }
    }

    fn scalar(&mut self, run: Run, tag: &str, value: f64, step: i64) -> Result<()> {
        let rec = self.recording();
        let w = self.writer(run)?;
        if rec {
            w.scalar(tag, value, step)?;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        let mut first_err = None;
        for w in [self.train.take(), self.val.take()].into_iter().flatten() {
            let mut w = w;
            if let Err(e) = w.flush() {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Keras's `set_model`: new writers, and the model's config at step 0.
    fn begin(&mut self, model: &Model) -> Result<()> {
        self.close()?;
        self.contexts.clear();
        if self.update_freq == UpdateFreq::Batches(0) {
            return Err(Error::InvalidArgument {
                api: "TensorBoard",
                msg: "update_freq must be \"epoch\", \"batch\" or a positive integer. Received: update_freq=0".into(),
            });
        }
        if self.write_graph {
            let w = self.writer(Run::Train)?;
            // Keras writes it only for Sequential and Functional models
            if let Ok(json) = crate::saving::model_to_json(model) {
                w.write_tensor(
                    "keras",
                    "graph_keras_model",
                    b"1",
                    &TensorValue::Strings(vec![], vec![json.into_bytes()]),
                    0,
                )?;
            }
        }
        Ok(())
    }

    fn log_weights(&mut self, model: &Model, epoch: usize) -> Result<()> {
        let prefix = if model.is_sequential() {
            format!("{}/", model.name())
        } else {
            String::new()
        };
        let rec = self.recording();
        let write_images = self.write_images;
        let w = self.writer(Run::Train)?;
        if rec {
            for layer in model.layers() {
                for v in layer.weights() {
                    // kiln's variable names are already `<layer>/<weight>`
                    let name = format!("{prefix}{}", v.name()).replace(':', "_");
                    let value = v.value();
                    let data: Vec<f64> = value.cast(kiln_tensor::DType::F64)?.to_vec::<f64>()?;
                    w.histogram(&format!("{name}/histogram"), &data, epoch as i64)?;
                    if write_images {
                        let data32: Vec<f32> = data.iter().map(|&x| x as f32).collect();
                        if let Some((img, shape)) = weight_as_image(&data32, &v.shape()) {
                            w.image(&format!("{name}/image"), &img, shape, epoch as i64, 3)?;
                        }
                    }
                }
            }
        }
        w.flush()
    }
}

/// Keras's `_log_weight_as_image`: the squeezed weight as `[k, h, w, c]` images (a bias
/// as one column, a 2-D kernel with the longer axis across, a 3-D kernel as one image
/// per output channel), or `None` when it has no image form.
fn weight_as_image(data: &[f32], shape: &[usize]) -> Option<(Vec<f32>, [usize; 4])> {
    let s: Vec<usize> = shape.iter().copied().filter(|&d| d != 1).collect();
    match s.len() {
        1 => Some((data.to_vec(), [1, s[0], 1, 1])),
        2 => {
            let (r, c) = (s[0], s[1]);
            if r > c {
                let mut t = vec![0.0; data.len()];
                for i in 0..r {
                    for j in 0..c {
                        t[j * r + i] = data[i * c + j];
                    }
                }
                Some((t, [1, c, r, 1]))
            } else {
                Some((data.to_vec(), [1, r, c, 1]))
            }
        }
        3 => {
            // channels_last (a, b, k) -> (k, a, b)
            let (a, b, k) = (s[0], s[1], s[2]);
            let mut t = vec![0.0; data.len()];
            for i in 0..a {
                for j in 0..b {
                    for q in 0..k {
                        t[(q * a + i) * b + j] = data[(i * b + j) * k + q];
                    }
                }
            }
            Some((t, [k, a, b, 1]))
        }
        4 if matches!(s[3], 1 | 3 | 4) => Some((data.to_vec(), [s[0], s[1], s[2], s[3]])),
        _ => None,
    }
}

impl Callback for TensorBoard {
    fn on_train_begin(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        self.begin(model)?;
        self.in_fit = true;
        self.global_train_batch = 0;
        self.previous_epoch_iterations = 0;
        self.push(Run::Train, 0)
    }

    fn on_train_end(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        self.pop();
        self.in_fit = false;
        self.close()
    }

    fn on_test_begin(&mut self, model: &mut Model, _logs: &Logs) -> Result<()> {
        if !self.in_fit {
            self.begin(model)?;
        }
        self.push(Run::Validation, self.global_test_batch)
    }

    fn on_test_end(&mut self, model: &mut Model, logs: &Logs) -> Result<()> {
        if let Some(opt) = model.optimizer() {
            let step = opt.iterations() as i64;
            let entries: Vec<(String, f64)> =
                logs.iter().map(|(n, v)| (n.to_string(), v)).collect();
            self.writer(Run::Validation)?;
            for (name, v) in entries {
                self.scalar(
                    Run::Validation,
                    &format!("evaluation_{name}_vs_iterations"),
                    v,
                    step,
                )?;
            }
        }
        self.pop();
        if !self.in_fit {
            self.close()?;
        }
        Ok(())
    }

    fn on_train_batch_begin(
        &mut self,
        _model: &mut Model,
        _batch: usize,
        _logs: &Logs,
    ) -> Result<()> {
        self.global_train_batch += 1;
        if self.update_freq.every().is_some() {
            self.pop();
            self.push(Run::Train, self.global_train_batch)?;
        }
        if self.write_steps_per_second {
            self.batch_start = Some(Instant::now());
        }
        Ok(())
    }

    fn on_train_batch_end(&mut self, _model: &mut Model, _batch: usize, logs: &Logs) -> Result<()> {
        // batch summaries go to the default writer, which only a batch update_freq sets
        let Some(&(run, _)) = self.contexts.last() else {
            return Ok(());
        };
        let step = self.global_train_batch as i64;
        if let (true, Some(t)) = (self.write_steps_per_second, self.batch_start) {
            let secs = t.elapsed().as_secs_f64();
            self.scalar(run, "batch_steps_per_second", 1.0 / secs, step)?;
        }
        for (name, v) in logs.iter() {
            self.scalar(run, &format!("batch_{name}"), v, step)?;
        }
        Ok(())
    }

    fn on_test_batch_begin(
        &mut self,
        _model: &mut Model,
        _batch: usize,
        _logs: &Logs,
    ) -> Result<()> {
        self.global_test_batch += 1;
        if self.update_freq.every().is_some() {
            self.pop();
            self.push(Run::Validation, self.global_test_batch)?;
        }
        Ok(())
    }

    fn on_epoch_begin(&mut self, model: &mut Model, _epoch: usize, _logs: &Logs) -> Result<()> {
        if self.write_steps_per_second {
            self.previous_epoch_iterations = model.optimizer().map_or(0, |o| o.iterations());
            self.epoch_start = Some(Instant::now());
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        if !logs.is_empty() {
            let mut train = Logs::new();
            let mut val = Logs::new();
            for (name, v) in logs.iter() {
                match name.strip_prefix("val_") {
                    Some(rest) => val.insert(rest, v),
                    None => train.insert(name, v),
                }
            }
            if let Some(opt) = model.optimizer() {
                // `float(optimizer.learning_rate)`: the float32 variable's value
                train.insert("learning_rate", opt.learning_rate() as f32 as f64);
                if self.write_steps_per_second {
                    let done = opt
                        .iterations()
                        .saturating_sub(self.previous_epoch_iterations);
                    let secs = self.epoch_start.map_or(0.0, |t| t.elapsed().as_secs_f64());
                    train.insert("steps_per_second", done as f64 / secs);
                }
            }
            let step = epoch as i64;
            if !train.is_empty() {
                self.writer(Run::Train)?;
                for (name, v) in train.iter() {
                    self.scalar(Run::Train, &format!("epoch_{name}"), v, step)?;
                }
            }
            if !val.is_empty() {
                self.writer(Run::Validation)?;
                for (name, v) in val.iter() {
                    self.scalar(Run::Validation, &format!("epoch_{name}"), v, step)?;
                }
            }
        }
        if self.histogram_freq > 0 && epoch.is_multiple_of(self.histogram_freq) {
            self.log_weights(model, epoch)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_of_weights() {
        // a 4x3 kernel is shown transposed, 3 high and 4 wide
        let d: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let (img, shape) = weight_as_image(&d, &[4, 3]).unwrap();
        assert_eq!(shape, [1, 3, 4, 1]);
        assert_eq!(&img[..4], &[0.0, 3.0, 6.0, 9.0]);
        assert_eq!(weight_as_image(&d, &[3, 1, 4]).unwrap().1, [1, 3, 4, 1]);
        assert_eq!(weight_as_image(&[1.0], &[1, 1]), None);
        assert_eq!(weight_as_image(&d, &[2, 3, 2]).unwrap().1, [2, 2, 3, 1]);
    }

    /// Keras's `write_images` of fixed arrays (tools/golden/gen_tensorboard.py): the same
    /// image count, sizes and uint8 pixels, read back from kiln's PNGs.
    #[test]
    fn weight_images_equal_keras() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tools/golden/fixtures/tensorboard.json");
        let fx: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        for case in fx["images"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let data: Vec<f32> = case["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().parse::<f64>().unwrap() as f32)
                .collect();
            let shape: Vec<usize> = case["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let want = case["images"].as_array().unwrap();
            let Some((img, [k, h, w, c])) = weight_as_image(&data, &shape) else {
                assert!(want.is_empty(), "{name}");
                continue;
            };
            assert_eq!(k.min(3), want.len(), "{name}");
            for (i, wi) in want.iter().enumerate() {
                assert_eq!(
                    (h, w, c),
                    (
                        wi["height"].as_u64().unwrap() as usize,
                        wi["width"].as_u64().unwrap() as usize,
                        wi["channels"].as_u64().unwrap() as usize
                    ),
                    "{name}"
                );
                let chunk = &img[i * h * w * c..(i + 1) * h * w * c];
                let px: Vec<u8> = chunk.iter().map(|&x| events::to_u8(x)).collect();
                let png = events::encode_png(&px, w, h, c).unwrap();
                let mut dec = png::Decoder::new(std::io::Cursor::new(png))
                    .read_info()
                    .unwrap();
                let mut back = vec![0; dec.output_buffer_size().unwrap()];
                dec.next_frame(&mut back).unwrap();
                let want_px: Vec<u8> = wi["pixels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as u8)
                    .collect();
                assert_eq!(back, want_px, "{name} image {i}");
            }
        }
    }

    #[test]
    fn update_freq_parses() {
        assert_eq!("epoch".parse::<UpdateFreq>().unwrap(), UpdateFreq::Epoch);
        assert_eq!("batch".parse::<UpdateFreq>().unwrap(), UpdateFreq::Batch);
        assert_eq!("7".parse::<UpdateFreq>().unwrap(), UpdateFreq::Batches(7));
        assert!("often"
            .parse::<UpdateFreq>()
            .unwrap_err()
            .to_string()
            .contains("update_freq=often"));
    }
}
