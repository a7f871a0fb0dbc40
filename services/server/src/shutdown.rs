//! Process signals: SIGTERM/SIGINT start a graceful shutdown, SIGHUP reloads the model.

use std::io;

use tokio::signal::unix::{SignalKind, signal};

/// Installs SIGTERM and SIGINT handlers now and returns a future that
/// resolves with the name of the first of them to arrive.
///
/// # Errors
/// The error of installing a handler.
pub fn terminate_signal() -> io::Result<impl Future<Output = &'static str> + Send + 'static> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    })
}

/// Forwards every SIGHUP to `trigger` until the trigger's receiver is gone.
///
/// # Errors
/// The error of installing the handler.
pub fn forward_sighup(trigger: crate::server::ReloadTrigger) -> io::Result<()> {
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the model");
            if !trigger.reload() {
                break;
            }
        }
    });
    Ok(())
}
