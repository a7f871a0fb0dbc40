//! Test-only hooks, compiled in only with the `test-support` feature.
//!
//! The binary never enables the feature, so in production builds [`Hooks`] is
//! an empty type whose methods do nothing and inline away.

#[cfg(feature = "test-support")]
mod imp {
    use std::{sync::Arc, time::Duration};

    use tokio::sync::Notify;

    /// Injectable behaviour for the crate's integration tests.
    #[derive(Debug, Clone, Default)]
    pub struct Hooks {
        /// Requests whose text contains this marker sleep for [`Hooks::slow_delay`]
        /// after admission (holding their concurrency permit) before predicting.
        pub slow_marker: Option<String>,
        /// How long a slow request sleeps.
        pub slow_delay: Duration,
        /// Notified when a slow request starts sleeping.
        pub slow_started: Arc<Notify>,
        /// Sleep before the initial model load starts, to observe NOT_SERVING.
        pub initial_load_delay: Duration,
    }

    impl Hooks {
        pub(crate) async fn before_predict(&self, text: &str) {
            if let Some(marker) = &self.slow_marker
                && text.contains(marker.as_str())
            {
                self.slow_started.notify_waiters();
                tokio::time::sleep(self.slow_delay).await;
            }
        }

        pub(crate) async fn before_initial_load(&self) {
            if !self.initial_load_delay.is_zero() {
                tokio::time::sleep(self.initial_load_delay).await;
            }
        }
    }
}

#[cfg(not(feature = "test-support"))]
mod imp {
    /// No hooks in production builds. (A field, not a unit struct, so both
    /// variants are built the same way: `Hooks::default()`.)
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Hooks {
        _none: (),
    }

    impl Hooks {
        #[inline(always)]
        pub(crate) async fn before_predict(&self, _text: &str) {}

        #[inline(always)]
        pub(crate) async fn before_initial_load(&self) {}
    }
}

#[cfg(feature = "test-support")]
pub use imp::Hooks;
#[cfg(not(feature = "test-support"))]
pub(crate) use imp::Hooks;
