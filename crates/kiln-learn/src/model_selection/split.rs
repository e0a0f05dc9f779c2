//! Data splitters: `KFold`, `StratifiedKFold`, `ShuffleSplit`,
//! `StratifiedShuffleSplit` and `train_test_split` (`sklearn/model_selection/_split.py`).
//! They return index vectors; [`take`] applies them to data.

use crate::error::{LearnError, Result, Warning};
use crate::label::{py_list_repr, unique_sorted, Label};
use crate::numeric::np_sum;
use crate::pyfmt::py_float_repr;
use crate::random::RandomState;

/// One train/test split: the sample indices of each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Training indices.
    pub train: Vec<usize>,
    /// Test indices.
    pub test: Vec<usize>,
}

/// `check_random_state`: a seeded `RandomState` for an integer, fresh entropy for `None`.
fn check_random_state(seed: Option<u32>) -> RandomState {
    seed.map_or_else(RandomState::from_entropy, RandomState::new)
}

/// The elements of `data` at `indices`, in order (scikit-learn's `_safe_indexing`).
///
/// ```
/// use kiln_learn::model_selection::take;
///
/// assert_eq!(take(&["a", "b", "c"], &[2, 0]), vec!["c", "a"]);
/// ```
pub fn take<T: Clone>(data: &[T], indices: &[usize]) -> Vec<T> {
    indices.iter().map(|&i| data[i].clone()).collect()
}

fn check_n_splits(n_splits: usize, shuffle: bool, random_state: Option<u32>) -> Result<()> {
    if n_splits <= 1 {
        return Err(LearnError::TooFewSplits { n_splits });
    }
    if !shuffle && random_state.is_some() {
        return Err(LearnError::RandomStateWithoutShuffle);
    }
    Ok(())
}

/// Splits from a test-fold assignment: fold `i`'s test set is the samples assigned to it.
fn splits_from_masks(n_samples: usize, n_splits: usize, test_fold: &[usize]) -> Vec<Split> {
    (0..n_splits)
        .map(|fold| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..n_samples).partition(|&i| test_fold[i] == fold);
            Split { train, test }
        })
        .collect()
}

/// K-fold cross-validation: consecutive folds (shuffled first with `shuffle`), the
/// first `n_samples % n_splits` one sample larger (`sklearn.model_selection.KFold`).
///
/// ```
/// use kiln_learn::model_selection::KFold;
///
/// let folds = KFold::new(2, false, None)?.split(4)?;
/// assert_eq!(folds[0].test, vec![0, 1]);
/// assert_eq!(folds[0].train, vec![2, 3]);
///
/// let shuffled = KFold::new(3, true, Some(0))?.split(6)?;
/// assert_eq!(shuffled[0].test, vec![2, 5]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KFold {
    n_splits: usize,
    shuffle: bool,
    random_state: Option<u32>,
}

impl Default for KFold {
    /// scikit-learn's defaults: `n_splits=5, shuffle=False, random_state=None`.
    fn default() -> Self {
        KFold {
            n_splits: 5,
            shuffle: false,
            random_state: None,
        }
    }
}

impl KFold {
    /// A k-fold splitter; `n_splits` must be at least 2 and `random_state` needs
    /// `shuffle`.
    pub fn new(n_splits: usize, shuffle: bool, random_state: Option<u32>) -> Result<Self> {
        check_n_splits(n_splits, shuffle, random_state)?;
        Ok(KFold {
            n_splits,
            shuffle,
            random_state,
        })
    }

    /// The number of folds.
    pub fn get_n_splits(&self) -> usize {
        self.n_splits
    }

    /// The folds of `n_samples` samples.
    pub fn split(&self, n_samples: usize) -> Result<Vec<Split>> {
        if self.n_splits > n_samples {
            return Err(LearnError::SplitsExceedSamples {
                n_splits: self.n_splits,
                n_samples,
            });
        }
        let mut indices: Vec<usize> = (0..n_samples).collect();
        if self.shuffle {
            check_random_state(self.random_state).shuffle(&mut indices);
        }
        let mut test_fold = vec![0; n_samples];
        let mut current = 0;
        for fold in 0..self.n_splits {
            let size = n_samples / self.n_splits + usize::from(fold < n_samples % self.n_splits);
            for &i in &indices[current..current + size] {
                test_fold[i] = fold;
            }
            current += size;
        }
        // BaseCrossValidator.split goes through boolean masks: indices come out sorted
        Ok(splits_from_masks(n_samples, self.n_splits, &test_fold))
    }
}

/// Stratified k-fold cross-validation: folds that preserve the class proportions of
/// `y` (`sklearn.model_selection.StratifiedKFold`).
///
/// ```
/// use kiln_learn::model_selection::StratifiedKFold;
///
/// let y = [0, 0, 0, 0, 1, 1, 1, 1];
/// let folds = StratifiedKFold::new(2, false, None)?.split(&y)?;
/// assert_eq!(folds[0].test, vec![0, 1, 4, 5]);
/// assert_eq!(folds[1].test, vec![2, 3, 6, 7]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StratifiedKFold {
    n_splits: usize,
    shuffle: bool,
    random_state: Option<u32>,
}

impl Default for StratifiedKFold {
    /// scikit-learn's defaults: `n_splits=5, shuffle=False, random_state=None`.
    fn default() -> Self {
        StratifiedKFold {
            n_splits: 5,
            shuffle: false,
            random_state: None,
        }
    }
}

impl StratifiedKFold {
    /// A stratified k-fold splitter; `n_splits` must be at least 2 and `random_state`
    /// needs `shuffle`.
    pub fn new(n_splits: usize, shuffle: bool, random_state: Option<u32>) -> Result<Self> {
        check_n_splits(n_splits, shuffle, random_state)?;
        Ok(StratifiedKFold {
            n_splits,
            shuffle,
            random_state,
        })
    }

    /// The number of folds.
    pub fn get_n_splits(&self) -> usize {
        self.n_splits
    }

    /// The folds of the samples labelled `y`.
    pub fn split<L: Label>(&self, y: &[L]) -> Result<Vec<Split>> {
        Ok(self.split_with_warnings(y)?.0)
    }

    /// The folds and scikit-learn's warning when the least populated class has fewer
    /// members than there are folds.
    pub fn split_with_warnings<L: Label>(&self, y: &[L]) -> Result<(Vec<Split>, Vec<Warning>)> {
        let n_samples = y.len();
        let n_splits = self.n_splits;
        if n_splits > n_samples {
            return Err(LearnError::SplitsExceedSamples {
                n_splits,
                n_samples,
            });
        }
        let mut rng = check_random_state(self.random_state);
        // classes encoded by order of first appearance
        let mut order_of_appearance: Vec<&L> = Vec::new();
        for label in y {
            if !order_of_appearance.contains(&label) {
                order_of_appearance.push(label);
            }
        }
        let mut sorted: Vec<(&L, usize)> = order_of_appearance
            .iter()
            .enumerate()
            .map(|(code, l)| (*l, code))
            .collect();
        sorted.sort();
        let encode = |l: &L| sorted[sorted.binary_search_by(|(k, _)| (*k).cmp(l)).unwrap_or(0)].1;
        let y_encoded: Vec<usize> = y.iter().map(encode).collect();
        let n_classes = order_of_appearance.len();
        let mut counts = vec![0usize; n_classes];
        for &c in &y_encoded {
            counts[c] += 1;
        }
        if counts.iter().all(|&c| n_splits > c) {
            return Err(LearnError::SplitsExceedClassMembers { n_splits });
        }
        let mut warnings = Vec::new();
        let min_groups = counts.iter().copied().min().unwrap_or(0);
        if n_splits > min_groups {
            warnings.push(Warning::user(format!(
                "The least populated class in y has only {min_groups} members, which is less than n_splits={n_splits}."
            )));
        }
        // round robin over the sorted codes
        let mut y_order = y_encoded.clone();
        y_order.sort_unstable();
        // allocation[class][fold]: the class's samples in the fold's test set
        let mut allocation = vec![vec![0usize; n_splits]; n_classes];
        for (i, &c) in y_order.iter().enumerate() {
            allocation[c][i % n_splits] += 1;
        }
        let mut test_fold = vec![0usize; n_samples];
        for (k, per_fold) in allocation.iter().enumerate() {
            let mut folds_for_class: Vec<usize> = per_fold
                .iter()
                .enumerate()
                .flat_map(|(fold, &count)| std::iter::repeat_n(fold, count))
                .collect();
            if self.shuffle {
                rng.shuffle(&mut folds_for_class);
            }
            let members = (0..n_samples).filter(|&i| y_encoded[i] == k);
            for (i, fold) in members.zip(folds_for_class) {
                test_fold[i] = fold;
            }
        }
        Ok((splits_from_masks(n_samples, n_splits, &test_fold), warnings))
    }
}

/// A train or test size: a fraction of the samples in `(0, 1)` or a count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SplitSize {
    /// A fraction of the samples (rounded up for the test set, down for the train set).
    Fraction(f64),
    /// A number of samples.
    Count(usize),
}

impl SplitSize {
    fn py_repr(size: Option<SplitSize>) -> String {
        match size {
            None => "None".to_string(),
            Some(SplitSize::Fraction(f)) => py_float_repr(f),
            Some(SplitSize::Count(c)) => c.to_string(),
        }
    }
}

/// `_validate_shuffle_split`: the train and test counts for `n_samples` samples.
fn validate_shuffle_split(
    n_samples: usize,
    test_size: Option<SplitSize>,
    train_size: Option<SplitSize>,
    default_test_size: f64,
) -> Result<(usize, usize)> {
    let test_size = match (test_size, train_size) {
        (None, None) => Some(SplitSize::Fraction(default_test_size)),
        (t, _) => t,
    };
    for (name, size) in [("test_size", test_size), ("train_size", train_size)] {
        let bad = match size {
            Some(SplitSize::Count(c)) => c >= n_samples || c == 0,
            Some(SplitSize::Fraction(f)) => !(f > 0.0 && f < 1.0),
            None => false,
        };
        if bad {
            return Err(LearnError::InvalidSplitSize {
                name,
                value: SplitSize::py_repr(size),
                n_samples,
            });
        }
    }
    if let (Some(SplitSize::Fraction(t)), Some(SplitSize::Fraction(r))) = (test_size, train_size)
        && r + t > 1.0
    {
        return Err(LearnError::SplitFractionSum {
            sum: py_float_repr(r + t),
        });
    }
    let n = n_samples as f64;
    let mut n_test = match test_size {
        Some(SplitSize::Fraction(f)) => (f * n).ceil(),
        Some(SplitSize::Count(c)) => c as f64,
        None => 0.0,
    };
    let mut n_train = match train_size {
        Some(SplitSize::Fraction(f)) => (f * n).floor(),
        Some(SplitSize::Count(c)) => c as f64,
        None => 0.0,
    };
    if train_size.is_none() {
        n_train = n - n_test;
    } else if test_size.is_none() {
        n_test = n - n_train;
    }
    if n_train + n_test > n {
        return Err(LearnError::SplitCountSum {
            sum: (n_train + n_test) as usize,
            n_samples,
        });
    }
    let (n_train, n_test) = (n_train as usize, n_test as usize);
    if n_train == 0 {
        return Err(LearnError::EmptyTrainSet {
            n_samples,
            test_size: SplitSize::py_repr(test_size),
            train_size: SplitSize::py_repr(train_size),
        });
    }
    Ok((n_train, n_test))
}

/// Random permutation splits: each split draws a fresh permutation and takes the test
/// samples from its start (`sklearn.model_selection.ShuffleSplit`; by default 10 splits
/// with 10% test samples).
///
/// ```
/// use kiln_learn::model_selection::{ShuffleSplit, SplitSize};
///
/// let ss = ShuffleSplit { n_splits: 2, test_size: Some(SplitSize::Count(2)), random_state: Some(0), ..Default::default() };
/// let splits = ss.split(5)?;
/// assert_eq!(splits[0].test, vec![2, 0]);
/// assert_eq!(splits[0].train, vec![1, 3, 4]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ShuffleSplit {
    /// Number of splits.
    pub n_splits: usize,
    /// Test size (the complement of `train_size`, or 10%, by default).
    pub test_size: Option<SplitSize>,
    /// Train size (the complement of the test size by default).
    pub train_size: Option<SplitSize>,
    /// Seed of the permutations (entropy when `None`).
    pub random_state: Option<u32>,
}

impl Default for ShuffleSplit {
    fn default() -> Self {
        ShuffleSplit {
            n_splits: 10,
            test_size: None,
            train_size: None,
            random_state: None,
        }
    }
}

impl ShuffleSplit {
    /// The splits of `n_samples` samples.
    pub fn split(&self, n_samples: usize) -> Result<Vec<Split>> {
        let (n_train, n_test) =
            validate_shuffle_split(n_samples, self.test_size, self.train_size, 0.1)?;
        let mut rng = check_random_state(self.random_state);
        Ok((0..self.n_splits)
            .map(|_| {
                let permutation = rng.permutation(n_samples);
                Split {
                    test: permutation[..n_test].to_vec(),
                    train: permutation[n_test..n_test + n_train].to_vec(),
                }
            })
            .collect())
    }
}

/// Stratified random splits preserving the class proportions of `y`
/// (`sklearn.model_selection.StratifiedShuffleSplit`; by default 10 splits with 10% test
/// samples).
///
/// ```
/// use kiln_learn::model_selection::{SplitSize, StratifiedShuffleSplit};
///
/// let y = [0, 0, 0, 0, 1, 1, 1, 1];
/// let sss = StratifiedShuffleSplit {
///     n_splits: 1,
///     test_size: Some(SplitSize::Fraction(0.5)),
///     random_state: Some(0),
///     ..Default::default()
/// };
/// let split = &sss.split(&y)?[0];
/// assert_eq!(split.test.iter().filter(|&&i| y[i] == 1).count(), 2);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StratifiedShuffleSplit {
    /// Number of splits.
    pub n_splits: usize,
    /// Test size (the complement of `train_size`, or 10%, by default).
    pub test_size: Option<SplitSize>,
    /// Train size (the complement of the test size by default).
    pub train_size: Option<SplitSize>,
    /// Seed (entropy when `None`).
    pub random_state: Option<u32>,
}

impl Default for StratifiedShuffleSplit {
    fn default() -> Self {
        StratifiedShuffleSplit {
            n_splits: 10,
            test_size: None,
            train_size: None,
            random_state: None,
        }
    }
}

/// `_approximate_mode`: the most likely class counts of `n_draws` draws without
/// replacement, ties broken at random.
fn approximate_mode(class_counts: &[usize], n_draws: usize, rng: &mut RandomState) -> Vec<usize> {
    let total = class_counts.iter().sum::<usize>() as f64;
    let continuous: Vec<f64> = class_counts
        .iter()
        .map(|&c| c as f64 / total * n_draws as f64)
        .collect();
    let mut floored: Vec<f64> = continuous.iter().map(|c| c.floor()).collect();
    let mut need_to_add = (n_draws as f64 - np_sum(&floored)) as i64;
    if need_to_add > 0 {
        let remainder: Vec<f64> = continuous
            .iter()
            .zip(&floored)
            .map(|(c, f)| c - f)
            .collect();
        let mut values = remainder.clone();
        values.sort_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
        values.dedup();
        for value in values {
            let inds: Vec<usize> = (0..remainder.len())
                .filter(|&i| remainder[i] == value)
                .collect();
            let add_now = inds.len().min(need_to_add as usize);
            let chosen = rng
                .choice_without_replacement(inds.len(), add_now)
                .unwrap_or_default();
            for c in chosen {
                floored[inds[c]] += 1.0;
            }
            need_to_add -= add_now as i64;
            if need_to_add == 0 {
                break;
            }
        }
    }
    floored.iter().map(|f| *f as usize).collect()
}

impl StratifiedShuffleSplit {
    /// The splits of the samples labelled `y`.
    pub fn split<L: Label>(&self, y: &[L]) -> Result<Vec<Split>> {
        let n_samples = y.len();
        let (n_train, n_test) =
            validate_shuffle_split(n_samples, self.test_size, self.train_size, 0.1)?;
        let classes = unique_sorted(y);
        let n_classes = classes.len();
        // class_indices[i]: the samples of class i, in increasing order
        let mut class_indices: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
        for (i, label) in y.iter().enumerate() {
            if let Ok(c) = classes.binary_search(label) {
                class_indices[c].push(i);
            }
        }
        let class_counts: Vec<usize> = class_indices.iter().map(Vec::len).collect();
        let too_few: Vec<L> = classes
            .iter()
            .zip(&class_counts)
            .filter(|(_, c)| **c < 2)
            .map(|(l, _)| l.clone())
            .collect();
        if !too_few.is_empty() {
            return Err(LearnError::ClassTooSmall {
                classes: py_list_repr(&too_few),
            });
        }
        if n_train < n_classes {
            return Err(LearnError::TrainSizeBelowClasses { n_train, n_classes });
        }
        if n_test < n_classes {
            return Err(LearnError::TestSizeBelowClasses { n_test, n_classes });
        }
        let mut rng = check_random_state(self.random_state);
        let mut splits = Vec::with_capacity(self.n_splits);
        for _ in 0..self.n_splits {
            let n_i = approximate_mode(&class_counts, n_train, &mut rng);
            let remaining: Vec<usize> = class_counts.iter().zip(&n_i).map(|(c, n)| c - n).collect();
            let t_i = approximate_mode(&remaining, n_test, &mut rng);
            let (mut train, mut test) = (Vec::with_capacity(n_train), Vec::with_capacity(n_test));
            for i in 0..n_classes {
                let permutation = rng.permutation(class_counts[i]);
                let members: Vec<usize> =
                    permutation.iter().map(|&p| class_indices[i][p]).collect();
                train.extend_from_slice(&members[..n_i[i]]);
                test.extend_from_slice(&members[n_i[i]..n_i[i] + t_i[i]]);
            }
            rng.shuffle(&mut train);
            rng.shuffle(&mut test);
            splits.push(Split { train, test });
        }
        Ok(splits)
    }
}

/// `train_test_split`'s options, with scikit-learn's defaults (25% test samples,
/// shuffled, entropy-seeded).
///
/// ```
/// use kiln_learn::model_selection::{SplitSize, TrainTestSplit};
///
/// let options = TrainTestSplit { test_size: Some(SplitSize::Fraction(0.33)), random_state: Some(42), ..Default::default() };
/// let split = options.split(5)?;
/// assert_eq!(split.train, vec![2, 0, 3]);
/// assert_eq!(split.test, vec![1, 4]);
///
/// let y = ["a", "a", "b", "b", "a", "b"];
/// let stratified = TrainTestSplit { test_size: Some(SplitSize::Count(2)), random_state: Some(0), ..Default::default() };
/// let split = stratified.split_stratified(&y)?;
/// assert_eq!(split.test.iter().filter(|&&i| y[i] == "a").count(), 1);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TrainTestSplit {
    /// Test size (the complement of `train_size`, or 25%, by default).
    pub test_size: Option<SplitSize>,
    /// Train size (the complement of the test size by default).
    pub train_size: Option<SplitSize>,
    /// Seed (entropy when `None`).
    pub random_state: Option<u32>,
    /// Shuffle before splitting (otherwise the first samples train, the next test).
    pub shuffle: bool,
}

impl Default for TrainTestSplit {
    fn default() -> Self {
        TrainTestSplit {
            test_size: None,
            train_size: None,
            random_state: None,
            shuffle: true,
        }
    }
}

impl TrainTestSplit {
    fn check_params(&self) -> Result<()> {
        for (param, size) in [
            ("test_size", self.test_size),
            ("train_size", self.train_size),
        ] {
            let bad = match size {
                Some(SplitSize::Fraction(f)) => !(f > 0.0 && f < 1.0),
                Some(SplitSize::Count(c)) => c == 0,
                None => false,
            };
            if bad {
                return Err(LearnError::InvalidParameter {
                    param,
                    caller: Some("train_test_split"),
                    constraint:
                        "a float in the range (0.0, 1.0), an int in the range [1, inf) or None"
                            .to_string(),
                    got: SplitSize::py_repr(size),
                });
            }
        }
        Ok(())
    }

    /// The train and test indices of `n_samples` samples.
    pub fn split(&self, n_samples: usize) -> Result<Split> {
        self.check_params()?;
        let (n_train, n_test) =
            validate_shuffle_split(n_samples, self.test_size, self.train_size, 0.25)?;
        if !self.shuffle {
            return Ok(Split {
                train: (0..n_train).collect(),
                test: (n_train..n_train + n_test).collect(),
            });
        }
        let cv = ShuffleSplit {
            n_splits: 1,
            test_size: Some(SplitSize::Count(n_test)),
            train_size: Some(SplitSize::Count(n_train)),
            random_state: self.random_state,
        };
        first(cv.split(n_samples)?)
    }

    /// Train and test indices that preserve the class proportions of `stratify`
    /// (one label per sample).
    pub fn split_stratified<L: Label>(&self, stratify: &[L]) -> Result<Split> {
        self.check_params()?;
        let n_samples = stratify.len();
        let (n_train, n_test) =
            validate_shuffle_split(n_samples, self.test_size, self.train_size, 0.25)?;
        if !self.shuffle {
            return Err(LearnError::StratifyWithoutShuffle);
        }
        let cv = StratifiedShuffleSplit {
            n_splits: 1,
            test_size: Some(SplitSize::Count(n_test)),
            train_size: Some(SplitSize::Count(n_train)),
            random_state: self.random_state,
        };
        first(cv.split(stratify)?)
    }
}

fn first(splits: Vec<Split>) -> Result<Split> {
    splits.into_iter().next().ok_or(LearnError::NoSamples)
}

/// Splits `n_samples` samples into random train and test index sets
/// (`sklearn.model_selection.train_test_split`, returning indices; see
/// [`TrainTestSplit::split_stratified`] for `stratify`).
///
/// ```
/// use kiln_learn::model_selection::{take, train_test_split, SplitSize};
///
/// let x = [10, 11, 12, 13, 14];
/// let split = train_test_split(5, Some(SplitSize::Fraction(0.33)), None, Some(42), true)?;
/// assert_eq!(take(&x, &split.train), vec![12, 10, 13]);
/// assert_eq!(take(&x, &split.test), vec![11, 14]);
/// # Ok::<(), kiln_learn::LearnError>(())
/// ```
pub fn train_test_split(
    n_samples: usize,
    test_size: Option<SplitSize>,
    train_size: Option<SplitSize>,
    random_state: Option<u32>,
    shuffle: bool,
) -> Result<Split> {
    TrainTestSplit {
        test_size,
        train_size,
        random_state,
        shuffle,
    }
    .split(n_samples)
}
