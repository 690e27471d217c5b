//! A test hook: `CANHGAC_FAILPOINT=NAME` makes the process abort, as a crash would, when it
//! reaches the point of that name. Tests use it to show that a crash there loses nothing. The
//! points: `after-alert-append` (alerts synced to the log, index not yet committed),
//! `index-before-commit` (documents added to the index writer, not committed),
//! `after-audit-append` (a triage change recorded, not yet indexed).

/// Aborts the process if `CANHGAC_FAILPOINT` names this point.
pub(crate) fn hit(name: &str) {
    if std::env::var_os("CANHGAC_FAILPOINT").is_some_and(|v| v == name) {
        eprintln!("canhgac: failpoint {name}: aborting");
        std::process::abort();
    }
}
