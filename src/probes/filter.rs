//! `--probes-filter`: pick a subset of the battery by category, tag, language or id.
//!
//! Syntax: comma-separated terms `key:value` with keys `category`, `tag`, `lang` (or
//! `language`) and `id` (a `*` wildcard is allowed in values). Terms with the same key are
//! alternatives (OR); different keys must all match (AND). A value without a key matches any
//! of id, category, tag or language. Example: `category:grief,category:loneliness,lang:en`.

use super::{Probe, ProbeError};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeFilter {
    text: String,
    categories: Vec<String>,
    tags: Vec<String>,
    languages: Vec<String>,
    ids: Vec<String>,
    any: Vec<String>,
}

fn glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, rest)) => {
            if !s.starts_with(head) {
                return false;
            }
            let s = &s[head.len()..];
            if rest.is_empty() {
                return true;
            }
            (0..=s.len())
                .filter(|i| s.is_char_boundary(*i))
                .any(|i| glob(rest, &s[i..]))
        }
    }
}

impl ProbeFilter {
    pub fn parse(text: &str) -> Result<Self, ProbeError> {
        let mut f = ProbeFilter {
            text: text.to_string(),
            ..Default::default()
        };
        for term in text.split(',').map(str::trim) {
            if term.is_empty() {
                return Err(ProbeError::BadFilter {
                    filter: text.into(),
                    reason: "empty term".into(),
                });
            }
            let (key, value) = match term.split_once(':') {
                Some((k, v)) => (Some(k.trim()), v.trim().to_string()),
                None => (None, term.to_string()),
            };
            if value.is_empty() {
                return Err(ProbeError::BadFilter {
                    filter: text.into(),
                    reason: format!("term {term:?} has no value"),
                });
            }
            match key {
                None => f.any.push(value),
                Some("category" | "cat") => f.categories.push(value),
                Some("tag") => f.tags.push(value),
                Some("lang" | "language") => f.languages.push(value),
                Some("id") => f.ids.push(value),
                Some(other) => {
                    return Err(ProbeError::BadFilter {
                        filter: text.into(),
                        reason: format!("unknown key {other:?}; use category:, tag:, lang: or id:"),
                    })
                }
            }
        }
        Ok(f)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, p: &Probe) -> bool {
        let any_of = |pats: &[String], v: &str| pats.is_empty() || pats.iter().any(|pat| glob(pat, v));
        any_of(&self.categories, &p.category)
            && (self.tags.is_empty() || p.tags.iter().any(|t| self.tags.iter().any(|pat| glob(pat, t))))
            && any_of(&self.languages, &p.language)
            && any_of(&self.ids, &p.id)
            && (self.any.is_empty()
                || self.any.iter().any(|pat| {
                    glob(pat, &p.id)
                        || glob(pat, &p.category)
                        || glob(pat, &p.language)
                        || p.tags.iter().any(|t| glob(pat, t))
                }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Turn;

    fn p(id: &str, cat: &str, lang: &str, tags: &[&str]) -> Probe {
        Probe {
            id: id.into(),
            category: cat.into(),
            title: "t".into(),
            reveals: "r".into(),
            language: lang.into(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            persona: None,
            turns: vec![Turn {
                user: "u".into(),
                pushback: false,
            }],
            expect_recall: vec![],
        }
    }

    #[test]
    fn same_key_or_different_keys_and() {
        let f = ProbeFilter::parse("category:grief,category:loneliness,lang:en").unwrap();
        assert!(f.matches(&p("a", "grief", "en", &[])));
        assert!(f.matches(&p("b", "loneliness", "en", &[])));
        assert!(!f.matches(&p("c", "grief", "sv", &[])));
        assert!(!f.matches(&p("d", "work", "en", &[])));
    }

    #[test]
    fn globs_tags_and_bare_terms() {
        let f = ProbeFilter::parse("id:grief-*").unwrap();
        assert!(f.matches(&p("grief-letter", "grief", "en", &[])));
        assert!(!f.matches(&p("lonely", "grief", "en", &[])));
        let f = ProbeFilter::parse("late-night").unwrap();
        assert!(f.matches(&p("x", "y", "en", &["late-night"])));
        let f = ProbeFilter::parse("tag:*night").unwrap();
        assert!(f.matches(&p("x", "y", "en", &["late-night"])));
    }

    #[test]
    fn bad_filters_are_explained() {
        let e = ProbeFilter::parse("colour:red").unwrap_err().to_string();
        assert!(e.contains("unknown key \"colour\""), "{e}");
        assert!(ProbeFilter::parse("a,,b").is_err());
        assert!(ProbeFilter::parse("tag:").is_err());
    }
}
