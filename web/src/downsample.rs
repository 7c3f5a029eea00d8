//! Fewer points for long series, keeping their shape.
//!
//! A chart of 1,000 runs does not need 1,000 points: it needs the ones a reader would notice missing — the
//! spikes, the steps, the ends. This is Largest-Triangle-Three-Buckets (Steinarsson, "Downsampling Time Series
//! for Visual Representation", 2013): the first and last points are kept, the rest is cut into equal buckets,
//! and from each bucket the point forming the largest triangle with the previously kept point and the next
//! bucket's average is kept. It is written out here (rather than taken from the `lttb` crate) because the
//! charts need the *indices* of the kept points, to keep p50, p95, p99 and their links aligned.

/// Indices (ascending) of at most `max` points of `(xs[i], ys[i])` chosen by LTTB. Every index when the series
/// is short enough or `max < 3`.
pub fn lttb_indices(xs: &[f64], ys: &[f64], max: usize) -> Vec<usize> {
    let n = xs.len().min(ys.len());
    if max < 3 || n <= max {
        return (0..n).collect();
    }
    let mut kept = Vec::with_capacity(max);
    kept.push(0);
    // Buckets of `every` points between the first and the last; every >= 1 because n > max.
    let every = (n - 2) as f64 / (max - 2) as f64;
    let bucket = |i: usize| -> (usize, usize) {
        let lo = (i as f64 * every) as usize + 1;
        let hi = (((i + 1) as f64 * every) as usize + 1).min(n);
        (lo, hi.max(lo + 1).min(n))
    };
    let mut a = 0usize;
    for i in 0..max - 2 {
        let (lo, hi) = bucket(i);
        let (next_lo, next_hi) = bucket(i + 1);
        let next = next_lo.min(n - 1)..next_hi.max(next_lo.min(n - 1) + 1);
        let count = next.len() as f64;
        let avg_x = next.clone().map(|j| xs[j]).sum::<f64>() / count;
        let avg_y = next.map(|j| ys[j]).sum::<f64>() / count;
        let (ax, ay) = (xs[a], ys[a]);
        let mut best = lo;
        let mut best_area = -1.0;
        for j in lo..hi {
            let area = ((ax - avg_x) * (ys[j] - ay) - (ax - xs[j]) * (avg_y - ay)).abs();
            if area > best_area {
                best_area = area;
                best = j;
            }
        }
        kept.push(best);
        a = best;
    }
    kept.push(n - 1);
    kept.dedup();
    kept
}

/// [`lttb_indices`] plus the indices in `must` (markers that have to stay visible), ascending and unique.
pub fn indices_keeping(xs: &[f64], ys: &[f64], max: usize, must: &[usize]) -> Vec<usize> {
    let mut out = lttb_indices(xs, ys, max);
    let n = xs.len().min(ys.len());
    out.extend(must.iter().copied().filter(|&i| i < n));
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_series_are_untouched() {
        assert_eq!(lttb_indices(&[1.0, 2.0], &[3.0, 4.0], 10), vec![0, 1]);
        assert_eq!(lttb_indices(&[], &[], 10), Vec::<usize>::new());
    }

    #[test]
    fn keeps_ends_and_the_spike() {
        let xs: Vec<f64> = (0..1000).map(f64::from).collect();
        let mut ys = vec![10.0; 1000];
        ys[537] = 500.0;
        let idx = lttb_indices(&xs, &ys, 50);
        assert!(idx.len() <= 50, "{}", idx.len());
        assert_eq!(idx[0], 0);
        assert_eq!(*idx.last().unwrap(), 999);
        assert!(idx.contains(&537), "spike dropped: {idx:?}");
        assert!(idx.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn forced_indices_are_added() {
        let xs: Vec<f64> = (0..100).map(f64::from).collect();
        let ys = vec![1.0; 100];
        let idx = indices_keeping(&xs, &ys, 10, &[42, 500]);
        assert!(idx.contains(&42));
        assert!(!idx.contains(&500));
    }
}
