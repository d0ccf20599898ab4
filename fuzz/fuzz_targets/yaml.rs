#![no_main]
//! Arbitrary bytes -> decode -> parse (both schemas) -> emit -> re-parse: same tree.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_harness::check_yaml(data);
});
