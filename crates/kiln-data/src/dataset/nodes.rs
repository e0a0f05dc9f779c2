//! The pipeline stages behind [`Dataset`]'s methods. Each node starts an iterator for a
//! given pass number (reshuffling stages mix it into their seed).

use std::sync::{Arc, Mutex};

use kiln_tensor::random::Generator as Rng;
use kiln_tensor::Tensor;

use super::{stack_elements, Cardinality, Dataset, Element, ElementIter};
use crate::{DataError, Result};

fn invalid(api: &'static str, msg: String) -> DataError {
    DataError::Invalid { api, msg }
}

/// Rows of the sliced tensors in the order a pass visits them: lets `batch` gather each
/// batch with one row-gather per tensor instead of stacking per-element views.
pub(crate) struct RowPlan {
    pub template: Element,
    pub leaves: Vec<Tensor>,
    pub order: Vec<usize>,
}

pub(crate) trait Node: Send + Sync {
    fn iter(&self, pass: u64) -> ElementIter;
    fn cardinality(&self) -> Cardinality;
    fn row_plan(&self, _pass: u64) -> Option<RowPlan> {
        None
    }
}

fn sub_iter(ds: &Dataset, pass: u64) -> ElementIter {
    ds.pass_iter(pass)
}

// ----- sources ------------------------------------------------------------------------------

pub(crate) struct Slices {
    template: Element,
    leaves: Vec<Tensor>,
    n: usize,
}

impl Slices {
    pub fn new(element: Element) -> Result<Slices> {
        let leaves: Vec<Tensor> = element.leaves().into_iter().cloned().collect();
        let first = leaves
            .first()
            .ok_or_else(|| invalid("Dataset.from_tensor_slices", "no tensors to slice".into()))?;
        let n = *first.shape().first().ok_or_else(|| {
            invalid(
                "Dataset.from_tensor_slices",
                "cannot slice a scalar: every tensor needs a first axis".into(),
            )
        })?;
        for t in &leaves {
            if t.shape().first() != Some(&n) {
                return Err(invalid(
                    "Dataset.from_tensor_slices",
                    format!(
                        "all tensors must have the same first dimension; got shapes {}",
                        leaves
                            .iter()
                            .map(|t| format!("{:?}", t.shape()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        Ok(Slices {
            template: element,
            leaves,
            n,
        })
    }
}

fn row(t: &Tensor, i: usize) -> Result<Tensor> {
    let r = t.rank();
    let mut begin = vec![0isize; r];
    begin[0] = i as isize;
    let mut size = vec![-1isize; r];
    size[0] = 1;
    Ok(t.slice(&begin, &size)?.squeeze(&[0])?)
}

impl Node for Slices {
    fn iter(&self, _pass: u64) -> ElementIter {
        let (template, leaves) = (self.template.clone(), self.leaves.clone());
        Box::new((0..self.n).map(move |i| {
            let rows: Vec<Tensor> = leaves.iter().map(|t| row(t, i)).collect::<Result<_>>()?;
            Element::rebuild(&template, &mut rows.into_iter())
        }))
    }
    fn cardinality(&self) -> Cardinality {
        Cardinality::Finite(self.n)
    }
    fn row_plan(&self, _pass: u64) -> Option<RowPlan> {
        Some(RowPlan {
            template: self.template.clone(),
            leaves: self.leaves.clone(),
            order: (0..self.n).collect(),
        })
    }
}

type MakeIter = Arc<dyn Fn() -> ElementIter + Send + Sync>;

pub(crate) struct Generator(pub MakeIter);

impl Node for Generator {
    fn iter(&self, _pass: u64) -> ElementIter {
        (self.0)()
    }
    fn cardinality(&self) -> Cardinality {
        Cardinality::Unknown
    }
}

pub(crate) struct Range {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}

impl Node for Range {
    fn iter(&self, _pass: u64) -> ElementIter {
        let (start, stop, step) = (self.start, self.stop, self.step);
        let n = self.len();
        Box::new((0..n).map(move |i| {
            let v = start + step * i as i64;
            debug_assert!(if step > 0 { v < stop } else { v > stop });
            Ok(Element::Tensor(Tensor::scalar(v)))
        }))
    }
    fn cardinality(&self) -> Cardinality {
        Cardinality::Finite(self.len())
    }
}

impl Range {
    fn len(&self) -> usize {
        let span = self.stop - self.start;
        if (span > 0) != (self.step > 0) || span == 0 {
            0
        } else {
            ((span.abs() + self.step.abs() - 1) / self.step.abs()) as usize
        }
    }
}

// ----- element-wise stages ---------------------------------------------------------------------

type MapFn = Arc<dyn Fn(Element) -> Result<Element> + Send + Sync>;

pub(crate) struct Map {
    pub input: Dataset,
    pub f: MapFn,
    pub workers: usize,
}

impl Node for Map {
    fn iter(&self, pass: u64) -> ElementIter {
        let f = self.f.clone();
        let inner = sub_iter(&self.input, pass);
        if self.workers <= 1 {
            return Box::new(inner.map(move |e| e.and_then(|e| f(e))));
        }
        // Ordered parallel map: read a window of elements, map it on a pool of
        // `workers` threads (kept for the whole pass), emit in input order.
        let workers = self.workers;
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(workers).build() {
            Ok(p) => Arc::new(p),
            Err(e) => {
                let msg = format!("could not start {workers} map workers: {e}");
                return Box::new(std::iter::once(Err(invalid("Dataset.map_parallel", msg))));
            }
        };
        let window = workers * 64;
        let mut inner = inner;
        let mut ready: std::collections::VecDeque<Result<Element>> = Default::default();
        Box::new(std::iter::from_fn(move || {
            if ready.is_empty() {
                let chunk: Vec<Result<Element>> = inner.by_ref().take(window).collect();
                if chunk.is_empty() {
                    return None;
                }
                let f = &f;
                let out: Vec<Result<Element>> = pool.install(|| {
                    use rayon::prelude::*;
                    chunk
                        .into_par_iter()
                        .with_min_len(8)
                        .map(|e| e.and_then(|e| f(e)))
                        .collect()
                });
                ready.extend(out);
            }
            ready.pop_front()
        }))
    }
    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
}

type PredFn = Arc<dyn Fn(&Element) -> Result<bool> + Send + Sync>;

pub(crate) struct Filter {
    pub input: Dataset,
    pub pred: PredFn,
}

impl Node for Filter {
    fn iter(&self, pass: u64) -> ElementIter {
        let pred = self.pred.clone();
        Box::new(sub_iter(&self.input, pass).filter_map(move |e| match e {
            Ok(e) => match pred(&e) {
                Ok(true) => Some(Ok(e)),
                Ok(false) => None,
                Err(err) => Some(Err(err)),
            },
            Err(err) => Some(Err(err)),
        }))
    }
    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Infinite => Cardinality::Infinite,
            _ => Cardinality::Unknown,
        }
    }
}

pub(crate) struct Enumerate {
    pub input: Dataset,
    pub start: i64,
}

impl Node for Enumerate {
    fn iter(&self, pass: u64) -> ElementIter {
        let start = self.start;
        Box::new(sub_iter(&self.input, pass).enumerate().map(move |(i, e)| {
            Ok(Element::Tuple(vec![
                Element::Tensor(Tensor::scalar(start + i as i64)),
                e?,
            ]))
        }))
    }
    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
}

// ----- shuffling -----------------------------------------------------------------------------------

pub(crate) struct Shuffle {
    pub input: Dataset,
    pub buffer: usize,
    pub seed: u64,
    pub reshuffle: bool,
}

impl Shuffle {
    fn rng(&self, pass: u64) -> Rng {
        shuffle_rng(self.seed, self.reshuffle, pass)
    }
}

/// The generator a shuffle stage draws from in a given pass.
pub(crate) fn shuffle_rng(seed: u64, reshuffle: bool, pass: u64) -> Rng {
    let p = if reshuffle { pass } else { 0 };
    Rng::from_seed(seed ^ p.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The pass number a repeat stage gives its input's `rep`-th repetition.
pub(crate) fn repeat_pass(pass: u64, rep: usize) -> u64 {
    pass.wrapping_mul(1_000_003).wrapping_add(rep as u64)
}

/// TF's shuffle buffer over any stream: fill, then emit a random slot and refill it.
fn buffered_shuffle<T>(
    mut input: impl Iterator<Item = T>,
    buffer: usize,
    mut rng: Rng,
) -> impl Iterator<Item = T> {
    let mut buf: Vec<T> = Vec::with_capacity(buffer.min(1 << 16));
    std::iter::from_fn(move || {
        while buf.len() < buffer {
            match input.next() {
                Some(e) => buf.push(e),
                None => break,
            }
        }
        if buf.is_empty() {
            return None;
        }
        let j = (rng.next_u64() % buf.len() as u64) as usize;
        Some(buf.swap_remove(j))
    })
}

impl Node for Shuffle {
    fn iter(&self, pass: u64) -> ElementIter {
        Box::new(buffered_shuffle(
            sub_iter(&self.input, pass),
            self.buffer,
            self.rng(pass),
        ))
    }
    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
    fn row_plan(&self, pass: u64) -> Option<RowPlan> {
        let plan = self.input.node().row_plan(pass)?;
        let order = buffered_shuffle(plan.order.into_iter(), self.buffer, self.rng(pass)).collect();
        Some(RowPlan { order, ..plan })
    }
}

// ----- batching ------------------------------------------------------------------------------------

pub(crate) struct Batch {
    pub input: Dataset,
    pub size: usize,
    pub drop_remainder: bool,
}

impl Node for Batch {
    fn iter(&self, pass: u64) -> ElementIter {
        let (size, drop) = (self.size, self.drop_remainder);
        if let Some(plan) = self.input.node().row_plan(pass) {
            // Sliced tensors: one row-gather per tensor per batch.
            let RowPlan {
                template,
                leaves,
                order,
            } = plan;
            let nb = if drop {
                order.len() / size
            } else {
                order.len().div_ceil(size)
            };
            return Box::new((0..nb).map(move |b| {
                let idx: Vec<i64> = order[b * size..((b + 1) * size).min(order.len())]
                    .iter()
                    .map(|&i| i as i64)
                    .collect();
                let n = idx.len();
                let it = Tensor::from_vec(idx, &[n])?;
                let parts: Vec<Tensor> = leaves
                    .iter()
                    .map(|t| t.gather(&it, 0))
                    .collect::<std::result::Result<_, _>>()?;
                Element::rebuild(&template, &mut parts.into_iter())
            }));
        }
        let mut inner = sub_iter(&self.input, pass);
        Box::new(std::iter::from_fn(move || {
            let mut items = Vec::with_capacity(size);
            for e in inner.by_ref() {
                match e {
                    Ok(e) => items.push(e),
                    Err(err) => return Some(Err(err)),
                }
                if items.len() == size {
                    break;
                }
            }
            if items.is_empty() || (drop && items.len() < size) {
                return None;
            }
            Some(stack_elements("Dataset.batch", &items))
        }))
    }
    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Finite(n) if self.drop_remainder => Cardinality::Finite(n / self.size),
            Cardinality::Finite(n) => Cardinality::Finite(n.div_ceil(self.size)),
            other => other,
        }
    }
}

pub(crate) struct Unbatch {
    pub input: Dataset,
}

impl Node for Unbatch {
    fn iter(&self, pass: u64) -> ElementIter {
        let mut inner = sub_iter(&self.input, pass);
        let mut pending: std::collections::VecDeque<Result<Element>> = Default::default();
        Box::new(std::iter::from_fn(move || loop {
            if let Some(e) = pending.pop_front() {
                return Some(e);
            }
            let e = match inner.next()? {
                Ok(e) => e,
                Err(err) => return Some(Err(err)),
            };
            let leaves: Vec<Tensor> = e.leaves().into_iter().cloned().collect();
            let n = match leaves.first().and_then(|t| t.shape().first()) {
                Some(&n) => n,
                None => {
                    return Some(Err(invalid(
                        "Dataset.unbatch",
                        format!("elements must have a first axis, got {}", e.structure()),
                    )))
                }
            };
            if leaves.iter().any(|t| t.shape().first() != Some(&n)) {
                return Some(Err(invalid(
                    "Dataset.unbatch",
                    format!(
                        "components have different first dimensions: {}",
                        e.structure()
                    ),
                )));
            }
            for i in 0..n {
                pending.push_back(
                    leaves
                        .iter()
                        .map(|t| row(t, i))
                        .collect::<Result<Vec<_>>>()
                        .and_then(|rows| Element::rebuild(&e, &mut rows.into_iter())),
                );
            }
        }))
    }
    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Infinite => Cardinality::Infinite,
            _ => Cardinality::Unknown,
        }
    }
}

// ----- counting ----------------------------------------------------------------------------------

pub(crate) struct Repeat {
    pub input: Dataset,
    pub count: Option<usize>,
}

impl Node for Repeat {
    fn iter(&self, pass: u64) -> ElementIter {
        let input = self.input.clone();
        let count = self.count;
        let mut rep = 0usize;
        let mut cur: Option<ElementIter> = None;
        let mut yielded_this_rep = false;
        Box::new(std::iter::from_fn(move || loop {
            if cur.is_none() {
                if count.is_some_and(|c| rep >= c) {
                    return None;
                }
                // Each repetition is its own pass, so reshuffling stages reshuffle.
                cur = Some(sub_iter(&input, repeat_pass(pass, rep)));
                yielded_this_rep = false;
            }
            match cur.as_mut().and_then(|it| it.next()) {
                Some(e) => {
                    yielded_this_rep = true;
                    return Some(e);
                }
                None => {
                    cur = None;
                    rep += 1;
                    if !yielded_this_rep {
                        // An empty input repeated forever would spin: stop.
                        return None;
                    }
                }
            }
        }))
    }
    fn cardinality(&self) -> Cardinality {
        match (self.input.cardinality(), self.count) {
            (Cardinality::Finite(0), _) => Cardinality::Finite(0),
            (_, None) => Cardinality::Infinite,
            (Cardinality::Finite(n), Some(c)) => Cardinality::Finite(n * c),
            (other, Some(_)) => other,
        }
    }
}

pub(crate) struct Take {
    pub input: Dataset,
    pub count: usize,
}

impl Node for Take {
    fn iter(&self, pass: u64) -> ElementIter {
        Box::new(sub_iter(&self.input, pass).take(self.count))
    }
    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Finite(n) => Cardinality::Finite(n.min(self.count)),
            Cardinality::Infinite => Cardinality::Finite(self.count),
            Cardinality::Unknown => Cardinality::Unknown,
        }
    }
}

pub(crate) struct Skip {
    pub input: Dataset,
    pub count: usize,
}

impl Node for Skip {
    fn iter(&self, pass: u64) -> ElementIter {
        Box::new(sub_iter(&self.input, pass).skip(self.count))
    }
    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Finite(n) => Cardinality::Finite(n.saturating_sub(self.count)),
            other => other,
        }
    }
}

// ----- combining -----------------------------------------------------------------------------------

pub(crate) struct Zip {
    pub inputs: Vec<Dataset>,
}

impl Node for Zip {
    fn iter(&self, pass: u64) -> ElementIter {
        let mut its: Vec<ElementIter> = self.inputs.iter().map(|d| sub_iter(d, pass)).collect();
        Box::new(std::iter::from_fn(move || {
            if its.is_empty() {
                return None;
            }
            let mut parts = Vec::with_capacity(its.len());
            for it in its.iter_mut() {
                match it.next()? {
                    Ok(e) => parts.push(e),
                    Err(err) => return Some(Err(err)),
                }
            }
            Some(Ok(Element::Tuple(parts)))
        }))
    }
    fn cardinality(&self) -> Cardinality {
        let mut out = Cardinality::Infinite;
        for c in self.inputs.iter().map(Dataset::cardinality) {
            out = match (out, c) {
                (Cardinality::Finite(a), Cardinality::Finite(b)) => Cardinality::Finite(a.min(b)),
                (Cardinality::Infinite, x) | (x, Cardinality::Infinite) => x,
                _ => Cardinality::Unknown,
            };
        }
        out
    }
}

pub(crate) struct Concatenate {
    pub a: Dataset,
    pub b: Dataset,
}

impl Node for Concatenate {
    fn iter(&self, pass: u64) -> ElementIter {
        let mut first: Option<Element> = None;
        Box::new(
            sub_iter(&self.a, pass)
                .chain(sub_iter(&self.b, pass))
                .map(move |e| {
                    let e = e?;
                    match &first {
                        None => first = Some(e.clone()),
                        Some(f) if !f.same_structure(&e) => {
                            return Err(invalid(
                                "Dataset.concatenate",
                                format!(
                                    "the datasets have different element structures: {} and {}",
                                    f.structure(),
                                    e.structure()
                                ),
                            ))
                        }
                        _ => {}
                    }
                    Ok(e)
                }),
        )
    }
    fn cardinality(&self) -> Cardinality {
        match (self.a.cardinality(), self.b.cardinality()) {
            (Cardinality::Finite(a), Cardinality::Finite(b)) => Cardinality::Finite(a + b),
            (Cardinality::Infinite, _) | (_, Cardinality::Infinite) => Cardinality::Infinite,
            _ => Cardinality::Unknown,
        }
    }
}

// ----- performance ---------------------------------------------------------------------------------

pub(crate) struct Prefetch {
    pub input: Dataset,
    pub buffer: usize,
}

impl Node for Prefetch {
    fn iter(&self, pass: u64) -> ElementIter {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Element>>(self.buffer);
        let inner = sub_iter(&self.input, pass);
        // The producer stops when the consumer's receiver is dropped (send fails).
        std::thread::spawn(move || {
            for e in inner {
                if tx.send(e).is_err() {
                    break;
                }
            }
        });
        Box::new(rx.into_iter())
    }
    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
    fn row_plan(&self, _pass: u64) -> Option<RowPlan> {
        None
    }
}

pub(crate) struct Cache {
    pub input: Dataset,
    pub store: Arc<Mutex<Option<Arc<Vec<Element>>>>>,
}

impl Node for Cache {
    fn iter(&self, pass: u64) -> ElementIter {
        if let Some(done) = self.store.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            let n = done.len();
            return Box::new((0..n).map(move |i| Ok(done[i].clone())));
        }
        let store = self.store.clone();
        let mut seen: Vec<Element> = Vec::new();
        let mut inner = sub_iter(&self.input, pass);
        let mut failed = false;
        let mut ended = false;
        Box::new(std::iter::from_fn(move || {
            if ended {
                return None;
            }
            match inner.next() {
                Some(Ok(e)) => {
                    seen.push(e.clone());
                    Some(Ok(e))
                }
                Some(Err(err)) => {
                    failed = true;
                    Some(Err(err))
                }
                None => {
                    // Only a complete, error-free pass is cached, and only once: a
                    // later poll must not replace it with what it saw since (nothing).
                    ended = true;
                    if !failed {
                        *store.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(Arc::new(std::mem::take(&mut seen)));
                    }
                    None
                }
            }
        }))
    }
    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
}
