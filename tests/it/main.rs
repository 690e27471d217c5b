//! End-to-end tests of the `canhgac` binary: real files on disk, real Parquet, real DataFusion.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod cli;
mod mail;
mod report;
mod search;
mod serve;
mod ui;

/// Runs canhgac with `args` (and `stdin`) from the repository root.
pub(crate) fn canhgac(args: &[&str], stdin: Option<&[u8]>) -> Output {
    canhgac_with_env(args, stdin, &[])
}

/// Runs canhgac with extra environment variables.
pub(crate) fn canhgac_with_env(
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_canhgac"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning canhgac: {e}"));
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.unwrap_or_default())
            .unwrap_or_else(|e| panic!("writing stdin: {e}"));
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for canhgac: {e}"))
}

/// Runs canhgac, asserts success and returns stdout.
pub(crate) fn ok(args: &[&str]) -> String {
    let out = canhgac(args, None);
    assert!(
        out.status.success(),
        "canhgac {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `canhgac sql --format csv` on a data directory.
pub(crate) fn sql_csv(data: &str, query: &str) -> String {
    ok(&["sql", "--data-dir", data, "--format", "csv", query])
}

/// A file of `samples/`.
pub(crate) fn sample(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(path)
}
