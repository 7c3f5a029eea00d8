//! Benchmark an async closure: `cargo run --example benchmark_closure -p perfgate`.
//!
//! The operation serializes and parses a small JSON document; one in fifty calls is handed a broken
//! document, so the summary shows an error rate and the error key perfgate derived from the message.

use std::sync::atomic::{AtomicU64, Ordering};

use perfgate::{BenchmarkConfig, Operation};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), perfgate::Error> {
    let calls = AtomicU64::new(0);
    let op = Operation::new("json_roundtrip", async move || {
        let n = calls.fetch_add(1, Ordering::Relaxed);
        let doc = serde_json::json!({
            "chat": "general",
            "messages": (0..50).map(|i| format!("message {i}")).collect::<Vec<_>>(),
        });
        let mut bytes = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
        if n % 50 == 49 {
            bytes.truncate(bytes.len() / 2);
        }
        let back: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        tokio::task::yield_now().await;
        if back == doc {
            Ok(())
        } else {
            Err("roundtrip changed the document".to_string())
        }
    });

    let config = BenchmarkConfig {
        iterations: 2_000,
        warmup_iterations: 100,
        ..Default::default()
    };
    let run = perfgate::benchmark(op, config).await?;

    println!("{}", run.summary_text());
    let r = run.result("json_roundtrip").expect("the operation ran");
    println!(
        "json_roundtrip: p50 {:.3} ms, p99 {:.3} ms, {:.1}% success, errors {:?}",
        r.latency_ms.p50, r.latency_ms.p99, r.success_rate_percent, r.errors
    );
    Ok(())
}
