//! `stance-server`: serves the Standpoint stance model as `stance.v1.StanceService`.
//!
//! The transport half of the system. It loads a [`stance_model::StanceModel`]
//! (or the built-in one), runs documents through [`stance_analysis::Analyzer`],
//! and answers gRPC with the types of [`stance_proto`]. Around the service:
//! `grpc.health.v1` (NOT_SERVING until the model is loaded and warmed, and
//! again from the first moment of shutdown), server reflection v1 and v1alpha,
//! request limits with fixed status codes ([`ServeError`]), Prometheus metrics
//! on their own port ([`metrics`]), hot reload of the model file ([`reload`]),
//! a durable feedback store ([`feedback`]) and a graceful, bounded drain.
//!
//! Modules:
//! - [`config`]: clap flags (each also a `STANCE_*` env var) and the validated [`Config`].
//! - [`server`]: wiring; [`Server::start`] and [`run_until_signal`].
//! - [`service`]: the `StanceService` handlers.
//! - [`convert`]: model types to wire types.
//! - [`error`]: [`ServeError`] and its one status-code table.
//!
//! ```no_run
//! # async fn demo() -> Result<(), stance_server::StartupError> {
//! let running = stance_server::Server::new(stance_server::Config::for_tests()).start().await?;
//! println!("gRPC on {}", running.grpc_addr());
//! running.shutdown().await
//! # }
//! ```

pub mod config;
pub mod convert;
pub mod error;
pub mod feedback;
mod hooks;
pub mod metrics;
pub mod reload;
pub mod server;
pub mod service;
pub mod shutdown;

pub use config::{Args, Config, FeedbackConfig, Limits, LogFormat};
pub use error::{ConfigError, ModelLoadError, ServeError, StartupError};
#[cfg(feature = "test-support")]
pub use hooks::Hooks;
pub use server::{ReloadTrigger, RunningServer, Server, ShutdownTrigger, run_until_signal};

/// Compile-time check: the model and the analyzer are shared across threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<stance_model::StanceModel>();
    send_sync::<stance_analysis::Analyzer>();
};
