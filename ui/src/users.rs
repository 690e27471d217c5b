//! Local users: `state/users.json` in the data directory, one record per user with an argon2id
//! hash of the password (PHC string: algorithm, parameters and salt travel with the hash), the
//! role and the user's display settings. The file is replaced atomically on every change, so a
//! crash leaves either the old or the new list; it is written with mode 0600.

use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The user list, relative to the data directory.
pub const USERS_FILE: &str = "state/users.json";

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// What a user may do. Each role may do everything the roles before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads dashboards, alerts, searches and reports.
    Viewer,
    /// Also triages alerts, runs SQL and hunts, makes reports.
    Analyst,
    /// Also manages users and rules.
    Admin,
}

impl Role {
    /// Parses `admin`, `analyst` or `viewer`.
    pub fn parse(text: &str) -> Result<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "analyst" => Ok(Role::Analyst),
            "viewer" => Ok(Role::Viewer),
            other => Err(Error::BadRequest(format!(
                "unknown role `{other}`: admin, analyst or viewer"
            ))),
        }
    }

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

/// One user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Argon2id hash of the password, as a PHC string.
    pub password_hash: String,
    /// Interface language: `vi` or `en`.
    #[serde(default = "default_lang")]
    pub lang: String,
    /// Zone for dates shown: an IANA name, `UTC` or an offset.
    #[serde(default = "default_tz")]
    pub tz: String,
    /// When the user was made (RFC 3339).
    pub created: String,
    /// API tokens for integrations (their SHA-256; the tokens themselves are shown once).
    #[serde(default)]
    pub api_tokens: Vec<ApiToken>,
}

/// An API token of a user, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiToken {
    /// SHA-256 of the token, hex.
    pub sha256: String,
    /// When it was made (RFC 3339).
    pub created: String,
}

/// What API tokens start with (so a leaked one is recognisable in a scanner or a log).
pub const TOKEN_PREFIX: &str = "cgk_";

fn default_lang() -> String {
    "vi".to_owned()
}

fn default_tz() -> String {
    "Asia/Ho_Chi_Minh".to_owned()
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct UserFile {
    users: Vec<User>,
}

/// The data directory's users.
#[derive(Debug, Clone)]
pub struct UserStore {
    path: PathBuf,
}

impl UserStore {
    /// The store of a data directory (the file is made by the first [`add`](Self::add)).
    pub fn new(data_dir: &Path) -> UserStore {
        UserStore {
            path: data_dir.join(USERS_FILE),
        }
    }

    /// Every user, in name order.
    pub fn list(&self) -> Result<Vec<User>> {
        let mut users = self.read()?.users;
        users.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(users)
    }

    /// One user by name.
    pub fn get(&self, name: &str) -> Result<Option<User>> {
        Ok(self.read()?.users.into_iter().find(|u| u.name == name))
    }

    /// Adds a user, or replaces the password and role of an existing one when `replace`.
    pub fn add(&self, name: &str, role: Role, password: &str, replace: bool) -> Result<User> {
        check_name(name)?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::BadRequest(format!(
                "a password needs at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        let mut file = self.read()?;
        let hash = hash_password(password)?;
        let user = match file.users.iter_mut().find(|u| u.name == name) {
            Some(_) if !replace => {
                return Err(Error::BadRequest(format!(
                    "user `{name}` exists (use --replace to set a new password and role)"
                )));
            }
            Some(existing) => {
                existing.role = role;
                existing.password_hash = hash;
                existing.clone()
            }
            None => {
                let user = User {
                    name: name.to_owned(),
                    role,
                    password_hash: hash,
                    lang: default_lang(),
                    tz: default_tz(),
                    created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    api_tokens: Vec::new(),
                };
                file.users.push(user.clone());
                user
            }
        };
        self.write(&file)?;
        Ok(user)
    }

    /// Removes a user; false when there was none of that name.
    pub fn remove(&self, name: &str) -> Result<bool> {
        let mut file = self.read()?;
        let before = file.users.len();
        file.users.retain(|u| u.name != name);
        if file.users.len() == before {
            return Ok(false);
        }
        self.write(&file)?;
        Ok(true)
    }

    /// Sets a user's language and zone.
    pub fn set_preferences(&self, name: &str, lang: &str, tz: &str) -> Result<()> {
        if !matches!(lang, "vi" | "en") {
            return Err(Error::BadRequest(format!("unknown language `{lang}`")));
        }
        canhgac_parsers::time::Zone::parse(tz)
            .map_err(|e| Error::BadRequest(format!("zone `{tz}`: {e}")))?;
        self.update(name, |user| {
            user.lang = lang.to_owned();
            user.tz = tz.to_owned();
        })
    }

    /// Makes a new API token for a user (for integrations: `Authorization: Bearer TOKEN` on
    /// `/api/`); returns it. Only its hash is kept.
    pub fn new_token(&self, name: &str) -> Result<String> {
        let token = format!("{TOKEN_PREFIX}{}", crate::fsutil::token()?);
        self.update(name, |user| {
            user.api_tokens.push(ApiToken {
                sha256: sha256_hex(&token),
                created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            });
        })?;
        Ok(token)
    }

    /// Removes every API token of a user; how many there were.
    pub fn revoke_tokens(&self, name: &str) -> Result<usize> {
        self.update(name, |user| std::mem::take(&mut user.api_tokens).len())
    }

    /// Changes one user's record and writes the list; `NotFound` when there is no such user.
    fn update<T>(&self, name: &str, change: impl FnOnce(&mut User) -> T) -> Result<T> {
        let mut file = self.read()?;
        let Some(user) = file.users.iter_mut().find(|u| u.name == name) else {
            return Err(Error::NotFound(format!("no user `{name}`")));
        };
        let out = change(user);
        self.write(&file)?;
        Ok(out)
    }

    /// The user an API token belongs to.
    pub fn by_token(&self, token: &str) -> Result<Option<User>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = sha256_hex(token);
        Ok(self.read()?.users.into_iter().find(|u| {
            u.api_tokens
                .iter()
                .any(|t| crate::guard::constant_time_eq(&t.sha256, &hash))
        }))
    }

    /// The user if `password` is theirs. Unknown users cost the same hashing time as known ones,
    /// so response times do not tell which names exist.
    pub fn verify(&self, name: &str, password: &str) -> Result<Option<User>> {
        let user = self.get(name)?;
        let hash = match &user {
            Some(u) => u.password_hash.clone(),
            None => dummy_hash()?,
        };
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| Error::Internal(format!("stored password hash of `{name}`: {e}")))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(user.filter(|_| ok))
    }

    fn read(&self) -> Result<UserFile> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::Internal(format!("{}: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(UserFile::default()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }

    fn write(&self, file: &UserFile) -> Result<()> {
        let text = serde_json::to_vec_pretty(file).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(canhgac_engine::serve::replace_private(&self.path, &text)?)
    }
}

/// Names are what appears in the audit trail: short, printable, no spaces.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "user name `{}` must be 1-64 letters, digits, `.`, `_`, `-` or `@`",
            canhgac_engine::text::visible(name)
        )))
    }
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    crate::fsutil::random(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))?
        .to_string())
}

fn dummy_hash() -> Result<String> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password("not a password anyone has")?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_roles_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = UserStore::new(dir.path());
        store
            .add("lan.nguyen", Role::Analyst, "mat-khau-dai-12", false)
            .expect("add");
        assert!(
            store
                .verify("lan.nguyen", "mat-khau-dai-12")
                .expect("verify")
                .is_some()
        );
        assert!(
            store
                .verify("lan.nguyen", "wrong-password")
                .expect("verify")
                .is_none()
        );
        assert!(
            store
                .verify("nobody", "mat-khau-dai-12")
                .expect("verify")
                .is_none()
        );
        assert!(
            store
                .add("lan.nguyen", Role::Admin, "another-long-one", false)
                .is_err()
        );
        assert!(store.add("x", Role::Admin, "short", false).is_err());
        assert!(
            store
                .add("a b", Role::Admin, "long enough pw", false)
                .is_err()
        );
        let text = std::fs::read_to_string(dir.path().join(USERS_FILE)).expect("read");
        assert!(text.contains("$argon2id$") && !text.contains("mat-khau-dai-12"));
        assert!(Role::Viewer < Role::Analyst && Role::Analyst < Role::Admin);
    }

    #[test]
    fn api_tokens_are_stored_hashed_and_find_their_user() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = UserStore::new(dir.path());
        store
            .add("soar", Role::Analyst, "mat-khau-dai-12", false)
            .expect("add");
        let token = store.new_token("soar").expect("token");
        assert!(token.starts_with(TOKEN_PREFIX) && token.len() == TOKEN_PREFIX.len() + 64);
        let found = store.by_token(&token).expect("lookup").expect("user");
        assert_eq!(found.name, "soar");
        assert!(store.by_token("cgk_0000").expect("lookup").is_none());
        let text = std::fs::read_to_string(dir.path().join(USERS_FILE)).expect("read");
        assert!(!text.contains(&token[TOKEN_PREFIX.len()..]));
        assert_eq!(store.revoke_tokens("soar").expect("revoke"), 1);
        assert!(store.by_token(&token).expect("lookup").is_none());
    }
}
