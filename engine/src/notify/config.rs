//! The `[notify]` section: the SMTP server, the web UI address for links, and the routes.
//!
//! Durations are written the way people say them (`"90s"`, `"15m"`, `"1h"`, `"500ms"`). The
//! SMTP password is never in the TOML: `password_env` or `password_file` name where it is, and a
//! `password` key is refused with that advice.

use std::path::PathBuf;
use std::time::Duration;

use cidr::IpCidr;
use serde::{Deserialize, Deserializer};

use crate::config::parse_cidr;
use crate::index::level_rank;

/// Email notification settings. Off until `smtp.host` is set and a route exists.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// The mail server.
    pub smtp: SmtpConfig,
    /// Address of the web UI; mails link to `{base_url}/alerts/{id}`. Empty: no links.
    pub base_url: String,
    /// Language of routes that do not set one: `vi` or `en`.
    pub lang: Lang,
    /// Zone times are shown in (`Asia/Ho_Chi_Minh`, `+07:00`, `UTC`).
    pub timezone: String,
    /// How often new alerts are picked up from the alert log.
    #[serde(deserialize_with = "duration")]
    pub poll_interval: Duration,
    /// First wait before retrying a mail the server did not take; doubles up to `retry_max`.
    #[serde(deserialize_with = "duration")]
    pub retry_initial: Duration,
    /// Longest wait between retries (a mail is retried until it is delivered or refused).
    #[serde(deserialize_with = "duration")]
    pub retry_max: Duration,
    /// Evidence lines shown per alert.
    pub evidence_lines: usize,
    /// Who gets which alerts.
    #[serde(rename = "route")]
    pub routes: Vec<RouteConfig>,
}

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (required, never silently skipped); port 587.
    Starttls,
    /// TLS from the first byte (SMTPS); port 465.
    Tls,
    /// No encryption: only for a relay on the same host or a trusted segment; port 25.
    None,
}

/// The SMTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// Host name (also the name the server's certificate must carry). Empty: mail is off.
    pub host: String,
    /// Port; default by `security`: 587, 465 or 25.
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    pub security: Security,
    /// AUTH user name; empty: no AUTH.
    pub username: String,
    /// Environment variable holding the password.
    pub password_env: Option<String>,
    /// File holding the password (its first line).
    pub password_file: Option<PathBuf>,
    /// Refused: here only to say where the password goes instead.
    pub password: Option<toml::Value>,
    /// Sender, e.g. `"canhgac SOC <soc@example.gov.vn>"`.
    pub from: String,
    /// Name given in EHLO; default: `canhgac.localdomain`.
    pub helo_name: String,
    /// Connect and command timeout; a whole delivery gets four times this.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// CA certificate (PEM) trusted in addition to the system's, for an internal relay.
    pub ca_file: Option<PathBuf>,
}

/// Mail language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Tiếng Việt.
    #[default]
    Vi,
    /// English.
    En,
}

/// One route: which alerts, to whom, and how often.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Unique name (metrics, state, digests).
    pub name: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Only alerts at or above this level.
    #[serde(default = "default_min_level")]
    pub min_level: String,
    /// Only alerts with at least one of these tags (e.g. `attack.credential_access`); empty: any.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Only alerts of these rule ids; empty: any.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Only alerts from these departments / asset groups (names under `[groups]`); empty: any.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Only alerts involving an address in these networks (the host, source or destination of
    /// the evidence, or an address among the group-by values); empty: any.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Gets the alerts no other route took (its own filters still apply).
    #[serde(default)]
    pub default: bool,
    /// `vi` or `en`; default: `[notify] lang`.
    #[serde(default)]
    pub lang: Option<Lang>,
    /// Alerts at or above this level are mailed at once; the rest wait for the digest.
    #[serde(default = "default_immediate_level")]
    pub immediate_level: String,
    /// How often the digest goes out (when it has anything).
    #[serde(default = "default_digest_every", deserialize_with = "duration")]
    pub digest_every: Duration,
    /// At most one immediate mail per rule and group values in this window; repeats are counted
    /// and reported in the next mail or digest.
    #[serde(default = "default_suppress_for", deserialize_with = "duration")]
    pub suppress_for: Duration,
    /// Hard cap on immediate mails per hour; the overflow goes into the next digest.
    #[serde(default = "default_max_per_hour")]
    pub max_per_hour: u32,
}

fn default_min_level() -> String {
    "low".to_owned()
}
fn default_immediate_level() -> String {
    "high".to_owned()
}
fn default_digest_every() -> Duration {
    Duration::from_secs(15 * 60)
}
fn default_suppress_for() -> Duration {
    Duration::from_secs(60 * 60)
}
fn default_max_per_hour() -> u32 {
    30
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            smtp: SmtpConfig::default(),
            base_url: String::new(),
            lang: Lang::Vi,
            timezone: "UTC".to_owned(),
            poll_interval: Duration::from_secs(1),
            retry_initial: Duration::from_secs(10),
            retry_max: Duration::from_secs(10 * 60),
            evidence_lines: 5,
            routes: Vec::new(),
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: None,
            security: Security::Starttls,
            username: String::new(),
            password_env: None,
            password_file: None,
            password: None,
            from: String::new(),
            helo_name: "canhgac.localdomain".to_owned(),
            timeout: Duration::from_secs(30),
            ca_file: None,
        }
    }
}

impl NotifyConfig {
    /// Whether mail is configured at all.
    pub fn enabled(&self) -> bool {
        !self.smtp.host.is_empty()
    }

    /// Every problem with the section, one line each.
    pub fn problems(
        &self,
        groups: &std::collections::BTreeMap<String, crate::config::GroupConfig>,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        let smtp = &self.smtp;
        if smtp.password.is_some() {
            problems.push(
                "notify.smtp: `password` is not read from the config file; put it in an \
                 environment variable (`password_env`) or a file (`password_file`)"
                    .to_owned(),
            );
        }
        if smtp.password_env.is_some() && smtp.password_file.is_some() {
            problems
                .push("notify.smtp: set `password_env` or `password_file`, not both".to_owned());
        }
        if let Some(f) = &smtp.password_file
            && !f.is_file()
        {
            problems.push(format!(
                "notify.smtp: password_file {} is not a readable file",
                f.display()
            ));
        }
        if let Some(f) = &smtp.ca_file
            && !f.is_file()
        {
            problems.push(format!(
                "notify.smtp: ca_file {} is not a readable file",
                f.display()
            ));
        }
        if self.enabled() {
            if let Err(e) = smtp.from.parse::<lettre::message::Mailbox>() {
                problems.push(format!(
                    "notify.smtp: `from = \"{}\"` is not an address ({e})",
                    smtp.from
                ));
            }
            if self.routes.is_empty() {
                problems
                    .push("notify: `smtp.host` is set but there is no [[notify.route]]".to_owned());
            }
        }
        if let Err(e) = canhgac_parsers::time::Zone::parse(&self.timezone) {
            problems.push(format!("notify: timezone: {e}"));
        }
        if self.retry_initial.is_zero() || self.retry_max < self.retry_initial {
            problems.push("notify: retry_initial must be above 0 and at most retry_max".to_owned());
        }
        let mut names = std::collections::HashSet::new();
        for r in &self.routes {
            let mut bad = |why: String| problems.push(format!("notify.route `{}`: {why}", r.name));
            if !names.insert(r.name.as_str()) {
                bad("the name is used twice".to_owned());
            }
            if r.to.is_empty() {
                bad("`to` has no address".to_owned());
            }
            for a in &r.to {
                if let Err(e) = a.parse::<lettre::message::Mailbox>() {
                    bad(format!("`{a}` is not an address ({e})"));
                }
            }
            for (key, level) in [
                ("min_level", &r.min_level),
                ("immediate_level", &r.immediate_level),
            ] {
                if level_rank(level) == 0 && level != "informational" {
                    bad(format!(
                        "{key} `{level}` is not one of informational, low, medium, high, critical"
                    ));
                }
            }
            for g in &r.groups {
                if !groups.contains_key(g) {
                    bad(format!("group `{g}` is not defined under [groups]"));
                }
            }
            for h in &r.hosts {
                if let Err(e) = parse_cidr(h) {
                    bad(format!("hosts: {e}"));
                }
            }
            if r.digest_every.is_zero() {
                bad("digest_every must be above 0".to_owned());
            }
        }
        problems
    }
}

impl RouteConfig {
    /// The `hosts` networks (checked by [`NotifyConfig::problems`]).
    pub fn networks(&self) -> Vec<IpCidr> {
        self.hosts
            .iter()
            .filter_map(|h| parse_cidr(h).ok())
            .collect()
    }
}

/// Parses `"500ms"`, `"90s"`, `"15m"`, `"2h"`, `"1d"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like \"90s\", \"15m\" or \"1h\""))?;
    let seconds = match unit.trim() {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (use ms, s, m, h or d)"
            ));
        }
    };
    Ok(Duration::from_secs(seconds))
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("15 minutes").is_err());
        assert!(parse_duration("m").is_err());
    }
}
