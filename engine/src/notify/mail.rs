//! What a mail says: subject, plain-text part and HTML part, in Vietnamese or English.
//!
//! Everything that comes from a log (titles of imported rules included) is treated as written by
//! an attacker: escaped in HTML, control and bidirectional-override characters made visible in
//! text, and reduced to one plain line in the subject, so no log text can add or change a header.
//! lettre then encodes non-ASCII subjects per RFC 2047.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use canhgac_parsers::time::Zone;
use canhgac_rules::Alert;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::config::Lang;
use super::route::{Digest, DigestEntry, department};
use crate::config::GroupConfig;
use crate::error::{Error, Result};
use crate::text::{html, is_hidden, visible};

/// Longest subject kept (characters); longer ones end in "…".
const SUBJECT_MAX: usize = 160;

/// A mail's content before it becomes a message.
#[derive(Debug, Clone)]
pub struct Composed {
    /// One line, already safe for a header.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// A file attached to a mail (reports).
#[derive(Debug, Clone)]
pub struct MailAttachment {
    /// File name shown to the recipient.
    pub filename: String,
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// The bytes.
    pub body: Vec<u8>,
}

/// Writes mails about alerts.
#[derive(Debug, Clone)]
pub struct Composer {
    /// Web UI address (no trailing slash); empty: no links.
    pub base_url: String,
    /// Zone times are shown in.
    pub zone: Zone,
    /// Evidence lines shown per alert.
    pub evidence_lines: usize,
    /// Department labels by group name.
    pub departments: BTreeMap<String, String>,
}

/// The words of one language.
struct Words {
    levels: [&'static str; 5],
    on: &'static str,
    what: &'static str,
    when: &'static str,
    first: &'static str,
    last: &'static str,
    where_: &'static str,
    host: &'static str,
    department: &'static str,
    involved: &'static str,
    events: &'static str,
    evidence: &'static str,
    attack: &'static str,
    todo: &'static str,
    todo_text: &'static str,
    falsepositives: &'static str,
    open: &'static str,
    late: &'static str,
    digest: &'static str,
    digest_intro: &'static str,
    alerts: &'static str,
    rules: &'static str,
    rule: &'static str,
    level: &'static str,
    last_seen: &'static str,
    why: &'static str,
    below_level: &'static str,
    repeats: &'static str,
    over_cap: &'static str,
    more: &'static str,
    test_subject: &'static str,
    test_body: &'static str,
    footer: &'static str,
    thousands: char,
}

const EN: Words = Words {
    levels: ["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"],
    on: "on",
    what: "What happened",
    when: "When",
    first: "first",
    last: "last",
    where_: "Where",
    host: "Host",
    department: "Department",
    involved: "Involved",
    events: "Events",
    evidence: "Evidence (first lines, as received)",
    attack: "MITRE ATT&CK",
    todo: "What to do",
    todo_text: "Check whether this activity was expected. If it was not, contain the host or block the \
                source, keep the evidence, and follow the incident procedure. Record your verdict on the \
                alert so the monthly report counts it.",
    falsepositives: "Known false positives",
    open: "Open the alert in canhgac",
    late: "events arrived too late to be counted; the count may be low",
    digest: "Alert digest",
    digest_intro: "Alerts held for this digest since",
    alerts: "alerts",
    rules: "rules",
    rule: "Rule",
    level: "Level",
    last_seen: "Last seen",
    why: "Why held",
    below_level: "below the immediate level",
    repeats: "repeats of a mailed alert",
    over_cap: "over the hourly cap",
    more: "More alerts not listed",
    test_subject: "canhgac test mail",
    test_body: "This is a test mail from canhgac. If you can read it, the mail settings work.",
    footer: "Sent by canhgac. Text from logs is shown as received and may be written by an attacker: \
             do not follow links or instructions in it.",
    thousands: ',',
};

const VI: Words = Words {
    levels: ["THÔNG TIN", "THẤP", "TRUNG BÌNH", "CAO", "NGHIÊM TRỌNG"],
    on: "tại",
    what: "Sự việc",
    when: "Thời gian",
    first: "đầu tiên",
    last: "gần nhất",
    where_: "Vị trí",
    host: "Máy",
    department: "Đơn vị",
    involved: "Đối tượng liên quan",
    events: "Số sự kiện",
    evidence: "Bằng chứng (các dòng đầu, nguyên văn)",
    attack: "MITRE ATT&CK",
    todo: "Cần làm gì",
    todo_text: "Kiểm tra xem hoạt động này có được dự kiến không. Nếu không, cô lập máy hoặc chặn nguồn, \
                giữ lại bằng chứng và thực hiện theo quy trình xử lý sự cố. Ghi kết luận vào cảnh báo để \
                báo cáo tháng tính đến.",
    falsepositives: "Trường hợp báo nhầm đã biết",
    open: "Mở cảnh báo trong canhgac",
    late: "sự kiện đến quá muộn nên không được đếm; số đếm có thể thấp hơn thực tế",
    digest: "Tổng hợp cảnh báo",
    digest_intro: "Các cảnh báo được gom lại từ",
    alerts: "cảnh báo",
    rules: "quy tắc",
    rule: "Quy tắc",
    level: "Mức độ",
    last_seen: "Lần cuối",
    why: "Lý do gom",
    below_level: "dưới mức gửi ngay",
    repeats: "lặp lại cảnh báo đã gửi",
    over_cap: "vượt giới hạn mỗi giờ",
    more: "Cảnh báo khác không liệt kê",
    test_subject: "Thư thử nghiệm canhgac",
    test_body: "Đây là thư thử nghiệm từ canhgac. Nếu bạn đọc được thư này, cấu hình thư đã hoạt động.",
    footer: "Gửi từ canhgac. Nội dung nhật ký được giữ nguyên và có thể do kẻ tấn công viết: không mở \
             liên kết hay làm theo hướng dẫn trong đó.",
    thousands: '.',
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

impl Composer {
    /// A composer for these settings.
    pub fn new(
        config: &super::config::NotifyConfig,
        groups: &BTreeMap<String, GroupConfig>,
    ) -> Composer {
        Composer {
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            zone: Zone::parse(&config.timezone).unwrap_or_default(),
            evidence_lines: config.evidence_lines,
            departments: groups
                .iter()
                .map(|(name, g)| {
                    let label = if g.label.is_empty() { name } else { &g.label };
                    (name.clone(), label.clone())
                })
                .collect(),
        }
    }

    /// The mail about one alert.
    pub fn alert(&self, alert: &Alert, lang: Lang) -> Composed {
        let w = words(lang);
        let level = level_word(w, &alert.level);
        let first = alert.evidence.first();
        let host = first.and_then(|e| e.host.as_deref());
        let dept = department(alert).map(|d| self.department(d));
        let mut subject = format!("[canhgac][{level}] {}", alert.title);
        if let Some(h) = host {
            let _ = write!(subject, " {} {h}", w.on);
        }
        if let Some(d) = &dept {
            let _ = write!(subject, " ({d})");
        }

        let when = if alert.first_ts == alert.last_ts {
            self.time(&alert.first_ts)
        } else {
            format!(
                "{} ({}) – {} ({})",
                self.time(&alert.first_ts),
                w.first,
                self.time(&alert.last_ts),
                w.last
            )
        };
        let involved: Vec<(String, String)> = if alert.group_by.is_empty() {
            first
                .map(|e| {
                    [
                        ("src_ip", &e.src_ip),
                        ("dst_ip", &e.dst_ip),
                        ("user", &e.user),
                    ]
                    .into_iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_owned(), v.clone())))
                    .collect()
                })
                .unwrap_or_default()
        } else {
            alert
                .group_by
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let mut events = self.number(alert.count as u64, w);
        if alert.late_events > 0 {
            let _ = write!(events, " (+{} {})", alert.late_events, w.late);
        }
        let evidence: Vec<&str> = alert
            .evidence
            .iter()
            .take(self.evidence_lines)
            .map(|e| e.raw.as_str())
            .collect();
        let link = self.link(&alert.id);

        // Plain text.
        let mut text = String::new();
        let _ = writeln!(text, "[{level}] {}\n", visible(&alert.title));
        let _ = writeln!(text, "{}:", w.what);
        let _ = writeln!(
            text,
            "  {}",
            lines(
                alert.description.as_deref().unwrap_or(&alert.title),
                visible,
                "\n  "
            )
        );
        let _ = writeln!(text, "\n{}: {when}", w.when);
        if host.is_some() || dept.is_some() {
            let _ = writeln!(text, "{}:", w.where_);
            if let Some(h) = host {
                let _ = writeln!(text, "  {}: {}", w.host, visible(h));
            }
            if let Some(d) = &dept {
                let _ = writeln!(text, "  {}: {}", w.department, visible(d));
            }
        }
        if !involved.is_empty() {
            let _ = writeln!(text, "{}:", w.involved);
            for (k, v) in &involved {
                let _ = writeln!(text, "  {}: {}", visible(k), visible(v));
            }
        }
        let _ = writeln!(text, "{}: {events}", w.events);
        if !alert.techniques.is_empty() {
            let _ = writeln!(
                text,
                "{}: {}",
                w.attack,
                visible(&alert.techniques.join(", "))
            );
        }
        let _ = writeln!(text, "\n{}:", w.evidence);
        for line in &evidence {
            let _ = writeln!(text, "  | {}", visible(line));
        }
        let _ = writeln!(text, "\n{}:\n  {}", w.todo, w.todo_text);
        if !alert.falsepositives.is_empty() {
            let _ = writeln!(text, "{}:", w.falsepositives);
            for f in &alert.falsepositives {
                let _ = writeln!(text, "  - {}", visible(f));
            }
        }
        if let Some(l) = &link {
            let _ = writeln!(text, "\n{}: {l}", w.open);
        }
        let _ = writeln!(
            text,
            "\n-- \n{}\nID: {} / {}",
            w.footer,
            alert.id,
            visible(&alert.rule_id)
        );

        // HTML.
        let mut body = String::new();
        let _ = write!(
            body,
            "<h2 style=\"margin:0 0 8px\">{} {}</h2>",
            badge(&alert.level, level),
            html(&alert.title)
        );
        let _ = write!(
            body,
            "<p>{}</p><table cellpadding=\"4\" style=\"border-collapse:collapse\">",
            lines(
                alert.description.as_deref().unwrap_or(&alert.title),
                html,
                "<br>"
            )
        );
        row(&mut body, w.when, &html(&when));
        if let Some(h) = host {
            row(&mut body, w.host, &html(h));
        }
        if let Some(d) = &dept {
            row(&mut body, w.department, &html(d));
        }
        for (k, v) in &involved {
            row(&mut body, k, &format!("<code>{}</code>", html(v)));
        }
        row(&mut body, w.events, &html(&events));
        if !alert.techniques.is_empty() {
            let links: Vec<String> = alert.techniques.iter().map(|t| attack_link(t)).collect();
            row(&mut body, w.attack, &links.join(", "));
        }
        body.push_str("</table>");
        let _ = write!(
            body,
            "<h3>{}</h3><pre style=\"white-space:pre-wrap;background:#f4f4f4;padding:8px\">",
            w.evidence
        );
        for line in &evidence {
            let _ = writeln!(body, "{}", html(line));
        }
        body.push_str("</pre>");
        let _ = write!(body, "<h3>{}</h3><p>{}</p>", w.todo, w.todo_text);
        if !alert.falsepositives.is_empty() {
            let _ = write!(body, "<p><b>{}:</b></p><ul>", w.falsepositives);
            for f in &alert.falsepositives {
                let _ = write!(body, "<li>{}</li>", html(f));
            }
            body.push_str("</ul>");
        }
        if let Some(l) = &link {
            let _ = write!(body, "<p><a href=\"{}\">{}</a></p>", html(l), w.open);
        }
        let _ = write!(
            body,
            "<p style=\"color:#666;font-size:small\">{}<br>ID: {} / {}</p>",
            w.footer,
            html(&alert.id),
            html(&alert.rule_id)
        );

        Composed {
            subject: header_line(&subject),
            text,
            html: page(lang, &body),
        }
    }

    /// The digest of a route.
    pub fn digest(&self, route: &str, digest: &Digest, lang: Lang) -> Composed {
        let w = words(lang);
        let rules: std::collections::BTreeSet<&str> = digest
            .entries
            .iter()
            .map(|e| e.alert.rule_id.as_str())
            .collect();
        let since = self.micros(digest.since);
        let subject = format!(
            "[canhgac] {} ({route}): {} {}, {} {}",
            w.digest,
            self.number(digest.alerts(), w),
            w.alerts,
            rules.len(),
            w.rules
        );
        let mut text = format!(
            "{} ({route})\n{} {since}: {} {}, {} {}\n\n",
            w.digest,
            w.digest_intro,
            self.number(digest.alerts(), w),
            w.alerts,
            self.number(digest.events(), w),
            w.events.to_lowercase()
        );
        let mut body = format!(
            "<h2>{} ({})</h2><p>{} {}: <b>{} {}</b>, {} {}</p>\
             <table cellpadding=\"4\" border=\"1\" style=\"border-collapse:collapse\">\
             <tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            w.digest,
            html(route),
            w.digest_intro,
            html(&since),
            self.number(digest.alerts(), w),
            w.alerts,
            self.number(digest.events(), w),
            w.events.to_lowercase(),
            w.level,
            w.rule,
            w.involved,
            w.alerts,
            w.events,
            w.last_seen,
            w.why
        );
        let mut entries: Vec<&DigestEntry> = digest.entries.iter().collect();
        // Most severe first, then the noisiest.
        entries.sort_by(|a, b| {
            crate::index::level_rank(&b.alert.level)
                .cmp(&crate::index::level_rank(&a.alert.level))
                .then(b.alerts.cmp(&a.alerts))
        });
        for e in entries {
            let a = &e.alert;
            let level = level_word(w, &a.level);
            let involved = a.involved().join(" ");
            let why = self.why(e, w);
            let _ = writeln!(
                text,
                "[{level}] {}\n  {}: {} | {} {}, {} {} | {}: {} | {}",
                visible(&a.title),
                w.involved,
                visible(&involved),
                self.number(e.alerts, w),
                w.alerts,
                self.number(e.events, w),
                w.events.to_lowercase(),
                w.last_seen,
                self.time(&e.last_ts),
                why
            );
            if let Some(l) = self.link(&a.id) {
                let _ = writeln!(text, "  {l}");
            }
            let title = match self.link(&a.id) {
                Some(l) => format!("<a href=\"{}\">{}</a>", html(&l), html(&a.title)),
                None => html(&a.title),
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{title}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                badge(&a.level, level),
                html(&involved),
                self.number(e.alerts, w),
                self.number(e.events, w),
                html(&self.time(&e.last_ts)),
                html(&why)
            );
        }
        body.push_str("</table>");
        if digest.more_alerts > 0 {
            let more = format!(
                "{}: {} {}, {} {}",
                w.more,
                self.number(digest.more_alerts, w),
                w.alerts,
                self.number(digest.more_events, w),
                w.events.to_lowercase()
            );
            let _ = writeln!(text, "\n{more}");
            let _ = write!(body, "<p>{}</p>", html(&more));
        }
        let _ = writeln!(text, "\n-- \n{}", w.footer);
        let _ = write!(
            body,
            "<p style=\"color:#666;font-size:small\">{}</p>",
            w.footer
        );
        Composed {
            subject: header_line(&subject),
            text,
            html: page(lang, &body),
        }
    }

    /// The `notify test` mail.
    pub fn test(&self, lang: Lang) -> Composed {
        let w = words(lang);
        Composed {
            subject: w.test_subject.to_owned(),
            text: format!("{}\n", w.test_body),
            html: page(lang, &format!("<p>{}</p>", w.test_body)),
        }
    }

    fn why(&self, e: &DigestEntry, w: &Words) -> String {
        let mut parts = Vec::new();
        for (n, label) in [
            (e.below_level, w.below_level),
            (e.repeats, w.repeats),
            (e.over_cap, w.over_cap),
        ] {
            if n > 0 {
                parts.push(format!("{} {label}", self.number(n, w)));
            }
        }
        parts.join("; ")
    }

    fn department(&self, group: &str) -> String {
        self.departments
            .get(group)
            .cloned()
            .unwrap_or_else(|| group.to_owned())
    }

    fn link(&self, id: &str) -> Option<String> {
        (!self.base_url.is_empty()).then(|| format!("{}/alerts/{id}", self.base_url))
    }

    fn time(&self, rfc3339: &str) -> String {
        self.micros(canhgac_rules::alert::micros_of(rfc3339))
    }

    fn micros(&self, micros: i64) -> String {
        let offset = self.zone.offset_at(micros);
        chrono::DateTime::from_timestamp_micros(micros)
            .map(|t| {
                t.with_timezone(&offset)
                    .format("%Y-%m-%d %H:%M:%S %:z")
                    .to_string()
            })
            .unwrap_or_default()
    }

    fn number(&self, n: u64, w: &Words) -> String {
        let digits = n.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(w.thousands);
            }
            out.push(c);
        }
        out
    }
}

/// Multi-line rule text (descriptions): each line made safe, joined by `sep`.
fn lines(text: &str, safe: fn(&str) -> String, sep: &str) -> String {
    text.trim()
        .lines()
        .map(|l| safe(l.trim_end()))
        .collect::<Vec<_>>()
        .join(sep)
}

fn level_word(w: &Words, level: &str) -> &'static str {
    let rank = crate::index::level_rank(level) as usize;
    w.levels[rank.min(4)]
}

fn badge(level: &str, word: &str) -> String {
    let color = match level {
        "critical" => "#7b1fa2",
        "high" => "#c62828",
        "medium" => "#ef6c00",
        "low" => "#1565c0",
        _ => "#555",
    };
    format!(
        "<span style=\"background:{color};color:#fff;padding:2px 6px;border-radius:3px;font-size:small\">{}</span>",
        html(word)
    )
}

fn row(out: &mut String, label: &str, value_html: &str) {
    let _ = write!(
        out,
        "<tr><td style=\"color:#555;vertical-align:top\">{}</td><td>{value_html}</td></tr>",
        html(label)
    );
}

/// A link to the technique on attack.mitre.org, for ids that look like one; else plain text.
fn attack_link(technique: &str) -> String {
    let valid = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let (base, sub) = technique.split_once('.').unwrap_or((technique, ""));
    let ok = base.len() == 5
        && base.starts_with('T')
        && valid(&base[1..], 4)
        && (sub.is_empty() || valid(sub, 3));
    if !ok {
        return html(technique);
    }
    let path = if sub.is_empty() {
        base.to_owned()
    } else {
        format!("{base}/{sub}")
    };
    format!("<a href=\"https://attack.mitre.org/techniques/{path}/\">{technique}</a>")
}

fn page(lang: Lang, body: &str) -> String {
    let code = match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    };
    format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222\">{body}</body></html>"
    )
}

/// One line fit for a header: hidden characters (CR and LF among them) become spaces, runs of
/// spaces one, and the result is cut at [`SUBJECT_MAX`] characters.
pub fn header_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(SUBJECT_MAX * 4));
    let mut count = 0;
    let mut last_space = true;
    for c in s.chars() {
        let c = if is_hidden(c) || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if count == SUBJECT_MAX {
            out.push('…');
            break;
        }
        out.push(c);
        count += 1;
    }
    out.trim_end().to_owned()
}

/// Builds the message: both parts, then any attachments. Recipients come from the configuration,
/// never from a log.
pub fn message(
    from: &Mailbox,
    to: &[Mailbox],
    composed: &Composed,
    message_id: &str,
    attachments: &[MailAttachment],
) -> Result<Message> {
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(header_line(&composed.subject))
        .message_id(Some(format!("<{message_id}@canhgac>")))
        .date_now();
    for m in to {
        builder = builder.to(m.clone());
    }
    let alternative = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(composed.text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(composed.html.clone()),
        );
    let built = if attachments.is_empty() {
        builder.multipart(alternative)
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for a in attachments {
            let content_type = ContentType::parse(&a.content_type).map_err(|e| {
                Error::Config(format!("attachment {}: content type: {e}", a.filename))
            })?;
            mixed = mixed.singlepart(
                Attachment::new(header_line(&a.filename)).body(a.body.clone(), content_type),
            );
        }
        builder.multipart(mixed)
    };
    built.map_err(|e| Error::Mail(format!("building the message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_header_can_be_added() {
        assert_eq!(
            header_line("SSH on web01\r\nBcc: attacker@evil.example\r\n\r\nbody"),
            "SSH on web01 Bcc: attacker@evil.example body"
        );
        let long = "ă".repeat(500);
        assert_eq!(header_line(&long).chars().count(), SUBJECT_MAX + 1);
    }

    #[test]
    fn numbers_and_attack_links() {
        let c = Composer {
            base_url: String::new(),
            zone: Zone::Utc,
            evidence_lines: 3,
            departments: BTreeMap::new(),
        };
        assert_eq!(c.number(10_000, &VI), "10.000");
        assert_eq!(c.number(1_234_567, &EN), "1,234,567");
        assert_eq!(c.number(999, &EN), "999");
        assert!(attack_link("T1110.001").contains("techniques/T1110/001/"));
        assert_eq!(attack_link("T1<b>"), "T1&lt;b&gt;");
    }
}
