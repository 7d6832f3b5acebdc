//! DOCX forms: the text of `word/document.xml` in reading order — paragraphs as lines, table
//! cells and tabs as tabs (the gap between a label and its value), check boxes (content-control
//! `w14:checkbox` and legacy form `w:checkBox`) written as `[x]` or `[ ]` where they stand —
//! for the text-form reader. Limits: the archive's entry count, the document part's size as
//! it is inflated (a zip bomb stops at the limit, whatever the archive declares), and the
//! number of XML events.

use std::io::Read;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{Budget, Limits};
use crate::request::attachment::{FormContent, Unreadable};

const MAX_ENTRIES: usize = 10_000;
const DOCUMENT: &str = "word/document.xml";

pub fn read(bytes: &[u8], limits: &Limits) -> Result<FormContent, Unreadable> {
    let mut budget = Budget::new(limits);
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| Unreadable::Malformed)?;
    if archive.len() > MAX_ENTRIES {
        return Err(Unreadable::LimitExceeded);
    }
    let images = (0..archive.len())
        .filter_map(|i| {
            archive
                .name_for_index(i)?
                .ok()
                .map(|n| n.starts_with("word/media/"))
        })
        .filter(|media| *media)
        .count();
    let mut part = match archive.by_name(DOCUMENT) {
        Ok(part) => part,
        Err(zip::result::ZipError::UnsupportedArchive(_)) => return Err(Unreadable::Encrypted),
        Err(_) => return Err(Unreadable::Malformed),
    };
    let allowance = budget.stream_allowance();
    let mut xml = Vec::new();
    (&mut part)
        .take(allowance as u64 + 1)
        .read_to_end(&mut xml)
        .map_err(|_| Unreadable::Malformed)?;
    if xml.len() > allowance {
        return Err(Unreadable::LimitExceeded);
    }
    budget.decoded(xml.len())?;
    let text = document_text(&xml, &mut budget)?;
    Ok(FormContent {
        text,
        images,
        ..FormContent::default()
    })
}

/// The document's text: one line per paragraph or table row.
fn document_text(xml: &[u8], budget: &mut Budget<'_>) -> Result<String, Unreadable> {
    let mut reader = Reader::from_reader(xml);
    let mut out = String::new();
    let mut in_text = false;
    // Inside a legacy form check box: its state so far (w:default, then w:checked).
    let mut check_box: Option<bool> = None;
    loop {
        budget.operation()?;
        let event = reader.read_event().map_err(|_| Unreadable::Malformed)?;
        match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "tab" => out.push('\t'),
                "br" | "cr" => out.push('\n'),
                // A legacy form check box draws no text: its state is written as a box. (A
                // content-control check box shows its ☒ or ☐ as text already.)
                "checkBox" => check_box = Some(false),
                "checked" | "default" if check_box.is_some() => {
                    let val = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == "val")
                        .map(|a| a.value.into_owned());
                    let on = val.is_none_or(|v| matches!(v.as_str(), "1" | "true" | "on"));
                    if e.local_name().as_ref() == "checked" || check_box == Some(false) {
                        check_box = Some(on);
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "checkBox" => {
                    out.push_str(if check_box == Some(true) {
                        "[x] "
                    } else {
                        "[ ] "
                    });
                    check_box = None;
                }
                "t" => in_text = false,
                "p" | "tr" => out.push('\n'),
                "tc" => out.push('\t'),
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else {
                    out.push(match r.xml10_content().as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => ' ',
                    });
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
