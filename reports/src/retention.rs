//! Retention: which run files to delete so the reports branch stays small.
//!
//! `[reports] max_runs` keeps the newest N run files, `max_age_days` drops files older than that. The
//! decision is made from file names alone ([`time_from_run_file_name`]), so even unreadable files age out,
//! and a file whose name does not follow the layout is never deleted (perfgate does not delete what it does
//! not understand). Files named in `keep` (the run being published) are never pruned. The clock is an
//! argument, so the rule is tested without waiting.

use chrono::{DateTime, Duration, Utc};

use crate::layout::{is_run_file, time_from_run_file_name};

/// How much history to keep. `None` means no limit of that kind; both limits apply when both are set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub max_runs: Option<usize>,
    pub max_age_days: Option<u32>,
}

impl RetentionPolicy {
    /// True when the policy never prunes anything.
    pub fn is_unlimited(&self) -> bool {
        self.max_runs.is_none() && self.max_age_days.is_none()
    }
}

/// The run files (branch-relative paths) that `policy` removes at time `now`, oldest first.
pub fn files_to_prune(
    paths: &[String],
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
    keep: &[&str],
) -> Vec<String> {
    let mut dated: Vec<(DateTime<Utc>, &String)> = paths
        .iter()
        .filter(|p| is_run_file(p) && !keep.contains(&p.as_str()))
        .filter_map(|p| time_from_run_file_name(p).map(|t| (t, p)))
        .collect();
    // Newest first; ties by path so the choice is deterministic.
    dated.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(a.1)));
    // The kept files count towards max_runs too.
    let kept_runs = keep
        .iter()
        .filter(|k| paths.iter().any(|p| p == *k))
        .count();
    let cutoff = policy
        .max_age_days
        .map(|d| now - Duration::days(i64::from(d)));
    let mut pruned: Vec<String> = dated
        .iter()
        .enumerate()
        .filter(|(i, (t, _))| {
            let over_count = policy.max_runs.is_some_and(|max| i + kept_runs >= max);
            let too_old = cutoff.is_some_and(|c| *t < c);
            over_count || too_old
        })
        .map(|(_, (_, p))| (*p).clone())
        .collect();
    pruned.reverse();
    pruned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_fixtures::t;

    fn paths() -> Vec<String> {
        [
            "runs/2026/09/20260901T000000Z-aaaaaaa-r1.json",
            "runs/2026/10/20261001T000000Z-bbbbbbb-r2.json",
            "runs/2026/11/20261101T000000Z-ccccccc-r3.json",
            "runs/2026/11/20261120T000000Z-ddddddd-r4.json",
            "runs/2026/11/notes.json",
            "index.json",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn unlimited_prunes_nothing() {
        let p = RetentionPolicy::default();
        assert!(p.is_unlimited());
        assert!(files_to_prune(&paths(), &p, t("2030-01-01T00:00:00Z"), &[]).is_empty());
    }

    #[test]
    fn max_runs_keeps_the_newest() {
        let p = RetentionPolicy {
            max_runs: Some(2),
            max_age_days: None,
        };
        let pruned = files_to_prune(&paths(), &p, t("2026-11-27T00:00:00Z"), &[]);
        assert_eq!(
            pruned,
            [
                "runs/2026/09/20260901T000000Z-aaaaaaa-r1.json",
                "runs/2026/10/20261001T000000Z-bbbbbbb-r2.json"
            ]
        );
    }

    #[test]
    fn max_age_drops_old_files_but_never_unknown_names_or_kept_ones() {
        let p = RetentionPolicy {
            max_runs: None,
            max_age_days: Some(30),
        };
        let old_kept = "runs/2026/09/20260901T000000Z-aaaaaaa-r1.json";
        let pruned = files_to_prune(&paths(), &p, t("2026-11-27T00:00:00Z"), &[old_kept]);
        assert_eq!(pruned, ["runs/2026/10/20261001T000000Z-bbbbbbb-r2.json"]);
    }

    #[test]
    fn kept_file_counts_towards_max_runs() {
        let p = RetentionPolicy {
            max_runs: Some(2),
            max_age_days: None,
        };
        let new = "runs/2026/09/20260901T000000Z-aaaaaaa-r1.json";
        let pruned = files_to_prune(&paths(), &p, t("2026-11-27T00:00:00Z"), &[new]);
        assert_eq!(
            pruned,
            [
                "runs/2026/10/20261001T000000Z-bbbbbbb-r2.json",
                "runs/2026/11/20261101T000000Z-ccccccc-r3.json"
            ]
        );
    }
}
