//! Which samples each replica trains on: PyTorch's `DistributedSampler` rules.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{Error, Result};

/// The indices of one replica's share of a dataset of `len` samples, as PyTorch's
/// `torch.utils.data.DistributedSampler(dataset, num_replicas, rank, shuffle, seed,
/// drop_last)`:
/// - the (optionally shuffled) index list is split round-robin: replica `r` gets
///   positions `r, r + n, r + 2n, ...`, so with batch `B` per replica, step `k` of all
///   replicas together covers the same `n * B` samples as step `k` of one process with
///   batch `n * B`;
/// - uneven sizes: with `drop_last = false` the list is padded by wrapping around to its
///   start until every replica has `ceil(len / n)` samples; with `drop_last = true` the
///   tail is dropped so that every replica has `floor(len / n)`;
/// - `shuffle`: the list is permuted before splitting, with a generator seeded by
///   `seed + epoch` (call [`DistributedSampler::indices`] with each epoch, as
///   `set_epoch`), the same on every replica. The permutation comes from kiln's own
///   generator (ChaCha8), not torch's, so shuffled orders do not match PyTorch's.
///
/// ```
/// use kiln_distribute::DistributedSampler;
/// // 5 samples on 2 replicas: padded by wrapping around (sample 0 again).
/// let s = DistributedSampler::new(5, 2, 1)?;
/// assert_eq!(s.indices(0), vec![1, 3, 0]);
/// let s = DistributedSampler::new(5, 2, 1)?.drop_last(true);
/// assert_eq!(s.indices(0), vec![1, 3]);
/// assert!(DistributedSampler::new(5, 2, 2).is_err());
/// # Ok::<(), kiln_distribute::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DistributedSampler {
    len: usize,
    num_replicas: usize,
    rank: usize,
    shuffle: bool,
    seed: u64,
    drop_last: bool,
}

impl DistributedSampler {
    /// Replica `rank`'s share of `len` samples among `num_replicas` (no shuffling, no
    /// dropping: PyTorch's defaults except `shuffle`, which is off here).
    pub fn new(len: usize, num_replicas: usize, rank: usize) -> Result<DistributedSampler> {
        if num_replicas == 0 || rank >= num_replicas {
            return Err(Error::InvalidArgument {
                api: "DistributedSampler",
                msg: format!(
                    "rank {rank} is not in 0..num_replicas ({num_replicas}); expected \
                     num_replicas >= 1 and rank < num_replicas"
                ),
            });
        }
        Ok(DistributedSampler {
            len,
            num_replicas,
            rank,
            shuffle: false,
            seed: 0,
            drop_last: false,
        })
    }

    /// Permute the samples each epoch (seeded by `seed + epoch`).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// The seed of the per-epoch permutation (the same on every replica).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Drop the tail that does not divide evenly, instead of padding by wrapping around.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// How many samples each replica gets.
    pub fn num_samples(&self) -> usize {
        if self.drop_last {
            self.len / self.num_replicas
        } else {
            self.len.div_ceil(self.num_replicas)
        }
    }

    /// This replica's sample indices for `epoch`.
    pub fn indices(&self, epoch: u64) -> Vec<usize> {
        let mut all: Vec<usize> = (0..self.len).collect();
        if self.shuffle {
            let mut rng = ChaCha8Rng::seed_from_u64(self.seed.wrapping_add(epoch));
            all.shuffle(&mut rng);
        }
        let total = self.num_samples() * self.num_replicas;
        if total > all.len() && !all.is_empty() {
            // Pad by wrapping around (repeating the list as often as needed).
            let mut i = 0;
            while all.len() < total {
                all.push(all[i]);
                i += 1;
            }
        }
        all.truncate(total);
        all.into_iter()
            .skip(self.rank)
            .step_by(self.num_replicas)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PyTorch 2's `DistributedSampler(range(n), num_replicas, rank, shuffle=False,
    /// drop_last)` lists, written down from `list(iter(sampler))`.
    #[test]
    fn matches_pytorch_unshuffled() {
        // (len, replicas, rank, drop_last, expected)
        let cases: &[(usize, usize, usize, bool, &[usize])] = &[
            (10, 2, 0, false, &[0, 2, 4, 6, 8]),
            (10, 2, 1, false, &[1, 3, 5, 7, 9]),
            (10, 3, 0, false, &[0, 3, 6, 9]),
            (10, 3, 1, false, &[1, 4, 7, 0]),
            (10, 3, 2, false, &[2, 5, 8, 1]),
            (10, 3, 2, true, &[2, 5, 8]),
            (2, 4, 3, false, &[1]),
            (2, 4, 2, false, &[0]),
            (2, 4, 3, true, &[]),
        ];
        for &(n, r, k, d, want) in cases {
            let s = DistributedSampler::new(n, r, k).unwrap().drop_last(d);
            assert_eq!(
                s.indices(0),
                want,
                "n={n} replicas={r} rank={k} drop_last={d}"
            );
        }
    }

    #[test]
    fn shuffled_shares_partition_and_change_per_epoch() {
        let n = 23;
        let shares: Vec<Vec<usize>> = (0..4)
            .map(|r| {
                DistributedSampler::new(n, 4, r)
                    .unwrap()
                    .shuffle(true)
                    .seed(7)
                    .indices(3)
            })
            .collect();
        let mut all: Vec<usize> = shares.concat();
        assert_eq!(all.len(), 24);
        all.sort();
        all.dedup();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
        let s = DistributedSampler::new(n, 4, 0)
            .unwrap()
            .shuffle(true)
            .seed(7);
        assert_eq!(s.indices(3), shares[0]);
        assert_ne!(s.indices(4), s.indices(3));
    }
}
