//! Allocation of kernel output buffers.
//!
//! Large buffers are advised to use transparent huge pages on Linux (as NumPy does for
//! arrays of 4 MiB and more): a fresh output is first touched by the kernel writing it, and
//! with 2 MiB pages that costs 512 times fewer page faults. On the development VM, filling a
//! fresh 64 MiB buffer took 72 ms with 4 KiB pages and 28 ms with huge pages.

/// Bytes from which a buffer asks for huge pages (NumPy's threshold).
const HUGE_MIN_BYTES: usize = 1 << 22;

/// An empty vector with capacity for `n` elements; large ones use huge pages when the OS
/// allows (the advice is best effort and silently ignored where unsupported).
pub(crate) fn with_capacity<T>(n: usize) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(n);
    advise_huge(
        v.as_mut_ptr() as usize,
        n.saturating_mul(std::mem::size_of::<T>()),
    );
    v
}

/// Most bytes the large-buffer cache keeps (freed f32 buffers beyond this are released).
const CACHE_MAX_BYTES: usize = 512 << 20;

/// Freed large f32 buffers kept for reuse. A training loop allocates the same large
/// shapes every step; reusing already-touched memory avoids the page faults of a fresh
/// mapping (the dominant cost of a 64 MiB elementwise op), as caching allocators do.
static F32_CACHE: std::sync::Mutex<Vec<Vec<f32>>> = std::sync::Mutex::new(Vec::new());

/// A cached buffer with capacity for at least `n` f32 (and at most twice that, so big
/// buffers are not wasted on small requests), emptied; `None` if there is none.
pub(crate) fn take_cached_f32(n: usize) -> Option<Vec<f32>> {
    if n.saturating_mul(4) < HUGE_MIN_BYTES {
        return None;
    }
    let mut cache = F32_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let pos = cache
        .iter()
        .position(|v| v.capacity() >= n && v.capacity() <= n.saturating_mul(2))?;
    let mut v = cache.swap_remove(pos);
    v.clear();
    Some(v)
}

/// Offers a buffer being dropped to the cache; small buffers and overflow are freed.
pub(crate) fn give_f32(v: Vec<f32>) {
    let bytes = v.capacity().saturating_mul(4);
    if bytes < HUGE_MIN_BYTES {
        return;
    }
    let mut cache = F32_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let held: usize = cache.iter().map(|b| b.capacity() * 4).sum();
    if held + bytes <= CACHE_MAX_BYTES {
        cache.push(v);
    }
}

#[cfg(target_os = "linux")]
fn advise_huge(addr: usize, bytes: usize) {
    use std::ffi::{c_int, c_void};
    unsafe extern "C" {
        fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    }
    const MADV_HUGEPAGE: c_int = 14;
    const PAGE: usize = 4096;
    if bytes < HUGE_MIN_BYTES {
        return;
    }
    // Only whole pages inside the allocation are advised.
    let start = addr.next_multiple_of(PAGE);
    let end = (addr + bytes) & !(PAGE - 1);
    if end > start {
        // SAFETY: the range lies inside memory this process owns (the vector's capacity);
        // MADV_HUGEPAGE changes no contents, only how future faults are served. A failure
        // (EINVAL on other page sizes, THP disabled) leaves ordinary pages: ignored.
        unsafe {
            madvise(start as *mut c_void, end - start, MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_addr: usize, _bytes: usize) {}

/// Keeps freed medium and large blocks in the process heap (glibc only), once per
/// process. By default glibc serves blocks from 128 KiB up with fresh `mmap`s and returns
/// freed heap tops to the OS, so a training step that allocates the same few hundred KiB
/// tensors every step pays page faults and page zeroing each time (8% of an MLP step
/// here). Raising the mmap and trim thresholds is what PyTorch's caching allocator
/// achieves by other means. The cost is that up to the thresholds of freed memory stays
/// mapped.
pub(crate) fn tune_heap() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(set_heap_thresholds);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_heap_thresholds() {
    use std::ffi::c_int;
    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_MMAP_THRESHOLD: c_int = -3;
    // SAFETY: mallopt only changes allocator tuning parameters; it is safe to call at any
    // time, and a rejected value (return 0) leaves the defaults in place.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_heap_thresholds() {}

/// A vector of `n` copies of `value`, reusing a cached large f32 buffer when `T` is f32.
/// Kernel outputs take this instead of `vec![value; n]`: a fresh multi-megabyte allocation
/// comes from new pages, and faulting them in cost more than the first convolution of a
/// CNN itself (2-3 ms for a 6 MB output against a 0.8 ms kernel).
pub(crate) fn filled<T: crate::dtype::Element>(n: usize, value: T) -> Vec<T> {
    if T::DTYPE == crate::DType::F32
        && let Some(v) = take_cached_f32(n)
    {
        let mut v = std::mem::ManuallyDrop::new(v);
        // SAFETY: T is f32 (DTYPE is unique per element type), so the allocation's
        // layout, length and capacity carry over unchanged.
        let mut v: Vec<T> =
            unsafe { Vec::from_raw_parts(v.as_mut_ptr() as *mut T, v.len(), v.capacity()) };
        v.clear();
        v.resize(n, value);
        return v;
    }
    vec![value; n]
}

/// A vector of `n` elements whose contents are unspecified (stale values of a cached
/// buffer, or zeros), for kernels that overwrite every element: skips the zeroing pass
/// [`filled`] makes. Sound without `unsafe`: a cached buffer is only reused when its
/// initialised length covers `n`, and is truncated to it.
pub(crate) fn overwritten<T: crate::dtype::Element>(n: usize, zero: T) -> Vec<T> {
    if T::DTYPE == crate::DType::F32
        && let Some(v) = take_cached_f32_len(n)
    {
        let mut v = std::mem::ManuallyDrop::new(v);
        // SAFETY: T is f32 (DTYPE is unique per element type), so the allocation's
        // layout, length and capacity carry over unchanged.
        let mut v: Vec<T> =
            unsafe { Vec::from_raw_parts(v.as_mut_ptr() as *mut T, v.len(), v.capacity()) };
        v.truncate(n);
        return v;
    }
    vec![zero; n]
}

/// A cached buffer whose initialised length is at least `n` (and capacity at most 2n).
fn take_cached_f32_len(n: usize) -> Option<Vec<f32>> {
    if n.saturating_mul(4) < HUGE_MIN_BYTES {
        return None;
    }
    let mut cache = F32_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let pos = cache
        .iter()
        .position(|v| v.len() >= n && v.capacity() <= n.saturating_mul(2))?;
    Some(cache.swap_remove(pos))
}

#[cfg(test)]
mod tests {
    #[test]
    fn large_and_small_buffers_work() {
        for n in [0usize, 1, 1000, 3 << 20] {
            let mut v = super::with_capacity::<f32>(n);
            assert!(v.capacity() >= n);
            v.extend((0..n).map(|i| i as f32));
            assert_eq!(v.len(), n);
            assert!(n == 0 || v[n - 1] == (n - 1) as f32);
        }
    }

    #[test]
    fn cache_reuses_large_buffers_only() {
        let n = 2 << 20;
        super::give_f32(vec![1.0f32; n]);
        let v = super::take_cached_f32(n).expect("cached");
        assert!(v.is_empty() && v.capacity() >= n);
        super::give_f32(vec![1.0f32; 10]);
        assert!(super::take_cached_f32(10).is_none());
    }
}
