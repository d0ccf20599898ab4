//! Stress test of the transformation pipeline (JSON6902 ops, replacements,
//! vars, strategic merge) over generated overlays under small output budgets:
//! the same generator and property as the `transform` fuzz target
//! (`fuzz/src/transform.rs`, included by path). Never a panic, never an output
//! over the budget, never a budget refusal without its flag.

#[path = "../fuzz/src/transform.rs"]
#[allow(dead_code)]
mod transform;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn transformations_stay_within_the_output_budget(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        transform::check_transform(&data);
    }
}

/// The generator reaches every outcome: renders, budget refusals and errors
/// (a generator that only produced errors would test nothing).
#[test]
fn generator_covers_every_outcome() {
    use transform::Outcome;
    let mut seen = std::collections::BTreeMap::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        let data: Vec<u8> = (0..160)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        *seen
            .entry(format!("{:?}", transform::check_transform(&data)))
            .or_insert(0) += 1;
    }
    eprintln!("outcomes: {seen:?}");
    for o in [Outcome::Rendered, Outcome::OverBudget, Outcome::Error] {
        assert!(
            seen.contains_key(&format!("{o:?}")),
            "{o:?} never reached: {seen:?}"
        );
    }
}

/// The amplification shapes of issue 9, spelled out: each byte string decodes
/// to copy/replacement/var doubling; each must end within the budget.
#[test]
fn amplification_seeds() {
    for seed in [
        // many copy ops, a big value
        [
            11u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23, 4, 0, 0, 4, 3, 0, 4, 4, 0, 4, 3, 0,
        ]
        .repeat(8),
        // replacements of whole maps
        [11u8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 23, 3, 0, 0, 0, 11, 3].repeat(12),
        // vars referenced many times
        [11u8, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0].repeat(6),
    ] {
        let o = transform::check_transform(&seed);
        eprintln!("{o:?}");
    }
}
