//! Any bytes through format auto-detection into an Arrow row: no panic, exactly one row.
#![no_main]

use canhgac_parsers::{BatchBuilder, Origin, ParseContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut builder = BatchBuilder::new();
    builder.push(data, &ParseContext::new(1_767_312_000_000_000), Origin::default());
    let rows = builder.finish().map(|b| b.num_rows()).unwrap_or(0);
    assert_eq!(rows, 1);
});
