//! Inputs the fuzzer (fuzz/, target `hdf5_reader`) found. Each must give `Ok` or `Err`
//! quickly, never a panic or a hang.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Visits each group object once: hard links may form cycles, and without the visited
/// set a file whose group links to itself makes the walk exponential.
fn walk(g: &kiln_hdf5::Group, depth: usize, seen: &mut std::collections::HashSet<u64>) {
    if depth > 8 || !seen.insert(g.address()) {
        return;
    }
    if let Ok(names) = g.attr_names() {
        for n in names.iter().take(64) {
            let _ = g.attr(n);
        }
    }
    let Ok(members) = g.member_names() else {
        return;
    };
    for m in members.iter().take(64) {
        if let Ok(node) = g.get(m) {
            if node.is_group() {
                if let Ok(sub) = node.into_group() {
                    walk(&sub, depth + 1, seen);
                }
            } else if let Ok(ds) = node.into_dataset() {
                let _ = ds.read_raw();
                let _ = ds.read_f32();
                let _ = ds.read_strings();
            }
        }
    }
}

/// The fuzz target's walk, on one found input, within `limit`.
fn check(name: &str, limit: Duration) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_found")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    let start = Instant::now();
    if let Ok(f) = kiln_hdf5::File::from_bytes_with_limit(bytes, 16 << 20) {
        walk(&f.root(), 0, &mut std::collections::HashSet::new());
    }
    assert!(start.elapsed() < limit, "{name}: {:?}", start.elapsed());
}

/// Found by a 2026-12-01 run after 3,450 executions (a mutated
/// multi_input_shared_legacy.h5): a group whose member links back to a group above it.
/// The reader itself was fine; the walk, re-entering the cycle at every level, ran for
/// minutes. Walks now skip group addresses they have visited ([`kiln_hdf5::Group::address`]).
#[test]
fn timeout_bf20c926() {
    check("timeout-bf20c926.h5", Duration::from_secs(10));
}
