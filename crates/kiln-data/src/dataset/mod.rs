//! tf.data-style input pipelines: a [`Dataset`] is a re-iterable description of a stream
//! of [`Element`]s (tensors, tuples, named maps), built from tensors or any iterator and
//! transformed with `map`, `filter`, `shuffle`, `batch`, `repeat`, `prefetch` ... Each
//! call to [`Dataset::iter`] starts a new pass, so `fit` can iterate once per epoch; a
//! seeded `shuffle` with `reshuffle_each_iteration` gives a different but reproducible
//! order on every pass.
//!
//! ```
//! use kiln_data::dataset::Dataset;
//! use kiln_tensor::Tensor;
//! let x = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[10, 1])?;
//! let ds = Dataset::from_tensor_slices(x)?.shuffle_with(4, Some(1), true).batch(3)?;
//! let batches: Vec<_> = ds.iter().collect::<Result<_, _>>()?;
//! assert_eq!(batches.len(), 4);
//! assert_eq!(batches[3].as_tensor()?.shape(), &[1, 1]);
//! # Ok::<(), kiln_data::DataError>(())
//! ```
//!
//! `cache()` keeps the first pass in memory; `cache_file(filename)` (tf.data's
//! `cache(filename)`) keeps it in a file that later passes, and later processes, read.

#[cfg(test)]
mod chain_props;
mod element;
mod file_cache;
mod nodes;
mod padded;
mod timeseries;
mod window;

pub use element::Element;
pub use padded::PaddedShape;
pub use timeseries::{timeseries_dataset_from_array, Timeseries};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kiln_tensor::Tensor;

use crate::{DataError, Result};
use nodes::*;

/// `tf.data.AUTOTUNE`: pass it to [`Dataset::prefetch`] to let kiln choose the buffer.
pub const AUTOTUNE: usize = usize::MAX;

/// The buffer [`AUTOTUNE`] chooses for `prefetch`.
pub const AUTOTUNE_BUFFER: usize = 2;

/// A boxed stream of elements (one pass over a dataset).
pub type ElementIter = Box<dyn Iterator<Item = Result<Element>> + Send>;

/// How many elements a dataset yields (`tf.data.Dataset.cardinality`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cardinality {
    /// Exactly this many.
    Finite(usize),
    /// Never ends (`repeat()` without a count).
    Infinite,
    /// Not known without iterating (after `filter`, `from_generator`).
    Unknown,
}

impl Cardinality {
    /// TF's integer form: the count, -1 for infinite, -2 for unknown.
    ///
    /// ```
    /// use kiln_data::dataset::Cardinality;
    /// assert_eq!(Cardinality::Infinite.as_i64(), -1);
    /// assert_eq!(Cardinality::Finite(3).as_i64(), 3);
    /// ```
    pub fn as_i64(self) -> i64 {
        match self {
            Cardinality::Finite(n) => n as i64,
            Cardinality::Infinite => -1,
            Cardinality::Unknown => -2,
        }
    }
}

/// A re-iterable pipeline of [`Element`]s. Cheap to clone (shared description).
#[derive(Clone)]
pub struct Dataset {
    node: Arc<dyn Node>,
    passes: Arc<AtomicU64>,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dataset(cardinality={:?})", self.cardinality())
    }
}

fn invalid(api: &'static str, msg: String) -> DataError {
    DataError::Invalid { api, msg }
}

impl Dataset {
    fn from_node(node: impl Node + 'static) -> Dataset {
        Dataset {
            node: Arc::new(node),
            passes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Slices every tensor of `element` along its first axis
    /// (`tf.data.Dataset.from_tensor_slices`); all first dimensions must agree.
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// use kiln_tensor::{DType, Tensor};
    /// let x = Tensor::zeros(&[5, 3], DType::F32);
    /// let y = Tensor::zeros(&[5], DType::I64);
    /// let ds = Dataset::from_tensor_slices((x.clone(), y))?;
    /// assert_eq!(ds.cardinality().as_i64(), 5);
    /// let ragged = Dataset::from_tensor_slices((x, Tensor::zeros(&[4], DType::I64)));
    /// assert!(ragged.unwrap_err().to_string().contains("[4]"));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn from_tensor_slices(element: impl Into<Element>) -> Result<Dataset> {
        Ok(Dataset::from_node(Slices::new(element.into())?))
    }

    /// A dataset of strings, one rank-0 string tensor per element
    /// (`tf.data.Dataset.from_tensor_slices(["a", "b"])`).
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// let ds = Dataset::from_strings(vec!["the cat", "a dog"])?;
    /// let items = ds.collect()?;
    /// assert_eq!(items[1].as_tensor()?.item_str()?, "a dog");
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn from_strings<S: Into<String>>(strings: Vec<S>) -> Result<Dataset> {
        let n = strings.len();
        Dataset::from_tensor_slices(Tensor::from_strings(strings, &[n])?)
    }

    /// A dataset of exactly one element (`from_tensors`).
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// let ds = Dataset::from_tensors(kiln_tensor::Tensor::scalar(1.0f32));
    /// assert_eq!(ds.collect()?.len(), 1);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn from_tensors(element: impl Into<Element>) -> Dataset {
        let e = element.into();
        Dataset::from_generator(move || Box::new(std::iter::once(Ok(e.clone()))))
    }

    /// Elements from a closure that starts a fresh Rust iterator for each pass
    /// (`from_generator`); cardinality unknown.
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// use kiln_tensor::Tensor;
    /// let ds = Dataset::from_generator(|| Box::new((0..3).map(|i| Ok(Tensor::scalar(i as f32).into()))));
    /// assert_eq!(ds.collect()?.len(), 3);
    /// assert_eq!(ds.collect()?.len(), 3); // a second pass starts over
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn from_generator(make: impl Fn() -> ElementIter + Send + Sync + 'static) -> Dataset {
        Dataset::from_node(Generator(Arc::new(make)))
    }

    /// Scalars `start, start + step, ...` below `stop` (i64), as `Dataset.range`.
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// let v: Vec<i64> = Dataset::range(0, 10, 3)?.collect()?.iter()
    ///     .map(|e| e.as_tensor().unwrap().item::<i64>().unwrap()).collect();
    /// assert_eq!(v, vec![0, 3, 6, 9]);
    /// assert!(Dataset::range(0, 1, 0).is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn range(start: i64, stop: i64, step: i64) -> Result<Dataset> {
        if step == 0 {
            return Err(invalid("Dataset.range", "step must not be zero".into()));
        }
        Ok(Dataset::from_node(Range { start, stop, step }))
    }

    /// Starts a new pass.
    pub fn iter(&self) -> ElementIter {
        let pass = self.passes.fetch_add(1, Ordering::Relaxed);
        self.pass_iter(pass)
    }

    /// The one way a pass is started, by users and by downstream stages alike: the
    /// stream is fused, so a stage that polls again after the end (a shuffle buffer
    /// draining, a zip, a batch) gets `None` again and never re-enters the stage
    /// above (a cache would otherwise see a second, empty "end of pass").
    pub(crate) fn pass_iter(&self, pass: u64) -> ElementIter {
        Box::new(self.node.iter(pass).fuse())
    }

    /// One pass collected into a vector (`list(ds.as_numpy_iterator())`).
    pub fn collect(&self) -> Result<Vec<Element>> {
        self.iter().collect()
    }

    /// The number of elements, as TF computes it without iterating.
    pub fn cardinality(&self) -> Cardinality {
        self.node.cardinality()
    }

    /// Applies `f` to the `(x, y)` of every `(x, y)` element (Keras's
    /// `ds.map(lambda x, y: (f(x), y))`); an element of another structure is an error.
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// use kiln_tensor::{DType, Tensor};
    /// let ds = Dataset::from_tensor_slices((Tensor::ones(&[4, 2], DType::F32), Tensor::zeros(&[4], DType::I64)))?
    ///     .map_xy(|x, y| Ok((x.mul_scalar(0.5)?, y)));
    /// let first = &ds.collect()?[0];
    /// assert_eq!(first.leaves()[0].to_vec::<f32>()?, vec![0.5, 0.5]);
    /// assert!(Dataset::range(0, 2, 1)?.map_xy(|x, y| Ok((x, y))).collect().is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn map_xy(
        &self,
        f: impl Fn(Tensor, Tensor) -> Result<(Tensor, Tensor)> + Send + Sync + 'static,
    ) -> Dataset {
        self.map(move |e| match e {
            Element::Tuple(parts) if parts.len() == 2 => {
                let mut it = parts.into_iter();
                let (x, y) = (it.next(), it.next());
                match (x, y) {
                    (Some(Element::Tensor(x)), Some(Element::Tensor(y))) => {
                        let (x, y) = f(x, y)?;
                        Ok(Element::Tuple(vec![x.into(), y.into()]))
                    }
                    (x, y) => Err(invalid(
                        "Dataset.map_xy",
                        format!(
                            "expected (x, y) tensors, got ({}, {})",
                            x.map(|e| e.structure()).unwrap_or_default(),
                            y.map(|e| e.structure()).unwrap_or_default()
                        ),
                    )),
                }
            }
            other => Err(invalid(
                "Dataset.map_xy",
                format!("expected (x, y) elements, got {}", other.structure()),
            )),
        })
    }

    /// Applies `f` to every element.
    ///
    /// ```
    /// use kiln_data::dataset::{Dataset, Element};
    /// use kiln_tensor::Tensor;
    /// let ds = Dataset::range(0, 3, 1)?.map(|e| Ok(Element::Tensor(e.as_tensor()?.mul_scalar(2.0)?)));
    /// let v: Vec<i64> = ds.collect()?.iter().map(|e| e.as_tensor().unwrap().item::<i64>().unwrap()).collect();
    /// assert_eq!(v, vec![0, 2, 4]);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn map(&self, f: impl Fn(Element) -> Result<Element> + Send + Sync + 'static) -> Dataset {
        Dataset::from_node(Map {
            input: self.clone(),
            f: Arc::new(f),
            workers: 1,
        })
    }

    /// [`Dataset::map`] on `num_parallel_calls` worker threads; the output order is the
    /// input order (deterministic).
    pub fn map_parallel(
        &self,
        f: impl Fn(Element) -> Result<Element> + Send + Sync + 'static,
        num_parallel_calls: usize,
    ) -> Dataset {
        Dataset::from_node(Map {
            input: self.clone(),
            f: Arc::new(f),
            workers: num_parallel_calls.max(1),
        })
    }

    /// Keeps the elements for which `pred` is true.
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// let ds = Dataset::range(0, 10, 1)?.filter(|e| Ok(e.as_tensor()?.item::<i64>()? % 2 == 0));
    /// assert_eq!(ds.collect()?.len(), 5);
    /// assert_eq!(ds.cardinality().as_i64(), -2);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn filter(
        &self,
        pred: impl Fn(&Element) -> Result<bool> + Send + Sync + 'static,
    ) -> Dataset {
        Dataset::from_node(Filter {
            input: self.clone(),
            pred: Arc::new(pred),
        })
    }

    /// `ds.shuffle(buffer_size)`: TF's buffered shuffle with its defaults (no seed, a
    /// new order every pass). See [`Dataset::shuffle_with`].
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// let ds = Dataset::range(0, 10, 1)?.shuffle(10).batch(4)?;
    /// assert_eq!(ds.collect()?.len(), 3);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn shuffle(&self, buffer_size: usize) -> Dataset {
        self.shuffle_with(buffer_size, None, true)
    }

    /// TF's buffered shuffle: fill a buffer of `buffer_size`, emit a random slot and
    /// refill it. `seed` makes it reproducible; with `reshuffle_each_iteration` each pass
    /// uses a different (still reproducible) order.
    pub fn shuffle_with(
        &self,
        buffer_size: usize,
        seed: Option<u64>,
        reshuffle_each_iteration: bool,
    ) -> Dataset {
        let seed = seed.unwrap_or_else(|| kiln_tensor::random::Generator::from_global().next_u64());
        Dataset::from_node(Shuffle {
            input: self.clone(),
            buffer: buffer_size.max(1),
            seed,
            reshuffle: reshuffle_each_iteration,
        })
    }

    /// `ds.batch(batch_size)`: stacks consecutive elements into batches of `batch_size`,
    /// the last one smaller (TF's default `drop_remainder=False`). A `batch_size` of 0 is
    /// an `Err`.
    pub fn batch(&self, batch_size: usize) -> Result<Dataset> {
        self.batch_with(batch_size, false)
    }

    /// Stacks consecutive elements into batches of `batch_size` (the last one smaller
    /// unless `drop_remainder`).
    pub fn batch_with(&self, batch_size: usize, drop_remainder: bool) -> Result<Dataset> {
        if batch_size == 0 {
            return Err(invalid(
                "Dataset.batch",
                "batch_size must be at least 1".into(),
            ));
        }
        Ok(Dataset::from_node(Batch {
            input: self.clone(),
            size: batch_size,
            drop_remainder,
        }))
    }

    /// Batches `batch_size` consecutive elements, first padding every component to a
    /// common shape (`tf.data.Dataset.padded_batch`). With `padded_shapes` `None`, each
    /// component pads every axis to the longest in its batch; otherwise give one shape
    /// per component (depth-first, as [`Element::leaves`]), where `Some(n)` pads that
    /// axis to exactly `n` (an element longer than `n` is an `Err`) and `None` pads to
    /// the batch maximum. Pads at the end with `padding_values` (default 0, cast to each
    /// tensor's dtype; a value an integer or bool dtype cannot hold is an `Err`).
    /// Elements of different structure or rank are an `Err`.
    ///
    /// Differences from TF: one padding value for all components; without
    /// `padded_shapes`, TF pads only axes its static element spec leaves unknown, while
    /// kiln (which keeps no static shapes) pads every axis that varies.
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// use kiln_tensor::Tensor;
    /// let ds = Dataset::from_generator(|| Box::new((1..4).map(|n| {
    ///     Ok(Tensor::from_vec(vec![n as i64; n], &[n])?.into())
    /// })));
    /// let b = ds.padded_batch(3, None, None, false)?.collect()?;
    /// assert_eq!(b[0].as_tensor()?.to_vec::<i64>()?, vec![1, 0, 0, 2, 2, 0, 3, 3, 3]);
    /// let b = ds.padded_batch(2, Some(vec![vec![Some(4)]]), Some(-1.0), true)?.collect()?;
    /// assert_eq!(b.len(), 1);
    /// assert_eq!(b[0].as_tensor()?.to_vec::<i64>()?, vec![1, -1, -1, -1, 2, 2, -1, -1]);
    /// // Padding to a length shorter than an element is an error.
    /// let short = ds.padded_batch(3, Some(vec![vec![Some(2)]]), None, false)?;
    /// assert!(short.collect().unwrap_err().to_string().contains("smaller"));
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn padded_batch(
        &self,
        batch_size: usize,
        padded_shapes: Option<Vec<PaddedShape>>,
        padding_values: Option<f64>,
        drop_remainder: bool,
    ) -> Result<Dataset> {
        if batch_size == 0 {
            return Err(invalid(
                "Dataset.padded_batch",
                "batch_size must be at least 1".into(),
            ));
        }
        Ok(Dataset::from_node(padded::PaddedBatch {
            input: self.clone(),
            size: batch_size,
            shapes: padded_shapes,
            value: padding_values.unwrap_or(0.0),
            drop_remainder,
        }))
    }

    /// Groups elements into windows of `size` (`tf.data.Dataset.window`): window `i`
    /// holds elements `i*shift + k*stride` for `k < size`; `shift` defaults to `size`,
    /// `stride` to 1. Windows near the end are shorter unless `drop_remainder`. Zero
    /// `size`, `shift` or `stride` is an `Err`.
    ///
    /// Deviation from TF: tf.data yields every window as a nested dataset; kiln yields
    /// the window's elements stacked along a new first axis (keeping the element
    /// structure), i.e. what `ds.window(size, ...).flat_map(lambda w: w.batch(size))`
    /// gives in TF.
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// let ds = Dataset::range(0, 7, 1)?.window(3, Some(1), 2, false)?;
    /// let w: Vec<Vec<i64>> = ds.collect()?.iter()
    ///     .map(|e| e.as_tensor().unwrap().to_vec::<i64>().unwrap()).collect();
    /// assert_eq!(w, vec![vec![0, 2, 4], vec![1, 3, 5], vec![2, 4, 6], vec![3, 5], vec![4, 6], vec![5], vec![6]]);
    /// assert_eq!(Dataset::range(0, 7, 1)?.window(3, Some(1), 2, true)?.cardinality().as_i64(), 3);
    /// assert!(Dataset::range(0, 7, 1)?.window(0, None, 1, false).is_err());
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn window(
        &self,
        size: usize,
        shift: Option<usize>,
        stride: usize,
        drop_remainder: bool,
    ) -> Result<Dataset> {
        let shift = shift.unwrap_or(size);
        for (name, v) in [("size", size), ("shift", shift), ("stride", stride)] {
            if v == 0 {
                return Err(invalid(
                    "Dataset.window",
                    format!("`{name}` must be greater than zero, got 0"),
                ));
            }
        }
        Ok(Dataset::from_node(window::Window {
            input: self.clone(),
            size,
            shift,
            stride,
            drop_remainder,
        }))
    }

    /// Splits every element along its first axis (the inverse of `batch`).
    pub fn unbatch(&self) -> Dataset {
        Dataset::from_node(Unbatch {
            input: self.clone(),
        })
    }

    /// Repeats the dataset `count` times (`None`: forever).
    pub fn repeat(&self, count: Option<usize>) -> Dataset {
        Dataset::from_node(Repeat {
            input: self.clone(),
            count,
        })
    }

    /// The first `count` elements.
    pub fn take(&self, count: usize) -> Dataset {
        Dataset::from_node(Take {
            input: self.clone(),
            count,
        })
    }

    /// All but the first `count` elements.
    pub fn skip(&self, count: usize) -> Dataset {
        Dataset::from_node(Skip {
            input: self.clone(),
            count,
        })
    }

    /// Produces up to `buffer_size` elements ahead on a background thread;
    /// [`AUTOTUNE`] (`tf.data.AUTOTUNE`) lets kiln choose (a fixed buffer of
    /// [`AUTOTUNE_BUFFER`] elements: one batch being consumed while the next are made).
    ///
    /// ```
    /// use kiln_data::dataset::{Dataset, AUTOTUNE};
    /// let ds = Dataset::range(0, 10, 1)?.prefetch(AUTOTUNE);
    /// assert_eq!(ds.collect()?.len(), 10);
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn prefetch(&self, buffer_size: usize) -> Dataset {
        let buffer = if buffer_size == AUTOTUNE {
            AUTOTUNE_BUFFER
        } else {
            buffer_size.max(1)
        };
        Dataset::from_node(Prefetch {
            input: self.clone(),
            buffer,
        })
    }

    /// Keeps the elements of the first pass in memory and replays them afterwards.
    pub fn cache(&self) -> Dataset {
        Dataset::from_node(Cache {
            input: self.clone(),
            store: Arc::new(std::sync::Mutex::new(None)),
        })
    }

    /// `tf.data.Dataset.cache(filename)`: the first complete pass writes every element to
    /// `filename`; any pass that finds the file reads it instead of running the pipeline
    /// upstream (also in a later process; delete the file to rebuild it). The file is
    /// written under a temporary name and renamed into place only when the pass ends
    /// without error, so an abandoned or failed pass leaves nothing that would be read as
    /// complete. A truncated or corrupt file gives an `Err` naming it. One file (no
    /// `.index`/`.data-*` shards as TF writes); the format is documented in
    /// `dataset/file_cache.rs`.
    ///
    /// ```
    /// use kiln_data::dataset::Dataset;
    /// use kiln_tensor::Tensor;
    /// let path = std::env::temp_dir().join(format!("kiln_cache_doc_{}", std::process::id()));
    /// let ds = Dataset::range(0, 4, 1)?.cache_file(&path);
    /// let first: Vec<_> = ds.iter().collect::<Result<_, _>>()?;
    /// assert!(path.exists());
    /// let again: Vec<_> = ds.iter().collect::<Result<_, _>>()?;
    /// assert_eq!(again[3].as_tensor()?.item::<i64>()?, 3);
    /// assert_eq!(first.len(), again.len());
    /// std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), kiln_data::DataError>(())
    /// ```
    pub fn cache_file(&self, filename: impl AsRef<std::path::Path>) -> Dataset {
        Dataset::from_node(file_cache::FileCache {
            input: self.clone(),
            path: filename.as_ref().to_path_buf(),
        })
    }

    /// Tuples of the i-th elements of each dataset; stops at the shortest.
    pub fn zip(datasets: &[Dataset]) -> Dataset {
        Dataset::from_node(Zip {
            inputs: datasets.to_vec(),
        })
    }

    /// This dataset's elements followed by `other`'s (same structure required).
    pub fn concatenate(&self, other: &Dataset) -> Dataset {
        Dataset::from_node(Concatenate {
            a: self.clone(),
            b: other.clone(),
        })
    }

    /// `(index, element)` tuples, counting from `start`.
    pub fn enumerate(&self, start: i64) -> Dataset {
        Dataset::from_node(Enumerate {
            input: self.clone(),
            start,
        })
    }

    pub(crate) fn node(&self) -> &Arc<dyn Node> {
        &self.node
    }
}

/// Stacks same-structure elements along a new first axis.
pub(crate) fn stack_elements(api: &'static str, items: &[Element]) -> Result<Element> {
    let first = items
        .first()
        .ok_or_else(|| invalid(api, "cannot stack zero elements".into()))?;
    let per: Vec<Vec<&Tensor>> = items.iter().map(|e| e.leaves()).collect();
    let nleaves = per[0].len();
    let mut stacked = Vec::with_capacity(nleaves);
    for i in 0..nleaves {
        let col: Vec<&Tensor> = per
            .iter()
            .map(|l| {
                l.get(i).copied().ok_or_else(|| {
                    invalid(
                        api,
                        format!("elements of different structure: {}", first.structure()),
                    )
                })
            })
            .collect::<Result<_>>()?;
        let shape0 = col[0].shape();
        if let Some(bad) = col.iter().find(|t| t.shape() != shape0) {
            return Err(invalid(
                api,
                format!(
                    "cannot batch tensors of different shapes {:?} and {:?} (use padded_batch for ragged elements)",
                    shape0,
                    bad.shape()
                ),
            ));
        }
        stacked.push(Tensor::stack(&col, 0)?);
    }
    Element::rebuild(first, &mut stacked.into_iter())
}
