#![no_main]
//! Arbitrary text -> Kustomization::parse never panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_harness::check_kustomization(data);
});
