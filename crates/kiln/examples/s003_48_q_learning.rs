//! S003-48: online Q-learning with a Q-network on CartPole-v1 (seed 003, module 6):
//! Dense24-24-linear, Adam(0.001), MSE; every environment step one Bellman update on that
//! step's transition (γ 0.99, reward −10 on termination), ε-greedy from 1.0 (×0.995 per
//! episode, floor 0.01), 100 episodes; then 10 greedy evaluation episodes. Prints the
//! seed's lines, `Episode: i/100, Score: s` per training episode and `Episode: i, Score: s`
//! per evaluation episode, and writes a learning-curve PNG.
//!
//! ```text
//! cargo run --release -p kiln --example s003_48_q_learning -- [--seed N] [--episodes N] [--plot PATH]
//! ```
//!
//! The seed's hyperparameters are kept as they are. Its unused `q_table` is left out. Per
//! step the seed calls `q_network.predict(state)` for the greedy action, again for the
//! target row, `q_network.predict(next_state)` for the bootstrap and
//! `q_network.fit(state, q_target, epochs=1, verbose=0)`; here the first two are one direct
//! model call on the 1x4 state (the network has not changed in between, so they are the same
//! numbers), the bootstrap another on `next_state` (direct calls: no batching loop or
//! progress bar), and the update is `train_on_batch(state, q_target)` — the numbers
//! `predict`/`fit(epochs=1)` compute. As the
//! seed writes it, the target bootstraps from `next_state` even on the terminal step (the −10
//! marks the failure). The seed prints an episode's line only `if done` (termination), so a
//! run that reaches the 500-step limit would print nothing for it; here every episode
//! prints, whether it ended by termination or by the time limit. `env.render()` is left out
//! (no window).
//!
//! The PNG is a plain plot drawn by hand (no labels; see `common/curve_plot.rs`): x is the
//! training episode, y the score from 0 to 500, blue the training scores, the dashed grey
//! line CartPole's solved score 475 (not expected after 100 online episodes).

#[path = "common/curve_plot.rs"]
mod curve_plot;
#[path = "common/rl.rs"]
mod rl;

use std::path::PathBuf;
use std::time::Instant;

use kiln_rl::agent::EpsilonGreedy;
use kiln_rl::{make, Action, Env};
use kiln_tensor::Tensor;
use rl::{build_q_network, greedy_episode, q_values, AnyResult, Flags};

fn main() -> AnyResult<()> {
    let flags = Flags::parse(&["seed", "episodes", "plot"])?;
    let seed: u64 = flags.get("seed", 0)?;
    let episodes: usize = flags.get("episodes", 100)?;
    let plot = flags.raw("plot").map(PathBuf::from).unwrap_or_else(|| {
        std::env::temp_dir().join(format!("kiln_s003_48_q_learning_seed{seed}.png"))
    });

    let started = Instant::now();
    let mut env = make("CartPole-v1")?;
    let alpha = 0.001; // learning rate
    let gamma = 0.99f32; // discount factor
    let (epsilon, epsilon_min, epsilon_decay) = (1.0, 0.01, 0.995);
    let state_size = env.observation_space().shape().iter().product::<usize>();
    let action_size = env
        .action_space()
        .as_discrete()
        .ok_or("CartPole's action space should be Discrete")?
        .n() as usize;

    kiln::utils::set_random_seed(seed); // the network's initial weights
    let mut policy = EpsilonGreedy::new(epsilon, epsilon_decay, epsilon_min, Some(seed + 10_000))?;
    let mut q_network = build_q_network(state_size, action_size, alpha)?;

    let mut scores = Vec::new();
    for episode in 0..episodes {
        let (mut state, _info) = env.reset(if episode == 0 { Some(seed) } else { None })?;
        let mut total_reward = 0.0;
        loop {
            let x = Tensor::from_slice(&state, &[1, state_size])?;
            // Q(state) gives the greedy action and, as the network has not changed in
            // between, also the seed's second `predict(state)`: the target row.
            let mut q_target = q_network.call(&x)?.to_vec::<f32>()?;
            let action = policy.select(&q_target)?;
            let (next_state, reward, terminated, truncated, _info) =
                env.step(Action::from(action))?;
            total_reward += reward;
            let reward = if terminated { -10.0 } else { reward as f32 };

            // q_target[action] = r + γ max_a' Q(next_state, a')
            let best_next = q_values(&q_network, &next_state)?
                .into_iter()
                .fold(f32::NEG_INFINITY, f32::max);
            q_target[action] = reward + gamma * best_next;
            q_network.train_on_batch(&x, Tensor::from_vec(q_target, &[1, action_size])?, None)?;
            state = next_state;
            if terminated || truncated {
                println!(
                    "Episode: {}/{episodes}, Score: {total_reward:?}",
                    episode + 1
                );
                break;
            }
        }
        scores.push(total_reward);
        policy.decay();
    }
    let train_s = started.elapsed().as_secs_f64();

    let mut eval_sum = 0.0;
    for episode in 0..10 {
        let score = greedy_episode(&q_network, &mut env, None)?;
        println!("Episode: {}, Score: {score:?}", episode + 1);
        eval_sum += score;
    }
    println!(
        "evaluation: greedy mean {:.1} over 10 episodes; seed {seed}, training {train_s:.1} s, total {:.1} s",
        eval_sum / 10.0,
        started.elapsed().as_secs_f64()
    );
    curve_plot::save_learning_curve(
        &plot,
        &[curve_plot::Series {
            values: &scores,
            color: [31, 119, 180],
        }],
        500.0,
        475.0,
    )?;
    println!(
        "learning curve: {} (x: training episode, y: score 0..500; blue: training score, dashed: 475)",
        plot.display()
    );
    Ok(())
}
