//! The report's forms: JSON (the figures as they are), CSV (one figure per line) and HTML (for
//! people, Vietnamese or English, with SVG charts). Every label from logs or rules is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Count, MonthlyReport};
use crate::error::{Error, Result};
use crate::notify::config::Lang;
use crate::text::html;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The figures as JSON.
    Json,
    /// `section,figure,key,value` lines.
    Csv,
    /// A page for people.
    Html,
}

/// Renders a report.
pub fn render(report: &MonthlyReport, format: Format, lang: Lang) -> Result<Vec<u8>> {
    match format {
        Format::Json => serde_json::to_vec_pretty(report)
            .map_err(|e| Error::Internal(format!("report json: {e}"))),
        Format::Csv => Ok(csv(report).into_bytes()),
        Format::Html => Ok(page(report, lang).into_bytes()),
    }
}

/// Flattens the JSON figures into `path,value` lines: every number and string, nothing omitted.
fn csv(report: &MonthlyReport) -> String {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    walk(
                        &format!("{prefix}{}{k}", if prefix.is_empty() { "" } else { "." }),
                        v,
                        out,
                    );
                }
            }
            serde_json::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, out);
                }
            }
            serde_json::Value::Null => {
                let _ = writeln!(out, "{},", quote(prefix));
            }
            serde_json::Value::String(s) => {
                let _ = writeln!(out, "{},{}", quote(prefix), quote(s));
            }
            other => {
                let _ = writeln!(out, "{},{other}", quote(prefix));
            }
        }
    }
    let mut out = String::from("figure,value\n");
    if let Ok(v) = serde_json::to_value(report) {
        walk("", &v, &mut out);
    }
    out
}

/// CSV quoting; a leading `=`, `+`, `-` or `@` is neutralised so a spreadsheet never runs log text
/// as a formula.
fn quote(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

struct Words {
    title: &'static str,
    period: &'static str,
    scope: &'static str,
    sources: &'static str,
    departments: &'static str,
    level: &'static str,
    events: &'static str,
    continuity: &'static str,
    per_day: &'static str,
    source: &'static str,
    failures: &'static str,
    rate: &'static str,
    silent: &'static str,
    none: &'static str,
    firewall: &'static str,
    denied: &'static str,
    top_denied: &'static str,
    alerts: &'static str,
    total: &'static str,
    previous: &'static str,
    by_level: &'static str,
    by_rule: &'static str,
    by_tactic: &'static str,
    by_department: &'static str,
    top_ips: &'static str,
    top_hosts: &'static str,
    top_users: &'static str,
    handling: &'static str,
    by_status: &'static str,
    by_resolution: &'static str,
    tta: &'static str,
    ttc: &'static str,
    open_by_age: &'static str,
    fp: &'static str,
    median: &'static str,
    digest: &'static str,
}

const EN: Words = Words {
    title: "Monthly security monitoring report",
    period: "Period",
    scope: "1. Scope",
    sources: "Sources monitored",
    departments: "Departments",
    level: "Security level",
    events: "Events",
    continuity: "2. Monitoring continuity",
    per_day: "Events per day",
    source: "Source",
    failures: "Parse failures",
    rate: "Rate",
    silent: "Silent periods",
    none: "none",
    firewall: "Firewall",
    denied: "Denied connections",
    top_denied: "Most denied source addresses",
    alerts: "3. Alerts",
    total: "Total",
    previous: "Previous month",
    by_level: "By level",
    by_rule: "By rule",
    by_tactic: "By ATT&CK tactic",
    by_department: "By department",
    top_ips: "Top source addresses",
    top_hosts: "Top targeted hosts",
    top_users: "Top accounts",
    handling: "4. Handling",
    by_status: "By status (end of period)",
    by_resolution: "By resolution",
    tta: "Time to acknowledge (minutes)",
    ttc: "Time to close (minutes)",
    open_by_age: "Open alerts by age",
    fp: "False-positive rate by rule",
    median: "median / p90 / n",
    digest: "SHA-256 of the figures",
};

const VI: Words = Words {
    title: "Báo cáo giám sát an toàn thông tin hằng tháng",
    period: "Kỳ báo cáo",
    scope: "1. Phạm vi",
    sources: "Nguồn được giám sát",
    departments: "Đơn vị",
    level: "Cấp độ",
    events: "Sự kiện",
    continuity: "2. Tính liên tục của giám sát",
    per_day: "Sự kiện theo ngày",
    source: "Nguồn",
    failures: "Bản ghi không phân tích được",
    rate: "Tỷ lệ",
    silent: "Khoảng thời gian im lặng",
    none: "không có",
    firewall: "Tường lửa",
    denied: "Kết nối bị chặn",
    top_denied: "Địa chỉ nguồn bị chặn nhiều nhất",
    alerts: "3. Cảnh báo",
    total: "Tổng số",
    previous: "Tháng trước",
    by_level: "Theo mức độ",
    by_rule: "Theo quy tắc",
    by_tactic: "Theo chiến thuật ATT&CK",
    by_department: "Theo đơn vị",
    top_ips: "Địa chỉ nguồn xuất hiện nhiều nhất",
    top_hosts: "Máy bị nhắm đến nhiều nhất",
    top_users: "Tài khoản xuất hiện nhiều nhất",
    handling: "4. Xử lý",
    by_status: "Theo trạng thái (cuối kỳ)",
    by_resolution: "Theo kết luận",
    tta: "Thời gian tiếp nhận (phút)",
    ttc: "Thời gian đóng (phút)",
    open_by_age: "Cảnh báo chưa đóng theo tuổi",
    fp: "Tỷ lệ báo nhầm theo quy tắc",
    median: "trung vị / p90 / số lượng",
    digest: "SHA-256 của số liệu",
};

fn table(out: &mut String, head: &[&str], rows: Vec<Vec<String>>) {
    out.push_str("<table><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", html(h));
    }
    out.push_str("</tr>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", html(&c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

fn map_rows(m: &BTreeMap<String, u64>) -> Vec<Vec<String>> {
    m.iter()
        .map(|(k, v)| vec![k.clone(), v.to_string()])
        .collect()
}

fn count_rows(v: &[Count]) -> Vec<Vec<String>> {
    v.iter()
        .map(|c| vec![c.key.clone(), c.count.to_string()])
        .collect()
}

/// A bar chart of values by day (SVG, no script).
fn bars(title: &str, per_day: &BTreeMap<String, u64>) -> String {
    let max = per_day.values().copied().max().unwrap_or(0).max(1);
    let (w, h, pad) = (720.0, 160.0, 20.0);
    let n = per_day.len().max(1) as f64;
    let bar = (w - 2.0 * pad) / n;
    let mut svg = format!(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"{}\"><line x1=\"{pad}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#999\"/>",
        html(title),
        y = h - pad,
        x2 = w - pad
    );
    for (i, (day, v)) in per_day.iter().enumerate() {
        let height = (h - 2.0 * pad) * (*v as f64) / (max as f64);
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"#1565c0\"><title>{} {v}</title></rect>",
            pad + i as f64 * bar + 1.0,
            h - pad - height,
            (bar - 2.0).max(1.0),
            html(day)
        );
    }
    let _ = write!(
        svg,
        "</svg><figcaption>{} (max {max})</figcaption></figure>",
        html(title)
    );
    svg
}

fn page(r: &MonthlyReport, lang: Lang) -> String {
    let w = match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    };
    let code = if lang == Lang::Vi { "vi" } else { "en" };
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{} {}</title>\
         <style>body{{font-family:Arial,Helvetica,sans-serif;margin:2em;color:#222}}\
         table{{border-collapse:collapse;margin:.5em 0 1em}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}\
         h2{{border-bottom:2px solid #1565c0}}</style></head><body>",
        html(w.title),
        html(&r.period.month)
    );
    let _ = write!(
        out,
        "<h1>{}</h1><p><b>{}</b></p><p>{}: {} – {}</p>",
        html(w.title),
        html(&r.organization),
        html(w.period),
        html(&r.period.start),
        html(&r.period.end)
    );
    let _ = write!(
        out,
        "<h2>{}</h2><p>{}: {}</p>",
        html(w.scope),
        html(w.sources),
        html(&r.scope.sources.join(", "))
    );
    table(
        &mut out,
        &[w.departments, w.level, w.events],
        r.scope
            .departments
            .iter()
            .map(|d| {
                vec![
                    d.label.clone(),
                    d.security_level
                        .map_or_else(|| "-".into(), |l| l.to_string()),
                    d.events.to_string(),
                ]
            })
            .collect(),
    );
    let _ = write!(
        out,
        "<h2>{}</h2><p>{}: {}</p>",
        html(w.continuity),
        html(w.events),
        r.continuity.events
    );
    out.push_str(&bars(w.per_day, &r.continuity.events_per_day));
    table(
        &mut out,
        &[w.source, w.events, w.failures, w.rate, w.silent],
        r.continuity
            .sources
            .iter()
            .map(|s| {
                let gaps = if s.silent_gaps.is_empty() {
                    w.none.to_owned()
                } else {
                    s.silent_gaps
                        .iter()
                        .map(|g| format!("{} – {} ({} h)", g.from, g.to, g.hours))
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                vec![
                    s.source.clone(),
                    s.events.to_string(),
                    s.parse_failures.to_string(),
                    format!("{:.2}%", s.parse_failure_rate * 100.0),
                    gaps,
                ]
            })
            .collect(),
    );
    let _ = write!(
        out,
        "<h3>{}</h3><p>{}: {}</p>",
        html(w.firewall),
        html(w.denied),
        r.firewall.denied
    );
    table(
        &mut out,
        &[w.top_denied, w.denied],
        count_rows(&r.firewall.top_denied_sources),
    );

    let a = &r.alerts;
    let _ = write!(
        out,
        "<h2>{}</h2><p>{}: <b>{}</b> ({}: {})</p>",
        html(w.alerts),
        html(w.total),
        a.total,
        html(w.previous),
        a.previous_month.total
    );
    out.push_str(&bars(w.alerts, &a.per_day));
    let _ = write!(out, "<h3>{}</h3>", html(w.by_level));
    table(&mut out, &[w.by_level, w.total], map_rows(&a.by_level));
    let _ = write!(out, "<h3>{}</h3>", html(w.by_rule));
    table(
        &mut out,
        &[w.by_rule, w.level, w.total],
        a.by_rule
            .iter()
            .map(|x| vec![x.title.clone(), x.level.clone(), x.count.to_string()])
            .collect(),
    );
    for (title, m) in [
        (w.by_tactic, &a.by_tactic),
        (w.by_department, &a.by_department),
    ] {
        let _ = write!(out, "<h3>{}</h3>", html(title));
        table(&mut out, &[title, w.total], map_rows(m));
    }
    for (title, v) in [
        (w.top_ips, &a.top_source_ips),
        (w.top_hosts, &a.top_hosts),
        (w.top_users, &a.top_users),
    ] {
        let _ = write!(out, "<h3>{}</h3>", html(title));
        table(&mut out, &[title, w.total], count_rows(v));
    }

    let h = &r.handling;
    let _ = write!(out, "<h2>{}</h2>", html(w.handling));
    table(&mut out, &[w.by_status, w.total], map_rows(&h.by_status));
    table(
        &mut out,
        &[w.by_resolution, w.total],
        map_rows(&h.by_resolution),
    );
    let spread = |s: &super::Spread| {
        let f = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        format!("{} / {} / {}", f(s.median), f(s.p90), s.n)
    };
    table(
        &mut out,
        &["", w.median],
        vec![
            vec![w.tta.to_owned(), spread(&h.time_to_acknowledge_minutes)],
            vec![w.ttc.to_owned(), spread(&h.time_to_close_minutes)],
        ],
    );
    table(
        &mut out,
        &[w.open_by_age, w.total],
        map_rows(&h.open_by_age),
    );
    table(
        &mut out,
        &[w.fp, w.total, "FP", w.rate],
        h.false_positives
            .iter()
            .map(|f| {
                vec![
                    f.rule_id.clone(),
                    f.closed.to_string(),
                    f.false_positive.to_string(),
                    format!("{:.1}%", f.rate * 100.0),
                ]
            })
            .collect(),
    );
    let _ = write!(
        out,
        "<p style=\"color:#666\">{}: <code>{}</code></p></body></html>",
        html(w.digest),
        html(&r.figures_sha256)
    );
    out
}
