//! Output formats for diff reports.
