//! Any bytes through each parser entry point (a forced source type runs only that parser).
#![no_main]

use canhgac_parsers::{BatchBuilder, Origin, ParseContext, SourceType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, record)) = data.split_first() else { return };
    let source_type = SourceType::ALL[usize::from(selector) % SourceType::ALL.len()];
    let mut ctx = ParseContext::new(1_767_312_000_000_000);
    ctx.source_type = Some(source_type);
    let mut builder = BatchBuilder::new();
    builder.push(record, &ctx, Origin::default());
    assert_eq!(builder.finish().map(|b| b.num_rows()).unwrap_or(0), 1);
});
