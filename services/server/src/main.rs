//! `stance-server` binary: parse flags, set up logging, serve until SIGTERM/SIGINT.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use clap::Parser as _;
use stance_server::{Args, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = EnvFilter::try_new(&args.log_level).with_context(|| {
        format!(
            "invalid --log-level / STANCE_LOG value {:?}",
            args.log_level
        )
    })?;
    // No colour codes in files, pipes and Kubernetes logs.
    let ansi = std::io::stderr().is_terminal();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match args.log_format {
        LogFormat::Text => subscriber.init(),
        LogFormat::Json => subscriber.json().flatten_event(true).init(),
    }
    let config = args.into_config().context("invalid configuration")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("stance-server")
        .build()
        .context("cannot start the tokio runtime")?;
    runtime
        .block_on(stance_server::run_until_signal(config))
        .context("stance-server failed")
}
