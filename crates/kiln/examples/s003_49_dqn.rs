//! S003-49: a DQN on CartPole-v1 (seed 003, module 6): a Q-network and a target network
//! (Dense24-24-linear, Adam, MSE), a replay memory of 2000 transitions, minibatches of 64,
//! Bellman targets from the target network (γ 0.99, reward −10 on termination), ε-greedy
//! from 1.0 toward 0.01, and the target synced with `set_weights(get_weights())` every 10
//! episodes; then 10 greedy evaluation episodes. Prints the seed's lines,
//! `Episode: i/N, Score: s` per training episode and `Episode: i, Score: s` per evaluation
//! episode, and writes a learning-curve PNG.
//!
//! ```text
//! cargo run --release -p kiln --example s003_49_dqn -- [--seed N] [--episodes N]
//!     [--plot PATH] [--epsilon-decay D] [--lr A] [--solve-check true|false]
//! ```
//!
//! **Seed defect 14, fixed here.** The seed's `remember()` is only called on terminal steps,
//! so its memory holds nothing but failures, and its `replay()` computes a target for each
//! of the 64 sampled transitions but calls `fit` once after the loop, on the last one only.
//! Here every transition is remembered and the network is trained on the whole sampled
//! minibatch (one `train_on_batch` on 64 states and their 64 target rows). The seed also
//! calls `replay` once per episode (it sits after the step loop); here it runs every
//! environment step once the memory holds more than 64 transitions, as DQN does (and as the
//! corrected `dqn_step` peer workload measures) — once per episode would be at most 300
//! gradient steps in the whole budget.
//!
//! **Per-step calls.** The seed calls `q_network.predict(state, verbose=0)` for the greedy
//! action and, per sampled transition, `q_network.predict` / `target_network.predict` and
//! finally `q_network.fit(state, target, epochs=1, verbose=0)`. Here the greedy action is one
//! direct model call on the 1x4 state (`model(state)`, no batching loop, no callbacks), the
//! targets come from one call of each network on the 64x4 minibatch (`q_network(states)`,
//! `target_network(next_states)`), and the update is `train_on_batch(states, targets)`:
//! the same numbers `predict`/`fit(epochs=1)` compute, without their per-call machinery.
//!
//! **What differs from the seed, and why.** The seed runs 1000 episodes; the acceptance
//! budget is 300 (`--episodes`). After every training episode the greedy policy is checked on
//! 10 fixed-seed episodes of a separate environment, and training stops as soon as their
//! mean is >= 475 (CartPole's "solved" score; `--solve-check false` trains the full budget).
//! The hyperparameters are the seed's (ε decay 0.995 per episode, learning rate 0.001): with
//! them seeds 1, 2 and 3 of 0..4 solved within 300 episodes when this was written; ε decay
//! 0.99 and 0.98 (offered by `--epsilon-decay`, as `--lr` is) did worse, 2 and 1 of the 5.
//! The seed's `if done` is `terminated` (pole fell or cart left): a truncation at 500 steps
//! ends the episode without the −10, and its transition still bootstraps from the next
//! state.
//! `env.render()` is left out of the evaluation (no window; kiln-rl can write `rgb_array`
//! frames instead).
//!
//! The PNG is a plain plot drawn by hand (no labels; see `common/curve_plot.rs`): x is the
//! training episode, y the score from 0 to 500; blue is each training episode's score (with
//! ε-greedy exploration), orange the mean of that episode's 10-episode greedy check, the
//! dashed grey line is 475.

#[path = "common/curve_plot.rs"]
mod curve_plot;
#[path = "common/rl.rs"]
mod rl;

use std::path::PathBuf;
use std::time::Instant;

use kiln::models::Model;
use kiln_rl::agent::{EpsilonGreedy, ReplayBuffer, Transition};
use kiln_rl::{make, Action, Env};
use kiln_tensor::Tensor;
use rl::{build_q_network, greedy_episode, q_values, AnyResult, Flags};

const SOLVED: f64 = 475.0;
/// The environment seeds of the 10 greedy check episodes (fixed across the run).
const CHECK_SEED_BASE: u64 = 1_000_000;

/// The seed's `replay(batch_size)` with defect 14 fixed: Bellman targets for a sampled
/// minibatch (`r` at termination, else `r + γ max_a' Q_target(s', a')`, the other actions'
/// targets left at the Q-network's own outputs), then one training step on all of it.
fn replay(
    q_network: &mut Model,
    target_network: &Model,
    memory: &mut ReplayBuffer,
    batch_size: usize,
    gamma: f32,
) -> AnyResult<()> {
    let minibatch = memory.sample(batch_size)?;
    let state_size = minibatch[0].state.len();
    let mut states = Vec::with_capacity(batch_size * state_size);
    let mut next_states = Vec::with_capacity(batch_size * state_size);
    for t in &minibatch {
        states.extend_from_slice(&t.state);
        next_states.extend_from_slice(&t.next_state);
    }
    let states = Tensor::from_vec(states, &[batch_size, state_size])?;
    let next_states = Tensor::from_vec(next_states, &[batch_size, state_size])?;
    let mut target = q_network.call(&states)?.to_vec::<f32>()?;
    let next_q = target_network.call(&next_states)?.to_vec::<f32>()?;
    let action_size = target.len() / batch_size;
    for (i, t) in minibatch.iter().enumerate() {
        let row = &next_q[i * action_size..(i + 1) * action_size];
        let best = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        target[i * action_size + t.action as usize] = if t.terminated {
            t.reward
        } else {
            t.reward + gamma * best
        };
    }
    let target = Tensor::from_vec(target, &[batch_size, action_size])?;
    q_network.train_on_batch(&states, target, None)?;
    Ok(())
}

fn main() -> AnyResult<()> {
    let flags = Flags::parse(&[
        "seed",
        "episodes",
        "plot",
        "epsilon-decay",
        "lr",
        "solve-check",
    ])?;
    let seed: u64 = flags.get("seed", 0)?;
    let episodes: usize = flags.get("episodes", 300)?;
    let epsilon_decay: f64 = flags.get("epsilon-decay", 0.995)?;
    let alpha: f64 = flags.get("lr", 0.001)?; // learning rate
    let solve_check: bool = flags.get("solve-check", true)?;
    let plot = flags
        .raw("plot")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("kiln_s003_49_dqn_seed{seed}.png")));

    let started = Instant::now();
    let mut env = make("CartPole-v1")?;
    let mut check_env = make("CartPole-v1")?;
    let gamma = 0.99f32; // discount factor
    let (epsilon, epsilon_min) = (1.0, 0.01);
    let batch_size = 64;
    let memory_size = 2000;
    let state_size = env.observation_space().shape().iter().product::<usize>();
    let action_size = env
        .action_space()
        .as_discrete()
        .ok_or("CartPole's action space should be Discrete")?
        .n() as usize;

    kiln::utils::set_random_seed(seed); // the networks' initial weights
    let mut memory = ReplayBuffer::new(memory_size, Some(seed + 20_000))?;
    let mut policy = EpsilonGreedy::new(epsilon, epsilon_decay, epsilon_min, Some(seed + 10_000))?;
    let mut q_network = build_q_network(state_size, action_size, alpha)?;
    let target_network = build_q_network(state_size, action_size, alpha)?;
    target_network.set_weights(&q_network.get_weights())?;

    let mut scores = Vec::new();
    let mut checks = Vec::new();
    let mut solved_at = None;
    let mut steps = 0usize;
    for episode in 0..episodes {
        let (mut state, _info) = env.reset(if episode == 0 { Some(seed) } else { None })?;
        let mut total_reward = 0.0;
        loop {
            let action = policy.select(&q_values(&q_network, &state)?)?;
            let (next_state, reward, terminated, truncated, _info) =
                env.step(Action::from(action))?;
            total_reward += reward;
            let reward = if terminated { -10.0 } else { reward as f32 };
            // defect 14: every transition is remembered, not only the terminal ones
            memory.push(Transition {
                state: std::mem::take(&mut state),
                action: action as i64,
                reward,
                next_state: next_state.clone(),
                terminated,
            });
            if memory.len() > batch_size {
                replay(
                    &mut q_network,
                    &target_network,
                    &mut memory,
                    batch_size,
                    gamma,
                )?;
            }
            steps += 1;
            state = next_state;
            if terminated || truncated {
                break;
            }
        }
        policy.decay();
        // Update the target network weights every 10 episodes
        if episode % 10 == 0 {
            target_network.set_weights(&q_network.get_weights())?;
        }
        println!(
            "Episode: {}/{episodes}, Score: {total_reward:?}",
            episode + 1
        );
        scores.push(total_reward);
        if solve_check {
            let mut sum = 0.0;
            for k in 0..10 {
                sum += greedy_episode(&q_network, &mut check_env, Some(CHECK_SEED_BASE + k))?;
            }
            checks.push(sum / 10.0);
            if sum / 10.0 >= SOLVED {
                solved_at = Some(episode + 1);
                break;
            }
        }
    }
    let train_s = started.elapsed().as_secs_f64();

    // Evaluation: 10 greedy episodes on the training environment, as the seed does.
    let mut eval = Vec::new();
    for episode in 0..10 {
        let score = greedy_episode(&q_network, &mut env, None)?;
        println!("Episode: {}, Score: {score:?}", episode + 1);
        eval.push(score);
    }
    let eval_mean = eval.iter().sum::<f64>() / eval.len() as f64;
    match solved_at {
        Some(n) => println!(
            "solved after {n} training episodes (greedy check mean >= {SOLVED} over 10 episodes)"
        ),
        None if solve_check => {
            let (best_i, best) = checks
                .iter()
                .copied()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            println!(
                "not solved within {episodes} training episodes (best greedy check mean {best:.1} after episode {})",
                best_i + 1
            );
        }
        None => println!("trained {episodes} episodes (no solve check)"),
    }
    println!(
        "evaluation: greedy mean {eval_mean:.1} over 10 episodes; seed {seed}, {} training episodes, {steps} steps, training {train_s:.1} s, total {:.1} s",
        scores.len(),
        started.elapsed().as_secs_f64()
    );
    curve_plot::save_learning_curve(
        &plot,
        &[
            curve_plot::Series {
                values: &scores,
                color: [31, 119, 180],
            },
            curve_plot::Series {
                values: &checks,
                color: [255, 127, 14],
            },
        ],
        500.0,
        SOLVED,
    )?;
    println!(
        "learning curve: {} (x: training episode, y: score 0..500; blue: training score, orange: greedy check mean, dashed: 475)",
        plot.display()
    );
    Ok(())
}
