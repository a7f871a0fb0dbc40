//! A small, bounded load generator for `Classify` (loopback only).
//!
//! ```text
//! cargo run --release -p stance-server &            # server on 127.0.0.1:50051
//! cargo run --release -p stance-server --example load -- \
//!     --addr 127.0.0.1:50051 --connections 4 --concurrency 64 --duration 10s
//! ```
//!
//! Sends `Classify` from `--concurrency` tasks spread over `--connections`
//! HTTP/2 connections for `--duration` (and at most `--max-requests`), then
//! prints requests/s, the error count and latency percentiles.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use clap::Parser;
use stance_proto::v1::{ClassifyRequest, stance_service_client::StanceServiceClient};

/// Load generator flags.
#[derive(Debug, Parser)]
struct Flags {
    /// Server address; must be a loopback address.
    #[arg(long, default_value = "127.0.0.1:50051")]
    addr: SocketAddr,
    /// HTTP/2 connections.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long to send (humantime, e.g. 10s).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Upper bound on requests sent.
    #[arg(long, default_value_t = 5_000_000)]
    max_requests: u64,
}

const TEXTS: [&str; 4] = [
    "The foreign ministry strongly condemns the shelling of residential areas.",
    "We fully support the ceasefire agreement reached in Doha.",
    "We call on all parties to exercise maximum restraint and return to talks.",
    "The delegation will arrive in Geneva on Tuesday for the summit.",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flags = Flags::parse();
    if !flags.addr.ip().is_loopback() {
        return Err("refusing to load a non-loopback address".into());
    }
    let mut channels = Vec::new();
    for _ in 0..flags.connections.max(1) {
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{}", flags.addr))?;
        channels.push(endpoint.connect().await?);
    }
    let per_task = flags.max_requests / flags.concurrency.max(1) as u64;
    let start = Instant::now();
    let deadline = start + flags.duration;
    let mut tasks = Vec::new();
    for i in 0..flags.concurrency.max(1) {
        let mut client = StanceServiceClient::new(channels[i % channels.len()].clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0u64);
            let mut n = 0u64;
            while Instant::now() < deadline && n < per_task {
                let text = TEXTS[(i + n as usize) % TEXTS.len()];
                let t0 = Instant::now();
                match client
                    .classify(ClassifyRequest {
                        text: text.to_owned(),
                    })
                    .await
                {
                    Ok(_) => latencies.push(t0.elapsed()),
                    Err(_) => errors += 1,
                }
                n += 1;
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "Classify: {} ok, {errors} errors in {:.2}s = {:.0} requests/s; latency p50 {:?} p90 {:?} p99 {:?}",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
    );
    Ok(())
}
