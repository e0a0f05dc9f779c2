//! Corrupt input must give `Err`, never a panic, a hang or a huge
//! allocation: truncate valid files at every byte and flip bits (every bit
//! of small files, a deterministic sample of larger ones), then walk and
//! read everything in the damaged file.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use kiln_hdf5::{AttrValue, Data, File, FileBuilder, Group, Node};

/// Read limit for damaged files (keeps allocations small).
const LIMIT: u64 = 1 << 24;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools/golden/fixtures/hdf5")
        .join(name);
    std::fs::read(p).unwrap()
}

/// Visits every reachable object and reads every attribute and dataset.
/// Returns the number of successful reads (to check the walk does work).
fn walk(bytes: Vec<u8>) -> usize {
    let Ok(f) = File::from_bytes_with_limit(bytes, LIMIT) else {
        return 0;
    };
    let mut ok = 0;
    let mut budget = 2_000;
    walk_group(&f.root(), 0, &mut budget, &mut ok);
    ok
}

fn walk_group(g: &Group, depth: usize, budget: &mut usize, ok: &mut usize) {
    // damaged files can contain link cycles; the reader follows what the
    // file says, so the walker bounds itself
    if depth > 16 || *budget == 0 {
        return;
    }
    *budget -= 1;
    if let Ok(names) = g.attr_names() {
        for a in names {
            *ok += usize::from(g.attr(&a).is_ok());
            let _ = g.attr_dtype(&a);
        }
    }
    let Ok(names) = g.member_names() else { return };
    let _ = g.is_group("nonexistent");
    for n in names {
        match g.get(&n) {
            Ok(Node::Group(sub)) => walk_group(&sub, depth + 1, budget, ok),
            Ok(Node::Dataset(d)) => {
                *ok += 1;
                let _ = d.read_raw();
                let _ = d.read_f32();
                let _ = d.read_f64();
                let _ = d.read_i64();
                let _ = d.read_strings();
                if let Ok(attrs) = d.attr_names() {
                    for a in attrs {
                        let _ = d.attr(&a);
                    }
                }
            }
            Err(_) => {}
        }
    }
}

fn check(name: &str, bytes: &[u8], what: &str) {
    let r = catch_unwind(AssertUnwindSafe(|| walk(bytes.to_vec())));
    assert!(r.is_ok(), "{name}: panic after {what}");
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn small_written_file() -> Vec<u8> {
    let mut b = FileBuilder::new();
    let r = b.root_mut();
    r.set_attr("s", "x").unwrap();
    r.set_attr("names", AttrValue::Strings(vec!["ab".into(), "c".into()]))
        .unwrap();
    r.set_attr("i", 3i64).unwrap();
    r.create_dataset("g/d", &[2, 2], vec![1.0f32, 2.0, 3.0, 4.0])
        .unwrap();
    r.create_dataset("v", &[2], Data::VarStrings(vec!["a".into(), "bc".into()]))
        .unwrap();
    b.to_bytes().unwrap()
}

#[test]
fn undamaged_files_walk_fully() {
    for name in [
        "basic_earliest.h5",
        "basic_latest.h5",
        "chunked_earliest.h5",
        "many_latest.h5",
    ] {
        assert!(walk(fixture(name)) > 5, "{name}");
    }
    assert!(walk(small_written_file()) >= 5);
}

#[test]
fn truncation_at_every_byte() {
    let files = [
        ("written", small_written_file(), 1),
        ("tiny.weights.h5", fixture("tiny.weights.h5"), 1),
        ("chunked_latest.h5", fixture("chunked_latest.h5"), 1),
        ("basic_latest.h5", fixture("basic_latest.h5"), 3),
        ("basic_earliest.h5", fixture("basic_earliest.h5"), 7),
        ("chunked_earliest.h5", fixture("chunked_earliest.h5"), 7),
        ("many_latest.h5", fixture("many_latest.h5"), 7),
    ];
    for (name, bytes, step) in files {
        for len in (0..bytes.len()).step_by(step) {
            check(name, &bytes[..len], &format!("truncation to {len} bytes"));
        }
    }
}

#[test]
fn every_bit_flipped_in_small_file() {
    let bytes = small_written_file();
    for i in 0..bytes.len() * 8 {
        let mut b = bytes.clone();
        b[i / 8] ^= 1 << (i % 8);
        check("written", &b, &format!("flipping bit {i}"));
    }
}

#[test]
fn sampled_bit_flips_in_fixtures() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for name in [
        "tiny.weights.h5",
        "tiny_legacy.h5",
        "basic_earliest.h5",
        "basic_latest.h5",
        "chunked_earliest.h5",
        "chunked_latest.h5",
        "many_earliest.h5",
        "many_latest.h5",
    ] {
        let bytes = fixture(name);
        for _ in 0..3_000 {
            let mut b = bytes.clone();
            let i = (rng.next() % (b.len() as u64 * 8)) as usize;
            b[i / 8] ^= 1 << (i % 8);
            check(name, &b, &format!("flipping bit {i}"));
        }
    }
}

#[test]
fn random_byte_overwrites_in_fixtures() {
    // several bytes at once, set to "interesting" values
    let mut rng = Rng(12345);
    let specials = [0x00u8, 0xff, 0x7f, 0x80, 0x01, 0x10];
    for name in [
        "basic_earliest.h5",
        "basic_latest.h5",
        "chunked_latest.h5",
        "many_latest.h5",
    ] {
        let bytes = fixture(name);
        for _ in 0..1_500 {
            let mut b = bytes.clone();
            for _ in 0..4 {
                let i = (rng.next() % b.len() as u64) as usize;
                b[i] = specials[(rng.next() % specials.len() as u64) as usize];
            }
            check(name, &b, "overwriting bytes");
        }
    }
}
