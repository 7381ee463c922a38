//! The HTTP client both records backends use: the caller's TLS configuration (from
//! `crate::tls`), bounded timeouts, no redirects (a redirect could leave the trust
//! space), Cachet's user agent.

use std::time::Duration;

use super::error::Error;

/// A client with these timeouts over `tls`.
pub(crate) fn client(
    tls: rustls::ClientConfig,
    request_timeout: Duration,
    connect_timeout: Duration,
) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(request_timeout)
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("cachet/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Config {
            reason: format!("HTTP client: {e}"),
        })
}
