#![no_main]
//! Fuzzed bytes -> one overlay whose resources go through JSON6902 ops,
//! replacements, vars and strategic merges under small output budgets
//! (`fuzz_harness::transform`): never a panic, never an output over budget.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_harness::transform::check_transform(data);
});
