//! Which of Finnish, Swedish and English a request is written in, by counting common words.
//! Good enough to choose the language of the automatic reply; `None` when nothing counts.

use crate::request::model::Language;

const FI: &[&str] = &[
    "ja",
    "on",
    "olen",
    "minun",
    "että",
    "ei",
    "hei",
    "kiitos",
    "terveisin",
    "ystävällisin",
    "pyydän",
    "tiedot",
    "henkilötunnus",
    "henkilötunnukseni",
    "nimeni",
    "oli",
    "olin",
    "vuosina",
    "vuonna",
    "saada",
    "hänen",
    "tietopyyntö",
    "sukunimi",
    "etunimet",
    "puhelin",
    "osoite",
    "kyllä",
    "asiakkaana",
    "tässä",
    "puh",
    "lähiosoite",
    "postinumero",
    "palveluntuottaja",
    "hoitovuodet",
    "pyydetyt",
    "yhteystietoni",
    "osoitteeni",
    "puhelinnumeroni",
    "kävin",
    "terapiassa",
    "teen",
    "lähetän",
    "haluaisin",
    "sekä",
    "myös",
    "tai",
    "jos",
];
const SV: &[&str] = &[
    "och",
    "är",
    "jag",
    "min",
    "mitt",
    "mina",
    "att",
    "för",
    "hej",
    "tack",
    "med",
    "vänlig",
    "hälsning",
    "begäran",
    "uppgifter",
    "personbeteckning",
    "heter",
    "var",
    "hos",
    "efternamn",
    "förnamn",
    "telefon",
    "adress",
    "nej",
    "av",
    "om",
    "på",
    "till",
    "gatuadress",
    "postnummer",
    "tjänsteproducent",
    "vårdår",
    "kontaktuppgifter",
    "klient",
    "gick",
    "terapi",
    "får",
    "mvh",
    "bästa",
    "från",
    "inte",
    "som",
    "det",
    "den",
];
const EN: &[&str] = &[
    "the",
    "and",
    "is",
    "my",
    "i",
    "to",
    "of",
    "please",
    "dear",
    "regards",
    "request",
    "records",
    "name",
    "was",
    "from",
    "in",
    "thank",
    "you",
    "surname",
    "phone",
    "address",
    "yes",
    "no",
    "would",
    "like",
    "am",
    "for",
    "with",
    "details",
    "client",
    "therapy",
    "kind",
    "best",
    "a",
    "at",
    "are",
    "code",
    "identity",
    "information",
    "street",
    "postal",
];

/// The language with the most common words in `text`.
pub fn detect(text: &str) -> Option<Language> {
    static WORDS: std::sync::LazyLock<std::collections::HashMap<&'static str, [bool; 3]>> =
        std::sync::LazyLock::new(|| {
            let mut map = std::collections::HashMap::new();
            for (i, list) in [FI, SV, EN].iter().enumerate() {
                for w in list.iter() {
                    map.entry(*w).or_insert([false; 3])[i] = true;
                }
            }
            map
        });
    let lower = text.to_lowercase();
    let mut counts = [0usize; 3];
    for word in lower
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .take(20_000)
    {
        if let Some(langs) = WORDS.get(word) {
            for (count, &is) in counts.iter_mut().zip(langs) {
                *count += usize::from(is);
            }
        }
    }
    let max = *counts.iter().max()?;
    if max == 0 {
        return None;
    }
    // Ties go to Finnish, then Swedish: most requests are Finnish.
    let langs = [Language::Fi, Language::Sv, Language::En];
    counts.iter().position(|&c| c == max).map(|i| langs[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_languages() {
        assert_eq!(
            detect("Hei, olen Matti ja pyydän tiedot."),
            Some(Language::Fi)
        );
        assert_eq!(
            detect("Hej, jag heter Anna och jag begär mina uppgifter."),
            Some(Language::Sv)
        );
        assert_eq!(
            detect("Dear Kela, my name is John and I request my records."),
            Some(Language::En)
        );
        assert_eq!(detect("12345"), None);
    }
}
