//! Service providers named in text: the configured aliases in any grammatical case
//! ("Vastaamon", "Vastaamossa", "Vastaamo Oy:ssä", "Vastaamos") mapped to the canonical name.

use regex::{Regex, RegexBuilder};

use crate::request::rules::Rules;

/// A compiled matcher for every configured provider name.
pub struct ProviderMatcher {
    regex: Option<Regex>,
    /// Canonical name for each alternative in the regex, in order.
    canonical: Vec<String>,
}

impl ProviderMatcher {
    pub fn new(rules: &Rules) -> ProviderMatcher {
        let mut names: Vec<(String, String)> = Vec::new();
        for p in &rules.providers {
            names.push((p.canonical.clone(), p.canonical.clone()));
            for a in &p.aliases {
                names.push((a.clone(), p.canonical.clone()));
            }
        }
        // Longest first, so "Vastaamo Oy" wins over "Vastaamo".
        names.sort_by_key(|(n, _)| std::cmp::Reverse(n.chars().count()));
        names.retain(|(n, _)| !n.trim().is_empty());
        let alternatives: Vec<String> = names
            .iter()
            .map(|(n, _)| {
                let words: Vec<String> = n.split_whitespace().map(regex::escape).collect();
                // The last word may carry a case ending, with or without a colon ("Oy:ssä").
                format!(r"(\b{}(?::?\p{{L}}{{1,4}}|'s)?\b)", words.join(r"\s+"))
            })
            .collect();
        let regex = if alternatives.is_empty() {
            None
        } else {
            RegexBuilder::new(&alternatives.join("|"))
                .case_insensitive(true)
                .size_limit(1 << 22)
                .build()
                .ok()
        };
        ProviderMatcher {
            regex,
            canonical: names.into_iter().map(|(_, c)| c).collect(),
        }
    }

    /// Every provider mention in `text`: (start, end, canonical name).
    pub fn find_all(&self, text: &str) -> Vec<(usize, usize, String)> {
        let Some(regex) = &self.regex else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for caps in regex.captures_iter(text) {
            if let Some((i, m)) = caps
                .iter()
                .enumerate()
                .skip(1)
                .find_map(|(i, m)| m.map(|m| (i, m)))
            {
                if let Some(c) = self.canonical.get(i - 1) {
                    out.push((m.start(), m.end(), c.clone()));
                }
            }
        }
        out
    }

    pub fn find_first(&self, text: &str) -> Option<String> {
        self.find_all(text).into_iter().next().map(|(_, _, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_in_any_case() {
        let m = ProviderMatcher::new(&Rules::default());
        let canon = "Psykoterapiakeskus Vastaamo";
        for t in [
            "Olin asiakkaana Vastaamossa",
            "Psykoterapiakeskus Vastaamo Oy:ssä",
            "Jag var klient hos Psykoterapicentret Vastaamo",
            "at the Vastaamo psychotherapy centre",
            "VASTAAMO OY",
            "Vastaamo's records",
        ] {
            assert_eq!(m.find_first(t).as_deref(), Some(canon), "{t}");
        }
        assert_eq!(m.find_first("Mehiläinen"), None);
    }
}
