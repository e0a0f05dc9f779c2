//! NumPy's legacy `numpy.random.RandomState` (MT19937), draw for draw, so that seeded
//! splitters give scikit-learn's exact indices.

use crate::error::{LearnError, Result};

const N: usize = 624;
const M: usize = 397;

/// NumPy's legacy random generator `numpy.random.RandomState`: a Mersenne Twister
/// (MT19937) with NumPy's seeding, bounded integers and shuffling.
///
/// scikit-learn's `check_random_state(seed)` builds `RandomState(seed)` for an integer
/// seed; [`RandomState::new`] gives the same stream.
///
/// ```
/// use kiln_learn::RandomState;
///
/// // np.random.RandomState(0).permutation(10)
/// let mut rng = RandomState::new(0);
/// assert_eq!(rng.permutation(10), vec![2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
///
/// // np.random.RandomState(42).random_sample()
/// assert_eq!(RandomState::new(42).random_sample(), 0.3745401188473625);
/// ```
#[derive(Clone)]
pub struct RandomState {
    key: [u32; N],
    pos: usize,
    /// The second normal of the last polar Box-Muller pair (`has_gauss` / `gauss`).
    gauss: Option<f64>,
}

impl std::fmt::Debug for RandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RandomState")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl RandomState {
    /// `RandomState(seed)` for an integer seed (MT19937's `init_genrand`, as NumPy's
    /// `_legacy_seeding`).
    pub fn new(seed: u32) -> Self {
        let mut key = [0u32; N];
        key[0] = seed;
        for i in 1..N {
            let prev = key[i - 1];
            key[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        RandomState {
            key,
            pos: N,
            gauss: None,
        }
    }

    /// `RandomState(seed_array)` for a 1-D array of 32-bit seeds (MT19937's
    /// `init_by_array`).
    ///
    /// ```
    /// use kiln_learn::RandomState;
    ///
    /// let mut rng = RandomState::from_array(&[1, 2, 3])?;
    /// // np.random.RandomState([1, 2, 3]).randint(0, 2**32, dtype=np.uint64)
    /// assert_eq!(rng.next_u32(), 2619334238);
    /// assert!(RandomState::from_array(&[]).is_err());
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn from_array(seed: &[u32]) -> Result<Self> {
        if seed.is_empty() {
            return Err(LearnError::EmptySeed);
        }
        let mut state = RandomState::new(19_650_218);
        let mt = &mut state.key;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(seed.len()) {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(seed[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= seed.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            mt[i] =
                (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        state.pos = N;
        Ok(state)
    }

    /// A generator seeded from the process's entropy (scikit-learn's
    /// `random_state=None`, which draws from NumPy's global generator: not reproducible).
    pub fn from_entropy() -> Self {
        use std::collections::hash_map::RandomState as Hasher;
        use std::hash::BuildHasher;
        let mut words = Vec::with_capacity(4);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for k in 0..2u8 {
            let v = Hasher::new().hash_one((k, nanos, std::process::id()));
            words.push(v as u32);
            words.push((v >> 32) as u32);
        }
        // `words` is never empty
        RandomState::from_array(&words).unwrap_or_else(|_| RandomState::new(nanos as u32))
    }

    /// The internal state as `RandomState.get_state()` reports it: the 624 key words and
    /// the position.
    pub fn state(&self) -> (&[u32; N], usize) {
        (&self.key, self.pos)
    }

    fn reload(&mut self) {
        let mt = &mut self.key;
        for k in 0..N {
            let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % N] & 0x7fff_ffff);
            let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
            mt[k] = mt[(k + M) % N] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    /// The next raw 32-bit output (`MT19937.random_raw()`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.reload();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// The next 64-bit output: two 32-bit draws, the first in the high word.
    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        (hi << 32) | u64::from(self.next_u32())
    }

    /// A double in `[0, 1)` with 53 random bits (`random_sample()`).
    pub fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A uniform integer in `[0, max]` by masked rejection (NumPy's legacy
    /// `random_interval`).
    pub fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        if max <= u64::from(u32::MAX) {
            loop {
                let value = u64::from(self.next_u32()) & mask;
                if value <= max {
                    return value;
                }
            }
        }
        loop {
            let value = self.next_u64() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// Shuffles in place, Fisher-Yates from the end (`RandomState.shuffle`).
    ///
    /// ```
    /// use kiln_learn::RandomState;
    ///
    /// let mut x = [0, 1, 2, 3, 4];
    /// RandomState::new(0).shuffle(&mut x);
    /// assert_eq!(x, [2, 0, 1, 3, 4]);
    /// ```
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.random_interval(i as u64) as usize;
            x.swap(i, j);
        }
    }

    /// A random permutation of `0..n` (`RandomState.permutation(n)`).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..n).collect();
        self.shuffle(&mut out);
        out
    }

    /// `size` distinct indices of `0..population`, as `RandomState.choice(population,
    /// size, replace=False)` draws them (the first `size` of a permutation); `None` when
    /// `size > population`.
    pub fn choice_without_replacement(
        &mut self,
        population: usize,
        size: usize,
    ) -> Option<Vec<usize>> {
        if size > population {
            return None;
        }
        let mut p = self.permutation(population);
        p.truncate(size);
        Some(p)
    }

    /// One standard normal draw (`RandomState.standard_normal()`): NumPy's legacy polar
    /// Box-Muller method, which draws a pair and keeps the second for the next call.
    ///
    /// ```
    /// use kiln_learn::RandomState;
    ///
    /// // np.random.RandomState(0).standard_normal(2)
    /// let mut rng = RandomState::new(0);
    /// assert_eq!(rng.standard_normal(), 1.764052345967664);
    /// assert_eq!(rng.standard_normal(), 0.4001572083672233);
    /// ```
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `size` doubles in `[0, 1)` (`RandomState.random_sample(size)`, also what
    /// `uniform(size=size)` and `rand(size)` draw).
    pub fn random_samples(&mut self, size: usize) -> Vec<f64> {
        (0..size).map(|_| self.random_sample()).collect()
    }

    /// One index of `0..p.len()` drawn with probabilities `p`, as
    /// `RandomState.choice(len(p), p=p)`: the first index whose normalised cumulative
    /// probability exceeds one `random_sample()`.
    ///
    /// NumPy's checks come first, with its messages: no NaN, no negative entry, a sum
    /// within `sqrt(eps)` of one.
    ///
    /// ```
    /// use kiln_learn::RandomState;
    ///
    /// // np.random.RandomState(0).choice(4, p=[0.1, 0.2, 0.3, 0.4])
    /// assert_eq!(RandomState::new(0).choice_weighted(&[0.1, 0.2, 0.3, 0.4])?, 2);
    /// assert!(RandomState::new(0).choice_weighted(&[1.5, -0.5]).is_err());
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn choice_weighted(&mut self, p: &[f64]) -> Result<usize> {
        self.choice_weighted_atol(p, f64::EPSILON.sqrt())
    }

    /// [`RandomState::choice_weighted`] for probabilities that came from an array of
    /// another float type: NumPy accepts a sum within `atol` of one, the larger of
    /// `sqrt(eps)` of `float64` and of that type.
    pub(crate) fn choice_weighted_atol(&mut self, p: &[f64], atol: f64) -> Result<usize> {
        check_probabilities(p, atol)?;
        let cdf = normalised_cdf(p);
        let u = self.random_sample();
        Ok(search_right(&cdf, u))
    }

    /// `size` distinct indices of `0..p.len()` drawn with probabilities `p`, as
    /// `RandomState.choice(len(p), size, replace=False, p=p)`: rounds of
    /// `random_sample(size - found)` draws on the cumulative probabilities of the indices
    /// not found yet, keeping each round's new indices in the order first drawn.
    ///
    /// ```
    /// use kiln_learn::RandomState;
    ///
    /// // np.random.RandomState(3).choice(5, 3, replace=False, p=[0.1, 0.3, 0.2, 0.25, 0.15])
    /// let got = RandomState::new(3).choice_weighted_without_replacement(&[0.1, 0.3, 0.2, 0.25, 0.15], 3)?;
    /// assert_eq!(got, vec![2, 3, 1]);
    /// # Ok::<(), kiln_learn::LearnError>(())
    /// ```
    pub fn choice_weighted_without_replacement(
        &mut self,
        p: &[f64],
        size: usize,
    ) -> Result<Vec<usize>> {
        self.choice_weighted_without_replacement_atol(p, size, f64::EPSILON.sqrt())
    }

    /// [`RandomState::choice_weighted_without_replacement`] with the sum tolerance of
    /// [`RandomState::choice_weighted_atol`].
    pub(crate) fn choice_weighted_without_replacement_atol(
        &mut self,
        p: &[f64],
        size: usize,
        atol: f64,
    ) -> Result<Vec<usize>> {
        check_probabilities(p, atol)?;
        if size > p.len() {
            return Err(LearnError::SampleLargerThanPopulation);
        }
        if p.iter().filter(|v| **v > 0.0).count() < size {
            return Err(LearnError::FewerNonZeroThanSize);
        }
        let mut p = p.to_vec();
        let mut found: Vec<usize> = Vec::with_capacity(size);
        while found.len() < size {
            let x = self.random_samples(size - found.len());
            for &i in &found {
                p[i] = 0.0;
            }
            let cdf = normalised_cdf(&p);
            let start = found.len();
            for u in x {
                let idx = search_right(&cdf, u);
                if !found[start..].contains(&idx) {
                    found.push(idx);
                }
            }
        }
        Ok(found)
    }
}

/// NumPy's checks on `choice`'s `p`, in its order.
fn check_probabilities(p: &[f64], atol: f64) -> Result<()> {
    let total = kahan_sum(p);
    if total.is_nan() {
        return Err(LearnError::ProbabilitiesNaN);
    }
    if p.iter().any(|v| *v < 0.0) {
        return Err(LearnError::ProbabilitiesNegative);
    }
    if (total - 1.0).abs() > atol {
        return Err(LearnError::ProbabilitiesSum);
    }
    Ok(())
}

/// NumPy's `kahan_sum` (compensated, starting from the first value).
fn kahan_sum(a: &[f64]) -> f64 {
    let Some((&first, rest)) = a.split_first() else {
        return 0.0;
    };
    let (mut sum, mut c) = (first, 0.0);
    for &v in rest {
        let y = v - c;
        let t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    sum
}

/// `cdf = p.cumsum(); cdf /= cdf[-1]`.
fn normalised_cdf(p: &[f64]) -> Vec<f64> {
    let mut cdf = crate::numeric::cumsum(p.iter().copied());
    if let Some(&last) = cdf.last() {
        for v in &mut cdf {
            *v /= last;
        }
    }
    cdf
}

/// `searchsorted(a, v, side="right")`: the number of entries `<= v`.
fn search_right(a: &[f64], v: f64) -> usize {
    a.partition_point(|x| *x <= v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_mt19937_output() {
        // The reference implementation's init_by_array({0x123, 0x234, 0x345, 0x456}).
        let mut rng = RandomState::from_array(&[0x123, 0x234, 0x345, 0x456]).unwrap();
        let first: Vec<u32> = (0..5).map(|_| rng.next_u32()).collect();
        assert_eq!(
            first,
            vec![1067595299, 955945823, 477289528, 4107218783, 4228976476]
        );
        // init_genrand(5489), the C++ std::mt19937 default: the 10000th output.
        let mut rng = RandomState::new(5489);
        let last = (0..10000).map(|_| rng.next_u32()).last();
        assert_eq!(last, Some(4_123_659_995));
    }

    #[test]
    fn bounded_draws_stay_in_range() {
        let mut rng = RandomState::new(7);
        for max in [0u64, 1, 2, 5, 1 << 33] {
            for _ in 0..100 {
                assert!(rng.random_interval(max) <= max);
            }
        }
        assert_eq!(rng.choice_without_replacement(3, 4), None);
        let mut entropy = RandomState::from_entropy();
        let _ = entropy.next_u32();
        assert_eq!(entropy.state().0.len(), 624);
    }
}
