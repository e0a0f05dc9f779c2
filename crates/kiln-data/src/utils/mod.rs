//! `keras.utils` data helpers ([`to_categorical`], [`normalize`], [`pad_sequences`],
//! [`image_dataset_from_directory`], [`text_dataset_from_directory`], [`split_dataset`]) and
//! scikit-learn-style scalers ([`MinMaxScaler`], [`StandardScaler`]).

mod categorical;
pub(crate) mod directory;
mod image_dataset;
mod scalers;
mod sequences;
mod split;
mod text_dataset;

pub use categorical::{normalize, to_categorical};
pub use directory::Labels;
pub use image_dataset::{
    image_dataset_from_directory, image_dataset_from_directory_both, DirectoryDataset,
    ImageDatasetArgs, IMAGE_FORMATS,
};
pub use scalers::{MinMaxScaler, StandardScaler};
pub use sequences::{pad_sequences, PadSequences, SequenceValue};
pub use split::{split_dataset, SplitSize};
pub use text_dataset::{
    text_dataset_from_directory, text_dataset_from_directory_both, TextBatch, TextDataset,
    TextDatasetArgs,
};
