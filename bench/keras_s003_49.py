"""S003-49 (corrected, seed defect 14 fixed) in Keras 3 / TensorFlow: the program
crates/kiln/examples/s003_49_dqn.rs runs, with the same calls, for a whole-run time next to
kiln's.

    ~/peers/bin/python bench/keras_s003_49.py [--seed N] [--episodes N] [--mode direct|seed]

A Q-network and a target network (Dense 24-24-linear, Adam 1e-3, MSE), a replay memory of
2000 transitions, minibatches of 64 trained every environment step once the memory holds more
than 64, Bellman targets from the target network (gamma 0.99, reward -10 on termination),
epsilon-greedy from 1.0 decaying 0.995 per episode to 0.01, the target synced with
set_weights(get_weights()) every 10 episodes. After every training episode the greedy policy is
checked on 10 fixed-seed episodes of a second environment; training stops when their mean is
>= 475. Then 10 greedy evaluation episodes. CartPole-v1 is gymnasium's.

--mode direct (default) makes the calls kiln's example makes: model(state) for the greedy
action, q(states) / target(next_states) for the targets, train_on_batch for the update.
--mode seed makes the seed's calls: model.predict(..., verbose=0) and
model.fit(x, y, epochs=1, verbose=0) (far slower; the seed's per-call machinery).

Prints the seed's lines and one JSON line at the end:
{"peer": "tensorflow ...", "program": "s003_49", "mode", "seed", "episodes", "solved_at",
 "steps", "train_s", "total_s", "eval_mean"}
"""
import argparse
import json
import os
import sys
import time
from collections import deque

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import gymnasium as gym  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--seed", type=int, default=0)
p.add_argument("--episodes", type=int, default=300)
p.add_argument("--mode", choices=["direct", "seed"], default="direct")
args = p.parse_args()

SOLVED, CHECK_SEED_BASE = 475.0, 1_000_000
gamma, epsilon, epsilon_min, epsilon_decay = 0.99, 1.0, 0.01, 0.995
batch_size, memory_size, alpha = 64, 2000, 0.001

keras.utils.set_random_seed(args.seed)
rng = np.random.default_rng(args.seed + 10_000)
mem_rng = np.random.default_rng(args.seed + 20_000)


def build():
    m = keras.Sequential([keras.Input((4,)), L.Dense(24, activation="relu"),
                          L.Dense(24, activation="relu"), L.Dense(2, activation="linear")])
    m.compile(loss="mse", optimizer=keras.optimizers.Adam(alpha))
    return m


q_network, target_network = build(), build()
target_network.set_weights(q_network.get_weights())


def q(model, x):
    if args.mode == "seed":
        return model.predict(x, verbose=0)
    return model(x).numpy()


def greedy_episode(env, seed):
    state, _ = env.reset(seed=seed)
    total = 0.0
    while True:
        a = int(np.argmax(q(q_network, state[None])[0]))
        state, r, term, trunc, _ = env.step(a)
        total += r
        if term or trunc:
            return total


env, check_env = gym.make("CartPole-v1"), gym.make("CartPole-v1")
memory = deque(maxlen=memory_size)
started = time.perf_counter()
solved_at, steps, scores = None, 0, []
for episode in range(args.episodes):
    state, _ = env.reset(seed=args.seed if episode == 0 else None)
    total = 0.0
    while True:
        # as kiln's EpsilonGreedy.select: the Q-values are computed every step
        q_values = q(q_network, state[None])[0]
        if rng.random() < epsilon:
            action = int(rng.integers(2))
        else:
            action = int(np.argmax(q_values))
        next_state, reward, term, trunc, _ = env.step(action)
        total += reward
        reward = -10.0 if term else reward
        memory.append((state, action, reward, next_state, term))
        if len(memory) > batch_size:
            idx = mem_rng.choice(len(memory), batch_size, replace=False)
            batch = [memory[i] for i in idx]
            states = np.array([b[0] for b in batch], dtype=np.float32)
            next_states = np.array([b[3] for b in batch], dtype=np.float32)
            target = q(q_network, states).copy()
            next_q = q(target_network, next_states)
            for i, (_, a, r, _, t) in enumerate(batch):
                target[i, a] = r if t else r + gamma * np.max(next_q[i])
            if args.mode == "seed":
                q_network.fit(states, target, epochs=1, verbose=0)
            else:
                q_network.train_on_batch(states, target)
        steps += 1
        state = next_state
        if term or trunc:
            break
    epsilon = max(epsilon_min, epsilon * epsilon_decay)
    if episode % 10 == 0:
        target_network.set_weights(q_network.get_weights())
    print(f"Episode: {episode + 1}/{args.episodes}, Score: {total}", flush=True)
    # progress on stderr (steps and seconds so far), so a run cut short still says how far it
    # got
    print(f"progress episode {episode + 1} steps {steps} elapsed_s "
          f"{time.perf_counter() - started:.1f}", file=sys.stderr, flush=True)
    scores.append(total)
    check = np.mean([greedy_episode(check_env, CHECK_SEED_BASE + k) for k in range(10)])
    if check >= SOLVED:
        solved_at = episode + 1
        break
train_s = time.perf_counter() - started
evals = []
for episode in range(10):
    s = greedy_episode(env, None)
    print(f"Episode: {episode + 1}, Score: {s}")
    evals.append(s)
print(json.dumps({"peer": "tensorflow " + tf.__version__ + " / keras " + keras.__version__,
                  "program": "s003_49", "mode": args.mode, "seed": args.seed,
                  "episodes": len(scores), "solved_at": solved_at, "steps": steps,
                  "train_s": round(train_s, 2),
                  "total_s": round(time.perf_counter() - started, 2),
                  "eval_mean": float(np.mean(evals))}))
