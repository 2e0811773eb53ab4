//! The gate language of `--fail-on` (and `[compare] fail_on` in `persona-drift.toml`).
//!
//! ```text
//! rule      = target condition
//! target    = NAME | "any" ("dimension" | "dimensions" | "metric" | "metrics")
//! condition = "changed" | "increased" | "decreased" | OP NUMBER ["%"]
//! OP        = "<" | "<=" | ">" | ">="
//! ```
//! NAME is a dimension (`warmth` means `dim.warmth`) or a raw metric id (`words`). Several rules
//! may be given in one string separated by commas. A NUMBER with `%` compares the relative
//! change (`-10%` = new is 10% below old); without `%` it compares the absolute change in the
//! metric's units.
//!
//! A gate fires on a metric only when that metric's verdict is `changed` (q < alpha and the CI
//! lies outside the noise band) AND the point estimate satisfies the comparison: noise never
//! fails CI.

use super::model::{Direction, GateResult, GateSource, MetricResult, Verdict};
use crate::score::MetricKind;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    AnyDimension,
    AnyMetric,
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Changed,
    Increased,
    Decreased,
    Threshold { op: Op, value: f64, percent: bool },
}

/// One parsed rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// The rule's own text (trimmed).
    pub rule: String,
    pub source: GateSource,
    pub target: Target,
    pub condition: Condition,
}

/// A syntax error, displayed with the rule and a caret under the offending character.
#[derive(Debug, Clone, PartialEq)]
pub struct GateSyntaxError {
    /// The whole text as given.
    pub text: String,
    /// Character (not byte) offset of the problem.
    pub column: usize,
    pub message: String,
    /// `--fail-on` or the config file it came from.
    pub origin: String,
}

impl fmt::Display for GateSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid gate rule in {}: {}", self.origin, self.message)?;
        writeln!(f, "  {}", self.text)?;
        write!(f, "  {}^", " ".repeat(self.column))
    }
}

impl std::error::Error for GateSyntaxError {}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    offset: usize,
    text: &'a str,
    origin: &'a str,
}

impl<'a> Lexer<'a> {
    fn err(&self, at: usize, message: impl Into<String>) -> GateSyntaxError {
        GateSyntaxError {
            text: self.text.to_string(),
            column: self.offset + at,
            message: message.into(),
            origin: self.origin.to_string(),
        }
    }
    fn skip_ws(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn word(&mut self) -> (usize, String) {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
                self.pos += 1;
            } else {
                break;
            }
        }
        (start, self.chars[start..self.pos].iter().collect())
    }
}

/// Parse one or more comma-separated rules. `origin` names where they came from in errors.
pub fn parse_rules(text: &str, source: GateSource, origin: &str) -> Result<Vec<Gate>, GateSyntaxError> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    for piece in text.split(',') {
        let len = piece.chars().count();
        out.push(parse_one(piece, offset, text, source, origin)?);
        offset += len + 1;
    }
    Ok(out)
}

fn parse_one(
    piece: &str,
    offset: usize,
    text: &str,
    source: GateSource,
    origin: &str,
) -> Result<Gate, GateSyntaxError> {
    let mut lx = Lexer {
        chars: piece.chars().collect(),
        pos: 0,
        offset,
        text,
        origin,
    };
    lx.skip_ws();
    let Some(c) = lx.peek() else {
        return Err(lx.err(
            lx.pos,
            "empty rule; expected e.g. `warmth < -10%`, `verbosity changed` or `any dimension changed`",
        ));
    };
    if !(c.is_alphanumeric() || c == '_') {
        return Err(lx.err(
            lx.pos,
            format!("expected a dimension or metric name (e.g. `warmth`) or `any`, found `{c}`"),
        ));
    }
    let (_, name) = lx.word();
    let target = if name.eq_ignore_ascii_case("any") {
        lx.skip_ws();
        let (at, what) = lx.word();
        match what.to_ascii_lowercase().as_str() {
            "dimension" | "dimensions" => Target::AnyDimension,
            "metric" | "metrics" => Target::AnyMetric,
            _ => return Err(lx.err(at, "expected `dimension` or `metric` after `any`")),
        }
    } else {
        Target::Name(name)
    };
    lx.skip_ws();
    let cond_at = lx.pos;
    let condition = match lx.peek() {
        Some('<') | Some('>') => {
            let lt = lx.peek() == Some('<');
            lx.pos += 1;
            let eq = lx.peek() == Some('=');
            if eq {
                lx.pos += 1;
            }
            let op = match (lt, eq) {
                (true, false) => Op::Lt,
                (true, true) => Op::Le,
                (false, false) => Op::Gt,
                (false, true) => Op::Ge,
            };
            lx.skip_ws();
            let num_at = lx.pos;
            let mut s = String::new();
            if let Some(c @ ('+' | '-')) = lx.peek() {
                s.push(c);
                lx.pos += 1;
            }
            while let Some(c) = lx.peek() {
                if c.is_ascii_digit() || c == '.' {
                    s.push(c);
                    lx.pos += 1;
                } else {
                    break;
                }
            }
            let value: f64 = match s.parse() {
                Ok(v) if s.chars().any(|c| c.is_ascii_digit()) => v,
                _ => {
                    let at = if s.is_empty() || s == "+" || s == "-" {
                        lx.pos
                    } else {
                        num_at
                    };
                    return Err(lx.err(at, "expected a number such as `-10%` or `0.1`"));
                }
            };
            lx.skip_ws();
            let percent = lx.peek() == Some('%');
            if percent {
                lx.pos += 1;
            }
            Condition::Threshold { op, value, percent }
        }
        Some(c) if c.is_alphabetic() => {
            let (at, w) = lx.word();
            match w.to_ascii_lowercase().as_str() {
                "changed" => Condition::Changed,
                "increased" => Condition::Increased,
                "decreased" => Condition::Decreased,
                _ => {
                    return Err(lx.err(
                        at,
                        format!(
                            "expected `changed`, `increased`, `decreased` or a comparison \
                             (<, <=, >, >=), found `{w}`"
                        ),
                    ))
                }
            }
        }
        Some('=') | Some('!') => {
            return Err(lx.err(
                cond_at,
                "expected a comparison: <, <=, > or >= (there is no = or !=)",
            ))
        }
        _ => {
            return Err(lx.err(
                cond_at,
                "expected `changed`, `increased`, `decreased` or a comparison (<, <=, >, >=)",
            ))
        }
    };
    lx.skip_ws();
    if let Some(c) = lx.peek() {
        return Err(lx.err(
            lx.pos,
            format!("unexpected `{c}` after the rule (separate rules with commas)"),
        ));
    }
    Ok(Gate {
        rule: piece.trim().to_string(),
        source,
        target,
        condition,
    })
}

/// Resolve a name to metric ids: `warmth` -> `dim.warmth` when that dimension exists, else the
/// raw metric id itself. `None` when neither exists.
pub fn resolve_name(name: &str, metric_ids: &[&str]) -> Option<String> {
    let dim = format!("dim.{name}");
    if metric_ids.contains(&dim.as_str()) {
        return Some(dim);
    }
    if metric_ids.contains(&name) {
        return Some(name.to_string());
    }
    None
}

/// Which metric ids a gate applies to, or an error message naming the unknown metric.
pub fn gate_metrics(gate: &Gate, metrics: &[MetricResult]) -> Result<Vec<String>, String> {
    let ids: Vec<&str> = metrics.iter().map(|m| m.id.as_str()).collect();
    match &gate.target {
        Target::AnyDimension => Ok(metrics
            .iter()
            .filter(|m| m.kind == MetricKind::Dimension)
            .map(|m| m.id.clone())
            .collect()),
        Target::AnyMetric => Ok(ids.iter().map(|s| s.to_string()).collect()),
        Target::Name(n) => resolve_name(n, &ids).map(|id| vec![id]).ok_or_else(|| {
            let dims: Vec<String> = metrics
                .iter()
                .filter(|m| m.kind == MetricKind::Dimension)
                .map(|m| m.id.trim_start_matches("dim.").to_string())
                .collect();
            format!(
                "gate `{}`: no dimension or metric named `{n}`; dimensions: {}; raw metric ids are also \
                 accepted (see comparison.json)",
                gate.rule,
                dims.join(", ")
            )
        }),
    }
}

fn fires(cond: &Condition, m: &MetricResult) -> bool {
    if m.stats.verdict != Verdict::Changed {
        return false;
    }
    match cond {
        Condition::Changed => true,
        Condition::Increased => m.stats.direction == Direction::Up,
        Condition::Decreased => m.stats.direction == Direction::Down,
        Condition::Threshold { op, value, percent } => {
            let est = if *percent {
                m.stats.rel_change.map(|r| r * 100.0)
            } else {
                m.stats.abs_change
            };
            est.is_some_and(|e| op.holds(e, *value))
        }
    }
}

fn describe(cond: &Condition, m: &MetricResult) -> String {
    let ch = m.stats.abs_change.unwrap_or(f64::NAN);
    let rel = m
        .stats
        .rel_change
        .map(|r| format!(" ({:+.1}%)", r * 100.0))
        .unwrap_or_default();
    match cond {
        Condition::Threshold { op, value, percent } => format!(
            "{} changed by {ch:+.4}{rel}, {} {value}{}",
            m.id,
            op.as_str(),
            if *percent { "%" } else { "" }
        ),
        _ => format!("{} changed by {ch:+.4}{rel}", m.id),
    }
}

/// Evaluate every gate against the metric results. Unknown names are errors (usage, exit 2).
pub fn evaluate(gates: &[Gate], metrics: &[MetricResult]) -> Result<Vec<GateResult>, String> {
    let mut out = Vec::new();
    for g in gates {
        let ids = gate_metrics(g, metrics)?;
        let fired_by: Vec<String> = ids
            .iter()
            .filter(|id| metrics.iter().any(|m| &m.id == *id && fires(&g.condition, m)))
            .cloned()
            .collect();
        let message = if fired_by.is_empty() {
            format!(
                "passed: no metric it covers has verdict `changed` beyond `{}`",
                g.rule
            )
        } else {
            let parts: Vec<String> = fired_by
                .iter()
                .filter_map(|id| metrics.iter().find(|m| &m.id == id))
                .map(|m| describe(&g.condition, m))
                .collect();
            format!("FAILED `{}`: {}", g.rule, parts.join("; "))
        };
        out.push(GateResult {
            rule: g.rule.clone(),
            source: g.source,
            metrics: ids,
            fired: !fired_by.is_empty(),
            fired_by,
            message,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Vec<Gate>, GateSyntaxError> {
        parse_rules(s, GateSource::Flag, "--fail-on")
    }

    #[test]
    fn parses_the_documented_examples() {
        let g = p("warmth < -10%").unwrap();
        assert_eq!(g[0].target, Target::Name("warmth".into()));
        assert_eq!(
            g[0].condition,
            Condition::Threshold {
                op: Op::Lt,
                value: -10.0,
                percent: true
            }
        );
        assert_eq!(p("verbosity changed").unwrap()[0].condition, Condition::Changed);
        assert_eq!(
            p("any dimension changed").unwrap()[0].target,
            Target::AnyDimension
        );
        assert_eq!(
            p("recall < -0.1").unwrap()[0].condition,
            Condition::Threshold {
                op: Op::Lt,
                value: -0.1,
                percent: false
            }
        );
        assert_eq!(
            p("engagement >= 15 %").unwrap()[0].condition,
            Condition::Threshold {
                op: Op::Ge,
                value: 15.0,
                percent: true
            }
        );
        let two = p("warmth < -10%, any metric increased").unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].rule, "any metric increased");
        assert_eq!(two[1].condition, Condition::Increased);
    }

    #[test]
    fn caret_points_at_the_offending_character() {
        let e = p("warmth = -10%").unwrap_err();
        assert_eq!(e.column, 7);
        assert_eq!(
            e.to_string(),
            "invalid gate rule in --fail-on: expected a comparison: <, <=, > or >= (there is no = or !=)\n  \
             warmth = -10%\n         ^"
        );
        let e = p("warmth < abc").unwrap_err();
        assert_eq!(e.column, 9, "{e}");
        let e = p("warmth < -10%%").unwrap_err();
        assert_eq!(e.column, 13, "{e}");
        let e = p("any thing changed").unwrap_err();
        assert_eq!(e.column, 4, "{e}");
        let e = p("warmth < -10%, verbosity chnaged").unwrap_err();
        assert_eq!(e.column, 25, "{e}");
        assert!(e.message.contains("found `chnaged`"), "{e}");
        let e = p("").unwrap_err();
        assert_eq!(e.column, 0);
        let e = p("warmth").unwrap_err();
        assert_eq!(e.column, 6, "{e}");
    }
}
