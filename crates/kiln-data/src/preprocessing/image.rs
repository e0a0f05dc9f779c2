//! `keras.preprocessing.image`: [`ImageDataGenerator`] and its iterators.
//!
//! ```
//! use kiln_data::preprocessing::image::{FlowArgs, ImageDataGenerator, ImageDataGeneratorArgs};
//! use kiln_tensor::{DType, Tensor};
//! let g = ImageDataGenerator::new(ImageDataGeneratorArgs { horizontal_flip: true, ..Default::default() })?;
//! let x = Tensor::zeros(&[4, 8, 8, 3], DType::F32);
//! let batch = g.flow(&x, None, FlowArgs::new().batch_size(2).seed(1))?.next().unwrap()?;
//! assert_eq!(batch.as_tensor()?.shape(), &[2, 8, 8, 3]);
//! # Ok::<(), kiln_data::DataError>(())
//! ```

pub use super::image_data_generator::{
    ImageDataGenerator, ImageDataGeneratorArgs, PreprocessingFn, ShiftRange, TransformParams,
    ZoomRange,
};
pub use super::iterators::{
    DirectoryIterator, FlowArgs, FlowFromDirectoryArgs, NumpyArrayIterator, SaveToDir,
    DIRECTORY_FORMATS,
};
