//! Hostile pull requests, broken input and CI edge cases: each attack is built
//! as a git repository and the real binary is run on it. Every refusal is exit 2
//! with one `error: <file>:<line>: <cause>` line, never a panic, and never the
//! content of what was refused.

mod budgets;
mod ci;
mod confinement;
mod external;
mod fetch;
mod incremental;
mod input;
mod outcomes;
mod output;
mod remote;
mod schemas;
mod secrets;
mod servers;
mod symlinks;
mod topology;
mod util;
