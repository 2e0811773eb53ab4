//! The warmth direction: a unit vector from the mean embedding of cold reference sentences to the mean
//! of warm ones (data/anchors/{warm,cold}.txt, written for this project, topic-matched line by line),
//! and each reply's projection on it. A black-box counterpart of "persona vectors": it needs only the
//! replies, not the model's internals.
//!
//! The projection is taken relative to the midpoint of the two anchor means, so 0 is "halfway between
//! the cold and the warm anchors", positive is warmer, negative is colder; the units are cosine units
//! (the vectors are unit length), and the anchors' own mean projections are ±`half_gap`.

use serde::{Deserialize, Serialize};

use super::stats::dot;
use super::Embedder;

/// The bundled warm anchor sentences (one per line, `#` comments).
pub const WARM_ANCHORS: &str = include_str!("../../data/anchors/warm.txt");
/// The bundled cold anchor sentences.
pub const COLD_ANCHORS: &str = include_str!("../../data/anchors/cold.txt");

/// The non-comment, non-empty lines of an anchor file.
pub fn anchor_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// A warmth direction in some embedding space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmthDirection {
    /// Unit vector from the cold mean to the warm mean.
    pub direction: Vec<f32>,
    /// Midpoint of the two anchor means (projection origin).
    pub midpoint: Vec<f32>,
    /// Half the distance between the anchor means along the direction.
    pub half_gap: f64,
    pub warm_anchors: usize,
    pub cold_anchors: usize,
}

impl WarmthDirection {
    /// From embedded anchors. None if either set is empty or the means coincide.
    pub fn from_embeddings(warm: &[Vec<f32>], cold: &[Vec<f32>]) -> Option<Self> {
        let mean = |vs: &[Vec<f32>]| -> Option<Vec<f64>> {
            let d = vs.first()?.len();
            let mut m = vec![0.0; d];
            for v in vs {
                for (a, x) in m.iter_mut().zip(v) {
                    *a += *x as f64 / vs.len() as f64;
                }
            }
            Some(m)
        };
        let (mw, mc) = (mean(warm)?, mean(cold)?);
        let diff: Vec<f64> = mw.iter().zip(&mc).map(|(w, c)| w - c).collect();
        let norm = diff.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm.is_nan() || norm <= 0.0 {
            return None;
        }
        Some(WarmthDirection {
            direction: diff.iter().map(|x| (x / norm) as f32).collect(),
            midpoint: mw.iter().zip(&mc).map(|(w, c)| ((w + c) / 2.0) as f32).collect(),
            half_gap: norm / 2.0,
            warm_anchors: warm.len(),
            cold_anchors: cold.len(),
        })
    }

    /// Embeds the bundled anchors with `embedder` and builds the direction.
    pub fn compute(embedder: &dyn Embedder) -> anyhow::Result<Self> {
        let warm = anchor_lines(WARM_ANCHORS);
        let cold = anchor_lines(COLD_ANCHORS);
        let w = embedder.embed(&warm)?;
        let c = embedder.embed(&cold)?;
        Self::from_embeddings(&w, &c)
            .ok_or_else(|| anyhow::anyhow!("the warm and cold anchors embed to the same mean"))
    }

    /// Projection of a vector on the direction, relative to the midpoint (higher = warmer).
    pub fn project(&self, v: &[f32]) -> f64 {
        dot(v, &self.direction) - dot(&self.midpoint, &self.direction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_enough_and_distinct() {
        let w = anchor_lines(WARM_ANCHORS);
        let c = anchor_lines(COLD_ANCHORS);
        assert!(w.len() >= 40 && c.len() >= 40, "{} {}", w.len(), c.len());
        assert_eq!(w.len(), c.len(), "anchors are topic-matched line by line");
        let mut all: Vec<&str> = w.iter().chain(&c).copied().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), w.len() + c.len(), "duplicate anchor sentence");
    }

    #[test]
    fn direction_and_projection_on_fixed_vectors() {
        let warm = vec![vec![1.0f32, 1.0, 0.0], vec![1.0, 3.0, 0.0]]; // mean (1,2,0)
        let cold = vec![vec![1.0f32, -2.0, 0.0]]; // mean (1,-2,0)
        let d = WarmthDirection::from_embeddings(&warm, &cold).unwrap();
        assert_eq!(d.direction, vec![0.0, 1.0, 0.0]);
        assert_eq!(d.midpoint, vec![1.0, 0.0, 0.0]);
        assert!((d.half_gap - 2.0).abs() < 1e-12);
        assert!((d.project(&[5.0, 1.5, 9.0]) - 1.5).abs() < 1e-12);
        assert!((d.project(&[0.0, -2.0, 0.0]) + 2.0).abs() < 1e-12);
        assert!(WarmthDirection::from_embeddings(&warm, &warm).is_none());
        assert!(WarmthDirection::from_embeddings(&[], &cold).is_none());
    }
}
