//! The serialiser: lays out the built tree as HDF5 bytes (superblock, object headers,
//! symbol-table B-trees, local and global heaps, contiguous data) and its message
//! encoders (dataspaces, datatypes).

use crate::error::{Error, Result};
use crate::format::UNDEF;
use crate::AttrValue;

use super::{Data, DatasetBuilder, GroupBuilder, Member, INTERNAL_K, LEAF_K};

/// Largest header message a version-1 object header can hold.
pub(super) const MAX_MESSAGE: usize = 65_528;
/// Objects per global heap collection.
pub(super) const GCOL_MAX_OBJECTS: usize = 60_000;

pub(super) const SUPERBLOCK_SIZE: usize = 96;
pub(super) const BTREE_NODE_SIZE: usize = 24 + 2 * INTERNAL_K * 8 + (2 * INTERNAL_K + 1) * 8;
pub(super) const SNOD_SIZE: usize = 8 + 2 * LEAF_K * 40;

/// Where a written group's structures are.
pub(super) struct GroupAddrs {
    pub(super) header: u64,
    pub(super) btree: u64,
    pub(super) heap: u64,
}

pub(super) fn symbol_entry(name_off: u64, g: &GroupAddrs) -> Vec<u8> {
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
pub(super) type HeaderMsg = (u16, Vec<u8>, Vec<(usize, usize)>);

#[derive(Default)]
pub(super) struct Serializer {
    pub(super) buf: Vec<u8>,
    /// Global heap collections: each a list of string objects.
    pub(super) heaps: Vec<Vec<Vec<u8>>>,
    /// (position in buf, collection number) of vlen references to patch.
    pub(super) patches: Vec<(usize, usize)>,
}

pub(super) fn pad8(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(8) {
        v.push(0);
    }
}

impl Serializer {
    /// Appends `bytes` at the next 8-byte aligned address.
    pub(super) fn alloc(&mut self, bytes: &[u8]) -> u64 {
        pad8(&mut self.buf);
        let a = self.buf.len() as u64;
        self.buf.extend_from_slice(bytes);
        a
    }

    /// Adds a string to the global heap; returns its 16-byte reference
    /// (collection address patched later) and the patch slot offset in it.
    pub(super) fn vlen_ref(
        &mut self,
        s: &str,
        out: &mut Vec<u8>,
        patches: &mut Vec<(usize, usize)>,
    ) {
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
    pub(super) fn alloc_patched(&mut self, bytes: &[u8], patches: Vec<(usize, usize)>) -> u64 {
        let a = self.alloc(bytes);
        for (p, c) in patches {
            self.patches.push((a as usize + p, c));
        }
        a
    }

    pub(super) fn finish_heaps(&mut self) {
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

    pub(super) fn group(&mut self, g: &GroupBuilder, path: &str) -> Result<GroupAddrs> {
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

    pub(super) fn dataset(&mut self, d: &DatasetBuilder, path: &str) -> Result<u64> {
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
    pub(super) fn encode_data(&mut self, data: &Data) -> (Vec<u8>, Vec<u8>, Vec<(usize, usize)>) {
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

    pub(super) fn attr_message(
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
    pub(super) fn object_header(&mut self, msgs: Vec<HeaderMsg>) -> u64 {
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

pub(super) fn dataspace_v1(dims: &[u64]) -> Vec<u8> {
    let mut m = vec![1u8, dims.len() as u8, 0, 0, 0, 0, 0, 0];
    for d in dims {
        m.extend_from_slice(&d.to_le_bytes());
    }
    m
}

pub(super) fn dt_int(size: u32, signed: bool) -> Vec<u8> {
    let mut m = vec![0x10, if signed { 0x08 } else { 0 }, 0, 0];
    m.extend_from_slice(&size.to_le_bytes());
    m.extend_from_slice(&0u16.to_le_bytes());
    m.extend_from_slice(&((size * 8) as u16).to_le_bytes());
    m
}

pub(super) fn dt_float(size: u32) -> Vec<u8> {
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

pub(super) fn dt_vlen_str() -> Vec<u8> {
    // class 9 (variable-length), type string, null-terminated, UTF-8;
    // base type: 1-byte unsigned integer
    let mut m = vec![0x19, 0x01, 0x01, 0x00];
    m.extend_from_slice(&16u32.to_le_bytes());
    m.extend_from_slice(&dt_int(1, false));
    m
}

pub(super) fn dt_bool() -> Vec<u8> {
    let mut m = vec![0x18, 2, 0, 0];
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&dt_int(1, true));
    m.extend_from_slice(b"FALSE\0\0\0TRUE\0\0\0\0");
    m.extend_from_slice(&[0, 1]);
    m
}

/// Fixed-length (null-padded) string type and elements; UTF-8 charset if
/// any string is not ASCII.
pub(super) fn fixed_strings(v: &[String]) -> (Vec<u8>, Vec<u8>) {
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
