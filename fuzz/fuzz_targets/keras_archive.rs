//! `.keras` archives (and the config and HDF5 inside): any bytes give a model or an
//! `Err`, never a panic, hang or unbounded allocation.
//!
//! An input starting with `PK` is the archive itself. Any other input is
//! `[config length: u32 LE][config.json][model.weights.h5]`, zipped here with correct
//! CRCs: mutations of a real archive's members almost all fail the zip CRC check, so this
//! form is what lets the fuzzer reach the config parser and the weights reader.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;

/// Small enough that every refusal stays far below libFuzzer's 2 GiB RSS limit.
const LIMIT: u64 = 64 << 20;

fn archive(config: &[u8], h5: &[u8]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [("config.json", config), ("model.weights.h5", h5)] {
        z.start_file(name, opts).expect("zip to memory");
        z.write_all(bytes).expect("zip to memory");
    }
    z.finish().expect("zip to memory");
    buf.into_inner()
}

fuzz_target!(|data: &[u8]| {
    let bytes = if data.starts_with(b"PK") || data.len() < 4 {
        data.to_vec()
    } else {
        let n = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
        let rest = &data[4..];
        let n = n.min(rest.len());
        archive(&rest[..n], &rest[n..])
    };
    let _ = kiln::saving::load_model_bytes_with_limit(bytes, "fuzz.keras", LIMIT);
});
