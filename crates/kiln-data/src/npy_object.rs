//! NumPy object arrays of integer lists (`dtype=object` `.npy` members), the layout of
//! Keras's `imdb.npz` and `reuters.npz`. NumPy stores such arrays as a pickle stream;
//! this is a restricted reader of that stream, in the spirit of Keras's own
//! `RestrictedUnpickler`: it runs the pickle opcodes that rebuild an array (protocols
//! 0-5) but never executes anything, and accepts only the globals array reconstruction
//! needs (`numpy.ndarray`, `numpy.dtype`, `multiarray._reconstruct`). Anything else, or
//! an array whose elements are not lists of integers, is a [`DataError::Corrupt`].

use std::collections::HashMap;
use std::path::Path;

use crate::{DataError, Result};

fn corrupt(path: &Path, msg: impl Into<String>) -> DataError {
    DataError::Corrupt {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// A value of the pickle machine; containers hold indices into the object arena so
/// that memoized lists filled after being memoized stay shared, as in Python.
#[derive(Debug, Clone)]
enum Obj {
    None,
    Bool(bool),
    Int(i64),
    Float,
    Text(String),
    Bytes,
    Tuple(Vec<usize>),
    List(Vec<usize>),
    Dict,
    /// An allowed global, by name (the module was checked when it was loaded).
    Global(String),
    /// `callable(*args)` with the state BUILD gave it, if any.
    Reduced {
        func: usize,
        state: Option<usize>,
    },
}

/// Globals an array pickle may name (Keras's `_ALLOWED_PICKLE_GLOBALS`).
const ALLOWED: [(&str, &str); 4] = [
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
];

struct Machine<'a> {
    path: &'a Path,
    b: &'a [u8],
    i: usize,
    arena: Vec<Obj>,
    stack: Vec<usize>,
    marks: Vec<usize>,
    memo: HashMap<u64, usize>,
}

impl<'a> Machine<'a> {
    fn err(&self, msg: impl Into<String>) -> DataError {
        corrupt(
            self.path,
            format!("object array pickle, byte {}: {}", self.i, msg.into()),
        )
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let s = self
            .b
            .get(self.i..self.i.saturating_add(n))
            .ok_or_else(|| self.err(format!("truncated: {n} more bytes expected")))?;
        self.i += n;
        Ok(s)
    }
    fn uint(&mut self, n: usize) -> Result<u64> {
        let s = self.take(n)?;
        Ok(s.iter().rev().fold(0u64, |a, &x| (a << 8) | x as u64))
    }
    fn line(&mut self) -> Result<&'a str> {
        let rest = &self.b[self.i.min(self.b.len())..];
        let n = rest
            .iter()
            .position(|&c| c == b'\n')
            .ok_or_else(|| self.err("unterminated text line"))?;
        self.i += n + 1;
        std::str::from_utf8(&rest[..n]).map_err(|_| self.err("text line is not UTF-8"))
    }
    fn push(&mut self, o: Obj) {
        self.arena.push(o);
        self.stack.push(self.arena.len() - 1);
    }
    fn pop(&mut self) -> Result<usize> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(self.err("stack underflow past a mark"));
        }
        self.stack.pop().ok_or_else(|| self.err("stack underflow"))
    }
    fn top(&self) -> Result<usize> {
        self.stack
            .last()
            .copied()
            .ok_or_else(|| self.err("empty stack"))
    }
    fn pop_mark(&mut self) -> Result<Vec<usize>> {
        let m = self.marks.pop().ok_or_else(|| self.err("no mark"))?;
        if m > self.stack.len() {
            return Err(self.err("mark above the stack"));
        }
        Ok(self.stack.split_off(m))
    }
    fn global(&mut self, module: &str, name: &str) -> Result<()> {
        if !ALLOWED.contains(&(module, name)) {
            return Err(self.err(format!(
                "refusing to load global {module}.{name} (only numpy array reconstruction is allowed)"
            )));
        }
        self.push(Obj::Global(name.into()));
        Ok(())
    }
    fn append(&mut self, list: usize, items: Vec<usize>) -> Result<()> {
        match &mut self.arena[list] {
            Obj::List(v) => {
                v.extend(items);
                Ok(())
            }
            _ => Err(self.err("APPEND to something that is not a list")),
        }
    }
    fn text(&self, o: usize) -> Option<&str> {
        match &self.arena[o] {
            Obj::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Runs the stream to STOP; returns the index of the result.
    fn run(&mut self) -> Result<usize> {
        loop {
            let op = self.take(1)?[0];
            match op {
                0x80 => {
                    self.take(1)?; // PROTO n
                }
                0x95 => {
                    self.take(8)?; // FRAME: sizes are hints only
                }
                b'.' => return self.pop(),
                b'N' => self.push(Obj::None),
                0x88 => self.push(Obj::Bool(true)),
                0x89 => self.push(Obj::Bool(false)),
                b'J' => {
                    let v = self.uint(4)? as u32 as i32 as i64;
                    self.push(Obj::Int(v));
                }
                b'K' => {
                    let v = self.uint(1)? as i64;
                    self.push(Obj::Int(v));
                }
                b'M' => {
                    let v = self.uint(2)? as i64;
                    self.push(Obj::Int(v));
                }
                0x8a | 0x8b => {
                    let n = if op == 0x8a {
                        self.uint(1)? as usize
                    } else {
                        self.uint(4)? as usize
                    };
                    if n > 8 {
                        return Err(self.err(format!("integer of {n} bytes does not fit in i64")));
                    }
                    let bytes = self.take(n)?;
                    let mut v: i64 = 0;
                    for (k, &x) in bytes.iter().enumerate() {
                        v |= (x as i64) << (8 * k);
                    }
                    if n > 0 && n < 8 && bytes[n - 1] & 0x80 != 0 {
                        v -= 1i64 << (8 * n); // two's complement sign
                    }
                    self.push(Obj::Int(v));
                }
                b'I' | b'L' => {
                    let t = self.line()?.trim_end_matches('L');
                    let o = match t {
                        "00" => Obj::Bool(false),
                        "01" => Obj::Bool(true),
                        _ => Obj::Int(
                            t.parse()
                                .map_err(|_| self.err(format!("bad integer {t:?}")))?,
                        ),
                    };
                    self.push(o);
                }
                b'G' => {
                    self.take(8)?;
                    self.push(Obj::Float);
                }
                b'X' | 0x8c | 0x8d => {
                    let n = match op {
                        b'X' => self.uint(4)?,
                        0x8c => self.uint(1)?,
                        _ => self.uint(8)?,
                    } as usize;
                    let s = self.take(n)?;
                    let s = std::str::from_utf8(s).map_err(|_| self.err("string is not UTF-8"))?;
                    self.push(Obj::Text(s.to_string()));
                }
                b'U' | b'T' | b'C' | b'B' | 0x8e => {
                    // Python 2 byte strings and Python 3 bytes.
                    let n = match op {
                        b'U' | b'C' => self.uint(1)?,
                        b'T' | b'B' => self.uint(4)?,
                        _ => self.uint(8)?,
                    } as usize;
                    self.take(n)?;
                    self.push(Obj::Bytes);
                }
                b'c' => {
                    let module = self.line()?.to_string();
                    let name = self.line()?.to_string();
                    self.global(&module, &name)?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (m, n) = match (self.text(module), self.text(name)) {
                        (Some(m), Some(n)) => (m.to_string(), n.to_string()),
                        _ => return Err(self.err("STACK_GLOBAL needs two strings")),
                    };
                    self.global(&m, &n)?;
                }
                0x94 => {
                    let top = self.top()?;
                    let k = self.memo.len() as u64;
                    self.memo.insert(k, top);
                }
                b'q' | b'r' | b'p' => {
                    let k = match op {
                        b'q' => self.uint(1)?,
                        b'r' => self.uint(4)?,
                        _ => {
                            let t = self.line()?;
                            t.parse()
                                .map_err(|_| self.err(format!("bad memo key {t:?}")))?
                        }
                    };
                    let top = self.top()?;
                    self.memo.insert(k, top);
                }
                b'h' | b'j' | b'g' => {
                    let k = match op {
                        b'h' => self.uint(1)?,
                        b'j' => self.uint(4)?,
                        _ => {
                            let t = self.line()?;
                            t.parse()
                                .map_err(|_| self.err(format!("bad memo key {t:?}")))?
                        }
                    };
                    let o = *self
                        .memo
                        .get(&k)
                        .ok_or_else(|| self.err(format!("memo key {k} is not set")))?;
                    self.stack.push(o);
                }
                b'(' => self.marks.push(self.stack.len()),
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Obj::Tuple(items));
                }
                b')' => self.push(Obj::Tuple(vec![])),
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(Obj::Tuple(items));
                }
                b']' => self.push(Obj::List(vec![])),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Obj::List(items));
                }
                b'a' => {
                    let item = self.pop()?;
                    let list = self.top()?;
                    self.append(list, vec![item])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let list = self.top()?;
                    self.append(list, items)?;
                }
                b'}' => self.push(Obj::Dict),
                b'R' => {
                    let _args = self.pop()?;
                    let func = self.pop()?;
                    if !matches!(self.arena[func], Obj::Global(..)) {
                        return Err(self.err("REDUCE on something that is not an allowed global"));
                    }
                    self.push(Obj::Reduced { func, state: None });
                }
                b'b' => {
                    let st = self.pop()?;
                    let target = self.top()?;
                    match &mut self.arena[target] {
                        Obj::Reduced { state, .. } => *state = Some(st),
                        _ => {
                            return Err(
                                self.err("BUILD on something that is not a reconstructed object")
                            )
                        }
                    }
                }
                other => {
                    return Err(self.err(format!(
                    "pickle opcode 0x{other:02x} is not used by NumPy arrays and is not supported"
                )))
                }
            }
        }
    }

    fn int_list(&self, o: usize, k: usize) -> Result<Vec<i64>> {
        let Obj::List(items) = &self.arena[o] else {
            return Err(corrupt(
                self.path,
                format!("element {k} of the object array is not a list of integers"),
            ));
        };
        items
            .iter()
            .map(|&x| match self.arena[x] {
                Obj::Int(v) => Ok(v),
                Obj::Bool(v) => Ok(v as i64),
                _ => Err(corrupt(
                    self.path,
                    format!("element {k} of the object array holds a non-integer"),
                )),
            })
            .collect()
    }
}

/// Parses a `.npy` payload holding a 1-D `dtype=object` array whose elements are lists of
/// Python integers (what `np.save` writes for ragged token sequences).
///
/// ```
/// use std::path::Path;
/// // A numeric array is not an object array: the error names the file and the dtype.
/// let mut npy = b"\x93NUMPY\x01\x00".to_vec();
/// let mut h = "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }".to_string();
/// while (10 + h.len() + 1) % 64 != 0 { h.push(' '); }
/// h.push('\n');
/// npy.extend_from_slice(&(h.len() as u16).to_le_bytes());
/// npy.extend_from_slice(h.as_bytes());
/// let err = kiln_data::npy_object::parse_object_npy(Path::new("x.npy"), &npy).unwrap_err();
/// assert!(err.to_string().contains("x.npy") && err.to_string().contains("<f8"));
/// ```
pub fn parse_object_npy(path: &Path, b: &[u8]) -> Result<Vec<Vec<i64>>> {
    let (descr, shape, start) = crate::npz::npy_header(path, b)?;
    if descr != "|O" {
        return Err(corrupt(
            path,
            format!("expected an object array ('|O'), got dtype '{descr}'"),
        ));
    }
    if shape.len() != 1 {
        return Err(corrupt(
            path,
            format!("expected a 1-D object array, got shape {shape:?}"),
        ));
    }
    let mut m = Machine {
        path,
        b,
        i: start,
        arena: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    };
    let root = m.run()?;
    // _reconstruct(ndarray, (0,), b'b') then BUILD with (version, shape, dtype, fortran, data).
    let Obj::Reduced {
        func,
        state: Some(state),
        ..
    } = m.arena[root]
    else {
        return Err(corrupt(path, "the pickle does not rebuild a NumPy array"));
    };
    if !matches!(&m.arena[func], Obj::Global(n) if n == "_reconstruct") {
        return Err(corrupt(path, "the pickle does not rebuild a NumPy array"));
    }
    let Obj::Tuple(st) = &m.arena[state] else {
        return Err(corrupt(path, "array state is not a tuple"));
    };
    let data = *st
        .last()
        .ok_or_else(|| corrupt(path, "array state is empty"))?;
    let Obj::List(elements) = &m.arena[data] else {
        return Err(corrupt(path, "array data is not a list of objects"));
    };
    if elements.len() != shape[0] {
        return Err(corrupt(
            path,
            format!(
                "the header says {} elements, the pickle holds {}",
                shape[0],
                elements.len()
            ),
        ));
    }
    elements
        .iter()
        .enumerate()
        .map(|(k, &e)| m.int_list(e, k))
        .collect()
}
