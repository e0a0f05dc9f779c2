//! `--name N` / `--name=N` command-line flags of the seed examples (seed scale by
//! default, smaller for tests).
#![allow(dead_code)]

/// The value of `--name` (as `--name N` or `--name=N`), or `default`; an unparsable
/// value is an error naming the flag.
pub fn usize_flag(name: &str, default: usize) -> kiln::Result<usize> {
    let args: Vec<String> = std::env::args().collect();
    let key = format!("--{name}");
    let mut value = None;
    for (i, a) in args.iter().enumerate() {
        if let Some(v) = a.strip_prefix(&format!("{key}=")) {
            value = Some(v.to_string());
        } else if *a == key {
            value = args.get(i + 1).cloned();
        }
    }
    match value {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| kiln::Error::InvalidArgument {
            api: "flags",
            msg: format!("{key} expects a whole number, got {v:?}"),
        }),
    }
}
