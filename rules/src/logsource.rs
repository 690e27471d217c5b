//! Sigma log sources mapped onto canhgac's rows and columns (`rules/logsources.yaml`).
//!
//! A rule's `logsource` (product / service / category) picks the most specific entry whose keys
//! all equal the rule's. The entry says which rows the rule applies to (conditions on columns
//! such as `source_type` and `app`) and what each Sigma field name means: a schema column, a key
//! of the `fields` map, or (for `keywords`) the record's text.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The mapping shipped with canhgac.
pub const BUILTIN: &str = include_str!("../logsources.yaml");

/// The columns of the event schema that rules can name directly.
pub const COLUMNS: &[&str] = &[
    "ts",
    "received_at",
    "source_type",
    "collector",
    "peer",
    "asset_group",
    "facility",
    "severity",
    "host",
    "app",
    "pid",
    "msgid",
    "message",
    "src_ip",
    "dst_ip",
    "nat_src_ip",
    "nat_dst_ip",
    "src_port",
    "dst_port",
    "protocol",
    "action",
    "rule_name",
    "in_iface",
    "out_iface",
    "bytes_in",
    "bytes_out",
    "packets",
    "user",
    "outcome",
    "raw",
    "parse_status",
];

/// Where a Sigma field's value comes from in a row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldRef {
    /// A schema column.
    Column(String),
    /// A key of the `fields` map.
    Map(String),
    /// The text keywords are searched in: `message`, or `raw` when the message is empty.
    Keywords,
}

impl FieldRef {
    fn parse(spec: &str) -> FieldRef {
        match spec.strip_prefix("fields.") {
            Some(key) => FieldRef::Map(key.to_owned()),
            None => FieldRef::Column(spec.to_owned()),
        }
    }
}

#[derive(Deserialize)]
struct Spec {
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
    rows: Vec<HashMap<String, Vec<String>>>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    open: bool,
    #[serde(default)]
    any_service: bool,
    #[serde(default)]
    aliases: HashMap<String, String>,
}

/// One log source: which rows, and what field names mean there.
#[derive(Debug)]
pub struct Logsource {
    /// `product/service/category` as written in the mapping (for messages and counts).
    pub name: String,
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
    /// Alternatives; a row matches one when every (field, allowed values) holds.
    pub rows: Vec<Vec<(FieldRef, Vec<String>)>>,
    fields: HashSet<String>,
    open: bool,
    any_service: bool,
    aliases: HashMap<String, FieldRef>,
}

impl Logsource {
    /// What a Sigma field name means here; `None` when it does not exist for this log source.
    pub fn resolve(&self, sigma_field: &str) -> Option<FieldRef> {
        if let Some(r) = self.aliases.get(sigma_field) {
            return Some(r.clone());
        }
        if COLUMNS.contains(&sigma_field) {
            return Some(FieldRef::Column(sigma_field.to_owned()));
        }
        if self.open || self.fields.contains(sigma_field) {
            return Some(FieldRef::Map(sigma_field.to_owned()));
        }
        None
    }

    fn specificity(&self) -> usize {
        [&self.product, &self.service, &self.category]
            .iter()
            .filter(|k| k.is_some())
            .count()
    }
}

/// The log-source table.
#[derive(Debug)]
pub struct Logsources {
    entries: Vec<Logsource>,
}

impl Logsources {
    /// The mapping shipped with canhgac.
    pub fn builtin() -> Result<Logsources> {
        Logsources::from_yaml(BUILTIN)
    }

    /// A mapping from its YAML text.
    pub fn from_yaml(text: &str) -> Result<Logsources> {
        let specs: Vec<Spec> =
            serde_norway::from_str(text).map_err(|e| Error::Mapping(e.to_string()))?;
        let entries = specs
            .into_iter()
            .map(|s| {
                let name = [
                    s.product.as_deref().map(|p| format!("product={p}")),
                    s.service.as_deref().map(|p| format!("service={p}")),
                    s.category.as_deref().map(|p| format!("category={p}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(",");
                Logsource {
                    name,
                    rows: s
                        .rows
                        .into_iter()
                        .map(|alt| {
                            alt.into_iter()
                                .map(|(k, v)| (FieldRef::parse(&k), v))
                                .collect()
                        })
                        .collect(),
                    product: s.product,
                    service: s.service,
                    category: s.category,
                    fields: s.fields.into_iter().collect(),
                    open: s.open,
                    any_service: s.any_service,
                    aliases: s
                        .aliases
                        .into_iter()
                        .map(|(k, v)| (k, FieldRef::parse(&v)))
                        .collect(),
                }
            })
            .collect();
        Ok(Logsources { entries })
    }

    /// The most specific entry for a rule's log source, by index.
    pub fn route(
        &self,
        product: Option<&str>,
        service: Option<&str>,
        category: Option<&str>,
    ) -> Option<usize> {
        let fits = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.specificity() > 0
                    && fits(&e.product, product)
                    && fits(&e.service, service)
                    && fits(&e.category, category)
            })
            // A rule naming a service we do not map must not fall back to the product alone:
            // `linux/apache` is not `linux`.
            .filter(|(_, e)| {
                service.is_none() || e.service.is_some() || e.category.is_some() || e.any_service
            })
            // Likewise a category: `linux/process_creation` is not the Linux syslog.
            .filter(|(_, e)| category.is_none() || e.category.is_some())
            .max_by_key(|(_, e)| e.specificity())
            .map(|(i, _)| i)
    }

    /// An entry by index.
    pub fn get(&self, index: usize) -> Option<&Logsource> {
        self.entries.get(index)
    }

    /// How many entries the table has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_mapping_loads_and_routes() {
        let map = Logsources::builtin().unwrap_or_else(|e| panic!("{e}"));
        let sshd = map.route(Some("linux"), Some("sshd"), None);
        let entry = sshd.and_then(|i| map.get(i)).map(|e| e.name.clone());
        assert_eq!(entry.as_deref(), Some("product=linux,service=sshd"));
        assert!(map.route(Some("linux"), Some("apache"), None).is_none());
        let vsftpd = map.route(Some("linux"), Some("vsftpd"), None);
        let entry = vsftpd.and_then(|i| map.get(i)).map(|e| e.name.clone());
        assert_eq!(entry.as_deref(), Some("product=linux,service=vsftpd"));
        assert!(map.route(Some("windows"), None, None).is_none());
        let fw = map
            .route(None, None, Some("firewall"))
            .and_then(|i| map.get(i));
        assert_eq!(
            fw.and_then(|e| e.resolve("dst_port")),
            Some(FieldRef::Column("dst_port".into()))
        );
        let forti = map
            .route(Some("fortigate"), Some("event"), None)
            .and_then(|i| map.get(i));
        assert_eq!(
            forti.and_then(|e| e.resolve("action")),
            Some(FieldRef::Map("action".into()))
        );
        let sudo = map
            .route(Some("linux"), Some("sudo"), None)
            .and_then(|i| map.get(i));
        assert_eq!(sudo.and_then(|e| e.resolve("Image")), None);
    }
}
