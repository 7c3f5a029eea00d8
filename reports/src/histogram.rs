//! Latency histograms: the only place latencies are kept.
//!
//! perfgate never stores one value per request. Every latency goes into an HDR histogram covering 1 µs to 1 h
//! at 3 significant digits (values are microseconds), so memory is constant however long a run is, and
//! percentiles are exact to 0.1 %. Workers each own one and [`merge`](LatencyHistogram::merge) them at the end
//! or once a second for the timeline.
//!
//! In the run record a histogram is the HdrHistogram V2 "compressed" encoding (deflate) in base64 — the same
//! `HISTFAAA…` strings HdrHistogram's Java, Python, JS and Rust libraries read and write, so a record's
//! histogram can be pasted into any HdrHistogram plotter.
//!
//! Decoding is bounded: a header is checked before anything is allocated for it (at most [`MAX_COUNTS_LEN`]
//! counters, a payload no longer than the bytes present, at most [`MAX_V2_LEN`] bytes once inflated), so a
//! corrupt or hostile record is an error naming what it claimed, never a multi-GiB allocation and an abort.

use std::time::Duration;

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Lowest trackable latency: 1 µs.
pub const LOWEST_US: u64 = 1;
/// Highest trackable latency: 1 hour, in µs. Longer values are clamped (and still counted).
pub const HIGHEST_US: u64 = 3_600_000_000;
/// Significant decimal digits kept for every value.
pub const SIGFIG: u8 = 3;

/// Most counters a decoded histogram may have (8 MiB of `u64`). perfgate's own (1 µs – 1 h, 3 digits) have
/// 23,552; HdrHistogram's defaults elsewhere (1 – 1 h or 1 – 2^53 at 3 digits) stay well below it. The largest
/// header hdrhistogram accepts (5 digits up to 2^64) would be about 6.3 M counters.
pub const MAX_COUNTS_LEN: u64 = 1 << 20;
/// Most values a decoded histogram may hold in all (2^53: a million requests a second for 285 years, and
/// exact as an `f64`). Counts that add up to more would overflow hdrhistogram's sums (its quantile scan adds
/// them in `u64`) once merged; no writer produces them.
pub const MAX_TOTAL_COUNT: u64 = 1 << 53;
/// Most bytes a V2 encoding may have once inflated: the header plus 9 bytes (the longest varint) per counter.
pub const MAX_V2_LEN: usize = V2_HEADER_LEN + 9 * MAX_COUNTS_LEN as usize;

/// Errors decoding a serialized histogram.
#[derive(Debug, thiserror::Error)]
pub enum HistogramError {
    #[error("histogram is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("histogram header claims {claimed} {what}, more than the {limit} accepted")]
    TooLarge {
        what: &'static str,
        claimed: u64,
        limit: u64,
    },
    #[error("histogram is not a valid HdrHistogram V2 encoding: {0:?}")]
    Decode(hdrhistogram::serialization::DeserializeError),
    #[error("histogram payload holds a run of {0} zero counters, which no writer produces")]
    BadZeroRun(&'static str),
    #[error("histogram counts add up to more than the {limit} values accepted")]
    TooManyValues { limit: u64 },
}

/// A latency histogram in microseconds (1 µs – 1 h, 3 significant digits).
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyHistogram {
    inner: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram with perfgate's bounds.
    pub fn new() -> Self {
        // The bounds are constants that hdrhistogram accepts; this cannot fail.
        let inner = Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGFIG)
            .expect("constant histogram bounds are valid");
        Self { inner }
    }

    /// Records one latency. Values below 1 µs count as 1 µs, above 1 h as 1 h.
    #[inline]
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.record_us(us);
    }

    /// Records one latency given in microseconds (clamped to the histogram's range).
    #[inline]
    pub fn record_us(&mut self, us: u64) {
        self.inner
            .saturating_record(us.clamp(LOWEST_US, HIGHEST_US));
    }

    /// Records `count` occurrences of the same latency in microseconds.
    pub fn record_us_n(&mut self, us: u64, count: u64) {
        // Clamped into range, so recording cannot fail.
        let _ = self.inner.record_n(us.clamp(LOWEST_US, HIGHEST_US), count);
    }

    /// Adds every count of `other` into `self`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        // Both share the same bounds (or self auto-resizes for imported ones), so addition cannot fail.
        if self.inner.add(&other.inner).is_err() {
            self.inner.auto(true);
            let _ = self.inner.add(&other.inner);
        }
    }

    /// Empties the histogram, keeping its allocation (used for per-second intervals).
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.inner.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The value at a quantile in `[0, 1]`, in milliseconds; 0 when empty.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.inner.is_empty() {
            return 0.0;
        }
        us_to_ms(self.inner.value_at_quantile(q.clamp(0.0, 1.0)))
    }

    /// The smallest recorded value in milliseconds (0 when empty).
    pub fn min_ms(&self) -> f64 {
        if self.inner.is_empty() {
            0.0
        } else {
            us_to_ms(self.inner.min())
        }
    }

    /// The largest recorded value in milliseconds (0 when empty).
    pub fn max_ms(&self) -> f64 {
        if self.inner.is_empty() {
            0.0
        } else {
            us_to_ms(self.inner.max())
        }
    }

    /// Mean in milliseconds (0 when empty).
    pub fn mean_ms(&self) -> f64 {
        if self.inner.is_empty() {
            0.0
        } else {
            self.inner.mean() / 1000.0
        }
    }

    /// Standard deviation in milliseconds (0 when empty).
    pub fn stddev_ms(&self) -> f64 {
        if self.inner.is_empty() {
            0.0
        } else {
            self.inner.stdev() / 1000.0
        }
    }

    /// The percentile distribution as `(percentile, value_ms)` points for plotting, one per tick of the
    /// classic HdrHistogram "iter_quantiles" walk (half-distance ticks), so the tail is well sampled.
    pub fn percentile_distribution(&self, ticks_per_half_distance: u32) -> Vec<(f64, f64)> {
        if self.inner.is_empty() {
            return Vec::new();
        }
        self.inner
            .iter_quantiles(ticks_per_half_distance.max(1))
            .map(|v| {
                (
                    v.quantile_iterated_to() * 100.0,
                    us_to_ms(v.value_iterated_to()),
                )
            })
            .collect()
    }

    /// Summary statistics in milliseconds.
    pub fn summary(&self) -> crate::latency::LatencyMs {
        crate::latency::LatencyMs {
            min: round3(self.min_ms()),
            max: round3(self.max_ms()),
            avg: round3(self.mean_ms()),
            stddev: round3(self.stddev_ms()),
            p50: round3(self.quantile_ms(0.50)),
            p90: round3(self.quantile_ms(0.90)),
            p95: round3(self.quantile_ms(0.95)),
            p99: round3(self.quantile_ms(0.99)),
            p999: round3(self.quantile_ms(0.999)),
        }
    }

    /// Serializes to HdrHistogram V2 compressed (deflate) bytes.
    pub fn to_v2_deflate(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail for an in-range histogram.
        let _ = V2DeflateSerializer::new().serialize(&self.inner, &mut out);
        out
    }

    /// Serializes to base64 of the V2 compressed encoding (`HISTFAAA…`).
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.to_v2_deflate())
    }

    /// Reads a V2 or V2-compressed encoding (as written by any HdrHistogram implementation).
    ///
    /// Some writers (HdrHistogram_py before 0.10) put the header + payload size into the payload-length field
    /// of a compressed histogram; such inputs are repaired by clamping the length to what is really there.
    /// The header is checked against [`MAX_COUNTS_LEN`] and the bytes present before anything is allocated.
    pub fn from_v2_bytes(bytes: &[u8]) -> Result<Self, HistogramError> {
        let v2 = plain_v2(bytes)?;
        check_header(&v2)?;
        let mut inner: Histogram<u64> = Deserializer::new()
            .deserialize(&mut std::io::Cursor::new(&v2[..]))
            .map_err(HistogramError::Decode)?;
        let total = inner
            .iter_recorded()
            .try_fold(0u64, |sum, v| sum.checked_add(v.count_at_value()));
        if total.is_none_or(|t| t > MAX_TOTAL_COUNT) {
            return Err(HistogramError::TooManyValues {
                limit: MAX_TOTAL_COUNT,
            });
        }
        inner.auto(true);
        Ok(Self { inner })
    }

    /// Reads base64 of a V2 or V2-compressed encoding; surrounding whitespace is ignored.
    pub fn from_base64(text: &str) -> Result<Self, HistogramError> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim())?;
        Self::from_v2_bytes(&bytes)
    }

    /// The underlying hdrhistogram, for callers that need its iterators.
    pub fn as_hdr(&self) -> &Histogram<u64> {
        &self.inner
    }
}

impl std::ops::AddAssign<&LatencyHistogram> for LatencyHistogram {
    fn add_assign(&mut self, rhs: &LatencyHistogram) {
        self.merge(rhs);
    }
}

impl Serialize for LatencyHistogram {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for LatencyHistogram {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        LatencyHistogram::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

/// Cookie of a V2 compressed histogram (64-bit word size), and of the V2 encoding inside it.
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
const V2_COOKIE: u32 = 0x1c84_9313;
/// Size of the V2 header: cookie, payload length, normalizing offset, digits, lowest, highest, ratio.
const V2_HEADER_LEN: usize = 40;

/// The plain (uncompressed) V2 encoding of `bytes`: borrowed when it is one, inflated (at most [`MAX_V2_LEN`]
/// bytes) when it is compressed. A compressed histogram whose inner payload-length field exceeds the bytes
/// actually present gets the field corrected; a plain one with that fault is an error.
fn plain_v2(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, HistogramError> {
    use std::io::Read as _;
    let invalid =
        || HistogramError::Decode(hdrhistogram::serialization::DeserializeError::InvalidCookie);
    let word = |b: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    match word(bytes, 0) {
        Some(V2_COOKIE) => {
            check_payload_length(bytes)?;
            Ok(std::borrow::Cow::Borrowed(bytes))
        }
        Some(V2_COMPRESSED_COOKIE) => {
            let compressed_len = word(bytes, 4).ok_or_else(invalid)? as usize;
            let compressed = &bytes[8..bytes.len().min(8usize.saturating_add(compressed_len))];
            let mut inner = Vec::new();
            flate2::read::ZlibDecoder::new(compressed)
                .take(MAX_V2_LEN as u64 + 1)
                .read_to_end(&mut inner)
                .map_err(|e| {
                    HistogramError::Decode(hdrhistogram::serialization::DeserializeError::IoError(
                        e,
                    ))
                })?;
            if inner.len() > MAX_V2_LEN {
                return Err(HistogramError::TooLarge {
                    what: "bytes once inflated",
                    claimed: inner.len() as u64,
                    limit: MAX_V2_LEN as u64,
                });
            }
            if inner.len() < V2_HEADER_LEN || word(&inner, 0) != Some(V2_COOKIE) {
                return Err(invalid());
            }
            let present = inner.len() - V2_HEADER_LEN;
            if word(&inner, 4).is_some_and(|declared| declared as usize > present) {
                inner[4..8].copy_from_slice(&(present as u32).to_be_bytes());
            }
            Ok(std::borrow::Cow::Owned(inner))
        }
        _ => Err(invalid()),
    }
}

/// A plain V2 encoding must carry the payload its header announces (the decoder allocates that much first).
fn check_payload_length(v2: &[u8]) -> Result<(), HistogramError> {
    let present = v2.len().saturating_sub(V2_HEADER_LEN) as u64;
    let declared = v2
        .get(4..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, |b: [u8; 4]| u64::from(u32::from_be_bytes(b)));
    if declared > present {
        return Err(HistogramError::TooLarge {
            what: "payload bytes",
            claimed: declared,
            limit: present,
        });
    }
    Ok(())
}

/// Refuses a payload holding the one counter value hdrhistogram 7.6 cannot decode: a zig-zag LEB128 number
/// that decodes to `i64::MIN`, a "run of −2⁶³ zeros" whose negation overflows (a panic where overflow checks
/// are on; a wrapped, meaningless run where not). Found by the fuzzer; no writer produces it. The payload is
/// walked with the decoder's own varint rules (up to 9 bytes, the 9th taken whole) before it runs.
fn check_payload_values(v2: &[u8]) -> Result<(), HistogramError> {
    let declared = v2
        .get(4..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, |b: [u8; 4]| u32::from_be_bytes(b) as usize);
    let end = V2_HEADER_LEN.saturating_add(declared).min(v2.len());
    let payload = v2.get(V2_HEADER_LEN..end).unwrap_or_default();
    let mut i = 0;
    while i < payload.len() {
        let mut value: u64 = 0;
        let mut k = 0;
        loop {
            let Some(&b) = payload.get(i + k) else {
                // Truncated: the decoder reports it.
                return Ok(());
            };
            if k == 8 {
                value |= u64::from(b) << 56;
                k += 1;
                break;
            }
            value |= u64::from(b & 0x7f) << (7 * k);
            k += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        i += k;
        // zig-zag: an all-ones encoding is i64::MIN.
        if value == u64::MAX {
            return Err(HistogramError::BadZeroRun("-2^63"));
        }
    }
    Ok(())
}

/// Checks what a plain V2 header claims before hdrhistogram allocates counters for it.
fn check_header(v2: &[u8]) -> Result<(), HistogramError> {
    check_payload_length(v2)?;
    check_payload_values(v2)?;
    let (Some(digits), Some(low), Some(high)) = (
        v2.get(12..16)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes),
        v2.get(16..24)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes),
        v2.get(24..32)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes),
    ) else {
        // Too short to be a header: the decoder reports it without allocating.
        return Ok(());
    };
    if let Some(len) = counts_len(low, high, digits) {
        if len > MAX_COUNTS_LEN {
            return Err(HistogramError::TooLarge {
                what: "counters",
                claimed: len,
                limit: MAX_COUNTS_LEN,
            });
        }
    }
    Ok(())
}

/// How many counters hdrhistogram allocates for these bounds (its own arithmetic, from
/// `Histogram::new_with_bounds`); `None` for bounds it rejects without allocating.
fn counts_len(low: u64, high: u64, digits: u32) -> Option<u64> {
    if !(1..=u64::MAX / 2).contains(&low) || high < 2 * low || digits > 5 {
        return None;
    }
    let largest = 2 * 10_u64.pow(digits);
    let unit_magnitude = 63 - low.leading_zeros();
    let sub_bucket_count_magnitude = 64 - (largest - 1).leading_zeros();
    if unit_magnitude + sub_bucket_count_magnitude > 63 {
        return None;
    }
    let sub_bucket_count = 1u64 << sub_bucket_count_magnitude;
    let mut smallest_untrackable = sub_bucket_count << unit_magnitude;
    let mut buckets = 1u64;
    while smallest_untrackable <= high {
        if smallest_untrackable > u64::MAX / 2 {
            buckets += 1;
            break;
        }
        smallest_untrackable <<= 1;
        buckets += 1;
    }
    Some((buckets + 1) * (sub_bucket_count / 2))
}

fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Rounds to 3 decimals (µs resolution in ms), so records stay small and diff-able.
pub fn round3(v: f64) -> f64 {
    if v.is_finite() {
        (v * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact percentile by the nearest-rank method, for comparison.
    fn exact(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    #[test]
    fn percentiles_match_exact_values_within_resolution() {
        // A skewed, deterministic data set: a body around 2-20 ms and a tail up to 2 s.
        let mut values: Vec<u64> = (0..10_000u64)
            .map(|i| {
                let x = (i * 7919) % 10_000;
                if x < 9_900 {
                    2_000 + x * 2
                } else {
                    50_000 + (x - 9_900) * 19_500
                }
            })
            .collect();
        let mut h = LatencyHistogram::new();
        for &v in &values {
            h.record_us(v);
        }
        values.sort_unstable();
        for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
            let want = exact(&values, q) as f64 / 1000.0;
            let got = h.quantile_ms(q);
            assert!(
                (got - want).abs() / want < 0.001 + 1e-9,
                "q={q}: got {got} want {want}"
            );
        }
        assert_eq!(h.count(), 10_000);
        assert_eq!(h.min_ms(), 2.0);
        let mean = values.iter().sum::<u64>() as f64 / values.len() as f64 / 1000.0;
        assert!((h.mean_ms() - mean).abs() / mean < 0.001);
    }

    #[test]
    fn out_of_range_values_are_clamped_not_lost() {
        let mut h = LatencyHistogram::new();
        h.record(Duration::from_nanos(10));
        h.record(Duration::from_secs(5 * 3600));
        assert_eq!(h.count(), 2);
        assert_eq!(h.min_ms(), 0.001);
        assert!(h.max_ms() >= 3_600_000.0 * 0.999);
    }

    #[test]
    fn base64_round_trip_keeps_every_count() {
        let mut h = LatencyHistogram::new();
        for v in [1u64, 10, 100, 1_000, 10_000, 100_000, 1_000_000] {
            h.record_us_n(v, v % 7 + 1);
        }
        let text = h.to_base64();
        assert!(
            text.starts_with("HISTF"),
            "V2 compressed cookie, got {}",
            &text[..8]
        );
        let back = LatencyHistogram::from_base64(&text).unwrap();
        assert_eq!(back.count(), h.count());
        for q in [0.0, 0.25, 0.5, 0.75, 0.99, 1.0] {
            assert_eq!(back.quantile_ms(q), h.quantile_ms(q));
        }
        let json = serde_json::to_string(&h).unwrap();
        let from_json: LatencyHistogram = serde_json::from_str(&json).unwrap();
        assert_eq!(from_json, back);
    }

    #[test]
    fn merge_adds_counts() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        a.record_us_n(1_000, 10);
        b.record_us_n(3_000, 30);
        a += &b;
        assert_eq!(a.count(), 40);
        // Values are reported as the highest value equivalent at 3 significant digits.
        assert!((a.quantile_ms(0.2) - 1.0).abs() <= 0.001);
        assert!((a.quantile_ms(0.9) - 3.0).abs() <= 0.003);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(LatencyHistogram::from_base64("not base64 !!").is_err());
        assert!(LatencyHistogram::from_base64("aGVsbG8gd29ybGQ=").is_err());
        assert!(LatencyHistogram::from_base64("").is_err());
    }

    fn sample(name: &str) -> String {
        String::from_utf8(crate::test_support::sample_bytes(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn reads_hdrhistogram_python_sample() {
        // 10000 × 1000 and 1 × 100000000 (HdrHistogram_py tests).
        let h = LatencyHistogram::from_base64(&sample("hdr-v2-base64.txt")).unwrap();
        assert_eq!(h.count(), 10_001);
        assert_eq!(h.as_hdr().value_at_quantile(0.5), 1000);
        assert!(h.as_hdr().equivalent(h.as_hdr().max(), 100_000_000));
    }

    #[test]
    fn reads_three_value_sample_with_expected_mean() {
        let h = LatencyHistogram::from_base64(&sample("hdr-v2-base64-3values.txt")).unwrap();
        assert_eq!(h.count(), 3);
        assert!(h.as_hdr().equivalent(h.as_hdr().max(), 477_695));
        assert!(
            (h.as_hdr().mean() - 268_074.667).abs() < 1.0,
            "mean {}",
            h.as_hdr().mean()
        );
    }

    #[test]
    fn reads_js_single_value_and_java_sequence() {
        let h = LatencyHistogram::from_base64(&sample("hdr-v2-base64-value42.txt")).unwrap();
        assert_eq!(h.count(), 1);
        assert_eq!(h.as_hdr().max(), 42);
        let seq = LatencyHistogram::from_base64(&sample("hdr-v2-seq-nums.base64.txt")).unwrap();
        assert_eq!(seq.count(), 100_000);
        let p50 = seq.as_hdr().value_at_quantile(0.5);
        assert!(seq.as_hdr().equivalent(p50, 49_999), "p50 {p50}");
    }

    /// A plain V2 header with the given fields and `payload` after it.
    fn v2(declared_payload: u32, digits: u32, low: u64, high: u64, payload: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&V2_COOKIE.to_be_bytes());
        b.extend_from_slice(&declared_payload.to_be_bytes());
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&digits.to_be_bytes());
        b.extend_from_slice(&low.to_be_bytes());
        b.extend_from_slice(&high.to_be_bytes());
        b.extend_from_slice(&1.0f64.to_be_bytes());
        b.extend_from_slice(payload);
        b
    }

    fn compress(plain: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(plain).unwrap();
        let deflated = z.finish().unwrap();
        let mut b = V2_COMPRESSED_COOKIE.to_be_bytes().to_vec();
        b.extend_from_slice(&(deflated.len() as u32).to_be_bytes());
        b.extend_from_slice(&deflated);
        b
    }

    #[test]
    fn counts_len_is_hdrhistograms_own() {
        for (low, high, digits) in [
            (1, 3_600_000_000, 3),
            (1, 2, 0),
            (1000, 1 << 40, 2),
            (1, u64::MAX, 3),
            (7, 1 << 20, 5),
            (1 << 40, u64::MAX, 1),
        ] {
            let h = Histogram::<u64>::new_with_bounds(low, high, digits as u8).unwrap();
            assert_eq!(
                counts_len(low, high, digits),
                Some(h.distinct_values() as u64),
                "{low} {high} {digits}"
            );
        }
        assert_eq!(counts_len(0, 10, 3), None);
        assert_eq!(counts_len(1, 10, 6), None);
    }

    #[test]
    fn a_header_claiming_a_huge_payload_is_refused_before_allocating() {
        // The fuzzed record that aborted `compare`: "memory allocation of 4294967295 bytes failed".
        let plain = v2(u32::MAX, 3, 1, 3_600_000_000, &[2]);
        let err = LatencyHistogram::from_v2_bytes(&plain).unwrap_err();
        assert!(
            err.to_string().contains("4294967295 payload bytes"),
            "{err}"
        );
        // Compressed, the length is clamped to what is there (the old Python writers' fault) and decodes.
        let h = LatencyHistogram::from_v2_bytes(&compress(&plain)).unwrap();
        assert_eq!(h.count(), 1);
    }

    #[test]
    fn a_header_claiming_a_huge_range_is_refused() {
        let plain = v2(1, 5, 1, u64::MAX, &[2]);
        for bytes in [plain.clone(), compress(&plain)] {
            let err = LatencyHistogram::from_v2_bytes(&bytes).unwrap_err();
            assert!(
                matches!(err, HistogramError::TooLarge { what: "counters", claimed, .. } if claimed > MAX_COUNTS_LEN),
                "{err}"
            );
        }
        // The same range at 3 digits is small and fine.
        let h = LatencyHistogram::from_v2_bytes(&v2(1, 3, 1, u64::MAX, &[2])).unwrap();
        assert_eq!(h.count(), 1);
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_inflated_limit() {
        let mut plain = v2(0, 3, 1, 3_600_000_000, &[]);
        plain.resize(MAX_V2_LEN + 4096, 0);
        let err = LatencyHistogram::from_v2_bytes(&compress(&plain)).unwrap_err();
        assert!(
            matches!(
                err,
                HistogramError::TooLarge {
                    what: "bytes once inflated",
                    ..
                }
            ),
            "{err}"
        );
    }
}
