//! The public reading API: [`File`], [`Group`], [`Dataset`], [`Node`].

use std::path::Path;
use std::sync::Arc;

use crate::data::{
    attr_dtype, attr_value, convert_f32, convert_f64, convert_i64, convert_strings, DatasetInfo,
};
use crate::error::{corrupt, unsupported, Error, Result};
use crate::format::{
    parse_attr, parse_link, symbol_table_links, FileData, Header, Link, RawAttr, DEFAULT_MAX_READ,
    MSG_ATTRIBUTE, MSG_ATTR_INFO, MSG_LAYOUT, MSG_LINK, MSG_LINK_INFO, MSG_SYMBOL_TABLE, UNDEF,
};
use crate::{AttrValue, DType};

/// Group info message type (present in new-style groups).
const MSG_GROUP_INFO: u16 = 0x0A;
/// Most soft links followed while resolving one path.
const MAX_SOFT_LINKS: usize = 16;

/// An HDF5 file held in memory, opened for reading.
///
/// The whole file is read into memory; every structure is bounds-checked
/// against it, so a corrupt or truncated file gives an [`Error`], never a
/// panic.
///
/// ```
/// use kiln_hdf5::{File, FileBuilder};
/// let mut b = FileBuilder::new();
/// b.root_mut().create_dataset("x", &[2], vec![1.0f32, 2.0])?;
/// let f = File::from_bytes(b.to_bytes()?)?;
/// assert_eq!(f.root().dataset("x")?.read_f32()?, vec![1.0, 2.0]);
/// # Ok::<(), kiln_hdf5::Error>(())
/// ```
#[derive(Clone)]
pub struct File {
    fd: Arc<FileData>,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("size", &self.fd.data.len())
            .field("superblock_version", &self.fd.sb_version)
            .finish()
    }
}

impl File {
    /// Reads the file at `path` into memory and parses its superblock.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("kiln_hdf5_doc_open_{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("a.h5");
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("g")?;
    /// b.write(&path)?;
    /// let f = kiln_hdf5::File::open(&path)?;
    /// assert_eq!(f.root().member_names()?, vec!["g"]);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<File> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        File::from_bytes(data).map_err(|e| e.context(format!("file '{}'", path.display())))
    }

    /// Parses a file already in memory.
    ///
    /// ```
    /// let bytes = kiln_hdf5::FileBuilder::new().to_bytes()?;
    /// let f = kiln_hdf5::File::from_bytes(bytes)?;
    /// assert!(f.root().member_names()?.is_empty());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn from_bytes(data: Vec<u8>) -> Result<File> {
        File::from_bytes_with_limit(data, DEFAULT_MAX_READ)
    }

    /// Like [`File::from_bytes`], but no single dataset read, chunk or
    /// decompressed buffer may exceed `max_read_bytes` (default 4 GiB).
    /// Use a small limit when reading untrusted input.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("x", &[100], vec![0.0f64; 100])?;
    /// let f = kiln_hdf5::File::from_bytes_with_limit(b.to_bytes()?, 64)?;
    /// assert!(f.root().dataset("x")?.read_f64().is_err()); // 800 bytes > 64
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn from_bytes_with_limit(data: Vec<u8>, max_read_bytes: u64) -> Result<File> {
        Ok(File {
            fd: Arc::new(FileData::parse(data, max_read_bytes)?),
        })
    }

    /// The root group `/`.
    ///
    /// ```
    /// let f = kiln_hdf5::File::from_bytes(kiln_hdf5::FileBuilder::new().to_bytes()?)?;
    /// assert_eq!(f.root().path(), "/");
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn root(&self) -> Group {
        Group {
            fd: self.fd.clone(),
            path: "/".to_string(),
            addr: self.fd.root_addr,
        }
    }

    /// The superblock version (0 for h5py's default `libver='earliest'`,
    /// 2 or 3 for `libver='latest'`).
    ///
    /// ```
    /// let f = kiln_hdf5::File::from_bytes(kiln_hdf5::FileBuilder::new().to_bytes()?)?;
    /// assert_eq!(f.superblock_version(), 0);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn superblock_version(&self) -> u8 {
        self.fd.sb_version
    }
}

/// A group: a directory of named members (groups and datasets) with
/// attributes.
///
/// ```
/// let mut b = kiln_hdf5::FileBuilder::new();
/// b.root_mut().create_group("layers")?.create_group("dense")?;
/// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
/// let layers = f.root().group("layers")?;
/// assert_eq!(layers.member_names()?, vec!["dense"]);
/// assert_eq!(layers.group("dense")?.path(), "/layers/dense");
/// # Ok::<(), kiln_hdf5::Error>(())
/// ```
#[derive(Clone)]
pub struct Group {
    fd: Arc<FileData>,
    path: String,
    addr: u64,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Group({:?})", self.path)
    }
}

/// A group member: either a group or a dataset.
///
/// ```
/// let mut b = kiln_hdf5::FileBuilder::new();
/// b.root_mut().create_group("a")?.create_dataset("x", &[], vec![1i64])?;
/// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
/// let node = f.root().get("a/x")?;
/// assert!(node.is_dataset());
/// assert_eq!(node.path(), "/a/x");
/// # Ok::<(), kiln_hdf5::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Node {
    /// A group.
    Group(Group),
    /// A dataset.
    Dataset(Dataset),
}

impl Node {
    /// True if this is a group.
    ///
    /// ```
    /// let f = kiln_hdf5::File::from_bytes(kiln_hdf5::FileBuilder::new().to_bytes()?)?;
    /// assert!(f.root().get("/")?.is_group());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn is_group(&self) -> bool {
        matches!(self, Node::Group(_))
    }

    /// True if this is a dataset.
    ///
    /// ```
    /// let f = kiln_hdf5::File::from_bytes(kiln_hdf5::FileBuilder::new().to_bytes()?)?;
    /// assert!(!f.root().get("/")?.is_dataset());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn is_dataset(&self) -> bool {
        matches!(self, Node::Dataset(_))
    }

    /// The absolute path of the object.
    ///
    /// ```
    /// let f = kiln_hdf5::File::from_bytes(kiln_hdf5::FileBuilder::new().to_bytes()?)?;
    /// assert_eq!(f.root().get("/")?.path(), "/");
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn path(&self) -> &str {
        match self {
            Node::Group(g) => g.path(),
            Node::Dataset(d) => d.path(),
        }
    }

    /// The group, or an error if this is a dataset.
    ///
    /// ```
    /// let f = kiln_hdf5::File::from_bytes(kiln_hdf5::FileBuilder::new().to_bytes()?)?;
    /// assert_eq!(f.root().get("/")?.into_group()?.path(), "/");
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn into_group(self) -> Result<Group> {
        match self {
            Node::Group(g) => Ok(g),
            Node::Dataset(d) => Err(Error::TypeMismatch(format!(
                "'{}' is a dataset, not a group",
                d.path
            ))),
        }
    }

    /// The dataset, or an error if this is a group.
    ///
    /// ```
    /// let f = kiln_hdf5::File::from_bytes(kiln_hdf5::FileBuilder::new().to_bytes()?)?;
    /// assert!(f.root().get("/")?.into_dataset().is_err());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn into_dataset(self) -> Result<Dataset> {
        match self {
            Node::Dataset(d) => Ok(d),
            Node::Group(g) => Err(Error::TypeMismatch(format!(
                "'{}' is a group, not a dataset",
                g.path
            ))),
        }
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

fn is_group_header(h: &Header) -> bool {
    h.msgs.iter().any(|m| {
        matches!(
            m.mtype,
            MSG_SYMBOL_TABLE | MSG_LINK_INFO | MSG_LINK | MSG_GROUP_INFO
        )
    })
}

fn open_node(fd: &Arc<FileData>, addr: u64, path: String) -> Result<Node> {
    let h = Header::read(fd, addr)?;
    if is_group_header(&h) {
        Ok(Node::Group(Group {
            fd: fd.clone(),
            path,
            addr,
        }))
    } else if h.find(MSG_LAYOUT).is_some() {
        let info =
            DatasetInfo::parse(fd, &h).map_err(|e| e.context(format!("dataset '{path}'")))?;
        Dataset::node(fd.clone(), path, addr, info)
    } else if h.find(crate::format::MSG_DATATYPE).is_some() {
        Err(unsupported(format!(
            "'{path}' is a committed (named) datatype"
        )))
    } else {
        Err(corrupt(format!(
            "object header at 0x{addr:x} ('{path}') is neither a group nor a dataset"
        )))
    }
}

/// All links of a group, sorted by name.
fn group_links(fd: &FileData, h: &Header) -> Result<Vec<(String, Link)>> {
    let mut links = if let Some(b) = h.body(fd, MSG_SYMBOL_TABLE)? {
        symbol_table_links(fd, b)?
    } else {
        let mut v = Vec::new();
        for m in h.msgs.iter().filter(|m| m.mtype == MSG_LINK) {
            v.push(parse_link(&fd.data[m.body.clone()])?);
        }
        if let Some(b) = h.body(fd, MSG_LINK_INFO)? {
            let mut r = crate::bytes::Rd::new(b, 0, "link info message");
            let ver = r.u8()?;
            if ver != 0 {
                return Err(corrupt(format!("link info message: unknown version {ver}")));
            }
            let flags = r.u8()?;
            if flags & 1 != 0 {
                r.skip(8)?;
            }
            let heap = r.u64()?;
            let btree = r.u64()?;
            if heap != UNDEF {
                for rec in crate::dense::records(fd, heap, btree, 5)? {
                    v.push(parse_link(rec)?);
                }
            }
        }
        v
    };
    links.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(links)
}

/// All attribute messages of an object (compact and dense), sorted by name.
fn raw_attrs<'a>(fd: &'a FileData, h: &Header) -> Result<Vec<RawAttr<'a>>> {
    let mut out = Vec::new();
    for m in h.msgs.iter().filter(|m| m.mtype == MSG_ATTRIBUTE) {
        if m.flags & 0x02 != 0 {
            return Err(unsupported("shared attribute message"));
        }
        out.push(parse_attr(&fd.data[m.body.clone()])?);
    }
    if let Some(b) = h.body(fd, MSG_ATTR_INFO)? {
        let mut r = crate::bytes::Rd::new(b, 0, "attribute info message");
        let ver = r.u8()?;
        if ver != 0 {
            return Err(corrupt(format!(
                "attribute info message: unknown version {ver}"
            )));
        }
        let flags = r.u8()?;
        if flags & 1 != 0 {
            r.skip(2)?;
        }
        let heap = r.u64()?;
        let btree = r.u64()?;
        if heap != UNDEF {
            for rec in crate::dense::records(fd, heap, btree, 8)? {
                out.push(parse_attr(rec)?);
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn attr_names_of(fd: &FileData, addr: u64) -> Result<Vec<String>> {
    let h = Header::read(fd, addr)?;
    Ok(raw_attrs(fd, &h)?.into_iter().map(|a| a.name).collect())
}

fn attr_of(fd: &FileData, addr: u64, name: &str) -> Result<AttrValue> {
    let h = Header::read(fd, addr)?;
    let attrs = raw_attrs(fd, &h)?;
    let a = attrs
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| Error::NotFound(format!("attribute '{name}'")))?;
    attr_value(fd, a.dtype, a.space, a.data).map_err(|e| e.context(format!("attribute '{name}'")))
}

fn attr_dtype_of(fd: &FileData, addr: u64, name: &str) -> Result<DType> {
    let h = Header::read(fd, addr)?;
    let attrs = raw_attrs(fd, &h)?;
    let a = attrs
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| Error::NotFound(format!("attribute '{name}'")))?;
    Ok(attr_dtype(a.dtype)?.public())
}

impl Group {
    /// The absolute path of this group, e.g. `/layers/dense`.
    ///
    /// ```
    /// let f = kiln_hdf5::File::from_bytes(kiln_hdf5::FileBuilder::new().to_bytes()?)?;
    /// assert_eq!(f.root().path(), "/");
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file address of this group's object header: two links to the same group give
    /// the same address. HDF5 hard links may form cycles (a group containing itself), so
    /// a walk over a file's whole tree should skip addresses it has visited, as h5py's
    /// `visit` does.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("a")?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_ne!(f.root().address(), f.root().group("a")?.address());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn address(&self) -> u64 {
        self.addr
    }

    fn ctx(&self) -> String {
        format!("group '{}'", self.path)
    }

    /// Names of the members (links) of this group, sorted by name in byte
    /// order, as h5py lists them.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("b")?;
    /// b.root_mut().create_group("a")?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().member_names()?, vec!["a", "b"]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn member_names(&self) -> Result<Vec<String>> {
        (|| {
            let h = Header::read(&self.fd, self.addr)?;
            Ok(group_links(&self.fd, &h)?
                .into_iter()
                .map(|(n, _)| n)
                .collect())
        })()
        .map_err(|e: Error| e.context(self.ctx()))
    }

    /// The object at `path`: a member name, a relative path such as
    /// `dense/vars/0`, or an absolute path starting with `/`. Soft links
    /// are followed; external links give [`Error::Unsupported`].
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("a")?.create_group("b")?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// let a = f.root().group("a")?;
    /// assert!(a.get("b")?.is_group());
    /// assert!(a.get("/a/b")?.is_group());
    /// assert!(a.get("missing").is_err());
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn get(&self, path: &str) -> Result<Node> {
        let (full, addr) = self.resolve(path, 0).map_err(|e| e.context(self.ctx()))?;
        open_node(&self.fd, addr, full)
    }

    fn resolve(&self, path: &str, soft_depth: usize) -> Result<(String, u64)> {
        if soft_depth > MAX_SOFT_LINKS {
            return Err(Error::LimitExceeded(format!(
                "more than {MAX_SOFT_LINKS} soft links followed (cycle?)"
            )));
        }
        let (mut cur_path, mut cur) = if path.starts_with('/') {
            ("/".to_string(), self.fd.root_addr)
        } else {
            (self.path.clone(), self.addr)
        };
        for comp in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
            let h = Header::read(&self.fd, cur)?;
            if !is_group_header(&h) {
                return Err(Error::NotFound(format!(
                    "'{comp}' in '{cur_path}': '{cur_path}' is not a group"
                )));
            }
            let links = group_links(&self.fd, &h)?;
            let link = links
                .iter()
                .find(|(n, _)| n == comp)
                .map(|(_, l)| l.clone())
                .ok_or_else(|| Error::NotFound(format!("'{comp}' in group '{cur_path}'")))?;
            let parent = Group {
                fd: self.fd.clone(),
                path: cur_path.clone(),
                addr: cur,
            };
            cur_path = join(&cur_path, comp);
            cur = match link {
                Link::Hard(a) => a,
                Link::Soft(target) => parent.resolve(&target, soft_depth + 1)?.1,
                Link::External => {
                    return Err(unsupported(format!("'{cur_path}' is an external link")))
                }
            };
        }
        Ok((cur_path, cur))
    }

    /// The member group `name` (a name or a path).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("g")?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().group("g")?.path(), "/g");
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn group(&self, name: &str) -> Result<Group> {
        self.get(name)?
            .into_group()
            .map_err(|e| e.context(self.ctx()))
    }

    /// The member dataset `name` (a name or a path).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[3], vec![1i32, 2, 3])?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().dataset("d")?.read_i64()?, vec![1, 2, 3]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn dataset(&self, name: &str) -> Result<Dataset> {
        self.get(name)?
            .into_dataset()
            .map_err(|e| e.context(self.ctx()))
    }

    /// True if `name` exists and is a group (false if it does not exist).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_group("g")?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert!(f.root().is_group("g")?);
    /// assert!(!f.root().is_group("nope")?);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn is_group(&self, name: &str) -> Result<bool> {
        self.exists_as(name, true)
    }

    /// True if `name` exists and is a dataset (false if it does not exist).
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().create_dataset("d", &[1], vec![0u8])?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert!(f.root().is_dataset("d")?);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn is_dataset(&self, name: &str) -> Result<bool> {
        self.exists_as(name, false)
    }

    fn exists_as(&self, name: &str, group: bool) -> Result<bool> {
        match self.get(name) {
            Ok(n) => Ok(n.is_group() == group),
            Err(e) if matches!(e.root_cause(), Error::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Names of this group's attributes, sorted by name.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().set_attr("keras_version", "3.5.0")?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().attr_names()?, vec!["keras_version"]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn attr_names(&self) -> Result<Vec<String>> {
        attr_names_of(&self.fd, self.addr).map_err(|e| e.context(self.ctx()))
    }

    /// The value of attribute `name`.
    ///
    /// ```
    /// use kiln_hdf5::AttrValue;
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().set_attr("layer_names", AttrValue::Strings(vec!["dense".into()]))?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().attr("layer_names")?.as_strings().unwrap(), vec!["dense"]);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn attr(&self, name: &str) -> Result<AttrValue> {
        attr_of(&self.fd, self.addr, name).map_err(|e| e.context(self.ctx()))
    }

    /// The element type of attribute `name`.
    ///
    /// ```
    /// let mut b = kiln_hdf5::FileBuilder::new();
    /// b.root_mut().set_attr("n", 3i64)?;
    /// let f = kiln_hdf5::File::from_bytes(b.to_bytes()?)?;
    /// assert_eq!(f.root().attr_dtype("n")?, kiln_hdf5::DType::I64);
    /// # Ok::<(), kiln_hdf5::Error>(())
    /// ```
    pub fn attr_dtype(&self, name: &str) -> Result<DType> {
        attr_dtype_of(&self.fd, self.addr, name).map_err(|e| e.context(self.ctx()))
    }
}

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
    fd: Arc<FileData>,
    path: String,
    addr: u64,
    info: Arc<DatasetInfo>,
    shape: Vec<usize>,
    dtype: DType,
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
    fn node(fd: Arc<FileData>, path: String, addr: u64, info: DatasetInfo) -> Result<Node> {
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

    fn ctx(&self) -> String {
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
