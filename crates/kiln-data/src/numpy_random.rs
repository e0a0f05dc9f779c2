//! NumPy's legacy `RandomState` (MT19937): its shuffle, uniform doubles and bounded
//! integers, so Keras code that draws from `np.random` with a seed (dataset splits,
//! `ImageDataGenerator`'s random transforms) comes out identical.

/// MT19937 seeded as `np.random.RandomState(seed)` does for an integer seed.
#[derive(Clone, Debug)]
pub struct Mt19937 {
    mt: [u32; 624],
    pos: usize,
}

impl Mt19937 {
    /// `init_genrand(seed)`.
    pub fn new(seed: u32) -> Mt19937 {
        let mut mt = [0u32; 624];
        mt[0] = seed;
        for i in 1..624 {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { mt, pos: 624 }
    }

    /// `init_by_array(key)`: the seeding CPython's `random.seed(int)` uses (the key is
    /// the seed's 32-bit words, least significant first).
    ///
    /// ```
    /// use kiln_data::numpy_random::Mt19937;
    /// // random.seed(0); random.getrandbits(32) == 3626764237
    /// assert_eq!(Mt19937::from_key(&[0]).next_u32(), 3626764237);
    /// ```
    pub fn from_key(key: &[u32]) -> Mt19937 {
        let key: &[u32] = if key.is_empty() { &[0] } else { key };
        let mut g = Mt19937::new(19_650_218);
        let mt = &mut g.mt;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..624.max(key.len()) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= 624 {
                mt[0] = mt[623];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..623 {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= 624 {
                mt[0] = mt[623];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        g
    }

    fn twist(&mut self) {
        for i in 0..624 {
            let y = (self.mt[i] & 0x8000_0000) | (self.mt[(i + 1) % 624] & 0x7fff_ffff);
            let mut v = self.mt[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.mt[i] = v;
        }
        self.pos = 0;
    }

    /// The next 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= 624 {
            self.twist();
        }
        let mut y = self.mt[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// Uniform in `[0, max]` by masked rejection, as NumPy's `random_interval` (and
    /// `randint(0, max + 1)` for ranges below 2^32).
    pub fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        loop {
            let v = self.next_u32() & mask;
            if v <= max {
                return v;
            }
        }
    }
}

/// `np.random.RandomState(seed).shuffle(np.arange(n))` (legacy Fisher-Yates from the end).
///
/// ```
/// let p = kiln_data::numpy_random::shuffled_indices(5, 113);
/// let mut s = p.clone();
/// s.sort();
/// assert_eq!(s, vec![0, 1, 2, 3, 4]);
/// ```
pub fn shuffled_indices(n: usize, seed: u32) -> Vec<usize> {
    shuffle_with(&mut Mt19937::new(seed), n)
}

/// `rng.shuffle(np.arange(n))` on an existing `RandomState`, so successive shuffles draw
/// from one stream as Keras's imdb loader does.
///
/// ```
/// use kiln_data::numpy_random::{shuffle_with, shuffled_indices, Mt19937};
/// let mut rng = Mt19937::new(113);
/// assert_eq!(shuffle_with(&mut rng, 5), shuffled_indices(5, 113));
/// ```
pub fn shuffle_with(rng: &mut Mt19937, n: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.interval(i as u32) as usize;
        idx.swap(i, j);
    }
    idx
}

/// `np.random.RandomState`: the legacy generator with the draws Keras's image utilities
/// use.
///
/// ```
/// use kiln_data::numpy_random::RandomState;
/// // np.random.RandomState(0).random_sample() == 0.5488135039273248
/// assert_eq!(RandomState::new(0).random_sample(), 0.5488135039273248);
/// ```
#[derive(Clone, Debug)]
pub struct RandomState {
    mt: Mt19937,
}

impl RandomState {
    /// `np.random.RandomState(seed)` / `np.random.seed(seed)` for an integer seed.
    ///
    /// ```
    /// let _ = kiln_data::numpy_random::RandomState::new(42);
    /// ```
    pub fn new(seed: u32) -> RandomState {
        RandomState {
            mt: Mt19937::new(seed),
        }
    }

    /// `random_sample()`: a double in `[0, 1)` from two 32-bit outputs (53 bits).
    ///
    /// ```
    /// let v = kiln_data::numpy_random::RandomState::new(1).random_sample();
    /// assert!((0.0..1.0).contains(&v));
    /// ```
    pub fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.mt.next_u32() >> 5);
        let b = f64::from(self.mt.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `uniform(low, high)`: `low + (high - low) * random_sample()`.
    ///
    /// ```
    /// let v = kiln_data::numpy_random::RandomState::new(0).uniform(-40.0, 40.0);
    /// assert!((v - 3.9050803141859802).abs() < 1e-12); // np.random.RandomState(0).uniform(-40, 40)
    /// ```
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.random_sample()
    }

    /// `randint(0, n)` for `1 <= n <= 2^32` (also `choice(n)`, `choice(list)`'s index).
    ///
    /// ```
    /// let mut r = kiln_data::numpy_random::RandomState::new(0);
    /// assert!(r.randint(3) < 3);
    /// assert_eq!(r.randint(1), 0);
    /// ```
    pub fn randint(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        u64::from(self.mt.interval((n - 1) as u32))
    }

    /// `permutation(n)` (a legacy shuffle of `arange(n)`).
    ///
    /// ```
    /// use kiln_data::numpy_random::{shuffled_indices, RandomState};
    /// assert_eq!(RandomState::new(7).permutation(6), shuffled_indices(6, 7));
    /// ```
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.mt.interval(i as u32) as usize;
            idx.swap(i, j);
        }
        idx
    }
}
