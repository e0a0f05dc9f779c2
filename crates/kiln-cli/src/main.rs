//! The `kiln` command-line tool.
//!
//! ```text
//! kiln train [--model mlp] [--epochs N] [--batch-size B] [--seed S] [--save M.keras]
//!     [--lr-schedule constant|cosine]
//! kiln summary MODEL.keras
//! kiln predict MODEL.keras --input X.npy [--input X2.npy] --output Y.npy [--batch-size B]
//! kiln predict MODEL.onnx --input X.npy --output Y.npy [--batch-size B]
//! kiln export MODEL.keras --format onnx [--opset N] -o OUT.onnx
//! kiln evaluate MODEL.keras --x X.npy --y Y.npy [--batch-size B]
//! kiln bench ops [--filter SUBSTRING] [--extra] [--budget SECONDS]
//! kiln bench train [WORKLOAD...]
//! kiln completions bash|zsh|fish|elvish|powershell
//! ```
//!
//! Arguments are parsed by `clap` (derive API): `kiln --help` and `kiln <command> --help`
//! describe each command, a bad argument prints that command's usage and exits with
//! status 2, and `kiln completions SHELL` writes a completion script for SHELL.
//! A command that fails at run time (a missing file, a failed bench) exits with status 1.
#![forbid(unsafe_code)]

mod bench;
mod bench_train;
mod model_io;
mod onnx_cmd;
mod train;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// kiln: train, inspect and benchmark Keras-style models.
#[derive(Debug, Parser)]
#[command(name = "kiln", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Train on the shipped MNIST with Keras's progress bar, evaluate on the test set and
    /// print one JSON line (model, epochs, test_loss, test_accuracy, train_seconds).
    ///
    /// Adam at 1e-3, constant (mlp default) or cosine-decayed to 0 over the run (cnn
    /// default); --save writes the trained model as a Keras 3 .keras archive;
    /// --distribute mpi (build with --features mpi) trains data-parallel under
    /// `mpirun -np N`, the batch size being the global batch.
    Train(train::TrainArgs),
    /// Print the summary table of a saved model (Keras's or kiln's).
    Summary {
        /// The saved model (`.keras`).
        #[arg(value_name = "MODEL.keras")]
        model: String,
    },
    /// Batched predictions on .npy inputs (in model input order), written as .npy.
    Predict(model_io::PredictArgs),
    /// Export a saved model to ONNX (onnxruntime, TensorRT, ...).
    Export(onnx_cmd::ExportArgs),
    /// Loss and metrics of the saved (compiled) model, as one JSON line.
    Evaluate(model_io::EvaluateCmd),
    /// Benchmarks: single ops, or the seed training workloads.
    Bench {
        #[command(subcommand)]
        suite: BenchSuite,
    },
    /// Write a shell completion script to stdout (e.g. `kiln completions bash >
    /// ~/.local/share/bash-completion/completions/kiln`).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum BenchSuite {
    /// Time single ops; one JSON line per bench, named as in ops_peers.py.
    Ops(bench::OpsOptions),
    /// The seed training workloads of *_workloads.py; one JSON line each: fit_epoch_s,
    /// eval_s, test_acc, predict1_ms.
    Train {
        /// Workloads to run (default: all kiln has).
        #[arg(value_name = "WORKLOAD")]
        workloads: Vec<String>,
    },
}

fn main() -> ExitCode {
    // clap prints its own errors (with the command's usage) and exits with status 2.
    run(Cli::parse())
}

fn run(cli: Cli) -> ExitCode {
    let Some(command) = cli.command else {
        // No command: the overview, as `kiln --help`.
        println!("{}", Cli::command().render_long_help());
        return ExitCode::SUCCESS;
    };
    match command {
        Cmd::Train(opts) => report("train", train::run(&opts)),
        Cmd::Summary { model } => report("summary", model_io::summary(&model)),
        Cmd::Predict(a) => report("predict", model_io::predict(&a)),
        Cmd::Export(a) => report("export", onnx_cmd::export(&a)),
        Cmd::Evaluate(a) => report("evaluate", model_io::evaluate(&a)),
        Cmd::Bench {
            suite: BenchSuite::Ops(opts),
        } => status(bench::run_ops(&opts) == 0),
        Cmd::Bench {
            suite: BenchSuite::Train { workloads },
        } => {
            let names: Vec<&str> = if workloads.is_empty() {
                bench_train::WORKLOADS.to_vec()
            } else {
                workloads.iter().map(String::as_str).collect()
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
            status(!failed)
        }
        Cmd::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kiln", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

fn status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints a command's output, or its error on stderr with a failure status.
fn report(cmd: &str, r: kiln::Result<String>) -> ExitCode {
    match r {
        Ok(s) => {
            // Non-chief ranks of a distributed run print nothing.
            if !s.is_empty() {
                println!("{s}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kiln {cmd}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("kiln").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_bench_options() {
        let Some(Cmd::Bench {
            suite: BenchSuite::Ops(o),
        }) = parse(&[
            "bench", "ops", "--filter", "add", "--extra", "--budget", "0.5",
        ])
        .unwrap()
        .command
        else {
            panic!("not bench ops")
        };
        assert_eq!(o.filter.as_deref(), Some("add"));
        assert!(o.extra);
        assert_eq!(o.budget_s, 0.5);
        let Some(Cmd::Bench {
            suite: BenchSuite::Ops(o),
        }) = parse(&["bench", "ops"]).unwrap().command
        else {
            panic!("not bench ops")
        };
        assert_eq!((o.filter, o.extra, o.budget_s), (None, false, 1.0));
        assert!(parse(&["bench", "ops", "--budget", "x"]).is_err());
        assert!(parse(&["bench", "ops", "--budget", "-1"]).is_err());
        assert!(parse(&["bench", "ops", "--filter"]).is_err());
        assert!(parse(&["bench", "ops", "--nope"]).is_err());
    }

    #[test]
    fn parses_train_options_with_the_old_defaults() {
        let Some(Cmd::Train(t)) = parse(&["train"]).unwrap().command else {
            panic!("not train")
        };
        assert_eq!(
            (t.model.as_str(), t.epochs, t.batch_size, t.seed),
            ("mlp", 5, None, 42)
        );
        assert_eq!((t.batch(), t.schedule()), (128, "constant"));
        let Some(Cmd::Train(t)) = parse(&["train", "--model", "cnn", "--epochs", "2"])
            .unwrap()
            .command
        else {
            panic!("not train")
        };
        assert_eq!((t.batch(), t.schedule(), t.epochs), (64, "cosine", 2));
    }

    #[test]
    fn rejects_unknown_commands() {
        let e = parse(&["frobnicate"]).unwrap_err();
        assert!(e.to_string().contains("frobnicate"));
        let e = parse(&["bench", "train2"]).unwrap_err();
        assert!(e.to_string().contains("train2"));
        assert!(parse(&["bench"]).is_err());
    }
}
