//! wasm-auth's global allocator on `wasm32`: power-of-two size classes with one free list
//! each, over memory taken from `memory.grow`.
//!
//! Why: std's dlmalloc is 7 KB of the shipped wasm (3.3 KB gzip) for coalescing and
//! splitting that a module like wasm-auth does not need: its allocations repeat the same few
//! shapes (a token, its parts, a JSON tree, a request), so a freed block is soon asked for
//! again at the same size. Each class is a LIFO free list; `alloc` and `dealloc` are a few
//! instructions.
//!
//! The cost: a block is rounded up to a power of two (at most 2x), and memory that one class
//! freed is not reused by another class. Memory is never given back to the host, as with
//! dlmalloc.
//!
//! This crate holds the crate's only `unsafe` code, so that wasm-auth keeps
//! `#![forbid(unsafe_code)]`. The module is single-threaded (no `atomics` target feature):
//! the state needs no lock.
#![no_std]

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod wasm {
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32;
    use core::cell::UnsafeCell;
    use core::ptr::null_mut;

    const PAGE: usize = 65536;

    /// Blocks of 2^c bytes; the smallest class holds a free-list link.
    fn class(layout: Layout) -> usize {
        let size = layout.size().max(layout.align()).max(8);
        (usize::BITS - (size - 1).leading_zeros()) as usize
    }

    struct State {
        /// The first free block of each class (0: none); a free block holds the next one's address.
        free: [usize; 32],
        /// Where the next new block may start, and the end of the memory this allocator grew.
        next: usize,
        end: usize,
    }

    /// The allocator; `SizeClasses::new()` in a `#[global_allocator]` static.
    pub struct SizeClasses(UnsafeCell<State>);

    // SAFETY: wasm32 without the `atomics` feature runs this module on one thread.
    unsafe impl Sync for SizeClasses {}

    impl SizeClasses {
        /// An allocator that owns no memory yet.
        #[allow(clippy::new_without_default, reason = "a const fn for a static")]
        pub const fn new() -> SizeClasses {
            SizeClasses(UnsafeCell::new(State { free: [0; 32], next: 0, end: 0 }))
        }

        /// A new block of 2^c bytes aligned to its size (at most a page), from the bump region.
        fn fresh(state: &mut State, c: usize) -> *mut u8 {
            let size = 1usize << c;
            let align = size.min(PAGE);
            let memory_end = wasm32::memory_size(0) * PAGE;
            if state.end != memory_end {
                // First call, or someone else grew the memory: start a new region at its end.
                state.next = memory_end;
                state.end = memory_end;
            }
            let start = (state.next + align - 1) & !(align - 1);
            let Some(block_end) = start.checked_add(size) else { return null_mut() };
            if block_end > state.end {
                let pages = (block_end - state.end).div_ceil(PAGE);
                if wasm32::memory_grow(0, pages) == usize::MAX {
                    return null_mut();
                }
                state.end += pages * PAGE;
            }
            state.next = block_end;
            start as *mut u8
        }
    }

    // SAFETY: a block is 2^c >= size bytes aligned to min(2^c, PAGE) >= align (align > PAGE is
    // refused), handed out once until `dealloc` puts it back on its class's list; `dealloc`
    // and `realloc` get the layout the block was last (re)allocated with, so the same class.
    unsafe impl GlobalAlloc for SizeClasses {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let c = class(layout);
            if c >= usize::BITS as usize || layout.align() > PAGE {
                return null_mut();
            }
            // SAFETY: one thread, and no reference to the state outlives a call.
            let state = unsafe { &mut *self.0.get() };
            match state.free[c] {
                0 => Self::fresh(state, c),
                head => {
                    // SAFETY: a free block's first word holds the next free block of its class.
                    state.free[c] = unsafe { *(head as *const usize) };
                    head as *mut u8
                }
            }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            let c = class(layout);
            // SAFETY: one thread; `ptr` is a block of class `c` (>= 8 bytes, aligned), now unused.
            let state = unsafe { &mut *self.0.get() };
            unsafe { *(ptr as *mut usize) = state.free[c] };
            state.free[c] = ptr as usize;
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: the caller guarantees that `new_size`, rounded up to `layout.align()`,
            // does not overflow isize.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            if class(new_layout) == class(layout) {
                return ptr;
            }
            // SAFETY: as for `alloc`, then the old block is copied out and freed.
            unsafe {
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub use wasm::SizeClasses;
