//! The UI's words in Vietnamese and English. Templates read them as `t.KEY`; a key missing
//! from this table renders as nothing, so a test checks every key the templates use is here.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// (key, English, Vietnamese).
const WORDS: &[(&str, &str, &str)] = &[
    ("acknowledge", "Acknowledge", "Xác nhận"),
    ("add", "Add", "Thêm"),
    ("add_user", "Add a user", "Thêm người dùng"),
    ("alert", "Alert", "Cảnh báo"),
    ("alerts", "Alerts", "Cảnh báo"),
    ("alerts_24h", "alerts in 24 h", "cảnh báo trong 24 giờ"),
    (
        "alerts_by_level",
        "Alerts by level, last 12 hours",
        "Cảnh báo theo mức độ, 12 giờ qua",
    ),
    ("alerts_found", "alerts", "cảnh báo"),
    ("any", "any", "tất cả"),
    ("apply", "Apply to selected", "Áp dụng cho mục đã chọn"),
    ("assign", "Assign", "Giao cho"),
    ("assignee", "Assignee", "Người xử lý"),
    ("back", "Back", "Quay lại"),
    (
        "bulk_change",
        "Change the selected alerts",
        "Thay đổi các cảnh báo đã chọn",
    ),
    ("close", "Close", "Đóng"),
    (
        "collectors",
        "Collectors (since the daemon started)",
        "Bộ thu (từ khi dịch vụ khởi động)",
    ),
    ("comment", "Comment", "Ghi chú"),
    ("connections_open", "Connections", "Kết nối"),
    ("created", "Created", "Ngày tạo"),
    ("dashboard", "Dashboard", "Tổng quan"),
    ("delete", "Delete", "Xóa"),
    ("department", "Department", "Đơn vị"),
    ("description", "Description", "Mô tả"),
    ("disable", "disable", "tắt"),
    ("dropped", "Dropped", "Bị bỏ"),
    ("enable", "enable", "bật"),
    ("enabled", "Enabled", "Đang bật"),
    ("error", "Error", "Lỗi"),
    ("errors", "Errors", "Lỗi"),
    ("events", "Events", "Sự kiện"),
    ("events_24h", "events in 24 h", "sự kiện trong 24 giờ"),
    (
        "events_per_hour",
        "Events per hour, last 24 hours",
        "Sự kiện mỗi giờ, 24 giờ qua",
    ),
    ("events_per_second", "events/s now", "sự kiện/giây hiện tại"),
    ("events_scanned", "stored events scanned", "sự kiện đã quét"),
    (
        "evidence_bounded",
        "Only the first events are kept as evidence.",
        "Chỉ các sự kiện đầu tiên được lưu làm bằng chứng.",
    ),
    (
        "false_positives",
        "Known false positives",
        "Cảnh báo sai đã biết",
    ),
    ("file", "File", "Tệp"),
    ("filter", "Filter", "Lọc"),
    ("first_seen", "First event", "Sự kiện đầu"),
    ("format", "Format", "Định dạng"),
    ("health", "Health", "Tình trạng"),
    ("health_ok", "sending", "đang gửi"),
    ("health_silent", "silent", "im lặng"),
    ("health_failing", "parse failures", "lỗi phân tích"),
    ("history", "History", "Lịch sử"),
    ("hits_30d", "Alerts, 30 days", "Cảnh báo, 30 ngày"),
    ("host", "Host", "Máy"),
    (
        "hosts_7d",
        "Senders seen in the last 7 days",
        "Nguồn gửi trong 7 ngày qua",
    ),
    ("hour", "Hour", "Giờ"),
    ("hunt", "Hunt", "Săn tìm"),
    (
        "hunt_result",
        "Hunt result (not written to the alert queue)",
        "Kết quả săn tìm (không ghi vào hàng đợi cảnh báo)",
    ),
    ("investigate", "Investigating", "Đang điều tra"),
    ("kind", "Kind", "Loại"),
    ("language", "Language", "Ngôn ngữ"),
    ("last_hours", "Last hours", "Số giờ gần nhất"),
    ("last_seen", "Last event", "Sự kiện cuối"),
    ("level", "Level", "Mức độ"),
    ("login", "Log in", "Đăng nhập"),
    (
        "login_intro",
        "Security monitoring: log in to continue.",
        "Giám sát an toàn thông tin: đăng nhập để tiếp tục.",
    ),
    ("logout", "Log out", "Đăng xuất"),
    (
        "mail_preview",
        "Preview the notification email",
        "Xem trước thư thông báo",
    ),
    ("make_report", "Make the report", "Tạo báo cáo"),
    ("month", "Month", "Tháng"),
    ("name", "Name", "Tên"),
    (
        "needs_analyst",
        "The SQL console needs the analyst role.",
        "Bảng điều khiển SQL cần vai trò phân tích viên.",
    ),
    ("newer", "Newer", "Mới hơn"),
    ("no", "no", "không"),
    ("no_alerts", "No alerts.", "Không có cảnh báo."),
    (
        "no_daemon",
        "The collectors' counters are shown when the UI runs inside `canhgac serve`.",
        "Số liệu bộ thu chỉ có khi giao diện chạy trong `canhgac serve`.",
    ),
    ("no_history", "No changes yet.", "Chưa có thay đổi."),
    (
        "no_users",
        "No users yet. On the server, run:",
        "Chưa có người dùng. Trên máy chủ, chạy:",
    ),
    ("none", "None.", "Không có."),
    ("older", "Older", "Cũ hơn"),
    ("open_alerts", "open alerts", "cảnh báo chưa đóng"),
    ("page", "Page", "Trang"),
    ("parse_failures", "Parse failures", "Lỗi phân tích"),
    ("password", "Password", "Mật khẩu"),
    ("raw", "Raw log line", "Dòng log gốc"),
    ("received", "Received", "Đã nhận"),
    ("recent_alerts", "Latest alerts", "Cảnh báo mới nhất"),
    ("reports", "Reports", "Báo cáo"),
    ("resolution", "Resolution", "Kết luận"),
    ("resolution_true_positive", "true positive", "đúng"),
    (
        "resolution_false_positive",
        "false positive",
        "cảnh báo sai",
    ),
    ("resolution_benign", "benign", "vô hại"),
    ("role", "Role", "Vai trò"),
    ("role_admin", "administrator", "quản trị"),
    ("role_analyst", "analyst", "phân tích viên"),
    ("role_viewer", "viewer", "người xem"),
    ("rows", "rows", "dòng"),
    ("rule", "Rule", "Luật"),
    ("rule_yaml", "Rule (Sigma YAML)", "Luật (Sigma YAML)"),
    ("rules", "Rules", "Luật"),
    ("run", "Run", "Chạy"),
    ("save", "Save", "Lưu"),
    ("search", "Search", "Tìm kiếm"),
    (
        "search_help",
        "Alert query language: field:value, AND/OR, CIDR blocks, last 24h.",
        "Ngôn ngữ truy vấn: trường:giá trị, AND/OR, dải CIDR, last 24h.",
    ),
    ("select_all", "Select all", "Chọn tất cả"),
    ("settings", "Settings", "Cài đặt"),
    (
        "silent_sources",
        "Silent senders (nothing for 2 hours)",
        "Nguồn im lặng (không gửi trong 2 giờ)",
    ),
    ("since", "Since", "Trong"),
    ("size", "Size", "Dung lượng"),
    ("source", "Source", "Nguồn"),
    ("source_type", "Format", "Định dạng"),
    ("sources", "Sources", "Nguồn log"),
    (
        "sql_console",
        "Events: SQL console",
        "Sự kiện: bảng điều khiển SQL",
    ),
    (
        "sql_help",
        "Read-only SQL over the tables events, alerts, event_rollup, deny_rollup",
        "SQL chỉ đọc trên các bảng events, alerts, event_rollup, deny_rollup",
    ),
    ("status", "Status", "Trạng thái"),
    ("status_all", "all", "tất cả"),
    ("status_open", "open", "chưa đóng"),
    ("status_new", "new", "mới"),
    ("status_acknowledged", "acknowledged", "đã xác nhận"),
    ("status_investigating", "investigating", "đang điều tra"),
    ("status_closed", "closed", "đã đóng"),
    ("subject", "About", "Đối tượng"),
    ("summary", "Summary", "Tóm tắt"),
    (
        "suppressed",
        "repeats suppressed before",
        "lần lặp đã gộp trước đó",
    ),
    ("switch_lang", "Tiếng Việt", "English"),
    ("text", "Text", "Nội dung"),
    ("time", "Time", "Thời gian"),
    ("timeline", "Evidence timeline", "Dòng thời gian bằng chứng"),
    (
        "top_rules",
        "Top rules, 24 h",
        "Luật kích hoạt nhiều nhất, 24 giờ",
    ),
    (
        "top_sources",
        "Top senders, 24 h",
        "Nguồn gửi nhiều nhất, 24 giờ",
    ),
    ("triage", "Triage", "Xử lý"),
    (
        "truncated",
        "cut at the row limit",
        "đã cắt ở giới hạn dòng",
    ),
    ("user", "User", "Tài khoản"),
    ("user_name", "User name", "Tên đăng nhập"),
    ("users", "Users", "Người dùng"),
    ("yes", "yes", "có"),
    ("zone", "Time zone", "Múi giờ"),
];

/// The words of a language (`vi`, anything else is English), by key.
pub fn words(lang: &str) -> &'static BTreeMap<&'static str, &'static str> {
    static EN: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
    static VI: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
    if lang == "vi" {
        VI.get_or_init(|| WORDS.iter().map(|(k, _, vi)| (*k, *vi)).collect())
    } else {
        EN.get_or_init(|| WORDS.iter().map(|(k, en, _)| (*k, *en)).collect())
    }
}

/// One word.
pub fn word(lang: &str, key: &str) -> &'static str {
    words(lang).get(key).copied().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_the_templates_use_exists_in_both_languages() {
        let keys: std::collections::BTreeSet<&str> = WORDS.iter().map(|w| w.0).collect();
        assert_eq!(keys.len(), WORDS.len(), "a key is listed twice");
        for (name, text) in crate::templates::SOURCES {
            let mut rest = *text;
            while let Some(at) = rest.find("t.") {
                let before = rest[..at].chars().last();
                rest = &rest[at + 2..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let key: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                assert!(keys.contains(key.as_str()), "{name}: t.{key} has no words");
            }
        }
        for (key, en, vi) in WORDS {
            assert!(!en.is_empty() && !vi.is_empty(), "{key}");
        }
    }
}
