#!/usr/bin/env python3
"""Golden trajectories and random draws for crates/kiln-rl, from gymnasium's classic-control
environments and NumPy's seeding.

Pinned reference: gymnasium 1.2.2 (pip: gymnasium==1.2.2),
NumPy 2.4.6, Python 3.11 on x86-64 Linux (glibc libm; NumPy dispatching to X86_V3, no
AVX-512, so np.sin/np.cos/np.power on float64 scalars are the libm functions, which Rust's
f64::sin/cos/powf also call). On a CPU where NumPy picks other float64 kernels the fixtures
could differ in the last bits; regenerate them on a machine like this one.

Writes, under tools/golden/fixtures/rl_envs/:
  rng.json            SeedSequence pools, PCG64 states and raw 64-bit draws, and a script of
                      Generator calls (random, uniform, integers, standard_normal,
                      standard_exponential) for several seeds.
  spaces.json         Discrete and Box spaces seeded with space.seed(s): their samples.
  <env>.json          one per environment (CartPole-v1, MountainCar-v0, Acrobot-v1,
                      Pendulum-v1), made with gymnasium.make (TimeLimit included):
                      20 episodes reset with seeds 0..19 plus two episodes reset with
                      seed=None that continue the environment's generator. Actions come from
                      a separate NumPy generator (default_rng(10_000 + seed)) or, for some
                      episodes, from a simple policy with a little of that randomness, so
                      episodes end by termination and by truncation. Per episode: the reset
                      seed, the actions, every observation (obs[0] is reset's), every reward,
                      and the (1-based) steps at which terminated / truncated were true. A few
                      episodes step on past termination ("overrun") to pin CartPole's
                      steps_beyond_terminated reward rule.
The rendered frames are written by gen_rl_frames.py.

Floats are written with Python's repr (shortest round-trip): float32 observations and actions
as the exact float64 value of the float32, rewards as the float64 gymnasium returns. Nothing is
rounded (parse them with a correctly rounding reader: serde_json's `float_roundtrip`).
Infinite float32 bounds are written as the strings "inf" / "-inf". Seeds, 64-bit words and
128-bit states are written as hex strings.

Run from the repository root:
    ~/peers/bin/python tools/golden/gen_rl_envs.py
"""

import json
import os
import warnings

import numpy as np  # noqa: E402
import gymnasium as gym  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "rl_envs")

# Stepping past termination makes gymnasium warn; the warning is expected here.
gym.logger.min_level = 40
warnings.filterwarnings("ignore")


def hex64(v):
    return format(int(v), "#018x")


def f32s(a):
    """float32 values as the exact float64 numbers they are (infinities as "inf"/"-inf",
    which JSON has no number for)."""
    out = []
    for x in np.asarray(a, dtype=np.float32).ravel():
        v = float(x)
        out.append(("inf" if v > 0 else "-inf") if np.isinf(v) else v)
    return out


def dump(name, payload):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")


# ---------------------------------------------------------------------------------------
# Seeding: SeedSequence -> PCG64 -> Generator


RNG_SEEDS = [0, 1, 7, 42, 123, 12345, 2**32 - 1, 2**32, 2**63 + 11, 2**64 - 1]


def generator_script(g):
    """A fixed mix of Generator calls; returns [(op, args, values)]."""
    calls = []

    def rec(op, args, values):
        calls.append({"op": op, "args": args, "values": values})

    rec("random", [], [float(g.random()) for _ in range(3)])
    rec("uniform", [-0.05, 0.05, 4], [float(v) for v in g.uniform(-0.05, 0.05, size=4)])
    rec("integers", [0, 2], [int(g.integers(2)) for _ in range(5)])
    rec("uniform", [-0.6, -0.4, 1], [float(g.uniform(low=-0.6, high=-0.4))])
    rec("integers", [0, 3], [int(g.integers(3)) for _ in range(3)])
    rec("random", [], [float(g.random())])
    rec("integers", [-5, 5], [int(g.integers(-5, 5)) for _ in range(4)])
    rec("integers", [0, 2**32], [int(g.integers(0, 2**32)) for _ in range(3)])
    rec("integers", [0, 2**33 + 7], [int(g.integers(0, 2**33 + 7)) for _ in range(3)])
    rec("integers", [0, 10**18], [int(g.integers(0, 10**18)) for _ in range(2)])
    rec("integers", [7, 8], [int(g.integers(7, 8)) for _ in range(2)])
    rec("integers", [0, 1000], [int(v) for v in g.integers(0, 1000, size=5)])
    rec("uniform", [-3.0, 2.0, 3], [float(v) for v in g.uniform(-3.0, 2.0, size=3)])
    rec("standard_normal", [], [float(g.standard_normal()) for _ in range(40)])
    rec("integers", [0, 2], [int(g.integers(2)) for _ in range(3)])
    rec("standard_exponential", [], [float(g.standard_exponential()) for _ in range(40)])
    rec("random", [], [float(g.random()) for _ in range(2)])
    return calls


def rng_fixture():
    cases = []
    for seed in RNG_SEEDS:
        ss = np.random.SeedSequence(seed)
        bg = np.random.PCG64(np.random.SeedSequence(seed))
        st = bg.state["state"]
        raw = bg.random_raw(8)
        g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
        assert g.random() == np.random.default_rng(seed).random()
        g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
        cases.append({
            "seed": hex64(seed),
            "pool": [int(v) for v in ss.pool],
            "state_u32": [int(v) for v in ss.generate_state(8, np.uint32)],
            "state_u64": [hex64(v) for v in ss.generate_state(4, np.uint64)],
            "pcg_state": format(st["state"], "#034x"),
            "pcg_inc": format(st["inc"], "#034x"),
            "raw": [hex64(v) for v in raw],
            "calls": generator_script(g),
        })
    # Large-sample checks of the ziggurat samplers (rare tail and wedge branches).
    g = np.random.default_rng(2024)
    normals = g.standard_normal(20000)
    exps = g.standard_exponential(20000)
    bulk = {
        "seed": 2024,
        "normal_sum": float(np.sum(normals)),
        "normal_head": [float(v) for v in normals[:50]],
        "normal_extremes": [float(normals.min()), float(normals.max())],
        "exponential_sum": float(np.sum(exps)),
        "exponential_head": [float(v) for v in exps[:50]],
        "exponential_max": float(exps.max()),
        "after": float(g.random()),
    }
    dump("rng.json", {"numpy": np.__version__, "cases": cases, "bulk": bulk})


# ---------------------------------------------------------------------------------------
# Spaces


def spaces_fixture():
    out = {"gymnasium": gym.__version__, "numpy": np.__version__, "discrete": [], "box": []}
    for n, start in [(2, 0), (3, 0), (3, -1), (5, 10), (2**40, 0)]:
        for seed in [0, 3, 99]:
            sp = gym.spaces.Discrete(n, start=start, seed=seed)
            out["discrete"].append({"n": n, "start": start, "seed": seed,
                                    "samples": [int(sp.sample()) for _ in range(12)]})
    inf = float("inf")
    boxes = [
        ("pendulum_action", [-2.0], [2.0]),
        ("acrobot_obs", [-1.0, -1.0, -1.0, -1.0, -4 * np.pi, -9 * np.pi],
         [1.0, 1.0, 1.0, 1.0, 4 * np.pi, 9 * np.pi]),
        ("cartpole_obs", [-4.8, -inf, -0.41887903, -inf], [4.8, inf, 0.41887903, inf]),
        ("half_bounded", [0.0, -inf, -1.0], [inf, 1.0, 1.0]),
    ]
    for name, low, high in boxes:
        lo = np.array(low, dtype=np.float32)
        hi = np.array(high, dtype=np.float32)
        for seed in [0, 5]:
            sp = gym.spaces.Box(lo, hi, dtype=np.float32, seed=seed)
            out["box"].append({"name": name, "low": f32s(lo), "high": f32s(hi), "seed": seed,
                               "samples": [f32s(sp.sample()) for _ in range(6)]})
    dump("spaces.json", out)


# ---------------------------------------------------------------------------------------
# Environments


def cartpole_policy(seed):
    if seed >= 14:
        # balance: push towards the side the pole falls to
        return "balance", lambda obs, rng: int(obs[2] + obs[3] > 0)
    return "random", lambda obs, rng: int(rng.integers(2))


def mountain_car_policy(seed):
    if seed >= 10:
        # pump energy: accelerate along the velocity, with 10% random actions
        def pump(obs, rng):
            r = rng.random()
            a = int(rng.integers(3))
            return a if r < 0.1 else (2 if obs[1] >= 0 else 0)
        return "pump", pump
    return "random", lambda obs, rng: int(rng.integers(3))


def acrobot_policy(seed):
    if seed >= 8:
        # torque along the second joint's velocity, with 10% random actions
        def pump(obs, rng):
            r = rng.random()
            a = int(rng.integers(3))
            return a if r < 0.1 else (2 if obs[5] > 0 else 0)
        return "pump", pump
    return "random", lambda obs, rng: int(rng.integers(3))


def pendulum_policy(seed):
    if seed >= 10:
        # full torque along the angular velocity (exercises the speed clip at +-8), with
        # 20% uniform torques
        def pump(obs, rng):
            r = rng.random()
            u = rng.uniform(-2.0, 2.0)
            t = u if r < 0.2 else (2.0 if obs[2] >= 0 else -2.0)
            return np.array([t], dtype=np.float32)
        return "pump", pump
    return "random", lambda obs, rng: rng.uniform(-2.0, 2.0, size=1).astype(np.float32)


ENVS = [
    ("CartPole-v1", "cartpole_v1.json", cartpole_policy, {0: 3, 1: 1, 2: 5, 3: 2}),
    ("MountainCar-v0", "mountain_car_v0.json", mountain_car_policy, {12: 2}),
    ("Acrobot-v1", "acrobot_v1.json", acrobot_policy, {11: 2, 20: 1}),
    ("Pendulum-v1", "pendulum_v1.json", pendulum_policy, {}),
]


def play(env, reset_seed, policy, act_rng, overrun):
    obs, info = env.reset(seed=reset_seed)
    assert info == {}
    observations = [f32s(obs)]
    actions, rewards, terminated, truncated = [], [], [], []
    extra = None
    step = 0
    while True:
        a = policy(obs, act_rng)
        obs, reward, term, trunc, info = env.step(a)
        assert info == {}
        step += 1
        actions.append(float(a[0]) if isinstance(a, np.ndarray) else a)
        observations.append(f32s(obs))
        rewards.append(float(reward))
        if term:
            terminated.append(step)
        if trunc:
            truncated.append(step)
        if extra is None and (term or trunc):
            extra = overrun
        if extra is not None:
            if extra == 0:
                break
            extra -= 1
    return {"reset_seed": reset_seed, "actions": actions, "obs": observations,
            "rewards": rewards, "terminated": terminated, "truncated": truncated}


def env_fixture(env_id, fname, policy_for, overruns):
    env = gym.make(env_id)
    episodes = []
    plan = [(s, s) for s in range(20)] + [(None, 20), (None, 21)]
    for reset_seed, key in plan:
        name, policy = policy_for(key)
        act_rng = np.random.default_rng(10_000 + key)
        ep = play(env, reset_seed, policy, act_rng, overruns.get(key, 0))
        ep["policy"] = name
        episodes.append(ep)
    summary = [(e["reset_seed"], e["policy"], len(e["actions"]), e["terminated"][:1],
                e["truncated"][:1]) for e in episodes]
    print(env_id, summary)
    dump(fname, {
        "gymnasium": gym.__version__,
        "numpy": np.__version__,
        "env": env_id,
        "max_episode_steps": env.spec.max_episode_steps,
        "wrappers": str(env),
        "episodes": episodes,
    })


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    rng_fixture()
    spaces_fixture()
    for env_id, fname, policy_for, overruns in ENVS:
        env_fixture(env_id, fname, policy_for, overruns)
