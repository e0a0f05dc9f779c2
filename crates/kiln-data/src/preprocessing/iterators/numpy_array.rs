//! `ImageDataGenerator.flow`: Keras's `NumpyArrayIterator` and its arguments.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kiln_tensor::{DType, Tensor};

use crate::dataset::{Dataset, Element, ElementIter};
use crate::numpy_random::RandomState;
use crate::preprocessing::image_data_generator::{python_shape, ImageDataGenerator};
use crate::utils::directory::invalid;
use crate::Result;

use super::{gather_rows, rows, stack, FlowState, SaveToDir};

/// The arguments of [`ImageDataGenerator::flow`] (Keras's defaults: `batch_size = 32`,
/// `shuffle = true`).
///
/// ```
/// let a = kiln_data::preprocessing::image::FlowArgs::new().batch_size(8).seed(1);
/// assert_eq!((a.batch_size, a.seed), (8, Some(1)));
/// ```
#[derive(Debug, Clone)]
pub struct FlowArgs {
    /// Samples per batch.
    pub batch_size: usize,
    /// Reshuffle at the start of each epoch.
    pub shuffle: bool,
    /// Per-sample weights, yielded as a third element.
    pub sample_weight: Option<Tensor>,
    /// Seed of the shuffles and transforms.
    pub seed: Option<u64>,
    /// `"training"` or `"validation"` (with the generator's `validation_split`).
    pub subset: Option<String>,
    /// Skip the check that both subsets contain the same classes.
    pub ignore_class_split: bool,
    /// Also write each yielded image to a folder.
    pub save_to_dir: Option<SaveToDir>,
}

impl Default for FlowArgs {
    fn default() -> Self {
        FlowArgs {
            batch_size: 32,
            shuffle: true,
            sample_weight: None,
            seed: None,
            subset: None,
            ignore_class_split: false,
            save_to_dir: None,
        }
    }
}

impl FlowArgs {
    /// Keras's defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `batch_size`.
    pub fn batch_size(mut self, b: usize) -> Self {
        self.batch_size = b;
        self
    }
    /// Sets `shuffle`.
    pub fn shuffle(mut self, s: bool) -> Self {
        self.shuffle = s;
        self
    }
    /// Sets `seed`.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = Some(s);
        self
    }
    /// Sets `sample_weight`.
    pub fn sample_weight(mut self, w: Tensor) -> Self {
        self.sample_weight = Some(w);
        self
    }
    /// Sets `subset`.
    pub fn subset(mut self, s: &str) -> Self {
        self.subset = Some(s.into());
        self
    }
}

/// `NumpyArrayIterator`: endless batches `x`, `(x, y)` or `(x, y, sample_weight)` of
/// augmented, standardized images from an array (Keras's `for batch in
/// datagen.flow(...)` loop, which never ends). [`NumpyArrayIterator::to_dataset`] gives
/// a finite, re-iterable [`Dataset`] of one epoch per pass for `fit_dataset`.
///
/// ```
/// use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};
/// use kiln_tensor::{DType, Tensor};
/// let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default())?;
/// let it = g.flow(&Tensor::zeros(&[3, 2, 2, 1], DType::F32), None, FlowArgs::new().batch_size(2))?;
/// assert_eq!((it.len(), it.n(), it.is_empty()), (2, 3, false));
/// // The stream never ends: epochs follow each other.
/// assert_eq!(it.take(5).count(), 5);
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct NumpyArrayIterator {
    pub(super) generator: Arc<ImageDataGenerator>,
    pub(super) x: Tensor,
    pub(super) y: Option<Tensor>,
    pub(super) sample_weight: Option<Tensor>,
    pub(super) save_to_dir: Option<SaveToDir>,
    pub(super) state: FlowState,
    pub(super) rng: RandomState,
}

impl ImageDataGenerator {
    /// `flow(x, y, batch_size, shuffle, sample_weight, seed, subset)` over a
    /// `[n, h, w, c]` array (cast to float32). Errors as Keras's: mismatched lengths, a
    /// rank other than 4, an unknown subset, subsets with different classes.
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};
    /// use kiln_tensor::{DType, Tensor};
    /// let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default())?;
    /// let x = Tensor::zeros(&[5, 2, 2, 1], DType::F32);
    /// let y = Tensor::from_vec(vec![0i64, 1, 2, 3, 4], &[5])?;
    /// let mut it = g.flow(&x, Some(&y), FlowArgs::new().batch_size(2).shuffle(false))?;
    /// let b = it.next().unwrap()?;
    /// assert_eq!(b.tuple()?[1].as_tensor()?.to_vec::<i64>()?, vec![0, 1]);
    /// assert_eq!(it.len(), 3);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn flow(
        &self,
        x: &Tensor,
        y: Option<&Tensor>,
        args: FlowArgs,
    ) -> Result<NumpyArrayIterator> {
        const API: &str = "ImageDataGenerator.flow";
        let len = |t: &Tensor| t.shape().first().copied().unwrap_or(0);
        let mut x = x.cast(DType::F32)?;
        let mut y = y.cloned();
        let mut sw = args.sample_weight.clone();
        if let Some(y) = &y
            && len(&x) != len(y)
        {
            return Err(invalid(
                API,
                format!(
                    "`x` (images tensor) and `y` (labels) should have the same length. \
                     Found: x.shape = {}, y.shape = {}",
                    python_shape(x.shape()),
                    python_shape(y.shape())
                ),
            ));
        }
        if let Some(w) = &sw
            && len(&x) != len(w)
        {
            return Err(invalid(
                API,
                format!(
                    "`x` (images tensor) and `sample_weight` should have the same length. \
                     Found: x.shape = {}, sample_weight.shape = {}",
                    python_shape(x.shape()),
                    python_shape(w.shape())
                ),
            ));
        }
        if let Some(subset) = &args.subset {
            if subset != "training" && subset != "validation" {
                return Err(invalid(
                    API,
                    format!(
                        "Invalid subset name: {subset}; expected \"training\" or \"validation\"."
                    ),
                ));
            }
            let n = len(&x);
            let split = (n as f64 * self.args().validation_split) as usize;
            if let (Some(y), false) = (&y, args.ignore_class_split) {
                let uniq = |t: Tensor| -> Vec<u64> {
                    let mut v: Vec<u64> = t.to_f64_vec().iter().map(|f| f.to_bits()).collect();
                    v.sort();
                    v.dedup();
                    v
                };
                let a = uniq(rows(y, 0, split)?);
                let b = uniq(rows(y, split, n)?);
                if a != b {
                    return Err(invalid(
                        API,
                        "Training and validation subsets have different number of classes \
                         after the split. If your numpy arrays are sorted by the label, you \
                         might want to shuffle them.",
                    ));
                }
            }
            let r = if subset == "validation" {
                (0, split)
            } else {
                (split, n)
            };
            x = rows(&x, r.0, r.1)?;
            y = y.map(|t| rows(&t, r.0, r.1)).transpose()?;
            sw = sw.map(|t| rows(&t, r.0, r.1)).transpose()?;
        }
        if x.shape().len() != 4 {
            return Err(invalid(
                API,
                format!(
                    "Input data in `NumpyArrayIterator` should have rank 4. You passed an \
                     array with shape {}",
                    python_shape(x.shape())
                ),
            ));
        }
        let state = FlowState::new(len(&x), args.batch_size, args.shuffle, args.seed)?;
        let rng = RandomState::new(state.rng_seed);
        Ok(NumpyArrayIterator {
            generator: Arc::new(self.clone()),
            x,
            y,
            sample_weight: sw,
            save_to_dir: args.save_to_dir.clone(),
            state,
            rng,
        })
    }
}

impl NumpyArrayIterator {
    /// Batches per epoch (`len(iterator)`).
    pub fn len(&self) -> usize {
        self.state.steps()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.state.n == 0
    }

    /// The number of samples.
    pub fn n(&self) -> usize {
        self.state.n
    }

    pub(super) fn next_batch(&mut self) -> Result<Element> {
        let idx = self.state.next(&mut self.rng)?;
        let item_shape = self.x.shape()[1..].to_vec();
        let mut images = Vec::with_capacity(idx.len());
        for &j in &idx {
            let img = rows(&self.x, j, j + 1)?
                .reshape(&item_shape.iter().map(|&d| d as isize).collect::<Vec<_>>())?;
            let p = self.generator.random_params(&item_shape, &mut self.rng)?;
            let img = self.generator.apply_transform(&img, &p)?;
            images.push(self.generator.standardize(&img)?);
        }
        let bx = stack(images, &item_shape)?;
        if let Some(save) = &self.save_to_dir {
            for (k, &j) in idx.iter().enumerate() {
                save.save(&bx, k, j, 10_000, &mut self.rng)?;
            }
        }
        let Some(y) = &self.y else {
            return Ok(bx.into());
        };
        let mut parts = vec![Element::from(bx), gather_rows(y, &idx)?.into()];
        if let Some(w) = &self.sample_weight {
            parts.push(gather_rows(w, &idx)?.into());
        }
        Ok(Element::Tuple(parts))
    }

    /// A [`Dataset`] whose pass `k` is epoch `k` of this iterator's stream (the same
    /// batches Keras's `for batch in flow(...)` yields in that epoch when seeded), so it
    /// can feed `Model::fit_dataset`.
    ///
    /// ```
    /// use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};
    /// use kiln_tensor::{DType, Tensor};
    /// let g = ImageDataGenerator::new(ImageDataGeneratorArgs::default())?;
    /// let x = Tensor::zeros(&[5, 2, 2, 1], DType::F32);
    /// let y = Tensor::zeros(&[5, 1], DType::F32);
    /// let ds = g.flow(&x, Some(&y), FlowArgs::new().batch_size(2).seed(3))?.to_dataset();
    /// assert_eq!(ds.cardinality().as_i64(), 3);
    /// assert_eq!(ds.collect()?.len(), 3);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn to_dataset(&self) -> Dataset {
        let base = self.clone();
        let steps = self.len();
        let epoch = Arc::new(AtomicU64::new(0));
        // repeat + take gives the dataset its finite cardinality (one epoch) while each
        // pass draws exactly one generator run.
        Dataset::from_generator(move || -> ElementIter {
            let e = epoch.fetch_add(1, Ordering::Relaxed);
            let mut it = base.clone();
            it.state = base.state.at_epoch(e);
            it.rng = RandomState::new(it.state.rng_seed);
            Box::new((0..steps).map(move |_| it.next_batch()))
        })
        .repeat(None)
        .take(steps)
    }
}

impl Iterator for NumpyArrayIterator {
    type Item = Result<Element>;
    /// The next batch; never `None` (the stream is endless, like Keras's).
    fn next(&mut self) -> Option<Result<Element>> {
        Some(self.next_batch())
    }
}
