//! Runs every fuzz target over its seed corpus (`corpus/NAME/`) and its
//! regression inputs (`regressions/NAME/`, the minimized findings) with
//! the ordinary toolchain: the targets stay built and their findings stay
//! fixed where libFuzzer cannot run. Each input must finish without a
//! panic within the time `bench/fuzz.sh` gives libFuzzer.

use std::path::Path;
use std::time::{Duration, Instant};

/// The `-timeout` of bench/fuzz.sh, with room for an unoptimized build.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn every_target_replays_its_corpus() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ran = 0;
    for (name, run) in posture_fuzz::TARGETS {
        let mut inputs = Vec::new();
        for dir in ["corpus", "regressions"] {
            if let Ok(rd) = std::fs::read_dir(here.join(dir).join(name)) {
                inputs.extend(rd.flatten().map(|e| e.path()));
            }
        }
        inputs.sort();
        assert!(!inputs.is_empty(), "no seed inputs for the {name} target");
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let start = Instant::now();
            run(&data);
            let took = start.elapsed();
            assert!(took < LIMIT, "{}: took {took:?}", input.display());
            ran += 1;
        }
    }
    println!("replayed {ran} inputs");
}
