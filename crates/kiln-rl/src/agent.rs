//! Agent parts for value-based RL (DQN and friends), on plain `f32` vectors so they do not
//! depend on any model type: a replay buffer, epsilon-greedy exploration with multiplicative
//! decay, and hard/soft target-network updates over weight lists (the `Vec<Vec<f32>>` a
//! model's `get_weights` gives, one vector per variable).
//!
//! ```
//! use kiln_rl::agent::{EpsilonGreedy, ReplayBuffer, Transition, soft_update};
//!
//! let mut memory = ReplayBuffer::new(2000, Some(0)).unwrap();
//! for t in 0..100 {
//!     memory.push(Transition {
//!         state: vec![t as f32; 4],
//!         action: t % 2,
//!         reward: 1.0,
//!         next_state: vec![t as f32 + 1.0; 4],
//!         terminated: false,
//!     });
//! }
//! let batch = memory.sample(64).unwrap();
//! assert_eq!(batch.len(), 64);
//!
//! let mut policy = EpsilonGreedy::new(1.0, 0.995, 0.01, Some(0)).unwrap();
//! let action = policy.select(&[0.1, 0.7]).unwrap();
//! assert!(action < 2);
//! policy.decay();
//! assert_eq!(policy.epsilon(), 0.995);
//!
//! let online = vec![vec![1.0f32, 2.0], vec![3.0]];
//! let mut target = vec![vec![0.0f32, 0.0], vec![0.0]];
//! soft_update(&mut target, &online, 0.5).unwrap();
//! assert_eq!(target, [vec![0.5, 1.0], vec![1.5]]);
//! ```

use std::collections::VecDeque;

use crate::error::{Result, RlError};
use crate::rng::{np_random, Generator};

/// One environment step as a DQN remembers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The observation the action was taken in.
    pub state: Vec<f32>,
    /// The action taken.
    pub action: i64,
    /// The reward received.
    pub reward: f32,
    /// The observation after the step.
    pub next_state: Vec<f32>,
    /// Whether the step ended the episode by termination (not by truncation: a truncated
    /// episode's last state still has a value to bootstrap from).
    pub terminated: bool,
}

/// A bounded experience memory, like the `deque(maxlen=capacity)` DQN code keeps: pushing
/// into a full buffer drops the oldest item. Minibatches are drawn uniformly without
/// replacement with the buffer's own seeded generator.
#[derive(Debug, Clone)]
pub struct ReplayBuffer<T = Transition> {
    items: VecDeque<T>,
    capacity: usize,
    rng: Generator,
}

impl<T> ReplayBuffer<T> {
    /// An empty buffer holding at most `capacity` items, sampling with
    /// `np_random(seed)` (fresh entropy when `seed` is `None`). Errors if `capacity` is 0.
    pub fn new(capacity: usize, seed: Option<u64>) -> Result<Self> {
        if capacity == 0 {
            return Err(RlError::InvalidArgument(
                "ReplayBuffer needs a capacity > 0".to_string(),
            ));
        }
        Ok(Self {
            items: VecDeque::with_capacity(capacity),
            capacity,
            rng: np_random(seed).0,
        })
    }

    /// The most items the buffer keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Appends `item`, dropping the oldest one if the buffer is full.
    pub fn push(&mut self, item: T) {
        if self.items.len() == self.capacity {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }

    /// The items, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    /// Removes every item.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The indices (oldest item = 0) of a uniform sample of `batch_size` distinct items:
    /// a partial Fisher-Yates shuffle driven by `integers`.
    ///
    /// Errors if `batch_size` exceeds [`len`](Self::len), as Python's `random.sample` does.
    pub fn sample_indices(&mut self, batch_size: usize) -> Result<Vec<usize>> {
        let n = self.items.len();
        if batch_size > n {
            return Err(RlError::InvalidArgument(format!(
                "cannot sample {batch_size} items from a replay buffer holding {n}"
            )));
        }
        let mut pool: Vec<usize> = (0..n).collect();
        for i in 0..batch_size {
            // n <= capacity fits i64 for any buffer that fits in memory
            let hi = i64::try_from(n - i).unwrap_or(i64::MAX);
            let j = self.rng.integers(0, hi)? as usize;
            pool.swap(i, i + j);
        }
        pool.truncate(batch_size);
        Ok(pool)
    }

    /// A uniform minibatch of `batch_size` distinct items (see
    /// [`sample_indices`](Self::sample_indices)).
    pub fn sample(&mut self, batch_size: usize) -> Result<Vec<&T>> {
        let idx = self.sample_indices(batch_size)?;
        Ok(idx.into_iter().map(|i| &self.items[i]).collect())
    }
}

/// Epsilon-greedy exploration: a random action with probability `epsilon`, the greedy one
/// otherwise; [`decay`](Self::decay) multiplies `epsilon` by the decay rate, never going
/// below the floor.
#[derive(Debug, Clone)]
pub struct EpsilonGreedy {
    epsilon: f64,
    decay: f64,
    min: f64,
    rng: Generator,
}

impl EpsilonGreedy {
    /// Starts at `epsilon`, multiplies by `decay` per [`decay`](Self::decay) call, and floors
    /// at `min`; draws with `np_random(seed)`. Errors unless `0 <= min <= epsilon <= 1` and
    /// `0 < decay <= 1`.
    pub fn new(epsilon: f64, decay: f64, min: f64, seed: Option<u64>) -> Result<Self> {
        if !(0.0..=1.0).contains(&min) || !(min..=1.0).contains(&epsilon) {
            return Err(RlError::InvalidArgument(format!(
                "EpsilonGreedy needs 0 <= min <= epsilon <= 1, got epsilon={epsilon}, min={min}"
            )));
        }
        if !(decay > 0.0 && decay <= 1.0) {
            return Err(RlError::InvalidArgument(format!(
                "EpsilonGreedy needs 0 < decay <= 1, got {decay}"
            )));
        }
        Ok(Self {
            epsilon,
            decay,
            min,
            rng: np_random(seed).0,
        })
    }

    /// The current exploration rate.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The floor.
    pub fn min(&self) -> f64 {
        self.min
    }

    /// `epsilon = max(epsilon * decay, min)`; returns the new value.
    pub fn decay(&mut self) -> f64 {
        self.epsilon = (self.epsilon * self.decay).max(self.min);
        self.epsilon
    }

    /// An action for these action values: with probability `epsilon` a uniformly random
    /// index, otherwise [`argmax`]. Errors on an empty slice.
    pub fn select(&mut self, q_values: &[f32]) -> Result<usize> {
        if q_values.is_empty() {
            return Err(RlError::InvalidArgument(
                "EpsilonGreedy::select needs at least one action value".to_string(),
            ));
        }
        if self.rng.random() < self.epsilon {
            let n = i64::try_from(q_values.len()).unwrap_or(i64::MAX);
            Ok(self.rng.integers(0, n)? as usize)
        } else {
            argmax(q_values)
        }
    }
}

/// The index of the largest value, the first on ties, and the first NaN if there is one
/// (`np.argmax`'s rules). Errors on an empty slice.
pub fn argmax(values: &[f32]) -> Result<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() {
            return Ok(i);
        }
        match best {
            Some((_, b)) if v <= b => {}
            _ => best = Some((i, v)),
        }
    }
    best.map(|(i, _)| i)
        .ok_or_else(|| RlError::InvalidArgument("argmax of an empty slice".to_string()))
}

fn check_weights(target: &[Vec<f32>], online: &[Vec<f32>]) -> Result<()> {
    if target.len() != online.len() {
        return Err(RlError::InvalidArgument(format!(
            "weight lists differ in length: target has {} arrays, online has {}",
            target.len(),
            online.len()
        )));
    }
    for (i, (t, o)) in target.iter().zip(online).enumerate() {
        if t.len() != o.len() {
            return Err(RlError::InvalidArgument(format!(
                "weight array {i} differs in size: target has {} values, online has {}",
                t.len(),
                o.len()
            )));
        }
    }
    Ok(())
}

/// Polyak averaging of a target network toward the online one, array by array:
/// `target = tau * online + (1 - tau) * target`. Errors unless `0 <= tau <= 1` and the two
/// weight lists have the same structure.
pub fn soft_update(target: &mut [Vec<f32>], online: &[Vec<f32>], tau: f32) -> Result<()> {
    if !(0.0..=1.0).contains(&tau) {
        return Err(RlError::InvalidArgument(format!(
            "soft_update needs 0 <= tau <= 1, got {tau}"
        )));
    }
    check_weights(target, online)?;
    for (t, o) in target.iter_mut().zip(online) {
        for (tv, &ov) in t.iter_mut().zip(o) {
            *tv = tau * ov + (1.0 - tau) * *tv;
        }
    }
    Ok(())
}

/// The periodic target-network sync (`target.set_weights(online.get_weights())`): copies
/// every value. Errors unless the two weight lists have the same structure.
pub fn hard_update(target: &mut [Vec<f32>], online: &[Vec<f32>]) -> Result<()> {
    check_weights(target, online)?;
    for (t, o) in target.iter_mut().zip(online) {
        t.copy_from_slice(o);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_drops_the_oldest_when_full() {
        let mut b = ReplayBuffer::new(3, Some(0)).unwrap();
        assert!(b.is_empty());
        for i in 0..5 {
            b.push(i);
        }
        assert_eq!(b.len(), 3);
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), [2, 3, 4]);
        b.clear();
        assert!(b.is_empty());
        assert!(ReplayBuffer::<i32>::new(0, None).is_err());
    }

    #[test]
    fn samples_are_distinct_seeded_and_uniform() {
        let mut b = ReplayBuffer::new(100, Some(7)).unwrap();
        for i in 0..50 {
            b.push(i);
        }
        let s = b.sample(50).unwrap();
        let mut v: Vec<i32> = s.into_iter().copied().collect();
        v.sort();
        assert_eq!(v, (0..50).collect::<Vec<_>>());
        assert!(b.sample(51).is_err());

        let mut a = ReplayBuffer::new(100, Some(7)).unwrap();
        let mut c = ReplayBuffer::new(100, Some(7)).unwrap();
        for i in 0..50 {
            a.push(i);
            c.push(i);
        }
        assert_eq!(a.sample_indices(10).unwrap(), c.sample_indices(10).unwrap());

        // each of 10 items drawn 2 at a time: every count near 2000 * 2 / 10 = 400
        let mut d = ReplayBuffer::new(10, Some(1)).unwrap();
        for i in 0..10 {
            d.push(i);
        }
        let mut counts = [0usize; 10];
        for _ in 0..2000 {
            for &i in d.sample(2).unwrap() {
                counts[i as usize] += 1;
            }
        }
        assert!(
            counts.iter().all(|&c| (320..480).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn epsilon_decays_to_its_floor() {
        let mut p = EpsilonGreedy::new(1.0, 0.5, 0.2, Some(0)).unwrap();
        assert_eq!(p.decay(), 0.5);
        assert_eq!(p.decay(), 0.25);
        assert_eq!(p.decay(), 0.2);
        assert_eq!(p.decay(), 0.2);
        assert_eq!(p.min(), 0.2);
        assert!(EpsilonGreedy::new(0.1, 0.9, 0.2, None).is_err());
        assert!(EpsilonGreedy::new(1.0, 0.0, 0.0, None).is_err());
        assert!(EpsilonGreedy::new(1.0, 1.5, 0.0, None).is_err());
        assert!(EpsilonGreedy::new(f64::NAN, 0.5, 0.0, None).is_err());
    }

    #[test]
    fn greedy_and_random_choices() {
        let mut greedy = EpsilonGreedy::new(0.0, 1.0, 0.0, Some(0)).unwrap();
        for _ in 0..20 {
            assert_eq!(greedy.select(&[0.0, 3.0, 1.0]).unwrap(), 1);
        }
        assert!(greedy.select(&[]).is_err());
        let mut random = EpsilonGreedy::new(1.0, 1.0, 1.0, Some(0)).unwrap();
        let mut seen = [false; 3];
        for _ in 0..100 {
            seen[random.select(&[0.0, 3.0, 1.0]).unwrap()] = true;
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn argmax_follows_numpy() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]).unwrap(), 1);
        assert_eq!(argmax(&[1.0, f32::NAN, 5.0]).unwrap(), 1);
        assert_eq!(argmax(&[f32::NEG_INFINITY]).unwrap(), 0);
        assert!(argmax(&[]).is_err());
    }

    #[test]
    fn target_updates_check_structure() {
        let online = vec![vec![2.0f32, 4.0]];
        let mut target = vec![vec![0.0f32, 0.0]];
        soft_update(&mut target, &online, 0.25).unwrap();
        assert_eq!(target, [vec![0.5, 1.0]]);
        soft_update(&mut target, &online, 0.0).unwrap();
        assert_eq!(target, [vec![0.5, 1.0]]);
        hard_update(&mut target, &online).unwrap();
        assert_eq!(target, online);
        assert!(soft_update(&mut target, &online, 1.5).is_err());
        assert!(soft_update(&mut target, &online, f32::NAN).is_err());
        assert!(soft_update(&mut target, &[vec![1.0]], 0.5).is_err());
        assert!(hard_update(&mut target, &[]).is_err());
    }
}
