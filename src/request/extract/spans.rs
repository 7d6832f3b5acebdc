//! Byte ranges already taken by something else (an identity code, a provider name, a phone):
//! sorted and merged once, so each later look-up is a binary search and a paragraph with many
//! numbers stays linear-logarithmic instead of quadratic.

/// Sorted, non-overlapping byte ranges.
#[derive(Debug, Default, Clone)]
pub struct SpanSet {
    spans: Vec<(usize, usize)>,
}

impl SpanSet {
    pub fn new(mut spans: Vec<(usize, usize)>) -> SpanSet {
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        SpanSet { spans: merged }
    }

    /// Whether `[start, end)` overlaps any range.
    pub fn overlaps(&self, start: usize, end: usize) -> bool {
        // The first range that ends after `start` is the only candidate.
        let i = self.spans.partition_point(|&(_, e)| e <= start);
        self.spans.get(i).is_some_and(|&(s, _)| s < end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_by_binary_search() {
        let set = SpanSet::new(vec![(10, 20), (5, 12), (30, 31)]);
        assert!(set.overlaps(0, 6));
        assert!(set.overlaps(19, 25));
        assert!(!set.overlaps(20, 30));
        assert!(set.overlaps(30, 31));
        assert!(!set.overlaps(31, 40));
        assert!(!SpanSet::default().overlaps(0, 100));
    }
}
