//! The serving model slot and hot reload.
//!
//! The model lives in an [`arc_swap::ArcSwapOption`]: a request loads the
//! `Arc` once and finishes on that model even if a new one is swapped in
//! meanwhile, and readers never take a lock. The reloader task polls the model
//! path's metadata (device, inode, size, mtime) every `--model-poll-interval`
//! and reloads on SIGHUP regardless. A new file is loaded, checked and warmed on
//! a blocking thread, off the request path, and only then swapped in. A file
//! that fails is rejected: the old model keeps serving, the error is logged,
//! counted (`stance_model_reload_failures_total`) and shown by `GetModelInfo`.
//!
//! Writers should rename a finished file into place. A file written in place
//! is still never served half-written: `stance-model` checks length and
//! checksum, and the metadata is compared before and after loading so a file
//! that changed during the load is retried on the next poll.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use arc_swap::{ArcSwap, ArcSwapOption};
use stance_model::{Stance, StanceModel};
use tokio::sync::{mpsc, watch};

use crate::{error::ModelLoadError, metrics::Metrics};

/// Where the serving model came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// [`StanceModel::builtin`].
    Builtin,
    /// A model file.
    File(PathBuf),
}

impl ModelSource {
    /// `"builtin"` or `"file"`, as sent in `GetModelInfoResponse.model_source`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ModelSource::Builtin => "builtin",
            ModelSource::File(_) => "file",
        }
    }
}

/// A model that passed its checks and warm-up, ready to serve.
pub struct LoadedModel {
    /// The model.
    pub model: StanceModel,
    /// Where it came from.
    pub source: ModelSource,
    /// When it went live in this process (RFC 3339).
    pub loaded_at: String,
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("version", &self.model.version())
            .field("source", &self.source)
            .field("loaded_at", &self.loaded_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ModelSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSlot").finish_non_exhaustive()
    }
}

/// Outcome of the reload attempts so far, shown by `GetModelInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadStatus {
    /// When the last attempt finished (RFC 3339); `None` before the first.
    pub last_attempt: Option<String>,
    /// Why the last attempt failed; `None` when it succeeded.
    pub last_error: Option<String>,
    /// Reloads that swapped in a new model.
    pub successes: u64,
    /// Reloads that were rejected.
    pub failures: u64,
}

/// The serving model and the reload status, shared by the service and the reloader.
pub struct ModelSlot {
    current: ArcSwapOption<LoadedModel>,
    status: ArcSwap<ReloadStatus>,
}

impl Default for ModelSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl ModelSlot {
    /// An empty slot: requests get UNAVAILABLE until [`ModelSlot::install`].
    pub fn new() -> Self {
        ModelSlot {
            current: ArcSwapOption::empty(),
            status: ArcSwap::from_pointee(ReloadStatus::default()),
        }
    }

    /// The serving model without touching its reference count; hold the guard
    /// only for synchronous work.
    pub fn current(&self) -> arc_swap::Guard<Option<Arc<LoadedModel>>> {
        self.current.load()
    }

    /// The serving model as an owned `Arc`, for work on another thread.
    pub fn current_owned(&self) -> Option<Arc<LoadedModel>> {
        self.current.load_full()
    }

    /// Makes `model` the serving model and returns the previous one.
    pub fn install(&self, model: LoadedModel) -> Option<Arc<LoadedModel>> {
        self.current.swap(Some(Arc::new(model)))
    }

    /// The reload status.
    pub fn status(&self) -> Arc<ReloadStatus> {
        self.status.load_full()
    }

    fn record(&self, error: Option<String>) {
        // Only the reloader task writes, so read-modify-write cannot race.
        let mut next = ReloadStatus::clone(&self.status.load());
        next.last_attempt = Some(now_rfc3339());
        match &error {
            None => next.successes += 1,
            Some(_) => next.failures += 1,
        }
        next.last_error = error;
        self.status.store(Arc::new(next));
    }
}

/// The current time as RFC 3339 with milliseconds, e.g. `2025-05-01T12:00:00.123Z`.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// What identifies one version of the file at the model path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: Option<SystemTime>,
}

impl Fingerprint {
    /// The fingerprint of the file at `path` (following symlinks, as a
    /// Kubernetes ConfigMap or volume mount swaps them).
    ///
    /// # Errors
    /// [`ModelLoadError::Stat`] when the file cannot be inspected.
    pub fn of(path: &Path) -> Result<Self, ModelLoadError> {
        let meta = std::fs::metadata(path).map_err(|source| ModelLoadError::Stat {
            path: path.to_owned(),
            source,
        })?;
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt as _;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Ok(Fingerprint {
            dev,
            ino,
            len: meta.len(),
            mtime: meta.modified().ok(),
        })
    }
}

/// A few statements run through a fresh model before it serves, so the first
/// real request does not pay for lazy initialisation and a model that panics
/// on ordinary input is caught before it goes live.
const WARM_UP: [&str; 4] = [
    "We strongly condemn the attack on civilians.",
    "The government supports the peace agreement.",
    "We call on all parties to exercise restraint.",
    "The summit will take place next week.",
];

/// Checks that `model` predicts the API's four labels in API order and warms it.
///
/// # Errors
/// [`ModelLoadError::Labels`] when the labels differ.
pub fn check_and_warm(model: &StanceModel) -> Result<(), ModelLoadError> {
    if model.info().labels != Stance::ALL {
        return Err(ModelLoadError::Labels {
            found: model
                .info()
                .labels
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
        });
    }
    for text in WARM_UP {
        let _ = model.predict(text);
    }
    let _ = model.predict_batch(&WARM_UP);
    Ok(())
}

/// Loads, checks and warms the model file at `path` (blocking).
///
/// # Errors
/// Any [`ModelLoadError`]; [`ModelLoadError::Changed`] when the file changed
/// while it was read.
pub fn load_file(path: &Path) -> Result<(StanceModel, Fingerprint), ModelLoadError> {
    let before = Fingerprint::of(path)?;
    let model = StanceModel::load(path).map_err(|source| ModelLoadError::Model {
        path: path.to_owned(),
        source,
    })?;
    check_and_warm(&model)?;
    if Fingerprint::of(path)? != before {
        return Err(ModelLoadError::Changed {
            path: path.to_owned(),
        });
    }
    Ok((model, before))
}

/// What the reloader last saw at the model path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    File(Fingerprint),
    Missing,
    /// Unknown: load the file on the next poll whatever its fingerprint.
    Unknown,
}

/// The hot-reload task: runs until `shutdown` turns true.
#[derive(Debug)]
pub(crate) struct Reloader {
    pub(crate) path: PathBuf,
    pub(crate) slot: Arc<ModelSlot>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) poll: Option<Duration>,
    pub(crate) initial: Fingerprint,
}

impl Reloader {
    pub(crate) async fn run(
        self,
        mut manual: mpsc::Receiver<()>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut seen = Seen::File(self.initial);
        let mut ticker = self.poll.map(|every| {
            let mut t = tokio::time::interval(every);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        let mut manual_open = true;
        loop {
            let forced = tokio::select! {
                _ = shutdown.wait_for(|&stop| stop) => return,
                () = async {
                    match ticker.as_mut() {
                        Some(t) => { t.tick().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => false,
                msg = manual.recv(), if manual_open => match msg {
                    Some(()) => true,
                    None => { manual_open = false; continue; }
                },
            };
            seen = self.check(seen, forced).await;
        }
    }

    async fn check(&self, seen: Seen, forced: bool) -> Seen {
        let fingerprint = match Fingerprint::of(&self.path) {
            Ok(fp) => fp,
            Err(err) => {
                // Report a vanished file once, not on every poll.
                if forced || seen != Seen::Missing {
                    self.failed(&err);
                }
                return Seen::Missing;
            }
        };
        if !forced && seen == Seen::File(fingerprint) {
            return seen;
        }
        let path = self.path.clone();
        let outcome = tokio::task::spawn_blocking(move || load_file(&path))
            .await
            .unwrap_or(Err(ModelLoadError::Panicked));
        match outcome {
            Ok((model, loaded_fp)) => {
                self.metrics.set_model(model.info());
                let version = model.version().to_owned();
                let old = self.slot.install(LoadedModel {
                    model,
                    source: ModelSource::File(self.path.clone()),
                    loaded_at: now_rfc3339(),
                });
                self.slot.record(None);
                self.metrics.reload_succeeded();
                tracing::info!(
                    old_version = old.as_ref().map(|m| m.model.version()).unwrap_or_default(),
                    new_version = %version,
                    path = %self.path.display(),
                    "model reloaded"
                );
                Seen::File(loaded_fp)
            }
            Err(ModelLoadError::Changed { .. }) => {
                tracing::debug!(path = %self.path.display(), "model file changed while loading; retrying");
                Seen::Unknown
            }
            Err(err) => {
                self.failed(&err);
                Seen::File(fingerprint)
            }
        }
    }

    fn failed(&self, err: &ModelLoadError) {
        let chain = crate::error::chain(err);
        tracing::warn!(error = %chain, "model reload rejected; the previous model keeps serving");
        self.slot.record(Some(chain));
        self.metrics.reload_failed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keeps_counts_and_last_error() {
        let slot = ModelSlot::new();
        slot.record(Some("bad".into()));
        slot.record(None);
        slot.record(Some("worse".into()));
        let status = slot.status();
        assert_eq!(status.successes, 1);
        assert_eq!(status.failures, 2);
        assert_eq!(status.last_error.as_deref(), Some("worse"));
        assert!(status.last_attempt.is_some());
    }

    #[test]
    fn fingerprint_changes_with_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.bin");
        std::fs::write(&path, b"one").unwrap();
        let a = Fingerprint::of(&path).unwrap();
        let tmp = dir.path().join("m.tmp");
        std::fs::write(&tmp, b"two!").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert_ne!(a, Fingerprint::of(&path).unwrap());
        assert!(Fingerprint::of(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn builtin_model_passes_the_checks() {
        check_and_warm(&StanceModel::builtin()).unwrap();
    }
}
