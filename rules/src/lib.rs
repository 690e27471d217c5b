//! Sigma detection for canhgac: rules loaded and checked, routed to the rows they apply to,
//! evaluated on Arrow batches as they stream in, correlated in time windows, and turned into
//! alerts with deterministic ids.
//!
//! - [`load`]: files and directories of Sigma rules (several documents per file); every rule that
//!   cannot be used is reported with its file, id and reason.
//! - [`logsource`]: which rows a Sigma `logsource` means and what its field names are
//!   (`rules/logsources.yaml`, shipped inside the crate).
//! - [`detect`]: the [`Detector`] interface, the sigma-rust reference detector,
//!   and the [`Engine`] that runs detection and correlation batch after batch.
//! - [`compiled`]: the fast detector: rules compiled over Arrow columns, routed by log source,
//!   prefiltered by one multi-literal pass per column.
//! - [`correlation`]: Sigma correlation rules and their windows.
//! - [`alert`]: alerts and their evidence.
//!
//! This crate has no I/O beyond reading rule files, and no DataFusion or Tantivy.

pub mod alert;
pub mod compiled;
pub mod correlation;
pub mod detect;
mod error;
pub mod load;
pub mod logsource;

pub use alert::{Alert, Evidence};
pub use compiled::CompiledDetector;
pub use detect::{Detector, Engine, Evaluator, ReferenceDetector};
pub use error::{Error, Result};
pub use load::{GenericRule, LoadFailure, RuleSet, RuleTests};
pub use logsource::Logsources;

/// The pack of rules written for canhgac (`rules/pack/`), built into the binary: (file name, text).
pub const PACK: &[(&str, &str)] = &[
    ("linux_auth.yml", include_str!("../pack/linux_auth.yml")),
    ("firewall.yml", include_str!("../pack/firewall.yml")),
    ("mail_ftp.yml", include_str!("../pack/mail_ftp.yml")),
    ("web.yml", include_str!("../pack/web.yml")),
    ("canhgac_ui.yml", include_str!("../pack/canhgac_ui.yml")),
];

/// The built-in pack as a rule set (with the built-in log sources), and what failed to load.
pub fn builtin_pack() -> Result<(RuleSet, Vec<LoadFailure>)> {
    let mut set = RuleSet::empty(Logsources::builtin()?);
    let mut failures = Vec::new();
    for (name, text) in PACK {
        set.add_text(std::path::Path::new(name), text, &mut failures);
    }
    set.finish(&mut failures);
    Ok((set, failures))
}
