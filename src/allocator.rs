//! The memory allocator of the `cachet` binary and of its benchmarks.
//!
//! mimalloc instead of glibc's malloc: in a 100k-message sync a quarter of
//! the CPU went to glibc's `malloc`/`free` (measured with `perf`), and the
//! memory freed between the sync's stages stayed with the process. mimalloc
//! is told here to give freed memory back to the system at once, and the
//! process opts out of transparent huge pages (with the kernel's `always`
//! setting, Debian's default, one touched byte made 2 MB of mimalloc's
//! arenas resident): the resident size then follows what is really in use
//! (figures in `docs/performance.md`).
//!
//! The binary declares it (`#[global_allocator]` must be in the final
//! crate); the library's own tests keep the system allocator.

/// The allocator type the binary and the benchmarks install.
pub use mimalloc::MiMalloc as Allocator;

/// Index of `mi_option_purge_delay` in mimalloc 3's `mi_option_e`
/// (milliseconds before freed memory is given back; default 1000).
/// `libmimalloc-sys` is pinned in `Cargo.toml`; the test below checks that
/// the index holds that default.
const OPTION_PURGE_DELAY: i32 = 15;

/// Sets the allocator's options; called first thing in `main`, before any
/// other thread exists.
pub fn configure() {
    give_freed_memory_back_at_once();
    // Without it, the process only uses more memory: not worth a warning.
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

#[allow(unsafe_code)]
fn give_freed_memory_back_at_once() {
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table
    // (any value is valid for this option); it reads and writes no memory
    // of ours.
    unsafe { libmimalloc_sys::mi_option_set(OPTION_PURGE_DELAY, 0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(unsafe_code)]
    fn option(index: i32) -> std::os::raw::c_long {
        // SAFETY: reads an integer from mimalloc's option table.
        unsafe { libmimalloc_sys::mi_option_get(index) }
    }

    #[test]
    fn the_purge_delay_is_set_to_zero_and_huge_pages_are_off() {
        // nextest runs each test in its own process: this is the default.
        assert_eq!(
            option(OPTION_PURGE_DELAY),
            1000,
            "the index is the purge delay's"
        );
        configure();
        assert_eq!(option(OPTION_PURGE_DELAY), 0);
        assert!(rustix::thread::transparent_huge_pages_are_disabled().unwrap());
    }
}
