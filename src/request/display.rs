//! Stored text as people see it: inert and unambiguous. Control characters (terminal escape
//! sequences) and bidirectional overrides (which reorder what is shown) become visible
//! placeholders; a word that mixes Latin letters with look-alike Cyrillic or Greek ones
//! (a homoglyph name) is pointed out, so a clerk is not fooled by what looks familiar.

/// `text` with control and bidi-control characters replaced by U+FFFD; line breaks and tabs
/// stay.
pub fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => '\u{fffd}',
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => {
                '\u{fffd}'
            }
            c => c,
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
}

fn script(c: char) -> Option<Script> {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{c0}'..='\u{24f}' => Some(Script::Latin),
        '\u{370}'..='\u{3ff}' => Some(Script::Greek),
        '\u{400}'..='\u{52f}' => Some(Script::Cyrillic),
        _ => None,
    }
}

/// Whether one word of `text` mixes Latin, Greek and Cyrillic letters ("Virtаnen" with a
/// Cyrillic а). Names wholly in one script are not flagged.
pub fn mixes_scripts(text: &str) -> bool {
    text.split(|c: char| !c.is_alphabetic()).any(|word| {
        let mut scripts = word.chars().filter_map(script);
        match scripts.next() {
            Some(first) => scripts.any(|s| s != first),
            None => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_overrides_become_visible() {
        assert_eq!(
            visible("a\u{1b}[31mb\u{202e}c\nd\te\r"),
            "a\u{fffd}[31mb\u{fffd}c\nd\te\u{fffd}"
        );
        assert_eq!(visible("Äyräpää"), "Äyräpää");
    }

    #[test]
    fn look_alike_letters_in_one_word_are_flagged() {
        assert!(mixes_scripts("Virt\u{430}nen"));
        assert!(mixes_scripts("Matti P\u{3bf}hjola"));
        assert!(!mixes_scripts("Äyräpää Öberg"));
        assert!(!mixes_scripts("Иванов Matti"));
        assert!(!mixes_scripts(""));
    }
}
