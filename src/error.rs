//! The one error type. Every error names a cause in one line and, where known,
//! the file and line it comes from. The CLI prints it and exits with code 2.

use crate::yaml::Pos;
use std::fmt;

/// An error with an optional source position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
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
            pos: Pos::none(),
            msg: msg.into(),
        }
    }
    /// An error at a position.
    pub fn at(pos: &Pos, msg: impl Into<String>) -> Error {
        Error {
            pos: pos.clone(),
            msg: msg.into(),
        }
    }
    /// An error naming a file (no line).
    pub fn in_file(file: &str, msg: impl Into<String>) -> Error {
        Error {
            pos: Pos {
                file: Some(file.into()),
                line: 0,
                col: 0,
            },
            msg: msg.into(),
        }
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos.is_none() {
            write!(f, "{}", self.msg)
        } else {
            write!(f, "{}: {}", self.pos, self.msg)
        }
    }
}

impl std::error::Error for Error {}

/// Build an [`Error`] from a format string: `bail!(pos, "...")` returns early.
#[macro_export]
macro_rules! bail {
    ($pos:expr, $($arg:tt)*) => {
        return Err($crate::error::Error::at($pos, format!($($arg)*)))
    };
}
