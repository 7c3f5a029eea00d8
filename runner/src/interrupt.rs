//! What perfgate does when it is interrupted (SIGINT, SIGTERM; Ctrl-C on Windows) while it runs a suite.
//!
//! A run must never leave processes behind, and must not lose what it measured. So, once [`install`]ed
//! (by the run path, not by commands that only read files):
//!
//! - **First signal, during the schedules** (a [`RunGuard`] is held): the flag [`requested`] is set, which
//!   stops the schedules at once (the engine checks it); every command operation's process group is killed;
//!   the run path then writes the record of what ran, marked `incomplete` with [`reason`], stops the
//!   service's group (SIGTERM, then SIGKILL after `stop_timeout_seconds`) and the command exits with
//!   [`exit_code`] (130 for SIGINT, 143 for SIGTERM).
//! - **First signal, outside the schedules** (starting the service, writing files): the groups are stopped
//!   the same way and perfgate exits at once with that code.
//! - **Second signal**: every group is killed (SIGKILL) and perfgate exits at once.
//!
//! Process groups register here while they run ([`register`]) and leave on drop ([`Registered`]).

use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::process_group;

/// The first signal received (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// How many signals were received.
static COUNT: AtomicUsize = AtomicUsize::new(0);
/// Runs whose schedules are under way (they write the record themselves).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// When the first signal arrived (to say how long the run ran for).
static AT: Mutex<Option<Instant>> = Mutex::new(None);

/// What a registered group is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// The service: SIGTERM, then SIGKILL after its grace period.
    Service { grace: Duration },
    /// A command operation's call: killed at once (its call is abandoned anyway).
    Command,
}

#[derive(Clone, Copy, Debug)]
struct Group {
    token: u64,
    id: u32,
    kind: GroupKind,
}

static GROUPS: Mutex<Vec<Group>> = Mutex::new(Vec::new());

/// A signal perfgate handles.
pub const SIGINT: i32 = 2;
/// A signal perfgate handles.
pub const SIGTERM: i32 = 15;

/// Installs the signal listener (once per process). Until then signals keep their default action.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("perfgate-signals".into())
            .spawn(listen);
        if let Err(e) = spawned {
            tracing::warn!("no signal listener ({e}): an interrupted run is not written");
        }
    });
}

/// Whether the run was interrupted: the schedules stop when this is true.
pub fn requested() -> bool {
    SIGNAL.load(Ordering::SeqCst) != 0
}

/// The signal that interrupted the run, if any.
pub fn signal() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The exit code for `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM).
pub fn exit_code(signal: i32) -> u8 {
    (128 + signal.clamp(0, 127)) as u8
}

/// The signal's name.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// Why a run is incomplete, for its record: `interrupted by SIGTERM after 2.4 s`.
pub fn reason(started: Instant) -> Option<String> {
    let sig = signal()?;
    let at = AT.lock().ok().and_then(|a| *a).unwrap_or_else(Instant::now);
    Some(format!(
        "interrupted by {} after {:.1} s: the record holds what ran until then",
        name(sig),
        at.saturating_duration_since(started).as_secs_f64()
    ))
}

/// Sleeps until the run is interrupted (polls the flag every 20 ms; for `select!` in the engine).
pub async fn wait() {
    while !requested() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Marks a run's schedules as under way: a first signal then stops them and lets the run write its record,
/// instead of exiting at once.
pub struct RunGuard(());

impl RunGuard {
    pub fn new() -> Self {
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        RunGuard(())
    }
}

impl Default for RunGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        ACTIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A process group known to the listener; dropping it forgets the group (it has been stopped).
#[derive(Debug)]
pub struct Registered(u64);

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut g) = GROUPS.lock() {
            g.retain(|x| x.token != self.0);
        }
    }
}

/// Registers group `id` to be stopped if perfgate is interrupted. A command registered after the run was
/// interrupted is killed at once.
pub fn register(id: u32, kind: GroupKind) -> Registered {
    let token = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut g) = GROUPS.lock() {
        g.push(Group { token, id, kind });
    }
    if kind == GroupKind::Command && requested() {
        process_group::kill(id);
    }
    Registered(token)
}

fn groups() -> Vec<Group> {
    GROUPS.lock().map(|g| g.clone()).unwrap_or_default()
}

/// The listener thread: waits for signals and acts on them (see the module docs).
fn listen() {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async {
        #[cfg(unix)]
        let (mut int, mut term) = {
            use tokio::signal::unix::{signal, SignalKind};
            match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(i), Ok(t)) => (i, t),
                _ => return,
            }
        };
        loop {
            #[cfg(unix)]
            let sig = tokio::select! {
                _ = int.recv() => SIGINT,
                _ = term.recv() => SIGTERM,
            };
            #[cfg(not(unix))]
            let sig = match tokio::signal::ctrl_c().await {
                Ok(()) => SIGINT,
                Err(_) => return,
            };
            on_signal(sig);
        }
    });
}

fn on_signal(sig: i32) {
    let n = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    if n == 1 {
        if let Ok(mut at) = AT.lock() {
            *at = Some(Instant::now());
        }
        SIGNAL.store(sig, Ordering::SeqCst);
    }
    let first = signal().unwrap_or(sig);
    if n > 1 {
        eprintln!(
            "perfgate: {} again: killing every process group and exiting now",
            name(sig)
        );
        for g in groups() {
            process_group::kill(g.id);
        }
        std::process::exit(i32::from(exit_code(first)));
    }
    for g in groups().iter().filter(|g| g.kind == GroupKind::Command) {
        process_group::kill(g.id);
    }
    if ACTIVE.load(Ordering::SeqCst) > 0 {
        eprintln!(
            "perfgate: {}: stopping the run; writing the record of what ran, marked incomplete \
             (send it again to exit at once)",
            name(sig)
        );
        return;
    }
    eprintln!("perfgate: {}: stopping the service and exiting", name(sig));
    stop_all_and_exit(first);
}

/// Stops every registered group (a service gets its grace period) and exits with the signal's code.
fn stop_all_and_exit(sig: i32) -> ! {
    for g in groups() {
        match g.kind {
            GroupKind::Service { grace } => process_group::stop(g.id, grace, || true),
            GroupKind::Command => process_group::kill(g.id),
        }
    }
    std::process::exit(i32::from(exit_code(sig)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal() {
        assert_eq!(exit_code(SIGINT), 130);
        assert_eq!(exit_code(SIGTERM), 143);
        assert_eq!(name(SIGTERM), "SIGTERM");
    }
}
