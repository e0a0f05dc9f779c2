//! The writer: build a tree of groups, datasets and attributes in memory,
//! then serialise it as an HDF5 file that h5py and Keras read.
//!
//! Layout written: superblock version 0 (h5py's default `libver='earliest'`),
//! version-1 object headers, symbol-table groups (version-1 B-tree, local
//! heap, symbol nodes; members sorted by name), contiguous datasets, and
//! one or more global heap collections for variable-length strings. All
//! addresses and lengths are 8 bytes.

mod serializer;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::format::UNDEF;
use crate::AttrValue;
use serializer::{symbol_entry, Serializer, SUPERBLOCK_SIZE};

/// Group leaf-node K: a symbol node holds up to 2K entries.
const LEAF_K: usize = 4;
/// Group internal-node K: a B-tree node has up to 2K children.
const INTERNAL_K: usize = 16;
/// Dataset contents for [`GroupBuilder::create_dataset`].
///
/// `Vec<f32>`, `Vec<f64>`, `Vec<i64>`, `Vec<i32>` and `Vec<u8>` convert
/// into it with `.into()`.
///
/// ```
/// use kiln_hdf5::Data;
/// let d: Data = vec![1.0f32, 2.0].into();
/// assert_eq!(d.len(), 2);
/// let s = Data::VarStrings(vec!["a".into()]);
/// assert_eq!(s.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// 32-bit floats (little endian `<f4`).
    F32(Vec<f32>),
    /// 64-bit floats (`<f8`).
    F64(Vec<f64>),
    /// 64-bit signed integers (`<i8`).
    I64(Vec<i64>),
    /// 32-bit signed integers (`<i4`).
    I32(Vec<i32>),
    /// Unsigned bytes (`|u1`).
    U8(Vec<u8>),
    /// Fixed-length byte strings, NumPy `S<n>` with `n` the longest string
    /// in bytes (at least 1).
    FixedStrings(Vec<String>),
    /// Variable-length UTF-8 strings (h5py `str`), stored in the global heap.
    VarStrings(Vec<String>),
}

impl Data {
    /// Number of elements.
    ///
    /// ```
    /// assert_eq!(kiln_hdf5::Data::U8(vec![1, 2, 3]).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::U8(v) => v.len(),
            Data::FixedStrings(v) | Data::VarStrings(v) => v.len(),
        }
    }

    /// True if there are no elements.
    ///
    /// ```
    /// assert!(kiln_hdf5::Data::F32(vec![]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

macro_rules! data_from {
    ($t:ty, $v:ident) => {
        impl From<Vec<$t>> for Data {
            /// ```
            /// let _: kiln_hdf5::Data = Vec::<
            #[doc = stringify!($t)]
            /// >::new().into();
            /// ```
            fn from(v: Vec<$t>) -> Self {
                Data::$v(v)
            }
        }
    };
}
data_from!(f32, F32);
data_from!(f64, F64);
data_from!(i64, I64);
data_from!(i32, I32);
data_from!(u8, U8);

/// Builds an HDF5 file in memory.
///
/// ```
/// use kiln_hdf5::{FileBuilder, AttrValue};
/// let mut b = FileBuilder::new();
/// let mw = b.root_mut().create_group("model_weights")?;
/// mw.set_attr("layer_names", AttrValue::Strings(vec!["dense".into()]))?;
/// mw.create_group("dense/sequential/dense")?
///     .create_dataset("kernel", &[4, 3], vec![0.0f32; 12])?;
/// b.root_mut().set_attr("backend", "tensorflow")?;
/// let bytes = b.to_bytes()?;
/// assert_eq!(&bytes[..4], b"\x89HDF");
/// # Ok::<(), kiln_hdf5::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct FileBuilder {
    root: GroupBuilder,
}

/// A group under construction: members and attributes.
///
/// ```
/// let mut b = kiln_hdf5::FileBuilder::new();
/// let g = b.root_mut().create_group("a/b/c")?; // intermediate groups are created
/// g.set_attr("depth", 3i64)?;
/// assert!(b.root().group("a/b").is_some());
/// # Ok::<(), kiln_hdf5::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct GroupBuilder {
    members: BTreeMap<String, Member>,
    attrs: BTreeMap<String, AttrValue>,
}

#[derive(Debug, Clone)]
enum Member {
    Group(GroupBuilder),
    Dataset(DatasetBuilder),
}

/// A dataset under construction: shape, data and attributes.
///
/// ```
/// let mut b = kiln_hdf5::FileBuilder::new();
/// let d = b.root_mut().create_dataset("x", &[3], vec![1i64, 2, 3])?;
/// d.set_attr("unit", "count")?;
/// assert_eq!(d.shape(), &[3]);
/// # Ok::<(), kiln_hdf5::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DatasetBuilder {
    shape: Vec<usize>,
    data: Data,
    attrs: BTreeMap<String, AttrValue>,
}

impl FileBuilder {
    /// An empty file (just the root group).
    ///
    /// ```
    /// let b = kiln_hdf5::FileBuilder::new();
    /// assert!(b.to_bytes().is_ok());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The root group.
    ///
    /// ```
    /// let b = kiln_hdf5::FileBuilder::new();
    /// assert!(b.root().group("x").is_none());
    /// ```
    pub fn root(&self) -> &GroupBuilder {
        &self.root
    }

    /// The root group, for adding members and attributes.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("g")?;
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn root_mut(&mut self) -> &mut GroupBuilder {
        &mut self.root
    }

    /// Serialises the file.
    ///
    /// ```
    /// let bytes = kiln_hdf5::FileBuilder::new().to_bytes()?;
    /// assert!(kiln_hdf5::File::from_bytes(bytes).is_ok());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut w = Serializer::default();
        w.buf.resize(SUPERBLOCK_SIZE, 0);
        let root = w.group(&self.root, "/")?;
        w.finish_heaps();
        let eof = w.buf.len() as u64;
        let mut sb = Vec::with_capacity(SUPERBLOCK_SIZE);
        sb.extend_from_slice(b"\x89HDF\r\n\x1a\n");
        sb.extend_from_slice(&[0, 0, 0, 0, 0, 8, 8, 0]);
        sb.extend_from_slice(&(LEAF_K as u16).to_le_bytes());
        sb.extend_from_slice(&(INTERNAL_K as u16).to_le_bytes());
        sb.extend_from_slice(&0u32.to_le_bytes());
        for v in [0, UNDEF, eof, UNDEF] {
            sb.extend_from_slice(&v.to_le_bytes());
        }
        sb.extend_from_slice(&symbol_entry(0, &root));
        debug_assert_eq!(sb.len(), SUPERBLOCK_SIZE);
        w.buf[..SUPERBLOCK_SIZE].copy_from_slice(&sb);
        Ok(w.buf)
    }

    /// Writes the file atomically: to a temporary file in the same
    /// directory, flushed to disk, then renamed over `path`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("kiln_hdf5_doc_write_{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("x", &[1], vec![1.0f64])?;
    /// b.write(dir.join("x.h5"))?;
    /// assert!(dir.join("x.h5").exists());
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes()?;
        let io = |e: std::io::Error| Error::Io {
            path: path.display().to_string(),
            source: e,
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let fname = path.file_name().ok_or_else(|| {
            Error::InvalidArgument(format!("'{}' has no file name", path.display()))
        })?;
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(
            ".{}.tmp.{}.{n}",
            fname.to_string_lossy(),
            std::process::id()
        ));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, path)?;
            if let Ok(d) = std::fs::File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(io)
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name.contains('/') || name.contains('\0') {
        return Err(Error::InvalidArgument(format!(
            "invalid member name {name:?} (must be non-empty, not '.', without '/' or NUL)"
        )));
    }
    Ok(())
}

fn check_attr_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('\0') {
        return Err(Error::InvalidArgument(format!(
            "invalid attribute name {name:?} (must be non-empty, without NUL)"
        )));
    }
    Ok(())
}

impl GroupBuilder {
    /// Creates a new (empty) group. `path` may contain `/` to create nested
    /// groups; missing intermediate groups are created. It is an error if
    /// the final group already exists (see [`GroupBuilder::require_group`]).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("layers/dense")?;
    /// assert!(b.root_mut().create_group("layers/dense").is_err());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn create_group(&mut self, path: &str) -> Result<&mut GroupBuilder> {
        let (parent, name) = self.parent_for(path)?;
        if parent.members.contains_key(name) {
            return Err(Error::InvalidArgument(format!("'{path}' already exists")));
        }
        let m = parent
            .members
            .entry(name.to_string())
            .or_insert_with(|| Member::Group(GroupBuilder::default()));
        match m {
            Member::Group(g) => Ok(g),
            Member::Dataset(_) => unreachable!("just inserted a group"),
        }
    }

    /// The group at `path`, created (with intermediate groups) if missing.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().require_group("a/b")?.set_attr("x", 1i64)?;
    /// b.root_mut().require_group("a/b")?.set_attr("y", 2i64)?;
    /// assert_eq!(b.root().group("a/b").unwrap().attr_names(), vec!["x", "y"]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn require_group(&mut self, path: &str) -> Result<&mut GroupBuilder> {
        let mut cur = self;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            check_name(comp)?;
            let m = cur
                .members
                .entry(comp.to_string())
                .or_insert_with(|| Member::Group(GroupBuilder::default()));
            cur = match m {
                Member::Group(g) => g,
                Member::Dataset(_) => {
                    return Err(Error::InvalidArgument(format!(
                        "'{comp}' in '{path}' is a dataset, not a group"
                    )))
                }
            };
        }
        Ok(cur)
    }

    fn parent_for<'a, 'p>(&'a mut self, path: &'p str) -> Result<(&'a mut GroupBuilder, &'p str)> {
        let path_t = path.trim_matches('/');
        let (dir, name) = match path_t.rfind('/') {
            Some(i) => (&path_t[..i], &path_t[i + 1..]),
            None => ("", path_t),
        };
        check_name(name)?;
        Ok((self.require_group(dir)?, name))
    }

    /// Creates a contiguous dataset of the given shape (`&[]` for a
    /// scalar). The number of elements must equal the product of `shape`.
    /// `path` may contain `/`; missing intermediate groups are created.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("vars/0", &[2, 2], vec![1.0f32, 2.0, 3.0, 4.0])?;
    /// assert!(b.root_mut().create_dataset("bad", &[3], vec![1.0f32]).is_err());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn create_dataset(
        &mut self,
        path: &str,
        shape: &[usize],
        data: impl Into<Data>,
    ) -> Result<&mut DatasetBuilder> {
        let data = data.into();
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| Error::InvalidArgument(format!("shape {shape:?} overflows")))?;
        if n != data.len() {
            return Err(Error::InvalidArgument(format!(
                "dataset '{path}': shape {shape:?} has {n} elements but {} values were given",
                data.len()
            )));
        }
        let (parent, name) = self.parent_for(path)?;
        if parent.members.contains_key(name) {
            return Err(Error::InvalidArgument(format!("'{path}' already exists")));
        }
        let m = parent.members.entry(name.to_string()).or_insert_with(|| {
            Member::Dataset(DatasetBuilder {
                shape: shape.to_vec(),
                data,
                attrs: BTreeMap::new(),
            })
        });
        match m {
            Member::Dataset(d) => Ok(d),
            Member::Group(_) => unreachable!("just inserted a dataset"),
        }
    }

    /// Sets (or replaces) an attribute. `String` values are written as
    /// variable-length UTF-8 strings (what h5py writes for a Python `str`),
    /// `Strings` as a 1-D array of fixed-length byte strings (what Keras
    /// writes for `layer_names` / `weight_names`), integers as `i64`,
    /// floats as `f64`, booleans as h5py's boolean enum.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().set_attr("n", 1i64)?.set_attr("name", "x")?;
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn set_attr(&mut self, name: &str, value: impl Into<AttrValue>) -> Result<&mut Self> {
        check_attr_name(name)?;
        self.attrs.insert(name.to_string(), value.into());
        Ok(self)
    }

    /// The member group at `path`, if it exists.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("a")?;
    /// assert!(b.root().group("a").is_some());
    /// assert!(b.root().group("b").is_none());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn group(&self, path: &str) -> Option<&GroupBuilder> {
        let mut cur = self;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            cur = match cur.members.get(comp)? {
                Member::Group(g) => g,
                Member::Dataset(_) => return None,
            };
        }
        Some(cur)
    }

    /// Names of the members added so far, sorted.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("b")?;
    /// b.root_mut().create_group("a")?;
    /// assert_eq!(b.root().member_names(), vec!["a", "b"]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn member_names(&self) -> Vec<&str> {
        self.members.keys().map(String::as_str).collect()
    }

    /// Names of the attributes set so far, sorted.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().set_attr("z", 1i64)?;
    /// assert_eq!(b.root().attr_names(), vec!["z"]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn attr_names(&self) -> Vec<&str> {
        self.attrs.keys().map(String::as_str).collect()
    }
}

impl DatasetBuilder {
    /// Sets (or replaces) an attribute; see [`GroupBuilder::set_attr`].
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[1], vec![1u8])?.set_attr("k", 2.5)?;
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn set_attr(&mut self, name: &str, value: impl Into<AttrValue>) -> Result<&mut Self> {
        check_attr_name(name)?;
        self.attrs.insert(name.to_string(), value.into());
        Ok(self)
    }

    /// The shape given at creation.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// assert_eq!(b.root_mut().create_dataset("d", &[], vec![1u8])?.shape(), &[] as &[usize]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
}

// ---------------------------------------------------------------------------
// Serialisation
