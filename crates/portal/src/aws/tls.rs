//! The TLS client configuration, built once in init: Mozilla's roots compiled
//! in (`webpki-roots`, already parsed, so nothing is read or decoded) plus the
//! certificates of the PEM bundle `AWS_CA_BUNDLE` names, the AWS SDKs' standard
//! variable (the local benchmark's throwaway CA comes in this way). The system
//! store is not scanned: that read ~300 files and cost ~5 ms of init.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// The variable naming extra trusted certificates (PEM), as the AWS SDKs read it.
pub const CA_BUNDLE_VAR: &str = "AWS_CA_BUNDLE";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{CA_BUNDLE_VAR}: cannot read {path}: {detail}")]
    Bundle { path: String, detail: String },
    #[error("{CA_BUNDLE_VAR}: {path} holds no certificate")]
    EmptyBundle { path: String },
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The compiled-in roots plus every certificate in the PEM file at `path`.
pub fn root_store(ca_bundle: Option<&str>) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(path) = ca_bundle {
        let bundle_error = |detail: String| TlsError::Bundle { path: path.to_owned(), detail };
        let pem = std::fs::read(path).map_err(|e| bundle_error(e.to_string()))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bundle_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(TlsError::EmptyBundle { path: path.to_owned() });
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bundle_error(e.to_string()))?;
        }
    }
    Ok(roots)
}

/// The client configuration every AWS connection of the process uses.
pub fn client_config() -> Result<ClientConfig, TlsError> {
    let bundle = std::env::var(CA_BUNDLE_VAR).ok().filter(|p| !p.trim().is_empty());
    client_config_with(bundle.as_deref())
}

pub(crate) fn client_config_with(ca_bundle: Option<&str>) -> Result<ClientConfig, TlsError> {
    let roots = root_store(ca_bundle)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("portal-tls-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// A self-signed CA certificate (a throwaway made with openssl for this test).
    const CA_PEM: &str = include_str!("test-ca.pem");

    #[test]
    fn compiled_in_roots_without_a_bundle() {
        let roots = root_store(None).unwrap();
        assert_eq!(roots.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        assert!(roots.len() > 100);
    }

    #[test]
    fn a_bundle_adds_its_certificates() {
        let path = temp_file("ca.pem", CA_PEM);
        let roots = root_store(path.to_str()).unwrap();
        assert_eq!(roots.len(), webpki_roots::TLS_SERVER_ROOTS.len() + 1);
    }

    #[test]
    fn a_missing_or_empty_bundle_is_an_init_error() {
        assert!(matches!(root_store(Some("/nonexistent/ca.pem")), Err(TlsError::Bundle { .. })));
        let path = temp_file("empty.pem", "not a certificate\n");
        assert!(matches!(root_store(path.to_str()), Err(TlsError::EmptyBundle { .. })));
        let garbled = temp_file("garbled.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assert!(matches!(root_store(garbled.to_str()), Err(TlsError::Bundle { .. })));
    }

    #[test]
    fn the_configuration_builds() {
        let path = temp_file("config-ca.pem", CA_PEM);
        assert!(client_config_with(path.to_str()).is_ok());
        assert!(client_config_with(Some("/nonexistent/ca.pem")).is_err());
    }
}
