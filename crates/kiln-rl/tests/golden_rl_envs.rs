//! Golden tests against gymnasium 1.2.2 and NumPy 2.4.6
//! (fixtures written by tools/golden/gen_rl_envs.py under tools/golden/fixtures/rl_envs/).
//!
//! - rng.json: SeedSequence pools and states, PCG64 states and raw draws, and a script of
//!   Generator calls, for seeds from 0 to 2**64 - 1.
//! - spaces.json: seeded Discrete and Box samples.
//! - <env>.json: 22 episodes per environment (reset seeds 0..19, then two resets without a
//!   seed) replayed action for action through `make(id)`: the same initial observations, every
//!   observation within 1e-6, the same rewards, the same termination and truncation steps.

use kiln_rl::rng::{Generator, Pcg64, SeedSequence};
use kiln_rl::spaces::{BoxSpace, Discrete};
use kiln_rl::{make, Action, Env};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tools/golden/fixtures/rl_envs/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn hex(v: &Value) -> u128 {
    let s = v.as_str().expect("hex string");
    u128::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex digits")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn f32s(v: &Value) -> Vec<f32> {
    // the fixture writes float32 values as the float64 numbers they are (the cast is exact)
    // and infinities as strings
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| match x.as_str() {
            Some("inf") => f32::INFINITY,
            Some("-inf") => f32::NEG_INFINITY,
            _ => x.as_f64().expect("number") as f32,
        })
        .collect()
}

fn i64s(v: &Value) -> Vec<i64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_i64().expect("integer"))
        .collect()
}

fn u64s_hex(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| hex(x) as u64)
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

#[test]
fn seed_sequence_and_pcg64_match_numpy() {
    let fx = fixture("rng.json");
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for case in cases {
        let seed = hex(&case["seed"]);
        let ss = SeedSequence::new(seed);
        let pool: Vec<u32> = i64s(&case["pool"]).into_iter().map(|v| v as u32).collect();
        assert_eq!(ss.pool().to_vec(), pool, "pool, seed {seed}");
        let st32: Vec<u32> = i64s(&case["state_u32"])
            .into_iter()
            .map(|v| v as u32)
            .collect();
        assert_eq!(ss.generate_state_u32(8), st32, "state u32, seed {seed}");
        assert_eq!(
            ss.generate_state_u64(4),
            u64s_hex(&case["state_u64"]),
            "state u64, seed {seed}"
        );
        let mut bg = Pcg64::new(&ss);
        assert_eq!(
            bg.state(),
            (hex(&case["pcg_state"]), hex(&case["pcg_inc"])),
            "PCG64 state, seed {seed}"
        );
        let raw: Vec<u64> = (0..8).map(|_| bg.next_u64()).collect();
        assert_eq!(raw, u64s_hex(&case["raw"]), "raw draws, seed {seed}");
        let (state, inc) = bg.state();
        let mut copy = Pcg64::from_state(state, inc).unwrap();
        assert_eq!(copy.next_u64(), bg.next_u64());
    }
}

/// Replays the generator script; normal and exponential draws agree to ~1e-15 (the
/// ziggurat tables are computed, not copied), everything else exactly, and the exact draws
/// after each ziggurat batch show the same number of raw outputs were consumed.
#[test]
fn generator_methods_match_numpy() {
    let fx = fixture("rng.json");
    let mut ops = 0;
    for case in fx["cases"].as_array().unwrap() {
        let seed = hex(&case["seed"]);
        let mut g = Generator::new(Pcg64::new(&SeedSequence::new(seed)));
        for call in case["calls"].as_array().unwrap() {
            let op = call["op"].as_str().unwrap();
            let args = call["args"].as_array().unwrap();
            let what = format!("seed {seed}, {op}{args:?}");
            match op {
                "random" => {
                    let got: Vec<f64> = (0..call["values"].as_array().unwrap().len())
                        .map(|_| g.random())
                        .collect();
                    assert_eq!(got, f64s(&call["values"]), "{what}");
                }
                "uniform" => {
                    let (lo, hi) = (args[0].as_f64().unwrap(), args[1].as_f64().unwrap());
                    let n = args[2].as_u64().unwrap() as usize;
                    let got = if n == 1 {
                        vec![g.uniform(lo, hi).unwrap()]
                    } else {
                        g.uniform_n(lo, hi, n).unwrap()
                    };
                    assert_eq!(got, f64s(&call["values"]), "{what}");
                }
                "integers" => {
                    let (lo, hi) = (args[0].as_i64().unwrap(), args[1].as_i64().unwrap());
                    let want = i64s(&call["values"]);
                    let got: Vec<i64> = (0..want.len())
                        .map(|_| g.integers(lo, hi).unwrap())
                        .collect();
                    assert_eq!(got, want, "{what}");
                }
                "standard_normal" | "standard_exponential" => {
                    for (i, want) in f64s(&call["values"]).into_iter().enumerate() {
                        let got = if op == "standard_normal" {
                            g.standard_normal()
                        } else {
                            g.standard_exponential()
                        };
                        assert!(close(got, want, 1e-14), "{what} [{i}]: {got} vs {want}");
                    }
                }
                other => panic!("unknown op {other}"),
            }
            ops += 1;
        }
    }
    assert_eq!(ops, 170);

    let bulk = &fx["bulk"];
    let mut g = Generator::from_seed(bulk["seed"].as_u64().unwrap());
    let normals: Vec<f64> = (0..20000).map(|_| g.standard_normal()).collect();
    let exps: Vec<f64> = (0..20000).map(|_| g.standard_exponential()).collect();
    let mut exact = 0;
    for (got, want) in normals.iter().zip(f64s(&bulk["normal_head"])) {
        assert!(close(*got, want, 1e-14), "{got} vs {want}");
        exact += usize::from(*got == want);
    }
    for (got, want) in exps.iter().zip(f64s(&bulk["exponential_head"])) {
        assert!(close(*got, want, 1e-14), "{got} vs {want}");
        exact += usize::from(*got == want);
    }
    eprintln!("ziggurat: {exact} of 100 normal/exponential draws bit-identical to NumPy's");
    let sum: f64 = normals.iter().sum();
    assert!(close(sum, bulk["normal_sum"].as_f64().unwrap(), 1e-10));
    let (lo, hi) = normals
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let ext = f64s(&bulk["normal_extremes"]);
    assert!(close(lo, ext[0], 1e-14) && close(hi, ext[1], 1e-14));
    let sum: f64 = exps.iter().sum();
    assert!(close(sum, bulk["exponential_sum"].as_f64().unwrap(), 1e-10));
    let max = exps.iter().copied().fold(0.0, f64::max);
    assert!(close(max, bulk["exponential_max"].as_f64().unwrap(), 1e-14));
    // 40000 ziggurat draws (tails and wedges included) consumed exactly NumPy's raw outputs
    assert_eq!(g.random(), bulk["after"].as_f64().unwrap());
}

#[test]
fn seeded_spaces_sample_as_gymnasium() {
    let fx = fixture("spaces.json");
    let discrete = fx["discrete"].as_array().unwrap();
    assert_eq!(discrete.len(), 15);
    for case in discrete {
        let n = case["n"].as_i64().unwrap();
        let start = case["start"].as_i64().unwrap();
        let mut s = Discrete::with_start(n, start).unwrap();
        s.seed(Some(case["seed"].as_u64().unwrap()));
        let want = i64s(&case["samples"]);
        let got: Vec<i64> = (0..want.len()).map(|_| s.sample()).collect();
        assert_eq!(
            got, want,
            "Discrete({n}, start={start}) seed {}",
            case["seed"]
        );
        assert!(got.iter().all(|&v| s.contains(v)));
    }
    let boxes = fx["box"].as_array().unwrap();
    assert_eq!(boxes.len(), 8);
    for case in boxes {
        let low = f32s(&case["low"]);
        let high = f32s(&case["high"]);
        let n = low.len();
        let mut s = BoxSpace::new(low, high, &[n]).unwrap();
        s.seed(Some(case["seed"].as_u64().unwrap()));
        for want in case["samples"].as_array().unwrap() {
            let want = f32s(want);
            let got = s.sample();
            assert!(s.contains(&got));
            for (g, w) in got.iter().zip(&want) {
                // bounded elements are exact; normal/exponential ones within float32 rounding
                assert!(
                    close(f64::from(*g), f64::from(*w), 1e-6),
                    "{} seed {}: {got:?} vs {want:?}",
                    case["name"],
                    case["seed"]
                );
            }
            if s.is_bounded() {
                assert_eq!(got, want, "{} seed {}", case["name"], case["seed"]);
            }
        }
    }
}

struct Tally {
    steps: usize,
    values: usize,
    inexact: usize,
    max_dev: f64,
    terminated: usize,
    truncated: usize,
}

fn replay(file: &str, id: &str) -> Tally {
    let fx = fixture(file);
    assert_eq!(fx["env"].as_str(), Some(id));
    assert_eq!(fx["gymnasium"].as_str(), Some("1.2.2"));
    let mut env = make(id).unwrap();
    assert_eq!(
        u64::from(env.max_episode_steps()),
        fx["max_episode_steps"].as_u64().unwrap()
    );
    let continuous = matches!(env.action_space(), kiln_rl::Space::Box(_));
    let episodes = fx["episodes"].as_array().unwrap();
    assert_eq!(episodes.len(), 22);
    let mut t = Tally {
        steps: 0,
        values: 0,
        inexact: 0,
        max_dev: 0.0,
        terminated: 0,
        truncated: 0,
    };
    for (k, ep) in episodes.iter().enumerate() {
        let seed = ep["reset_seed"].as_u64();
        if k < 20 {
            assert_eq!(seed, Some(k as u64));
        } else {
            assert_eq!(seed, None);
        }
        let obs = ep["obs"].as_array().unwrap();
        let (first, info) = env.reset(seed).unwrap();
        assert!(info.is_empty());
        let want0 = f32s(&obs[0]);
        // the same initial state for the same seed, bit for bit
        assert_eq!(first, want0, "{id} episode {k} reset");
        let rewards = f64s(&ep["rewards"]);
        let mut terminated = Vec::new();
        let mut truncated = Vec::new();
        let actions = ep["actions"].as_array().unwrap();
        for (i, a) in actions.iter().enumerate() {
            let action = if continuous {
                Action::from(a.as_f64().unwrap() as f32)
            } else {
                Action::from(a.as_i64().unwrap())
            };
            let (o, r, term, trunc, info) = env.step(action).unwrap();
            assert!(info.is_empty());
            let want = f32s(&obs[i + 1]);
            assert_eq!(o.len(), want.len());
            for (g, w) in o.iter().zip(&want) {
                let dev = f64::from((g - w).abs());
                assert!(
                    dev <= 1e-6,
                    "{id} episode {k} step {}: {o:?} vs {want:?}",
                    i + 1
                );
                t.max_dev = t.max_dev.max(dev);
                t.inexact += usize::from(g != w);
                t.values += 1;
            }
            assert_eq!(r, rewards[i], "{id} episode {k} step {} reward", i + 1);
            if term {
                terminated.push(i as i64 + 1);
            }
            if trunc {
                truncated.push(i as i64 + 1);
            }
        }
        assert_eq!(terminated, i64s(&ep["terminated"]), "{id} episode {k}");
        assert_eq!(truncated, i64s(&ep["truncated"]), "{id} episode {k}");
        t.steps += actions.len();
        t.terminated += usize::from(!terminated.is_empty());
        t.truncated += usize::from(!truncated.is_empty());
    }
    eprintln!(
        "{id}: {} steps, {} observation values ({} not bit-identical, max deviation {:e}), \
         {} episodes terminated, {} truncated",
        t.steps, t.values, t.inexact, t.max_dev, t.terminated, t.truncated
    );
    t
}

#[test]
fn cartpole_v1_replays_gymnasium() {
    let t = replay("cartpole_v1.json", "CartPole-v1");
    assert!(t.terminated >= 10 && t.truncated >= 5);
    assert_eq!(t.inexact, 0);
}

#[test]
fn mountain_car_v0_replays_gymnasium() {
    let t = replay("mountain_car_v0.json", "MountainCar-v0");
    assert!(t.terminated >= 10 && t.truncated >= 10);
    assert_eq!(t.inexact, 0);
}

#[test]
fn acrobot_v1_replays_gymnasium() {
    let t = replay("acrobot_v1.json", "Acrobot-v1");
    assert!(t.terminated >= 10 && t.truncated >= 5);
    assert_eq!(t.inexact, 0);
}

#[test]
fn pendulum_v1_replays_gymnasium() {
    let t = replay("pendulum_v1.json", "Pendulum-v1");
    assert_eq!((t.terminated, t.truncated), (0, 22));
    assert_eq!(t.inexact, 0);
}
