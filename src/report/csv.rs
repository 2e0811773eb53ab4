//! `replies.csv`: one row per reply with every metric, probe, sample and turn. Text cells are quoted
//! as RFC 4180 requires and formula injection is neutralised ([`escape::csv_text`](super::escape::csv_text));
//! numeric cells stay numeric; a missing value (not applicable) is an empty cell.

use super::escape::{csv_num, csv_text};
use super::model::ReportModel;

/// Render `replies.csv` (CRLF line ends, as RFC 4180 and spreadsheets expect). Pure.
pub fn render(m: &ReportModel) -> String {
    let mut o = String::new();
    let mut header: Vec<String> = [
        "run", "side", "probe_id", "category", "language", "sample", "turn", "prompt", "reply",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(m.reply_metric_ids.iter().map(|id| csv_text(id)));
    o.push_str(&header.join(","));
    o.push_str("\r\n");
    for r in &m.replies {
        let mut row = vec![
            csv_text(&r.run),
            csv_text(&r.side),
            csv_text(&r.probe_id),
            csv_text(&r.category),
            csv_text(&r.language),
            r.sample.to_string(),
            // 1-based, like everywhere a person reads it.
            (r.turn + 1).to_string(),
            csv_text(&r.prompt),
            csv_text(&r.reply),
        ];
        row.extend(
            m.reply_metric_ids
                .iter()
                .map(|id| csv_num(r.values.get(id).copied())),
        );
        o.push_str(&row.join(","));
        o.push_str("\r\n");
    }
    o
}
