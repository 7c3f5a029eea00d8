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

/// Errors decoding a serialized histogram.
#[derive(Debug, thiserror::Error)]
pub enum HistogramError {
    #[error("histogram is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("histogram is not a valid HdrHistogram V2 encoding: {0:?}")]
    Decode(hdrhistogram::serialization::DeserializeError),
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
    pub fn from_v2_bytes(bytes: &[u8]) -> Result<Self, HistogramError> {
        let decode = |input: &[u8]| {
            Deserializer::new().deserialize::<u64, _>(&mut std::io::Cursor::new(input))
        };
        // Well-formed input (the common case) is inflated once; only a failed decode tries the repair.
        let mut inner: Histogram<u64> = match decode(bytes) {
            Ok(h) => h,
            Err(first) => match repair_compressed_payload_length(bytes) {
                Some(repaired) => decode(&repaired).map_err(HistogramError::Decode)?,
                None => return Err(HistogramError::Decode(first)),
            },
        };
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

/// For a compressed V2 histogram whose inner payload-length field exceeds the bytes actually present, returns
/// the uncompressed V2 encoding with the field corrected. `None` when the input needs no repair.
fn repair_compressed_payload_length(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read as _;
    if bytes.len() < 8 || u32::from_be_bytes(bytes[0..4].try_into().ok()?) != V2_COMPRESSED_COOKIE {
        return None;
    }
    let mut inner = Vec::new();
    flate2::read::ZlibDecoder::new(&bytes[8..])
        .read_to_end(&mut inner)
        .ok()?;
    if inner.len() < V2_HEADER_LEN || u32::from_be_bytes(inner[0..4].try_into().ok()?) != V2_COOKIE
    {
        return None;
    }
    let declared = u32::from_be_bytes(inner[4..8].try_into().ok()?) as usize;
    let present = inner.len() - V2_HEADER_LEN;
    if declared <= present {
        return None;
    }
    inner[4..8].copy_from_slice(&(present as u32).to_be_bytes());
    Some(inner)
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
}
