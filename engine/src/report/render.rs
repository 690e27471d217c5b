//! The report's forms: JSON (the figures as they are), CSV (one figure per line), and for people
//! HTML (SVG charts) and PDF ([`super::pdf`]), Vietnamese or English, both from the same
//! [`Block`]s. Every label from logs or rules is escaped.

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
    /// A4 pages for people (fonts embedded, vector charts).
    Pdf,
}

impl Format {
    /// Every form, by name.
    pub const ALL: [Format; 4] = [Format::Pdf, Format::Html, Format::Json, Format::Csv];

    /// The name used in config and as the file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Html => "html",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }

    /// The MIME type of a file of this form.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Html => "text/html; charset=utf-8",
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The form named `name` (`pdf`, `html`, `json`, `csv`).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == name)
    }
}

/// Renders a report.
pub fn render(report: &MonthlyReport, format: Format, lang: Lang) -> Result<Vec<u8>> {
    match format {
        Format::Json => serde_json::to_vec_pretty(report)
            .map_err(|e| Error::Internal(format!("report json: {e}"))),
        Format::Csv => Ok(csv(report).into_bytes()),
        Format::Html => Ok(page(report, lang).into_bytes()),
        Format::Pdf => super::pdf::pdf(report, lang),
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
    alert_level: &'static str,
    events: &'static str,
    continuity: &'static str,
    per_day: &'static str,
    source: &'static str,
    failures: &'static str,
    rate: &'static str,
    silent: &'static str,
    from: &'static str,
    to: &'static str,
    hours: &'static str,
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
    collectors: &'static str,
    no_health: &'static str,
    received: &'static str,
    dropped: &'static str,
    truncated: &'static str,
    errors: &'static str,
    late_events: &'static str,
    pipeline_errors: &'static str,
    wal_max: &'static str,
    disk_free_min: &'static str,
    title_months: &'static str,
    previous_period: &'static str,
    access: &'static str,
    auth_failures: &'static str,
    privileged: &'static str,
    retention: &'static str,
    days: &'static str,
    suppressed: &'static str,
    open_by_level: &'static str,
    posture: &'static str,
    rules_enabled: &'static str,
    rules_fired: &'static str,
    by_kind: &'static str,
    added: &'static str,
    changed: &'static str,
    removed: &'static str,
    coverage: &'static str,
    tactic: &'static str,
    techniques: &'static str,
    rules: &'static str,
    no_attack: &'static str,
    when: &'static str,
    compliance: &'static str,
    requirement: &'static str,
    area: &'static str,
    figure: &'static str,
    threshold: &'static str,
    verdict: &'static str,
    met: &'static str,
    not_met: &'static str,
    no_data: &'static str,
    recommendations: &'static str,
    notes: &'static str,
    rec_silent: &'static str,
    rec_parse: &'static str,
    rec_noisy: &'static str,
    rec_dominant: &'static str,
    rec_open_high: &'static str,
    rec_requirement: &'static str,
    rec_no_rules: &'static str,
    nothing_to_recommend: &'static str,
}

const EN: Words = Words {
    title: "Monthly security monitoring report",
    period: "Period",
    scope: "1. Scope",
    sources: "Sources monitored",
    departments: "Departments",
    level: "Security level",
    alert_level: "Level",
    events: "Events",
    continuity: "2. Monitoring continuity",
    per_day: "Events per day",
    source: "Source",
    failures: "Parse failures",
    rate: "Rate",
    silent: "Silent periods",
    from: "From",
    to: "To",
    hours: "Hours",
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
    collectors: "Collectors and storage (hourly health records of the daemon)",
    no_health: "No health records in the period: the daemon did not run (events came by batch ingestion).",
    received: "Received",
    dropped: "Dropped",
    truncated: "Cut at the size limit",
    errors: "Errors",
    late_events: "Events too late for their correlation window",
    pipeline_errors: "Pipeline errors",
    wal_max: "Largest write-ahead log",
    disk_free_min: "Least free disk space",
    title_months: "Security monitoring report, {n} months",
    previous_period: "Previous period",
    access: "Access control evidence",
    auth_failures: "Failed authentications",
    privileged: "Privileged activity (sudo, su, account and device configuration changes)",
    retention: "Events held since",
    days: "days",
    suppressed: "Repeats suppressed",
    open_by_level: "Open alerts by level",
    posture: "5. Detection posture",
    rules_enabled: "Rules enabled",
    rules_fired: "of which raised alerts this period",
    by_kind: "By kind",
    added: "Rules added",
    changed: "Rules changed",
    removed: "Rules removed",
    coverage: "ATT&CK coverage (tactics × techniques of enabled rules)",
    tactic: "Tactic",
    techniques: "Techniques",
    rules: "Rules",
    no_attack: "Rules without ATT&CK tags",
    when: "When",
    compliance: "6. Compliance",
    requirement: "Requirement",
    area: "Area",
    figure: "Figure",
    threshold: "Threshold",
    verdict: "Result",
    met: "met",
    not_met: "not met",
    no_data: "no data",
    recommendations: "7. Recommendations",
    notes: "Notes of the security office",
    rec_silent: "Restore log collection from {s}: silent {v} hours in the period.",
    rec_parse: "Check the log format of {s}: {v} of its records could not be parsed.",
    rec_noisy: "Tune rule {s}: {v} of its closed alerts were false positives.",
    rec_dominant: "Review the threshold of rule \"{s}\": it raised {v} of all alerts.",
    rec_open_high: "Handle the {v} high or critical alert(s) still open.",
    rec_requirement: "Requirement {s} is not met (figure: {v}).",
    rec_no_rules: "Enable detection rules: none was enabled at the end of the period.",
    nothing_to_recommend: "No action arises from the figures.",
};

const VI: Words = Words {
    title: "Báo cáo giám sát an toàn thông tin hằng tháng",
    period: "Kỳ báo cáo",
    scope: "1. Phạm vi",
    sources: "Nguồn được giám sát",
    departments: "Đơn vị",
    level: "Cấp độ",
    alert_level: "Mức độ",
    events: "Sự kiện",
    continuity: "2. Tính liên tục của giám sát",
    per_day: "Sự kiện theo ngày",
    source: "Nguồn",
    failures: "Bản ghi không phân tích được",
    rate: "Tỷ lệ",
    silent: "Khoảng thời gian im lặng",
    from: "Từ",
    to: "Đến",
    hours: "Số giờ",
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
    collectors: "Bộ thu thập và lưu trữ (bản ghi tình trạng hằng giờ của dịch vụ)",
    no_health: "Không có bản ghi tình trạng trong kỳ: dịch vụ không chạy (sự kiện được nạp theo lô).",
    received: "Đã nhận",
    dropped: "Bị mất",
    truncated: "Bị cắt do quá dài",
    errors: "Lỗi",
    late_events: "Sự kiện đến quá muộn cho cửa sổ tương quan",
    pipeline_errors: "Lỗi xử lý",
    wal_max: "Nhật ký ghi trước lớn nhất",
    disk_free_min: "Dung lượng đĩa trống thấp nhất",
    title_months: "Báo cáo giám sát an toàn thông tin {n} tháng",
    previous_period: "Kỳ trước",
    access: "Bằng chứng kiểm soát truy cập",
    auth_failures: "Xác thực thất bại",
    privileged: "Hoạt động đặc quyền (sudo, su, thay đổi tài khoản và cấu hình thiết bị)",
    retention: "Sự kiện được lưu trữ từ ngày",
    days: "ngày",
    suppressed: "Cảnh báo lặp bị gộp",
    open_by_level: "Cảnh báo chưa đóng theo mức độ",
    posture: "5. Năng lực phát hiện",
    rules_enabled: "Quy tắc đang bật",
    rules_fired: "trong đó có cảnh báo trong kỳ",
    by_kind: "Theo loại",
    added: "Quy tắc được thêm",
    changed: "Quy tắc được sửa đổi",
    removed: "Quy tắc bị gỡ bỏ",
    coverage: "Độ bao phủ ATT&CK (chiến thuật × kỹ thuật của các quy tắc đang bật)",
    tactic: "Chiến thuật",
    techniques: "Kỹ thuật",
    rules: "Số quy tắc",
    no_attack: "Quy tắc không gắn nhãn ATT&CK",
    when: "Thời điểm",
    compliance: "6. Đối chiếu tuân thủ",
    requirement: "Yêu cầu",
    area: "Lĩnh vực",
    figure: "Số liệu",
    threshold: "Ngưỡng",
    verdict: "Kết quả",
    met: "đạt",
    not_met: "không đạt",
    no_data: "chưa có dữ liệu",
    recommendations: "7. Khuyến nghị",
    notes: "Ý kiến của bộ phận an toàn thông tin",
    rec_silent: "Khôi phục việc thu thập nhật ký từ {s}: ngừng gửi {v} giờ trong kỳ.",
    rec_parse: "Kiểm tra định dạng nhật ký của {s}: {v} bản ghi không phân tích được.",
    rec_noisy: "Tinh chỉnh quy tắc {s}: {v} cảnh báo đã đóng là báo nhầm.",
    rec_dominant: "Xem lại ngưỡng của quy tắc \"{s}\": chiếm {v} tổng số cảnh báo.",
    rec_open_high: "Xử lý {v} cảnh báo mức cao/nghiêm trọng còn chưa đóng.",
    rec_requirement: "Yêu cầu {s} chưa đạt (số liệu: {v}).",
    rec_no_rules: "Bật các quy tắc phát hiện: cuối kỳ không có quy tắc nào được bật.",
    nothing_to_recommend: "Số liệu không phát sinh khuyến nghị nào.",
};

/// One piece of the report as people read it; HTML and PDF both render these.
#[derive(Debug, Clone)]
pub(super) enum Block {
    /// Document title, organisation, period.
    Title {
        /// The title.
        title: String,
        /// Organisation name.
        organization: String,
        /// Period line.
        period: String,
    },
    /// A section heading.
    Section(String),
    /// A sub-heading.
    Heading(String),
    /// A paragraph.
    Text(String),
    /// A table (header, rows).
    Table(Vec<String>, Vec<Vec<String>>),
    /// A bar chart of values by day.
    Chart(String, BTreeMap<String, u64>),
    /// Small print at the end.
    Footer(String),
}

/// The mail that carries a report: the headline figures in both parts, the report attached.
pub fn mail(r: &MonthlyReport, lang: Lang) -> crate::notify::mail::Composed {
    let w = words(lang);
    let org = if r.organization.is_empty() {
        String::new()
    } else {
        format!(" — {}", r.organization)
    };
    let subject = format!("[canhgac] {} {}{org}", title(r, w), r.period.month);
    let open: u64 = r.handling.open_by_age.values().sum();
    let lines = [
        format!("{}: {} – {}", w.period, r.period.start, r.period.end),
        format!("{}: {}", w.events, r.continuity.events),
        format!("{}: {}", w.denied, r.firewall.denied),
        format!(
            "{} ({}): {} ({}: {})",
            w.alerts
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ' '),
            w.total,
            r.alerts.total,
            previous(r, w),
            r.alerts.previous_month.total
        ),
        format!("{}: {open}", w.open_by_age),
        format!("{}: {}", w.digest, r.figures_sha256),
    ];
    let text = format!("{}{org}\n\n{}\n", title(r, w), lines.join("\n"));
    let items: String = lines
        .iter()
        .map(|l| format!("<li>{}</li>", html(l)))
        .collect();
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"font-family:Arial,sans-serif\">\
         <h2>{} {}</h2><p>{}</p><ul>{items}</ul></body></html>",
        html(&title(r, w)),
        html(&r.period.month),
        html(&r.organization)
    );
    crate::notify::mail::Composed {
        subject: crate::notify::mail::header_line(&subject),
        text,
        html: body,
    }
}

/// `2026-11-02T01:00:00.000000Z` as `2026-11-02 01:00`.
fn short_time(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

/// Every day of the period, with 0 where nothing happened (a chart must show the silences).
fn every_day(r: &MonthlyReport, values: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let day =
        |t: &str| chrono::NaiveDate::parse_from_str(t.get(..10).unwrap_or(""), "%Y-%m-%d").ok();
    let mut out = values.clone();
    if let (Some(mut d), Some(last)) = (day(&r.period.start), day(&r.period.end)) {
        // The end is exclusive: a period ending at midnight does not include that day.
        let last = if r.period.end.get(11..19) == Some("00:00:00") {
            last.pred_opt().unwrap_or(last)
        } else {
            last
        };
        while d <= last {
            out.entry(d.format("%Y-%m-%d").to_string()).or_insert(0);
            d = match d.succ_opt() {
                Some(next) => next,
                None => break,
            };
        }
    }
    out
}

/// The title: monthly, or the roll-up of several months (six for the national report).
fn title(r: &MonthlyReport, w: &Words) -> String {
    if r.period.months > 1 {
        w.title_months.replace("{n}", &r.period.months.to_string())
    } else {
        w.title.to_owned()
    }
}

fn previous(r: &MonthlyReport, w: &Words) -> &'static str {
    if r.period.months > 1 {
        w.previous_period
    } else {
        w.previous
    }
}

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
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

fn head(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// The report as blocks, in reading order.
pub(super) fn blocks(r: &MonthlyReport, lang: Lang) -> Vec<Block> {
    let w = words(lang);
    let mut b = vec![Block::Title {
        title: title(r, w),
        organization: r.organization.clone(),
        period: format!("{}: {} – {}", w.period, r.period.start, r.period.end),
    }];
    b.push(Block::Section(w.scope.to_owned()));
    b.push(Block::Text(format!(
        "{}: {}",
        w.sources,
        r.scope.sources.join(", ")
    )));
    b.push(Block::Table(
        head(&[w.departments, w.level, w.events]),
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
    ));
    b.push(Block::Section(w.continuity.to_owned()));
    b.push(Block::Text(format!(
        "{}: {}",
        w.events, r.continuity.events
    )));
    if let (Some(day), Some(days)) = (&r.continuity.oldest_stored_day, r.continuity.retention_days)
    {
        b.push(Block::Text(format!(
            "{}: {day} ({days} {})",
            w.retention, w.days
        )));
    }
    b.push(Block::Chart(
        w.per_day.to_owned(),
        every_day(r, &r.continuity.events_per_day),
    ));
    b.push(Block::Table(
        head(&[w.source, w.events, w.failures, w.rate]),
        r.continuity
            .sources
            .iter()
            .map(|s| {
                vec![
                    s.source.clone(),
                    s.events.to_string(),
                    s.parse_failures.to_string(),
                    format!("{:.2}%", s.parse_failure_rate * 100.0),
                ]
            })
            .collect(),
    ));
    b.push(Block::Heading(w.silent.to_owned()));
    let gaps: Vec<Vec<String>> = r
        .continuity
        .sources
        .iter()
        .flat_map(|s| {
            s.silent_gaps.iter().map(|g| {
                vec![
                    s.source.clone(),
                    short_time(&g.from),
                    short_time(&g.to),
                    g.hours.to_string(),
                ]
            })
        })
        .collect();
    if gaps.is_empty() {
        b.push(Block::Text(w.none.to_owned()));
    } else {
        b.push(Block::Table(head(&[w.source, w.from, w.to, w.hours]), gaps));
    }
    let c = &r.continuity.collectors;
    b.push(Block::Heading(w.collectors.to_owned()));
    if c.records == 0 {
        b.push(Block::Text(w.no_health.to_owned()));
    } else {
        b.push(Block::Table(
            head(&[w.source, w.received, w.dropped, w.truncated, w.errors]),
            c.sources
                .iter()
                .map(|(name, s)| {
                    vec![
                        name.clone(),
                        s.received.to_string(),
                        s.dropped.to_string(),
                        s.truncated.to_string(),
                        s.errors.to_string(),
                    ]
                })
                .collect(),
        ));
        b.push(Block::Text(format!(
            "{}: {}. {}: {}. {}: {}. {}: {}.",
            w.late_events,
            c.late_events,
            w.pipeline_errors,
            c.pipeline_errors,
            w.wal_max,
            bytes(c.wal_bytes_max),
            w.disk_free_min,
            c.disk_free_bytes_min.map_or_else(|| "-".to_owned(), bytes),
        )));
    }
    b.push(Block::Heading(w.firewall.to_owned()));
    b.push(Block::Text(format!("{}: {}", w.denied, r.firewall.denied)));
    b.push(Block::Table(
        head(&[w.top_denied, w.denied]),
        count_rows(&r.firewall.top_denied_sources),
    ));
    b.push(Block::Heading(w.access.to_owned()));
    b.push(Block::Table(
        head(&[w.access, w.total]),
        vec![
            vec![
                w.auth_failures.to_owned(),
                r.access.auth_failures.to_string(),
            ],
            vec![
                w.privileged.to_owned(),
                r.access.privileged_events.to_string(),
            ],
        ],
    ));

    let a = &r.alerts;
    b.push(Block::Section(w.alerts.to_owned()));
    b.push(Block::Text(format!(
        "{}: {} ({}: {}). {}: {}",
        w.total,
        a.total,
        previous(r, w),
        a.previous_month.total,
        w.suppressed,
        a.suppressed
    )));
    b.push(Block::Chart(w.alerts.to_owned(), every_day(r, &a.per_day)));
    b.push(Block::Heading(w.by_level.to_owned()));
    b.push(Block::Table(
        head(&[w.by_level, w.total]),
        map_rows(&a.by_level),
    ));
    b.push(Block::Heading(w.by_rule.to_owned()));
    b.push(Block::Table(
        head(&[w.by_rule, w.alert_level, w.total]),
        a.by_rule
            .iter()
            .map(|x| vec![x.title.clone(), x.level.clone(), x.count.to_string()])
            .collect(),
    ));
    for (title, m) in [
        (w.by_tactic, &a.by_tactic),
        (w.by_department, &a.by_department),
    ] {
        b.push(Block::Heading(title.to_owned()));
        b.push(Block::Table(head(&[title, w.total]), map_rows(m)));
    }
    for (title, v) in [
        (w.top_ips, &a.top_source_ips),
        (w.top_hosts, &a.top_hosts),
        (w.top_users, &a.top_users),
    ] {
        b.push(Block::Heading(title.to_owned()));
        b.push(Block::Table(head(&[title, w.total]), count_rows(v)));
    }

    let h = &r.handling;
    b.push(Block::Section(w.handling.to_owned()));
    b.push(Block::Table(
        head(&[w.by_status, w.total]),
        map_rows(&h.by_status),
    ));
    b.push(Block::Table(
        head(&[w.by_resolution, w.total]),
        map_rows(&h.by_resolution),
    ));
    let spread = |s: &super::Spread| {
        let f = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        format!("{} / {} / {}", f(s.median), f(s.p90), s.n)
    };
    b.push(Block::Table(
        head(&["", w.median]),
        vec![
            vec![w.tta.to_owned(), spread(&h.time_to_acknowledge_minutes)],
            vec![w.ttc.to_owned(), spread(&h.time_to_close_minutes)],
        ],
    ));
    b.push(Block::Table(
        head(&[w.open_by_age, w.total]),
        map_rows(&h.open_by_age),
    ));
    b.push(Block::Table(
        head(&[w.open_by_level, w.total]),
        map_rows(&h.open_by_level),
    ));
    b.push(Block::Table(
        head(&[w.fp, w.total, "FP", w.rate]),
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
    ));
    posture_blocks(r, w, &mut b);
    compliance_blocks(r, w, lang, &mut b);
    b.push(Block::Footer(format!("{}: {}", w.digest, r.figures_sha256)));
    b
}

fn posture_blocks(r: &MonthlyReport, w: &Words, b: &mut Vec<Block>) {
    let p = &r.posture;
    b.push(Block::Section(w.posture.to_owned()));
    b.push(Block::Text(format!(
        "{}: {} ({} {}). {}: {}",
        w.rules_enabled,
        p.rules_enabled,
        p.rules_fired,
        w.rules_fired,
        w.no_attack,
        p.rules_without_attack
    )));
    b.push(Block::Table(
        head(&[w.by_level, w.total]),
        map_rows(&p.by_level),
    ));
    b.push(Block::Table(
        head(&[w.by_kind, w.total]),
        map_rows(&p.by_kind),
    ));
    for (title, list) in [
        (w.added, &p.added),
        (w.changed, &p.changed),
        (w.removed, &p.removed),
    ] {
        b.push(Block::Heading(format!("{title}: {}", list.len())));
        if !list.is_empty() {
            b.push(Block::Table(
                head(&[w.by_rule, w.alert_level, w.when]),
                list.iter()
                    .map(|x| vec![x.title.clone(), x.level.clone(), short_time(&x.at)])
                    .collect(),
            ));
        }
    }
    b.push(Block::Heading(format!(
        "{} — {} {}, {} {}",
        w.coverage,
        p.coverage.len(),
        w.tactic.to_lowercase(),
        p.techniques_covered,
        w.techniques.to_lowercase()
    )));
    b.push(Block::Chart(
        w.coverage.to_owned(),
        p.coverage
            .iter()
            .map(|c| (c.tactic.clone(), c.techniques.len() as u64))
            .collect(),
    ));
    b.push(Block::Table(
        head(&[w.tactic, w.techniques, w.rules]),
        p.coverage
            .iter()
            .map(|c| {
                vec![
                    c.tactic.clone(),
                    c.techniques.join(", "),
                    c.rules.to_string(),
                ]
            })
            .collect(),
    ));
}

fn compliance_blocks(r: &MonthlyReport, w: &Words, lang: Lang, b: &mut Vec<Block>) {
    let pick = |l: &super::Localized| match lang {
        Lang::Vi => l.vi.clone(),
        Lang::En => l.en.clone(),
    };
    b.push(Block::Section(w.compliance.to_owned()));
    b.push(Block::Text(pick(&r.compliance.framework)));
    b.push(Block::Table(
        head(&[w.area, w.requirement, w.figure, w.threshold, w.verdict]),
        r.compliance
            .lines
            .iter()
            .map(|l| {
                vec![
                    pick(&l.area),
                    format!("{} ({})", pick(&l.text), l.reference),
                    l.value.map_or_else(|| "-".to_owned(), number),
                    l.threshold.clone(),
                    match l.verdict {
                        super::Verdict::Met => w.met,
                        super::Verdict::NotMet => w.not_met,
                        super::Verdict::NoData => w.no_data,
                    }
                    .to_owned(),
                ]
            })
            .collect(),
    ));
    b.push(Block::Section(w.recommendations.to_owned()));
    if r.recommendations.is_empty() {
        b.push(Block::Text(w.nothing_to_recommend.to_owned()));
    }
    for (i, rec) in r.recommendations.iter().enumerate() {
        use super::Advice;
        let (template, value) = match rec.advice {
            Advice::SilentSource => (w.rec_silent, number(rec.value)),
            Advice::ParseFailures => (w.rec_parse, percent(rec.value)),
            Advice::NoisyRule => (w.rec_noisy, percent(rec.value)),
            Advice::DominantRule => (w.rec_dominant, percent(rec.value)),
            Advice::OpenHighAlerts => (w.rec_open_high, number(rec.value)),
            Advice::RequirementNotMet => (w.rec_requirement, number(rec.value)),
            Advice::NoRules => (w.rec_no_rules, String::new()),
        };
        let subject = match rec.advice {
            // A requirement is named by its text in the report's language.
            Advice::RequirementNotMet => r
                .compliance
                .lines
                .iter()
                .find(|l| l.id == rec.subject)
                .map_or_else(|| rec.subject.clone(), |l| format!("\"{}\"", pick(&l.text))),
            _ => rec.subject.clone(),
        };
        b.push(Block::Text(format!(
            "{}. {}",
            i + 1,
            // The value first: a subject (a rule title) may itself contain "{v}".
            template.replace("{v}", &value).replace("{s}", &subject)
        )));
    }
    if !r.notes.is_empty() {
        b.push(Block::Heading(w.notes.to_owned()));
        for note in &r.notes {
            b.push(Block::Text(note.clone()));
        }
    }
}

/// A figure as people write it: integers without decimals, others with up to four.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.4}").trim_end_matches('0').to_owned()
    }
}

/// Bytes in binary units.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// A bar chart of values by day (SVG, no script).
fn svg_bars(title: &str, per_day: &BTreeMap<String, u64>) -> String {
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
    let code = if lang == Lang::Vi { "vi" } else { "en" };
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{} {}</title>\
         <style>body{{font-family:Arial,Helvetica,sans-serif;margin:2em;color:#222}}\
         table{{border-collapse:collapse;margin:.5em 0 1em}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}\
         h2{{border-bottom:2px solid #1565c0}}</style></head><body>",
        html(&title(r, words(lang))),
        html(&r.period.month)
    );
    for block in blocks(r, lang) {
        match block {
            Block::Title {
                title,
                organization,
                period,
            } => {
                let _ = write!(
                    out,
                    "<h1>{}</h1><p><b>{}</b></p><p>{}</p>",
                    html(&title),
                    html(&organization),
                    html(&period)
                );
            }
            Block::Section(t) => {
                let _ = write!(out, "<h2>{}</h2>", html(&t));
            }
            Block::Heading(t) => {
                let _ = write!(out, "<h3>{}</h3>", html(&t));
            }
            Block::Text(t) => {
                let _ = write!(out, "<p>{}</p>", html(&t));
            }
            Block::Table(head, rows) => {
                out.push_str("<table><tr>");
                for h in head {
                    let _ = write!(out, "<th>{}</th>", html(&h));
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
            Block::Chart(title, per_day) => out.push_str(&svg_bars(&title, &per_day)),
            Block::Footer(t) => {
                let _ = write!(out, "<p style=\"color:#666\">{}</p>", html(&t));
            }
        }
    }
    out.push_str("</body></html>");
    out
}
