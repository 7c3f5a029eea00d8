//! `[target]`'s connection keys and `[target.tls]`: how HTTP operations reach their server (TLS trust,
//! client certificate, keep-alive, compression, connect-to), resolved into [`HttpOptions`].
//!
//! Paths are read relative to the working directory (where CI runs perfgate) and checked here, so a missing
//! `ca_file` is a config error naming file, line and key before anything runs — not a failed run.

use std::path::PathBuf;

use serde::Deserialize;
use serde_spanned::Spanned;

use super::file::TargetConfig;
use super::source::at;
use crate::error::{Error, Result};
use crate::targets::http::HttpOptions;
use crate::tls::TlsOptions;

/// What `compress = true` asks for (what browsers and curl `--compressed` offer, minus zstd).
pub const COMPRESS_ENCODINGS: &str = "gzip, deflate, br";

/// `[target.tls]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file of the CA(s) to trust instead of the system's roots (a private CA).
    pub ca_file: Option<Spanned<String>>,
    /// PEM certificate chain for mTLS (with `client_key`).
    pub client_cert: Option<Spanned<String>>,
    /// PEM private key of `client_cert`.
    pub client_key: Option<Spanned<String>>,
    /// Accept any server certificate. Printed as a warning in the summary and kept in the record.
    pub insecure_skip_verify: Option<bool>,
}

/// Resolves the HTTP connection options of `[target]` (file positions from `name`/`text`).
pub(super) fn resolve_http(t: &TargetConfig, name: &str, text: &str) -> Result<HttpOptions> {
    let tls = match &t.tls {
        Some(c) => resolve_tls(c, "target.tls", name, text)?,
        None => TlsOptions::default(),
    };
    let accept_encoding = match (&t.accept_encoding, t.compress) {
        (Some(v), Some(true)) => {
            return Err(Error::Config(format!(
                "{}: key `target.accept_encoding`: set `accept_encoding` or `compress = true`, not both",
                at(name, text, v)
            )))
        }
        (Some(v), _) => {
            if hyper::header::HeaderValue::from_str(v.get_ref()).is_err() || v.get_ref().is_empty() {
                return Err(Error::Config(format!(
                    "{}: key `target.accept_encoding`: not a valid header value",
                    at(name, text, v)
                )));
            }
            Some(v.get_ref().clone())
        }
        (None, Some(true)) => Some(COMPRESS_ENCODINGS.to_string()),
        (None, _) => None,
    };
    let connect_to = match &t.connect_to {
        Some(v) => Some(check_connect_to(v.get_ref()).map_err(|e| {
            Error::Config(format!(
                "{}: key `target.connect_to`: {e}",
                at(name, text, v)
            ))
        })?),
        None => None,
    };
    Ok(HttpOptions {
        tls,
        keep_alive: t.keep_alive.unwrap_or(true),
        accept_encoding,
        connect_to,
    })
}

/// Resolves a TLS table (`[target.tls]`, `[mcp.tls]`; `section` names it in errors): the files must exist.
pub(super) fn resolve_tls(
    c: &Spanned<TlsConfig>,
    section: &str,
    name: &str,
    text: &str,
) -> Result<TlsOptions> {
    let file = |key: &str, v: &Option<Spanned<String>>| -> Result<Option<PathBuf>> {
        let Some(v) = v else { return Ok(None) };
        let path = PathBuf::from(v.get_ref());
        if !path.is_file() {
            return Err(Error::Config(format!(
                "{}: key `{section}.{key}`: {}: no such file",
                at(name, text, v),
                path.display()
            )));
        }
        Ok(Some(path))
    };
    let where_ = at(name, text, c);
    let c = c.get_ref();
    let tls = TlsOptions {
        ca_file: file("ca_file", &c.ca_file)?,
        client_cert: file("client_cert", &c.client_cert)?,
        client_key: file("client_key", &c.client_key)?,
        insecure_skip_verify: c.insecure_skip_verify.unwrap_or(false),
    };
    if tls.client_cert.is_some() != tls.client_key.is_some() {
        return Err(Error::Config(format!(
            "{where_}: key `{section}`: `client_cert` and `client_key` go together: set both for mTLS"
        )));
    }
    Ok(tls)
}

/// A `host:port` to connect to instead of the URL's (`127.0.0.1:8443`, `[::1]:8443`, `localhost:8443`).
pub fn check_connect_to(v: &str) -> std::result::Result<String, String> {
    let ok = v
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if ok {
        Ok(v.to_string())
    } else {
        Err(format!("{v:?} is not host:port (e.g. \"127.0.0.1:8443\")"))
    }
}
