//! Turn a `render` crasher into a regression case directory:
//! `render_dump ARTIFACT OUT_DIR` writes the fuzzed tree as real files under OUT_DIR
//! (replayed by `tests/fuzz_regressions.rs`).
use arbitrary::{Arbitrary, Unstructured};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: render_dump ARTIFACT OUT_DIR");
        std::process::exit(2);
    }
    let data = std::fs::read(&args[1]).expect("read artifact");
    // libfuzzer-sys builds the input with `arbitrary_take_rest`.
    let tree = fuzz_harness::FuzzTree::arbitrary_take_rest(Unstructured::new(&data))
        .expect("decode artifact");
    let src = tree.source();
    let out = std::path::Path::new(&args[2]);
    for (path, bytes) in &src.files {
        let p = out.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).expect("mkdir");
        std::fs::write(&p, &bytes[..]).expect("write");
        println!("{path}: {} bytes", bytes.len());
    }
    fuzz_harness::check_render(&src);
    println!("no panic");
}
