//! Loading and validating probe files. Every problem is reported with file:line:column and a
//! plain explanation; loading never stops at the first problem.

use super::{normalise_text, Battery, Exchange, Persona, Probe, ProbeError, Recall, Turn};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One problem in one probe file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    id: Spanned<String>,
    category: Spanned<String>,
    title: Spanned<String>,
    reveals: Spanned<String>,
    language: Spanned<String>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    persona: Option<Spanned<RawPersona>>,
    turns: Spanned<Vec<Spanned<RawTurn>>>,
    #[serde(default)]
    expect_recall: Vec<Spanned<RawRecall>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersona {
    name: Spanned<String>,
    system: Spanned<String>,
    #[serde(default)]
    examples: Vec<Spanned<RawExchange>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExchange {
    user: String,
    assistant: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTurn {
    user: Spanned<String>,
    pushback: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecall {
    fact: Spanned<String>,
    #[serde(default)]
    variants: Vec<String>,
    given_in_turn: Spanned<usize>,
    from_turn: Spanned<usize>,
}

/// Byte offset to 1-based (line, column in characters).
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = src[line_start..offset].chars().count() + 1;
    (line, column)
}

struct Ctx<'a> {
    file: String,
    src: &'a str,
    problems: Vec<Problem>,
}

impl<'a> Ctx<'a> {
    fn new(file: &str, src: &'a str) -> Self {
        Ctx {
            file: file.to_string(),
            src,
            problems: Vec::new(),
        }
    }

    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = line_col(self.src, span.start);
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            column,
            message: message.into(),
        });
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Upper bound on user turns per probe.
pub const MAX_TURNS: usize = 12;

/// Parse and validate one probe file's text. `file` is used in messages; `expected_id` and
/// `expected_category` (from the file stem and its folder) are checked when given.
pub fn parse_probe(
    file: &str,
    src: &str,
    expected_id: Option<&str>,
    expected_category: Option<&str>,
) -> Result<Probe, Vec<Problem>> {
    let mut cx = Ctx::new(file, src);
    let Some(raw) = parse_toml::<RawProbe>(&mut cx) else {
        return Err(cx.problems);
    };

    let id = raw.id.get_ref().trim();
    if !is_slug(id) {
        cx.at(
            raw.id.span(),
            format!("id {id:?} must be lower-case letters, digits and '-'"),
        );
    } else if let Some(stem) = expected_id {
        if stem != id {
            cx.at(
                raw.id.span(),
                format!("id {id:?} does not match the file name {stem:?}.toml"),
            );
        }
    }
    let category = raw.category.get_ref().trim();
    if !is_slug(category) {
        cx.at(
            raw.category.span(),
            format!("category {category:?} must be lower-case letters, digits and '-'"),
        );
    } else if let Some(dir) = expected_category {
        if dir != category {
            cx.at(
                raw.category.span(),
                format!("category {category:?} does not match the folder {dir:?} the file is in"),
            );
        }
    }
    for (field, v) in [("title", &raw.title), ("reveals", &raw.reveals)] {
        if v.get_ref().trim().is_empty() {
            cx.at(v.span(), format!("{field} must not be empty"));
        }
    }
    let language = raw.language.get_ref().trim();
    if !is_language_tag(language) {
        cx.at(
            raw.language.span(),
            format!(
                "language {language:?} is not a BCP 47 tag such as \"en\", \"sv\", \"nb\", \"zh\" or \"es\""
            ),
        );
    }
    for t in &raw.tags {
        if !is_slug(t.get_ref().trim()) {
            cx.at(
                t.span(),
                format!("tag {:?} must be lower-case letters, digits and '-'", t.get_ref()),
            );
        }
    }

    let persona = raw
        .persona
        .as_ref()
        .map(|p| check_persona(&mut cx, p.get_ref(), "persona."));

    let turns_raw = raw.turns.get_ref();
    if turns_raw.is_empty() {
        cx.at(raw.turns.span(), "a probe needs at least one [[turns]] entry");
    }
    if turns_raw.len() > MAX_TURNS {
        cx.at(
            raw.turns.span(),
            format!("{} turns is more than the limit of {MAX_TURNS}", turns_raw.len()),
        );
    }
    for (i, t) in turns_raw.iter().enumerate() {
        let t = t.get_ref();
        if t.user.get_ref().trim().is_empty() {
            cx.at(t.user.span(), format!("turn {} has an empty user message", i + 1));
        }
        if let Some(pb) = &t.pushback {
            if i == 0 && *pb.get_ref() {
                cx.at(
                    pb.span(),
                    "the first turn cannot be a pushback: there is no earlier answer to push back on",
                );
            }
        }
    }
    let turns: Vec<Turn> = turns_raw
        .iter()
        .map(|t| Turn {
            user: normalise_text(t.get_ref().user.get_ref()),
            pushback: t.get_ref().pushback.as_ref().is_some_and(|p| *p.get_ref()),
        })
        .collect();

    let mut recalls = Vec::new();
    for r in &raw.expect_recall {
        let rr = r.get_ref();
        let n = turns.len();
        let given = *rr.given_in_turn.get_ref();
        let from = *rr.from_turn.get_ref();
        let fact = normalise_text(rr.fact.get_ref());
        if fact.is_empty() {
            cx.at(rr.fact.span(), "expect_recall.fact must not be empty");
        }
        if given == 0 || given > n {
            cx.at(
                rr.given_in_turn.span(),
                format!("given_in_turn = {given} but the probe has turns 1..={n}"),
            );
        } else {
            let said = turns[given - 1].user.to_lowercase();
            let forms: Vec<String> = std::iter::once(fact.clone())
                .chain(rr.variants.iter().map(|v| normalise_text(v)))
                .collect();
            if !fact.is_empty()
                && !forms
                    .iter()
                    .any(|f| !f.is_empty() && said.contains(&f.to_lowercase()))
            {
                cx.at(
                    rr.fact.span(),
                    format!(
                        "the fact {fact:?} (or one of its variants) does not appear in user turn {given}"
                    ),
                );
            }
        }
        if from <= given || from > n {
            cx.at(
                rr.from_turn.span(),
                format!(
                    "from_turn = {from} must be a later turn than given_in_turn = {given} and at most {n}"
                ),
            );
        }
        recalls.push(Recall {
            fact,
            variants: rr
                .variants
                .iter()
                .map(|v| normalise_text(v))
                .filter(|v| !v.is_empty())
                .collect(),
            given_in_turn: given,
            from_turn: from,
        });
    }

    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    Ok(Probe {
        id: id.to_string(),
        category: category.to_string(),
        title: normalise_text(raw.title.get_ref()),
        reveals: normalise_text(raw.reveals.get_ref()),
        language: language.to_string(),
        tags: raw.tags.iter().map(|t| t.get_ref().trim().to_string()).collect(),
        persona,
        turns,
        expect_recall: recalls,
    })
}

/// Validate and normalise a persona (a probe's `[persona]` table or a character card file);
/// `prefix` names the table in messages ("persona." in a probe, "" in a card).
fn check_persona(cx: &mut Ctx, p: &RawPersona, prefix: &str) -> Persona {
    if p.name.get_ref().trim().is_empty() {
        cx.at(p.name.span(), format!("{prefix}name must not be empty"));
    }
    if p.system.get_ref().trim().is_empty() {
        cx.at(
            p.system.span(),
            format!("{prefix}system (the system prompt) must not be empty"),
        );
    }
    for ex in &p.examples {
        let e = ex.get_ref();
        if e.user.trim().is_empty() || e.assistant.trim().is_empty() {
            cx.at(
                ex.span(),
                "an example exchange needs both a non-empty user and assistant message",
            );
        }
    }
    Persona {
        name: normalise_text(p.name.get_ref()),
        system: normalise_text(p.system.get_ref()),
        examples: p
            .examples
            .iter()
            .map(|e| Exchange {
                user: normalise_text(&e.get_ref().user),
                assistant: normalise_text(&e.get_ref().assistant),
            })
            .collect(),
    }
}

/// Deserialize the whole file, or record its first syntax or schema problem.
fn parse_toml<T: serde::de::DeserializeOwned>(cx: &mut Ctx) -> Option<T> {
    match toml::from_str(cx.src) {
        Ok(r) => Some(r),
        Err(e) => {
            toml_problem(cx, e);
            None
        }
    }
}

fn toml_problem(cx: &mut Ctx, e: toml::de::Error) {
    let span = e.span().unwrap_or(0..0);
    let msg = e.message().trim().to_string();
    let msg = if msg.starts_with("unknown field") {
        format!("{msg} (unknown fields are rejected so that a typo cannot silently drop a setting)")
    } else {
        msg
    };
    cx.at(span, msg);
}

/// Parse a character card: a TOML file with `name`, `system` and optional `[[examples]]`
/// (`user`, `assistant`), the same fields as a probe's `[persona]` table. `run --persona`
/// gives it to every probe that has no persona of its own.
pub fn parse_persona_card(file: &str, src: &str) -> Result<Persona, Vec<Problem>> {
    let mut cx = Ctx::new(file, src);
    let Some(raw) = parse_toml::<RawPersona>(&mut cx) else {
        return Err(cx.problems);
    };
    let persona = check_persona(&mut cx, &raw, "");
    if cx.problems.is_empty() {
        Ok(persona)
    } else {
        Err(cx.problems)
    }
}

/// Read and parse a character card file (see [`parse_persona_card`]).
pub fn load_persona_card(path: &Path) -> Result<Persona, ProbeError> {
    let src = std::fs::read_to_string(path).map_err(|source| ProbeError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_persona_card(&path.display().to_string(), &src).map_err(ProbeError::InvalidCard)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ProbeError> {
    let rd = std::fs::read_dir(dir).map_err(|source| ProbeError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
    Ok(())
}

/// Load every `*.toml` under `dir` (recursively), validating each file and the battery as a
/// whole (unique ids). Returns all problems at once.
pub fn load_battery(dir: &Path) -> Result<Battery, ProbeError> {
    let (battery, problems) = load_battery_lenient(dir)?;
    if problems.is_empty() {
        Ok(battery)
    } else {
        Err(ProbeError::Invalid(problems))
    }
}

/// Like [`load_battery`] but returns the valid probes together with the problems found.
pub fn load_battery_lenient(dir: &Path) -> Result<(Battery, Vec<Problem>), ProbeError> {
    if !dir.is_dir() {
        return Err(ProbeError::Io {
            path: dir.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    if files.is_empty() {
        return Err(ProbeError::Empty(dir.display().to_string()));
    }
    let mut problems = Vec::new();
    let mut probes = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for f in files {
        let shown = f.display().to_string();
        let src = match std::fs::read_to_string(&f) {
            Ok(s) => s,
            Err(e) => {
                problems.push(Problem {
                    file: shown,
                    line: 1,
                    column: 1,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        let stem = f.file_stem().and_then(|s| s.to_str()).map(str::to_string);
        let category = f
            .parent()
            .filter(|p| *p != dir)
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            .map(str::to_string);
        match parse_probe(&shown, &src, stem.as_deref(), category.as_deref()) {
            Ok(p) => {
                if let Some(first) = seen.get(&p.id) {
                    problems.push(Problem {
                        file: shown.clone(),
                        line: 1,
                        column: 1,
                        message: format!("duplicate id {:?}: already used by {first}", p.id),
                    });
                } else {
                    seen.insert(p.id.clone(), shown.clone());
                    probes.push(p);
                }
            }
            Err(mut ps) => problems.append(&mut ps),
        }
    }
    Ok((Battery::new(probes), problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "pet-name"
category = "recall"
title = "The dog's name"
reveals = "Whether the model uses the pet's name the user gave earlier."
language = "en"
tags = ["recall", "pets"]

[[turns]]
user = "My dog Biscuit is sick today."

[[turns]]
user = "Anyway, what should I cook tonight?"

[[turns]]
user = "Thanks. Any idea how to cheer him up?"

[[expect_recall]]
fact = "Biscuit"
given_in_turn = 1
from_turn = 3
"#;

    #[test]
    fn parses_a_good_probe() {
        let p = parse_probe("x.toml", GOOD, Some("pet-name"), Some("recall")).unwrap();
        assert_eq!(p.turns.len(), 3);
        assert_eq!(p.expect_recall[0].fact, "Biscuit");
    }

    #[test]
    fn unknown_field_is_rejected_with_line_and_column() {
        let src = GOOD.replace("tags = [", "colour = \"red\"\ntags = [");
        let errs = parse_probe("x.toml", &src, None, None).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].message.contains("unknown field `colour`"),
            "{}",
            errs[0].message
        );
        assert_eq!(errs[0].line, 7);
        assert_eq!(errs[0].column, 1);
    }

    #[test]
    fn reports_every_semantic_problem() {
        let src = GOOD
            .replace("id = \"pet-name\"", "id = \"Pet Name\"")
            .replace("language = \"en\"", "language = \"English\"")
            .replace("from_turn = 3", "from_turn = 1")
            .replace("fact = \"Biscuit\"", "fact = \"Rex\"");
        let errs = parse_probe("x.toml", &src, None, None).unwrap_err();
        let all: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 4, "{all:#?}");
        assert!(all[0].starts_with("x.toml:2:6: id \"Pet Name\""), "{}", all[0]);
        assert!(all.iter().any(|m| m.contains("language \"English\"")));
        assert!(all.iter().any(|m| m.contains("does not appear in user turn 1")));
        assert!(all.iter().any(|m| m.contains("from_turn = 1")));
    }

    #[test]
    fn file_name_and_folder_must_agree() {
        let errs = parse_probe("x.toml", GOOD, Some("other"), Some("grief")).unwrap_err();
        assert_eq!(errs.len(), 2);
    }

    #[test]
    fn pushback_on_first_turn_is_an_error() {
        let src = GOOD.replacen(
            "user = \"My dog Biscuit is sick today.\"",
            "user = \"My dog Biscuit is sick today.\"\npushback = true",
            1,
        );
        let errs = parse_probe("x.toml", &src, None, None).unwrap_err();
        assert!(errs[0].message.contains("first turn cannot be a pushback"));
    }

    #[test]
    fn hash_ignores_formatting_and_comments() {
        let a = parse_probe("x.toml", GOOD, None, None).unwrap();
        let reformatted = format!(
            "# a comment\n{}",
            GOOD.replace(
                "tags = [\"recall\", \"pets\"]",
                "tags = [ \"recall\",\n  \"pets\" ]"
            )
        );
        let b = parse_probe("x.toml", &reformatted, None, None).unwrap();
        assert_eq!(a.hash(), b.hash());
    }

    #[test]
    fn persona_card_parses_and_reports_problems_with_positions() {
        let card = "name = \" Kai \"\nsystem = \"\"\"\nYou are Kai.\"\"\"\n\n[[examples]]\nuser = \"hi\"\nassistant = \"hey you\"\n";
        let p = parse_persona_card("kai.toml", card).unwrap();
        assert_eq!(p.name, "Kai");
        assert_eq!(p.system, "You are Kai.");
        assert_eq!(p.examples.len(), 1);
        assert_eq!(p.examples[0].assistant, "hey you");

        let errs = parse_persona_card("kai.toml", "name = \"\"\nsystem = \"  \"\n").unwrap_err();
        let shown: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            shown,
            [
                "kai.toml:1:8: name must not be empty",
                "kai.toml:2:10: system (the system prompt) must not be empty"
            ]
        );
        let errs = parse_persona_card("kai.toml", "name = \"Kai\"\n").unwrap_err();
        assert!(errs[0].message.contains("missing field `system`"), "{:?}", errs);
        let errs = parse_persona_card(
            "kai.toml",
            "name = \"Kai\"\nsystem = \"s\"\n[[examples]]\nuser = \"hi\"\nassistant = \"\"\n",
        )
        .unwrap_err();
        assert_eq!(errs[0].line, 3);
        assert!(errs[0].message.contains("non-empty user and assistant"));
    }

    #[test]
    fn a_persona_card_goes_only_to_probes_without_a_persona() {
        let plain = parse_probe("x.toml", GOOD, None, None).unwrap();
        let mut own = plain.clone();
        own.id = "own".into();
        own.persona = Some(Persona {
            name: "Mira".into(),
            system: "You are Mira.".into(),
            examples: vec![],
        });
        let b = Battery::new(vec![plain, own]);
        let card = parse_persona_card("c.toml", "name = \"Kai\"\nsystem = \"You are Kai.\"\n").unwrap();
        let with = b.with_default_persona(&card);
        assert_eq!(with.get("own").unwrap().persona.as_ref().unwrap().name, "Mira");
        assert_eq!(
            with.get("pet-name").unwrap().persona.as_ref().unwrap().name,
            "Kai"
        );
        assert_ne!(with.hash(), b.hash(), "a card changes what is sent, so the hash");
        assert_eq!(
            with.with_default_persona(&card),
            with,
            "applying twice changes nothing"
        );
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncå d", 7), (2, 4));
        assert_eq!(line_col("", 5), (1, 1));
    }
}
