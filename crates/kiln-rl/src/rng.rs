//! NumPy's random-number stack, bit for bit: `SeedSequence`, the `PCG64` bit generator and the
//! `Generator` methods gymnasium uses.
//!
//! gymnasium seeds every environment and space with
//! `np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))`
//! (`gymnasium.utils.seeding.np_random`); [`np_random`] is that function. The same seed gives
//! the same draws as NumPy, so an environment reset with a seed starts in the state Python's
//! does.
//!
//! ```
//! use kiln_rl::rng::np_random;
//!
//! let (mut rng, _entropy) = np_random(Some(0));
//! // np.random.default_rng(0).random() == 0.6369616873214543
//! assert_eq!(rng.random(), 0.6369616873214543);
//! ```

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use crate::error::{Result, RlError};
use crate::ziggurat;

// SeedSequence's hash constants (numpy/random/bit_generator.pyx).
const POOL_SIZE: usize = 4;
const INIT_A: u32 = 0x43b0_d7e5;
const MULT_A: u32 = 0x931e_8875;
const INIT_B: u32 = 0x8b51_f9dd;
const MULT_B: u32 = 0x58f3_8ded;
const MIX_MULT_L: u32 = 0xca01_f9dd;
const MIX_MULT_R: u32 = 0x4973_f715;
const XSHIFT: u32 = 16;

fn hashmix(value: u32, hash_const: &mut u32) -> u32 {
    let mut value = value ^ *hash_const;
    *hash_const = hash_const.wrapping_mul(MULT_A);
    value = value.wrapping_mul(*hash_const);
    value ^ (value >> XSHIFT)
}

fn mix(x: u32, y: u32) -> u32 {
    let result = MIX_MULT_L
        .wrapping_mul(x)
        .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
    result ^ (result >> XSHIFT)
}

/// NumPy's `SeedSequence` without spawn keys: hashes an integer's entropy into a pool of four
/// 32-bit words and expands the pool into seed material for a bit generator.
///
/// ```
/// use kiln_rl::rng::SeedSequence;
///
/// // np.random.SeedSequence(0).pool
/// let ss = SeedSequence::new(0);
/// assert_eq!(ss.pool(), [0xfe40_eb07, 0x4f36_3a36, 0x4eb2_009d, 0xc89a_7aa7]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedSequence {
    entropy: Vec<u32>,
    pool: [u32; POOL_SIZE],
}

impl SeedSequence {
    /// `SeedSequence(entropy)` for a non-negative integer (NumPy splits it into 32-bit words,
    /// least significant first; zero is the single word `0`).
    pub fn new(entropy: u128) -> Self {
        let mut words = Vec::new();
        let mut n = entropy;
        if n == 0 {
            words.push(0);
        }
        while n > 0 {
            words.push((n & 0xffff_ffff) as u32);
            n >>= 32;
        }
        Self::from_words(&words)
    }

    /// A sequence from entropy given directly as 32-bit words (least significant first), the
    /// form NumPy converts every entropy value to. An empty slice counts as the integer 0.
    pub fn from_words(words: &[u32]) -> Self {
        let entropy = if words.is_empty() {
            vec![0]
        } else {
            words.to_vec()
        };
        let mut pool = [0u32; POOL_SIZE];
        let mut hash_const = INIT_A;
        for (i, slot) in pool.iter_mut().enumerate() {
            *slot = hashmix(entropy.get(i).copied().unwrap_or(0), &mut hash_const);
        }
        for i_src in 0..POOL_SIZE {
            for i_dst in 0..POOL_SIZE {
                if i_src != i_dst {
                    let h = hashmix(pool[i_src], &mut hash_const);
                    pool[i_dst] = mix(pool[i_dst], h);
                }
            }
        }
        for &word in entropy.iter().skip(POOL_SIZE) {
            for slot in pool.iter_mut() {
                let h = hashmix(word, &mut hash_const);
                *slot = mix(*slot, h);
            }
        }
        Self { entropy, pool }
    }

    /// `SeedSequence(None)`: 128 bits of fresh entropy from the operating system (through the
    /// standard library's randomly keyed hasher), as NumPy draws 128 bits from `secrets`.
    pub fn from_os_entropy() -> Self {
        Self::new(os_entropy_u128())
    }

    /// The entropy as 32-bit words, least significant first.
    pub fn entropy_words(&self) -> &[u32] {
        &self.entropy
    }

    /// The entropy as an integer when it fits in 128 bits (it always does for sequences
    /// built with [`SeedSequence::new`] or [`SeedSequence::from_os_entropy`]).
    pub fn entropy(&self) -> Option<u128> {
        if self.entropy.len() > 4 {
            return None;
        }
        Some(
            self.entropy
                .iter()
                .rev()
                .fold(0u128, |acc, &w| (acc << 32) | u128::from(w)),
        )
    }

    /// The hashed entropy pool (`SeedSequence.pool`).
    pub fn pool(&self) -> [u32; POOL_SIZE] {
        self.pool
    }

    /// `generate_state(n_words, np.uint32)`.
    pub fn generate_state_u32(&self, n_words: usize) -> Vec<u32> {
        let mut hash_const = INIT_B;
        (0..n_words)
            .map(|i| {
                let mut data = self.pool[i % POOL_SIZE] ^ hash_const;
                hash_const = hash_const.wrapping_mul(MULT_B);
                data = data.wrapping_mul(hash_const);
                data ^ (data >> XSHIFT)
            })
            .collect()
    }

    /// `generate_state(n_words, np.uint64)`: twice as many 32-bit words, paired little-endian.
    pub fn generate_state_u64(&self, n_words: usize) -> Vec<u64> {
        self.generate_state_u32(2 * n_words)
            .chunks_exact(2)
            .map(|p| u64::from(p[0]) | (u64::from(p[1]) << 32))
            .collect()
    }
}

fn os_entropy_u128() -> u128 {
    let mut out = 0u128;
    for i in 0..2u64 {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(i);
        out = (out << 64) | u128::from(h.finish());
    }
    out
}

// PCG_DEFAULT_MULTIPLIER_128 (numpy/random/src/pcg64/pcg64.h).
const PCG_MULT: u128 = (2_549_297_995_355_413_924u128 << 64) | 4_865_540_595_714_422_341u128;

/// NumPy's `PCG64` bit generator: a 128-bit linear congruential generator with the XSL-RR
/// output function, plus NumPy's one-word buffer for 32-bit draws.
///
/// ```
/// use kiln_rl::rng::{Pcg64, SeedSequence};
///
/// // np.random.PCG64(0).random_raw()
/// let mut bg = Pcg64::new(&SeedSequence::new(0));
/// assert_eq!(bg.next_u64(), 0xa30f_ebcf_d9c2_825f);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pcg64 {
    state: u128,
    inc: u128,
    has_uint32: bool,
    uinteger: u32,
}

impl Pcg64 {
    /// `PCG64(seed_sequence)`: seeds from `generate_state(4, np.uint64)` (words 0-1 the
    /// initial state, words 2-3 the stream, high word first).
    pub fn new(seed: &SeedSequence) -> Self {
        let v = seed.generate_state_u64(4);
        let initstate = (u128::from(v[0]) << 64) | u128::from(v[1]);
        let initseq = (u128::from(v[2]) << 64) | u128::from(v[3]);
        let mut bg = Self {
            state: 0,
            inc: (initseq << 1) | 1,
            has_uint32: false,
            uinteger: 0,
        };
        bg.step();
        bg.state = bg.state.wrapping_add(initstate);
        bg.step();
        bg
    }

    /// A generator at an exact state, as `PCG64().state = {"state": {"state": s, "inc": i}}`
    /// sets it (the 32-bit buffer empty). `inc` must be odd, as every PCG64 increment is.
    pub fn from_state(state: u128, inc: u128) -> Result<Self> {
        if inc & 1 == 0 {
            return Err(RlError::InvalidArgument(format!(
                "PCG64 increment must be odd, got {inc:#x}"
            )));
        }
        Ok(Self {
            state,
            inc,
            has_uint32: false,
            uinteger: 0,
        })
    }

    /// The LCG state and increment (`bit_generator.state["state"]`).
    pub fn state(&self) -> (u128, u128) {
        (self.state, self.inc)
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
    }

    /// The next 64-bit output (`random_raw()`).
    pub fn next_u64(&mut self) -> u64 {
        self.step();
        let s = self.state;
        let rot = (s >> 122) as u32;
        (((s >> 64) as u64) ^ (s as u64)).rotate_right(rot)
    }

    /// The next 32-bit output: the low half of a fresh 64-bit draw, then its high half.
    pub fn next_u32(&mut self) -> u32 {
        if self.has_uint32 {
            self.has_uint32 = false;
            return self.uinteger;
        }
        let next = self.next_u64();
        self.has_uint32 = true;
        self.uinteger = (next >> 32) as u32;
        next as u32
    }

    /// A double in `[0, 1)`: the top 53 bits of a 64-bit draw times `2^-53`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// NumPy's `Generator` over [`Pcg64`], with the methods gymnasium's classic-control
/// environments and spaces call.
///
/// ```
/// use kiln_rl::rng::Generator;
///
/// let mut rng = Generator::from_seed(42);
/// // np.random.default_rng(42).integers(0, 10)
/// assert_eq!(rng.integers(0, 10).unwrap(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    bit_generator: Pcg64,
}

impl Generator {
    /// A generator over the given bit generator.
    pub fn new(bit_generator: Pcg64) -> Self {
        Self { bit_generator }
    }

    /// `np.random.default_rng(seed)`.
    pub fn from_seed(seed: u64) -> Self {
        Self::new(Pcg64::new(&SeedSequence::new(u128::from(seed))))
    }

    /// `np.random.default_rng()`: seeded from fresh operating-system entropy.
    pub fn from_os_entropy() -> Self {
        Self::new(Pcg64::new(&SeedSequence::from_os_entropy()))
    }

    /// The underlying bit generator.
    pub fn bit_generator(&mut self) -> &mut Pcg64 {
        &mut self.bit_generator
    }

    /// `random()`: a double in `[0, 1)`.
    pub fn random(&mut self) -> f64 {
        self.bit_generator.next_f64()
    }

    fn check_range(low: f64, high: f64) -> Result<f64> {
        let range = high - low;
        if !range.is_finite() {
            return Err(RlError::InvalidArgument(format!(
                "uniform: high - low range exceeds valid bounds (low={low}, high={high})"
            )));
        }
        if range < 0.0 {
            return Err(RlError::InvalidArgument(format!(
                "uniform: high - low < 0 (low={low}, high={high})"
            )));
        }
        Ok(range)
    }

    /// `uniform(low, high)`: `low + (high - low) * random()`.
    ///
    /// Errors where NumPy raises: a non-finite or negative `high - low`.
    pub fn uniform(&mut self, low: f64, high: f64) -> Result<f64> {
        let range = Self::check_range(low, high)?;
        Ok(low + range * self.random())
    }

    /// `uniform(low, high, size=n)`.
    pub fn uniform_n(&mut self, low: f64, high: f64, n: usize) -> Result<Vec<f64>> {
        let range = Self::check_range(low, high)?;
        Ok((0..n).map(|_| low + range * self.random()).collect())
    }

    /// `uniform(low=array, high=array)` with equal-length bounds: one draw per pair, in order.
    pub fn uniform_each(&mut self, low: &[f64], high: &[f64]) -> Result<Vec<f64>> {
        if low.len() != high.len() {
            return Err(RlError::InvalidArgument(format!(
                "uniform: low has {} values but high has {}",
                low.len(),
                high.len()
            )));
        }
        let ranges = low
            .iter()
            .zip(high)
            .map(|(&l, &h)| Self::check_range(l, h))
            .collect::<Result<Vec<f64>>>()?;
        Ok(low
            .iter()
            .zip(ranges)
            .map(|(&l, r)| l + r * self.random())
            .collect())
    }

    /// `integers(low, high)`: an integer in `[low, high)` by NumPy's bounded-integer
    /// algorithm (Lemire's multiply-shift with rejection; ranges that fit 32 bits use the
    /// buffered 32-bit draws).
    ///
    /// Errors where NumPy raises: `low >= high`.
    pub fn integers(&mut self, low: i64, high: i64) -> Result<i64> {
        if low >= high {
            return Err(RlError::InvalidArgument(format!(
                "integers: low >= high (low={low}, high={high})"
            )));
        }
        // high - 1 - low as an unsigned range (NumPy: rng = high - low with high closed).
        let rng = (high as u64).wrapping_sub(1).wrapping_sub(low as u64);
        let off = low as u64;
        Ok(off.wrapping_add(self.bounded_u64(rng)) as i64)
    }

    /// A draw in `[0, rng]` (`random_bounded_uint64_fill` for one value, unmasked).
    fn bounded_u64(&mut self, rng: u64) -> u64 {
        if rng == 0 {
            0
        } else if rng <= 0xffff_ffff {
            if rng == 0xffff_ffff {
                return u64::from(self.bit_generator.next_u32());
            }
            u64::from(self.bounded_lemire_u32(rng as u32))
        } else if rng == u64::MAX {
            self.bit_generator.next_u64()
        } else {
            self.bounded_lemire_u64(rng)
        }
    }

    fn bounded_lemire_u32(&mut self, rng: u32) -> u32 {
        let rng_excl = rng + 1;
        let mut m = u64::from(self.bit_generator.next_u32()) * u64::from(rng_excl);
        let mut leftover = m as u32;
        if leftover < rng_excl {
            let threshold = (u32::MAX - rng) % rng_excl;
            while leftover < threshold {
                m = u64::from(self.bit_generator.next_u32()) * u64::from(rng_excl);
                leftover = m as u32;
            }
        }
        (m >> 32) as u32
    }

    fn bounded_lemire_u64(&mut self, rng: u64) -> u64 {
        let rng_excl = rng + 1;
        let mut m = u128::from(self.bit_generator.next_u64()) * u128::from(rng_excl);
        let mut leftover = m as u64;
        if leftover < rng_excl {
            let threshold = (u64::MAX - rng) % rng_excl;
            while leftover < threshold {
                m = u128::from(self.bit_generator.next_u64()) * u128::from(rng_excl);
                leftover = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// `standard_normal()`: NumPy's 256-layer ziggurat.
    pub fn standard_normal(&mut self) -> f64 {
        let t = ziggurat::normal_tables();
        loop {
            let mut r = self.bit_generator.next_u64();
            let idx = (r & 0xff) as usize;
            r >>= 8;
            let negative = r & 1 == 1;
            let rabs = (r >> 1) & 0x000f_ffff_ffff_ffff;
            let mut x = rabs as f64 * t.w[idx];
            if negative {
                x = -x;
            }
            if rabs < t.k[idx] {
                return x;
            }
            if idx == 0 {
                // the tail beyond r, by Marsaglia's method (on 1 - U so log never sees 0)
                loop {
                    let xx = -ziggurat::NORMAL_INV_R * (-self.random()).ln_1p();
                    let yy = -(-self.random()).ln_1p();
                    if yy + yy > xx * xx {
                        return if (rabs >> 8) & 1 == 1 {
                            -(ziggurat::NORMAL_R + xx)
                        } else {
                            ziggurat::NORMAL_R + xx
                        };
                    }
                }
            } else if (t.f[idx - 1] - t.f[idx]) * self.random() + t.f[idx] < (-0.5 * x * x).exp() {
                return x;
            }
        }
    }

    /// `standard_exponential()`: NumPy's 256-layer ziggurat.
    pub fn standard_exponential(&mut self) -> f64 {
        let t = ziggurat::exponential_tables();
        loop {
            let mut ri = self.bit_generator.next_u64();
            ri >>= 3;
            let idx = (ri & 0xff) as usize;
            ri >>= 8;
            let x = ri as f64 * t.w[idx];
            if ri < t.k[idx] {
                return x;
            }
            if idx == 0 {
                return ziggurat::EXPONENTIAL_R - (-self.random()).ln_1p();
            }
            if (t.f[idx - 1] - t.f[idx]) * self.random() + t.f[idx] < (-x).exp() {
                return x;
            }
        }
    }
}

/// gymnasium's `utils.seeding.np_random(seed)`: a [`Generator`] seeded through
/// `SeedSequence(seed)`, and the sequence's entropy (the seed itself, or the fresh entropy
/// drawn when `seed` is `None`).
pub fn np_random(seed: Option<u64>) -> (Generator, u128) {
    let ss = match seed {
        Some(s) => SeedSequence::new(u128::from(s)),
        None => SeedSequence::from_os_entropy(),
    };
    let entropy = ss.entropy().unwrap_or_default();
    (Generator::new(Pcg64::new(&ss)), entropy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_rejects_empty_ranges() {
        let mut g = Generator::from_seed(0);
        assert!(matches!(
            g.integers(3, 3),
            Err(RlError::InvalidArgument(m)) if m.contains("low >= high")
        ));
        assert!(g.integers(i64::MIN, i64::MAX).is_ok());
    }

    #[test]
    fn uniform_rejects_bad_bounds() {
        let mut g = Generator::from_seed(0);
        assert!(g.uniform(1.0, 0.0).is_err());
        assert!(g.uniform(0.0, f64::INFINITY).is_err());
        assert!(g.uniform(f64::NAN, 1.0).is_err());
        assert!(g.uniform_each(&[0.0], &[1.0, 2.0]).is_err());
        assert!(Pcg64::from_state(1, 2).is_err());
    }

    #[test]
    fn os_entropy_differs_between_calls() {
        let a = SeedSequence::from_os_entropy();
        let b = SeedSequence::from_os_entropy();
        assert_ne!(a.pool(), b.pool());
        let (mut g1, e1) = np_random(None);
        let (mut g2, e2) = np_random(None);
        assert_ne!(e1, e2);
        assert_ne!(g1.bit_generator().next_u64(), g2.bit_generator().next_u64());
    }

    #[test]
    fn entropy_round_trips() {
        let v = (7u128 << 100) | 12345;
        assert_eq!(SeedSequence::new(v).entropy(), Some(v));
        assert_eq!(SeedSequence::new(0).entropy_words(), &[0]);
        assert_eq!(
            SeedSequence::from_words(&[]).pool(),
            SeedSequence::new(0).pool()
        );
        assert_eq!(SeedSequence::from_words(&[1, 2, 3, 4, 5]).entropy(), None);
    }

    #[test]
    fn u32_draws_split_one_u64() {
        let ss = SeedSequence::new(9);
        let mut a = Pcg64::new(&ss);
        let mut b = Pcg64::new(&ss);
        let w = a.next_u64();
        assert_eq!(b.next_u32(), w as u32);
        assert_eq!(b.next_u32(), (w >> 32) as u32);
        assert_eq!(b.next_u64(), a.next_u64());
    }
}
