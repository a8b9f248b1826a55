//! How the connection to PostgreSQL is encrypted: libpq's `sslmode` and
//! `sslrootcert` in `--database-url`, so a URL that works with `psql`
//! works here, on rustls (`tokio-postgres-rustls`).
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | - |
//! | `prefer` (default) | when the server offers it | not checked |
//! | `require` | always | not checked; with `sslrootcert`, as `verify-ca` |
//! | `verify-ca` | always | signed by `sslrootcert`'s CA |
//! | `verify-full` | always | signed by that CA, and names the host |
//!
//! `sslrootcert` is a PEM file of CA certificates, or `system` for the
//! system's roots (the default of `verify-ca` and `verify-full` here;
//! libpq looks for `~/.postgresql/root.crt` instead).

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::SignatureScheme;
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore};
use std::path::PathBuf;
use std::sync::Arc;

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }

    /// What tokio-postgres is told: whether to ask for TLS, and to insist.
    pub fn client_mode(self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Client;
        match self {
            Self::Disable => Client::Disable,
            Self::Prefer => Client::Prefer,
            Self::Require | Self::VerifyCa | Self::VerifyFull => Client::Require,
        }
    }
}

/// Where the CA certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// The system's trusted roots.
    System,
    /// A PEM file.
    File(PathBuf),
}

/// The TLS settings of a database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresTls {
    pub mode: SslMode,
    pub root_cert: Option<RootCerts>,
}

impl Default for PostgresTls {
    fn default() -> Self {
        Self {
            mode: SslMode::Prefer,
            root_cert: None,
        }
    }
}

/// What is checked of the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Nothing,
    Chain,
    ChainAndName,
}

impl PostgresTls {
    fn check(&self) -> Check {
        match (self.mode, &self.root_cert) {
            (SslMode::Disable | SslMode::Prefer, _) | (SslMode::Require, None) => Check::Nothing,
            (SslMode::Require, Some(_)) | (SslMode::VerifyCa, _) => Check::Chain,
            (SslMode::VerifyFull, _) => Check::ChainAndName,
        }
    }

    /// The rustls client configuration; `Err` says what is wrong with
    /// `sslrootcert` (unreadable, no certificate in it).
    pub fn client_config(&self) -> Result<ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let verifier: Arc<dyn ServerCertVerifier> = match self.check() {
            Check::Nothing => Arc::new(Unchecked(provider)),
            check => {
                let chain = self.chain_verifier(provider)?;
                if check == Check::Chain {
                    Arc::new(ChainOnly(chain))
                } else {
                    chain
                }
            }
        };
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    fn chain_verifier(
        &self,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ServerCertVerifier>, String> {
        match self.root_cert.as_ref().unwrap_or(&RootCerts::System) {
            RootCerts::System => Ok(Arc::new(
                rustls_platform_verifier::Verifier::new(provider)
                    .map_err(|e| format!("the system's root certificates: {e}"))?,
            )),
            RootCerts::File(path) => {
                let shown = path.display();
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_file_iter(path)
                    .map_err(|e| format!("sslrootcert {shown}: {e}"))?
                {
                    let cert = cert.map_err(|e| format!("sslrootcert {shown}: {e}"))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("sslrootcert {shown}: {e}"))?;
                }
                if roots.is_empty() {
                    return Err(format!("sslrootcert {shown} holds no certificate"));
                }
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map(|v| v as Arc<dyn ServerCertVerifier>)
                    .map_err(|e| format!("sslrootcert {shown}: {e}"))
            }
        }
    }
}

/// `prefer` and `require` without a CA: encrypted, the certificate taken as
/// given (libpq's behaviour); the handshake's signatures are still checked.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
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
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
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

/// `verify-ca`: the chain must lead to a trusted CA; the name is not
/// checked.
#[derive(Debug)]
struct ChainOnly(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_mode_checks() {
        let tls = |mode, root_cert| PostgresTls { mode, root_cert };
        let file = Some(RootCerts::File("/ca.pem".into()));
        assert_eq!(tls(SslMode::Prefer, None).check(), Check::Nothing);
        assert_eq!(tls(SslMode::Require, None).check(), Check::Nothing);
        assert_eq!(tls(SslMode::Require, file.clone()).check(), Check::Chain);
        assert_eq!(tls(SslMode::VerifyCa, None).check(), Check::Chain);
        assert_eq!(tls(SslMode::VerifyFull, file).check(), Check::ChainAndName);
    }

    #[test]
    fn a_missing_or_empty_root_file_is_refused_naming_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("nothing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        for path in [missing, empty] {
            let tls = PostgresTls {
                mode: SslMode::VerifyFull,
                root_cert: Some(RootCerts::File(path.clone())),
            };
            let why = tls.client_config().expect_err("refused");
            assert!(why.contains(&path.display().to_string()), "{why}");
        }
    }
}
