//! Kernel messages relayed by syslog (`kernel: [  12.345678] ...`). The uptime stamp, when present,
//! goes to `fields.kernel_uptime`; firewall LOG lines are claimed earlier by their own parsers.

use std::borrow::Cow;

use crate::event::{Event, SourceType};
use crate::payload::PayloadParser;

/// Kernel ring-buffer messages.
pub struct Kernel;

impl PayloadParser for Kernel {
    fn source_type(&self) -> SourceType {
        SourceType::LinuxKernel
    }

    fn claims(&self, app: Option<&str>, _message: &str) -> bool {
        app == Some("kernel")
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let m = message.trim_start();
        if let Some(inner) = m.strip_prefix('[')
            && let Some((stamp, rest)) = inner.split_once(']')
        {
            let stamp = stamp.trim();
            if !stamp.is_empty() && stamp.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
                ev.field("kernel_uptime", stamp);
                ev.message = Some(Cow::Borrowed(rest.trim_start()));
            }
        }
        Ok(())
    }
}
