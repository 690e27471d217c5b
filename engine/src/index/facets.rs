//! Counts of a result set by level, rule, host, status and source type, read from the fast
//! (columnar) fields while the query runs, without loading any document.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// The fields counted, as they are named in results.
pub(crate) const FACET_FIELDS: [(&str, &str); 5] = [
    ("level", "level"),
    ("rule", "rule_title"),
    ("host", "host"),
    ("status", "status"),
    ("source_type", "source_type"),
];

/// How many values of each facet are kept (the most frequent).
const TOP: usize = 10;

/// Counts of one facet: (value, alerts), most frequent first.
pub type FacetCounts = Vec<(String, u64)>;

/// The collector.
pub(crate) struct Facets;

/// Per segment: one count per term ordinal of each column.
pub(crate) struct SegmentFacets {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
}

impl Collector for Facets {
    type Fruit = Vec<(String, FacetCounts)>;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let mut columns = Vec::new();
        let mut counts = Vec::new();
        for (_, field) in FACET_FIELDS {
            let column = segment.fast_fields().str(field)?;
            counts.push(vec![0; column.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(column);
        }
        Ok(SegmentFacets { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        segments: Vec<Vec<HashMap<String, u64>>>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut merged: Vec<HashMap<String, u64>> = vec![HashMap::new(); FACET_FIELDS.len()];
        for segment in segments {
            for (total, part) in merged.iter_mut().zip(segment) {
                for (value, n) in part {
                    *total.entry(value).or_default() += n;
                }
            }
        }
        Ok(FACET_FIELDS
            .iter()
            .zip(merged)
            .map(|((name, _), counts)| {
                let mut counts: FacetCounts = counts.into_iter().collect();
                counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                counts.truncate(TOP);
                ((*name).to_owned(), counts)
            })
            .collect())
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    if let Some(n) = counts.get_mut(ord as usize) {
                        *n += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(column, counts)| {
                let mut values = HashMap::new();
                let Some(column) = column else {
                    return values;
                };
                let mut text = String::new();
                for (ord, n) in counts.into_iter().enumerate() {
                    if n > 0 && column.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                        values.insert(text.clone(), n);
                    }
                }
                values
            })
            .collect()
    }
}
