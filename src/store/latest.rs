//! "The last record per key": a conversation may be recorded more than once when a resumed
//! run retries it (a later `finished` record supersedes an earlier `failed` one). Every reader
//! that counts or scores conversations should go through [`latest_records`].

use super::{Record, Transcripts};
use std::collections::BTreeMap;

/// The last record for each (probe_id, sample), in (probe_id, sample) order.
pub fn latest_records(records: impl IntoIterator<Item = Record>) -> Vec<Record> {
    let mut by_key: BTreeMap<(String, u32), Record> = BTreeMap::new();
    for r in records {
        by_key.insert(r.key(), r);
    }
    by_key.into_values().collect()
}

impl Transcripts {
    /// [`latest_records`] of these transcripts (the last record per (probe_id, sample)).
    pub fn latest(&self) -> Vec<Record> {
        latest_records(self.records.iter().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Status;

    fn rec(id: &str, sample: u32, status: Status) -> Record {
        Record {
            probe_id: id.into(),
            sample,
            category: "c".into(),
            language: "en".into(),
            status,
            messages: vec![],
            replies: vec![],
            error: None,
            seed: None,
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn a_later_record_supersedes_an_earlier_one() {
        let got = latest_records(vec![
            rec("b", 0, Status::Finished),
            rec("a", 1, Status::Failed),
            rec("a", 0, Status::Finished),
            rec("a", 1, Status::Finished),
        ]);
        let keys: Vec<_> = got
            .iter()
            .map(|r| (r.probe_id.as_str(), r.sample, r.status))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("a", 0, Status::Finished),
                ("a", 1, Status::Finished),
                ("b", 0, Status::Finished)
            ]
        );
    }
}
