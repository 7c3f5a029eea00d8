//! `${…}` templates: parsed once at config time (so an undefined variable is a config error with its
//! position), rendered per request from a user's variables and a per-user [`Generator`].

use std::collections::HashMap;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A user's variables: its data row and what earlier steps extracted.
pub type Vars = HashMap<String, String>;

/// One piece of a template.
#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Lit(String),
    Var(String),
    Uuid,
    Seq,
    RandomInt(i64, i64),
}

/// A parsed template string.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Generated values for one virtual user: `${seq}` counts this user's iterations (from 1), `${uuid}` and
/// `${random_int(a,b)}` draw from the user's own seeded generator.
#[derive(Debug)]
pub struct Generator {
    rng: SmallRng,
    /// The current iteration's sequence number (set by the scenario runner).
    pub seq: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(seed),
            seq: 0,
        }
    }

    /// A random (version 4) UUID in its usual hyphenated form.
    pub fn uuid(&mut self) -> String {
        let mut b: [u8; 16] = self.rng.random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex::encode(b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

impl Template {
    /// Parses `text`. Errors say what is wrong with which `${…}` (the caller adds file:line:col).
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                pieces.push(Piece::Lit(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("`${{` without a closing `}}` in {text:?}"))?;
            let inner = after[..end].trim();
            pieces.push(Self::slot(inner)?);
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Lit(rest.to_string()));
        }
        Ok(Template { pieces })
    }

    fn slot(inner: &str) -> Result<Piece, String> {
        match inner {
            "uuid" => return Ok(Piece::Uuid),
            "seq" => return Ok(Piece::Seq),
            _ => {}
        }
        if let Some(args) = inner
            .strip_prefix("random_int(")
            .and_then(|a| a.strip_suffix(')'))
        {
            let bad =
                || format!("`${{{inner}}}`: expected random_int(MIN,MAX) with integers MIN <= MAX");
            let (a, b) = args.split_once(',').ok_or_else(bad)?;
            let a: i64 = a.trim().parse().map_err(|_| bad())?;
            let b: i64 = b.trim().parse().map_err(|_| bad())?;
            if a > b {
                return Err(bad());
            }
            return Ok(Piece::RandomInt(a, b));
        }
        if is_ident(inner) {
            Ok(Piece::Var(inner.to_string()))
        } else {
            Err(format!(
                "`${{{inner}}}` is not a variable name, `uuid`, `seq` or `random_int(MIN,MAX)`"
            ))
        }
    }

    /// The variables this template reads (not the generated values).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// True when the template is plain text (no slot): it can be sent as is.
    pub fn is_literal(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Lit(_)))
    }

    /// Fills the template. A variable missing at run time (an extraction that found nothing) is an error
    /// naming it.
    pub fn render(&self, vars: &Vars, generator: &mut Generator) -> Result<String, String> {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Var(v) => match vars.get(v) {
                    Some(value) => out.push_str(value),
                    None => return Err(format!("variable `{v}` has no value")),
                },
                Piece::Uuid => out.push_str(&generator.uuid()),
                Piece::Seq => out.push_str(&generator.seq.to_string()),
                Piece::RandomInt(a, b) => {
                    out.push_str(&generator.rng.random_range(*a..=*b).to_string())
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_and_generated_values_are_filled() {
        let t = Template::parse("/items/${id}?n=${seq}&r=${random_int(1, 3)}&u=${uuid}").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), ["id"]);
        let mut g = Generator::new(7);
        g.seq = 42;
        let vars = Vars::from([("id".to_string(), "abc".to_string())]);
        let out = t.render(&vars, &mut g).unwrap();
        assert!(out.starts_with("/items/abc?n=42&r="), "{out}");
        let r: i64 = out
            .split("r=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3).contains(&r));
        let u = out.split("u=").nth(1).unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4", "version 4: {u}");
        assert_ne!(g.uuid(), g.uuid());
    }

    #[test]
    fn bad_slots_are_refused_with_the_slot_named() {
        assert!(Template::parse("/a/${id").unwrap_err().contains("closing"));
        let e = Template::parse("${random_int(5,1)}").unwrap_err();
        assert!(e.contains("random_int(5,1)"), "{e}");
        assert!(Template::parse("${a b}")
            .unwrap_err()
            .contains("not a variable"));
        assert!(Template::parse("plain").unwrap().is_literal());
    }

    #[test]
    fn a_missing_variable_at_run_time_is_named() {
        let t = Template::parse("Bearer ${token}").unwrap();
        let e = t.render(&Vars::new(), &mut Generator::new(1)).unwrap_err();
        assert!(e.contains("`token`"), "{e}");
    }
}
