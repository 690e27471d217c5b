//! pfSense and OPNsense logins to the web GUI, the firewall's own administration: `php-fpm[123]:
//! /index.php: webConfigurator authentication error for user 'admin' from: 203.0.113.9`
//! (pfSense), `audit[123]: /index.php: Web GUI authentication error for 'root' from
//! 203.0.113.9` (OPNsense). Their packet logs are `filterlog` (see `filterlog.rs`).

use std::sync::LazyLock;

use super::{Sentences, capture_column};
use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::payload::PayloadParser;

/// pfSense / OPNsense web GUI logins.
pub struct PfSense;

#[rustfmt::skip]
static LOGINS: &[(&str, &str, Option<&str>)] = &[
    ("", "{page}: webConfigurator authentication error for user '{user}' from: {src}", Some(FAILURE)),
    ("", "{page}: webConfigurator authentication error for user '{user}' from {src}", Some(FAILURE)),
    ("", "{page}: Web GUI authentication error for '{user}' from {src}", Some(FAILURE)),
    ("", "{page}: Successful login for user '{user}' from: {src} ({method})", Some(SUCCESS)),
    ("", "{page}: Successful login for user '{user}' from: {src}", Some(SUCCESS)),
    ("", "{page}: User logged in for user '{user}' from: {src}", Some(SUCCESS)),
    ("", "{page}: User logged out for user '{user}' from: {src} ({method})", None),
    ("", "{page}: User logged out for user '{user}' from: {src}", None),
];

static LOGIN_SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(LOGINS));

impl PayloadParser for PfSense {
    fn source_type(&self) -> SourceType {
        SourceType::PfSense
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        matches!(app, Some("php-fpm" | "php" | "php-cgi" | "audit"))
            && message.trim_start().starts_with('/')
            && LOGIN_SET.matches("", message.trim())
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        if LOGIN_SET.apply("", message.trim(), ev, capture_column) {
            // Logins have an outcome; a logout has none.
            let event = if ev.outcome.is_some() {
                "web_gui_login"
            } else {
                "web_gui_logout"
            };
            ev.field("event", event);
            Ok(())
        } else {
            Err("not a web GUI login sentence")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn every_sentence_compiles() {
        assert_eq!(LOGIN_SET.len(), LOGINS.len());
    }

    #[test]
    fn pfsense_and_opnsense_gui_logins() {
        let ev = parse(
            "<35>Nov 28 10:00:00 pfsense.local php-fpm[12345]: /index.php: webConfigurator authentication error for user 'admin' from: 203.0.113.9",
        );
        assert_eq!(ev.source_type, SourceType::PfSense);
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some("failure"));
        let ev = parse(
            "<38>Nov 28 10:00:00 pfsense.local php-fpm[12345]: /index.php: Successful login for user 'admin' from: 10.1.1.5 (Local Database)",
        );
        assert_eq!(ev.outcome, Some("success"));
        assert_eq!(ev.get_field("method"), Some("Local Database"));
        let ev = parse(
            "<35>Nov 28 10:00:00 opnsense audit[12345]: /index.php: Web GUI authentication error for 'root' from 203.0.113.9",
        );
        assert_eq!(ev.source_type, SourceType::PfSense);
        assert_eq!(ev.user.as_deref(), Some("root"));
        assert_eq!(ev.outcome, Some("failure"));
        // php-fpm's other news is not claimed.
        let ev = parse("<38>Nov 28 10:00:00 web01 php-fpm[1]: [pool www] child 123 started");
        assert_eq!(ev.source_type, SourceType::Syslog);
    }
}
