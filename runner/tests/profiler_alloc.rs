//! "No allocation per call after the first": a counting global allocator around repeated profile calls.
//!
//! This file is its own test binary because the allocator is process-wide; the count is per thread, so
//! the harness's other threads do not disturb it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Polls a future that never waits to completion, without a runtime (which could allocate on its own).
fn run<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[derive(Debug)]
struct Oops(u32);
impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oops number {}", self.0)
    }
}

#[test]
fn profiling_allocates_nothing_after_the_first_call_of_a_name() {
    for resources in [true, false] {
        let p = perfgate::Profiler::with_options("alloc", resources);
        // First calls: the name's entry, the first error key and message.
        run(p.profile("ok", async { Ok::<u32, Oops>(1) })).unwrap();
        let _ = run(p.profile("err", async { Err::<u32, Oops>(Oops(1)) }));
        let scope = p.scope("ok");

        let before = allocations();
        for i in 0..1_000u32 {
            run(p.profile("ok", async { Ok::<u32, Oops>(i) })).unwrap();
            run(scope.profile(async { Ok::<u32, Oops>(i) })).unwrap();
            // The same error again: same key, same message, nothing new to keep.
            let _ = run(p.profile("err", async { Err::<u32, Oops>(Oops(1)) }));
        }
        let during = allocations() - before;
        assert_eq!(
            during, 0,
            "resources: {resources}: {during} allocations in 3000 calls"
        );
        assert_eq!(p.stats("ok").unwrap().result.total_requests, 2_001);
        assert_eq!(p.stats("err").unwrap().result.errors["oops_number"], 1_001);
    }
}
