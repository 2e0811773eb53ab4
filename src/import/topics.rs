//! A rough topic for each imported conversation, by keyword rules.
//!
//! Used for unpaired comparisons (a personal history before and after an update), where the two
//! sides may simply talk about different things: the report shows each side's topic mix so a
//! reader can judge whether a "colder" model is really a different mix of conversations.
//! Pure functions only; the importer stores the mix in `import.json` and uses the topic as each
//! record's `category`.

use crate::store::{Record, Role};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The topics, in tie-break order (the first wins a tie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    EmotionalSupport,
    Relationships,
    Health,
    WorkCode,
    Creative,
    Planning,
    Other,
}

impl Topic {
    pub const ALL: [Topic; 7] = [
        Topic::EmotionalSupport,
        Topic::Relationships,
        Topic::Health,
        Topic::WorkCode,
        Topic::Creative,
        Topic::Planning,
        Topic::Other,
    ];

    /// Stable id, also used as the record's `category`.
    pub fn id(self) -> &'static str {
        match self {
            Topic::EmotionalSupport => "emotional_support",
            Topic::Relationships => "relationships",
            Topic::Health => "health",
            Topic::WorkCode => "work_code",
            Topic::Creative => "creative",
            Topic::Planning => "planning",
            Topic::Other => "other",
        }
    }

    /// Human label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Topic::EmotionalSupport => "Emotional support",
            Topic::Relationships => "Relationships",
            Topic::Health => "Health",
            Topic::WorkCode => "Work and code",
            Topic::Creative => "Creative writing",
            Topic::Planning => "Planning",
            Topic::Other => "Other",
        }
    }

    pub fn from_id(id: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.id() == id)
    }

    fn keywords(self) -> &'static [&'static str] {
        match self {
            Topic::EmotionalSupport => &[
                "feel",
                "feeling",
                "feelings",
                "sad",
                "lonely",
                "alone",
                "anxious",
                "anxiety",
                "depressed",
                "depression",
                "stress",
                "stressed",
                "overwhelmed",
                "cry",
                "crying",
                "cried",
                "grief",
                "grieving",
                "hurt",
                "upset",
                "scared",
                "afraid",
                "worried",
                "panic",
                "hopeless",
                "comfort",
                "vent",
                "died",
                "passed away",
                "heartbroken",
                "miss",
                "lost my",
                "can't sleep",
                "ledsen",
                "ensam",
                "orolig",
                "ångest",
                "triste",
                "solo",
                "ansiedad",
            ],
            Topic::Relationships => &[
                "boyfriend",
                "girlfriend",
                "partner",
                "husband",
                "wife",
                "friend",
                "friends",
                "friendship",
                "dating",
                "breakup",
                "broke up",
                "marriage",
                "married",
                "divorce",
                "crush",
                "family",
                "mom",
                "dad",
                "mother",
                "father",
                "sister",
                "brother",
                "relationship",
                "ex",
                "wedding",
                "pojkvän",
                "flickvän",
                "novio",
                "novia",
            ],
            Topic::Health => &[
                "doctor",
                "symptom",
                "symptoms",
                "pain",
                "headache",
                "sleep",
                "insomnia",
                "diet",
                "exercise",
                "workout",
                "medication",
                "medicine",
                "pill",
                "pills",
                "fever",
                "sick",
                "illness",
                "weight",
                "calories",
                "therapy",
                "therapist",
                "blood",
                "injury",
                "pregnant",
                "nutrition",
                "allergy",
                "dose",
                "health",
            ],
            Topic::WorkCode => &[
                "code",
                "function",
                "bug",
                "error",
                "python",
                "rust",
                "javascript",
                "typescript",
                "sql",
                "api",
                "compile",
                "debug",
                "excel",
                "boss",
                "manager",
                "meeting",
                "resume",
                "cv",
                "job",
                "interview",
                "project",
                "deadline",
                "client",
                "colleague",
                "coworker",
                "spreadsheet",
                "git",
                "deploy",
                "server",
                "regex",
                "database",
                "script",
                "work",
                "salary",
                "email",
                "java",
                "html",
                "css",
                "linux",
            ],
            Topic::Creative => &[
                "story",
                "poem",
                "poetry",
                "lyrics",
                "song",
                "novel",
                "character",
                "characters",
                "fiction",
                "haiku",
                "rhyme",
                "plot",
                "screenplay",
                "fantasy",
                "imagine",
                "roleplay",
                "write a",
                "drawing",
                "painting",
                "chapter",
                "villain",
                "dragon",
            ],
            Topic::Planning => &[
                "plan",
                "planning",
                "schedule",
                "trip",
                "travel",
                "itinerary",
                "budget",
                "checklist",
                "organize",
                "organise",
                "routine",
                "to-do",
                "todo",
                "vacation",
                "holiday",
                "packing",
                "agenda",
                "goals",
                "calendar",
                "recipe",
                "meal",
                "shopping",
                "weekend",
            ],
            Topic::Other => &[],
        }
    }
}

/// Classify a conversation from its user-side texts (and, for ChatGPT, its title).
///
/// Every keyword hit counts one point for its topic; the topic with most points wins, ties go
/// to the earlier topic in [`Topic::ALL`]; no hit at all is [`Topic::Other`].
pub fn classify_topic<S: AsRef<str>>(texts: &[S]) -> Topic {
    let mut words: Vec<String> = Vec::new();
    for t in texts {
        for w in t
            .as_ref()
            .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
            .filter(|w| !w.is_empty())
        {
            words.push(w.to_lowercase().replace('’', "'"));
        }
    }
    // " w1 w2 ... " so phrases match on word boundaries.
    let joined = format!(" {} ", words.join(" "));
    let set: std::collections::HashSet<&str> = words.iter().map(|s| s.as_str()).collect();
    let mut best = (0usize, Topic::Other);
    for topic in Topic::ALL {
        let mut score = 0usize;
        for kw in topic.keywords() {
            if kw.contains(' ') {
                score += joined.matches(&format!(" {kw} ")).count();
            } else if set.contains(kw) {
                score += words.iter().filter(|w| w.as_str() == *kw).count();
            }
        }
        if score > best.0 {
            best = (score, topic);
        }
    }
    best.1
}

/// Topic of a transcript record: its category when that is already a topic id (imports store
/// it there), otherwise classified from its user messages.
pub fn record_topic(r: &Record) -> Topic {
    if let Some(t) = Topic::from_id(&r.category) {
        return t;
    }
    let texts: Vec<&str> = r
        .messages
        .iter()
        .filter(|m| m.role == Role::User && !m.example)
        .map(|m| m.content.as_str())
        .collect();
    classify_topic(&texts)
}

/// How many conversations of a run fall in each topic. This is the type compare/report show
/// for each side of an unpaired comparison; imports store it in `import.json` (`topics`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopicMix {
    /// Conversations counted.
    pub total: u64,
    /// Topic id (see [`Topic::id`]) -> conversations. Topics with no conversation are absent.
    pub counts: BTreeMap<String, u64>,
}

impl TopicMix {
    pub fn add(&mut self, t: Topic) {
        self.total += 1;
        *self.counts.entry(t.id().to_string()).or_default() += 1;
    }

    /// Share of conversations in a topic (0 when the mix is empty).
    pub fn share(&self, t: Topic) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        *self.counts.get(t.id()).unwrap_or(&0) as f64 / self.total as f64
    }

    /// `(topic, count, share)` rows in [`Topic::ALL`] order, zero rows omitted.
    pub fn rows(&self) -> Vec<(Topic, u64, f64)> {
        Topic::ALL
            .into_iter()
            .filter_map(|t| {
                let n = *self.counts.get(t.id()).unwrap_or(&0);
                (n > 0).then(|| (t, n, self.share(t)))
            })
            .collect()
    }
}

/// The topic mix of any run's records (imported or collected): one topic per record.
pub fn topic_mix(records: &[Record]) -> TopicMix {
    let mut mix = TopicMix::default();
    for r in records {
        mix.add(record_topic(r));
    }
    mix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_keywords() {
        assert_eq!(
            classify_topic(&["I feel so lonely since my dog died, I can't stop crying"]),
            Topic::EmotionalSupport
        );
        assert_eq!(
            classify_topic(&["My Python function throws an error when I call the API"]),
            Topic::WorkCode
        );
        assert_eq!(classify_topic(&["Write a poem about the sea"]), Topic::Creative);
        assert_eq!(
            classify_topic(&["Help me plan a 3-day trip to Rome on a budget"]),
            Topic::Planning
        );
        assert_eq!(
            classify_topic(&["My girlfriend and I keep arguing about her family"]),
            Topic::Relationships
        );
        assert_eq!(
            classify_topic(&["I have had a headache and fever for two days, should I see a doctor?"]),
            Topic::Health
        );
        assert_eq!(classify_topic(&["What is the capital of Peru?"]), Topic::Other);
        assert_eq!(classify_topic::<&str>(&[]), Topic::Other);
    }

    #[test]
    fn phrases_match_on_word_boundaries_only() {
        assert_eq!(
            classify_topic(&["my grandmother passed away"]),
            Topic::EmotionalSupport
        );
        // "ex" is a relationships keyword but must not match inside "example".
        assert_eq!(classify_topic(&["give me an example"]), Topic::Other);
    }

    #[test]
    fn mix_counts_and_shares() {
        let mut m = TopicMix::default();
        m.add(Topic::Creative);
        m.add(Topic::Creative);
        m.add(Topic::Other);
        assert_eq!(m.total, 3);
        assert_eq!(m.counts["creative"], 2);
        assert!((m.share(Topic::Creative) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(m.rows().len(), 2);
        assert_eq!(m.rows()[0].0, Topic::Creative);
    }
}
