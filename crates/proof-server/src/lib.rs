//! `proof-server`: the verifier as an HTTP service.
//!
//! # Layout
//!
//! - [`config`]: layered, typed settings (defaults < `--dev` < file < `PROOF_*`)
//! - [`store`]: the policy store trait with SQLite and PostgreSQL implementations
//! - [`cache`]: the bounded compiled-IR cache
//! - [`routes`]: the API and admin routers; [`extract`] and [`error`] turn bad input into
//!   problem+json; [`routes::openapi`] describes the API
//! - [`telemetry`]: logs, request ids, HTTP metrics; [`metrics`]: every metric name
//! - [`fsload`]: lists and policies from directories
//! - [`lists`]: the lists in service (files and store versions), swapped as a whole when
//!   the store has new versions
//! - [`auth`]: OAuth2 bearer tokens, scopes per route, the IdP's key cache
//! - [`tls`]: TLS and client certificates on the API listener, reloaded without restart
//! - [`conn`]: the accept loop of both listeners: connection caps, header-read and idle
//!   timeouts
//!
//! Lifecycle: [`Application::build`] binds both listeners and prepares state, then
//! [`Application::run_until_stopped`] serves until the shutdown future resolves and drains
//! in-flight requests within `shutdown.grace_ms`.

pub mod auth;
pub mod cache;
pub mod config;
pub mod conn;
pub mod error;
pub mod extract;
pub mod fsload;
pub mod lists;
pub mod metrics;
pub mod ratelimit;
pub mod receipt_log;
pub mod routes;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tls;

/// The OpenAPI document, derived from the routes ([`routes::openapi`]).
pub use routes::openapi;

use config::Settings;
use proof_core::orchestrator::RuleSelector;
use state::AppState;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::{NewPolicy, PolicyStore, PutOutcome, Store};
use tokio::net::TcpListener;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Settings are unusable.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// Lists or policies could not be loaded.
    #[error("{0}")]
    Content(String),
    /// The TLS certificates or keys are unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// The store could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A built, bound, not yet serving service.
pub struct Application {
    api: TcpListener,
    admin: TcpListener,
    state: AppState,
    tls: Option<Arc<tls::TlsRuntime>>,
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })
}

/// Compiles every policy in `dir` (strict mode) and stores it; an invalid policy or a
/// conflicting version stops startup.
async fn store_policy_dir(store: &Store, dir: &std::path::Path) -> Result<usize, StartupError> {
    let files = fsload::policy_dir(dir).map_err(StartupError::Content)?;
    for f in &files {
        let new = NewPolicy::from_ir(&f.ir, f.source.clone())
            .map_err(|e| StartupError::Content(e.to_string()))?;
        if let PutOutcome::Conflict { existing_hash } = store.put(&new).await? {
            return Err(StartupError::Content(format!(
                "`{}`: policy `{}` version `{}` is already stored with hash {existing_hash}; bump its version",
                f.path.display(),
                new.policy_id,
                new.version
            )));
        }
    }
    Ok(files.len())
}

/// The configured selector; a weights file that does not parse stops startup.
fn selector(
    a: &config::AdaptSettings,
) -> Result<Box<dyn RuleSelector + Send + Sync>, StartupError> {
    use proof_core::orchestrator::{BasicSelector, WeightedSelector, Weights};
    match (a.selector, &a.weights_file) {
        (config::SelectorKind::Weighted, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                StartupError::Content(format!("cannot read `{}`: {e}", path.display()))
            })?;
            let w = Weights::parse(&text)
                .map_err(|e| StartupError::Content(format!("`{}`: {e}", path.display())))?;
            Ok(Box::new(WeightedSelector { weights: w.0 }))
        }
        _ => Ok(Box::new(BasicSelector)),
    }
}

impl Application {
    /// Validates settings, loads lists, opens and migrates the store, stores the policy
    /// directory, and binds both listeners (port 0 picks a free port).
    ///
    /// # Errors
    /// [`StartupError`] saying what is wrong.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        settings.validate()?;
        let (_, files) =
            fsload::lists_dir_files(&settings.lists_dir).map_err(StartupError::Content)?;
        let store =
            Store::connect(settings.store.url.expose(), settings.store.max_connections).await?;
        if let Some(dir) = &settings.policy_dir {
            let n = store_policy_dir(&store, dir).await?;
            tracing::info!(policies = n, dir = %dir.display(), "policy directory stored");
        }
        let selector = selector(&settings.adapt)?;
        let signing = fsload::signing_keys(&settings.signing)
            .map_err(StartupError::Content)?
            .map(Arc::new);
        if let Some(k) = &signing {
            tracing::info!(kid = k.active().kid(), "receipts are signed");
        }
        let metrics = metrics::Metrics::new();
        let receipt_log = match &signing {
            Some(keys) => Some(
                receipt_log::ReceiptLog::open(
                    store.clone(),
                    Arc::clone(keys),
                    &settings.receipt_log,
                    metrics.receipt_log.clone(),
                )
                .await
                .map_err(StartupError::Content)?,
            ),
            None => None,
        };
        let lists = Arc::new(lists::ServedLists::new(
            files
                .into_iter()
                .map(|(list, modified)| lists::Served {
                    list,
                    origin: lists::Origin::File {
                        modified: modified.map(time::OffsetDateTime::from),
                    },
                })
                .collect(),
            settings.lists.clone(),
            metrics.lists.clone(),
        ));
        lists.refresh(&store).await.map_err(StartupError::Content)?;
        let tls = if settings.tls.enabled() {
            Some(tls::TlsRuntime::new(&settings, metrics.clone()).map_err(StartupError::Tls)?)
        } else {
            None
        };
        let cache = cache::IrCache::new(
            settings.cache.capacity,
            Duration::from_millis(settings.cache.latest_ttl_ms),
            metrics.clone(),
        );
        let auth = if settings.auth.mode == config::AuthMode::Off {
            tracing::warn!("auth.mode is off: every API route is open to anyone who can reach it");
            None
        } else {
            let a = auth::Authenticator::new(&settings.auth, metrics.clone())
                .map_err(StartupError::Content)?;
            if let Some(j) = a.jwks()
                && let Err(e) = j.refresh().await
            {
                // Not fatal: the IdP may come up later. Until then /readyz says not ready
                // and protected routes answer 503 (fail closed).
                tracing::warn!(error = %e, "no signing keys from the identity provider yet");
            }
            Some(Arc::new(a))
        };
        let api = bind(settings.api.bind).await?;
        let admin = bind(settings.admin.bind).await?;
        let settings_limits = settings.limits.clone();
        let state = AppState::new(state::Shared {
            settings: Arc::new(settings),
            store,
            cache,
            lists,
            metrics,
            selector,
            auth,
            rate_limits: ratelimit::RateLimits {
                client: ratelimit::Limiter::new(
                    settings_limits.client_rps,
                    settings_limits.client_burst,
                ),
                ip: ratelimit::Limiter::new(settings_limits.ip_rps, settings_limits.ip_burst),
            },
            signing,
            receipt_log,
        });
        Ok(Self {
            api,
            admin,
            state,
            tls,
        })
    }

    /// The API listener's address.
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn api_addr(&self) -> std::io::Result<SocketAddr> {
        self.api.local_addr()
    }

    /// `https` when the API listener speaks TLS, else `http`.
    #[must_use]
    pub fn api_scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The admin listener's address.
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn admin_addr(&self) -> std::io::Result<SocketAddr> {
        self.admin.local_addr()
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight requests
    /// finish for up to `shutdown.grace_ms`, and returns.
    ///
    /// # Errors
    /// When a listener fails.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let grace = Duration::from_millis(self.state.settings.shutdown.grace_ms);
        let (tx, rx) = tokio::sync::watch::channel(false);
        let router = routes::api(&self.state);
        if let Some(j) = self.state.auth.as_ref().and_then(|a| a.jwks()) {
            tokio::spawn(Arc::clone(j).run(rx.clone()));
        }
        tokio::spawn(Arc::clone(&self.state.lists).run(self.state.store.clone(), rx.clone()));
        let limits = conn::ConnLimits::new(&self.state.settings.limits, 2, conn::open_file_limit());
        let metrics = self.state.metrics.clone();
        let api = async {
            match self.tls {
                Some(t) => {
                    tokio::spawn(Arc::clone(&t).watch(rx.clone()));
                    conn::serve(
                        self.api,
                        "api",
                        router,
                        t,
                        limits,
                        metrics.clone(),
                        rx.clone(),
                    )
                    .await;
                }
                None => {
                    let plain = Arc::new(conn::Plain);
                    conn::serve(
                        self.api,
                        "api",
                        router,
                        plain,
                        limits,
                        metrics.clone(),
                        rx.clone(),
                    )
                    .await;
                }
            }
        };
        let admin = conn::serve(
            self.admin,
            "admin",
            routes::admin(&self.state),
            Arc::new(conn::Plain),
            limits,
            metrics.clone(),
            rx.clone(),
        );
        let servers = async {
            tokio::join!(api, admin);
        };
        tokio::pin!(servers);
        tokio::select! {
            () = &mut servers => return Ok(()),
            () = shutdown => {}
        }
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "shutting down: draining in-flight requests"
        );
        let _ = tx.send(true);
        match tokio::time::timeout(grace, servers).await {
            Ok(()) => Ok(()),
            Err(_) => {
                tracing::warn!("grace period over; closing remaining connections");
                Ok(())
            }
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
