//! Cheap readings of this process's CPU time and resident memory, for per-call resource deltas.
//!
//! The sampler ([`crate::system`]) reads sysinfo once a second on its own thread; the profiler needs a
//! reading before and after every profiled block, so it reads the kernel directly:
//!
//! - CPU: `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)` (user + system time of all threads), one vDSO/syscall;
//! - memory (Linux): the resident page count from `/proc/self/statm`, read with `pread` from a file opened
//!   once, into a stack buffer.
//!
//! Neither allocates. Both are process-wide: a block's delta includes whatever other threads did meanwhile.
//! On systems without `/proc` the memory reading is absent.

use std::fs::File;

/// One reading.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Reading {
    /// CPU time used by the process so far, µs.
    pub cpu_us: Option<u64>,
    /// Resident memory, bytes.
    pub rss_bytes: Option<u64>,
}

/// Reads CPU time and resident memory of this process.
#[derive(Debug)]
pub(crate) struct ResourceReader {
    statm: Option<File>,
    page_size: u64,
}

impl ResourceReader {
    pub(crate) fn new() -> Self {
        let statm = if cfg!(target_os = "linux") {
            File::open("/proc/self/statm").ok()
        } else {
            None
        };
        Self {
            statm,
            page_size: page_size(),
        }
    }

    /// Reads both values now.
    pub(crate) fn read(&self) -> Reading {
        Reading {
            cpu_us: process_cpu_us(),
            rss_bytes: self.rss_bytes(),
        }
    }

    fn rss_bytes(&self) -> Option<u64> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            let f = self.statm.as_ref()?;
            let mut buf = [0u8; 128];
            let n = f.read_at(&mut buf, 0).ok()?;
            // "size resident shared text lib data dt": the second field, in pages.
            let text = std::str::from_utf8(&buf[..n]).ok()?;
            let pages: u64 = text.split_ascii_whitespace().nth(1)?.parse().ok()?;
            Some(pages * self.page_size)
        }
        #[cfg(not(unix))]
        {
            let _ = (&self.statm, self.page_size);
            None
        }
    }
}

fn page_size() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads a system constant.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if n > 0 {
            return n as u64;
        }
    }
    4096
}

/// CPU time used by this process (all threads, user + system), µs.
pub(crate) fn process_cpu_us() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return Some(ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_move_with_work_and_memory() {
        let r = ResourceReader::new();
        let a = r.read();
        // Burn some CPU and touch 32 MiB.
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let v = std::hint::black_box(vec![1u8; 32 << 20]);
        let b = r.read();
        assert!(b.cpu_us.unwrap() > a.cpu_us.unwrap());
        if cfg!(target_os = "linux") {
            let grew = b.rss_bytes.unwrap() as i64 - a.rss_bytes.unwrap() as i64;
            assert!(grew > 16 << 20, "rss grew by {grew} bytes");
        }
        drop(v);
    }
}
