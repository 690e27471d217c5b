//! The alert index's fields and the analyzers that turn text into terms.
//!
//! Two analyzers, registered on every open (Tantivy keeps only their names in the index):
//! - `keyword`: the whole value is one term, lower-cased and folded (`Đà Nẵng` -> `da nang`), for
//!   names and codes: level, host, user, status, tags.
//! - `logtext`: words of log lines and titles. A word is a run of letters and digits, so
//!   `user=root` and `10.0.0.5` break where a person would expect (a phrase query rebuilds them);
//!   words are lower-cased and their diacritics folded, so Vietnamese is found with or without
//!   its marks, whether it was written with precomposed letters or with combining marks.

use tantivy::Index;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, IpAddrOptions,
    NumericOptions, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

/// The analyzer of names and codes.
pub(crate) const KEYWORD: &str = "keyword";
/// The analyzer of log text and titles.
pub(crate) const LOGTEXT: &str = "logtext";

/// Terms longer than this (base64 blobs, say) are not indexed; they are still in the stored alert.
const MAX_TERM_BYTES: usize = 255;

/// The fields of an alert document.
#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub ts: Field,
    pub last_ts: Field,
    pub rule_id: Field,
    pub rule: Field,
    pub rule_title: Field,
    pub level: Field,
    pub level_rank: Field,
    pub tactic: Field,
    pub technique: Field,
    pub tag: Field,
    pub host: Field,
    pub user: Field,
    pub src_ip: Field,
    pub dst_ip: Field,
    pub src_port: Field,
    pub dst_port: Field,
    pub source_type: Field,
    pub group: Field,
    pub count: Field,
    pub status: Field,
    pub resolution: Field,
    pub assignee: Field,
    pub evidence: Field,
    pub alert: Field,
}

/// The fields searched by words given without a field name.
pub(crate) fn default_fields(f: &Fields) -> Vec<Field> {
    vec![
        f.rule,
        f.evidence,
        f.host,
        f.user,
        f.rule_id,
        f.id,
        f.technique,
        f.tactic,
        f.tag,
        f.group,
    ]
}

/// Builds the schema.
pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let keyword = |fast: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(KEYWORD)
                .set_index_option(IndexRecordOption::Basic),
        );
        // Facets count the values as they were written (raw), not as they are searched.
        if fast {
            options.set_fast("raw")
        } else {
            options
        }
    };
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(LOGTEXT)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let date = DateOptions::from(INDEXED)
        .set_fast()
        .set_stored()
        .set_precision(DateTimePrecision::Microseconds);
    let ip = IpAddrOptions::default().set_indexed().set_fast();
    let port = NumericOptions::default().set_indexed();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        ts: b.add_date_field("ts", date.clone()),
        last_ts: b.add_date_field("last_ts", date),
        rule_id: b.add_text_field("rule_id", keyword(false)),
        rule: b.add_text_field("rule", text.clone()),
        rule_title: b.add_text_field("rule_title", TextOptions::default().set_fast("raw")),
        level: b.add_text_field("level", keyword(true)),
        level_rank: b.add_u64_field("level_rank", INDEXED | FAST),
        tactic: b.add_text_field("tactic", keyword(false)),
        technique: b.add_text_field("technique", keyword(false)),
        tag: b.add_text_field("tag", keyword(false)),
        host: b.add_text_field("host", keyword(true)),
        user: b.add_text_field("user", keyword(false)),
        src_ip: b.add_ip_addr_field("src_ip", ip.clone()),
        dst_ip: b.add_ip_addr_field("dst_ip", ip),
        src_port: b.add_u64_field("src_port", port.clone()),
        dst_port: b.add_u64_field("dst_port", port),
        source_type: b.add_text_field("source_type", keyword(true)),
        group: b.add_text_field("group", keyword(false)),
        count: b.add_u64_field("count", INDEXED | FAST),
        status: b.add_text_field("status", keyword(true) | STORED),
        resolution: b.add_text_field("resolution", keyword(false) | STORED),
        assignee: b.add_text_field("assignee", keyword(true) | STORED),
        evidence: b.add_text_field("evidence", text),
        alert: b.add_text_field("alert", STORED),
    };
    (b.build(), fields)
}

/// Registers the analyzers on an opened index.
pub(crate) fn register_analyzers(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(
        KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TERM_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    tokenizers.register(LOGTEXT, log_text_analyzer());
}

/// The `logtext` analyzer.
pub(crate) fn log_text_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(LogTextTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TERM_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Splits text into runs of letters and digits; combining marks (decomposed diacritics) stay
/// inside a word but are dropped from its text, so `Nguye\u{302}\u{303}n` is one word, `Nguyen`.
#[derive(Clone, Default)]
pub(crate) struct LogTextTokenizer {
    token: Token,
}

/// The words of one text.
pub(crate) struct LogTextStream<'a> {
    text: &'a str,
    at: usize,
    token: &'a mut Token,
}

impl Tokenizer for LogTextTokenizer {
    type TokenStream<'a> = LogTextStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> LogTextStream<'a> {
        self.token.reset();
        LogTextStream {
            text,
            at: 0,
            token: &mut self.token,
        }
    }
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

impl TokenStream for LogTextStream<'_> {
    fn advance(&mut self) -> bool {
        let rest = &self.text[self.at..];
        let Some((start, _)) = rest.char_indices().find(|(_, c)| c.is_alphanumeric()) else {
            self.at = self.text.len();
            return false;
        };
        let start = self.at + start;
        let mut end = self.text.len();
        self.token.text.clear();
        for (i, c) in self.text[start..].char_indices() {
            if c.is_alphanumeric() {
                self.token.text.push(c);
            } else if !is_combining_mark(c) {
                end = start + i;
                break;
            }
        }
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = self.token.position.wrapping_add(1);
        self.at = end;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut analyzer = log_text_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn log_lines_split_where_a_reader_would() {
        assert_eq!(
            words("Failed password for root from 10.0.0.5 port 22 ssh2"),
            [
                "failed", "password", "for", "root", "from", "10", "0", "0", "5", "port", "22",
                "ssh2"
            ]
        );
        assert_eq!(
            words("user=admin;action=deny"),
            ["user", "admin", "action", "deny"]
        );
    }

    #[test]
    fn vietnamese_is_folded_whether_precomposed_or_decomposed() {
        let precomposed = "Đăng nhập thất bại: Nguyễn Văn Ước, Sở Tài chính";
        let expected = [
            "dang", "nhap", "that", "bai", "nguyen", "van", "uoc", "so", "tai", "chinh",
        ];
        assert_eq!(words(precomposed), expected);
        // The same text with combining marks (NFD), as some Windows and macOS tools write it.
        let decomposed = "\u{110}a\u{306}ng nha\u{302}\u{323}p tha\u{302}\u{301}t ba\u{323}i: Nguye\u{302}\u{303}n Va\u{306}n \u{1b0}\u{301}o\u{31b}c, So\u{31b}\u{309} Ta\u{300}i chi\u{301}nh";
        assert_eq!(words(decomposed), expected);
        assert_eq!(words("ỳ ỵ ỷ ỹ ạ ả ấ ầ ẩ ẫ ậ ắ ằ ẳ ẵ ặ ẹ ẻ ẽ ế ề ể ễ ệ ỉ ị ọ ỏ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ụ ủ ứ ừ ử ữ ự ơ ư").concat(),
            "yyyyaaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuou");
    }
}
