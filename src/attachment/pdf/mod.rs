//! PDF attachments with lopdf: the AcroForm's fields (`fields`) and the printed text with its
//! positions (`text`), under the reader's limits.

mod fields;
mod text;

use lopdf::{Document, LoadOptions, Object, ObjectId};

use super::{Budget, Limits, OverBudget};
use crate::request::attachment::{FormContent, Unreadable};

impl From<OverBudget> for Unreadable {
    fn from(_: OverBudget) -> Unreadable {
        Unreadable::LimitExceeded
    }
}

/// Reads one PDF.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<FormContent, Unreadable> {
    let mut budget = Budget::new(limits);
    if !bytes.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Err(Unreadable::Malformed);
    }
    let options = LoadOptions {
        max_decompressed_size: Some(limits.max_stream_bytes),
        ..LoadOptions::default()
    };
    let mut doc = match Document::load_mem_with_options(bytes, options) {
        Ok(doc) => doc,
        Err(lopdf::Error::Decryption(_)) | Err(lopdf::Error::InvalidPassword) => {
            return Err(Unreadable::Encrypted)
        }
        Err(e) if is_limit_error(&e) => return Err(Unreadable::LimitExceeded),
        Err(_) => return Err(Unreadable::Malformed),
    };
    budget.check_time()?;
    // lopdf opens documents encrypted with the empty user password; others stay encrypted.
    if doc.is_encrypted() && doc.encryption_state.is_none() {
        return Err(Unreadable::Encrypted);
    }
    if doc.objects.len() > limits.max_objects {
        return Err(Unreadable::LimitExceeded);
    }
    tolerate_notdef(&mut doc);
    let pages: Vec<ObjectId> = doc.page_iter().take(limits.max_pages + 1).collect();
    if pages.len() > limits.max_pages {
        return Err(Unreadable::LimitExceeded);
    }
    // No page: a broken page tree (lopdf stops at a cycle) or not a document at all.
    if pages.is_empty() {
        return Err(Unreadable::Malformed);
    }
    budget.check_time()?;
    let fields = fields::read_fields(&doc, &pages, &mut budget)?;
    let mut content = FormContent {
        fields,
        ..FormContent::default()
    };
    for (index, page) in pages.iter().take(limits.max_text_pages).enumerate() {
        text::read_page(&doc, *page, index, &mut content, &mut budget)?;
    }
    Ok(content)
}

/// Producers (qpdf among them) write `/.notdef` into encodings' /Differences; lopdf rejects
/// the whole encoding for it and falls back to StandardEncoding, which loses "ä" and "–".
/// A code mapped to .notdef shows nothing, so it may as well be a space.
fn tolerate_notdef(doc: &mut Document) {
    fn patch(object: &mut Object, depth: usize) {
        if depth > 3 {
            return;
        }
        let dict = match object {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &mut s.dict,
            _ => return,
        };
        for (key, value) in dict.iter_mut() {
            if key.as_slice() == b"Differences" {
                if let Object::Array(items) = value {
                    for item in items.iter_mut() {
                        if matches!(item, Object::Name(n) if n.as_slice() == b".notdef") {
                            *item = Object::Name(b"space".to_vec());
                        }
                    }
                }
            } else {
                patch(value, depth + 1);
            }
        }
    }
    for object in doc.objects.values_mut() {
        patch(object, 0);
    }
}

fn is_limit_error(e: &lopdf::Error) -> bool {
    matches!(
        e,
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })
            | lopdf::Error::ReferenceLimit
            | lopdf::Error::RecursionLimit
    )
}

/// Follows references (at most a few: a chain of references is itself a sign of a hostile file).
pub(crate) fn resolve<'a>(doc: &'a Document, mut object: &'a Object) -> Option<&'a Object> {
    for _ in 0..8 {
        match object {
            Object::Reference(id) => object = doc.get_object(*id).ok()?,
            other => return Some(other),
        }
    }
    None
}

pub(crate) fn dict_get<'a>(
    doc: &'a Document,
    dict: &'a lopdf::Dictionary,
    key: &[u8],
) -> Option<&'a Object> {
    resolve(doc, dict.get(key).ok()?)
}

/// A PDF text string (PDFDocEncoding, UTF-16BE or UTF-8 with their marks) as text.
pub(crate) fn text_of(object: &Object) -> Option<String> {
    match object {
        Object::String(..) => lopdf::decode_text_string(object).ok(),
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

pub(crate) fn number(object: &Object) -> Option<f32> {
    match object {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
    .filter(|v| v.is_finite())
}
