//! Integration tests of the parsers crate: conformance against other projects' ground truth,
//! property tests, and the project's own fixtures.

mod conformance;
mod fixtures;
mod properties;
