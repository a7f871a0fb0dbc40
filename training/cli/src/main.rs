//! `stance-train`: train, evaluate, cross-validate, check and promote stance models.
//!
//! Every flag is also an environment variable (`STANCE_...`). All model logic lives in
//! `stance-model`; this binary only parses flags, reports progress and prints results.

mod check;
mod commands;
mod report;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Train, evaluate, check and promote stance models.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit a model on labelled JSONL/CSV rows (the fixed test split is held out) and write it.
    Train(commands::TrainArgs),
    /// Score a model on labelled rows.
    Eval(commands::EvalArgs),
    /// Cross-validate training settings on labelled rows.
    Cv(commands::CvArgs),
    /// Label statements with a model.
    Predict(commands::PredictArgs),
    /// Check a corpus: counts, lengths, duplicates, conflicts, near-duplicates, bad rows.
    Check(check::CheckArgs),
    /// Install a candidate model at the serving path only if it is not worse than the current one.
    Promote(commands::PromoteArgs),
    /// Score document analysis (speakers and their stances) on an article set.
    Articles(commands::ArticlesArgs),
}

/// Where labelled rows come from.
#[derive(Args, Clone)]
struct DataArgs {
    /// Data files or directories (JSONL with "text" and "label", or CSV with a text,label
    /// header). Later files win when the same text appears twice.
    #[arg(long, env = "STANCE_DATA", value_delimiter = ',', required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Skip malformed rows (counted and reported) instead of stopping at the first.
    #[arg(long, env = "STANCE_SKIP_INVALID")]
    skip_invalid: bool,
}

/// Rust ignores SIGPIPE, so `stance-train eval ... | head` would panic on the closed pipe;
/// the default action ends the process quietly, as command-line tools do.
#[cfg(unix)]
fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> std::process::ExitCode {
    #[cfg(unix)]
    restore_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(a) => commands::train(a),
        Command::Eval(a) => commands::eval(a),
        Command::Cv(a) => commands::cv(a),
        Command::Predict(a) => commands::predict(a),
        Command::Check(a) => check::run(a),
        Command::Promote(a) => commands::promote(a),
        Command::Articles(a) => commands::articles(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
