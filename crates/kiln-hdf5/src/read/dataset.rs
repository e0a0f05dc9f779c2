//! [`Dataset`]: a dataset's shape, type, attributes and data.

use std::sync::Arc;

use crate::data::{convert_f32, convert_f64, convert_i64, convert_strings, DatasetInfo};
use crate::error::{corrupt, Result};
use crate::format::FileData;
use crate::{AttrValue, DType};

use super::{attr_dtype_of, attr_names_of, attr_of, Node};

/// A dataset: an n-dimensional array of elements of one [`DType`].
///
/// Shape and type are parsed when the dataset is opened; the data is read
/// (and decompressed) by the `read_*` methods.
///
/// ```
/// let mut b = kiln_hdf5::FileBuilder::new();
/// b.root_mut().create_dataset("w", &[2, 2], vec![1.0f32, 2.0, 3.0, 4.0])?;
/// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
/// let d = f.root().dataset("w")?;
/// assert_eq!(d.shape(), &[2, 2]);
/// assert_eq!(d.dtype(), kiln_hdf5::DType::F32);
/// assert_eq!(d.read_f64()?, vec![1.0, 2.0, 3.0, 4.0]);
/// # Ok::<(), kiln_hdf5::Error>(())
/// ```
#[derive(Clone)]
pub struct Dataset {
    pub(super) fd: Arc<FileData>,
    pub(super) path: String,
    pub(super) addr: u64,
    pub(super) info: Arc<DatasetInfo>,
    pub(super) shape: Vec<usize>,
    pub(super) dtype: DType,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataset")
            .field("path", &self.path)
            .field("shape", &self.shape)
            .field("dtype", &self.dtype)
            .finish()
    }
}

impl Dataset {
    pub(super) fn node(
        fd: Arc<FileData>,
        path: String,
        addr: u64,
        info: DatasetInfo,
    ) -> Result<Node> {
        let shape = info
            .dims
            .clone()
            .unwrap_or_default()
            .iter()
            .map(|&d| usize::try_from(d))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| corrupt(format!("dataset '{path}': dimension does not fit in usize")))?;
        let dtype = info.dt.public();
        Ok(Node::Dataset(Dataset {
            fd,
            path,
            addr,
            info: Arc::new(info),
            shape,
            dtype,
        }))
    }

    pub(super) fn ctx(&self) -> String {
        format!("dataset '{}'", self.path)
    }

    /// The absolute path of this dataset.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[], vec![1.5f64])?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.path(), "/d");
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The shape; empty for a scalar (and for a null dataspace).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("s", &[], vec![1.5f64])?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert!(f.root().dataset("s")?.shape().is_empty());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements (product of the shape; 1 for a scalar, 0 for a
    /// null dataspace).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("e", &[0, 3], Vec::<f32>::new())?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("e")?.len(), 0);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        if self.info.dims.is_none() {
            return 0;
        }
        self.shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .unwrap_or(usize::MAX)
    }

    /// True if the dataset has no elements.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("e", &[0], Vec::<f32>::new())?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert!(f.root().dataset("e")?.is_empty());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[1], vec![1u8])?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.dtype(), kiln_hdf5::DType::U8);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The raw element bytes in C order, as stored (file byte order; for
    /// variable-length strings the 16-byte heap references).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[2], vec![1u8, 2])?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.read_raw()?, vec![1, 2]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn read_raw(&self) -> Result<Vec<u8>> {
        self.info
            .read_bytes(&self.fd)
            .map_err(|e| e.context(self.ctx()))
    }

    /// All elements as `f32` (integers and other floats are converted with
    /// `as`; half floats exactly).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[2], vec![1i64, -2])?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.read_f32()?, vec![1.0, -2.0]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn read_f32(&self) -> Result<Vec<f32>> {
        let raw = self.read_raw()?;
        convert_f32(&self.info.dt, &raw).map_err(|e| e.context(self.ctx()))
    }

    /// All elements as `f64`.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[1], vec![0.25f32])?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.read_f64()?, vec![0.25]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn read_f64(&self) -> Result<Vec<f64>> {
        let raw = self.read_raw()?;
        convert_f64(&self.info.dt, &raw).map_err(|e| e.context(self.ctx()))
    }

    /// All elements as `i64`; only for integer and boolean datasets
    /// (floats give [`Error::TypeMismatch`], as do `u64` values above
    /// `i64::MAX`).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[2], vec![7i32, -7])?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.read_i64()?, vec![7, -7]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn read_i64(&self) -> Result<Vec<i64>> {
        let raw = self.read_raw()?;
        convert_i64(&self.info.dt, &raw).map_err(|e| e.context(self.ctx()))
    }

    /// All elements of a string dataset (fixed-length or variable-length).
    /// Padding is removed; bytes that are not UTF-8 become U+FFFD.
    ///
    /// ```
    /// use kiln_hdf5::Data;
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("s", &[2], Data::FixedStrings(vec!["ab".into(), "c".into()]))?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("s")?.read_strings()?, vec!["ab", "c"]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn read_strings(&self) -> Result<Vec<String>> {
        let raw = self.read_raw()?;
        convert_strings(&self.fd, &self.info.dt, &raw).map_err(|e| e.context(self.ctx()))
    }

    /// Names of this dataset's attributes, sorted by name.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[1], vec![1.0f32])?.set_attr("unit", "m")?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.attr_names()?, vec!["unit"]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn attr_names(&self) -> Result<Vec<String>> {
        attr_names_of(&self.fd, self.addr).map_err(|e| e.context(self.ctx()))
    }

    /// The value of attribute `name`.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[1], vec![1.0f32])?.set_attr("scale", 0.5)?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.attr("scale")?.as_f64(), Some(0.5));
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn attr(&self, name: &str) -> Result<AttrValue> {
        attr_of(&self.fd, self.addr, name).map_err(|e| e.context(self.ctx()))
    }

    /// The element type of attribute `name`.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[1], vec![1.0f32])?.set_attr("scale", 0.5)?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.attr_dtype("scale")?, kiln_hdf5::DType::F64);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn attr_dtype(&self, name: &str) -> Result<DType> {
        attr_dtype_of(&self.fd, self.addr, name).map_err(|e| e.context(self.ctx()))
    }
}
