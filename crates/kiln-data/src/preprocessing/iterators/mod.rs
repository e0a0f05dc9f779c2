//! `ImageDataGenerator.flow` / `flow_from_directory`: Keras's `NumpyArrayIterator` and
//! `DirectoryIterator`, with the batch order and random stream of Keras's `Iterator`.

mod directory;
mod numpy_array;

use std::path::PathBuf;

use kiln_tensor::{DType, Tensor};

use crate::numpy_random::RandomState;
use crate::utils::directory::invalid;
use crate::Result;
pub use directory::{DirectoryIterator, FlowFromDirectoryArgs, DIRECTORY_FORMATS};
pub use numpy_array::{FlowArgs, NumpyArrayIterator};

/// Keras's `Iterator` bookkeeping: the index order (a fresh permutation at the start of
/// each epoch when shuffling) and the random stream, reseeded with
/// `seed + total_batches_seen` before every batch when a seed is given.
#[derive(Clone, Debug)]
struct FlowState {
    n: usize,
    batch_size: usize,
    shuffle: bool,
    seed: Option<u32>,
    rng_seed: u32,
    batch_index: usize,
    total_batches_seen: u64,
    index_array: Vec<usize>,
}

impl FlowState {
    fn new(n: usize, batch_size: usize, shuffle: bool, seed: Option<u64>) -> Result<FlowState> {
        if batch_size == 0 {
            return Err(invalid(
                "ImageDataGenerator.flow",
                "batch_size must be positive",
            ));
        }
        let seed = match seed {
            Some(s) => Some(u32::try_from(s).map_err(|_| {
                invalid(
                    "ImageDataGenerator.flow",
                    format!("seed must be between 0 and 2**32 - 1, got {s}"),
                )
            })?),
            None => None,
        };
        Ok(FlowState {
            n,
            batch_size,
            shuffle,
            seed,
            rng_seed: kiln_tensor::random::Generator::from_global().next_u64() as u32,
            batch_index: 0,
            total_batches_seen: 0,
            index_array: (0..n).collect(),
        })
    }

    fn steps(&self) -> usize {
        self.n.div_ceil(self.batch_size)
    }

    /// The state at the start of epoch `epoch` of the endless stream.
    fn at_epoch(&self, epoch: u64) -> FlowState {
        let mut s = self.clone();
        s.batch_index = 0;
        s.total_batches_seen = epoch * self.steps() as u64;
        s.rng_seed = self
            .rng_seed
            .wrapping_add((epoch as u32).wrapping_mul(0x9e37_79b9));
        s
    }

    /// `_flow_index`'s next step: the indices of the next batch and the random stream its
    /// transforms draw from.
    fn next(&mut self, rng: &mut RandomState) -> Result<Vec<usize>> {
        if let Some(seed) = self.seed {
            let s = u64::from(seed) + self.total_batches_seen;
            let s = u32::try_from(s).map_err(|_| {
                invalid(
                    "ImageDataGenerator.flow",
                    format!("seed + batches seen = {s} exceeds 2**32 - 1 (NumPy's limit)"),
                )
            })?;
            *rng = RandomState::new(s);
        }
        if self.batch_index == 0 {
            self.index_array = if self.shuffle {
                rng.permutation(self.n)
            } else {
                (0..self.n).collect()
            };
        }
        let current = if self.n == 0 {
            0
        } else {
            (self.batch_index * self.batch_size) % self.n
        };
        if self.n > current + self.batch_size {
            self.batch_index += 1;
        } else {
            self.batch_index = 0;
        }
        self.total_batches_seen += 1;
        Ok(self.index_array[current..(current + self.batch_size).min(self.n)].to_vec())
    }
}

fn stack(images: Vec<Tensor>, item_shape: &[usize]) -> Result<Tensor> {
    if images.is_empty() {
        let mut shape = vec![0];
        shape.extend_from_slice(item_shape);
        return Ok(Tensor::zeros(&shape, DType::F32));
    }
    let refs: Vec<&Tensor> = images.iter().collect();
    Ok(Tensor::stack(&refs, 0)?)
}

/// Where `save_to_dir` writes the yielded images (Keras's debugging aid).
#[derive(Debug, Clone, Default)]
pub struct SaveToDir {
    /// The folder (must exist, as for Keras).
    pub dir: PathBuf,
    /// File name prefix.
    pub prefix: String,
    /// `"png"` or `"jpeg"`/`"jpg"` (quality 75, Pillow's default).
    pub format: String,
}

impl SaveToDir {
    /// `save_to_dir=dir, save_prefix=prefix, save_format=format`.
    ///
    /// ```
    /// let s = kiln_data::preprocessing::image::SaveToDir::new("/tmp", "aug", "png");
    /// assert_eq!(s.format, "png");
    /// ```
    pub fn new(dir: impl Into<PathBuf>, prefix: &str, format: &str) -> SaveToDir {
        SaveToDir {
            dir: dir.into(),
            prefix: prefix.into(),
            format: format.into(),
        }
    }

    /// Writes image `k` of `batch` (`[n, h, w, c]`) as `{prefix}_{index}_{hash}.{format}`,
    /// scaled to 0..255 like `array_to_img(scale=True)`; `hash` is
    /// `np.random.randint(hash_bound)` from the iterator's stream, as in Keras.
    fn save(
        &self,
        batch: &Tensor,
        k: usize,
        index: usize,
        hash_bound: u64,
        rng: &mut RandomState,
    ) -> Result<()> {
        let img = rows(batch, k, k + 1)?;
        let img = img.reshape(
            &batch.shape()[1..]
                .iter()
                .map(|&d| d as isize)
                .collect::<Vec<_>>(),
        )?;
        let img = crate::image::array_to_img(&img, true)?;
        let bytes = match self.format.to_lowercase().as_str() {
            "png" => crate::image::encode_png(&img)?,
            "jpeg" | "jpg" => crate::image::encode_jpeg(&img, 75)?,
            f => {
                return Err(invalid(
                    "ImageDataGenerator save_to_dir",
                    format!("save_format {f:?} is not supported (png or jpeg)"),
                ))
            }
        };
        let hash = rng.randint(hash_bound);
        let path = self
            .dir
            .join(format!("{}_{index}_{hash}.{}", self.prefix, self.format));
        std::fs::write(&path, bytes).map_err(|e| crate::idx::io_err(&path, e))
    }
}

/// Rows `idx` of `t` along axis 0.
fn gather_rows(t: &Tensor, idx: &[usize]) -> Result<Tensor> {
    let ind = Tensor::from_vec(
        idx.iter().map(|&i| i as i64).collect::<Vec<_>>(),
        &[idx.len()],
    )?;
    Ok(t.gather(&ind, 0)?)
}

fn rows(t: &Tensor, start: usize, end: usize) -> Result<Tensor> {
    gather_rows(t, &(start..end).collect::<Vec<_>>())
}
