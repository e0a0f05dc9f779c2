//! The HDF5 reader: open any bytes and walk every group, attribute and dataset (reading
//! each), bounded in depth and memory; only `Ok`/`Err` may come out.
#![no_main]

use libfuzzer_sys::fuzz_target;

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
                if let Ok(names) = ds.attr_names() {
                    for n in names.iter().take(64) {
                        let _ = ds.attr(n);
                    }
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = kiln_hdf5::File::from_bytes_with_limit(data.to_vec(), 16 << 20) {
        walk(&f.root(), 0, &mut std::collections::HashSet::new());
    }
});
