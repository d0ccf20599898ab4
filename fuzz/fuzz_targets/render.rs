#![no_main]
//! A small fuzzed tree of kustomize files -> render returns Ok or Err, never panics.
//!
//! To turn a crasher into a regression case, run it once with `FUZZ_DUMP_DIR` set:
//! `FUZZ_DUMP_DIR=regressions/render/NAME cargo fuzz run render ARTIFACT` writes
//! the tree as real files there (replayed by `tests/fuzz_regressions.rs`).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|tree: fuzz_harness::FuzzTree| {
    let src = tree.source();
    if let Some(dir) = std::env::var_os("FUZZ_DUMP_DIR") {
        fuzz_harness::write_tree(&src, std::path::Path::new(&dir));
    }
    fuzz_harness::check_render(&src);
});
