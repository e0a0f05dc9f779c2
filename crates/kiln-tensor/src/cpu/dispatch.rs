//! The one run-time choice of CPU kernel build: portable, AVX2+FMA or AVX-512.
//!
//! Every hand-vectorised kernel in [`crate::cpu`] is compiled up to three times (the
//! portable build, an `avx2,fma` build and an `avx512f,avx512bw,avx512vl,avx512dq` build,
//! each through `#[target_feature]`) and asks [`cpu_path`] which one to run. The path is
//! chosen once per process: the best the CPU has, unless the `KILN_CPU` environment
//! variable (`avx512`, `avx2` or `portable`) asks for another. A value that is not one of
//! those, or a path this CPU cannot run, prints a note on stderr naming the path used
//! instead (the kernels cannot return errors); [`requested_cpu_path`] gives the same check
//! as a `Result` for programs that want to refuse to start, as the `kiln` binary does.
//! [`set_cpu_path`] changes the path for the whole process (the path-equivalence tests).
//!
//! ```
//! use kiln_tensor::cpu::dispatch::{cpu_path, set_cpu_path, CpuPath};
//!
//! let best = cpu_path();
//! // The portable build runs everywhere.
//! set_cpu_path(CpuPath::Portable).unwrap();
//! assert_eq!(cpu_path(), CpuPath::Portable);
//! set_cpu_path(best).unwrap();
//! ```

use std::sync::atomic::{AtomicU8, Ordering};

/// A build of the CPU kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CpuPath {
    /// Baseline code for the target (SSE2 on x86-64); runs on every CPU.
    Portable,
    /// x86-64 with AVX2 and FMA.
    Avx2,
    /// x86-64 with AVX-512 F, BW, VL and DQ (and AVX2/FMA).
    Avx512,
}

/// Why a requested kernel path cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpuPathError {
    /// `KILN_CPU` (or a parsed name) is not a known path.
    #[error("KILN_CPU={value:?} is not a CPU path: expected one of avx512, avx2, portable")]
    Unknown {
        /// The value given.
        value: String,
    },
    /// The path exists but this CPU lacks the instructions it needs.
    #[error(
        "CPU path {} needs {} which this CPU does not have (it can run: {})",
        .path.name(), .path.needs(), names(.available)
    )]
    Unsupported {
        /// The path asked for.
        path: CpuPath,
        /// The paths this CPU can run, best first.
        available: Vec<CpuPath>,
    },
}

fn names(paths: &[CpuPath]) -> String {
    paths
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl CpuPath {
    /// Every path, best first.
    pub const ALL: [CpuPath; 3] = [CpuPath::Avx512, CpuPath::Avx2, CpuPath::Portable];

    /// The name `KILN_CPU` uses for this path.
    pub fn name(self) -> &'static str {
        match self {
            CpuPath::Portable => "portable",
            CpuPath::Avx2 => "avx2",
            CpuPath::Avx512 => "avx512",
        }
    }

    /// The CPU features this path needs, as `lscpu` spells them.
    pub fn needs(self) -> &'static str {
        match self {
            CpuPath::Portable => "nothing",
            CpuPath::Avx2 => "avx2 and fma",
            CpuPath::Avx512 => "avx512f, avx512bw, avx512vl, avx512dq, avx2 and fma",
        }
    }

    /// Parses a `KILN_CPU` value (case-insensitive, surrounding spaces ignored).
    ///
    /// ```
    /// use kiln_tensor::cpu::dispatch::CpuPath;
    /// assert_eq!(CpuPath::parse("AVX2").unwrap(), CpuPath::Avx2);
    /// assert!(CpuPath::parse("sse9").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<CpuPath, CpuPathError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "avx512" => Ok(CpuPath::Avx512),
            "avx2" => Ok(CpuPath::Avx2),
            "portable" => Ok(CpuPath::Portable),
            _ => Err(CpuPathError::Unknown {
                value: s.to_string(),
            }),
        }
    }

    /// True when this CPU can run the path.
    pub fn is_supported(self) -> bool {
        match self {
            CpuPath::Portable => true,
            #[cfg(target_arch = "x86_64")]
            CpuPath::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            CpuPath::Avx512 => {
                CpuPath::Avx2.is_supported()
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("avx512dq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    fn code(self) -> u8 {
        match self {
            CpuPath::Portable => 1,
            CpuPath::Avx2 => 2,
            CpuPath::Avx512 => 3,
        }
    }
}

impl std::fmt::Display for CpuPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The paths this CPU can run, best first (always ends with `Portable`).
pub fn available_cpu_paths() -> Vec<CpuPath> {
    CpuPath::ALL
        .into_iter()
        .filter(|p| p.is_supported())
        .collect()
}

/// The best path this CPU can run.
pub fn detected_cpu_path() -> CpuPath {
    available_cpu_paths()[0]
}

/// The path `KILN_CPU` asks for: the detected one when it is unset or empty, an error
/// when it names no path or one this CPU lacks.
pub fn requested_cpu_path() -> Result<CpuPath, CpuPathError> {
    match std::env::var("KILN_CPU") {
        Ok(v) if !v.trim().is_empty() => {
            let p = CpuPath::parse(&v)?;
            if p.is_supported() {
                Ok(p)
            } else {
                Err(CpuPathError::Unsupported {
                    path: p,
                    available: available_cpu_paths(),
                })
            }
        }
        _ => Ok(detected_cpu_path()),
    }
}

/// 0 until the first kernel asks; then a [`CpuPath::code`].
static PATH: AtomicU8 = AtomicU8::new(0);

#[cold]
fn init_path() -> CpuPath {
    let p = match requested_cpu_path() {
        Ok(p) => p,
        Err(e) => {
            let p = detected_cpu_path();
            eprintln!("kiln: {e}; using the {} kernels", p.name());
            p
        }
    };
    // Another thread may have initialised (or `set_cpu_path` run) meanwhile: keep its.
    match PATH.compare_exchange(0, p.code(), Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => p,
        Err(code) => from_code(code),
    }
}

fn from_code(code: u8) -> CpuPath {
    match code {
        3 => CpuPath::Avx512,
        2 => CpuPath::Avx2,
        _ => CpuPath::Portable,
    }
}

/// The kernel path in use (detected once, then cached; see the module docs).
#[inline]
pub fn cpu_path() -> CpuPath {
    match PATH.load(Ordering::Relaxed) {
        0 => init_path(),
        code => from_code(code),
    }
}

/// Makes every later kernel call in this process use `path`; returns the previous path.
/// Fails, changing nothing, when this CPU cannot run `path`.
pub fn set_cpu_path(path: CpuPath) -> Result<CpuPath, CpuPathError> {
    if !path.is_supported() {
        return Err(CpuPathError::Unsupported {
            path,
            available: available_cpu_paths(),
        });
    }
    let old = cpu_path();
    PATH.store(path.code(), Ordering::Relaxed);
    Ok(old)
}

/// Runs the body of a kernel with the build for the current [`cpu_path`]:
/// `dispatch!(avx512 => unsafe_call_a, avx2 => unsafe_call_b, portable => call_c)`.
/// The first two expressions are evaluated inside `unsafe` only when the path was
/// chosen, which [`cpu_path`] does only on a CPU that has its features.
macro_rules! dispatch {
    (avx512 => $a512:expr, avx2 => $a2:expr, portable => $p:expr $(,)?) => {{
        match $crate::cpu::dispatch::cpu_path() {
            #[cfg(target_arch = "x86_64")]
            $crate::cpu::dispatch::CpuPath::Avx512 => {
                // SAFETY: the AVX-512 path is only ever selected on a CPU that has
                // avx512f/bw/vl/dq, avx2 and fma (`CpuPath::is_supported`).
                #[allow(unused_unsafe)]
                unsafe {
                    $a512
                }
            }
            #[cfg(target_arch = "x86_64")]
            $crate::cpu::dispatch::CpuPath::Avx2 => {
                // SAFETY: the AVX2 path is only ever selected on a CPU that has avx2
                // and fma (`CpuPath::is_supported`).
                #[allow(unused_unsafe)]
                unsafe {
                    $a2
                }
            }
            _ => $p,
        }
    }};
}
pub(crate) use dispatch;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names_and_errors() {
        for p in CpuPath::ALL {
            assert_eq!(CpuPath::parse(p.name()).unwrap(), p);
        }
        let e = CpuPath::parse("avx1024").unwrap_err();
        assert_eq!(
            e.to_string(),
            "KILN_CPU=\"avx1024\" is not a CPU path: expected one of avx512, avx2, portable"
        );
    }

    #[test]
    fn portable_is_always_available_and_last() {
        let a = available_cpu_paths();
        assert_eq!(*a.last().unwrap(), CpuPath::Portable);
        assert_eq!(a[0], detected_cpu_path());
        assert!(a.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn unsupported_error_names_what_is_missing() {
        let e = CpuPathError::Unsupported {
            path: CpuPath::Avx512,
            available: vec![CpuPath::Avx2, CpuPath::Portable],
        };
        assert_eq!(
            e.to_string(),
            "CPU path avx512 needs avx512f, avx512bw, avx512vl, avx512dq, avx2 and fma which \
             this CPU does not have (it can run: avx2, portable)"
        );
    }
}
