//! `stance.v1.StanceService`: validation, admission, prediction, answers.
//!
//! Every handler runs the same frame ([`StanceApi::instrument`]): the
//! server-side time limit, then the handler body, then one metrics update and
//! one log line. Bodies return [`ServeError`]; the wire code is chosen in
//! `error.rs` only.
//!
//! Admission is a process-wide semaphore taken with `try_acquire`: when all
//! `--concurrency-limit` permits are out, the request fails at once with
//! RESOURCE_EXHAUSTED instead of queueing. One statement is classified inline
//! on the async worker (a few microseconds, cheaper than a thread hop); large
//! batches and documents go to tokio's blocking pool, carrying their permit so
//! the limit keeps counting work that outlives a timed-out request.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use stance_analysis::Analyzer;
use stance_proto::v1::{self as pb, stance_service_server::StanceService};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Code, Request, Response, Status};

use crate::{
    config::Limits,
    convert,
    error::{self, ServeError},
    feedback::FeedbackStore,
    hooks::Hooks,
    metrics::{Method, Metrics},
    reload::ModelSlot,
};

/// Batches up to this many texts are classified inline; larger ones go to the
/// blocking pool. At ~1-2 µs per statement, 16 statements stay well under the
/// ~50 µs where a hop to another thread starts to pay off.
const INLINE_BATCH: usize = 16;

/// How much earlier than the client's deadline a handler gives up; more than
/// tokio's 1 ms timer resolution, so the handler's timer fires before tonic's.
const DEADLINE_MARGIN: Duration = Duration::from_millis(5);

/// The client's `grpc-timeout` header: an integer of at most 8 digits and a
/// unit (`H`, `M`, `S`, `m`, `u`, `n`), per the gRPC HTTP/2 protocol.
fn client_timeout(metadata: &tonic::metadata::MetadataMap) -> Option<Duration> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// State shared by all requests.
pub(crate) struct Shared {
    pub(crate) limits: Limits,
    pub(crate) request_timeout: Duration,
    pub(crate) models: Arc<ModelSlot>,
    pub(crate) analyzer: Analyzer,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) permits: Arc<Semaphore>,
    pub(crate) shutting_down: AtomicBool,
    pub(crate) feedback: Option<FeedbackStore>,
    pub(crate) hooks: Hooks,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("limits", &self.limits)
            .field("request_timeout", &self.request_timeout)
            .field("models", &self.models)
            .finish_non_exhaustive()
    }
}

/// The `StanceService` implementation.
#[derive(Debug, Clone)]
pub struct StanceApi {
    shared: Arc<Shared>,
}

impl StanceApi {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        StanceApi { shared }
    }

    /// Takes a concurrency permit or fails at once.
    fn admit(&self) -> error::Result<OwnedSemaphorePermit> {
        if self.shared.shutting_down.load(Ordering::Acquire) {
            return Err(ServeError::ShuttingDown);
        }
        Arc::clone(&self.shared.permits)
            .try_acquire_owned()
            .map_err(|_| ServeError::Overloaded {
                limit: self.shared.limits.concurrency_limit,
            })
    }

    fn check_text(
        &self,
        field: impl FnOnce() -> String,
        text: &str,
        limit: usize,
    ) -> error::Result<()> {
        if text.len() > limit {
            return Err(ServeError::TextTooLarge {
                field: field(),
                size: text.len(),
                limit,
            });
        }
        if text.trim().is_empty() {
            return Err(ServeError::EmptyText { field: field() });
        }
        Ok(())
    }

    /// Runs `body` under the time limit and records the outcome.
    ///
    /// The limit is `--request-timeout`, or the client's `grpc-timeout` less a
    /// small margin when that is shorter. tonic's transport also enforces the
    /// client's deadline, but answers CANCELLED; finishing a few milliseconds
    /// earlier lets the handler answer DEADLINE_EXCEEDED, as the contract says.
    async fn instrument<T>(
        &self,
        method: Method,
        client_timeout: Option<Duration>,
        body: impl Future<Output = error::Result<T>>,
    ) -> Result<Response<T>, Status> {
        let started = Instant::now();
        let limit = match client_timeout {
            Some(client) => self
                .shared
                .request_timeout
                .min(client.saturating_sub(DEADLINE_MARGIN)),
            None => self.shared.request_timeout,
        };
        let result = match tokio::time::timeout(limit, body).await {
            Ok(result) => result,
            Err(_) => Err(ServeError::DeadlineExceeded {
                limit_ms: limit.as_millis(),
            }),
        };
        let elapsed = started.elapsed();
        match result {
            Ok(answer) => {
                self.shared
                    .metrics
                    .observe_request(method, Code::Ok, elapsed);
                tracing::debug!(
                    method = method.as_str(),
                    code = "OK",
                    latency_us = elapsed.as_micros() as u64,
                    "request"
                );
                Ok(Response::new(answer))
            }
            Err(err) => {
                let detail = error::chain(&err);
                let status = Status::from(err);
                self.shared
                    .metrics
                    .observe_request(method, status.code(), elapsed);
                tracing::warn!(
                    method = method.as_str(),
                    code = crate::metrics::code_name(status.code()),
                    latency_us = elapsed.as_micros() as u64,
                    error = %detail,
                    "request failed"
                );
                Err(status)
            }
        }
    }

    async fn classify_body(&self, req: pb::ClassifyRequest) -> error::Result<pb::ClassifyResponse> {
        let _permit = self.admit()?;
        let limits = &self.shared.limits;
        self.check_text(|| "text".to_owned(), &req.text, limits.max_text_bytes)?;
        self.shared.hooks.before_predict(&req.text).await;
        let loaded = self.shared.models.current();
        let loaded = loaded.as_ref().ok_or(ServeError::ModelNotReady)?;
        let prediction = loaded.model.predict(&req.text);
        self.shared.metrics.observe_label(prediction.stance);
        Ok(convert::classify_response(
            &prediction,
            loaded.model.version(),
        ))
    }

    async fn classify_batch_body(
        &self,
        req: pb::ClassifyBatchRequest,
    ) -> error::Result<pb::ClassifyBatchResponse> {
        let permit = self.admit()?;
        let limits = &self.shared.limits;
        let texts = req.texts;
        if texts.is_empty() {
            return Err(ServeError::EmptyBatch);
        }
        if texts.len() > limits.max_batch_size {
            return Err(ServeError::BatchTooLarge {
                size: texts.len(),
                limit: limits.max_batch_size,
            });
        }
        for (i, text) in texts.iter().enumerate() {
            self.check_text(|| format!("texts[{i}]"), text, limits.max_text_bytes)?;
        }
        for text in &texts {
            self.shared.hooks.before_predict(text).await;
        }
        // One model for the whole batch, so all answers name the same version.
        let loaded = self
            .shared
            .models
            .current_owned()
            .ok_or(ServeError::ModelNotReady)?;
        let inline = texts.len() <= INLINE_BATCH;
        let predict = move || {
            let predictions = loaded.model.predict_batch(&texts);
            (loaded, predictions)
        };
        let (loaded, predictions) = if inline {
            predict()
        } else {
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                predict()
            })
            .await
            .map_err(ServeError::Worker)?
        };
        let version = loaded.model.version();
        let results = predictions
            .iter()
            .map(|p| {
                self.shared.metrics.observe_label(p.stance);
                convert::classify_response(p, version)
            })
            .collect();
        Ok(pb::ClassifyBatchResponse { results })
    }

    async fn analyze_body(
        &self,
        req: pb::AnalyzeDocumentRequest,
    ) -> error::Result<pb::AnalyzeDocumentResponse> {
        let permit = self.admit()?;
        let limits = &self.shared.limits;
        self.check_text(|| "text".to_owned(), &req.text, limits.max_document_bytes)?;
        self.shared.hooks.before_predict(&req.text).await;
        let loaded = self
            .shared
            .models
            .current_owned()
            .ok_or(ServeError::ModelNotReady)?;
        let shared = Arc::clone(&self.shared);
        let text = req.text;
        // Sentence splitting, attribution and classification of a whole
        // document can take milliseconds: keep it off the async workers.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let analysis = shared.analyzer.analyze(&loaded.model, &text);
            for s in &analysis.statements {
                shared.metrics.observe_label(s.prediction.stance);
            }
            convert::analysis_response(&text, &analysis, loaded.model.version())
        })
        .await
        .map_err(ServeError::Worker)
    }

    fn model_info_body(&self) -> error::Result<pb::GetModelInfoResponse> {
        let loaded = self
            .shared
            .models
            .current_owned()
            .ok_or(ServeError::ModelNotReady)?;
        let status = self.shared.models.status();
        let mut info = convert::model_info_response(loaded.model.info());
        info.model_source = loaded.source.as_str().to_owned();
        info.loaded_at.clone_from(&loaded.loaded_at);
        info.last_reload_time = status.last_attempt.clone().unwrap_or_default();
        info.last_reload_error = status.last_error.clone().unwrap_or_default();
        info.reload_successes = status.successes;
        info.reload_failures = status.failures;
        Ok(info)
    }

    async fn feedback_body(
        &self,
        api_key: Option<Vec<u8>>,
        req: pb::SubmitFeedbackRequest,
    ) -> error::Result<pb::SubmitFeedbackResponse> {
        let Some(store) = self.shared.feedback.as_ref() else {
            return Err(ServeError::FeedbackDisabled);
        };
        if !store.authorized(api_key.as_deref()) {
            return Err(ServeError::Unauthenticated);
        }
        let permit = self.admit()?;
        let limit = self.shared.limits.max_text_bytes;
        self.check_text(|| "text".to_owned(), &req.text, limit)?;
        if req.note.len() > limit {
            return Err(ServeError::TextTooLarge {
                field: "note".into(),
                size: req.note.len(),
                limit,
            });
        }
        let label = convert::stance_from_proto("stance", req.stance)?;
        let model_version = self
            .shared
            .models
            .current()
            .as_ref()
            .map(|m| m.model.version().to_owned())
            .unwrap_or_default();
        let shared = Arc::clone(&self.shared);
        let version = model_version.clone();
        // Writing and fsyncing blocks for milliseconds: not on an async worker.
        let stored = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let store = shared.feedback.as_ref().expect("checked before spawning");
            store.append(&req.text, label, &req.note, &version)
        })
        .await
        .map_err(ServeError::Worker)?
        .map_err(|source| ServeError::FeedbackStorage {
            kind: source.kind(),
            source,
        })?;
        self.shared.metrics.feedback_stored();
        tracing::debug!(id = %stored.id, file = %stored.file.display(), "feedback stored");
        Ok(pb::SubmitFeedbackResponse {
            feedback_id: stored.id,
            model_version,
        })
    }
}

#[tonic::async_trait]
impl StanceService for StanceApi {
    async fn classify(
        &self,
        request: Request<pb::ClassifyRequest>,
    ) -> Result<Response<pb::ClassifyResponse>, Status> {
        let deadline = client_timeout(request.metadata());
        let body = self.classify_body(request.into_inner());
        self.instrument(Method::Classify, deadline, body).await
    }

    async fn classify_batch(
        &self,
        request: Request<pb::ClassifyBatchRequest>,
    ) -> Result<Response<pb::ClassifyBatchResponse>, Status> {
        let deadline = client_timeout(request.metadata());
        let body = self.classify_batch_body(request.into_inner());
        self.instrument(Method::ClassifyBatch, deadline, body).await
    }

    async fn analyze_document(
        &self,
        request: Request<pb::AnalyzeDocumentRequest>,
    ) -> Result<Response<pb::AnalyzeDocumentResponse>, Status> {
        let deadline = client_timeout(request.metadata());
        let body = self.analyze_body(request.into_inner());
        self.instrument(Method::AnalyzeDocument, deadline, body)
            .await
    }

    async fn get_model_info(
        &self,
        request: Request<pb::GetModelInfoRequest>,
    ) -> Result<Response<pb::GetModelInfoResponse>, Status> {
        let deadline = client_timeout(request.metadata());
        let body = async { self.model_info_body() };
        self.instrument(Method::GetModelInfo, deadline, body).await
    }

    async fn submit_feedback(
        &self,
        request: Request<pb::SubmitFeedbackRequest>,
    ) -> Result<Response<pb::SubmitFeedbackResponse>, Status> {
        let deadline = client_timeout(request.metadata());
        let api_key = request
            .metadata()
            .get("x-api-key")
            .map(|v| v.as_bytes().to_vec());
        let body = self.feedback_body(api_key, request.into_inner());
        self.instrument(Method::SubmitFeedback, deadline, body)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_header_is_parsed() {
        let mut m = tonic::metadata::MetadataMap::new();
        assert_eq!(client_timeout(&m), None);
        for (value, want) in [
            ("250m", Some(Duration::from_millis(250))),
            ("3S", Some(Duration::from_secs(3))),
            ("2M", Some(Duration::from_secs(120))),
            ("1H", Some(Duration::from_secs(3600))),
            ("7u", Some(Duration::from_micros(7))),
            ("9n", Some(Duration::from_nanos(9))),
            ("123456789m", None),
            ("m", None),
            ("10x", None),
            ("-1S", None),
        ] {
            m.insert("grpc-timeout", value.parse().unwrap());
            assert_eq!(client_timeout(&m), want, "{value}");
        }
    }
}
