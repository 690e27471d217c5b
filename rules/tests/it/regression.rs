//! SigmaHQ's regression set (`sigma/regression_conformance`): each rule with the Windows event it
//! must match (an evtx record converted to JSON). The record is flattened the way SigmaHQ's own
//! checker reads it: `EventData` fields and `System` fields (`EventID`, `Channel`, `Computer`,
//! `Provider_Name`) at the top level. Every rule must match its event.

use std::collections::HashMap;
use std::path::Path;

use canhgac_rules::GenericRule;
use serde_json::{Map, Value};

fn rule_files(dir: &Path, out: &mut HashMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "regression_data") {
                rule_files(&path, out);
            }
        } else if path.extension().is_some_and(|x| x == "yml") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(id) = text
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .map(|id| id.trim().to_owned())
            {
                out.insert(id, text);
            }
        }
    }
}

/// `{"Event": {"System": {...}, "EventData": {...}}}` -> one flat object.
fn flatten(record: &Value) -> Value {
    let event = record.get("Event").unwrap_or(record);
    let mut flat = Map::new();
    if let Some(system) = event.get("System") {
        for key in ["EventID", "Channel", "Computer", "Level", "Task"] {
            if let Some(v) = system.get(key) {
                flat.insert(key.to_owned(), v.clone());
            }
        }
        if let Some(name) = system.pointer("/Provider/#attributes/Name") {
            flat.insert("Provider_Name".to_owned(), name.clone());
        }
    }
    // EventData holds the fields; UserData holds one element whose children are the fields.
    // Names are also given without spaces (`Source Name` -> `SourceName`), as the checker does.
    let mut put = |k: &str, v: &Value| {
        flat.insert(k.to_owned(), v.clone());
        if k.contains(' ') {
            flat.insert(k.replace(' ', ""), v.clone());
        }
    };
    if let Some(Value::Object(data)) = event.get("EventData") {
        for (k, v) in data {
            put(k, v);
        }
    }
    if let Some(Value::Object(data)) = event.get("UserData") {
        for inner in data.values() {
            if let Value::Object(fields) = inner {
                for (k, v) in fields {
                    put(k, v);
                }
            }
        }
    }
    Value::Object(flat)
}

fn info_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            info_files(&path, out);
        } else if path.file_name().is_some_and(|n| n == "info.yml") {
            out.push(path);
        }
    }
}

#[test]
fn sigmahq_regression_events_match_their_rules() {
    let Some(corpora) = std::env::var_os("CANHGAC_CORPORA") else {
        println!("regression set skipped: set CANHGAC_CORPORA");
        return;
    };
    let root = std::path::PathBuf::from(corpora).join("sigma/regression_conformance");
    let mut rules = HashMap::new();
    rule_files(&root, &mut rules);
    let mut infos = Vec::new();
    info_files(&root.join("regression_data"), &mut infos);
    infos.sort();
    let (mut passed, mut failed) = (0, Vec::new());
    for info in infos {
        let text = std::fs::read_to_string(&info).unwrap_or_default();
        let Ok(meta) = serde_norway::from_str::<serde_norway::Value>(&text) else {
            continue;
        };
        let Some(id) = meta
            .get("rule_metadata")
            .and_then(|m| m.get(0))
            .and_then(|m| m.get("id"))
            .and_then(|v| v.as_str())
        else {
            continue;
        };
        let Some(rule_text) = rules.get(id) else {
            continue;
        };
        let Some(dir) = info.parent() else { continue };
        let Ok(event_text) = std::fs::read_to_string(dir.join(format!("{id}.json"))) else {
            continue;
        };
        let Ok(record) = serde_json::from_str::<Value>(&event_text) else {
            continue;
        };
        let records = match record {
            Value::Array(items) => items,
            one => vec![one],
        };
        match GenericRule::from_yaml(rule_text) {
            Ok(rule) if records.iter().any(|r| rule.matches(&flatten(r))) => passed += 1,
            Ok(_) => failed.push(format!("{id}: no match")),
            Err(e) => failed.push(format!("{id}: {e}")),
        }
    }
    println!(
        "SigmaHQ regression set: {passed} rules matched their events, {} did not",
        failed.len()
    );
    for f in &failed {
        println!("  {f}");
    }
    assert!(passed > 150, "only {passed} regression cases ran");
    assert!(failed.is_empty(), "{failed:#?}");
}
