//! The view model: everything a report shows, computed and formatted once from a
//! [`Comparison`](crate::compare::model::Comparison). Renderers only lay it out.

use crate::compare::model::{
    Comparison, Direction, GroupResult, IdentityStatus, MetricResult, Pairing, ProbeChange, Stats,
    TypicalReply,
};
use crate::score::MetricKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

pub use crate::compare::model::Verdict;

/// Replies longer than this are shortened in the HTML (the full text is in `replies.csv`).
pub const HTML_REPLY_MAX_CHARS: usize = 2_000;
/// Replies longer than this are shortened in `summary.md`.
pub const MD_REPLY_MAX_CHARS: usize = 240;

/// One reply with every metric value, for `replies.csv`. The lead fills these from the runs and
/// their scores (`Record`/`Reply` + `ReplyScores`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplyRow {
    /// Run label (e.g. `before`).
    pub run: String,
    /// `old` or `new`.
    pub side: String,
    pub probe_id: String,
    pub category: String,
    pub language: String,
    pub sample: u32,
    /// 0-based user turn.
    pub turn: u32,
    pub prompt: String,
    pub reply: String,
    /// metric id -> value; missing = not applicable.
    pub values: BTreeMap<String, f64>,
}

/// Per-probe semantic drift from the embedding stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeDriftInput {
    pub probe_id: String,
    pub category: String,
    /// Mean cosine distance between old and new replies to this probe.
    pub cross_distance: f64,
    /// Mean distance among replies of the same model to this probe (its noise floor).
    pub within_distance: f64,
    /// Permutation p-value, if computed.
    pub p: Option<f64>,
    pub verdict: Verdict,
}

/// Embedding results, when the embedding stage ran.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EmbeddingInput {
    /// Embedding model used, e.g. `all-MiniLM-L6-v2`.
    pub model: String,
    pub probes: Vec<ProbeDriftInput>,
    /// Overall classifier ROC AUC (0.5 = indistinguishable) and its permutation p, if computed.
    pub auc: Option<f64>,
    pub auc_p: Option<f64>,
}

/// A word or phrase that characterises one side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyTermInput {
    pub term: String,
    pub count_old: u64,
    pub count_new: u64,
    /// Log-odds z-score (positive: characteristic of the side it is listed under).
    pub z: f64,
}

/// The words that characterise each side.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct KeywordsInput {
    pub old: Vec<KeyTermInput>,
    pub new: Vec<KeyTermInput>,
}

/// Optional inputs besides the comparison.
#[derive(Debug, Clone, Default)]
pub struct ReportInputs {
    pub replies: Vec<ReplyRow>,
    pub embedding: Option<EmbeddingInput>,
    pub keywords: Option<KeywordsInput>,
}

/// Overall verdict of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    Changed,
    Unchanged,
    Inconclusive,
}

#[derive(Debug, Clone, Serialize)]
pub struct SideView {
    /// Run label.
    pub label: String,
    pub model_requested: String,
    /// `id (n replies)` list, or `not reported`.
    pub models_reported: String,
    pub fingerprints: String,
    pub provider: String,
    pub sampling: String,
    pub samples: u32,
    pub battery_hash: String,
    pub dates: String,
    pub tool_version: String,
    pub conversations: String,
    pub replies_used: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdentityView {
    /// A silent update behind one name (shown as a warning at the top).
    pub warning: bool,
    pub title: String,
    pub message: String,
}

/// One metric or dimension row, fully formatted.
#[derive(Debug, Clone, Serialize)]
pub struct MetricView {
    pub id: String,
    pub label: String,
    pub group: String,
    pub unit: String,
    pub description: String,
    pub is_dimension: bool,
    pub old: Option<f64>,
    pub new: Option<f64>,
    pub old_fmt: String,
    pub new_fmt: String,
    /// Relative change in percent.
    pub change_pct: Option<f64>,
    /// CI of the relative change in percent: the bootstrap CI of new/old - 1 for non-negative
    /// metrics, else the CI of the mean difference / |old mean|.
    pub ci_pct: Option<(f64, f64)>,
    /// Noise band half-width in percent of the old mean.
    pub noise_pct: Option<f64>,
    /// e.g. `-23% (95% CI -31% to -15%)`, or absolute when old is 0.
    pub change_fmt: String,
    /// e.g. `-23%` (for charts and the card).
    pub change_short: String,
    /// e.g. `d_z -0.84 (large), Cliff's δ -0.52`.
    pub effect_fmt: String,
    pub q_fmt: String,
    pub verdict: Verdict,
    pub verdict_label: String,
    pub arrow: String,
    pub reason: String,
    pub n_fmt: String,
    /// Radar position (fraction of the radius: 0.5 = same as old; clamped to [0, 1]).
    pub radar_fraction: Option<f64>,
    /// |standardised change| for ranking.
    pub magnitude: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakdownCell {
    pub text: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakdownRow {
    pub key: String,
    pub cells: Vec<Option<BreakdownCell>>,
}

/// A table: group key x dimension.
#[derive(Debug, Clone, Serialize)]
pub struct BreakdownView {
    pub title: String,
    pub key_label: String,
    pub columns: Vec<String>,
    pub rows: Vec<BreakdownRow>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct HeatmapRow {
    pub label: String,
    pub cells: Vec<Option<f64>>,
}

/// Category x dimension relative change in percent.
#[derive(Debug, Clone, Serialize, Default)]
pub struct HeatmapView {
    pub columns: Vec<String>,
    pub rows: Vec<HeatmapRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TurnPoint {
    /// 1-based turn for display.
    pub turn: u32,
    pub old: Option<f64>,
    pub new: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct TurnView {
    pub metric_label: String,
    pub unit: String,
    pub points: Vec<TurnPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DistributionView {
    pub label: String,
    pub old: Vec<f64>,
    pub new: Vec<f64>,
    pub old_median_fmt: String,
    pub new_median_fmt: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplyView {
    pub prompt: String,
    pub text: String,
    pub truncated: bool,
    pub full_chars: usize,
    pub value_fmt: String,
    pub turn: u32,
    pub sample: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeView {
    pub metric_label: String,
    pub probe_id: String,
    pub category: String,
    pub language: String,
    pub old_fmt: String,
    pub new_fmt: String,
    pub change_fmt: String,
    pub old_reply: Option<ReplyView>,
    pub new_reply: Option<ReplyView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateView {
    pub rule: String,
    pub fired: bool,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GlossaryEntry {
    pub term: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeDriftView {
    pub probe_id: String,
    pub category: String,
    pub ratio: f64,
    pub ratio_fmt: String,
    pub cross_fmt: String,
    pub within_fmt: String,
    pub p_fmt: String,
    pub verdict: Verdict,
    pub verdict_label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmbeddingView {
    pub model: String,
    pub summary: String,
    /// Sorted by ratio, largest first.
    pub probes: Vec<ProbeDriftView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyTermView {
    pub term: String,
    pub counts: String,
    pub z_fmt: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeywordsView {
    pub old: Vec<KeyTermView>,
    pub new: Vec<KeyTermView>,
}

/// Everything the renderers need.
#[derive(Debug, Clone, Serialize)]
pub struct ReportModel {
    pub title: String,
    pub tool_version: String,
    /// The comparison's date (YYYY-MM-DD) and full timestamp.
    pub date: String,
    pub created_at: String,
    pub old: SideView,
    pub new: SideView,
    pub battery_short: String,
    pub overall: Overall,
    pub overall_label: String,
    /// The plain-language paragraph, first sentence = the headline.
    pub headline: String,
    pub headline_sentences: Vec<String>,
    pub identity: IdentityView,
    pub dimensions: Vec<MetricView>,
    pub metrics: Vec<MetricView>,
    pub by_category: BreakdownView,
    pub by_language: BreakdownView,
    pub by_turn_table: BreakdownView,
    pub heatmap: HeatmapView,
    pub by_turn: TurnView,
    pub distributions: Vec<DistributionView>,
    pub top_probes: Vec<ProbeView>,
    pub gates: Vec<GateView>,
    pub gates_fired: u64,
    pub exit_code: i32,
    pub repro: Vec<KeyValue>,
    pub settings: Vec<(String, String)>,
    pub glossary: Vec<GlossaryEntry>,
    pub limits: Vec<String>,
    pub embedding: Option<EmbeddingView>,
    pub keywords: Option<KeywordsView>,
    /// `replies.csv` columns (metric ids) and rows.
    pub reply_metric_ids: Vec<String>,
    pub replies: Vec<ReplyRow>,
    /// `comparison.json`, serialised once.
    #[serde(skip)]
    pub comparison_json: String,
    /// Each side's topic mix, for unpaired comparisons (where topics may differ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics: Option<TopicsView>,
}

/// One topic's share on each side.
#[derive(Debug, Clone, Serialize)]
pub struct TopicRow {
    pub topic: String,
    pub old_fmt: String,
    pub new_fmt: String,
}

/// The topic mix of both sides of an unpaired comparison.
#[derive(Debug, Clone, Serialize)]
pub struct TopicsView {
    /// "Unpaired comparison: topics may differ ..." and why it is unpaired.
    pub note: String,
    pub old_total: u64,
    pub new_total: u64,
    pub rows: Vec<TopicRow>,
}

fn topics_view(c: &Comparison) -> Option<TopicsView> {
    let t = c.topics.as_ref()?;
    let fmt = |mix: &crate::import::TopicMix, topic: crate::import::Topic| {
        let n = *mix.counts.get(topic.id()).unwrap_or(&0);
        format!("{:.0}% ({n})", mix.share(topic) * 100.0)
    };
    let rows = crate::import::Topic::ALL
        .into_iter()
        .filter(|topic| t.old.counts.contains_key(topic.id()) || t.new.counts.contains_key(topic.id()))
        .map(|topic| TopicRow {
            topic: topic.label().to_string(),
            old_fmt: fmt(&t.old, topic),
            new_fmt: fmt(&t.new, topic),
        })
        .collect();
    Some(TopicsView {
        note: format!(
            "Unpaired comparison: topics may differ between the two sides. {} The topic mix of each \
             side (keyword topics, share of conversations) lets you judge whether a change comes from \
             the model or from what was talked about.",
            upper_first(&c.pairing_note)
        ),
        old_total: t.old.total,
        new_total: t.new.total,
        rows,
    })
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => {
            let mut t: String = f.to_uppercase().collect();
            t.push_str(c.as_str());
            if !t.ends_with('.') {
                t.push('.');
            }
            t
        }
        None => String::new(),
    }
}

// ---------- formatting helpers ----------

/// A number with sensible precision for a reader.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    let s = if a == 0.0 {
        "0".to_string()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if s == "-0" || s == "-0.0" || s == "-0.00" || s == "-0.000" {
        s[1..].to_string()
    } else {
        s
    }
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map(fmt_num).unwrap_or_else(|| "n/a".into())
}

fn fmt_signed(v: f64) -> String {
    let s = fmt_num(v);
    if v > 0.0 && !s.starts_with('+') {
        format!("+{s}")
    } else {
        s
    }
}

fn fmt_pct(p: f64) -> String {
    let r = p.round();
    if r == 0.0 {
        "0%".into()
    } else {
        format!("{r:+.0}%")
    }
}

fn fmt_p(p: Option<f64>) -> String {
    match p {
        None => "n/a".into(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Changed => "changed",
        Verdict::Unchanged => "unchanged",
        Verdict::Inconclusive => "inconclusive",
    }
}

fn effect_word(d: f64) -> &'static str {
    let a = d.abs();
    if a < 0.2 {
        "negligible"
    } else if a < 0.5 {
        "small"
    } else if a < 0.8 {
        "medium"
    } else {
        "large"
    }
}

fn counts_fmt(m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "not reported".into();
    }
    m.iter()
        .map(|(k, n)| format!("{k} ({n} replies)"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn short_hash(h: &str) -> String {
    h.chars().take(12).collect()
}

fn date_of(ts: &str) -> String {
    ts.get(..10).unwrap_or(ts).to_string()
}

// ---------- building ----------

struct Phrases {
    up: &'static str,
    down: &'static str,
    same: &'static str,
    unsure: &'static str,
}

/// Plain-language phrasing per dimension. `{m}` = magnitude, `{ci}` = "95% CI a–b%".
fn phrases(id: &str) -> Option<Phrases> {
    let p = |up, down, same, unsure| {
        Some(Phrases {
            up,
            down,
            same,
            unsure,
        })
    };
    match id {
        "emb.warmth_direction" => p(
            "its replies' meaning moved {m} toward the warm reference sentences (embedding direction, {ci})",
            "its replies' meaning moved {m} toward the cold reference sentences (embedding direction, {ci})",
            "the meaning of its replies sits as close to warm reference sentences as before",
            "whether the meaning of its replies moved toward warm or cold reference sentences",
        ),
        "dim.warmth" => p(
            "its replies are {m} warmer ({ci})",
            "its replies are {m} less warm ({ci})",
            "it is about as warm as before",
            "whether it got warmer or colder",
        ),
        "dim.verbosity" => p(
            "{m} longer ({ci})",
            "{m} shorter ({ci})",
            "its replies are about as long as before",
            "whether its replies got longer or shorter",
        ),
        "dim.engagement" => p(
            "it asks you more questions back (engagement {m} higher, {ci})",
            "it asks you fewer questions back (engagement {m} lower, {ci})",
            "it asks you about as many questions as before",
            "whether it asks you more or fewer questions",
        ),
        "dim.structure" => p(
            "it uses {m} more formatting such as lists and headers ({ci})",
            "it uses {m} less formatting such as lists and headers ({ci})",
            "it formats its replies as before",
            "whether it formats its replies differently",
        ),
        "dim.playfulness" => p(
            "it is {m} more playful ({ci})",
            "it is {m} less playful ({ci})",
            "it is about as playful as before",
            "whether it got more or less playful",
        ),
        "dim.formality" => p(
            "it is {m} more formal ({ci})",
            "it is {m} more casual ({ci})",
            "its tone is about as formal as before",
            "whether it got more formal or casual",
        ),
        "dim.sycophancy" => p(
            "it flatters and gives in {m} more ({ci})",
            "it flatters and gives in {m} less ({ci})",
            "it flatters and gives in about as much as before",
            "whether it flatters or gives in more",
        ),
        "dim.persona_stability" => p(
            "it stays in character {m} more ({ci})",
            "it breaks character more often (persona stability {m} lower, {ci})",
            "it stays in character as well as before",
            "whether it stays in character",
        ),
        "dim.recall" => p(
            "it remembers {m} more of what you told it ({ci})",
            "it forgets more of what you told it (recall {m} lower, {ci})",
            "it remembers what you told it about as well as before",
            "whether it remembers what you told it",
        ),
        _ => None,
    }
}

fn rel_ci(s: &Stats) -> Option<(f64, f64)> {
    // No relative change (e.g. an interval-scale metric): no relative interval either.
    s.rel_change?;
    // The bootstrap CI of the ratio when the comparison has one (non-negative metrics)...
    if let Some(ci) = s.rel_ci {
        return Some((ci.low * 100.0, ci.high * 100.0));
    }
    // ...otherwise the CI of the difference over the old mean.
    let old = s.old_mean?;
    let ci = s.ci?;
    if old.abs() < 1e-12 {
        return None;
    }
    Some((ci.low / old.abs() * 100.0, ci.high / old.abs() * 100.0))
}

/// The magnitude and CI tokens of a changed metric, in the direction of the phrase.
fn magnitude_tokens(m: &MetricView, s: &Stats) -> (String, String) {
    let level = s.ci.map(|c| c.level).unwrap_or(0.95) * 100.0;
    match (m.change_pct, m.ci_pct) {
        (Some(p), Some((lo, hi))) => {
            let (a, b) = if p < 0.0 { (-hi, -lo) } else { (lo, hi) };
            (
                format!("{:.0}%", p.abs()),
                format!("{level:.0}% CI {:.0}–{:.0}%", a.max(0.0), b.max(0.0)),
            )
        }
        _ => {
            let d = s.abs_change.unwrap_or(0.0);
            let (lo, hi) = s.ci.map(|c| (c.low, c.high)).unwrap_or((d, d));
            let (a, b) = if d < 0.0 { (-hi, -lo) } else { (lo, hi) };
            let unit = if m.unit.is_empty() {
                String::new()
            } else {
                format!(" {}", m.unit)
            };
            (
                format!("{}{unit}", fmt_num(d.abs())),
                format!("{level:.0}% CI {}–{}{unit}", fmt_num(a), fmt_num(b)),
            )
        }
    }
}

fn join_clauses(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        2 => format!("{} and {}", items[0], items[1]),
        _ => format!(
            "{}, and {}",
            items[..items.len() - 1].join(", "),
            items[items.len() - 1]
        ),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn metric_view(m: &MetricResult) -> MetricView {
    let s = &m.stats;
    let change_pct = s.rel_change.map(|r| r * 100.0);
    let ci_pct = rel_ci(s);
    let noise_pct = s
        .old_mean
        .filter(|o| o.abs() > 1e-12)
        .map(|o| m.noise.half_width / o.abs() * 100.0);
    let level = s.ci.map(|c| c.level).unwrap_or(0.95) * 100.0;
    let change_fmt = match (change_pct, ci_pct) {
        (Some(p), Some((lo, hi))) => format!(
            "{} ({level:.0}% CI {} to {})",
            fmt_pct(p),
            fmt_pct(lo),
            fmt_pct(hi)
        ),
        (Some(p), None) => fmt_pct(p),
        (None, _) => match (s.abs_change, s.ci) {
            (Some(d), Some(ci)) => format!(
                "{} ({level:.0}% CI {} to {})",
                fmt_signed(d),
                fmt_signed(ci.low),
                fmt_signed(ci.high)
            ),
            (Some(d), None) => fmt_signed(d),
            _ => "n/a".into(),
        },
    };
    let change_short = match (change_pct, s.abs_change) {
        (Some(p), _) => fmt_pct(p),
        (None, Some(d)) => fmt_signed(d),
        _ => "n/a".into(),
    };
    let mut effect = Vec::new();
    if let Some(d) = s.d_z {
        effect.push(format!("d_z {} ({})", fmt_signed(d), effect_word(d)));
    } else if let Some(d) = s.d {
        effect.push(format!("d {} ({})", fmt_signed(d), effect_word(d)));
    }
    if let Some(c) = s.cliffs_delta {
        effect.push(format!("Cliff's δ {}", fmt_signed(c)));
    }
    let effect_fmt = if effect.is_empty() {
        "n/a".into()
    } else {
        effect.join(", ")
    };
    let arrow = match s.direction {
        Direction::Up => "↑",
        Direction::Down => "↓",
        Direction::Flat => "→",
    }
    .to_string();
    let radar_fraction = match (s.old_mean, s.new_mean) {
        (Some(o), Some(n)) if o.abs() > 1e-12 && o.signum() == n.signum() || n == 0.0 && o.abs() > 1e-12 => {
            Some((0.5 * n / o).clamp(0.0, 1.0))
        }
        _ => None,
    };
    let magnitude = s
        .d_z
        .or(s.d)
        .map(f64::abs)
        .or(change_pct.map(|p| p.abs() / 100.0))
        .unwrap_or(0.0);
    let n_fmt = if s.n_pairs > 0 {
        format!("{} probe pairs", s.n_pairs)
    } else {
        format!("{} old / {} new probes", s.n_old, s.n_new)
    };
    MetricView {
        id: m.id.clone(),
        label: m.label.clone(),
        group: m.group.clone(),
        unit: m.unit.clone(),
        description: m.description.clone(),
        is_dimension: m.kind == MetricKind::Dimension,
        old: s.old_mean,
        new: s.new_mean,
        old_fmt: fmt_opt(s.old_mean),
        new_fmt: fmt_opt(s.new_mean),
        change_pct,
        ci_pct,
        noise_pct,
        change_fmt,
        change_short,
        effect_fmt,
        q_fmt: fmt_p(s.q),
        verdict: s.verdict,
        verdict_label: verdict_label(s.verdict).into(),
        arrow,
        reason: s.reason.clone(),
        n_fmt,
        radar_fraction,
        magnitude,
    }
}

fn breakdown(
    title: &str,
    key_label: &str,
    groups: &[GroupResult],
    dims: &[MetricView],
    key_fmt: impl Fn(&str) -> String,
    key_order: impl Fn(&str) -> (u64, String),
) -> BreakdownView {
    let mut keys: Vec<&str> = groups
        .iter()
        .map(|g| g.key.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    keys.sort_by_key(|k| key_order(k));
    let rows = keys
        .iter()
        .map(|k| BreakdownRow {
            key: key_fmt(k),
            cells: dims
                .iter()
                .map(|d| {
                    groups
                        .iter()
                        .find(|g| g.key == *k && g.metric == d.id)
                        .and_then(|g| {
                            let s = &g.stats;
                            let text = match (s.rel_change, s.abs_change) {
                                (Some(r), _) => fmt_pct(r * 100.0),
                                (None, Some(a)) => fmt_signed(a),
                                _ => return None,
                            };
                            Some(BreakdownCell {
                                text,
                                verdict: s.verdict,
                            })
                        })
                })
                .collect(),
        })
        .collect();
    BreakdownView {
        title: title.into(),
        key_label: key_label.into(),
        columns: dims.iter().map(|d| d.label.clone()).collect(),
        rows,
    }
}

fn reply_view(r: &TypicalReply) -> ReplyView {
    let (text, truncated) = super::escape::truncate(&r.text, HTML_REPLY_MAX_CHARS);
    let (prompt, _) = super::escape::truncate(&r.prompt, HTML_REPLY_MAX_CHARS / 2);
    ReplyView {
        prompt,
        text,
        truncated,
        full_chars: r.text.chars().count(),
        value_fmt: fmt_num(r.value),
        turn: r.turn + 1,
        sample: r.sample,
    }
}

fn sampling_fmt(s: &crate::store::Sampling) -> String {
    let mut parts = Vec::new();
    if let Some(t) = s.temperature {
        parts.push(format!("temperature {t}"));
    }
    if let Some(t) = s.top_p {
        parts.push(format!("top_p {t}"));
    }
    if let Some(t) = s.max_tokens {
        parts.push(format!("max_tokens {t}"));
    }
    if let Some(t) = s.seed {
        parts.push(format!("seed {t}"));
    }
    if parts.is_empty() {
        "provider defaults".into()
    } else {
        parts.join(", ")
    }
}

fn side_view(r: &crate::compare::model::RunInfo) -> SideView {
    SideView {
        label: r.label.clone(),
        model_requested: r.model_requested.clone(),
        models_reported: counts_fmt(&r.models_reported),
        fingerprints: counts_fmt(&r.system_fingerprints),
        provider: match &r.base_url {
            Some(u) => format!("{} ({u})", r.provider),
            None => r.provider.clone(),
        },
        sampling: sampling_fmt(&r.sampling),
        samples: r.samples,
        battery_hash: r.battery_hash.clone().unwrap_or_else(|| "not recorded".into()),
        dates: match &r.finished_at {
            Some(f) => format!("{} – {}", r.started_at, f),
            None => format!("{} – (unfinished)", r.started_at),
        },
        tool_version: r.tool_version.clone(),
        conversations: format!(
            "{} used, {} failed (of {} expected)",
            r.conversations_used, r.conversations_failed, r.counts.expected
        ),
        replies_used: r.replies_used,
    }
}

const KEY_DISTRIBUTIONS: &[&str] = &[
    "dim.warmth",
    "words",
    "dim.engagement",
    "dim.verbosity",
    "dim.recall",
];

impl ReportModel {
    /// Build the view model. Pure: same inputs, same model.
    pub fn build(c: &Comparison, inputs: &ReportInputs) -> anyhow::Result<ReportModel> {
        let all: Vec<MetricView> = c.metrics.iter().map(metric_view).collect();
        let dimensions: Vec<MetricView> = all.iter().filter(|m| m.is_dimension).cloned().collect();
        let metrics: Vec<MetricView> = all.iter().filter(|m| !m.is_dimension).cloned().collect();
        let old = side_view(&c.old);
        let new = side_view(&c.new);

        // Headline.
        let mut changed = Vec::new();
        let mut same = Vec::new();
        let mut unsure = Vec::new();
        let mut generic_same = Vec::new();
        let mut generic_unsure = Vec::new();
        let mut changed_dims: Vec<&MetricView> = dimensions
            .iter()
            .filter(|d| d.verdict == Verdict::Changed)
            .collect();
        changed_dims.sort_by(|a, b| b.magnitude.total_cmp(&a.magnitude));
        for d in &changed_dims {
            let s = &c
                .metrics
                .iter()
                .find(|m| m.id == d.id)
                .expect("view from metric")
                .stats;
            let (m, ci) = magnitude_tokens(d, s);
            let down = s.abs_change.unwrap_or(0.0) < 0.0;
            let text = match phrases(&d.id) {
                Some(p) => if down { p.down } else { p.up }
                    .replace("{m}", &m)
                    .replace("{ci}", &ci),
                None => format!(
                    "{} is {m} {} ({ci})",
                    d.label.to_lowercase(),
                    if down { "lower" } else { "higher" }
                ),
            };
            changed.push(text);
        }
        for d in dimensions.iter().filter(|d| d.verdict != Verdict::Changed) {
            match (d.verdict, phrases(&d.id)) {
                (Verdict::Unchanged, Some(p)) => same.push(p.same.to_string()),
                (Verdict::Unchanged, None) => generic_same.push(d.label.to_lowercase()),
                (_, Some(p)) => unsure.push(p.unsure.to_string()),
                (_, None) => generic_unsure.push(d.label.to_lowercase()),
            }
        }
        // Verbosity ("41% shorter") continues warmth's "its replies are ...", or gets that subject itself.
        let mut first_parts: Vec<String> = Vec::new();
        let verbosity = changed_dims.iter().position(|d| d.id == "dim.verbosity");
        let warmth = changed_dims.iter().position(|d| d.id == "dim.warmth");
        for (i, t) in changed.iter().enumerate() {
            if Some(i) == verbosity {
                if warmth.is_some() {
                    continue;
                }
                first_parts.push(format!("its replies are {t}"));
            } else if Some(i) == warmth {
                match verbosity {
                    Some(v) => first_parts.push(format!("{t} and {}", changed[v])),
                    None => first_parts.push(t.clone()),
                }
            } else {
                first_parts.push(t.clone());
            }
        }
        // The page header and card name both models; the sentence speaks of "the new model".
        let mut sentences = Vec::new();
        if first_parts.is_empty() {
            sentences.push(format!(
                "The new model shows no personality change large enough to be sure of on the {} dimensions measured.",
                dimensions.len()
            ));
        } else {
            let body = first_parts.join("; ");
            let body = if let Some(rest) = body.strip_prefix("its ") {
                format!("The new model's {rest}")
            } else if let Some(rest) = body.strip_prefix("it ") {
                format!("The new model {rest}")
            } else {
                capitalise(&body)
            };
            sentences.push(format!("{body}."));
        }
        let mut same_all = same;
        if !generic_same.is_empty() {
            same_all.push(format!(
                "its {} did not change beyond the noise",
                join_clauses(&generic_same)
            ));
        }
        if !same_all.is_empty() {
            sentences.push(format!("{}.", capitalise(&join_clauses(&same_all))));
        }
        let mut unsure_all = unsure;
        unsure_all.extend(generic_unsure.iter().map(|g| format!("whether its {g} changed")));
        if !unsure_all.is_empty() {
            sentences.push(format!(
                "The data cannot yet tell {} (inconclusive: more probes or samples would settle it).",
                join_clauses(&unsure_all)
            ));
        }
        // Semantic drift joins the headline only when its verdict (decided in the comparison) is changed.
        if let Some(e) = c
            .embedding
            .as_ref()
            .filter(|e| e.verdict == Some(Verdict::Changed))
        {
            let ratio = e
                .median_drift_ratio
                .map(|r| format!(" (median {r:.2}× its own run-to-run variation)"))
                .unwrap_or_default();
            sentences.push(format!(
                "The meaning of its replies also drifted beyond the old model's own variation{ratio}."
            ));
        }
        let headline = sentences.join(" ");

        let n_changed = changed_dims.len();
        let n_unchanged = dimensions
            .iter()
            .filter(|d| d.verdict == Verdict::Unchanged)
            .count();
        let (overall, overall_label) = if n_changed > 0 {
            (
                Overall::Changed,
                format!("Changed: {n_changed} of {} dimensions", dimensions.len()),
            )
        } else if dimensions.is_empty() {
            (Overall::Inconclusive, "No dimensions compared".to_string())
        } else if n_unchanged == dimensions.len() {
            (Overall::Unchanged, "No change detected".to_string())
        } else {
            (
                Overall::Inconclusive,
                "No clear change (some results inconclusive)".to_string(),
            )
        };

        let identity = IdentityView {
            warning: c.identity.prominent || c.identity.status == IdentityStatus::SameNameDifferentModel,
            title: match c.identity.status {
                IdentityStatus::SameNameDifferentModel => "Same model name, different model behind it".into(),
                IdentityStatus::SameNameSameModel => "Same model name, same reported model".into(),
                IdentityStatus::SameNameUnverified => {
                    "Same model name (the API reported nothing to check)".into()
                }
                IdentityStatus::DifferentModels => "Two different models".into(),
            },
            message: c.identity.message.clone(),
        };

        let cat_order = |k: &str| (0u64, k.to_string());
        let by_category = breakdown(
            "By category",
            "Category",
            &c.breakdowns.by_category,
            &dimensions,
            |k| k.into(),
            cat_order,
        );
        let by_language = breakdown(
            "By language",
            "Language",
            &c.breakdowns.by_language,
            &dimensions,
            |k| k.into(),
            cat_order,
        );
        let turn_order = |k: &str| (k.parse::<u64>().unwrap_or(u64::MAX), k.to_string());
        let by_turn_table = breakdown(
            "By turn of the conversation",
            "Turn",
            &c.breakdowns.by_turn,
            &dimensions,
            |k| {
                k.parse::<u64>()
                    .map(|t| format!("turn {}", t + 1))
                    .unwrap_or_else(|_| k.to_string())
            },
            turn_order,
        );

        let heatmap = HeatmapView {
            columns: dimensions.iter().map(|d| d.label.clone()).collect(),
            rows: {
                let mut keys: Vec<&str> = c
                    .breakdowns
                    .by_category
                    .iter()
                    .map(|g| g.key.as_str())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                keys.sort();
                keys.iter()
                    .map(|k| HeatmapRow {
                        label: k.to_string(),
                        cells: dimensions
                            .iter()
                            .map(|d| {
                                c.breakdowns
                                    .by_category
                                    .iter()
                                    .find(|g| g.key == *k && g.metric == d.id)
                                    .and_then(|g| g.stats.rel_change.map(|r| r * 100.0))
                            })
                            .collect(),
                    })
                    .collect()
            },
        };

        let turn_metric = dimensions
            .iter()
            .find(|d| d.id == "dim.warmth")
            .or_else(|| dimensions.first())
            .cloned();
        let by_turn = match &turn_metric {
            Some(tm) => {
                let mut pts: Vec<TurnPoint> = c
                    .breakdowns
                    .by_turn
                    .iter()
                    .filter(|g| g.metric == tm.id)
                    .filter_map(|g| {
                        g.key.parse::<u32>().ok().map(|t| TurnPoint {
                            turn: t + 1,
                            old: g.stats.old_mean,
                            new: g.stats.new_mean,
                        })
                    })
                    .collect();
                pts.sort_by_key(|p| p.turn);
                TurnView {
                    metric_label: tm.label.clone(),
                    unit: tm.unit.clone(),
                    points: pts,
                }
            }
            None => TurnView::default(),
        };

        let mut distributions = Vec::new();
        let mut chosen: Vec<&MetricResult> = KEY_DISTRIBUTIONS
            .iter()
            .filter_map(|id| c.metrics.iter().find(|m| &m.id == id))
            .collect();
        if chosen.is_empty() {
            chosen = c.metrics.iter().take(4).collect();
        }
        for m in chosen.into_iter().take(4) {
            let old: Vec<f64> = m.probes.iter().filter_map(|p| p.old).collect();
            let new: Vec<f64> = m.probes.iter().filter_map(|p| p.new).collect();
            if old.is_empty() && new.is_empty() {
                continue;
            }
            distributions.push(DistributionView {
                label: m.label.clone(),
                old_median_fmt: fmt_opt(median(&old)),
                new_median_fmt: fmt_opt(median(&new)),
                old,
                new,
            });
        }

        let top_probes = top_probes(&c.most_changed, &dimensions, &all);

        let gates: Vec<GateView> = c
            .gates
            .iter()
            .map(|g| GateView {
                rule: g.rule.clone(),
                fired: g.fired,
                message: g.message.clone(),
            })
            .collect();

        let kv = |k: &str, o: String, n: String| KeyValue {
            key: k.into(),
            old: o,
            new: n,
        };
        let mut repro = vec![
            kv("Run label", old.label.clone(), new.label.clone()),
            kv(
                "Model requested",
                old.model_requested.clone(),
                new.model_requested.clone(),
            ),
            kv(
                "Model reported by the API",
                old.models_reported.clone(),
                new.models_reported.clone(),
            ),
            kv(
                "System fingerprints",
                old.fingerprints.clone(),
                new.fingerprints.clone(),
            ),
            kv("Provider", old.provider.clone(), new.provider.clone()),
            kv("Sampling", old.sampling.clone(), new.sampling.clone()),
            kv(
                "Samples per probe",
                old.samples.to_string(),
                new.samples.to_string(),
            ),
            kv(
                "Conversations",
                old.conversations.clone(),
                new.conversations.clone(),
            ),
            kv(
                "Replies scored",
                old.replies_used.to_string(),
                new.replies_used.to_string(),
            ),
            kv("Battery hash", old.battery_hash.clone(), new.battery_hash.clone()),
            kv(
                "Probe filter",
                c.old.probes_filter.clone().unwrap_or_else(|| "none".into()),
                c.new.probes_filter.clone().unwrap_or_else(|| "none".into()),
            ),
            kv(
                "Collected with persona-drift",
                old.tool_version.clone(),
                new.tool_version.clone(),
            ),
            kv("Dates", old.dates.clone(), new.dates.clone()),
        ];
        if c.old.persona_card.is_some() || c.new.persona_card.is_some() {
            // Only shown when a card was used, so reports of plain runs stay as they were.
            let at = repro.len() - 2;
            repro.insert(
                at,
                kv(
                    "Persona card (--persona)",
                    c.old.persona_card.clone().unwrap_or_else(|| "none".into()),
                    c.new.persona_card.clone().unwrap_or_else(|| "none".into()),
                ),
            );
        }
        let st = &c.settings;
        let settings = vec![
            ("Statistics seed".to_string(), st.seed.to_string()),
            ("Significance level (alpha)".to_string(), st.alpha.to_string()),
            ("Bootstrap resamples".to_string(), st.resamples.to_string()),
            (
                "Confidence intervals".to_string(),
                format!("{:.0}% {}", st.ci_level * 100.0, st.ci_method),
            ),
            (
                "Multiple comparisons".to_string(),
                st.correction.replace('_', "-"),
            ),
            (
                "Pairing".to_string(),
                format!(
                    "{} — {}",
                    match c.pairing {
                        Pairing::Paired => "paired by probe",
                        Pairing::Unpaired => "unpaired",
                    },
                    c.pairing_note
                ),
            ),
            (
                "Probes".to_string(),
                format!(
                    "{} common ({} old, {} new)",
                    c.coverage.common_probes, c.coverage.old_probes, c.coverage.new_probes
                ),
            ),
            ("Compared with persona-drift".to_string(), c.tool_version.clone()),
            ("Compared at".to_string(), c.created_at.clone()),
        ];

        let glossary = glossary(&all);
        let limits = limits(c);

        let embedding = match (&inputs.embedding, &c.embedding) {
            (Some(e), _) => Some(embedding_view(e, c)),
            // Only the overall numbers from the comparison: a summary without the per-probe chart.
            (None, Some(emb)) => Some(embedding_view(
                &EmbeddingInput {
                    model: emb.model.clone(),
                    probes: vec![],
                    auc: None,
                    auc_p: None,
                },
                c,
            )),
            (None, None) => None,
        };
        let keywords = inputs.keywords.as_ref().map(|k| {
            let conv = |v: &[KeyTermInput]| {
                v.iter()
                    .take(15)
                    .map(|t| KeyTermView {
                        term: t.term.clone(),
                        counts: format!("{} old / {} new", t.count_old, t.count_new),
                        z_fmt: format!("{:.1}", t.z),
                    })
                    .collect()
            };
            KeywordsView {
                old: conv(&k.old),
                new: conv(&k.new),
            }
        });

        let mut reply_metric_ids: Vec<String> = c.metrics.iter().map(|m| m.id.clone()).collect();
        let extra: BTreeSet<&String> = inputs
            .replies
            .iter()
            .flat_map(|r| r.values.keys())
            .filter(|k| !reply_metric_ids.contains(k))
            .collect();
        reply_metric_ids.extend(extra.into_iter().cloned());

        let battery = c
            .old
            .battery_hash
            .clone()
            .or_else(|| c.new.battery_hash.clone())
            .unwrap_or_default();
        let comparison_json = serde_json::to_string_pretty(c)? + "\n";
        Ok(ReportModel {
            title: format!("{} vs {}", c.old.label, c.new.label),
            tool_version: c.tool_version.clone(),
            date: date_of(&c.created_at),
            created_at: c.created_at.clone(),
            old,
            new,
            battery_short: if battery.is_empty() {
                "unknown".into()
            } else {
                short_hash(&battery)
            },
            overall,
            overall_label,
            headline,
            headline_sentences: sentences,
            identity,
            dimensions,
            metrics,
            by_category,
            by_language,
            by_turn_table,
            heatmap,
            by_turn,
            distributions,
            top_probes,
            gates,
            gates_fired: c.summary.gates_fired,
            exit_code: c.summary.exit_code,
            repro,
            settings,
            glossary,
            limits,
            embedding,
            keywords,
            reply_metric_ids,
            replies: inputs.replies.clone(),
            comparison_json,
            topics: topics_view(c),
        })
    }

    /// The three largest changes (changed verdicts first, then by effect size), for the card.
    pub fn top_changes(&self, n: usize) -> Vec<&MetricView> {
        let mut v: Vec<&MetricView> = self.dimensions.iter().collect();
        // Changed first, then inconclusive (a change the data could not settle), then
        // unchanged: an "unchanged" dimension is never shown as one of the largest changes
        // while an inconclusive one is left out.
        let rank = |v: Verdict| match v {
            Verdict::Changed => 0,
            Verdict::Inconclusive => 1,
            Verdict::Unchanged => 2,
        };
        v.sort_by(|a, b| {
            rank(a.verdict)
                .cmp(&rank(b.verdict))
                .then(b.magnitude.total_cmp(&a.magnitude))
                .then(a.label.cmp(&b.label))
        });
        v.truncate(n);
        v
    }
}

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

fn top_probes(changes: &[ProbeChange], dims: &[MetricView], all: &[MetricView]) -> Vec<ProbeView> {
    // Order: changed dimensions by magnitude first; within a metric by rank. At most 6, one per probe.
    let mut order: Vec<&MetricView> = dims.iter().collect();
    order.sort_by(|a, b| {
        (b.verdict == Verdict::Changed)
            .cmp(&(a.verdict == Verdict::Changed))
            .then(b.magnitude.total_cmp(&a.magnitude))
    });
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for round in 1..=3u32 {
        for d in &order {
            if let Some(pc) = changes.iter().find(|pc| pc.metric == d.id && pc.rank == round) {
                if out.len() >= 6 || !seen.insert(pc.probe_id.clone()) {
                    continue;
                }
                let label = all
                    .iter()
                    .find(|m| m.id == pc.metric)
                    .map(|m| m.label.clone())
                    .unwrap_or(pc.metric.clone());
                out.push(ProbeView {
                    metric_label: label,
                    probe_id: pc.probe_id.clone(),
                    category: pc.category.clone(),
                    language: pc.language.clone(),
                    old_fmt: fmt_num(pc.old_mean),
                    new_fmt: fmt_num(pc.new_mean),
                    change_fmt: fmt_signed(pc.change),
                    old_reply: pc.old_reply.as_ref().map(reply_view),
                    new_reply: pc.new_reply.as_ref().map(reply_view),
                });
            }
        }
    }
    out
}

fn embedding_view(e: &EmbeddingInput, c: &Comparison) -> EmbeddingView {
    let mut probes: Vec<ProbeDriftView> = e
        .probes
        .iter()
        .map(|p| {
            let ratio = if p.within_distance > 1e-12 {
                p.cross_distance / p.within_distance
            } else {
                f64::NAN
            };
            ProbeDriftView {
                probe_id: p.probe_id.clone(),
                category: p.category.clone(),
                ratio: if ratio.is_finite() { ratio } else { 0.0 },
                ratio_fmt: if ratio.is_finite() {
                    format!("{ratio:.2}×")
                } else {
                    "n/a".into()
                },
                cross_fmt: format!("{:.3}", p.cross_distance),
                within_fmt: format!("{:.3}", p.within_distance),
                p_fmt: fmt_p(p.p),
                verdict: p.verdict,
                verdict_label: verdict_label(p.verdict).into(),
            }
        })
        .collect();
    probes.sort_by(|a, b| b.ratio.total_cmp(&a.ratio).then(a.probe_id.cmp(&b.probe_id)));
    let n_changed = probes.iter().filter(|p| p.verdict == Verdict::Changed).count();
    let mut summary = if probes.is_empty() {
        format!("Semantic drift measured with {}.", e.model)
    } else {
        let above = probes.iter().filter(|p| p.ratio > 1.1).count();
        let mut t = format!(
            "{n_changed} of {} probes drifted in meaning beyond the model's own run-to-run variation (model: {}).",
            probes.len(),
            e.model
        );
        if above > n_changed {
            t.push_str(&format!(
                " {above} have a drift ratio above 1.1×; a single probe's test has little power with few samples, so read the overall tests below."
            ));
        }
        t
    };
    if let Some(emb) = &c.embedding {
        if let Some(r) = emb.ratio {
            summary.push_str(&format!(
                " Overall, old and new replies are {r:.2}× as far apart as two samples from the same model."
            ));
        }
    }
    if let Some(auc) = e.auc {
        summary.push_str(&format!(
            " A classifier told old from new replies with ROC AUC {auc:.2} (0.5 = cannot tell; p = {}).",
            fmt_p(e.auc_p)
        ));
    }
    if let Some(emb) = &c.embedding {
        if let Some(t) = &emb.energy_distance {
            summary.push_str(&format!(
                " Energy distance between the two sets of replies: {:.3} (0 = same distribution; by chance about {:.3}; p = {}).",
                t.statistic,
                t.null_mean,
                fmt_p(Some(t.p_value))
            ));
        }
        if let Some(w) = &emb.warmth {
            summary.push_str(&format!(
                " On the warmth direction, replies moved from {:+.3} to {:+.3} (the warm and cold reference sentences sit at ±{:.3}).",
                w.old_mean, w.new_mean, w.anchor_half_gap
            ));
        }
        if let Some(v) = emb.verdict {
            summary.push_str(&format!(
                " Semantic drift overall: {} ({}).",
                verdict_label(v).to_lowercase(),
                emb.verdict_reason
            ));
        }
        if !emb.skipped_probes.is_empty() {
            summary.push_str(&format!(
                " {} probe(s) had no drift value (e.g. {}: {}).",
                emb.skipped_probes.len(),
                emb.skipped_probes[0].probe_id,
                emb.skipped_probes[0].reason
            ));
        }
    }
    EmbeddingView {
        model: e.model.clone(),
        summary,
        probes,
    }
}

fn glossary(all: &[MetricView]) -> Vec<GlossaryEntry> {
    let mut g: Vec<GlossaryEntry> = all
        .iter()
        .filter(|m| m.is_dimension)
        .map(|m| GlossaryEntry {
            term: m.label.clone(),
            text: m.description.clone(),
        })
        .collect();
    let fixed: &[(&str, &str)] = &[
        ("Probe", "One scripted conversation (for example a user sharing bad news), sent identically to both models."),
        ("Sample", "One of several replies to the same probe; models answer differently each time, so each probe is asked several times."),
        ("Change", "How much the new model's average differs from the old one's, as a percentage of the old value (or in the metric's own units when the old value is zero)."),
        ("95% confidence interval (CI)", "The range the true change most likely lies in, given how much replies vary. A narrow range means the tool is sure; a wide one that it is not."),
        ("Noise band", "Changes smaller than this are too small to matter, or are what you would see between two runs of the very same model."),
        ("Changed", "The change is statistically clear (q below the significance level) and its whole confidence interval lies outside the noise band."),
        ("Unchanged", "The whole confidence interval lies inside the noise band: any change is too small to matter."),
        ("Inconclusive", "Neither: the data cannot tell yet. More probes or samples would settle it."),
        ("Effect size (d_z, Cliff's δ)", "How large the change is compared with how much probes differ from each other. Around 0.2 is small, 0.5 medium, 0.8 large. Cliff's δ runs from −1 to 1: the chance a new reply scores higher minus the chance it scores lower."),
        ("q-value", "The chance of a false alarm after accounting for the many things measured at once (Benjamini-Hochberg). Small is convincing."),
        ("Per 100 words", "Counts divided by length, so that a shorter reply is not automatically called colder."),
        ("Semantic drift", "How different the meaning of old and new replies is, measured with a sentence-embedding model, relative to how different two replies from the same model are (1× = no more than chance)."),
        ("System fingerprint", "An identifier some APIs return for the exact server-side configuration; a different one under the same model name means the provider changed something."),
    ];
    g.extend(fixed.iter().map(|(t, x)| GlossaryEntry {
        term: (*t).into(),
        text: (*x).into(),
    }));
    g
}

fn limits(c: &Comparison) -> Vec<String> {
    let mut l = vec![
        "The scores are transparent heuristics (word lists, counts, patterns). They see how a reply is worded, not whether it is kind, true or helpful; sarcasm, irony and cultural context can fool them.".to_string(),
        "Lexicons are strongest in English; for other languages some metrics are marked not applicable rather than guessed, so those languages contribute fewer numbers.".to_string(),
        "The probes are a fixed, scripted battery. Real conversations are longer and personal; a model can behave differently with your own history, memory features or custom instructions.".to_string(),
        "Models are random: every number comes from a limited number of samples. The confidence intervals say how limited; an inconclusive result is not evidence of no change.".to_string(),
        "A provider can change a model at any time; this report describes the two runs, on the dates shown, and nothing after.".to_string(),
        "Breakdowns by category, language and turn are exploratory: they have fewer probes each and are corrected only within their own table.".to_string(),
    ];
    if let Some(why) = &c.embedding_skipped {
        l.push(format!(
            "The embedding metrics (semantic drift, warmth direction) were not computed: {why}."
        ));
    }
    if c.pairing == Pairing::Unpaired {
        l.push(format!("The runs were compared unpaired: {}", c.pairing_note));
    }
    if !c.coverage.only_old.is_empty() || !c.coverage.only_new.is_empty() {
        l.push(format!(
            "{} probes appear only in the old run and {} only in the new run; they are not part of the paired comparison.",
            c.coverage.only_old.len(),
            c.coverage.only_new.len()
        ));
    }
    l.extend(c.warnings.iter().cloned());
    l
}

/// Join one run's transcripts and scores into `replies.csv` rows (finished conversations only; the
/// last record per (probe, sample) wins, as on resume). `side` is `old` or `new`.
pub fn reply_rows(
    run_label: &str,
    side: &str,
    records: &[crate::store::Record],
    scores: &crate::score::RunScores,
) -> Vec<ReplyRow> {
    let mut latest: BTreeMap<(String, u32), &crate::store::Record> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| r.status == crate::store::Status::Finished)
    {
        latest.insert((r.probe_id.clone(), r.sample), r);
    }
    let by_key: BTreeMap<(&str, u32, u32), &crate::score::ReplyScores> = scores
        .replies
        .iter()
        .map(|s| ((s.probe_id.as_str(), s.sample, s.turn), s))
        .collect();
    let mut rows = Vec::new();
    for r in latest.values() {
        for reply in &r.replies {
            let values = by_key
                .get(&(r.probe_id.as_str(), r.sample, reply.turn))
                .map(|s| s.values.clone())
                .unwrap_or_default();
            rows.push(ReplyRow {
                run: run_label.to_string(),
                side: side.to_string(),
                probe_id: r.probe_id.clone(),
                category: r.category.clone(),
                language: r.language.clone(),
                sample: r.sample,
                turn: reply.turn,
                prompt: reply.prompt.clone(),
                reply: reply.content.clone(),
                values,
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_for_readers() {
        assert_eq!(fmt_num(123.456), "123");
        assert_eq!(fmt_num(12.345), "12.3");
        assert_eq!(fmt_num(1.2345), "1.23");
        assert_eq!(fmt_num(0.12345), "0.123");
        assert_eq!(fmt_num(-0.0001), "0.000".trim_start_matches('-'));
        assert_eq!(fmt_pct(-23.4), "-23%");
        assert_eq!(fmt_pct(0.2), "0%");
        assert_eq!(fmt_pct(41.0), "+41%");
        assert_eq!(fmt_p(Some(0.0001)), "<0.001");
    }

    #[test]
    fn reply_rows_join_transcripts_and_scores() {
        let rec = |sample: u32, status: &str, text: &str| -> crate::store::Record {
            serde_json::from_value(serde_json::json!({
                "probe_id": "p1", "sample": sample, "category": "grief", "language": "en", "status": status,
                "messages": [],
                "replies": [{"turn": 0, "prompt": "hi", "content": text}, {"turn": 1, "prompt": "and?", "content": "more"}]
            }))
            .unwrap()
        };
        let records = vec![
            rec(0, "finished", "first try"),
            rec(0, "finished", "resumed"),
            rec(1, "failed", "x"),
        ];
        let scores = crate::score::RunScores {
            metrics: vec![],
            replies: vec![crate::score::ReplyScores {
                probe_id: "p1".into(),
                sample: 0,
                turn: 1,
                category: "grief".into(),
                language: "en".into(),
                values: BTreeMap::from([("words".to_string(), 1.0)]),
            }],
        };
        let rows = reply_rows("before", "old", &records, &scores);
        assert_eq!(
            rows.len(),
            2,
            "the failed record is skipped and the later duplicate wins"
        );
        assert_eq!(rows[0].reply, "resumed");
        assert!(
            rows[0].values.is_empty(),
            "a reply without scores has no values, not zeros"
        );
        assert_eq!(rows[1].values.get("words"), Some(&1.0));
        assert_eq!((rows[1].turn, rows[1].prompt.as_str()), (1, "and?"));
    }

    #[test]
    fn clauses_join_in_english() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(join_clauses(&v(&["a"])), "a");
        assert_eq!(join_clauses(&v(&["a", "b"])), "a and b");
        assert_eq!(join_clauses(&v(&["a", "b", "c"])), "a, b, and c");
    }
}
