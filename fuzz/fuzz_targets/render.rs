#![no_main]
//! A small fuzzed tree of kustomize files -> render returns Ok or Err, never panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|tree: fuzz_harness::FuzzTree| {
    fuzz_harness::check_render(&tree.source());
});
