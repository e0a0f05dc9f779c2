//! CPython's `random` module (MT19937 seeded by `init_by_array`): the `random.shuffle`
//! that `keras.utils.split_dataset` uses, so seeded splits select the same samples.

use crate::numpy_random::Mt19937;

/// `random.Random(seed)` for a non-negative integer seed.
///
/// ```
/// use kiln_data::python_random::PyRandom;
/// let mut v: Vec<u32> = (0..10).collect();
/// PyRandom::new(1337).shuffle(&mut v);
/// // random.seed(1337); x = list(range(10)); random.shuffle(x)
/// assert_eq!(v, vec![0, 3, 7, 2, 1, 6, 4, 5, 8, 9]);
/// ```
#[derive(Clone, Debug)]
pub struct PyRandom {
    mt: Mt19937,
}

impl PyRandom {
    /// `random.seed(seed)`: the seed's 32-bit words, least significant first.
    ///
    /// ```
    /// let _ = kiln_data::python_random::PyRandom::new(42);
    /// ```
    pub fn new(seed: u64) -> PyRandom {
        let key: Vec<u32> = if seed >> 32 == 0 {
            vec![seed as u32]
        } else {
            vec![seed as u32, (seed >> 32) as u32]
        };
        PyRandom {
            mt: Mt19937::from_key(&key),
        }
    }

    /// `getrandbits(k)` for `1 <= k <= 32`.
    ///
    /// ```
    /// let mut r = kiln_data::python_random::PyRandom::new(0);
    /// assert_eq!(r.getrandbits(32), 3626764237);
    /// ```
    pub fn getrandbits(&mut self, k: u32) -> u32 {
        self.mt.next_u32() >> (32 - k.clamp(1, 32))
    }

    /// `random()`: a float in `[0, 1)` from 53 random bits (two 32-bit draws, CPython's
    /// `genrand_res53`), the value Keras Tuner's `random.Random(seed).random()` samples.
    ///
    /// ```
    /// // random.Random(0).random()
    /// assert_eq!(kiln_data::python_random::PyRandom::new(0).random(), 0.8444218515250481);
    /// ```
    pub fn random(&mut self) -> f64 {
        let a = self.mt.next_u32() >> 5;
        let b = self.mt.next_u32() >> 6;
        (f64::from(a) * 67108864.0 + f64::from(b)) * (1.0 / 9007199254740992.0)
    }

    /// `_randbelow(n)`: uniform in `[0, n)` by rejection on `n.bit_length()` bits.
    ///
    /// ```
    /// let mut r = kiln_data::python_random::PyRandom::new(3);
    /// assert!(r.randbelow(7) < 7);
    /// ```
    pub fn randbelow(&mut self, n: u32) -> u32 {
        if n <= 1 {
            return 0;
        }
        let k = 32 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `random.shuffle(x)` in place (Fisher-Yates from the end). Lengths beyond 2^32
    /// are not supported (CPython would draw wider integers there).
    ///
    /// ```
    /// let mut v = vec!['a', 'b', 'c'];
    /// kiln_data::python_random::PyRandom::new(5).shuffle(&mut v);
    /// v.sort();
    /// assert_eq!(v, vec!['a', 'b', 'c']);
    /// ```
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.randbelow((i + 1) as u32) as usize;
            x.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cpython_for_wide_seeds_and_longer_lists() {
        // random.seed(2**40 + 5); random.getrandbits(32)
        assert_eq!(PyRandom::new((1 << 40) + 5).getrandbits(32), 2166296868);
        // random.seed(123456789); x = list(range(20)); random.shuffle(x)
        let mut v: Vec<usize> = (0..20).collect();
        PyRandom::new(123456789).shuffle(&mut v);
        assert_eq!(
            v,
            vec![18, 16, 11, 10, 1, 4, 2, 0, 3, 13, 7, 15, 5, 8, 6, 19, 9, 12, 17, 14]
        );
    }
}
