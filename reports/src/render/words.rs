//! Words every renderer shares: counted nouns ("1 run", "2 runs" — one helper instead of `{n} runs` printed
//! for n = 1) and the one spelling of a value nobody measured. A leaf module: gates and the site use it too.

/// How every renderer (text, Markdown, PR comment, site) prints a memory or CPU figure nobody measured.
pub const NOT_MEASURED: &str = "not measured";

/// `n` and the noun in the right number: `count(1, "run")` is "1 run", `count(3, "run")` "3 runs".
/// Nouns with an irregular plural use [`count_as`].
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `n` and `one` or `many`: `count_as(2, "series", "series")`.
pub fn count_as(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(1, "run"), "1 run");
        assert_eq!(count(0, "run"), "0 runs");
        assert_eq!(count(12, "change point"), "12 change points");
        assert_eq!(count_as(1, "series", "series"), "1 series");
    }
}
