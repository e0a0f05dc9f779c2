//! The iteration order of a small CPython `set` of numbers.
//!
//! Keras Tuner lists the candidate values of a numeric range without a step as
//! `tuple({prob_to_value(i * 0.1 + 0.05) for i in range(10)})`, so GridSearch walks them
//! in the order of CPython's hash table. This module replays CPython 3.11's set
//! insertion (`set_add_entry` with 9 linear probes, then perturbed probing; a resize to
//! 4x the used size when 3/5 full) and its numeric hash (`_Py_HashDouble`, modulus
//! 2^61 - 1), which is what that order depends on.

use crate::value::Value;

const HASH_BITS: u32 = 61;
const MODULUS: u64 = (1u64 << HASH_BITS) - 1;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;
const MINSIZE: usize = 8;

fn hash_int(i: i64) -> i64 {
    // hash(int): the value modulo 2^61 - 1, sign kept; -1 is reserved.
    let m = (i.unsigned_abs() % MODULUS) as i64;
    let h = if i < 0 { -m } else { m };
    if h == -1 {
        -2
    } else {
        h
    }
}

fn hash_float(v: f64) -> i64 {
    if !v.is_finite() {
        return 0; // only NaN/inf, which a range never yields
    }
    if v.fract() == 0.0 && v.abs() < 9.2e18 {
        return hash_int(v as i64);
    }
    let (mut m, mut e) = frexp(v);
    let mut sign: i64 = 1;
    if m < 0.0 {
        sign = -1;
        m = -m;
    }
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & MODULUS) | (x >> (HASH_BITS - 28));
        m *= 268435456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let e = if e >= 0 {
        (e as u32) % HASH_BITS
    } else {
        HASH_BITS - 1 - (((-1 - e) as u32) % HASH_BITS)
    };
    x = ((x << e) & MODULUS) | (x >> (HASH_BITS - e));
    let h = (x as i64).wrapping_mul(sign);
    if h == -1 {
        -2
    } else {
        h
    }
}

/// `frexp`: `v = m * 2^e` with `0.5 <= |m| < 1`.
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (v, 0);
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // subnormal: scale up first
        let (m, e) = frexp(v * 2f64.powi(64));
        return (m, e - 64);
    }
    let e = exp - 1022;
    let m_bits = (bits & !(0x7ffu64 << 52)) | (1022u64 << 52);
    (f64::from_bits(m_bits), e)
}

fn py_hash(v: &Value) -> i64 {
    match v {
        Value::Bool(b) => i64::from(*b),
        Value::Int(i) => hash_int(*i),
        Value::Float(f) => hash_float(*f),
        Value::Str(_) => 0, // not used: strings never reach a numeric set
    }
}

struct Table {
    slots: Vec<Option<(i64, Value)>>,
    fill: usize,
}

impl Table {
    fn new(size: usize) -> Table {
        Table {
            slots: vec![None; size],
            fill: 0,
        }
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// `set_add_entry`; returns whether the table must grow.
    fn add(&mut self, hash: i64, key: &Value) -> bool {
        let mask = self.mask();
        let mut perturb = hash as u64;
        let mut i = (hash as u64 as usize) & mask;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in 0..=probes {
                match &self.slots[i + j] {
                    None => {
                        self.slots[i + j] = Some((hash, key.clone()));
                        self.fill += 1;
                        return self.fill * 5 >= mask * 3;
                    }
                    Some((h, k)) if *h == hash && k == key => return false,
                    Some(_) => {}
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        }
    }

    /// `set_insert_clean` into a fresh table.
    fn insert_clean(&mut self, hash: i64, key: Value) {
        let mask = self.mask();
        let mut perturb = hash as u64;
        let mut i = (hash as u64 as usize) & mask;
        loop {
            if self.slots[i].is_none() {
                self.slots[i] = Some((hash, key));
                self.fill += 1;
                return;
            }
            if i + LINEAR_PROBES <= mask {
                for j in 1..=LINEAR_PROBES {
                    if self.slots[i + j].is_none() {
                        self.slots[i + j] = Some((hash, key));
                        self.fill += 1;
                        return;
                    }
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        }
    }

    fn resize(&mut self) {
        let used = self.fill;
        let minused = if used > 50000 { used * 2 } else { used * 4 };
        let mut newsize = MINSIZE;
        while newsize <= minused {
            newsize <<= 1;
        }
        let old = std::mem::replace(self, Table::new(newsize));
        for (h, k) in old.slots.into_iter().flatten() {
            self.insert_clean(h, k);
        }
    }
}

/// The distinct `values` in the order CPython iterates `set(values)` built by adding
/// them one by one.
pub(crate) fn set_order(values: &[Value]) -> Vec<Value> {
    let mut t = Table::new(MINSIZE);
    for v in values {
        if t.add(py_hash(v), v) {
            t.resize();
        }
    }
    t.slots.into_iter().flatten().map(|(_, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_hashes_match_cpython() {
        // hash(0.5), hash(0.1), hash(1e-3) in CPython 3.11 (64-bit)
        assert_eq!(hash_float(0.5), 1152921504606846976);
        assert_eq!(hash_float(0.1), 230584300921369408);
        assert_eq!(hash_float(1e-3), 2305843009213694);
        assert_eq!(hash_int(-1), -2);
    }

    #[test]
    fn small_int_sets_iterate_by_value_mod_size() {
        let vals: Vec<Value> = [9, 3, 17, 3, 1].iter().map(|&i| Value::Int(i)).collect();
        // {9, 3, 17, 1}: a table of 8 has no room for linear probes, so 17 -> 6, 1 -> 7
        let got: Vec<i64> = set_order(&vals)
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(got, vec![9, 3, 17, 1]);
    }
}
