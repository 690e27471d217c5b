//! The Sigma specification's own examples (`sigma-specification/extracted_examples`): every
//! complete correlation example parses with the type it declares, and every complete detection
//! example compiles.

use std::path::Path;

use canhgac_rules::GenericRule;
use canhgac_rules::correlation::{Correlation, Kind};
use serde_norway::Value;

#[test]
fn specification_examples_load() {
    let Some(corpora) = std::env::var_os("CANHGAC_CORPORA") else {
        println!("specification examples skipped: set CANHGAC_CORPORA");
        return;
    };
    let dir = std::path::PathBuf::from(corpora).join("sigma-specification/extracted_examples");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let (mut correlations, mut detections, mut fragments) = (0, 0, 0);
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Ok(mut value) = serde_norway::from_str::<Value>(&text) else {
            fragments += 1;
            continue;
        };
        let Some(m) = value.as_mapping_mut() else {
            fragments += 1;
            continue;
        };
        // Examples are excerpts; some leave out the title.
        if !m.contains_key("title") {
            m.insert(Value::from("title"), Value::from("example"));
        }
        if let Some(c) = value.get("correlation").filter(|c| c.get("type").is_some()) {
            let declared = c
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let parsed = Correlation::from_yaml(&value, "example".into(), Path::new("example"))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let kind = match declared.as_str() {
                "event_count" => Kind::EventCount,
                "value_count" => Kind::ValueCount,
                "temporal" => Kind::Temporal,
                "temporal_ordered" => Kind::TemporalOrdered,
                "value_sum" => Kind::ValueSum,
                "value_avg" => Kind::ValueAvg,
                _ => Kind::ValuePercentile,
            };
            assert_eq!(parsed.kind, kind, "{}", path.display());
            correlations += 1;
        } else if value.get("detection").is_some() && value.get("filter").is_none() {
            let text = serde_norway::to_string(&value).unwrap_or_default();
            GenericRule::from_yaml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            detections += 1;
        } else {
            fragments += 1;
        }
    }
    println!(
        "specification examples: {correlations} correlations and {detections} detections load; {fragments} are fragments or filters"
    );
    assert!(
        correlations >= 8,
        "only {correlations} correlation examples found"
    );
    assert!(detections >= 2);
}
