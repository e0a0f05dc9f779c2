#!/usr/bin/env python3
"""Golden rgb_array frames for crates/kiln-rl's renderer, from gymnasium's classic-control
environments drawn by pygame.

Pinned reference: gymnasium 1.2.2 and pygame 2.6.1 (SDL 2.28.4) (pip: gymnasium==1.2.2
pygame==2.6.1), NumPy 2.4.6, Python 3.11 on x86-64 Linux (glibc libm, no AVX-512; see
gen_rl_envs.py for why the float64 kernels matter).

Writes, under tools/golden/fixtures/rl_envs/render/:
  frames.json   per environment (CartPole-v1, MountainCar-v0, Acrobot-v1, Pendulum-v1,
                made with gymnasium.make(id, render_mode="rgb_array")) five episodes reset
                with seeds 0..4; per episode the actions taken (from a seeded NumPy generator
                or a simple policy with a little of that randomness, so the scenes move: the
                cart drifts towards the edges, the car climbs, the links swing, the pendulum
                spins with both signs of torque) and the steps after which a frame was
                rendered (0 is right after reset; the last is the episode's final step).
                Per frame: its PNG name, shape, and a 64-bit FNV-1a hash of the raw
                (height, width, 3) uint8 array.
  <env>_s<seed>_<step>.png
                the frames, losslessly (8-bit RGB).

Actions are written as Python ints, or for Pendulum as the exact float64 value of the float32
torque. Run from the repository root:
    ~/peers/bin/python tools/golden/gen_rl_frames.py
"""

import json
import os
import warnings

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import gymnasium as gym  # noqa: E402
import pygame  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "rl_envs", "render")

gym.logger.min_level = 40
warnings.filterwarnings("ignore")

SEEDS = range(5)
CAPTURE = [0, 1, 17, 60]  # plus the episode's last step


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "#018x")


def cartpole_policy(seed):
    if seed >= 2:
        # balance with a bias, so the cart drifts (seeds 2 and 4 to the right edge, where the
        # episode ends with the cart half off the screen)
        bias = {2: -0.03, 3: 0.02, 4: -0.03}[seed]
        return lambda obs, rng: int(obs[2] + 0.5 * obs[3] + bias > 0)
    return lambda obs, rng: int(rng.integers(2))


def mountain_car_policy(seed):
    if seed >= 2:
        def pump(obs, rng):
            r = rng.random()
            a = int(rng.integers(3))
            return a if r < 0.1 else (2 if obs[1] >= 0 else 0)
        return pump
    return lambda obs, rng: int(rng.integers(3))


def acrobot_policy(seed):
    if seed >= 2:
        def pump(obs, rng):
            r = rng.random()
            a = int(rng.integers(3))
            return a if r < 0.1 else (2 if obs[5] > 0 else 0)
        return pump
    return lambda obs, rng: int(rng.integers(3))


def pendulum_policy(seed):
    if seed >= 2:
        def pump(obs, rng):
            r = rng.random()
            u = rng.uniform(-2.0, 2.0)
            t = u if r < 0.2 else (2.0 if obs[2] >= 0 else -2.0)
            return np.array([t], dtype=np.float32)
        return pump
    return lambda obs, rng: rng.uniform(-2.0, 2.0, size=1).astype(np.float32)


ENVS = [
    ("CartPole-v1", "cartpole", cartpole_policy),
    ("MountainCar-v0", "mountaincar", mountain_car_policy),
    ("Acrobot-v1", "acrobot", acrobot_policy),
    ("Pendulum-v1", "pendulum", pendulum_policy),
]


def save(frame, name):
    surf = pygame.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
    path = os.path.join(OUT, name)
    pygame.image.save(surf, path)
    return os.path.getsize(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".png"):
            os.remove(os.path.join(OUT, f))
    out = {"gymnasium": gym.__version__, "pygame": pygame.version.ver,
           "sdl": ".".join(map(str, pygame.get_sdl_version())), "numpy": np.__version__,
           "episodes": []}
    total = 0
    for env_id, short, policy_for in ENVS:
        env = gym.make(env_id, render_mode="rgb_array")
        for seed in SEEDS:
            policy = policy_for(seed)
            rng = np.random.default_rng(20_000 + seed)
            obs, _ = env.reset(seed=seed)
            frames, actions = [], []
            step = 0

            def capture():
                nonlocal total
                frame = env.render()
                assert frame.dtype == np.uint8
                name = f"{short}_s{seed}_{step}.png"
                total += save(frame, name)
                frames.append({"step": step, "png": name, "shape": list(frame.shape),
                               "fnv1a64": fnv1a64(np.ascontiguousarray(frame).tobytes())})

            capture()
            while True:
                a = policy(obs, rng)
                obs, _, term, trunc, _ = env.step(a)
                step += 1
                actions.append(float(a[0]) if isinstance(a, np.ndarray) else int(a))
                if term or trunc or step in CAPTURE:
                    capture()
                if term or trunc:
                    break
            out["episodes"].append({"env": env_id, "reset_seed": seed, "actions": actions,
                                    "frames": frames})
            print(env_id, seed, len(actions), [f["step"] for f in frames])
        env.close()
    path = os.path.join(OUT, "frames.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes;", total, "bytes of PNG")


if __name__ == "__main__":
    main()
