//! Email to IT staff: alerts routed by level, tags, department and address, throttled into
//! immediate mails and digests, queued in a durable outbox, delivered over SMTP with retries.
//!
//! The notifier follows the alert log the way the search index does: `state/notify.json` holds
//! how far into `alerts/alerts.jsonl` it has read together with every route's throttling state.
//! One loop does, in order: read new alerts, decide and compose their mails, write them to the
//! outbox, write the state, then deliver what is due. A mail is therefore in the outbox before the
//! state that produced it is saved, and only sent after; a crash in between re-decides the same
//! alerts into the same mail ids, which replaces files rather than adding mails. The one window
//! left (the server accepted a mail, the crash came before its file was removed) re-sends it once
//! with the same `Message-ID`, which mail systems recognise as the same message.
//!
//! Modules: [`config`] reads the `[notify]` settings, [`route`] routes and throttles, [`mail`]
//! writes subjects and bodies (Vietnamese and English, escaped), [`outbox`] is the queue on disk,
//! and [`smtp`] sends with lettre.

pub mod config;
pub mod mail;
pub mod outbox;
pub mod route;
pub mod smtp;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use canhgac_rules::alert::stable_id;
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};

use crate::alerts::{alerts_end, read_alerts};
use crate::config::Config;
use crate::error::{Error, Result};
use config::{Lang, NotifyConfig};
use mail::{Composed, Composer, MailAttachment};
use outbox::{Outbox, Pending};
use route::{Decision, Route, RouteState};
use smtp::{SendError, Smtp};

/// How many alerts are read from the log per step (bounds memory after a long outage).
const READ_CHUNK_BYTES: u64 = 8 * 1024 * 1024;

/// Counters shown on `/metrics`.
#[derive(Debug, Default)]
pub struct NotifyMetrics {
    /// Mails in the outbox now.
    pub queued: AtomicU64,
    /// Of those, mails that failed at least once and wait for a retry.
    pub retrying: AtomicU64,
    /// Mails the server accepted.
    pub sent: AtomicU64,
    /// Mails refused for good (kept in `outbox/failed/`).
    pub failed: AtomicU64,
    /// Delivery attempts that failed and will be retried.
    pub attempt_failures: AtomicU64,
    /// Alerts routed to at least one route.
    pub routed_alerts: AtomicU64,
    /// Alerts held for a digest (per route).
    pub held_alerts: AtomicU64,
    /// Digests queued.
    pub digests: AtomicU64,
}

/// What is saved in `state/notify.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct NotifyState {
    /// Bytes of the alert log already routed; `None` before the first run.
    offset: Option<u64>,
    /// Throttling state by route name.
    routes: BTreeMap<String, RouteState>,
}

const STATE_FILE: &str = "notify.json";

/// The notifier of one data directory.
pub struct Notifier {
    config: NotifyConfig,
    routes: Vec<Route>,
    composer: Composer,
    from: Mailbox,
    data_dir: PathBuf,
    outbox: Outbox,
    state: NotifyState,
    smtp: Smtp,
    metrics: Arc<NotifyMetrics>,
    /// Held (locked) while open: two notifiers on one data directory would mail twice.
    _lock: std::fs::File,
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Accepted by the server.
    pub sent: usize,
    /// Failed, to be retried.
    pub deferred: usize,
    /// Refused for good.
    pub failed: usize,
}

impl Notifier {
    /// The notifier for a configuration, or `None` when mail is not configured.
    pub fn open(config: &Config, metrics: Arc<NotifyMetrics>) -> Result<Option<Notifier>> {
        let n = &config.notify;
        if !n.enabled() {
            return Ok(None);
        }
        let from: Mailbox = n
            .smtp
            .from
            .parse()
            .map_err(|e| Error::Config(format!("notify.smtp.from: {e}")))?;
        let data_dir = config.data_dir.clone();
        let outbox = Outbox::open(&data_dir)?;
        let lock = lock(&data_dir)?;
        outbox.remove_temp_files()?;
        let mut state: NotifyState = crate::serve::state_load(&data_dir, STATE_FILE)?;
        let end = alerts_end(&data_dir)?;
        match state.offset {
            // A first start mails what happens from now on, not the history already in the log.
            None => state.offset = Some(end),
            // The log lost a tail that was never synced (a crash): nothing there was kept.
            Some(offset) if offset > end => {
                tracing::warn!(
                    offset,
                    end,
                    "the alert log is shorter than the notifier's position"
                );
                state.offset = Some(end);
            }
            Some(_) => {}
        }
        let notifier = Notifier {
            routes: route::routes(n),
            composer: Composer::new(n, &config.groups),
            from,
            outbox,
            state,
            smtp: Smtp::new(&n.smtp)?,
            metrics,
            config: n.clone(),
            data_dir,
            _lock: lock,
        };
        notifier.save()?;
        notifier.count_outbox()?;
        Ok(Some(notifier))
    }

    /// Routes the alerts written since the last call, queues their mails and any digest that is
    /// due at `now` (µs), and saves the state. Returns the mails queued.
    pub fn route_new(&mut self, now: i64) -> Result<usize> {
        let started_at = self.state.offset;
        let mut queued = 0;
        loop {
            let offset = self.state.offset.unwrap_or(0);
            let end = alerts_end(&self.data_dir)?.min(offset + READ_CHUNK_BYTES);
            let (alerts, next, bad) = read_alerts(&self.data_dir, offset, end)?;
            if bad > 0 {
                tracing::warn!(
                    lines = bad,
                    "unreadable alert log lines skipped by the notifier"
                );
            }
            for alert in &alerts {
                let chosen = route::select(&self.routes, alert);
                if !chosen.is_empty() {
                    self.metrics.routed_alerts.fetch_add(1, Ordering::Relaxed);
                }
                for i in chosen {
                    let decision = {
                        let route = &self.routes[i];
                        let state = self
                            .state
                            .routes
                            .entry(route.config.name.clone())
                            .or_default();
                        state.decide(route, alert, now)
                    };
                    if decision != Decision::Immediate {
                        self.metrics.held_alerts.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let route = &self.routes[i].config;
                    let composed = self
                        .composer
                        .alert(alert, route.lang.unwrap_or(self.config.lang));
                    let id = stable_id(&[b"alert", route.name.as_bytes(), alert.id.as_bytes()]);
                    let name = Some(route.name.clone());
                    self.queue("alert", name, &id, &route.to, &composed, &[], now)?;
                    queued += 1;
                }
            }
            let done = next >= alerts_end(&self.data_dir)? || next == offset;
            self.state.offset = Some(next);
            if done {
                break;
            }
        }
        queued += self.queue_digests(now)?;
        for route in &self.routes {
            if let Some(s) = self.state.routes.get_mut(&route.config.name) {
                s.prune(route, now);
            }
        }
        // Idle passes write nothing (pruning alone can wait for the next real change).
        if self.state.offset != started_at || queued > 0 {
            self.save()?;
        }
        Ok(queued)
    }

    fn queue_digests(&mut self, now: i64) -> Result<usize> {
        let mut queued = 0;
        for i in 0..self.routes.len() {
            let route = &self.routes[i];
            let name = route.config.name.as_str();
            let Some(state) = self.state.routes.get_mut(name) else {
                continue;
            };
            if !state.digest_due(route, now) {
                continue;
            }
            let digest = state.take_digest();
            if digest.alerts() == 0 {
                continue;
            }
            let lang = route.config.lang.unwrap_or(self.config.lang);
            let composed = self.composer.digest(name, &digest, lang);
            let id = stable_id(&[b"digest", name.as_bytes(), &digest.number.to_le_bytes()]);
            let owned = Some(name.to_owned());
            self.queue("digest", owned, &id, &route.config.to, &composed, &[], now)?;
            self.metrics.digests.fetch_add(1, Ordering::Relaxed);
            queued += 1;
        }
        Ok(queued)
    }

    /// Queues a mail with attachments (the monthly report) to `to`; delivered by the next pass.
    pub fn queue_report(
        &mut self,
        to: &[String],
        composed: &Composed,
        attachments: &[MailAttachment],
        key: &str,
    ) -> Result<String> {
        let id = stable_id(&[b"report", key.as_bytes()]);
        let now = chrono::Utc::now().timestamp_micros();
        self.queue("report", None, &id, to, composed, attachments, now)?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn queue(
        &self,
        kind: &str,
        route: Option<String>,
        id: &str,
        to: &[String],
        composed: &Composed,
        attachments: &[MailAttachment],
        now: i64,
    ) -> Result<()> {
        let mail = Queued {
            kind,
            route,
            id,
            to,
            composed,
            attachments,
            now,
        };
        put(&self.outbox, &self.from, &mail)
    }

    /// Tries every mail due at `now` (µs) once, oldest first. A server that is down defers the
    /// rest of the pass (each would only time out too).
    pub async fn deliver(&mut self, now: i64) -> Result<Delivered> {
        let mut done = Delivered::default();
        let mut server_down = false;
        // What is still queued after the pass, counted as we go (no second read of the outbox).
        let (mut queued, mut retrying) = (0u64, 0u64);
        for mut mail in self.outbox.pending()? {
            if mail.next_attempt > now || server_down {
                queued += 1;
                retrying += u64::from(mail.attempts > 0);
                continue;
            }
            let bytes = mail.message_bytes()?;
            match self.smtp.send(&mail.from, &mail.to, &bytes).await {
                Ok(()) => {
                    self.outbox.remove(&mail.id)?;
                    self.metrics.sent.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(id = %mail.id, kind = %mail.kind, to = ?mail.to, "mail sent");
                    done.sent += 1;
                }
                Err(SendError::Permanent(e)) => {
                    mail.attempts += 1;
                    mail.last_error = Some(e.clone());
                    self.outbox.fail(&mail)?;
                    self.metrics.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(id = %mail.id, to = ?mail.to, "mail refused for good: {e}");
                    done.failed += 1;
                }
                Err(SendError::Transient(e)) => {
                    mail.attempts += 1;
                    let wait = self.backoff(mail.attempts);
                    mail.next_attempt = now + wait.as_micros() as i64;
                    tracing::warn!(
                        id = %mail.id,
                        attempts = mail.attempts,
                        retry_in_s = wait.as_secs_f64(),
                        "mail not delivered, will retry: {e}"
                    );
                    mail.last_error = Some(e);
                    self.outbox.put(&mail)?;
                    self.metrics
                        .attempt_failures
                        .fetch_add(1, Ordering::Relaxed);
                    done.deferred += 1;
                    queued += 1;
                    retrying += 1;
                    server_down = true;
                }
            }
        }
        self.store_counts(queued, retrying);
        Ok(done)
    }

    /// `retry_initial` doubled per failed attempt, at most `retry_max`.
    fn backoff(&self, attempts: u32) -> Duration {
        let doubled = self
            .config
            .retry_initial
            .saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
        doubled.min(self.config.retry_max)
    }

    fn count_outbox(&self) -> Result<()> {
        let pending = self.outbox.pending()?;
        let retrying = pending.iter().filter(|m| m.attempts > 0).count();
        self.store_counts(pending.len() as u64, retrying as u64);
        Ok(())
    }

    fn store_counts(&self, queued: u64, retrying: u64) {
        self.metrics.queued.store(queued, Ordering::Relaxed);
        self.metrics.retrying.store(retrying, Ordering::Relaxed);
    }

    /// Makes the next delivery pass try every pending mail at once (a restart, or `notify flush`:
    /// the server may be back).
    pub fn retry_now(&self) -> Result<()> {
        for mut mail in self.outbox.pending()? {
            if mail.next_attempt > 0 {
                mail.next_attempt = 0;
                self.outbox.put(&mail)?;
            }
        }
        Ok(())
    }

    fn save(&self) -> Result<()> {
        crate::serve::state_store(&self.data_dir, STATE_FILE, &self.state)
    }

    /// Delivers what is pending now, without routing new alerts (the report command's mail).
    pub fn deliver_now(&mut self) -> Result<Delivered> {
        self.retry_now()?;
        let now = chrono::Utc::now().timestamp_micros();
        current_thread()?.block_on(self.deliver(now))
    }

    /// One pass outside the daemon (`canhgac notify flush`): every pending
    /// mail is tried now, new alerts are routed, and what is due is delivered. Returns the mails
    /// queued by routing and what delivery did.
    pub fn flush(&mut self) -> Result<(usize, Delivered)> {
        self.retry_now()?;
        let now = chrono::Utc::now().timestamp_micros();
        let queued = self.route_new(now)?;
        let delivered = current_thread()?.block_on(self.deliver(now))?;
        Ok((queued, delivered))
    }

    /// Runs until `finish` turns true: route and deliver every `poll_interval`; then one last
    /// routing pass and a short delivery attempt (what is not delivered stays in the outbox).
    pub async fn run(mut self, mut finish: tokio::sync::watch::Receiver<bool>) -> Result<()> {
        self.retry_now()?;
        loop {
            let now = chrono::Utc::now().timestamp_micros();
            self.route_new(now)?;
            // A server that hangs must not hold up shutdown: what is not sent stays queued.
            tokio::select! {
                delivered = self.deliver(now) => { delivered?; }
                _ = finish.changed() => {}
            }
            if *finish.borrow() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = finish.changed() => {}
            }
        }
        let now = chrono::Utc::now().timestamp_micros();
        self.route_new(now)?;
        let _ = tokio::time::timeout(Duration::from_secs(3), self.deliver(now)).await;
        Ok(())
    }
}

/// A mail to queue.
struct Queued<'a> {
    kind: &'a str,
    route: Option<String>,
    id: &'a str,
    to: &'a [String],
    composed: &'a Composed,
    attachments: &'a [MailAttachment],
    now: i64,
}

/// Builds a mail and puts it in the outbox.
fn put(outbox: &Outbox, from: &Mailbox, q: &Queued<'_>) -> Result<()> {
    let recipients =
        q.to.iter()
            .map(|a| {
                a.parse::<Mailbox>()
                    .map_err(|e| Error::Config(format!("recipient `{a}`: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
    let message = mail::message(from, &recipients, q.composed, q.id, q.attachments)?;
    let pending = Pending {
        id: q.id.to_owned(),
        kind: q.kind.to_owned(),
        route: q.route.clone(),
        from: from.email.to_string(),
        to: recipients.iter().map(|m| m.email.to_string()).collect(),
        subject: q.composed.subject.clone(),
        queued_at: canhgac_rules::alert::rfc3339(q.now),
        attempts: 0,
        next_attempt: 0,
        last_error: None,
        message: base64::engine::general_purpose::STANDARD.encode(message.formatted()),
    };
    outbox.put(&pending)?;
    tracing::debug!(id = q.id, kind = q.kind, subject = %pending.subject, "mail queued");
    Ok(())
}

/// Queues a report mail in the data directory's outbox without holding the notifier's lock: the
/// scheduled report made beside a running daemon, whose notifier delivers it on its next pass.
pub fn enqueue_report(
    config: &Config,
    to: &[String],
    composed: &Composed,
    attachments: &[MailAttachment],
    key: &str,
) -> Result<String> {
    if !config.notify.enabled() {
        return Err(Error::Config(
            "mailing a report needs a mail server: set [notify.smtp] host".to_owned(),
        ));
    }
    let from: Mailbox = config
        .notify
        .smtp
        .from
        .parse()
        .map_err(|e| Error::Config(format!("notify.smtp.from: {e}")))?;
    let id = stable_id(&[b"report", key.as_bytes()]);
    let mail = Queued {
        kind: "report",
        route: None,
        id: &id,
        to,
        composed,
        attachments,
        now: chrono::Utc::now().timestamp_micros(),
    };
    put(&Outbox::open(&config.data_dir)?, &from, &mail)?;
    Ok(id)
}

/// Locks `outbox/.lock` for this process.
fn lock(data_dir: &Path) -> Result<std::fs::File> {
    let path = data_dir.join(outbox::OUTBOX_DIR).join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(Error::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Busy(format!(
            "{} is held by another canhgac process (is `canhgac serve` running? it sends the mail)",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path)(e)),
    }
}

/// Sends one test mail straight to `to` (not through the outbox), so a setup error shows at once.
pub fn send_test(config: &Config, to: &str, lang: Option<Lang>) -> Result<()> {
    current_thread()?.block_on(send_test_async(config, to, lang))
}

fn current_thread() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("tokio runtime: {e}")))
}

async fn send_test_async(config: &Config, to: &str, lang: Option<Lang>) -> Result<()> {
    let n = &config.notify;
    if !n.enabled() {
        return Err(Error::Config(
            "notify.smtp.host is not set: there is no mail server to test".to_owned(),
        ));
    }
    let from: Mailbox = n
        .smtp
        .from
        .parse()
        .map_err(|e| Error::Config(format!("notify.smtp.from: {e}")))?;
    let rcpt: Mailbox = to
        .parse()
        .map_err(|e| Error::Config(format!("`{to}` is not an address ({e})")))?;
    let composed = Composer::new(n, &config.groups).test(lang.unwrap_or(n.lang));
    let id = stable_id(&[
        b"test",
        to.as_bytes(),
        &chrono::Utc::now().timestamp_micros().to_le_bytes(),
    ]);
    let message = mail::message(&from, std::slice::from_ref(&rcpt), &composed, &id, &[])?;
    Smtp::new(&n.smtp)?
        .send(
            from.email.as_ref(),
            &[rcpt.email.to_string()],
            &message.formatted(),
        )
        .await
        .map_err(|e| Error::Mail(e.to_string()))
}

/// The outbox of a data directory: pending mails, then those refused for good.
pub fn outbox_contents(data_dir: &Path) -> Result<(Vec<Pending>, Vec<Pending>)> {
    let outbox = Outbox::open(data_dir)?;
    Ok((outbox.pending()?, outbox.failed()?))
}
