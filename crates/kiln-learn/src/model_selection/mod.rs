//! scikit-learn's data splitters (`sklearn.model_selection`), returning sample indices.
//! Seeded splits reproduce scikit-learn's exactly, through NumPy's legacy
//! [`RandomState`](crate::RandomState).

mod split;

pub use split::{
    take, train_test_split, KFold, ShuffleSplit, Split, SplitSize, StratifiedKFold,
    StratifiedShuffleSplit, TrainTestSplit,
};
