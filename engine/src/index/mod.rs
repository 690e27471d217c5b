//! The alert search index: Tantivy, in `index/` of the data directory.
//!
//! The index is derived data. The alert log (`alerts/alerts.jsonl`) and the audit trail
//! (`alerts/audit.jsonl`) are the record; the index holds, in each commit's payload, how far into
//! each file it has read. [`AlertIndex::catch_up`] reads both from there and commits the new
//! alerts, the new states and the new positions together, so a crash between an append and an
//! index commit only means the next catch-up reads the same lines again, into an index that
//! never saw them: every alert is indexed exactly once. `canhgac index rebuild` empties the index
//! and reads both files from the start, in one commit (searches see the old index until then).
//!
//! One process writes at a time (Tantivy's writer lock). Others open the index read-only and see
//! what the writer has committed. Triage changes go through the writer: the state they change
//! is read from the index after a catch-up, the change is appended to the audit trail, and the
//! index catches up again.

mod facets;
mod query;
mod schema;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use canhgac_rules::Alert;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    DateTime, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

pub use facets::FacetCounts;
pub use query::QueryContext;
pub(crate) use query::level_rank;
use schema::Fields;

use crate::alerts::{ALERTS_FILE, alerts_end};
use crate::error::{Error, Result};
use crate::jsonl;
use crate::workflow::{AlertState, AuditLog, AuditRecord, ChangeRequest, Resolution, Status};

/// The index, relative to the data directory.
pub const INDEX_DIR: &str = "index";

/// Memory the writer may use before it flushes a segment.
const WRITER_MEMORY_BYTES: usize = 200_000_000;

/// How far into the alert log and the audit trail the committed index has read.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
struct Position {
    alerts: u64,
    audit: u64,
}

/// What a catch-up did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Alerts added to the index.
    pub added: usize,
    /// Alerts whose triage state changed.
    pub updated: usize,
    /// Lines of the alert log that are not alerts (counted, left in the log).
    pub unreadable: usize,
    /// Audit records about alerts the index does not have.
    pub orphan_changes: usize,
}

/// A search.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    /// The query (see [`query`](self) for the language); empty means every alert.
    pub query: &'a str,
    /// Results per page.
    pub limit: usize,
    /// Results to skip (pagination).
    pub offset: usize,
    /// Whether to count the result set by level, rule, host, status and source type.
    pub facets: bool,
    /// Now and the analyst's zone.
    pub ctx: QueryContext,
}

/// One alert found, with its triage state.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The alert as it was raised.
    pub alert: Alert,
    /// Its state now.
    pub state: AlertState,
}

/// A page of results, newest first.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// Alerts matching, in all.
    pub total: usize,
    /// This page.
    pub hits: Vec<Hit>,
    /// Counts by facet (when asked): (facet, (value, alerts) most frequent first).
    pub facets: Vec<(String, FacetCounts)>,
}

/// The outcome of a change asked of several alerts.
#[derive(Debug, Default)]
pub struct ChangeOutcome {
    /// The changes made, as recorded.
    pub applied: Vec<AuditRecord>,
    /// Alerts left as they were, and why.
    pub refused: Vec<(String, Error)>,
}

/// The open index.
pub struct AlertIndex {
    data_dir: PathBuf,
    index: Index,
    fields: Fields,
    reader: IndexReader,
    writer: Option<IndexWriter<TantivyDocument>>,
}

impl AlertIndex {
    /// Opens the index for writing and catches it up with the alert log and the audit trail.
    /// Fails with [`Error::Busy`] when another process writes it.
    pub fn open(data_dir: &Path) -> Result<AlertIndex> {
        let mut index = AlertIndex::open_read_only(data_dir)?;
        index.writer = Some(index.take_writer()?);
        index.catch_up()?;
        Ok(index)
    }

    /// Opens the index for searching: as a writer (caught up) when no other process writes it,
    /// otherwise read-only, as far as the writing process has committed.
    pub fn open_for_search(data_dir: &Path) -> Result<AlertIndex> {
        match AlertIndex::open(data_dir) {
            Err(Error::Busy(_)) => AlertIndex::open_read_only(data_dir),
            other => other,
        }
    }

    /// Opens the index without writing to it.
    pub fn open_read_only(data_dir: &Path) -> Result<AlertIndex> {
        let dir = data_dir.join(INDEX_DIR);
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        let (schema, fields) = schema::schema();
        let directory = tantivy::directory::MmapDirectory::open(&dir)
            .map_err(|e| Error::Internal(format!("{}: {e}", dir.display())))?;
        let index = Index::open_or_create(directory, schema).map_err(|e| match e {
            tantivy::TantivyError::SchemaError(why) => Error::Busy(format!(
                "{}: the index was written by another version of canhgac ({why}); \
                 run `canhgac index rebuild`",
                dir.display()
            )),
            other => Error::Index(other),
        })?;
        schema::register_analyzers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(AlertIndex {
            data_dir: data_dir.to_owned(),
            index,
            fields,
            reader,
            writer: None,
        })
    }

    /// Empties the index and builds it again from the alert log and the audit trail, in one
    /// commit. Returns what was indexed.
    pub fn rebuild(data_dir: &Path) -> Result<CatchUp> {
        let dir = data_dir.join(INDEX_DIR);
        let mut index = match AlertIndex::open_read_only(data_dir) {
            // An index of an older schema cannot be opened at all: start it afresh.
            Err(Error::Busy(why)) if why.contains("another version") => {
                std::fs::remove_dir_all(&dir).map_err(Error::io(&dir))?;
                AlertIndex::open_read_only(data_dir)?
            }
            other => other?,
        };
        let writer = index.take_writer()?;
        writer.delete_all_documents()?;
        index.writer = Some(writer);
        let done = index.read_from(Position::default(), true)?;
        index.close()?;
        Ok(done)
    }

    fn take_writer(&self) -> Result<IndexWriter<TantivyDocument>> {
        self.index.writer(WRITER_MEMORY_BYTES).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => Error::Busy(format!(
                "the alert index in {} is being written by another canhgac process \
                     (is `canhgac serve` running?)",
                self.data_dir.display()
            )),
            other => Error::Index(other),
        })
    }

    /// Whether this process writes the index.
    pub fn is_writer(&self) -> bool {
        self.writer.is_some()
    }

    fn position(&self) -> Result<Position> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default())
    }

    /// Indexes what the alert log and the audit trail hold beyond the committed position.
    pub fn catch_up(&mut self) -> Result<CatchUp> {
        let from = self.position()?;
        self.read_from(from, false)
    }

    fn read_from(&mut self, from: Position, rebuilding: bool) -> Result<CatchUp> {
        let fields = self.fields;
        let searcher = self.reader.searcher();
        let Some(writer) = self.writer.as_mut() else {
            return Err(Error::Busy("the alert index is open read-only".to_owned()));
        };
        // The audit trail's end is read first: a change is recorded only after its alert is in
        // the log, so every change read here is about an alert read below or indexed before.
        let audit = AuditLog::new(&self.data_dir);
        let audit_end = audit.end()?;
        let alerts_end = alerts_end(&self.data_dir)?;
        if !rebuilding && from.audit >= audit_end && from.alerts >= alerts_end {
            return Ok(CatchUp::default());
        }
        let (records, audit_next) = audit.read_range(from.audit, audit_end)?;
        let mut changed: HashMap<String, AlertState> = HashMap::new();
        for r in &records {
            changed.insert(r.alert_id.clone(), r.state_after());
        }
        let mut done = CatchUp::default();
        let mut failed = None;
        // A fresh or emptied index cannot hold an alert already; otherwise replace, to be sure.
        let replace = !rebuilding && from.alerts > 0;
        let log = self.data_dir.join(ALERTS_FILE);
        let alerts_next = jsonl::read_lines(&log, from.alerts, alerts_end, |line| {
            if failed.is_some() || line.trim().is_empty() {
                return;
            }
            let Ok(alert) = Alert::from_json(line) else {
                done.unreadable += 1;
                return;
            };
            let state = changed.remove(&alert.id).unwrap_or_default();
            if replace {
                writer.delete_term(Term::from_field_text(fields.id, &alert.id));
            }
            match writer.add_document(document(&fields, &alert, line, &state)) {
                Ok(_) => done.added += 1,
                Err(e) => failed = Some(e),
            }
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        for (id, state) in changed {
            let Some(line) = stored_alert(&searcher, &fields, &id)? else {
                done.orphan_changes += 1;
                continue;
            };
            let alert = Alert::from_json(&line).map_err(|e| Error::Internal(e.to_string()))?;
            writer.delete_term(Term::from_field_text(fields.id, &id));
            writer.add_document(document(&fields, &alert, &line, &state))?;
            done.updated += 1;
        }
        crate::failpoint::hit("index-before-commit");
        let position = Position {
            alerts: alerts_next,
            audit: audit_next,
        };
        let payload =
            serde_json::to_string(&position).map_err(|e| Error::Internal(e.to_string()))?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&payload);
        commit.commit()?;
        self.reader.reload()?;
        Ok(done)
    }

    /// Finishes pending segment merges and releases the writer.
    pub fn close(mut self) -> Result<()> {
        if let Some(writer) = self.writer.take() {
            writer.wait_merging_threads()?;
        }
        Ok(())
    }

    /// Sees what the writer (this process or another) has committed since the index was opened
    /// or last reloaded.
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    /// Alerts in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs a search: a page of alerts, newest first, the total, and the facets if asked.
    pub fn search(&self, req: &SearchRequest<'_>) -> Result<SearchResults> {
        let query = query::parse(&self.index, &self.fields, req.query, &req.ctx)?;
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(req.limit.max(1))
            .and_offset(req.offset)
            .order_by_fast_field::<DateTime>("ts", Order::Desc);
        let facets = req.facets.then_some(facets::Facets);
        let (total, page, facets) = searcher.search(&query, &(Count, top, facets))?;
        let mut hits = Vec::with_capacity(page.len());
        if req.limit > 0 {
            for (_, address) in page {
                let doc: TantivyDocument = searcher.doc(address)?;
                hits.push(hit(&self.fields, &doc)?);
            }
        }
        Ok(SearchResults {
            total,
            hits,
            facets: facets.unwrap_or_default(),
        })
    }

    /// The ids of every alert a query matches (for bulk changes).
    pub fn ids_matching(&self, query_text: &str, ctx: &QueryContext) -> Result<Vec<String>> {
        let query = query::parse(&self.index, &self.fields, query_text, ctx)?;
        let searcher = self.reader.searcher();
        let mut ids = Vec::new();
        for address in searcher.search(&query, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// One alert by id.
    pub fn get(&self, id: &str) -> Result<Option<Hit>> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let found = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match found.first() {
            Some((_, address)) => {
                let doc: TantivyDocument = searcher.doc(*address)?;
                Ok(Some(hit(&self.fields, &doc)?))
            }
            None => Ok(None),
        }
    }

    /// Applies a triage change to each alert in `ids` (at time `at`, RFC 3339): every allowed
    /// change is recorded in the audit trail and then indexed; the others are returned with the
    /// reason. Unknown ids are refused.
    pub fn change(
        &mut self,
        ids: &[String],
        req: &ChangeRequest,
        at: &str,
    ) -> Result<ChangeOutcome> {
        if self.writer.is_none() {
            return Err(Error::Busy(
                "the alert index is being written by another canhgac process; change alerts there"
                    .to_owned(),
            ));
        }
        self.catch_up()?;
        let mut outcome = ChangeOutcome::default();
        for id in ids {
            let result = match self.get(id)? {
                Some(hit) => req.apply(id, &hit.state, at),
                None => Err(Error::Workflow(format!("no alert with id {id}"))),
            };
            match result {
                Ok(record) => outcome.applied.push(record),
                Err(e) => outcome.refused.push((id.clone(), e)),
            }
        }
        AuditLog::new(&self.data_dir).append(&outcome.applied)?;
        crate::failpoint::hit("after-audit-append");
        self.catch_up()?;
        Ok(outcome)
    }
}

/// Catches the data directory's index up, unless another process writes it (that process keeps
/// it current). Returns what was indexed, or `None` when the index is busy.
pub fn sync(data_dir: &Path) -> Result<Option<CatchUp>> {
    let mut index = AlertIndex::open_read_only(data_dir)?;
    match index.take_writer() {
        Ok(writer) => index.writer = Some(writer),
        Err(Error::Busy(_)) => return Ok(None),
        Err(e) => return Err(e),
    }
    let done = index.catch_up()?;
    index.close()?;
    Ok(Some(done))
}

fn stored_alert(searcher: &tantivy::Searcher, fields: &Fields, id: &str) -> Result<Option<String>> {
    let query = TermQuery::new(
        Term::from_field_text(fields.id, id),
        IndexRecordOption::Basic,
    );
    let found = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
    let Some((_, address)) = found.first() else {
        return Ok(None);
    };
    let doc: TantivyDocument = searcher.doc(*address)?;
    Ok(doc
        .get_first(fields.alert)
        .and_then(|v| v.as_str())
        .map(str::to_owned))
}

fn hit(fields: &Fields, doc: &TantivyDocument) -> Result<Hit> {
    let text = |f| doc.get_first(f).and_then(|v| v.as_str()).unwrap_or("");
    let alert = Alert::from_json(text(fields.alert))
        .map_err(|e| Error::Internal(format!("stored alert unreadable: {e}")))?;
    let state = AlertState {
        status: text(fields.status).parse().unwrap_or(Status::New),
        resolution: text(fields.resolution).parse::<Resolution>().ok(),
        assignee: Some(text(fields.assignee))
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
    };
    Ok(Hit { alert, state })
}

/// Which searchable field a group-by key feeds, by the names rules use for it.
fn group_key_field(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase().replace(['_', '.', '-'], "");
    Some(match key.as_str() {
        "srcip" | "sourceip" | "src" | "sourceaddress" | "clientip" => "src_ip",
        "dstip" | "destinationip" | "dst" | "destinationaddress" => "dst_ip",
        "host" | "hostname" | "computer" | "computername" | "dvchost" => "host",
        "user" | "username" | "targetusername" | "targetuser" | "subjectusername" => "user",
        "srcport" | "sourceport" => "src_port",
        "dstport" | "destinationport" => "dst_port",
        _ => return None,
    })
}

fn push_distinct<T: PartialEq>(values: &mut Vec<T>, v: T) {
    if !values.contains(&v) {
        values.push(v);
    }
}

/// The document of an alert in a state.
fn document(f: &Fields, alert: &Alert, json: &str, state: &AlertState) -> TantivyDocument {
    let mut hosts: Vec<&str> = Vec::new();
    let mut users: Vec<&str> = Vec::new();
    let mut sources: Vec<&str> = Vec::new();
    let mut src_ips: Vec<IpAddr> = Vec::new();
    let mut dst_ips: Vec<IpAddr> = Vec::new();
    let mut src_ports: Vec<u64> = Vec::new();
    let mut dst_ports: Vec<u64> = Vec::new();
    let ip = |s: &str| s.parse::<IpAddr>().ok();
    for (key, value) in &alert.group_by {
        match group_key_field(key) {
            Some("src_ip") => ip(value)
                .into_iter()
                .for_each(|a| push_distinct(&mut src_ips, a)),
            Some("dst_ip") => ip(value)
                .into_iter()
                .for_each(|a| push_distinct(&mut dst_ips, a)),
            Some("host") => push_distinct(&mut hosts, value.as_str()),
            Some("user") => push_distinct(&mut users, value.as_str()),
            Some("src_port") => value
                .parse()
                .into_iter()
                .for_each(|p| push_distinct(&mut src_ports, p)),
            Some("dst_port") => value
                .parse()
                .into_iter()
                .for_each(|p| push_distinct(&mut dst_ports, p)),
            _ => {}
        }
    }
    for e in &alert.evidence {
        e.host
            .as_deref()
            .into_iter()
            .for_each(|h| push_distinct(&mut hosts, h));
        e.user
            .as_deref()
            .into_iter()
            .for_each(|u| push_distinct(&mut users, u));
        e.src_ip
            .as_deref()
            .and_then(ip)
            .into_iter()
            .for_each(|a| push_distinct(&mut src_ips, a));
        e.dst_ip
            .as_deref()
            .and_then(ip)
            .into_iter()
            .for_each(|a| push_distinct(&mut dst_ips, a));
        e.src_port
            .into_iter()
            .for_each(|p| push_distinct(&mut src_ports, u64::from(p)));
        e.dst_port
            .into_iter()
            .for_each(|p| push_distinct(&mut dst_ports, u64::from(p)));
        if !e.source_type.is_empty() {
            push_distinct(&mut sources, e.source_type.as_str());
        }
    }
    let mut d = TantivyDocument::new();
    d.add_text(f.id, &alert.id);
    d.add_date(f.ts, DateTime::from_timestamp_micros(alert.first_micros));
    d.add_date(
        f.last_ts,
        DateTime::from_timestamp_micros(canhgac_rules::alert::micros_of(&alert.last_ts)),
    );
    d.add_text(f.rule_id, &alert.rule_id);
    d.add_text(f.rule, &alert.title);
    d.add_text(f.rule_title, &alert.title);
    d.add_text(f.level, &alert.level);
    d.add_u64(f.level_rank, query::level_rank(&alert.level));
    alert.tactics.iter().for_each(|t| d.add_text(f.tactic, t));
    alert
        .techniques
        .iter()
        .for_each(|t| d.add_text(f.technique, t));
    alert.tags.iter().for_each(|t| d.add_text(f.tag, t));
    hosts.iter().for_each(|h| d.add_text(f.host, h));
    users.iter().for_each(|u| d.add_text(f.user, u));
    sources.iter().for_each(|s| d.add_text(f.source_type, s));
    src_ips
        .iter()
        .for_each(|a| d.add_ip_addr(f.src_ip, ipv6(*a)));
    dst_ips
        .iter()
        .for_each(|a| d.add_ip_addr(f.dst_ip, ipv6(*a)));
    src_ports.iter().for_each(|p| d.add_u64(f.src_port, *p));
    dst_ports.iter().for_each(|p| d.add_u64(f.dst_port, *p));
    for value in alert.group_by.values() {
        d.add_text(f.group, value);
    }
    d.add_u64(f.count, alert.count as u64);
    d.add_text(f.status, state.status.as_str());
    if let Some(r) = state.resolution {
        d.add_text(f.resolution, r.as_str());
    }
    if let Some(a) = &state.assignee {
        d.add_text(f.assignee, a);
    }
    for e in &alert.evidence {
        d.add_text(f.evidence, &e.raw);
    }
    d.add_text(f.alert, json);
    d
}

fn ipv6(a: IpAddr) -> std::net::Ipv6Addr {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}
