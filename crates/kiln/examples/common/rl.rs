//! What seed 003's two CartPole programs (S003-48, S003-49) share: the Q-network, a greedy
//! step, a greedy episode, and `--flag value` command-line parsing.

use std::collections::HashMap;
use std::str::FromStr;

use kiln::layers::Dense;
use kiln::models::{CompileArgs, Model};
use kiln::optimizers::Adam;
use kiln_rl::agent::argmax;
use kiln_rl::{Action, Env};
use kiln_tensor::Tensor;

pub type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The seed's `build_q_network`: Dense(24, relu) -> Dense(24, relu) -> Dense(actions,
/// linear), compiled with MSE and Adam(learning_rate=alpha).
pub fn build_q_network(state_size: usize, action_size: usize, alpha: f64) -> kiln::Result<Model> {
    let mut model = Model::sequential(vec![
        Dense::new(24)
            .activation("relu")
            .input_shape(&[state_size])
            .into(),
        Dense::new(24).activation("relu").into(),
        Dense::new(action_size).activation("linear").into(),
    ])?;
    model.compile(CompileArgs::new().optimizer(Adam::new(alpha)).loss("mse"))?;
    Ok(model)
}

/// The Q-values of one state: `model(state[None])[0]`, a direct call (no batching loop or
/// progress bar), which is what the seed's `model.predict(state, verbose=0)` computes.
pub fn q_values(model: &Model, state: &[f32]) -> kiln::Result<Vec<f32>> {
    let x = Tensor::from_slice(state, &[1, state.len()])?;
    Ok(model.call(&x)?.to_vec::<f32>()?)
}

/// One episode acting greedily (`argmax` of the Q-values) from `env.reset(seed)`; returns
/// the score (the summed reward), ending at termination or truncation.
pub fn greedy_episode(model: &Model, env: &mut impl Env, seed: Option<u64>) -> AnyResult<f64> {
    let (mut state, _info) = env.reset(seed)?;
    let mut total_reward = 0.0;
    loop {
        let action = argmax(&q_values(model, &state)?)?;
        let (next_state, reward, terminated, truncated, _info) = env.step(Action::from(action))?;
        total_reward += reward;
        state = next_state;
        if terminated || truncated {
            return Ok(total_reward);
        }
    }
}

/// `--name value` pairs from the command line; any name not in `allowed`, or a name with no
/// value, is an error naming the allowed flags.
pub struct Flags(HashMap<String, String>);

impl Flags {
    pub fn parse(allowed: &[&str]) -> Result<Flags, String> {
        let usage = || {
            let names: Vec<String> = allowed.iter().map(|n| format!("--{n} VALUE")).collect();
            format!("usage: {}", names.join(" "))
        };
        let mut map = HashMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            let name = a
                .strip_prefix("--")
                .filter(|n| allowed.contains(n))
                .ok_or_else(|| format!("unknown argument '{a}'; {}", usage()))?;
            let value = args
                .next()
                .ok_or_else(|| format!("--{name} needs a value; {}", usage()))?;
            map.insert(name.to_string(), value);
        }
        Ok(Flags(map))
    }

    /// The flag's value parsed as `T`, or `default` when it was not given.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: cannot parse '{v}'")),
        }
    }

    /// The flag's raw value, if given.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}
