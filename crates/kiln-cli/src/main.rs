//! The `kiln` command-line tool.
//!
//! ```text
//! kiln train [--model mlp] [--epochs N] [--batch-size B] [--seed S] [--save M.keras]
//!     [--lr-schedule constant|cosine]
//! kiln summary MODEL.keras
//! kiln predict MODEL.keras --input X.npy [--input X2.npy] --output Y.npy [--batch-size B]
//! kiln evaluate MODEL.keras --x X.npy --y Y.npy [--batch-size B]
//! kiln bench ops [--filter SUBSTRING] [--extra] [--budget SECONDS]
//! kiln bench train [WORKLOAD...]
//! ```
//!
//! Arguments are parsed by hand (no CLI framework) to keep the binary's dependencies light.

mod bench;
mod bench_train;
mod model_io;
mod train;

use std::process::ExitCode;

const USAGE: &str = "usage: kiln <command>

commands:
  train [--model mlp|cnn] [--epochs N] [--batch-size B] [--seed S] [--save M.keras]
        [--lr-schedule constant|cosine] [--distribute mpi]
      train on the shipped MNIST with Keras's progress bar, evaluate on the test set,
      and print one JSON line (model, epochs, test_loss, test_accuracy, train_seconds);
      --save writes the trained model as a Keras 3 .keras archive; Adam at 1e-3,
      constant (mlp default) or cosine-decayed to 0 over the run (cnn default);
      --distribute mpi (build with --features mpi) trains data-parallel under
      `mpirun -np N`, the batch size being the global batch
  summary MODEL.keras
      print the summary table of a saved model (Keras's or kiln's)
  predict MODEL.keras --input X.npy [--input X2.npy ...] --output Y.npy [--batch-size B]
      batched predictions on .npy inputs (in model input order), written as .npy
  evaluate MODEL.keras --x X.npy --y Y.npy [--batch-size B]
      loss and metrics of the saved (compiled) model, as one JSON line
  bench ops [--filter SUBSTRING] [--extra] [--budget SECONDS]
      time single ops; one JSON line per bench, named as in ops_peers.py
      --filter   only benches whose name contains SUBSTRING
      --extra    also kiln-only benches (random generation, dropout, tiny-op overhead)
      --budget   time budget per bench in seconds (default 1.0, as the peers)
  bench train [WORKLOAD...]
      the seed training workloads of *_workloads.py (default: all kiln has: mlp);
      one JSON line each: fit_epoch_s, eval_s, test_acc, predict1_ms
  help
      print this message";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("kiln: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    match argv.as_slice() {
        [] | ["help"] | ["--help"] | ["-h"] => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        ["train", rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            let opts = train::parse_args(&rest)?;
            match train::run(&opts) {
                Ok(json) => {
                    if !json.is_empty() {
                        println!("{json}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("kiln train: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        ["summary", path] => report("summary", model_io::summary(path)),
        ["summary", ..] => Err("summary takes one MODEL.keras".into()),
        ["predict", rest @ ..] => {
            let a = model_io::parse_predict(rest)?;
            report("predict", model_io::predict(&a))
        }
        ["evaluate", rest @ ..] => report("evaluate", model_io::evaluate(rest)?),
        ["bench", "ops", rest @ ..] => {
            let opts = parse_bench_ops(rest)?;
            let failures = bench::run_ops(&opts);
            Ok(if failures == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ["bench", "train", rest @ ..] => {
            let names: Vec<&str> = if rest.is_empty() {
                bench_train::WORKLOADS.to_vec()
            } else {
                rest.to_vec()
            };
            let mut failed = false;
            for n in names {
                match bench_train::run_workload(n) {
                    Ok(line) => println!("{line}"),
                    Err(e) => {
                        eprintln!("kiln bench train {n}: {e}");
                        failed = true;
                    }
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        ["bench", other, ..] => Err(format!(
            "unknown bench suite '{other}' (expected: ops, train)"
        )),
        ["bench"] => Err("missing bench suite (expected: ops, train)".to_string()),
        [other, ..] => Err(format!("unknown command '{other}'")),
    }
}

/// Prints a command's output, or its error on stderr with a failure status.
fn report(cmd: &str, r: kiln::Result<String>) -> Result<ExitCode, String> {
    match r {
        Ok(s) => {
            println!("{s}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("kiln {cmd}: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn parse_bench_ops(rest: &[&str]) -> Result<bench::OpsOptions, String> {
    let mut opts = bench::OpsOptions {
        budget_s: 1.0,
        ..Default::default()
    };
    let mut it = rest.iter();
    while let Some(&a) = it.next() {
        match a {
            "--extra" => opts.extra = true,
            "--filter" => {
                let v = it.next().ok_or("--filter needs a value")?;
                opts.filter = Some(v.to_string());
            }
            "--budget" => {
                let v = it.next().ok_or("--budget needs a value")?;
                let s: f64 = v
                    .parse()
                    .map_err(|_| format!("--budget: '{v}' is not a number of seconds"))?;
                if !(s.is_finite() && s >= 0.0) {
                    return Err(format!(
                        "--budget: {s} must be a non-negative number of seconds"
                    ));
                }
                opts.budget_s = s;
            }
            other => return Err(format!("bench ops: unknown option '{other}'")),
        }
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_bench_options() {
        let o = parse_bench_ops(&["--filter", "add", "--extra", "--budget", "0.5"]).unwrap();
        assert_eq!(o.filter.as_deref(), Some("add"));
        assert!(o.extra);
        assert_eq!(o.budget_s, 0.5);
        assert!(parse_bench_ops(&["--budget", "x"]).is_err());
        assert!(parse_bench_ops(&["--filter"]).is_err());
        assert!(parse_bench_ops(&["--nope"]).is_err());
    }

    #[test]
    fn rejects_unknown_commands() {
        assert!(run(&strings(&["frobnicate"]))
            .unwrap_err()
            .contains("frobnicate"));
        assert!(run(&strings(&["bench", "train2"]))
            .unwrap_err()
            .contains("train2"));
        assert!(run(&strings(&["bench"])).is_err());
    }
}
