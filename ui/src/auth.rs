//! Sessions, CSRF tokens, the login lockout and the login events.
//!
//! A session is a random 256-bit token in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` when
//! the UI is served over TLS), held in memory: a restart logs everyone out, which is the safe
//! direction. Each session has its own CSRF token, which every state change must carry (form
//! field `csrf` or header `X-CSRF-Token`); see [`crate::guard`].
//!
//! Failed logins are counted per account and per client address; at `lockout_failures` within
//! `lockout_minutes` further logins for that account or from that address are refused unchecked
//! until the window passes. Every failure, lockout and login is appended to
//! [`UI_AUTH_LOG`](canhgac_engine::config::UI_AUTH_LOG) as a PAM-style syslog line, which the
//! daemon tails like any other source: the rules see the UI's own authentication.

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::users::{Role, User};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "canhgac_session";

/// One logged-in user.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user's name.
    pub user: String,
    /// Their role at login.
    pub role: Role,
    /// Interface language.
    pub lang: String,
    /// Zone for dates.
    pub tz: String,
    /// The token state changes must carry.
    pub csrf: String,
    started: Instant,
    last_used: Instant,
}

impl Session {
    /// The session of one API request made with a user's token (no cookie, so no CSRF token
    /// is needed: a browser never sends a bearer token by itself).
    pub fn bearer(user: &User) -> Session {
        let now = Instant::now();
        Session {
            user: user.name.clone(),
            role: user.role,
            lang: user.lang.clone(),
            tz: user.tz.clone(),
            csrf: String::new(),
            started: now,
            last_used: now,
        }
    }

    /// Refuses unless the user's role is at least `needed`.
    pub fn require(&self, needed: Role) -> Result<()> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "this needs the {} role; {} is {}",
                needed.as_str(),
                self.user,
                self.role.as_str()
            )))
        }
    }
}

/// Sessions in memory, by token.
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
    idle: Duration,
    max: Duration,
}

impl Sessions {
    /// Sessions ending after `idle` unused or `max` after login.
    pub fn new(idle: Duration, max: Duration) -> Sessions {
        Sessions {
            by_token: Mutex::new(HashMap::new()),
            idle,
            max,
        }
    }

    /// Starts a session for `user`; returns its token.
    pub fn start(&self, user: &User) -> Result<String> {
        let token = crate::fsutil::token()?;
        let now = Instant::now();
        let session = Session {
            user: user.name.clone(),
            role: user.role,
            lang: user.lang.clone(),
            tz: user.tz.clone(),
            csrf: crate::fsutil::token()?,
            started: now,
            last_used: now,
        };
        let mut map = self.lock();
        map.retain(|_, s| self.alive(s, now));
        map.insert(token.clone(), session);
        Ok(token)
    }

    /// The live session of `token` (its idle time restarts), or none.
    pub fn get(&self, token: &str) -> Option<Session> {
        let now = Instant::now();
        let mut map = self.lock();
        let alive = map.get(token).is_some_and(|s| self.alive(s, now));
        if !alive {
            map.remove(token);
            return None;
        }
        let session = map.get_mut(token)?;
        session.last_used = now;
        Some(session.clone())
    }

    /// Ends a session.
    pub fn end(&self, token: &str) {
        self.lock().remove(token);
    }

    /// Ends every session of a user (removed, or role changed).
    pub fn end_user(&self, name: &str) {
        self.lock().retain(|_, s| s.user != name);
    }

    /// Updates the language and zone of a user's sessions.
    pub fn set_preferences(&self, name: &str, lang: &str, tz: &str) {
        for s in self.lock().values_mut().filter(|s| s.user == name) {
            s.lang = lang.to_owned();
            s.tz = tz.to_owned();
        }
    }

    fn alive(&self, s: &Session, now: Instant) -> bool {
        now.duration_since(s.last_used) < self.idle && now.duration_since(s.started) < self.max
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the map cannot leave a session half-written: keep serving.
        self.by_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Failed logins per account and per client address.
pub struct Lockout {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    limit: usize,
    window: Duration,
}

impl Lockout {
    /// Locks after `limit` failures within `window`, for `window`.
    pub fn new(limit: u32, window: Duration) -> Lockout {
        Lockout {
            failures: Mutex::new(HashMap::new()),
            limit: limit.max(1) as usize,
            window,
        }
    }

    /// How long until `user` from `peer` may try again; zero when not locked.
    pub fn locked_for(&self, user: &str, peer: IpAddr) -> Duration {
        let now = Instant::now();
        let mut map = self.lock();
        [account_key(user), address_key(peer)]
            .iter()
            .map(|key| self.remaining(&mut map, key, now))
            .max()
            .unwrap_or_default()
    }

    /// Counts a failure; true when it is the one that locks the account or the address.
    pub fn fail(&self, user: &str, peer: IpAddr) -> bool {
        let now = Instant::now();
        let mut map = self.lock();
        let mut locks = false;
        for key in [account_key(user), address_key(peer)] {
            let list = map.entry(key).or_default();
            while list
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window)
            {
                list.pop_front();
            }
            list.push_back(now);
            locks |= list.len() == self.limit;
            if list.len() > self.limit {
                list.pop_front();
            }
        }
        locks
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn succeed(&self, user: &str) {
        self.lock().remove(&account_key(user));
    }

    fn remaining(
        &self,
        map: &mut HashMap<String, VecDeque<Instant>>,
        key: &str,
        now: Instant,
    ) -> Duration {
        let Some(list) = map.get_mut(key) else {
            return Duration::ZERO;
        };
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            list.pop_front();
        }
        match (list.len() >= self.limit, list.back()) {
            (true, Some(last)) => self.window.saturating_sub(now.duration_since(*last)),
            _ => Duration::ZERO,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn account_key(user: &str) -> String {
    format!("user:{}", user.to_lowercase())
}

fn address_key(peer: IpAddr) -> String {
    format!("addr:{peer}")
}

/// What happened at the login page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthEvent {
    /// Wrong name or password.
    Failure,
    /// Refused because the account or address is locked out.
    Refused,
    /// This failure locked the account or the address.
    LockedOut,
    /// Logged in.
    Login,
    /// Logged out.
    Logout,
}

/// The login-event file the daemon tails.
pub struct AuthLog {
    path: PathBuf,
    host: String,
    lock: Mutex<()>,
}

impl AuthLog {
    /// The data directory's login-event file; its directory is made now so the daemon's tail
    /// finds it.
    pub fn open(data_dir: &std::path::Path) -> Result<AuthLog> {
        let path = data_dir.join(canhgac_engine::config::UI_AUTH_LOG);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "canhgac".to_owned());
        Ok(AuthLog {
            path,
            host: printable(&host),
            lock: Mutex::new(()),
        })
    }

    /// Appends one event. The user name came from the login form, so it is cut to what a name
    /// may hold: it must not forge a second line or a different field in the record.
    pub fn record(&self, event: AuthEvent, user: &str, peer: IpAddr, detail: &str) -> Result<()> {
        let user = printable_name(user);
        let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        // authpriv (10): notice (5) for failures, info (6) otherwise.
        let (severity, message) = match event {
            AuthEvent::Failure => (
                5,
                format!(
                    "pam_unix(canhgac-ui:auth): authentication failure; logname= uid=0 euid=0 \
                     tty=http ruser= rhost={peer}  user={user}"
                ),
            ),
            AuthEvent::Refused => (
                5,
                format!(
                    "pam_unix(canhgac-ui:auth): authentication failure; logname= uid=0 euid=0 \
                     tty=http ruser= rhost={peer}  user={user} (refused: locked out)"
                ),
            ),
            AuthEvent::LockedOut => (
                4,
                format!(
                    "account {user} locked out after repeated failed logins from {peer}; {}",
                    printable(detail)
                ),
            ),
            AuthEvent::Login => (
                6,
                format!(
                    "pam_unix(canhgac-ui:session): session opened for user {user} by (uid=0) rhost={peer}"
                ),
            ),
            AuthEvent::Logout => (
                6,
                format!("pam_unix(canhgac-ui:session): session closed for user {user}"),
            ),
        };
        let line = format!(
            "<{}>1 {ts} {} canhgac-ui {} - - {message}\n",
            10 * 8 + severity,
            self.host,
            std::process::id()
        );
        let _held = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| Error::io(&self.path, e))?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }
}

/// A name as written in a login event: at most 64 letters, digits and `._@-`, anything else `?`.
fn printable_name(s: &str) -> String {
    printable(s).replace([' ', ',', ':'], "?")
}

/// At most 64 characters of letters, digits, spaces and `._@-,:`; anything else becomes `?`.
fn printable(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(64)
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '_' | '@' | '-' | ' ' | ',' | ':') {
                c
            } else {
                '?'
            }
        })
        .collect();
    if out.is_empty() {
        out.push('-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_after_the_limit_and_only_for_that_account_or_address() {
        let lockout = Lockout::new(3, Duration::from_secs(60));
        let attacker: IpAddr = "203.0.113.9".parse().expect("ip");
        let analyst: IpAddr = "10.1.2.3".parse().expect("ip");
        assert!(!lockout.fail("admin", attacker));
        assert!(!lockout.fail("admin", attacker));
        assert_eq!(lockout.locked_for("admin", attacker), Duration::ZERO);
        assert!(lockout.fail("admin", attacker));
        assert!(lockout.locked_for("admin", attacker) > Duration::from_secs(50));
        // The account is locked from everywhere; the address for every account.
        assert!(lockout.locked_for("admin", analyst) > Duration::ZERO);
        assert!(lockout.locked_for("lan", attacker) > Duration::ZERO);
        assert_eq!(lockout.locked_for("lan", analyst), Duration::ZERO);
    }

    #[test]
    fn a_user_name_cannot_forge_a_log_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuthLog::open(dir.path()).expect("open");
        let peer: IpAddr = "10.0.0.1".parse().expect("ip");
        log.record(AuthEvent::Failure, "x\n<13>1 fake rhost=1.2.3.4", peer, "")
            .expect("record");
        let text = std::fs::read_to_string(dir.path().join(canhgac_engine::config::UI_AUTH_LOG))
            .expect("read");
        assert_eq!(text.lines().count(), 1);
        assert!(text.contains("rhost=10.0.0.1  user=x??13?1?fake?rhost?1.2.3.4"));
    }
}
