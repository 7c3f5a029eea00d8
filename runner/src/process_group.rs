//! Process groups: the one place that knows how this platform starts a process tree apart and ends it.
//!
//! perfgate starts the service and every command operation in a group of its own, so that stopping it stops
//! what it forked too (`sh -c` forks the server; a command may start children). On Unix that is a process
//! group (`setpgid`, `killpg`). On Windows there are no signals to a group: the child gets a new process
//! group (for Ctrl-Break) and is ended with `taskkill /T`, which walks the tree from the child; a process
//! whose parent already exited is not found that way, and "terminate" there is as forceful as "kill".

use std::time::{Duration, Instant};

/// Starts `cmd`'s process in a new group (its pid is the group's id).
pub fn spawn_apart(cmd: &mut std::process::Command) {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(cmd, 0);
    #[cfg(windows)]
    std::os::windows::process::CommandExt::creation_flags(cmd, CREATE_NEW_PROCESS_GROUP);
}

/// [`spawn_apart`] for a tokio command.
pub fn spawn_apart_async(cmd: &mut tokio::process::Command) {
    #[cfg(unix)]
    cmd.process_group(0);
    #[cfg(windows)]
    cmd.creation_flags(CREATE_NEW_PROCESS_GROUP);
}

#[cfg(windows)]
const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;

/// Asks every process of group `id` to end (SIGTERM).
pub fn terminate(id: u32) {
    #[cfg(unix)]
    // SAFETY: killpg has no memory-safety preconditions; a stale group id is harmless (ESRCH).
    unsafe {
        libc::killpg(id as i32, libc::SIGTERM);
    }
    #[cfg(windows)]
    taskkill(id, false);
}

/// Ends every process of group `id` at once (SIGKILL).
pub fn kill(id: u32) {
    #[cfg(unix)]
    // SAFETY: as in `terminate`.
    unsafe {
        libc::killpg(id as i32, libc::SIGKILL);
    }
    #[cfg(windows)]
    taskkill(id, true);
}

#[cfg(windows)]
fn taskkill(id: u32, force: bool) {
    let mut cmd = std::process::Command::new("taskkill");
    cmd.args(["/PID", &id.to_string(), "/T"]);
    if force {
        cmd.arg("/F");
    }
    let _ = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Stops group `id`: [`terminate`], up to `grace` for its processes to end, then [`kill`] whatever is left.
/// `leader_running` is called while waiting (it reaps perfgate's own child, so that it does not linger as a
/// zombie) and says whether the leader still runs; on Unix the whole group is watched instead.
pub fn stop(id: u32, grace: Duration, mut leader_running: impl FnMut() -> bool) {
    terminate(id);
    let deadline = Instant::now().checked_add(grace);
    while deadline.is_none_or(|d| Instant::now() < d) {
        let leader = leader_running();
        if !alive(id, leader) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    kill(id);
}

/// Whether a process of group `id` still runs. Zombies do not count: an orphan's zombie waits for its
/// new parent to reap it, and would otherwise hold every stop for the whole grace period.
#[cfg(unix)]
pub fn alive(id: u32, _leader_running: bool) -> bool {
    let pgid = id as i32;
    if let Ok(dir) = std::fs::read_dir("/proc") {
        return dir.flatten().any(|e| {
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                return false;
            };
            // `pid (comm) state ppid pgrp …`; comm may contain spaces and parentheses.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let mut f = rest.split_whitespace();
            let state = f.next();
            let pgrp = f.nth(1).and_then(|g| g.parse::<i32>().ok());
            pgrp == Some(pgid) && state != Some("Z") && state != Some("X")
        });
    }
    // SAFETY: signal 0 only checks that the group exists.
    unsafe { libc::killpg(pgid, 0) == 0 }
}

/// Whether a process of group `id` still runs: on Windows, whether the leader does.
#[cfg(windows)]
pub fn alive(_id: u32, leader_running: bool) -> bool {
    leader_running
}
