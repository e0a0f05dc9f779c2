//! Property test: random chains of `map`/`cache`/`cache_file`/`shuffle`/`batch`/
//! `repeat`/`take`/`prefetch` over several passes, each pass compared with a plain-Vec
//! reference written independently of the nodes.
//!
//! The reference evaluates a stage for a given pass and a *demand* (how many elements the
//! consumer will pull, `None` for all): a stage whose consumer polls it past its end is
//! one whose output is shorter than the demand. That is what decides whether a cache
//! completes its first pass, the state that the chains' later passes depend on.
//! Read-ahead stages (`prefetch`, `map_parallel`) may pull more than is demanded, so
//! the generator puts no `take` after them (a cache above them could then complete or
//! not, by timing, in the real pipeline as in tf.data).

use super::nodes::{repeat_pass, shuffle_rng};
use super::{Dataset, Element};
use crate::Result;
use kiln_tensor::Tensor;

#[derive(Clone, Debug)]
enum Stage {
    Map,
    MapParallel,
    Cache,
    CacheFile,
    Shuffle {
        buffer: usize,
        seed: u64,
        reshuffle: bool,
    },
    Batch {
        size: usize,
        drop: bool,
    },
    Repeat(Option<usize>),
    Take(usize),
    Prefetch,
}

#[derive(Clone, Debug, PartialEq)]
enum Item {
    S(i64),
    B(Vec<i64>),
}

/// A small deterministic generator for the chains themselves (splitmix64).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_chain(g: &mut Gen) -> (usize, bool, Vec<Stage>) {
    let n = g.below(13);
    let slices = g.below(2) == 0;
    let len = 1 + g.below(6);
    let mut stages = Vec::new();
    let (mut batched, mut read_ahead, mut infinite) = (false, false, false);
    while stages.len() < len {
        let s = match g.below(9) {
            0 => Stage::Map,
            1 => Stage::MapParallel,
            2 => Stage::Cache,
            3 => Stage::CacheFile,
            4 => Stage::Shuffle {
                buffer: 1 + g.below(8),
                seed: g.next(),
                reshuffle: g.below(3) != 0,
            },
            5 if !batched => Stage::Batch {
                size: 1 + g.below(4),
                drop: g.below(2) == 0,
            },
            6 if !infinite => Stage::Repeat(if g.below(3) == 0 && !read_ahead {
                None
            } else {
                Some(g.below(4))
            }),
            7 if !read_ahead => Stage::Take(g.below(15)),
            8 => Stage::Prefetch,
            _ => continue,
        };
        // A read-ahead stage over an endless stream never ends its producer's pull.
        if infinite && matches!(s, Stage::Prefetch | Stage::MapParallel) {
            continue;
        }
        match &s {
            Stage::Batch { .. } => batched = true,
            Stage::Prefetch | Stage::MapParallel => read_ahead = true,
            Stage::Repeat(None) => infinite = true,
            Stage::Take(_) => infinite = false,
            _ => {}
        }
        stages.push(s);
    }
    if infinite {
        stages.push(Stage::Take(g.below(20)));
    }
    (n, slices, stages)
}

fn map_fn(e: Element) -> Result<Element> {
    let t = e.as_tensor()?;
    let v: Vec<i64> = t.to_vec::<i64>()?.iter().map(|x| x * 3 + 1).collect();
    Ok(Tensor::from_vec(v, t.shape())?.into())
}

fn build(n: usize, slices: bool, stages: &[Stage], dir: &std::path::Path) -> Result<Dataset> {
    let mut ds = if slices {
        let v: Vec<i64> = (0..n as i64).collect();
        Dataset::from_tensor_slices(Tensor::from_vec(v, &[n])?)?
    } else {
        Dataset::range(0, n as i64, 1)?
    };
    for (i, s) in stages.iter().enumerate() {
        ds = match *s {
            Stage::Map => ds.map(map_fn),
            Stage::MapParallel => ds.map_parallel(map_fn, 2),
            Stage::Cache => ds.cache(),
            Stage::CacheFile => ds.cache_file(dir.join(format!("stage{i}.cache"))),
            Stage::Shuffle {
                buffer,
                seed,
                reshuffle,
            } => ds.shuffle_with(buffer, Some(seed), reshuffle),
            Stage::Batch { size, drop } => ds.batch_with(size, drop)?,
            Stage::Repeat(c) => ds.repeat(c),
            Stage::Take(c) => ds.take(c),
            Stage::Prefetch => ds.prefetch(2),
        };
    }
    Ok(ds)
}

/// The plain-Vec reference. `caches[i]` holds stage `i`'s completed first pass.
struct Reference<'a> {
    n: usize,
    stages: &'a [Stage],
    caches: Vec<Option<Vec<Item>>>,
}

fn truncate(mut v: Vec<Item>, demand: Option<usize>) -> Vec<Item> {
    if let Some(d) = demand {
        v.truncate(d);
    }
    v
}

impl Reference<'_> {
    /// The first `demand` elements stage `k` (0 = the source) yields in `pass`.
    fn eval(&mut self, k: usize, pass: u64, demand: Option<usize>) -> Vec<Item> {
        if k == 0 {
            return truncate((0..self.n as i64).map(Item::S).collect(), demand);
        }
        match self.stages[k - 1].clone() {
            Stage::Map | Stage::MapParallel => {
                let up_demand = if matches!(self.stages[k - 1], Stage::Map) {
                    demand
                } else {
                    None
                };
                let up = self.eval(k - 1, pass, up_demand);
                let f = |x: i64| x * 3 + 1;
                let out = up
                    .into_iter()
                    .map(|it| match it {
                        Item::S(x) => Item::S(f(x)),
                        Item::B(v) => Item::B(v.into_iter().map(f).collect()),
                    })
                    .collect();
                truncate(out, demand)
            }
            Stage::Cache | Stage::CacheFile => {
                if let Some(done) = &self.caches[k - 1] {
                    return truncate(done.clone(), demand);
                }
                let out = self.eval(k - 1, pass, demand);
                // Polled past its end: the pass completed and is kept.
                if demand.is_none_or(|d| out.len() < d) {
                    self.caches[k - 1] = Some(out.clone());
                }
                out
            }
            Stage::Shuffle {
                buffer,
                seed,
                reshuffle,
            } => {
                let up_demand = demand.map(|j| if j == 0 { 0 } else { buffer + j - 1 });
                let up = self.eval(k - 1, pass, up_demand);
                let mut rng = shuffle_rng(seed, reshuffle, pass);
                let mut input = up.into_iter();
                let mut buf: Vec<Item> = Vec::new();
                let mut out = Vec::new();
                while demand.is_none_or(|d| out.len() < d) {
                    while buf.len() < buffer {
                        match input.next() {
                            Some(x) => buf.push(x),
                            None => break,
                        }
                    }
                    if buf.is_empty() {
                        break;
                    }
                    let j = (rng.next_u64() % buf.len() as u64) as usize;
                    out.push(buf.swap_remove(j));
                }
                out
            }
            Stage::Batch { size, drop } => {
                let up = self.eval(k - 1, pass, demand.map(|j| j * size));
                let mut out = Vec::new();
                for chunk in up.chunks(size) {
                    if drop && chunk.len() < size {
                        break;
                    }
                    let v = chunk
                        .iter()
                        .map(|it| match it {
                            Item::S(x) => *x,
                            Item::B(_) => unreachable!("one batch stage per chain"),
                        })
                        .collect();
                    out.push(Item::B(v));
                }
                truncate(out, demand)
            }
            Stage::Repeat(count) => {
                let mut out = Vec::new();
                let mut rep = 0;
                while count.is_none_or(|c| rep < c) {
                    let want = demand.map(|d| d - out.len());
                    let got = self.eval(k - 1, repeat_pass(pass, rep), want);
                    let empty = got.is_empty();
                    let satisfied = want.is_some_and(|w| got.len() == w);
                    out.extend(got);
                    if empty || satisfied {
                        break;
                    }
                    rep += 1;
                }
                out
            }
            Stage::Take(c) => {
                let d = demand.map_or(c, |d| d.min(c));
                self.eval(k - 1, pass, Some(d))
            }
            Stage::Prefetch => {
                let up = self.eval(k - 1, pass, None);
                truncate(up, demand)
            }
        }
    }
}

fn to_items(ds: &Dataset) -> Result<Vec<Item>> {
    ds.iter()
        .map(|e| {
            let t = e?.as_tensor()?.clone();
            let v = t.to_vec::<i64>()?;
            Ok(if t.rank() == 0 {
                Item::S(v[0])
            } else {
                Item::B(v)
            })
        })
        .collect()
}

#[test]
fn random_chains_match_a_plain_vec_reference_over_several_passes() {
    let root = std::env::temp_dir().join(format!("kiln-chain-props-{}", std::process::id()));
    let mut g = Gen(0x5EED_2026);
    let chains = 600;
    for case in 0..chains {
        let (n, slices, stages) = random_chain(&mut g);
        let dir = root.join(format!("case{case}"));
        std::fs::create_dir_all(&dir).unwrap();
        let ds = build(n, slices, &stages, &dir).unwrap();
        let mut reference = Reference {
            n,
            stages: &stages,
            caches: vec![None; stages.len()],
        };
        for pass in 0..3u64 {
            let want = reference.eval(stages.len(), pass, None);
            let got = to_items(&ds).unwrap_or_else(|e| {
                panic!("case {case}: range({n}) slices={slices} {stages:?}, pass {pass}: {e}")
            });
            assert_eq!(
                got, want,
                "case {case}: range({n}) slices={slices} {stages:?}, pass {pass}"
            );
        }
        drop(ds);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir_all(&root);
}
