//! The public reading API: [`File`], [`Group`], [`Dataset`], [`Node`].

mod dataset;
mod group;

use std::path::Path;
use std::sync::Arc;

use crate::data::{attr_dtype, attr_value, DatasetInfo};
use crate::error::{corrupt, unsupported, Error, Result};
use crate::format::{
    parse_attr, parse_link, symbol_table_links, FileData, Header, Link, RawAttr, DEFAULT_MAX_READ,
    MSG_ATTRIBUTE, MSG_ATTR_INFO, MSG_LAYOUT, MSG_LINK, MSG_LINK_INFO, MSG_SYMBOL_TABLE, UNDEF,
};
use crate::{AttrValue, DType};
pub use dataset::Dataset;
pub use group::Group;

/// Group info message type (present in new-style groups).
const MSG_GROUP_INFO: u16 = 0x0A;
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
