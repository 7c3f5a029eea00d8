//! W3C Trace Context `traceparent` headers for requests to the target (`propagate_trace_context = true`).
//!
//! Every request of a run carries the run's trace id and a fresh span id, sampled:
//! `00-<32 hex trace id>-<16 hex span id>-01`. The service's server spans then belong to the run's trace
//! (perfgate does not export one client span per request — a load test would flood the collector — so the
//! span id names the request, as the spec asks, and backends show the server span under the run's trace).
//!
//! This is on the hot path of the HTTP target: the trace-id part is formatted once per run, and each request
//! only draws 64 random bits from a per-thread xorshift generator, hex-encodes them into a 55-byte stack
//! buffer and copies that into the `HeaderValue` (one small allocation, like any header hyper sends). When
//! propagation is off the target holds `None` and the cost is one branch.

use std::cell::Cell;

use hyper::header::HeaderValue;

/// The header's name.
pub const TRACEPARENT: &str = "traceparent";

/// Length of a version-00 `traceparent` value.
const LEN: usize = 55;
const HEX: &[u8; 16] = b"0123456789abcdef";

/// The run's trace context: makes one `traceparent` value per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: [u8; 16],
    /// `00-<trace id>-` already formatted.
    prefix: [u8; 36],
}

impl TraceParent {
    /// A context for `trace_id` (must not be all zeros; a zero id is replaced by one bit set).
    pub fn new(mut trace_id: [u8; 16]) -> Self {
        if trace_id == [0; 16] {
            trace_id[15] = 1;
        }
        let mut prefix = [0u8; 36];
        prefix[..3].copy_from_slice(b"00-");
        hex_into(&trace_id, &mut prefix[3..35]);
        prefix[35] = b'-';
        Self { trace_id, prefix }
    }

    /// The trace id.
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The trace id as 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        String::from_utf8_lossy(&self.prefix[3..35]).into_owned()
    }

    /// A `traceparent` value with a new random span id.
    #[inline]
    pub fn next_header(&self) -> Option<HeaderValue> {
        let mut buf = [0u8; LEN];
        buf[..36].copy_from_slice(&self.prefix);
        hex_into(&next_span_id().to_be_bytes(), &mut buf[36..52]);
        buf[52..].copy_from_slice(b"-01");
        HeaderValue::from_bytes(&buf).ok()
    }
}

fn hex_into(bytes: &[u8], out: &mut [u8]) {
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 0x0f)];
    }
}

thread_local! {
    static STATE: Cell<u64> = Cell::new(rand::random::<u64>() | 1);
}

/// A non-zero pseudo-random span id (xorshift64*, seeded per thread from the OS).
#[inline]
fn next_span_id() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d).max(1)
    })
}

/// A random, non-zero trace id for a run.
pub fn new_trace_id() -> [u8; 16] {
    let mut id: [u8; 16] = rand::random();
    if id == [0; 16] {
        id[15] = 1;
    }
    id
}

/// Parses a `traceparent` value into (trace id hex, span id hex, flags) when it is a valid version-00 value.
pub fn parse(value: &str) -> Option<(&str, &str, &str)> {
    let mut parts = value.split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let lower_hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (parts.next().is_none()
        && version == "00"
        && lower_hex(trace, 32)
        && trace.bytes().any(|b| b != b'0')
        && lower_hex(span, 16)
        && span.bytes().any(|b| b != b'0')
        && lower_hex(flags, 2))
    .then_some((trace, span, flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_valid_and_share_the_trace_id_with_fresh_span_ids() {
        let tp = TraceParent::new([0xab; 16]);
        assert_eq!(tp.trace_id_hex(), "ab".repeat(16));
        let mut spans = std::collections::HashSet::new();
        for _ in 0..1000 {
            let h = tp.next_header().unwrap();
            let s = h.to_str().unwrap();
            let (trace, span, flags) = parse(s).unwrap_or_else(|| panic!("invalid {s}"));
            assert_eq!(trace, tp.trace_id_hex());
            assert_eq!(flags, "01");
            spans.insert(span.to_string());
        }
        assert_eq!(spans.len(), 1000, "span ids repeat");
    }

    #[test]
    fn the_parser_rejects_what_the_spec_rejects() {
        let ok = format!("00-{}-{}-01", "1".repeat(32), "2".repeat(16));
        assert!(parse(&ok).is_some());
        assert!(parse(&format!("00-{}-{}-01", "0".repeat(32), "2".repeat(16))).is_none());
        assert!(parse(&format!("00-{}-{}-01", "1".repeat(32), "0".repeat(16))).is_none());
        assert!(parse(&format!("00-{}-{}-01", "A".repeat(32), "2".repeat(16))).is_none());
        assert!(parse(&format!("01-{}-{}-01", "1".repeat(32), "2".repeat(16))).is_none());
        assert!(parse("00-abc").is_none());
    }

    #[test]
    fn a_zero_trace_id_is_never_used() {
        assert_ne!(TraceParent::new([0; 16]).trace_id(), [0; 16]);
        assert_ne!(new_trace_id(), [0; 16]);
    }
}
