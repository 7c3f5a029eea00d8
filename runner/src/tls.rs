//! TLS client settings, shared by every client perfgate talks HTTPS with (HTTP targets, MCP Streamable HTTP,
//! OTLP export, Pushgateway).
//!
//! Why one module: the trust decisions (which roots, a private CA, a client certificate for mTLS, or no
//! verification at all) must be made the same way whatever the client, and a handshake failure must read
//! the same way everywhere (`tls: certificate expired …`). rustls with the *ring* provider (no OpenSSL, and
//! ring is the provider the GitHub client already builds); the provider is passed explicitly, so a build in
//! which another crate also enables aws-lc-rs does not make rustls refuse to pick one.
//!
//! Roots: `ca_file` (PEM, one or more certificates) when given, which then is the only trust anchor — a
//! private CA, like `curl --cacert`; else the system's store (`rustls-native-certs`: `/etc/ssl/certs` on
//! Debian, the keychain on macOS), so a corporate CA installed on the runner is trusted too.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// The side operation under which a target records its TLS handshakes (timed apart from requests).
pub const HANDSHAKE_OPERATION: &str = "tls.handshake";

/// What the user said about TLS for one client. All optional: the default verifies the server against the
/// system's roots and presents no client certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM file of the CA(s) to trust instead of the system's roots.
    pub ca_file: Option<PathBuf>,
    /// PEM certificate chain presented to a server that asks for one (mTLS); needs `client_key`.
    pub client_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `client_cert`.
    pub client_key: Option<PathBuf>,
    /// Accept any certificate (no chain, name or date check). Said in the summary and the record.
    pub insecure_skip_verify: bool,
}

/// Why a TLS client could not be set up (before anything is sent).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("{what} {}: {message}", path.display())]
    Pem {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("`client_cert` and `client_key` go together: set both for mTLS")]
    HalfClientAuth,
    #[error("client certificate and key: {0}")]
    ClientAuth(rustls::Error),
    #[error("TLS: {0}")]
    Rustls(rustls::Error),
}

/// The crypto provider of every TLS client perfgate builds.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Makes ring the process's default provider, once, for clients that look it up rather than take one
/// (reqwest built with `rustls-no-provider` refuses to build even a plain-`http://` client without it).
/// A provider the embedding program installed first is kept.
pub fn install_default_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl TlsOptions {
    /// True when something differs from the default (verify with the system's roots, no client cert).
    pub fn is_default(&self) -> bool {
        *self == TlsOptions::default()
    }

    /// A rustls client configuration offering `alpn` (e.g. `[b"http/1.1"]`), most preferred first.
    pub fn client_config(&self, alpn: &[&[u8]]) -> Result<ClientConfig, TlsSetupError> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(TlsSetupError::Rustls)?;
        let builder = if self.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
        } else {
            builder.with_root_certificates(self.roots()?)
        };
        let mut config = match (&self.client_cert, &self.client_key) {
            (None, None) => builder.with_no_client_auth(),
            (Some(cert), Some(key)) => {
                let chain = read_certs("client_cert", cert)?;
                let key = read_key(key)?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(TlsSetupError::ClientAuth)?
            }
            _ => return Err(TlsSetupError::HalfClientAuth),
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }

    fn roots(&self) -> Result<RootCertStore, TlsSetupError> {
        let mut roots = RootCertStore::empty();
        match &self.ca_file {
            Some(path) => {
                for cert in read_certs("ca_file", path)? {
                    roots.add(cert).map_err(|e| TlsSetupError::Pem {
                        what: "ca_file",
                        path: path.clone(),
                        message: format!("not a usable CA certificate: {e}"),
                    })?;
                }
            }
            None => {
                // Unreadable entries of the system store are skipped (as every client does); an empty store
                // shows up as `unknown CA` at the first handshake, with the hint to set `ca_file`.
                let native = rustls_native_certs::load_native_certs();
                let _ = roots.add_parsable_certificates(native.certs);
            }
        }
        Ok(roots)
    }
}

/// The server name to verify and send as SNI for `host` (a DNS name or an IP address).
pub fn server_name(host: &str) -> Option<ServerName<'static>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string()).ok()
}

fn read_certs(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let bytes = read(what, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError::Pem {
            what,
            path: path.to_path_buf(),
            message: format!("not a PEM certificate file: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::Pem {
            what,
            path: path.to_path_buf(),
            message: "no `-----BEGIN CERTIFICATE-----` block in it".into(),
        });
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    let bytes = read("client_key", path)?;
    // The key's bytes never reach a message: only what kind of problem it is.
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| TlsSetupError::Pem {
        what: "client_key",
        path: path.to_path_buf(),
        message: match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no PEM private key (PKCS#8, PKCS#1 or SEC1) in it".to_string()
            }
            _ => "not a readable PEM private key".to_string(),
        },
    })
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsSetupError> {
    std::fs::read(path).map_err(|source| TlsSetupError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// A readable cause for a failed handshake: what a person fixes (expired, unknown CA, name mismatch, the
/// server wants a client certificate), then rustls' own words.
pub fn handshake_cause(e: &io::Error) -> String {
    let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return e.to_string();
    };
    let lead = match tls {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "certificate expired"
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "certificate not valid yet"
            }
            CertificateError::UnknownIssuer => {
                "unknown CA (the certificate's issuer is not trusted; set `ca_file` for a private CA)"
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "name mismatch (the certificate is not valid for this host)"
            }
            CertificateError::Revoked => "certificate revoked",
            CertificateError::BadSignature => "bad certificate signature",
            // `openssl req -x509` makes a CA certificate (basicConstraints CA:TRUE) unless told otherwise;
            // curl and wrk accept one as a server certificate, webpki does not. rustls wraps webpki's
            // reason in `Other`, so its name is read from there.
            CertificateError::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
                "the server's certificate is a CA certificate (basicConstraints CA:TRUE, what `openssl \
                 req -x509` makes by default); a server needs a leaf certificate: add `-addext \
                 basicConstraints=critical,CA:FALSE`, or sign a leaf with that CA"
            }
            _ => "invalid certificate",
        },
        rustls::Error::AlertReceived(alert) => match alert {
            rustls::AlertDescription::CertificateRequired => {
                "the server requires a client certificate (set `client_cert` and `client_key`)"
            }
            rustls::AlertDescription::UnknownCA | rustls::AlertDescription::BadCertificate => {
                "the server refused the client certificate"
            }
            rustls::AlertDescription::NoApplicationProtocol => {
                "no common application protocol (ALPN)"
            }
            _ => "the server ended the handshake",
        },
        rustls::Error::NoCertificatesPresented => "the server presented no certificate",
        rustls::Error::PeerIncompatible(_) => "no TLS version or cipher suite in common",
        rustls::Error::InvalidMessage(_) => "not a TLS server (is the URL's scheme right?)",
        _ => "handshake failed",
    };
    format!("{lead}: {tls}")
}

/// The verifier of `insecure_skip_verify = true`: any certificate is accepted; handshake signatures are
/// still checked (the connection is encrypted, just not authenticated).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_name_the_key_and_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let none = TlsOptions {
            ca_file: Some(dir.path().join("nope.pem")),
            ..Default::default()
        };
        let e = none.client_config(&[b"http/1.1"]).unwrap_err().to_string();
        assert!(e.starts_with("ca_file ") && e.contains("nope.pem"), "{e}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "hello\n").unwrap();
        let e = TlsOptions {
            ca_file: Some(empty),
            ..Default::default()
        }
        .client_config(&[])
        .unwrap_err()
        .to_string();
        assert!(e.contains("no `-----BEGIN CERTIFICATE-----`"), "{e}");

        let half = TlsOptions {
            client_cert: Some(dir.path().join("c.pem")),
            ..Default::default()
        };
        assert!(matches!(
            half.client_config(&[]),
            Err(TlsSetupError::HalfClientAuth)
        ));
    }

    #[test]
    fn a_key_file_without_a_key_says_so_without_echoing_it() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        std::fs::write(
            &cert,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let key = dir.path().join("k.pem");
        std::fs::write(&key, "secret-material\n").unwrap();
        let e = TlsOptions {
            client_cert: Some(cert),
            client_key: Some(key),
            ..Default::default()
        }
        .client_config(&[])
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("client_key") && e.contains("no PEM private key"),
            "{e}"
        );
        assert!(!e.contains("secret-material"), "{e}");
    }

    #[test]
    fn server_names_accept_dns_names_and_ip_addresses() {
        assert!(server_name("localhost").is_some());
        assert!(server_name("127.0.0.1").is_some());
        assert!(server_name("[::1]").is_some());
        assert!(server_name("bad name").is_none());
    }
}
