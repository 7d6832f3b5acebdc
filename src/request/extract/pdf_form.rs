//! Form attachments (fillable PDF forms, DOCX forms): which request field each form field
//! holds, and the printed text in reading order for forms without fields.
//!
//! A field is mapped by its name first (`Sukunimi`, `hakija.puhelin`), then by the tooltip its
//! author gave it, then by the label printed nearest to it — real forms name their fields
//! `Text1`…`Text12`. All three use the label vocabulary of `vocab`, so the words live in one
//! table whatever the form's language.

use super::labelled;
use super::provider::ProviderMatcher;
use super::Collector;
use crate::request::attachment::{FieldValue, FormContent, FormField, Rect, TextRun};
use crate::request::vocab::{
    classify_field_name, classify_label, fold_diacritics, is_requester_heading, LabelKind, NO, YES,
};

/// A stretch of printed text on one line, with no wide gap inside.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    pub page: usize,
    pub x: f32,
    pub end_x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
}

/// Runs this close (in text heights) belong to one phrase; wider gaps separate columns.
const PHRASE_GAP: f32 = 1.6;

/// Lines of printed text, top to bottom, each as its phrases from left to right.
pub fn lines_of(runs: &[TextRun]) -> Vec<Vec<Phrase>> {
    let mut sorted: Vec<&TextRun> = runs.iter().filter(|r| !r.text.trim().is_empty()).collect();
    sorted.sort_by(|a, b| {
        a.page
            .cmp(&b.page)
            .then(b.y.total_cmp(&a.y))
            .then(a.x.total_cmp(&b.x))
    });
    let mut lines: Vec<Vec<&TextRun>> = Vec::new();
    for run in sorted {
        let same_line = lines.last().and_then(|l| l.first()).is_some_and(|first| {
            first.page == run.page && (first.y - run.y).abs() <= 0.4 * first.size.max(run.size)
        });
        match lines.last_mut() {
            Some(line) if same_line => line.push(run),
            _ => lines.push(vec![run]),
        }
    }
    lines
        .into_iter()
        .map(|mut line| {
            line.sort_by(|a, b| a.x.total_cmp(&b.x));
            let mut phrases: Vec<Phrase> = Vec::new();
            for run in line {
                let size = run.size.max(1.0);
                match phrases.last_mut() {
                    Some(p) if run.x - p.end_x <= PHRASE_GAP * size => {
                        // Kerning splits words into runs; a gap of a fifth of the height is a space.
                        if run.x - p.end_x > 0.2 * size
                            && !p.text.ends_with(' ')
                            && !run.text.starts_with(' ')
                        {
                            p.text.push(' ');
                        }
                        p.text.push_str(&run.text);
                        p.end_x = p.end_x.max(run.end_x);
                    }
                    _ => phrases.push(Phrase {
                        page: run.page,
                        x: run.x,
                        end_x: run.end_x,
                        y: run.y,
                        size,
                        text: run.text.clone(),
                    }),
                }
            }
            for p in &mut phrases {
                p.text = p.text.split_whitespace().collect::<Vec<_>>().join(" ");
            }
            phrases
        })
        .collect()
}

/// The printed text in reading order: one line per printed line, columns separated by a tab
/// (which the text-form reader takes as the gap between a label and its value).
pub fn reading_order_text(runs: &[TextRun]) -> String {
    let mut out = String::new();
    let mut last_page = None;
    for line in lines_of(runs) {
        let Some(first) = line.first() else { continue };
        if last_page.is_some_and(|p| p != first.page) {
            out.push('\n');
        }
        last_page = Some(first.page);
        let texts: Vec<&str> = line.iter().map(|p| p.text.as_str()).collect();
        out.push_str(&texts.join("\t"));
        out.push('\n');
    }
    out
}

/// The kind of a printed label, without its colon or asterisk.
fn label_kind(text: &str) -> Option<LabelKind> {
    let t = text.trim().trim_end_matches([':', '*', ' ']);
    if t.is_empty() || t.chars().count() > 80 {
        return None;
    }
    classify_label(t)
}

/// The label printed nearest to a widget: to its left on the same line, above it, or (for a
/// check box) to its right.
fn nearest_label(rect: Rect, page: usize, lines: &[Vec<Phrase>]) -> Option<&Phrase> {
    let check_box = (rect.x1 - rect.x0) < 2.5 * (rect.y1 - rect.y0).max(1.0);
    let mut best: Option<(f32, &Phrase)> = None;
    for p in lines.iter().flatten().filter(|p| p.page == page) {
        if label_kind(&p.text).is_none() {
            continue;
        }
        let on_line = p.y >= rect.y0 - 0.6 * p.size && p.y <= rect.y1 + 0.2 * p.size;
        let mut score = f32::INFINITY;
        if on_line && p.end_x <= rect.x0 + 2.0 && rect.x0 - p.end_x < 300.0 {
            score = rect.x0 - p.end_x;
        }
        if check_box && on_line && p.x >= rect.x1 - 2.0 && p.x - rect.x1 < 60.0 {
            score = score.min((p.x - rect.x1) * 0.5);
        }
        let above = p.y >= rect.y1 - 1.0 && p.y - rect.y1 <= 2.5 * p.size;
        let overlaps = p.x < rect.x1 && p.end_x > rect.x0 - 10.0;
        if above && overlaps {
            score = score.min((p.y - rect.y1) * 2.0 + (p.x - rect.x0).abs() * 0.1);
        }
        // A question printed on the line above a row of check boxes or radio buttons.
        let question_above = p.y >= rect.y1 - 1.0 && p.y - rect.y1 <= 1.5 * p.size;
        if check_box && question_above && p.end_x <= rect.x0 + 2.0 && rect.x0 - p.end_x < 300.0 {
            score = score.min((p.y - rect.y1) * 2.0 + (rect.x0 - p.end_x) * 0.2);
        }
        if score.is_finite() && best.is_none_or(|(s, _)| score < s) {
            best = Some((score, p));
        }
    }
    best.map(|(_, p)| p)
}

/// Which request field a form field holds, and the text that said so.
fn field_kind(field: &FormField, lines: &[Vec<Phrase>]) -> Option<(LabelKind, String)> {
    if let Some(kind) = classify_field_name(&field.name) {
        return Some((kind, field.name.clone()));
    }
    // "form1.page1.Sukunimi": the last part alone, when the whole name says nothing.
    if let Some(last) = field.name.rsplit('.').next() {
        if let Some(kind) = classify_field_name(last) {
            return Some((kind, field.name.clone()));
        }
    }
    if let Some(alt) = &field.alternate {
        if let Some(kind) = label_kind(alt) {
            return Some((kind, alt.clone()));
        }
    }
    let (rect, page) = (field.rect?, field.page?);
    let label = nearest_label(rect, page, lines)?;
    Some((label_kind(&label.text)?, label.text.clone()))
}

/// A check box's caption names one side of a yes/no pair when it ends in "yes" or "no"
/// ("SMS_kylla", "Tekstiviesti: Ei"); "SMS-avisering får skickas" is one box, no side.
fn side_of(text: &str) -> Option<bool> {
    let folded = fold_diacritics(&text.to_lowercase());
    let last = folded
        .split(|c: char| !c.is_alphanumeric())
        .rfind(|w| !w.is_empty())?;
    let is = |list: &[&str]| list.iter().any(|x| fold_diacritics(x) == last);
    match (is(YES), is(NO)) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// Reads a form's fields into the collector. Returns whether any field held a value.
pub(super) fn read_form(form: &FormContent, c: &mut Collector, matcher: &ProviderMatcher) -> bool {
    let lines = lines_of(&form.runs);
    // The printed text says which language the form is in; it is no statement of the writer's.
    for line in &lines {
        for p in line {
            c.all_text.push_str(&p.text);
            c.all_text.push('\n');
        }
    }
    let mut fields: Vec<&FormField> = form.fields.iter().collect();
    // Reading order: the first identity code read is the one the contract reports.
    fields.sort_by(|a, b| {
        let key = |f: &FormField| (f.page.unwrap_or(0), f.rect.map_or(0.0, |r| -r.y1));
        let (pa, ya) = key(a);
        let (pb, yb) = key(b);
        pa.cmp(&pb).then(ya.total_cmp(&yb))
    });
    let mut any = false;
    for field in fields {
        let found = field_kind(field, &lines);
        let requester = found
            .as_ref()
            .is_some_and(|(_, label)| is_requester_heading(label))
            || is_requester_heading(&field.name.replace(['_', '.'], " "));
        match &field.value {
            FieldValue::Text(text) => {
                let values: Vec<String> = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                if values.is_empty() {
                    continue;
                }
                any = true;
                // A value in a field we cannot name is still read, as free text.
                let kind = found.map_or(LabelKind::Additional, |(k, _)| k);
                labelled::apply_form_value(kind, &values, requester, c, matcher);
            }
            FieldValue::Checked(ticked) => {
                let Some((kind, label)) = found else { continue };
                match kind {
                    LabelKind::SmsConsent => {
                        any = true;
                        let consent = match side_of(&label) {
                            // One box of a yes/no pair: only a ticked box says anything.
                            Some(side) => ticked.then_some(side),
                            None => Some(*ticked),
                        };
                        if let Some(v) = consent {
                            c.labelled_sms.push(v);
                        }
                    }
                    // "Haen tietoja toisen puolesta": ticked, the client is someone else.
                    LabelKind::RequesterName | LabelKind::Relation if *ticked => {
                        any = true;
                        c.relation_stated = true;
                    }
                    _ => {}
                }
            }
            FieldValue::Choice(choice) => {
                let Some((LabelKind::SmsConsent, _)) = found else {
                    continue;
                };
                any = true;
                let caption = field
                    .chosen_rect
                    .zip(field.page)
                    .and_then(|(r, page)| chosen_caption(r, page, &lines));
                let side = choice
                    .as_deref()
                    .and_then(side_of)
                    .or_else(|| caption.as_deref().and_then(side_of));
                if let Some(v) = side {
                    c.labelled_sms.push(v);
                }
            }
        }
    }
    any
}

/// The caption printed right of (or left of) a chosen radio button.
fn chosen_caption(rect: Rect, page: usize, lines: &[Vec<Phrase>]) -> Option<String> {
    lines
        .iter()
        .flatten()
        .filter(|p| p.page == page && p.y >= rect.y0 - 0.6 * p.size && p.y <= rect.y1)
        .filter_map(|p| {
            let d = if p.x >= rect.x1 - 2.0 {
                p.x - rect.x1
            } else {
                rect.x0 - p.end_x
            };
            (-2.0..80.0).contains(&d).then_some((d, p))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, p)| p.text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: f32, y: f32, text: &str) -> TextRun {
        TextRun {
            page: 0,
            x,
            y,
            end_x: x + text.chars().count() as f32 * 5.0,
            size: 10.0,
            text: text.into(),
        }
    }

    #[test]
    fn reading_order_joins_a_line_and_separates_columns() {
        let runs = vec![
            run(230.0, 700.0, "Virtanen"),
            run(50.0, 700.0, "Sukunimi"),
            run(50.0, 680.0, "Henkilö"),
            run(86.0, 680.0, "tunnus"),
            run(230.0, 681.0, "010101-123N"),
        ];
        assert_eq!(
            reading_order_text(&runs),
            "Sukunimi\tVirtanen\nHenkilötunnus\t010101-123N\n"
        );
    }

    #[test]
    fn a_widget_takes_the_label_left_of_it_or_above_it() {
        let lines = lines_of(&[
            run(50.0, 704.0, "Sukunimi"),
            run(50.0, 660.0, "Puhelinnumero:"),
            run(250.0, 604.0, "Saa lähettää tekstiviestin"),
        ]);
        let left = nearest_label(rect(230.0, 700.0, 545.0, 718.0), 0, &lines).unwrap();
        assert_eq!(left.text, "Sukunimi");
        let above = nearest_label(rect(48.0, 630.0, 300.0, 648.0), 0, &lines).unwrap();
        assert_eq!(above.text, "Puhelinnumero:");
        let right = nearest_label(rect(230.0, 600.0, 242.0, 612.0), 0, &lines).unwrap();
        assert_eq!(right.text, "Saa lähettää tekstiviestin");
        assert!(nearest_label(rect(230.0, 100.0, 545.0, 118.0), 0, &lines).is_none());
    }

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    #[test]
    fn yes_no_sides() {
        assert_eq!(side_of("Tekstiviesti_kylla"), Some(true));
        assert_eq!(side_of("SMS: No"), Some(false));
        assert_eq!(side_of("Tekstiviestilupa"), None);
        assert_eq!(side_of("SMS-avisering får skickas"), None);
    }
}
