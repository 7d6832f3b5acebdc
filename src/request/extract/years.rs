//! Treatment years as people write them: single years, ranges with any dash or words
//! ("vuosina 2015–2018", "åren 2015–2016", "from 2016 to 2018"), and lists
//! ("2013 and 2017"). Years inside dates ("26.10.2026", "26 October 2026") are not years of
//! treatment and are skipped.

use regex::Regex;
use std::sync::LazyLock;

/// Dates whose year must not be read as a treatment year.
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?-u:\b)\d{1,2}\s*[./]\s*\d{1,2}\s*[./]\s*(?:19|20)\d{2}(?-u:\b)
      | (?-u:\b)(?:19|20)\d{2}-\d{1,2}-\d{1,2}(?-u:\b)
      | (?-u:\b)\d{1,2}\.?\s+(?:(?:tammi|helmi|maalis|huhti|touko|kesä|heinä|elo|syys|loka|marras|joulu)kuuta|jan(?:uari|uary)?|feb(?:ruari|ruary)?|mar(?:s|ch)?|apr(?:il)?|maj|may|jun[ie]?|jul[iy]?|aug(?:usti|ust)?|sep(?:tember)?|okt(?:ober)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?\s+(?:19|20)\d{2}(?-u:\b)
      | (?-u:\b)(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2}(?-u:\b)
        ",
    )
    .expect("static regex")
});

/// A year or a range of years, with the words that join ranges and lists in three languages.
static YEAR_EXPR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?:(?-u:\b)(?:from|vuodesta|från|mellan|between)\s+)?
        (?:\d{1,2}[./])?(?-u:\b)(?P<a>(?:19|20)\d{2})(?-u:\b)
        (?:
            \s*(?:[-‐‑‒–—―−]|\.\.)\s*(?:\d{1,2}[./])?(?P<b>(?:19|20)\d{2}|\d{2})(?-u:\b)
          | \s+(?:and|och|ja)\s+(?P<c>(?:19|20)\d{2})(?-u:\b)(?:\s*(?:välillä|väliltä))?
          | \s+(?:to|till|until|through|up\s+to|fram\s+till|upp\s+till|ända\s+till|vuoteen|\p{L}+(?:seen|een|aan|ään|iin|yyn|uun|oon|öön))\s+(?:\p{L}+\s+){0,3}?(?P<d>(?:19|20)\d{2})(?-u:\b)(?:\s*(?:asti|saakka))?
        )?",
    )
    .expect("static regex")
});

/// A year expression: the years it names and where it stood in the text.
#[derive(Clone, PartialEq, Eq)]
pub struct YearMention {
    pub start: usize,
    pub end: usize,
    pub years: Vec<i32>,
    /// Written as a range ("2015–2018"): the ends were stated explicitly.
    pub range: bool,
}

impl std::fmt::Debug for YearMention {
    // Years of therapy are health data: printed as a count only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YearMention")
            .field("start", &self.start)
            .field("end", &self.end)
            .field("years", &self.years.len())
            .finish()
    }
}

/// Ranges longer than this are not expanded (a typo like "2016–2061" must not become 45 years).
const MAX_RANGE: i32 = 30;

/// Every year expression in `text` outside dates, in order.
pub fn year_mentions(text: &str) -> Vec<YearMention> {
    // Most sentences hold no year: one quick search before the date pattern runs.
    if !YEAR_EXPR.is_match(text) {
        return Vec::new();
    }
    let dates =
        super::spans::SpanSet::new(DATE.find_iter(text).map(|m| (m.start(), m.end())).collect());
    let in_date = |s: usize, e: usize| dates.overlaps(s, e);
    let mut out = Vec::new();
    for caps in YEAR_EXPR.captures_iter(text) {
        let whole = caps.get(0).expect("group 0");
        let a_m = caps.name("a").expect("year group");
        if in_date(a_m.start(), a_m.end()) {
            continue;
        }
        let Ok(a) = a_m.as_str().parse::<i32>() else {
            continue;
        };
        let b = caps
            .name("b")
            .or_else(|| caps.name("c"))
            .or_else(|| caps.name("d"))
            .and_then(|m| m.as_str().parse::<i32>().ok())
            .map(|b| if b < 100 { a / 100 * 100 + b } else { b });
        let joined_by_and = caps.name("c").is_some_and(|_| {
            let w = whole.as_str().to_lowercase();
            (w.contains(" and ") || w.contains(" och ") || w.contains(" ja "))
                && !w.starts_with("between")
                && !w.starts_with("mellan")
        });
        let (years, range) = match b {
            Some(b) if joined_by_and => (vec![a, b], false),
            Some(b) if b > a && b - a <= MAX_RANGE => ((a..=b).collect(), true),
            Some(b) if b == a => (vec![a], false),
            // A backwards or absurd range is still two stated years; the caller validates.
            Some(b) => (vec![a, b], true),
            None => (vec![a], false),
        };
        out.push(YearMention {
            start: whole.start(),
            end: whole.end(),
            years,
            range,
        });
    }
    out
}

/// All years stated in a field value ("2013 and 2017", "2015–2017"), sorted and unique.
pub fn years_in_value(value: &str) -> Vec<i32> {
    let mut years: Vec<i32> = year_mentions(value)
        .into_iter()
        .flat_map(|m| m.years)
        .collect();
    years.sort_unstable();
    years.dedup();
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_lists_and_words() {
        assert_eq!(years_in_value("2015–2017"), vec![2015, 2016, 2017]);
        assert_eq!(years_in_value("2015 - 2016"), vec![2015, 2016]);
        assert_eq!(years_in_value("vuosina 2016-2018"), vec![2016, 2017, 2018]);
        assert_eq!(years_in_value("from 2016 to 2018"), vec![2016, 2017, 2018]);
        assert_eq!(
            years_in_value("between 2016 and 2018"),
            vec![2016, 2017, 2018]
        );
        assert_eq!(years_in_value("2013 and 2017"), vec![2013, 2017]);
        assert_eq!(years_in_value("2016, 2017 ja 2019"), vec![2016, 2017, 2019]);
        assert_eq!(years_in_value("2015–17"), vec![2015, 2016, 2017]);
        assert_eq!(years_in_value("åren 2015–2016"), vec![2015, 2016]);
        assert_eq!(
            years_in_value("vuodesta 2014 vuoteen 2016"),
            vec![2014, 2015, 2016]
        );
    }

    #[test]
    fn ranges_with_words_between() {
        assert_eq!(
            years_in_value("syksystä 2014 kevääseen 2016"),
            vec![2014, 2015, 2016]
        );
        assert_eq!(
            years_in_value("från hösten 2015 till våren 2017"),
            vec![2015, 2016, 2017]
        );
        assert_eq!(
            years_in_value("from 2016 to the end of 2018"),
            vec![2016, 2017, 2018]
        );
        assert_eq!(
            years_in_value("ajalla 10/2018–2/2020"),
            vec![2018, 2019, 2020]
        );
    }

    #[test]
    fn dates_are_not_years() {
        assert!(years_in_value("Päiväys: 26.10.2026").is_empty());
        assert!(years_in_value("Date: 26 October 2026").is_empty());
        assert!(years_in_value("2026-10-26").is_empty());
        assert!(years_in_value("15. lokakuuta 2026").is_empty());
        assert_eq!(years_in_value("2.2.2026 ja vuonna 2017"), vec![2017]);
    }
}
