//! Account management: useradd, userdel, usermod, groupadd, groupdel, groupmod, passwd, chpasswd,
//! chage, gpasswd. `new user: name=apache, UID=48, GID=48, home=/usr/share/httpd, shell=/sbin/nologin`.

use std::borrow::Cow;

use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use std::sync::LazyLock;

use crate::linux::{Sentence, Sentences, s};
use crate::payload::PayloadParser;

/// Shadow-utils account and group changes.
pub struct Accounts;

const PROGRAMS: &[&str] = &[
    "useradd", "userdel", "usermod", "groupadd", "groupdel", "groupmod", "passwd", "chpasswd",
    "chage", "gpasswd", "adduser", "deluser", "addgroup", "delgroup", "chsh", "chfn",
];

pub(crate) const SENTENCES: &[Sentence] = &[
    s(
        "add '{user}' to group '{group}'",
        "user_added_to_group",
        Some(SUCCESS),
    ),
    s(
        "add '{user}' to shadow group '{group}'",
        "user_added_to_group",
        Some(SUCCESS),
    ),
    s(
        "user {user} added by {by} to group {group}",
        "user_added_to_group",
        Some(SUCCESS),
    ),
    s(
        "members of group {group} set by {by} to {members?}",
        "group_members_set",
        Some(SUCCESS),
    ),
    s(
        "delete '{user}' from group '{group}'",
        "user_removed_from_group",
        Some(SUCCESS),
    ),
    s(
        "delete '{user}' from shadow group '{group}'",
        "user_removed_from_group",
        Some(SUCCESS),
    ),
    s(
        "user {user} removed by {by} from group {group}",
        "user_removed_from_group",
        Some(SUCCESS),
    ),
    s("delete user '{user}'", "user_deleted", Some(SUCCESS)),
    s(
        "removed group '{group}' owned by '{user}'",
        "group_deleted",
        Some(SUCCESS),
    ),
    s(
        "removed shadow group '{group}' owned by '{user}'",
        "group_deleted",
        Some(SUCCESS),
    ),
    s("group '{group}' removed", "group_deleted", Some(SUCCESS)),
    s(
        "group '{group}' removed from /etc/group",
        "group_deleted",
        Some(SUCCESS),
    ),
    s(
        "group '{group}' removed from /etc/gshadow",
        "group_deleted",
        Some(SUCCESS),
    ),
    s(
        "change user '{user}' password",
        "password_changed",
        Some(SUCCESS),
    ),
    s(
        "change user '{user}' shell from '{old_shell}' to '{shell}'",
        "user_modified",
        Some(SUCCESS),
    ),
    s(
        "change user '{user}' home from '{old_home}' to '{home}'",
        "user_modified",
        Some(SUCCESS),
    ),
    s("lock user '{user}' password", "user_locked", Some(SUCCESS)),
    s(
        "unlock user '{user}' password",
        "user_unlocked",
        Some(SUCCESS),
    ),
    s(
        "password for '{user}' changed by '{by}'",
        "password_changed",
        Some(SUCCESS),
    ),
    s(
        "changed password expiry for {user}",
        "password_expiry_changed",
        Some(SUCCESS),
    ),
    s(
        "failed adding user '{user}', data deleted",
        "user_created",
        Some(FAILURE),
    ),
    s(
        "failed adding user '{user}', exit code: {exit_code}",
        "user_created",
        Some(FAILURE),
    ),
    s(
        "change user name '{old_user}' to '{user}'",
        "user_modified",
        Some(SUCCESS),
    ),
    // `usermod`'s other changes: expiration, UID, GID, inactive days.
    s(
        "change user '{user}' {attribute} from '{old_value}' to '{value}'",
        "user_modified",
        Some(SUCCESS),
    ),
];

pub(crate) static SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(SENTENCES));

impl PayloadParser for Accounts {
    fn source_type(&self) -> SourceType {
        SourceType::LinuxAuth
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        app.is_some_and(|a| PROGRAMS.contains(&a)) && !message.trim_start().starts_with("pam_")
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let m = message.trim();
        let listing = [
            ("new user: ", "user_created"),
            ("new group: ", "group_created"),
            ("group added to /etc/group: ", "group_created"),
            ("group added to /etc/gshadow: ", "group_created"),
            ("new group added to /etc/group: ", "group_created"),
        ];
        for (prefix, event) in listing {
            if let Some(pairs) = m.strip_prefix(prefix) {
                comma_pairs(pairs, event == "user_created", ev);
                ev.field("event", event);
                ev.outcome = Some(SUCCESS);
                return Ok(());
            }
        }
        SET.apply(m, ev);
        Ok(())
    }
}

/// `name=apache, UID=48, GID=48, home=/usr/share/httpd`: `name` is the user (or the group).
fn comma_pairs<'a>(pairs: &'a str, names_user: bool, ev: &mut Event<'a>) {
    for pair in pairs.split(", ") {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        match k {
            "name" if names_user => ev.user = Some(Cow::Borrowed(v)),
            "name" => ev.field("group", v),
            _ => ev.field(k.to_ascii_lowercase(), v),
        }
    }
}
