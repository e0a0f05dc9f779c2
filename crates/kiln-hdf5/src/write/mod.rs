//! The writer: build a tree of groups, datasets and attributes in memory,
//! then serialise it as an HDF5 file that h5py and Keras read.
//!
//! Layout written: superblock version 0 (h5py's default `libver='earliest'`),
//! version-1 object headers, symbol-table groups (version-1 B-tree, local
//! heap, symbol nodes; members sorted by name), contiguous datasets, and
//! one or more global heap collections for variable-length strings. All
//! addresses and lengths are 8 bytes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::format::UNDEF;
use crate::AttrValue;

/// Group leaf-node K: a symbol node holds up to 2K entries.
const LEAF_K: usize = 4;
/// Group internal-node K: a B-tree node has up to 2K children.
const INTERNAL_K: usize = 16;
/// Largest header message a version-1 object header can hold.
const MAX_MESSAGE: usize = 65_528;
/// Objects per global heap collection.
const GCOL_MAX_OBJECTS: usize = 60_000;

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

const SUPERBLOCK_SIZE: usize = 96;
const BTREE_NODE_SIZE: usize = 24 + 2 * INTERNAL_K * 8 + (2 * INTERNAL_K + 1) * 8;
const SNOD_SIZE: usize = 8 + 2 * LEAF_K * 40;

/// Where a written group's structures are.
struct GroupAddrs {
    header: u64,
    btree: u64,
    heap: u64,
}

fn symbol_entry(name_off: u64, g: &GroupAddrs) -> Vec<u8> {
    let mut e = Vec::with_capacity(40);
    e.extend_from_slice(&name_off.to_le_bytes());
    e.extend_from_slice(&g.header.to_le_bytes());
    e.extend_from_slice(&1u32.to_le_bytes());
    e.extend_from_slice(&0u32.to_le_bytes());
    e.extend_from_slice(&g.btree.to_le_bytes());
    e.extend_from_slice(&g.heap.to_le_bytes());
    e
}

/// A header message to write: type, body, and vlen references in the body
/// to patch with global heap addresses (offset in body, collection).
type HeaderMsg = (u16, Vec<u8>, Vec<(usize, usize)>);

#[derive(Default)]
struct Serializer {
    buf: Vec<u8>,
    /// Global heap collections: each a list of string objects.
    heaps: Vec<Vec<Vec<u8>>>,
    /// (position in buf, collection number) of vlen references to patch.
    patches: Vec<(usize, usize)>,
}

fn pad8(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(8) {
        v.push(0);
    }
}

impl Serializer {
    /// Appends `bytes` at the next 8-byte aligned address.
    fn alloc(&mut self, bytes: &[u8]) -> u64 {
        pad8(&mut self.buf);
        let a = self.buf.len() as u64;
        self.buf.extend_from_slice(bytes);
        a
    }

    /// Adds a string to the global heap; returns its 16-byte reference
    /// (collection address patched later) and the patch slot offset in it.
    fn vlen_ref(&mut self, s: &str, out: &mut Vec<u8>, patches: &mut Vec<(usize, usize)>) {
        let b = s.as_bytes();
        if b.is_empty() {
            out.extend_from_slice(&[0u8; 16]);
            return;
        }
        if self
            .heaps
            .last()
            .is_none_or(|h| h.len() >= GCOL_MAX_OBJECTS)
        {
            self.heaps.push(Vec::new());
        }
        let coll = self.heaps.len() - 1;
        let h = &mut self.heaps[coll];
        h.push(b.to_vec());
        let idx = h.len() as u32;
        out.extend_from_slice(&(b.len() as u32).to_le_bytes());
        patches.push((out.len(), coll));
        out.extend_from_slice(&[0u8; 8]);
        out.extend_from_slice(&idx.to_le_bytes());
    }

    /// Appends `bytes` that contain vlen references (`patches` relative to
    /// `bytes`), remembering where they went.
    fn alloc_patched(&mut self, bytes: &[u8], patches: Vec<(usize, usize)>) -> u64 {
        let a = self.alloc(bytes);
        for (p, c) in patches {
            self.patches.push((a as usize + p, c));
        }
        a
    }

    fn finish_heaps(&mut self) {
        let heaps = std::mem::take(&mut self.heaps);
        let mut addrs = Vec::new();
        for objs in heaps {
            let mut c = Vec::new();
            c.extend_from_slice(b"GCOL");
            c.extend_from_slice(&[1, 0, 0, 0]);
            c.extend_from_slice(&[0u8; 8]); // size, set below
            for (i, o) in objs.iter().enumerate() {
                c.extend_from_slice(&((i + 1) as u16).to_le_bytes());
                c.extend_from_slice(&1u16.to_le_bytes());
                c.extend_from_slice(&[0u8; 4]);
                c.extend_from_slice(&(o.len() as u64).to_le_bytes());
                c.extend_from_slice(o);
                pad8(&mut c);
            }
            // libhdf5 collections are at least 4096 bytes; the rest is
            // described by a free-space object (index 0).
            let size = (c.len() + 16).max(4096);
            let free = size - c.len();
            c.extend_from_slice(&0u16.to_le_bytes());
            c.extend_from_slice(&0u16.to_le_bytes());
            c.extend_from_slice(&[0u8; 4]);
            c.extend_from_slice(&(free as u64).to_le_bytes());
            c.resize(size, 0);
            c[8..16].copy_from_slice(&(size as u64).to_le_bytes());
            addrs.push(self.alloc(&c));
        }
        for (pos, coll) in std::mem::take(&mut self.patches) {
            self.buf[pos..pos + 8].copy_from_slice(&addrs[coll].to_le_bytes());
        }
    }

    fn group(&mut self, g: &GroupBuilder, path: &str) -> Result<GroupAddrs> {
        // children first
        let mut entries: Vec<(&str, Vec<u8>)> = Vec::new();
        for (name, m) in &g.members {
            let child_path = if path == "/" {
                format!("/{name}")
            } else {
                format!("{path}/{name}")
            };
            let entry = match m {
                Member::Group(sub) => {
                    let a = self.group(sub, &child_path)?;
                    symbol_entry(0, &a)
                }
                Member::Dataset(d) => {
                    let a = self.dataset(d, &child_path)?;
                    let mut e = Vec::with_capacity(40);
                    e.extend_from_slice(&0u64.to_le_bytes());
                    e.extend_from_slice(&a.to_le_bytes());
                    e.extend_from_slice(&[0u8; 24]);
                    e
                }
            };
            entries.push((name.as_str(), entry));
        }
        // local heap: "" at offset 0, then the names
        let mut heap_data = vec![0u8; 8];
        let mut offsets = Vec::new();
        for (name, _) in &entries {
            offsets.push(heap_data.len() as u64);
            heap_data.extend_from_slice(name.as_bytes());
            heap_data.push(0);
            pad8(&mut heap_data);
        }
        let data_addr = self.alloc(&heap_data);
        let mut heap = Vec::with_capacity(32);
        heap.extend_from_slice(b"HEAP\0\0\0\0");
        heap.extend_from_slice(&(heap_data.len() as u64).to_le_bytes());
        heap.extend_from_slice(&1u64.to_le_bytes()); // empty free list
        heap.extend_from_slice(&data_addr.to_le_bytes());
        let heap_addr = self.alloc(&heap);
        // symbol nodes
        let mut children: Vec<(u64, u64)> = Vec::new(); // (address, key = last name offset)
        for (ci, chunk) in entries.chunks(2 * LEAF_K).enumerate() {
            let mut s = Vec::with_capacity(SNOD_SIZE);
            s.extend_from_slice(b"SNOD\x01\0");
            s.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
            for (i, (_, e)) in chunk.iter().enumerate() {
                let mut e = e.clone();
                e[..8].copy_from_slice(&offsets[ci * 2 * LEAF_K + i].to_le_bytes());
                s.extend_from_slice(&e);
            }
            s.resize(SNOD_SIZE, 0);
            let a = self.alloc(&s);
            children.push((a, offsets[ci * 2 * LEAF_K + chunk.len() - 1]));
        }
        // B-tree levels, bottom up
        let mut level = 0u8;
        let btree = loop {
            let nodes: Vec<&[(u64, u64)]> = if children.is_empty() {
                vec![&[]]
            } else {
                children.chunks(2 * INTERNAL_K).collect()
            };
            pad8(&mut self.buf);
            let first = self.buf.len() as u64;
            let count = nodes.len();
            let mut next = Vec::new();
            for (i, kids) in nodes.iter().enumerate() {
                let addr = first + (i * BTREE_NODE_SIZE) as u64;
                let left = if i == 0 {
                    UNDEF
                } else {
                    addr - BTREE_NODE_SIZE as u64
                };
                let right = if i + 1 == count {
                    UNDEF
                } else {
                    addr + BTREE_NODE_SIZE as u64
                };
                let mut n = Vec::with_capacity(BTREE_NODE_SIZE);
                n.extend_from_slice(b"TREE");
                n.push(0);
                n.push(level);
                n.extend_from_slice(&(kids.len() as u16).to_le_bytes());
                n.extend_from_slice(&left.to_le_bytes());
                n.extend_from_slice(&right.to_le_bytes());
                n.extend_from_slice(&0u64.to_le_bytes()); // key 0: ""
                for (child, key) in kids.iter() {
                    n.extend_from_slice(&child.to_le_bytes());
                    n.extend_from_slice(&key.to_le_bytes());
                }
                n.resize(BTREE_NODE_SIZE, 0);
                let a = self.alloc(&n);
                debug_assert_eq!(a, addr);
                next.push((a, kids.last().map_or(0, |k| k.1)));
            }
            if next.len() == 1 {
                break next[0].0;
            }
            children = next;
            level = level
                .checked_add(1)
                .ok_or_else(|| Error::InvalidArgument("group too large".into()))?;
        };
        // object header
        let mut msgs = Vec::new();
        let mut st = Vec::with_capacity(16);
        st.extend_from_slice(&btree.to_le_bytes());
        st.extend_from_slice(&heap_addr.to_le_bytes());
        msgs.push((0x11u16, st, Vec::new()));
        for (name, v) in &g.attrs {
            let mut patches = Vec::new();
            let body = self
                .attr_message(name, v, &mut patches)
                .map_err(|e| e.context(format!("group '{path}'")))?;
            msgs.push((0x0C, body, patches));
        }
        let header = self.object_header(msgs);
        Ok(GroupAddrs {
            header,
            btree,
            heap: heap_addr,
        })
    }

    fn dataset(&mut self, d: &DatasetBuilder, path: &str) -> Result<u64> {
        let (dtype, elems, patches) = self.encode_data(&d.data);
        let data_addr = if elems.is_empty() {
            UNDEF
        } else {
            self.alloc_patched(&elems, patches)
        };
        let dims: Vec<u64> = d.shape.iter().map(|&x| x as u64).collect();
        let mut msgs = vec![
            (0x01u16, dataspace_v1(&dims), Vec::new()),
            (0x03, dtype, Vec::new()),
            // fill value v2: allocation late, write fill "if set", undefined
            (0x05, vec![2, 2, 2, 0], Vec::new()),
        ];
        let mut layout = vec![3u8, 1];
        layout.extend_from_slice(&data_addr.to_le_bytes());
        layout.extend_from_slice(&(elems.len() as u64).to_le_bytes());
        msgs.push((0x08, layout, Vec::new()));
        for (name, v) in &d.attrs {
            let mut patches = Vec::new();
            let body = self
                .attr_message(name, v, &mut patches)
                .map_err(|e| e.context(format!("dataset '{path}'")))?;
            msgs.push((0x0C, body, patches));
        }
        Ok(self.object_header(msgs))
    }

    /// Datatype message and little-endian element bytes for `data`.
    fn encode_data(&mut self, data: &Data) -> (Vec<u8>, Vec<u8>, Vec<(usize, usize)>) {
        let mut patches = Vec::new();
        let (dt, bytes) = match data {
            Data::F32(v) => (
                dt_float(4),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            Data::F64(v) => (
                dt_float(8),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            Data::I64(v) => (
                dt_int(8, true),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            Data::I32(v) => (
                dt_int(4, true),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            Data::U8(v) => (dt_int(1, false), v.clone()),
            Data::FixedStrings(v) => fixed_strings(v),
            Data::VarStrings(v) => {
                let mut out = Vec::with_capacity(16 * v.len());
                for s in v {
                    self.vlen_ref(s, &mut out, &mut patches);
                }
                (dt_vlen_str(), out)
            }
        };
        (dt, bytes, patches)
    }

    fn attr_message(
        &mut self,
        name: &str,
        v: &AttrValue,
        patches: &mut Vec<(usize, usize)>,
    ) -> Result<Vec<u8>> {
        let scalar: Vec<u64> = Vec::new();
        let (dt, space, data): (Vec<u8>, Vec<u8>, Vec<u8>) = match v {
            AttrValue::String(s) => {
                let mut d = Vec::new();
                let mut local = Vec::new();
                self.vlen_ref(s, &mut d, &mut local);
                patches.extend(local);
                (dt_vlen_str(), dataspace_v1(&scalar), d)
            }
            AttrValue::Strings(v) => {
                let (dt, d) = fixed_strings(v);
                (dt, dataspace_v1(&[v.len() as u64]), d)
            }
            AttrValue::Int(i) => (
                dt_int(8, true),
                dataspace_v1(&scalar),
                i.to_le_bytes().to_vec(),
            ),
            AttrValue::Ints(v) => (
                dt_int(8, true),
                dataspace_v1(&[v.len() as u64]),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            AttrValue::Float(f) => (dt_float(8), dataspace_v1(&scalar), f.to_le_bytes().to_vec()),
            AttrValue::Floats(v) => (
                dt_float(8),
                dataspace_v1(&[v.len() as u64]),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ),
            AttrValue::Bool(b) => (dt_bool(), dataspace_v1(&scalar), vec![u8::from(*b)]),
            AttrValue::Bools(v) => (
                dt_bool(),
                dataspace_v1(&[v.len() as u64]),
                v.iter().map(|&b| u8::from(b)).collect(),
            ),
            AttrValue::Empty => (dt_float(4), vec![2, 0, 0, 2], Vec::new()),
        };
        let mut m = vec![1u8, 0];
        m.extend_from_slice(&((name.len() + 1) as u16).to_le_bytes());
        m.extend_from_slice(&(dt.len() as u16).to_le_bytes());
        m.extend_from_slice(&(space.len() as u16).to_le_bytes());
        m.extend_from_slice(name.as_bytes());
        m.push(0);
        pad8(&mut m);
        m.extend_from_slice(&dt);
        pad8(&mut m);
        m.extend_from_slice(&space);
        pad8(&mut m);
        let data_at = m.len();
        for p in patches.iter_mut() {
            p.0 += data_at;
        }
        m.extend_from_slice(&data);
        if m.len() > MAX_MESSAGE {
            return Err(Error::InvalidArgument(format!(
                "attribute '{name}' needs {} bytes; an object header message holds at most {MAX_MESSAGE} (split it, as Keras does with 'layer_names0', 'layer_names1', ...)",
                m.len()
            )));
        }
        Ok(m)
    }

    /// Writes a version-1 object header; returns its address. Each message
    /// is (type, body, vlen patches relative to the body).
    fn object_header(&mut self, msgs: Vec<HeaderMsg>) -> u64 {
        let mut body = Vec::new();
        let mut patches = Vec::new();
        let count = msgs.len();
        for (t, mut m, p) in msgs {
            pad8(&mut m);
            body.extend_from_slice(&t.to_le_bytes());
            body.extend_from_slice(&(m.len() as u16).to_le_bytes());
            body.extend_from_slice(&[0u8; 4]);
            let at = 16 + body.len();
            patches.extend(p.into_iter().map(|(o, c)| (o + at, c)));
            body.extend_from_slice(&m);
        }
        let mut h = Vec::with_capacity(16 + body.len());
        h.push(1);
        h.push(0);
        h.extend_from_slice(&(count as u16).to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h.extend_from_slice(&(body.len() as u32).to_le_bytes());
        h.extend_from_slice(&[0u8; 4]);
        h.extend_from_slice(&body);
        self.alloc_patched(&h, patches)
    }
}

fn dataspace_v1(dims: &[u64]) -> Vec<u8> {
    let mut m = vec![1u8, dims.len() as u8, 0, 0, 0, 0, 0, 0];
    for d in dims {
        m.extend_from_slice(&d.to_le_bytes());
    }
    m
}

fn dt_int(size: u32, signed: bool) -> Vec<u8> {
    let mut m = vec![0x10, if signed { 0x08 } else { 0 }, 0, 0];
    m.extend_from_slice(&size.to_le_bytes());
    m.extend_from_slice(&0u16.to_le_bytes());
    m.extend_from_slice(&((size * 8) as u16).to_le_bytes());
    m
}

fn dt_float(size: u32) -> Vec<u8> {
    let (sign, eloc, esize, msize, bias): (u8, u8, u8, u8, u32) = if size == 4 {
        (31, 23, 8, 23, 127)
    } else {
        (63, 52, 11, 52, 1023)
    };
    let mut m = vec![0x11, 0x20, sign, 0];
    m.extend_from_slice(&size.to_le_bytes());
    m.extend_from_slice(&0u16.to_le_bytes());
    m.extend_from_slice(&((size * 8) as u16).to_le_bytes());
    m.extend_from_slice(&[eloc, esize, 0, msize]);
    m.extend_from_slice(&bias.to_le_bytes());
    m
}

fn dt_vlen_str() -> Vec<u8> {
    // class 9 (variable-length), type string, null-terminated, UTF-8;
    // base type: 1-byte unsigned integer
    let mut m = vec![0x19, 0x01, 0x01, 0x00];
    m.extend_from_slice(&16u32.to_le_bytes());
    m.extend_from_slice(&dt_int(1, false));
    m
}

fn dt_bool() -> Vec<u8> {
    let mut m = vec![0x18, 2, 0, 0];
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&dt_int(1, true));
    m.extend_from_slice(b"FALSE\0\0\0TRUE\0\0\0\0");
    m.extend_from_slice(&[0, 1]);
    m
}

/// Fixed-length (null-padded) string type and elements; UTF-8 charset if
/// any string is not ASCII.
fn fixed_strings(v: &[String]) -> (Vec<u8>, Vec<u8>) {
    let size = v.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
    let utf8 = v.iter().any(|s| !s.is_ascii());
    let mut dt = vec![0x13, 0x01 | if utf8 { 0x10 } else { 0 }, 0, 0];
    dt.extend_from_slice(&(size as u32).to_le_bytes());
    let mut data = Vec::with_capacity(size * v.len());
    for s in v {
        data.extend_from_slice(s.as_bytes());
        data.resize(data.len() + size - s.len(), 0);
    }
    (dt, data)
}
