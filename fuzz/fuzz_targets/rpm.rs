#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| posture_fuzz::rpm::run(data));
