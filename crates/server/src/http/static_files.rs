//! The demo page at `/` and the wasm-pack output at `/pkg/`, from folders on
//! disk. A missing folder answers 404s; it never stops the server.

use crate::http::state::{AppState, WebConfig};
use axum::Router;
use std::path::Path;
use tower_http::services::ServeDir;

/// Routes `/pkg/*` to `pkg_dir` and everything else to `www_dir`.
pub fn router(web: &WebConfig) -> Router<AppState> {
    warn_if_missing("--www-dir", &web.www_dir);
    warn_if_missing("--pkg-dir", &web.pkg_dir);
    Router::new()
        .nest_service("/pkg", ServeDir::new(&web.pkg_dir))
        .fallback_service(ServeDir::new(&web.www_dir))
}

fn warn_if_missing(flag: &str, dir: &Path) {
    if !dir.is_dir() {
        tracing::warn!(
            dir = %dir.display(),
            "{flag} folder not found: its files will answer 404"
        );
    }
}
