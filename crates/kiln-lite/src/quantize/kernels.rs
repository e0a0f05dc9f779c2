//! int8 kernels of kiln's quantized runtime: the i8 x i8 -> i32 dot product under every
//! FULLY_CONNECTED and CONV_2D output, compiled for the portable path, AVX2 and
//! AVX-512 VNNI, chosen at run time through `kiln_tensor::cpu::dispatch` (AVX-512 VNNI
//! when the process runs the AVX-512 path and the CPU has VNNI). Every path gives the
//! same integer result.

use kiln_tensor::cpu::dispatch::{cpu_path, CpuPath};

/// `sum(a[i] * b[i])` in i32 (`a.len() == b.len()`; the caller guarantees it).
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    #[cfg(target_arch = "x86_64")]
    {
        match cpu_path() {
            CpuPath::Avx512 if has_vnni() => {
                // SAFETY: the AVX-512 path is only selected when the CPU has AVX-512
                // F/BW/VL/DQ (dispatch checks it) and `has_vnni` checked VNNI.
                return unsafe { dot_vnni(a, b) };
            }
            CpuPath::Avx2 | CpuPath::Avx512 => {
                // SAFETY: these paths are only selected when the CPU has AVX2.
                return unsafe { dot_avx2(a, b) };
            }
            CpuPath::Portable => {}
        }
    }
    let _ = cpu_path;
    dot_portable(a, b)
}

/// The portable dot product.
pub fn dot_portable(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| x as i32 * y as i32).sum()
}

#[cfg(target_arch = "x86_64")]
fn has_vnni() -> bool {
    use std::sync::OnceLock;
    static VNNI: OnceLock<bool> = OnceLock::new();
    *VNNI.get_or_init(|| {
        is_x86_feature_detected!("avx512vnni") && is_x86_feature_detected!("avx512bw")
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(a: &[i8], b: &[i8]) -> i32 {
    use std::arch::x86_64::*;
    let n = a.len();
    let mut acc = _mm256_setzero_si256();
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n = a.len() = b.len(), so both 16-byte loads are in bounds;
        // loadu has no alignment requirement.
        let (va, vb) = unsafe {
            (
                _mm_loadu_si128(a.as_ptr().add(i) as *const __m128i),
                _mm_loadu_si128(b.as_ptr().add(i) as *const __m128i),
            )
        };
        let (va, vb) = (_mm256_cvtepi8_epi16(va), _mm256_cvtepi8_epi16(vb));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(va, vb));
        i += 16;
    }
    let mut lanes = [0i32; 8];
    // SAFETY: `lanes` is 32 bytes, the size of one __m256i; storeu needs no alignment.
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, acc) };
    lanes.iter().sum::<i32>() + dot_portable(&a[i..], &b[i..])
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn dot_vnni(a: &[i8], b: &[i8]) -> i32 {
    use std::arch::x86_64::*;
    let n = a.len();
    let flip = _mm512_set1_epi8(-128);
    let ones = _mm512_set1_epi8(1);
    let mut acc = _mm512_setzero_si512();
    let mut sum_b = _mm512_setzero_si512();
    let mut i = 0;
    while i + 64 <= n {
        // SAFETY: i + 64 <= n = a.len() = b.len(): both 64-byte loads are in bounds and
        // loadu has no alignment requirement.
        let (va, vb) = unsafe {
            (
                _mm512_loadu_si512(a.as_ptr().add(i) as *const _),
                _mm512_loadu_si512(b.as_ptr().add(i) as *const _),
            )
        };
        // dpbusd multiplies unsigned by signed bytes: a + 128 as u8, then remove 128 * sum(b).
        acc = _mm512_dpbusd_epi32(acc, _mm512_xor_si512(va, flip), vb);
        sum_b = _mm512_dpbusd_epi32(sum_b, ones, vb);
        i += 64;
    }
    let main = _mm512_reduce_add_epi32(acc) - 128 * _mm512_reduce_add_epi32(sum_b);
    main + dot_portable(&a[i..], &b[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_gives_the_portable_result() {
        let a: Vec<i8> = (0..1000).map(|i| ((i * 37 % 256) - 128) as i8).collect();
        let b: Vec<i8> = (0..1000).map(|i| ((i * 91 % 255) - 127) as i8).collect();
        for n in [0, 1, 15, 16, 63, 64, 65, 200, 1000] {
            let want = dot_portable(&a[..n], &b[..n]);
            #[cfg(target_arch = "x86_64")]
            {
                if CpuPath::Avx2.is_supported() {
                    // SAFETY: checked just above that the CPU has AVX2.
                    assert_eq!(unsafe { dot_avx2(&a[..n], &b[..n]) }, want, "avx2 n={n}");
                }
                if CpuPath::Avx512.is_supported() && has_vnni() {
                    // SAFETY: checked just above that the CPU has AVX-512 BW and VNNI.
                    assert_eq!(unsafe { dot_vnni(&a[..n], &b[..n]) }, want, "vnni n={n}");
                } else {
                    eprintln!("skip: no AVX-512 VNNI on this CPU");
                }
            }
            assert_eq!(dot_i8(&a[..n], &b[..n]), want);
        }
    }
}
