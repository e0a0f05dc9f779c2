//! gymnasium's `Discrete` and `Box` spaces, seeded and sampled as gymnasium does.
//!
//! Each space owns a [`Generator`]; [`Discrete::seed`] / [`BoxSpace::seed`] reseed it with
//! gymnasium's `np_random(seed)`, and a space sampled before it was ever seeded seeds itself
//! from fresh operating-system entropy (gymnasium's lazily created `np_random`).
//!
//! ```
//! use kiln_rl::spaces::Discrete;
//!
//! let mut space = Discrete::new(2).unwrap();
//! space.seed(Some(0));
//! let a = space.sample();
//! assert!(space.contains(a));
//! assert!(!space.contains(2));
//! assert_eq!(space.to_string(), "Discrete(2)");
//! ```

use std::fmt;

use crate::error::{Result, RlError};
use crate::rng::{np_random, Generator};

/// An action for [`Env::step`](crate::Env::step): an integer for a [`Discrete`] action space,
/// a vector of `f32` for a [`BoxSpace`].
///
/// `From` conversions cover the usual cases: `Action::from(1)` (also from `usize`, the type
/// an `argmax` returns) and `Action::from(vec![0.5f32])` / `Action::from([0.5f32])`.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A member of a `Discrete` space.
    Discrete(i64),
    /// A member of a `Box` space, flattened in C order.
    Continuous(Vec<f32>),
}

impl From<i64> for Action {
    fn from(v: i64) -> Self {
        Action::Discrete(v)
    }
}

impl From<i32> for Action {
    fn from(v: i32) -> Self {
        Action::Discrete(i64::from(v))
    }
}

impl From<u32> for Action {
    fn from(v: u32) -> Self {
        Action::Discrete(i64::from(v))
    }
}

impl From<usize> for Action {
    /// An index such as an `argmax`. Values beyond `i64::MAX` saturate, which no action space
    /// contains, so they are rejected by `step` rather than wrapped around.
    fn from(v: usize) -> Self {
        Action::Discrete(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<Vec<f32>> for Action {
    fn from(v: Vec<f32>) -> Self {
        Action::Continuous(v)
    }
}

impl From<&[f32]> for Action {
    fn from(v: &[f32]) -> Self {
        Action::Continuous(v.to_vec())
    }
}

impl<const N: usize> From<[f32; N]> for Action {
    fn from(v: [f32; N]) -> Self {
        Action::Continuous(v.to_vec())
    }
}

impl From<f32> for Action {
    fn from(v: f32) -> Self {
        Action::Continuous(vec![v])
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Discrete(v) => write!(f, "{v}"),
            Action::Continuous(v) => write!(f, "{}", format_list(v)),
        }
    }
}

fn format_f32(v: f32) -> String {
    if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{v:?}")
    }
}

fn format_list(v: &[f32]) -> String {
    let items: Vec<String> = v.iter().map(|&x| format_f32(x)).collect();
    format!("[{}]", items.join(", "))
}

fn lazy_rng(rng: &mut Option<Generator>) -> &mut Generator {
    rng.get_or_insert_with(Generator::from_os_entropy)
}

/// gymnasium's `Discrete(n, start=0)`: the integers `start, start + 1, ..., start + n - 1`.
#[derive(Debug, Clone)]
pub struct Discrete {
    n: i64,
    start: i64,
    rng: Option<Generator>,
}

impl PartialEq for Discrete {
    /// Equal when `n` and `start` are (gymnasium's `__eq__`; the generators are not compared).
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n && self.start == other.start
    }
}

impl Discrete {
    /// `Discrete(n)`. Errors unless `n > 0`.
    pub fn new(n: i64) -> Result<Self> {
        Self::with_start(n, 0)
    }

    /// `Discrete(n, start=start)`. Errors unless `n > 0` and `start + n - 1` fits in `i64`.
    pub fn with_start(n: i64, start: i64) -> Result<Self> {
        if n <= 0 {
            return Err(RlError::InvalidSpace(format!(
                "Discrete needs n > 0, got n={n}"
            )));
        }
        if start.checked_add(n - 1).is_none() {
            return Err(RlError::InvalidSpace(format!(
                "Discrete(n={n}, start={start}) reaches past i64::MAX"
            )));
        }
        Ok(Self {
            n,
            start,
            rng: None,
        })
    }

    /// The number of elements.
    pub fn n(&self) -> i64 {
        self.n
    }

    /// The smallest element.
    pub fn start(&self) -> i64 {
        self.start
    }

    /// `space.seed(seed)`: reseeds the space's generator with gymnasium's `np_random(seed)`
    /// and returns the seed entropy used (fresh entropy when `seed` is `None`).
    pub fn seed(&mut self, seed: Option<u64>) -> u128 {
        let (rng, entropy) = np_random(seed);
        self.rng = Some(rng);
        entropy
    }

    /// A uniformly drawn element: `start + np_random.integers(n)`.
    pub fn sample(&mut self) -> i64 {
        let n = self.n;
        // n > 0 is an invariant of the constructor, so the range is never empty.
        let draw = lazy_rng(&mut self.rng).integers(0, n).unwrap_or(0);
        self.start + draw
    }

    /// Whether `x` is an element.
    pub fn contains(&self, x: i64) -> bool {
        let x = i128::from(x);
        let start = i128::from(self.start);
        start <= x && x < start + i128::from(self.n)
    }
}

impl fmt::Display for Discrete {
    /// gymnasium's `repr`: `Discrete(2)`, `Discrete(3, start=-1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == 0 {
            write!(f, "Discrete({})", self.n)
        } else {
            write!(f, "Discrete({}, start={})", self.n, self.start)
        }
    }
}

/// gymnasium's `Box(low, high, shape, dtype=np.float32)`: the product of the closed
/// intervals `[low[i], high[i]]`, where a bound may be infinite.
///
/// Named `BoxSpace` so it does not shadow `std::boxed::Box`.
///
/// ```
/// use kiln_rl::spaces::BoxSpace;
///
/// let mut torque = BoxSpace::uniform(-2.0, 2.0, &[1]).unwrap();
/// torque.seed(Some(3));
/// let u = torque.sample();
/// assert!(torque.contains(&u));
/// assert!(!torque.contains(&[2.5]));
/// assert_eq!(torque.to_string(), "Box(-2.0, 2.0, (1,), float32)");
/// ```
#[derive(Debug, Clone)]
pub struct BoxSpace {
    low: Vec<f32>,
    high: Vec<f32>,
    shape: Vec<usize>,
    rng: Option<Generator>,
}

impl PartialEq for BoxSpace {
    /// Equal when shape and bounds are (gymnasium's `__eq__`).
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.low == other.low && self.high == other.high
    }
}

impl BoxSpace {
    /// A box with per-element bounds, flattened in C order, and the given shape.
    ///
    /// Errors where gymnasium raises: bounds whose length is not the shape's element count,
    /// a NaN bound, `low > high`, `low = +inf` or `high = -inf`.
    pub fn new(low: Vec<f32>, high: Vec<f32>, shape: &[usize]) -> Result<Self> {
        let count: usize = shape.iter().product();
        if low.len() != count || high.len() != count {
            return Err(RlError::InvalidSpace(format!(
                "Box shape {} has {count} elements but low has {} and high has {}",
                format_shape(shape),
                low.len(),
                high.len()
            )));
        }
        for (i, (&l, &h)) in low.iter().zip(&high).enumerate() {
            if l.is_nan() || h.is_nan() {
                return Err(RlError::InvalidSpace(format!(
                    "Box bounds cannot be NaN (element {i}: low={l}, high={h})"
                )));
            }
            if l > h {
                return Err(RlError::InvalidSpace(format!(
                    "Box low must be <= high (element {i}: low={l}, high={h})"
                )));
            }
            if l == f32::INFINITY || h == f32::NEG_INFINITY {
                return Err(RlError::InvalidSpace(format!(
                    "Box bounds leave element {i} empty (low={l}, high={h})"
                )));
            }
        }
        Ok(Self {
            low,
            high,
            shape: shape.to_vec(),
            rng: None,
        })
    }

    /// A box with the same bounds for every element (`Box(low, high, shape)` with scalars).
    pub fn uniform(low: f32, high: f32, shape: &[usize]) -> Result<Self> {
        let count: usize = shape.iter().product();
        Self::new(vec![low; count], vec![high; count], shape)
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The lower bounds, flattened in C order.
    pub fn low(&self) -> &[f32] {
        &self.low
    }

    /// The upper bounds, flattened in C order.
    pub fn high(&self) -> &[f32] {
        &self.high
    }

    /// Whether every element has finite bounds on both sides (`is_bounded("both")`).
    pub fn is_bounded(&self) -> bool {
        self.low
            .iter()
            .zip(&self.high)
            .all(|(l, h)| l.is_finite() && h.is_finite())
    }

    /// `space.seed(seed)`: reseeds the space's generator with gymnasium's `np_random(seed)`
    /// and returns the seed entropy used (fresh entropy when `seed` is `None`).
    pub fn seed(&mut self, seed: Option<u64>) -> u128 {
        let (rng, entropy) = np_random(seed);
        self.rng = Some(rng);
        entropy
    }

    /// A random element, drawn as gymnasium's `Box.sample` does: a standard normal for each
    /// element unbounded on both sides, `low + exponential` for those bounded only below,
    /// `high - exponential` for those bounded only above, and `uniform(low, high)` for the
    /// rest, drawn in that order (each group in C order) in float64 and cast to float32.
    pub fn sample(&mut self) -> Vec<f32> {
        let n = self.low.len();
        let mut out = vec![0f64; n];
        let kinds: Vec<(bool, bool)> = self
            .low
            .iter()
            .zip(&self.high)
            .map(|(l, h)| (l.is_finite(), h.is_finite()))
            .collect();
        let rng = lazy_rng(&mut self.rng);
        for i in 0..n {
            if kinds[i] == (false, false) {
                out[i] = rng.standard_normal();
            }
        }
        for i in 0..n {
            if kinds[i] == (true, false) {
                out[i] = rng.standard_exponential() + f64::from(self.low[i]);
            }
        }
        for i in 0..n {
            if kinds[i] == (false, true) {
                out[i] = -rng.standard_exponential() + f64::from(self.high[i]);
            }
        }
        for i in 0..n {
            if kinds[i] == (true, true) {
                let (l, h) = (f64::from(self.low[i]), f64::from(self.high[i]));
                // Finite f32 bounds with low <= high always give a finite, non-negative range.
                out[i] = l + (h - l) * rng.random();
            }
        }
        out.into_iter().map(|v| v as f32).collect()
    }

    /// Whether `x` is an element: the right length and every value within its bounds (so a
    /// NaN never is).
    pub fn contains(&self, x: &[f32]) -> bool {
        x.len() == self.low.len()
            && x.iter()
                .zip(self.low.iter().zip(&self.high))
                .all(|(&v, (&l, &h))| v >= l && v <= h)
    }
}

fn format_shape(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let items: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", items.join(", "))
        }
    }
}

fn format_bound(v: &[f32]) -> String {
    match v.first() {
        Some(&first) if v.iter().all(|&x| x == first) => format_f32(first),
        _ => format_list(v),
    }
}

impl fmt::Display for BoxSpace {
    /// gymnasium's `repr`, `Box(low, high, shape, float32)`, with a bound written as one
    /// number when all its elements are equal (`Box(-2.0, 2.0, (1,), float32)`) and as a
    /// comma-separated list otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Box({}, {}, {}, float32)",
            format_bound(&self.low),
            format_bound(&self.high),
            format_shape(&self.shape)
        )
    }
}

/// Either kind of space, as an environment's `action_space` is.
#[derive(Debug, Clone, PartialEq)]
pub enum Space {
    /// A [`Discrete`] space.
    Discrete(Discrete),
    /// A [`BoxSpace`].
    Box(BoxSpace),
}

impl Space {
    /// Whether `action` is an element (an action of the other kind never is).
    pub fn contains(&self, action: &Action) -> bool {
        match (self, action) {
            (Space::Discrete(s), Action::Discrete(a)) => s.contains(*a),
            (Space::Box(s), Action::Continuous(a)) => s.contains(a),
            _ => false,
        }
    }

    /// A random element.
    pub fn sample(&mut self) -> Action {
        match self {
            Space::Discrete(s) => Action::Discrete(s.sample()),
            Space::Box(s) => Action::Continuous(s.sample()),
        }
    }

    /// Reseeds the space's generator (see [`Discrete::seed`]).
    pub fn seed(&mut self, seed: Option<u64>) -> u128 {
        match self {
            Space::Discrete(s) => s.seed(seed),
            Space::Box(s) => s.seed(seed),
        }
    }

    /// The space as a [`Discrete`], if it is one (`env.action_space().as_discrete()?.n()`
    /// is the number of actions a Q-network needs).
    pub fn as_discrete(&self) -> Option<&Discrete> {
        match self {
            Space::Discrete(s) => Some(s),
            Space::Box(_) => None,
        }
    }

    /// The space as a [`BoxSpace`], if it is one.
    pub fn as_box(&self) -> Option<&BoxSpace> {
        match self {
            Space::Box(s) => Some(s),
            Space::Discrete(_) => None,
        }
    }

    /// `Err(InvalidAction)` naming the space unless `action` is an element.
    pub fn check(&self, action: &Action) -> Result<()> {
        if self.contains(action) {
            Ok(())
        } else {
            Err(RlError::InvalidAction {
                action: action.to_string(),
                space: self.to_string(),
            })
        }
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Space::Discrete(s) => s.fmt(f),
            Space::Box(s) => s.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discrete_rejects_bad_sizes() {
        assert!(Discrete::new(0).is_err());
        assert!(Discrete::new(-3).is_err());
        assert!(Discrete::with_start(2, i64::MAX).is_err());
        assert!(Discrete::with_start(1, i64::MAX).is_ok());
    }

    #[test]
    fn discrete_membership_and_repr() {
        let s = Discrete::with_start(3, -1).unwrap();
        assert!(s.contains(-1) && s.contains(1));
        assert!(!s.contains(-2) && !s.contains(2));
        assert_eq!(s.to_string(), "Discrete(3, start=-1)");
        let big = Discrete::with_start(1, i64::MAX).unwrap();
        assert!(big.contains(i64::MAX));
    }

    #[test]
    fn unseeded_sampling_stays_in_the_space() {
        let mut s = Discrete::with_start(4, 10).unwrap();
        for _ in 0..100 {
            let v = s.sample();
            assert!((10..14).contains(&v));
        }
        let mut b = BoxSpace::new(vec![0.0, f32::NEG_INFINITY], vec![1.0, 5.0], &[2]).unwrap();
        for _ in 0..100 {
            let v = b.sample();
            assert!(b.contains(&v), "{v:?}");
        }
    }

    #[test]
    fn box_rejects_bad_bounds() {
        assert!(BoxSpace::new(vec![0.0], vec![1.0, 2.0], &[1]).is_err());
        assert!(BoxSpace::new(vec![f32::NAN], vec![1.0], &[1]).is_err());
        assert!(BoxSpace::new(vec![2.0], vec![1.0], &[1]).is_err());
        assert!(BoxSpace::new(vec![f32::INFINITY], vec![f32::INFINITY], &[1]).is_err());
        assert!(BoxSpace::uniform(-1.0, 1.0, &[2, 3]).is_ok());
    }

    #[test]
    fn box_membership_and_repr() {
        let b = BoxSpace::new(
            vec![-1.0, f32::NEG_INFINITY],
            vec![1.0, f32::INFINITY],
            &[2],
        )
        .unwrap();
        assert!(b.contains(&[0.5, 1e30]));
        assert!(!b.contains(&[1.5, 0.0]));
        assert!(!b.contains(&[f32::NAN, 0.0]));
        assert!(!b.contains(&[0.0]));
        assert!(!b.is_bounded());
        assert_eq!(
            b.to_string(),
            "Box([-1.0, -inf], [1.0, inf], (2,), float32)"
        );
        let grid = BoxSpace::uniform(0.0, 1.0, &[2, 3]).unwrap();
        assert_eq!(grid.to_string(), "Box(0.0, 1.0, (2, 3), float32)");
    }

    #[test]
    fn space_check_names_the_space() {
        let s = Space::Discrete(Discrete::new(2).unwrap());
        assert!(s.check(&Action::from(1)).is_ok());
        let err = s.check(&Action::from(2)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "action 2 is outside the action space Discrete(2)"
        );
        let err = s.check(&Action::from(vec![1.0])).unwrap_err();
        assert!(err.to_string().contains("[1.0]"));
        assert_eq!(Action::from(usize::MAX), Action::Discrete(i64::MAX));
        let b = Space::Box(BoxSpace::uniform(-2.0, 2.0, &[1]).unwrap());
        assert!(b.check(&Action::from(2.0f32)).is_ok());
        assert!(b.check(&Action::from(1)).is_err());
        assert_eq!(s.as_discrete().map(Discrete::n), Some(2));
        assert!(s.as_box().is_none() && b.as_discrete().is_none());
        assert_eq!(b.as_box().map(|b| b.shape().to_vec()), Some(vec![1]));
    }
}
