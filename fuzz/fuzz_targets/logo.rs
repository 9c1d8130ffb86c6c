//! Logo uploads: any bytes through `Logo::parse` (PNG check, SVG cleaning), and
//! every accepted SVG judged again from the outside (see `portal_fuzz::logo`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    portal_fuzz::logo::check_logo(data);
});
