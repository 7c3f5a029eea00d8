//! Profile blocks of code: `cargo run --example profiler -p perfgate`.
//!
//! A pretend request handler profiles its steps by name; at the end the profiler's figures are printed as
//! perfgate's text summary and written as a run record. The example also measures what profiling costs
//! per call, with and without the CPU/memory readings.

use std::time::{Duration, Instant};

use perfgate::reports::gates::Gates;
use perfgate::{Profiler, Run};

async fn resolve_chat(profiler: &Profiler, i: u32) -> Result<u32, String> {
    let id = profiler
        .profile("chat_resolution", async {
            tokio::time::sleep(Duration::from_micros(300)).await;
            if i % 25 == 24 {
                Err(format!("chat {i} not found"))
            } else {
                Ok(i)
            }
        })
        .await?;
    profiler
        .profile("message_fetch", async {
            // Some CPU work and a temporary buffer.
            let text: String = (0..200).map(|n| format!("message {n};")).collect();
            tokio::task::yield_now().await;
            Ok::<usize, String>(text.len())
        })
        .await?;
    Ok(id)
}

/// Mean cost of profiling an empty block, in microseconds.
async fn overhead_us(profiler: &Profiler, calls: u32) -> f64 {
    let scope = profiler.scope("empty");
    let t0 = Instant::now();
    for _ in 0..calls {
        scope.profile(async {}).await;
    }
    let profiled = t0.elapsed();
    let t0 = Instant::now();
    for _ in 0..calls {
        std::hint::black_box(async {}).await;
    }
    let bare = t0.elapsed();
    profiled.saturating_sub(bare).as_secs_f64() * 1e6 / f64::from(calls)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let profiler = perfgate::profiler();
    let mut failures = 0;
    for i in 0..400 {
        if resolve_chat(&profiler, i).await.is_err() {
            failures += 1;
        }
    }
    println!("{}", profiler.report());
    println!("{failures} requests failed");
    if let Some(s) = profiler.stats("message_fetch") {
        println!(
            "message_fetch: p50 {:.3} ms, CPU {:?} ms in total, memory delta {:?} MB per call on average",
            s.result.latency_ms.p50, s.cpu_time_ms, s.memory_delta_mb_avg
        );
    }

    let with = overhead_us(&perfgate::profiler(), 100_000).await;
    let without = overhead_us(&Profiler::with_options("bare", false), 100_000).await;
    println!("profiling overhead per call: {with:.2} µs with CPU/memory readings, {without:.2} µs without");

    let gates = Gates::parse_all(&["p95 < 50ms"])?;
    let run = Run::analyze(profiler.record(), &gates, None);
    let out = std::env::temp_dir().join(format!("perfgate-profile-{}", std::process::id()));
    let files = run.write_files(&out)?;
    println!(
        "gates: {} — run record: {}",
        if run.passed() { "PASS" } else { "FAIL" },
        files
            .run_record
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    Ok(())
}
