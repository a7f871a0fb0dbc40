//! Wiring: listeners, tonic services, model start-up, reloader, metrics, shutdown.
//!
//! [`Server::start`] binds both listeners and returns a [`RunningServer`] at
//! once, with health `NOT_SERVING` for `""` and `stance.v1.StanceService`. The
//! initial model is then loaded and warmed on a blocking thread; once it is in
//! place both turn `SERVING` (tonic-health starts `""` as SERVING, which would
//! let a probe pass before the model exists, so it is overridden before the
//! listener accepts anything). Binding first lets Kubernetes' gRPC probe get an
//! answer (NOT_SERVING) rather than a refused connection while a big model
//! loads.
//!
//! Shutdown ([`RunningServer::begin_shutdown`], or SIGTERM/SIGINT via
//! [`run_until_signal`]): health flips to NOT_SERVING and handlers refuse new
//! work with UNAVAILABLE first; then tonic stops accepting, sends GOAWAY and
//! waits for in-flight requests, for at most `--shutdown-grace`.

use std::{
    net::SocketAddr,
    sync::{Arc, atomic::Ordering},
};

use stance_analysis::Analyzer;
use stance_model::StanceModel;
use stance_proto::v1::stance_service_server::StanceServiceServer;
use tokio::{
    net::TcpListener,
    sync::{Semaphore, mpsc, watch},
    task::JoinHandle,
};
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::{
    config::Config,
    error::{ModelLoadError, StartupError},
    feedback::FeedbackStore,
    hooks::Hooks,
    metrics::{self, Metrics},
    reload::{self, LoadedModel, ModelSlot, ModelSource, Reloader},
    service::{Shared, StanceApi},
};

/// A server about to start.
#[derive(Debug)]
pub struct Server {
    config: Config,
    hooks: Hooks,
}

/// Asks a running server to reload its model file now (what SIGHUP does).
#[derive(Debug, Clone)]
pub struct ReloadTrigger(mpsc::Sender<()>);

impl ReloadTrigger {
    /// Queues a reload; returns `false` once the server has stopped.
    pub fn reload(&self) -> bool {
        // A full queue already holds a pending reload, which is as good.
        !matches!(
            self.0.try_send(()),
            Err(mpsc::error::TrySendError::Closed(_))
        )
    }
}

/// Starts a graceful shutdown of a running server.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger(Arc<watch::Sender<bool>>);

impl ShutdownTrigger {
    /// Starts the shutdown; later calls do nothing.
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

/// A server that is listening. Dropping it does not stop the server; call
/// [`RunningServer::shutdown`].
#[derive(Debug)]
pub struct RunningServer {
    grpc_addr: SocketAddr,
    metrics_addr: SocketAddr,
    shutdown: ShutdownTrigger,
    reload: ReloadTrigger,
    task: JoinHandle<Result<(), StartupError>>,
}

impl Server {
    /// A server for `config`.
    pub fn new(config: Config) -> Self {
        Server {
            config,
            hooks: Hooks::default(),
        }
    }

    /// Installs test hooks (feature `test-support` only).
    #[cfg(feature = "test-support")]
    pub fn with_hooks(mut self, hooks: Hooks) -> Self {
        self.hooks = hooks;
        self
    }

    /// Binds the gRPC and metrics listeners and starts serving; the model loads
    /// in the background (health NOT_SERVING until it is ready).
    ///
    /// # Errors
    /// [`StartupError`] when a listener cannot be bound, the feedback directory
    /// is unusable or the reflection service cannot be built. A model that fails
    /// to load ends the server later: [`RunningServer::wait`] returns the error.
    pub async fn start(self) -> Result<RunningServer, StartupError> {
        let Server { config, hooks } = self;
        let metrics = Arc::new(Metrics::new());
        let models = Arc::new(ModelSlot::new());

        let feedback = match &config.feedback {
            Some(fc) => {
                Some(
                    FeedbackStore::open(fc).map_err(|source| StartupError::FeedbackDir {
                        path: fc.dir.clone(),
                        source,
                    })?,
                )
            }
            None => None,
        };

        let (health, health_service) = tonic_health::server::health_reporter();
        set_health(&health, ServingStatus::NotServing).await;

        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(stance_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(stance_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;

        let shared = Arc::new(Shared {
            limits: config.limits,
            request_timeout: config.request_timeout,
            models: Arc::clone(&models),
            analyzer: Analyzer::new(),
            metrics: Arc::clone(&metrics),
            permits: Arc::new(Semaphore::new(config.limits.concurrency_limit)),
            shutting_down: Default::default(),
            feedback,
            hooks: hooks.clone(),
        });
        let stance = StanceServiceServer::new(StanceApi::new(Arc::clone(&shared)))
            .max_decoding_message_size(config.limits.max_message_bytes)
            .max_encoding_message_size(config.limits.max_message_bytes);

        let (grpc_listener, grpc_addr) = bind(config.listen).await?;
        let (metrics_listener, metrics_addr) = bind(config.metrics_listen).await?;

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (reload_tx, reload_rx) = mpsc::channel(1);

        let mut builder = tonic::transport::Server::builder();
        if let Some(age) = config.max_connection_age {
            // tonic 0.14 sends a graceful GOAWAY at `max_connection_age` only
            // when no grace is set; with a grace it sends nothing at that age
            // and hard-closes the connection at age + grace, failing whatever
            // is in flight. Rebalancing must not fail requests, so only the
            // age is passed on (see `Config::max_connection_age_grace`).
            builder = builder.max_connection_age(age);
        }
        // The transport stops accepting once this fires; it fires only after
        // health has flipped (see `supervise`).
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let incoming = TcpIncoming::from(grpc_listener).with_nodelay(Some(true));
        let grpc = tokio::spawn(
            builder
                .add_service(health_service)
                .add_service(reflection_v1)
                .add_service(reflection_v1alpha)
                .add_service(stance)
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stop_rx.await;
                }),
        );

        let metrics_task = {
            let mut rx = shutdown_rx.clone();
            tokio::spawn(metrics::serve_metrics(
                metrics_listener,
                Arc::clone(&metrics),
                async move {
                    let _ = rx.wait_for(|&stop| stop).await;
                },
            ))
        };

        tracing::info!(%grpc_addr, %metrics_addr, "listening; loading the model");

        let task = tokio::spawn(supervise(Supervised {
            config,
            hooks,
            shared,
            health,
            grpc,
            stop_tx,
            metrics_task,
            shutdown_rx,
            reload_rx,
        }));

        Ok(RunningServer {
            grpc_addr,
            metrics_addr,
            shutdown: ShutdownTrigger(Arc::new(shutdown_tx)),
            reload: ReloadTrigger(reload_tx),
            task,
        })
    }
}

impl RunningServer {
    /// The bound gRPC address (useful with port 0).
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// The bound metrics address.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_addr
    }

    /// A handle that triggers a model reload.
    pub fn reload_trigger(&self) -> ReloadTrigger {
        self.reload.clone()
    }

    /// A handle that starts a graceful shutdown.
    pub fn shutdown_trigger(&self) -> ShutdownTrigger {
        self.shutdown.clone()
    }

    /// Starts a graceful shutdown without waiting for it.
    pub fn begin_shutdown(&self) {
        self.shutdown.shutdown();
    }

    /// Waits until the server has stopped.
    ///
    /// # Errors
    /// The initial model failed to load, or the transport failed.
    pub async fn wait(self) -> Result<(), StartupError> {
        match self.task.await {
            Ok(result) => result,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }

    /// Starts a graceful shutdown and waits for it to finish.
    ///
    /// # Errors
    /// As [`RunningServer::wait`].
    pub async fn shutdown(self) -> Result<(), StartupError> {
        self.begin_shutdown();
        self.wait().await
    }
}

struct Supervised {
    config: Config,
    hooks: Hooks,
    shared: Arc<Shared>,
    health: tonic_health::server::HealthReporter,
    grpc: JoinHandle<Result<(), tonic::transport::Error>>,
    stop_tx: tokio::sync::oneshot::Sender<()>,
    metrics_task: JoinHandle<()>,
    shutdown_rx: watch::Receiver<bool>,
    reload_rx: mpsc::Receiver<()>,
}

async fn supervise(s: Supervised) -> Result<(), StartupError> {
    let Supervised {
        config,
        hooks,
        shared,
        health,
        mut grpc,
        stop_tx,
        metrics_task,
        mut shutdown_rx,
        reload_rx,
    } = s;

    let load = async {
        hooks.before_initial_load().await;
        let path = config.model_path.clone();
        tokio::task::spawn_blocking(move || load_initial(path))
            .await
            .unwrap_or(Err(ModelLoadError::Panicked))
    };
    let loaded = tokio::select! {
        loaded = load => Some(loaded),
        _ = shutdown_rx.wait_for(|&stop| stop) => None,
        ended = &mut grpc => return transport_ended(ended),
    };
    let mut result = Ok(());
    match loaded {
        Some(Ok((model, fingerprint))) => {
            shared.metrics.set_model(model.model.info());
            tracing::info!(
                version = model.model.version(),
                source = model.source.as_str(),
                "model loaded and warmed; serving"
            );
            shared.models.install(model);
            set_health(&health, ServingStatus::Serving).await;
            if let (Some(path), Some(initial)) = (config.model_path.clone(), fingerprint) {
                let reloader = Reloader {
                    path,
                    slot: Arc::clone(&shared.models),
                    metrics: Arc::clone(&shared.metrics),
                    poll: config.model_poll_interval,
                    initial,
                };
                tokio::spawn(reloader.run(reload_rx, shutdown_rx.clone()));
            }
            tokio::select! {
                _ = shutdown_rx.wait_for(|&stop| stop) => {}
                ended = &mut grpc => return transport_ended(ended),
            }
        }
        Some(Err(err)) => {
            tracing::error!(error = %crate::error::chain(&err), "initial model failed to load");
            result = Err(StartupError::Model(err));
        }
        None => {}
    }

    tracing::info!(grace = ?config.shutdown_grace, "shutting down: NOT_SERVING, draining in-flight requests");
    shared.shutting_down.store(true, Ordering::Release);
    set_health(&health, ServingStatus::NotServing).await;
    let _ = stop_tx.send(());
    match tokio::time::timeout(config.shutdown_grace, &mut grpc).await {
        Ok(ended) => {
            if result.is_ok() {
                result = transport_ended(ended);
            }
        }
        Err(_) => {
            tracing::warn!(
                "shutdown grace period elapsed with requests still in flight; closing them"
            );
            grpc.abort();
        }
    }
    metrics_task.abort();
    tracing::info!("stopped");
    result
}

fn transport_ended(
    ended: Result<Result<(), tonic::transport::Error>, tokio::task::JoinError>,
) -> Result<(), StartupError> {
    match ended {
        Ok(result) => result.map_err(StartupError::from),
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(_) => Ok(()),
    }
}

type Initial = (LoadedModel, Option<reload::Fingerprint>);

fn load_initial(path: Option<std::path::PathBuf>) -> Result<Initial, ModelLoadError> {
    match path {
        None => {
            let model = StanceModel::builtin();
            reload::check_and_warm(&model)?;
            Ok((
                LoadedModel {
                    model,
                    source: ModelSource::Builtin,
                    loaded_at: reload::now_rfc3339(),
                },
                None,
            ))
        }
        Some(path) => {
            let (model, fingerprint) = reload::load_file(&path)?;
            Ok((
                LoadedModel {
                    model,
                    source: ModelSource::File(path),
                    loaded_at: reload::now_rfc3339(),
                },
                Some(fingerprint),
            ))
        }
    }
}

/// Starts the server and runs it until SIGTERM or SIGINT, forwarding SIGHUP
/// to the model reloader. Returns after the graceful drain.
///
/// # Errors
/// As [`Server::start`] and [`RunningServer::wait`], and when a signal handler
/// cannot be installed.
pub async fn run_until_signal(config: Config) -> Result<(), StartupError> {
    // Install handlers before serving, so an early SIGTERM is not fatal.
    let terminate = crate::shutdown::terminate_signal().map_err(StartupError::Signal)?;
    let running = Server::new(config).start().await?;
    crate::shutdown::forward_sighup(running.reload_trigger()).map_err(StartupError::Signal)?;
    let trigger = running.shutdown_trigger();
    tokio::spawn(async move {
        let name = terminate.await;
        tracing::info!(signal = name, "shutdown requested");
        trigger.shutdown();
    });
    running.wait().await
}

/// Binds `addr` and reports the address actually bound (port 0 picks a free one).
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let bind_error = |source| StartupError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
    let local = listener.local_addr().map_err(bind_error)?;
    Ok((listener, local))
}

/// Sets the status of both `""` (the whole server) and the stance service: probes may ask
/// for either, and they must never disagree.
async fn set_health(health: &tonic_health::server::HealthReporter, status: ServingStatus) {
    health.set_service_status("", status).await;
    health
        .set_service_status(stance_proto::SERVICE_NAME, status)
        .await;
}
