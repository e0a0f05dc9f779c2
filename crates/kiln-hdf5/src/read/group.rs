//! [`Group`]: a group's members, links (hard, soft, external) and attributes.

use std::sync::Arc;

use crate::error::{unsupported, Error, Result};
use crate::format::{FileData, Header, Link};
use crate::{AttrValue, DType};

use super::dataset::Dataset;
use super::{
    attr_dtype_of, attr_names_of, attr_of, group_links, is_group_header, join, open_node, Node,
};

/// Most soft links followed while resolving one path.
pub(super) const MAX_SOFT_LINKS: usize = 16;

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
    pub(super) fd: Arc<FileData>,
    pub(super) path: String,
    pub(super) addr: u64,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Group({:?})", self.path)
    }
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

    pub(super) fn ctx(&self) -> String {
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

    pub(super) fn resolve(&self, path: &str, soft_depth: usize) -> Result<(String, u64)> {
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

    pub(super) fn exists_as(&self, name: &str, group: bool) -> Result<bool> {
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
