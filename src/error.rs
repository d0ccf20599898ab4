//! The one error type. Every error names a cause in one line and, where known,
//! the file and line it comes from. The CLI prints it and exits with code 2.
//!
//! Callers branch on [`ErrorKind`], never on the message text: the `auto`
//! renderer falls back to an external kustomize only for
//! [`ErrorKind::Unsupported`], the gate reports [`ErrorKind::Budget`] and
//! [`ErrorKind::Confinement`] as hostile-input refusals, and so on.

use crate::yaml::Pos;
use std::fmt;

/// What went wrong, for callers that decide by it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// Not classified further (malformed input the renderer rejects as kustomize does).
    #[default]
    Other,
    /// Malformed YAML or JSON.
    Parse,
    /// A path or symlink leaves the repository root (or another confinement root).
    Confinement,
    /// A size, count, nesting or time budget was exceeded.
    Budget,
    /// A kustomize feature the native renderer does not implement.
    Unsupported,
    /// A reference to remote content (a URL, a git repository) where none is allowed.
    Remote,
    /// A file or directory the kustomization names does not exist.
    Missing,
    /// A git object store problem: unknown revision, unreadable object.
    Git,
    /// The gate's own configuration is invalid.
    Config,
    /// An operating-system I/O failure.
    Io,
}

/// An error with a kind and an optional source position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", display(.pos, .msg))]
pub struct Error {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// Where the problem is, when known.
    pub pos: Pos,
    /// One-line cause.
    pub msg: String,
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error without a position.
    pub fn msg(msg: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Other,
            pos: Pos::none(),
            msg: msg.into(),
        }
    }
    /// An error at a position.
    pub fn at(pos: &Pos, msg: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Other,
            pos: pos.clone(),
            msg: msg.into(),
        }
    }
    /// An error naming a file (no line).
    pub fn in_file(file: &str, msg: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Other,
            pos: Pos {
                file: Some(file.into()),
                line: 0,
                col: 0,
            },
            msg: msg.into(),
        }
    }
    /// The same error with `kind` set.
    #[must_use]
    pub fn kind(mut self, kind: ErrorKind) -> Error {
        self.kind = kind;
        self
    }
    /// Whether this error is of `kind`.
    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }
    /// Attach a position when none is set yet.
    pub fn or_at(mut self, pos: &Pos) -> Error {
        if self.pos.is_none() {
            self.pos = pos.clone();
        }
        self
    }
    /// Prefix the message with context (`context: msg`).
    pub fn context(mut self, ctx: impl fmt::Display) -> Error {
        self.msg = format!("{ctx}: {}", self.msg);
        self
    }
}

fn display(pos: &Pos, msg: &str) -> String {
    if pos.is_none() {
        msg.to_string()
    } else {
        format!("{pos}: {msg}")
    }
}

/// Build an [`Error`] from a format string: `bail!(pos, "...")` returns early.
#[macro_export]
macro_rules! bail {
    ($pos:expr, $($arg:tt)*) => {
        return Err($crate::error::Error::at($pos, format!($($arg)*)))
    };
}
