//! The SMTP connection (lettre over tokio, rustls): STARTTLS, implicit TLS or plain, AUTH, a
//! custom CA for an internal relay. The password is read here from the environment or a file,
//! and never logged or stored.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::config::{Security, SmtpConfig};
use crate::error::{Error, Result};

/// A connection factory to the configured server.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// Bound on a whole transaction: lettre's timeout does not cover a server that accepts a
    /// command and then never answers.
    deadline: std::time::Duration,
}

/// How a delivery attempt ended.
#[derive(Debug)]
pub enum SendError {
    /// Worth retrying: connection refused, timeout, 4xx, authentication trouble.
    Transient(String),
    /// The server refused this mail for good (5xx for the recipients or the message).
    Permanent(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Transient(e) | SendError::Permanent(e) => f.write_str(e),
        }
    }
}

impl Smtp {
    /// The transport for these settings.
    pub fn new(config: &SmtpConfig) -> Result<Smtp> {
        let host = config.host.as_str();
        let tls = || -> Result<TlsParameters> {
            let mut builder = TlsParameters::builder(host.to_owned());
            if let Some(ca) = &config.ca_file {
                let pem = std::fs::read(ca).map_err(Error::io(ca))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| Error::Tls(format!("{}: {e}", ca.display())))?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build_rustls()
                .map_err(|e| Error::Tls(format!("smtp: {e}")))
        };
        let (tls, default_port) = match config.security {
            Security::Starttls => (Tls::Required(tls()?), 587),
            Security::Tls => (Tls::Wrapper(tls()?), 465),
            Security::None => (Tls::None, 25),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(config.port.unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(config.timeout))
            .hello_name(ClientId::Domain(config.helo_name.clone()));
        if !config.username.is_empty() {
            builder = builder
                .credentials(Credentials::new(config.username.clone(), password(config)?))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(Smtp {
            transport: builder.build(),
            deadline: config.timeout.saturating_mul(4),
        })
    }

    /// Sends one message as stored.
    pub async fn send(&self, from: &str, to: &[String], message: &[u8]) -> Result<(), SendError> {
        let parse = |a: &str| {
            a.parse::<Address>()
                .map_err(|e| SendError::Permanent(format!("address `{a}`: {e}")))
        };
        let recipients = to.iter().map(|a| parse(a)).collect::<Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(Some(parse(from)?), recipients)
            .map_err(|e| SendError::Permanent(format!("envelope: {e}")))?;
        let sent = tokio::time::timeout(self.deadline, self.transport.send_raw(&envelope, message));
        match sent.await {
            Err(_) => Err(SendError::Transient(format!(
                "no answer from the server within {} s",
                self.deadline.as_secs()
            ))),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                // 5xx is final for the message, except authentication codes: a wrong password
                // is fixed by the administrator, and the mail must still go out then.
                let code = e.status().map(|c| c.to_string());
                let auth = code
                    .as_deref()
                    .is_some_and(|c| matches!(c, "530" | "534" | "535" | "538"));
                let text = describe(&e);
                if e.is_permanent() && !auth {
                    Err(SendError::Permanent(text))
                } else {
                    Err(SendError::Transient(text))
                }
            }
        }
    }
}

/// The error and its causes on one line (lettre's top level often says only "network error").
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The SMTP password from `password_env` or `password_file` (first line).
fn password(config: &SmtpConfig) -> Result<String> {
    if let Some(var) = &config.password_env {
        return std::env::var(var).map_err(|_| {
            Error::Config(format!(
                "notify.smtp: environment variable {var} (password_env) is not set"
            ))
        });
    }
    if let Some(file) = &config.password_file {
        let text = std::fs::read_to_string(file).map_err(Error::io(file))?;
        return Ok(text.lines().next().unwrap_or_default().to_owned());
    }
    Err(Error::Config(
        "notify.smtp: `username` is set but neither `password_env` nor `password_file`".to_owned(),
    ))
}
