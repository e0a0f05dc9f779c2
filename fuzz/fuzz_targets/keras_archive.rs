//! `.keras` archives (and the HDF5 inside): any bytes give a model or an `Err`, never a
//! panic, hang or unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kiln::saving::load_model_bytes(data.to_vec(), "fuzz.keras");
});
