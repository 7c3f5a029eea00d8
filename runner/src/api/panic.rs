//! Catching panics inside operations, so that one bad call is an error of kind `panic`, not a dead worker.
//!
//! The engine's workers run many users on one thread; a panic escaping an operation would end that
//! worker's users and lose its measurements. [`catch_unwind`] polls a future inside
//! [`std::panic::catch_unwind`] (the future is pinned in place: no allocation, no `unsafe`) and returns the
//! panic as a value.
//!
//! A load test of an operation that panics on one call in ten would otherwise print thousands of panic
//! messages. With `quiet`, the panic hook stays silent for panics raised while the operation is being
//! polled on this thread; the message and location are kept for the record's `error_samples` instead. The
//! hook is installed once per process and chains to whatever hook was installed before it, so panics
//! anywhere else are reported exactly as before.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;
use std::task::Poll;

thread_local! {
    /// True while a quiet operation is being polled on this thread.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// Where the last quiet panic on this thread happened (`file:line:col`).
    static LAST_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// A panic caught from a future: its message (with location when known) and its payload, to resume it.
pub(crate) struct Caught {
    pub message: String,
    pub payload: Box<dyn Any + Send>,
}

impl std::fmt::Debug for Caught {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caught")
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

/// Polls `fut` to completion, turning a panic into `Err(Caught)`.
///
/// With `quiet`, the process's panic hook does not print panics raised while `fut` is polled (see the
/// module docs).
pub(crate) async fn catch_unwind<F: Future>(fut: F, quiet: bool) -> Result<F::Output, Caught> {
    if quiet {
        INSTALL.call_once(install_hook);
    }
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        let was = QUIET.with(|q| q.replace(quiet));
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx)));
        QUIET.with(|q| q.set(was));
        match polled {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(Caught {
                message: describe(&*payload, quiet),
                payload,
            })),
        }
    })
    .await
}

fn install_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
        if QUIET.with(Cell::get) {
            let at = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            LAST_LOCATION.with(|l| *l.borrow_mut() = at);
        } else {
            previous(info);
        }
    }));
}

/// The panic's message (`&str` and `String` payloads; others are "panic"), with the location recorded by
/// the quiet hook when there is one.
fn describe(payload: &(dyn Any + Send), quiet: bool) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".to_string());
    let at = if quiet {
        LAST_LOCATION.with(|l| l.borrow_mut().take())
    } else {
        None
    };
    match at {
        Some(at) => format!("{text} (at {at})"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(fut: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(fut)
    }

    #[test]
    fn a_panicking_future_becomes_a_value_with_message_and_location() {
        let r = block_on(catch_unwind(
            async {
                tokio::task::yield_now().await;
                if std::hint::black_box(true) {
                    panic!("boom {}", 7);
                }
                1
            },
            true,
        ));
        let caught = r.expect_err("the panic is caught");
        assert!(
            caught.message.starts_with("boom 7 (at "),
            "{}",
            caught.message
        );
        assert!(caught.message.contains("panic.rs:"), "{}", caught.message);
    }

    #[test]
    fn a_normal_future_passes_through_and_quiet_mode_is_reset() {
        assert_eq!(block_on(catch_unwind(async { 5 }, true)).unwrap(), 5);
        assert!(!QUIET.with(Cell::get));
        let r = block_on(catch_unwind(async { panic!("loud") }, false));
        // Not quiet: no location is recorded (the previous hook printed the panic instead).
        assert_eq!(r.map(|_: ()| ()).unwrap_err().message, "loud");
    }
}
