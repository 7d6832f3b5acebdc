//! The web interface for Kela clerks (the exception queue, status) and the disclosing
//! organisations' staff (pick-up), with accounts for administrators. Server-rendered HTML
//! that works without JavaScript; every route checks the signed-in person's role (and
//! organisation); every form carries the session's CSRF token; every view of personal data is
//! audited under the person's account. It uses the store and the pure core, never mail.
//!
//! `/metrics` and `/healthz` are served on a listener of their own.

mod auth;
mod dashboard;
mod error;
mod form;
mod headers;
mod layout;
mod limiter;
mod metrics;
mod pickup;
mod requests;
mod text;
mod users;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::routing::{get, post};
use axum::Router;

use crate::config::Config;
use crate::store::{SessionLimits, Store};

/// What the handlers share.
pub struct Web {
    store: Store,
    config: Config,
    limiter: Mutex<limiter::Limiter>,
    /// The exception queue's counts per reason, reused for [`COUNTS_FOR`]: every page of the
    /// queue shows them, and recounting for each of many clerks paging would be most of
    /// the page's cost. A clerk's own change clears them.
    review_counts: Mutex<Option<(std::time::Instant, crate::store::ReviewCounts)>>,
    /// The daemon's own view of its parts, when the interface runs beside it; otherwise
    /// what the daemon recorded in the store is all there is.
    health: Option<Arc<crate::health::Health>>,
}

/// How long the queue's counts are reused.
const COUNTS_FOR: std::time::Duration = std::time::Duration::from_secs(1);

impl Web {
    pub fn new(store: Store, config: Config) -> Web {
        let limiter = limiter::Limiter::new(
            config.web.login_attempts_per_account,
            config.web.login_attempts_per_address,
        );
        Web {
            store,
            config,
            limiter: Mutex::new(limiter),
            review_counts: Mutex::new(None),
            health: None,
        }
    }

    /// The parts of the daemon failing now: its own view when beside it, else the store's.
    fn failing(
        &self,
        recorded: &[(crate::health::Part, crate::health::Failing)],
    ) -> Vec<(crate::health::Part, crate::health::Failing)> {
        match &self.health {
            Some(health) => health.failing(),
            None => recorded.to_vec(),
        }
    }

    /// The exception queue's counts, at most [`COUNTS_FOR`] old.
    async fn review_counts(&self) -> Result<crate::store::ReviewCounts, crate::store::StoreError> {
        if let Some((at, counts)) = &*self.review_counts.lock().expect("counts") {
            if at.elapsed() < COUNTS_FOR {
                return Ok(counts.clone());
            }
        }
        let counts = self.store.review_counts().await?;
        *self.review_counts.lock().expect("counts") =
            Some((std::time::Instant::now(), counts.clone()));
        Ok(counts)
    }

    /// After a change to the queue: the next page counts afresh.
    fn queue_changed(&self) {
        *self.review_counts.lock().expect("counts") = None;
    }

    fn session_limits(&self) -> SessionLimits {
        self.config.web.session_limits()
    }
}

type Shared = Arc<Web>;

/// The interface's routes.
pub fn router(web: Shared) -> Router {
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/language", get(layout::choose_language))
        .route("/style.css", get(layout::style))
        .route("/dashboard", get(dashboard::page))
        .route("/review", get(requests::queue))
        .route("/requests/{reference}", get(requests::page))
        .route("/requests/{reference}/resolve", post(requests::resolve))
        .route("/requests/{reference}/edit", post(requests::edit))
        .route(
            "/requests/{reference}/messages/{message}",
            get(requests::message_download),
        )
        .route(
            "/requests/{reference}/messages/{message}/attachments/{attachment}",
            get(requests::attachment_download),
        )
        .route("/pickup", get(pickup::page).post(pickup::download))
        .route("/pickup/disclosed", post(pickup::disclosed))
        .route("/users", get(users::page).post(users::add))
        .route("/users/{name}/disabled", post(users::set_disabled))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            web.clone(),
            auth::proxy_sign_in,
        ))
        .layer(axum::middleware::from_fn(headers::secure))
        .with_state(web)
}

/// `/metrics` and `/healthz`.
pub fn metrics_router(web: Shared) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(metrics::healthz))
        .with_state(web)
}

/// Serves both listeners until `shutdown` completes.
pub async fn serve(
    web: Shared,
    listener: tokio::net::TcpListener,
    metrics: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let pages = axum::serve(
        listener,
        router(web.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stopped(stop_rx.clone()));
    let metrics =
        axum::serve(metrics, metrics_router(web)).with_graceful_shutdown(stopped(stop_rx));
    tokio::try_join!(async { pages.await }, async { metrics.await })?;
    Ok(())
}

/// Binds both listeners (an address in use is an error at start, not later).
async fn bind(
    config: &Config,
) -> anyhow::Result<(tokio::net::TcpListener, tokio::net::TcpListener)> {
    let pages = tokio::net::TcpListener::bind(config.web.listen)
        .await
        .with_context(|| format!("web.listen: cannot listen on {}", config.web.listen))?;
    let metrics = tokio::net::TcpListener::bind(config.web.metrics_listen)
        .await
        .with_context(|| {
            format!(
                "web.metrics_listen: cannot listen on {}",
                config.web.metrics_listen
            )
        })?;
    Ok((pages, metrics))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("datareq-web")
        .enable_all()
        .build()
        .context("cannot start the web interface's runtime")
}

/// `datareq web`: the interface alone, until SIGTERM or SIGINT.
pub fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(async {
        let store = crate::cli::store::open(config).await?;
        let (pages, metrics) = bind(config).await?;
        tracing::info!(listen = %config.web.listen, metrics = %config.web.metrics_listen, "web interface ready");
        let web = Arc::new(Web::new(store, config.clone()));
        serve(web, pages, metrics, stop_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Serves the interface on a thread of its own beside the daemon (with its own runtime and
/// database connections, so neither waits for the other's work). Returns once both
/// listeners are bound, or with the reason they could not be.
pub fn start_beside_daemon(
    config: &Config,
    health: Arc<crate::health::Health>,
) -> anyhow::Result<()> {
    let config = config.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<()>>();
    std::thread::Builder::new()
        .name("datareq-web".into())
        .spawn(move || {
            let started = runtime().and_then(|rt| {
                rt.block_on(async {
                    let store = crate::cli::store::open(&config).await?;
                    let (pages, metrics) = bind(&config).await?;
                    let mut web = Web::new(store, config.clone());
                    web.health = Some(health);
                    let web = Arc::new(web);
                    let _ = ready_tx.send(Ok(()));
                    serve(web, pages, metrics, std::future::pending()).await?;
                    anyhow::Ok(())
                })
            });
            if let Err(e) = started {
                tracing::error!(error = %format!("{e:#}"), "the web interface stopped");
                let _ = ready_tx.send(Err(e));
            }
        })
        .context("cannot start the web interface's thread")?;
    ready_rx
        .recv()
        .context("the web interface's thread ended at start")?
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}

/// Now, as Unix seconds.
fn now() -> i64 {
    crate::cli::now()
}
