//! The AcroForm's field tree: terminal fields with their fully qualified names, tooltips,
//! values (inherited from ancestors where the field has none) and their widgets' places.

use std::collections::{HashMap, HashSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::{dict_get, number, resolve, text_of};
use crate::attachment::{Budget, OverBudget};
use crate::request::attachment::{FieldValue, FormField, Rect};

/// Field flags (PDF 32000-1, table 226).
const FLAG_RADIO: i64 = 1 << 15;
const FLAG_PUSHBUTTON: i64 = 1 << 16;

/// What a field inherits from its ancestors.
#[derive(Clone, Default)]
struct Inherited {
    name: String,
    field_type: Option<Vec<u8>>,
    value: Option<Object>,
    flags: i64,
}

pub(super) fn read_fields(
    doc: &Document,
    pages: &[ObjectId],
    budget: &mut Budget<'_>,
) -> Result<Vec<FormField>, OverBudget> {
    let Some(acroform) = doc
        .catalog()
        .ok()
        .and_then(|c| dict_get(doc, c, b"AcroForm"))
        .and_then(|o| o.as_dict().ok())
    else {
        return Ok(Vec::new());
    };
    let Some(Object::Array(roots)) = dict_get(doc, acroform, b"Fields") else {
        return Ok(Vec::new());
    };
    let annotation_pages = annotation_pages(doc, pages, budget)?;
    let mut out = Vec::new();
    let mut seen: HashSet<ObjectId> = HashSet::new();
    // Depth-first, in the order the form lists its fields.
    let mut stack: Vec<(&Object, Inherited, usize)> = roots
        .iter()
        .rev()
        .map(|o| (o, Inherited::default(), 0))
        .collect();
    while let Some((node, inherited, depth)) = stack.pop() {
        if depth > budget.limits.max_depth || out.len() >= budget.limits.max_fields {
            return Err(OverBudget);
        }
        budget.operation()?;
        if let Object::Reference(id) = node {
            // A field reached twice is a cycle: a hostile or broken file, not read further.
            if !seen.insert(*id) {
                return Err(OverBudget);
            }
        }
        let Some(dict) = resolve(doc, node).and_then(|o| o.as_dict().ok()) else {
            continue;
        };
        let here = inherit(doc, dict, &inherited);
        let kids: Vec<&Object> = match dict_get(doc, dict, b"Kids") {
            Some(Object::Array(kids)) => kids.iter().collect(),
            _ => Vec::new(),
        };
        // Kids with their own name are fields; kids without are this field's widgets.
        let child_fields: Vec<&Object> = kids
            .iter()
            .copied()
            .filter(|k| {
                resolve(doc, k)
                    .and_then(|o| o.as_dict().ok())
                    .is_some_and(|d| d.has(b"T"))
            })
            .collect();
        if !child_fields.is_empty() {
            for kid in child_fields.into_iter().rev() {
                stack.push((kid, here.clone(), depth + 1));
            }
            continue;
        }
        let mut widgets: Vec<&Dictionary> = kids
            .iter()
            .filter_map(|k| resolve(doc, k).and_then(|o| o.as_dict().ok()))
            .collect();
        if widgets.is_empty() {
            widgets.push(dict);
        }
        if let Some(field) = terminal_field(doc, dict, &here, &widgets, pages, &annotation_pages) {
            out.push(field);
        }
    }
    Ok(out)
}

fn inherit(doc: &Document, dict: &Dictionary, parent: &Inherited) -> Inherited {
    let mut here = parent.clone();
    if let Some(t) = dict_get(doc, dict, b"T").and_then(text_of) {
        here.name = if parent.name.is_empty() {
            t
        } else {
            format!("{}.{t}", parent.name)
        };
    }
    if let Some(Object::Name(ft)) = dict_get(doc, dict, b"FT") {
        here.field_type = Some(ft.clone());
    }
    if let Some(v) = dict_get(doc, dict, b"V") {
        here.value = Some(v.clone());
    }
    if let Some(Object::Integer(ff)) = dict_get(doc, dict, b"Ff") {
        here.flags = *ff;
    }
    here
}

fn terminal_field(
    doc: &Document,
    dict: &Dictionary,
    here: &Inherited,
    widgets: &[&Dictionary],
    pages: &[ObjectId],
    annotation_pages: &HashMap<usize, usize>,
) -> Option<FormField> {
    let alternate = dict_get(doc, dict, b"TU")
        .and_then(text_of)
        .filter(|t| !t.trim().is_empty());
    let first = widgets.first()?;
    let rect = widget_rect(doc, first);
    let page = match first.get(b"P") {
        Ok(Object::Reference(id)) => pages.iter().position(|p| p == id),
        _ => None,
    }
    .or_else(|| {
        annotation_pages
            .get(&(*first as *const Dictionary as usize))
            .copied()
    });
    let mut chosen_rect = None;
    let value = match here.field_type.as_deref() {
        Some(b"Tx") | Some(b"Ch") => FieldValue::Text(text_value(here.value.as_ref())),
        Some(b"Btn") if here.flags & FLAG_PUSHBUTTON != 0 => return None,
        Some(b"Btn") => {
            let chosen = match &here.value {
                Some(Object::Name(n)) if n.as_slice() != b"Off" => Some(n.clone()),
                // No value on the field: the widget's appearance state says what is shown.
                None => widgets.iter().find_map(|w| match w.get(b"AS") {
                    Ok(Object::Name(n)) if n.as_slice() != b"Off" => Some(n.clone()),
                    _ => None,
                }),
                _ => None,
            };
            // The value must name a widget's on-state (not only "Yes": "On", "1", "Kyllä").
            let chosen_widget = chosen.as_ref().and_then(|state| {
                widgets
                    .iter()
                    .find(|w| on_states(doc, w).iter().any(|s| s == state))
            });
            if here.flags & FLAG_RADIO != 0 {
                chosen_rect = chosen_widget.and_then(|w| widget_rect(doc, w));
                FieldValue::Choice(
                    chosen
                        .filter(|_| chosen_widget.is_some())
                        .map(|s| String::from_utf8_lossy(&s).into_owned()),
                )
            } else {
                let no_states = widgets.iter().all(|w| on_states(doc, w).is_empty());
                FieldValue::Checked(chosen.is_some() && (chosen_widget.is_some() || no_states))
            }
        }
        // Signatures and fields of unknown type hold nothing of the request.
        _ => return None,
    };
    Some(FormField {
        name: here.name.clone(),
        alternate,
        value,
        page,
        rect,
        chosen_rect,
    })
}

/// A text or choice value: a string, or a list of chosen strings.
fn text_value(value: Option<&Object>) -> String {
    match value {
        Some(Object::Array(items)) => items
            .iter()
            .filter_map(text_of)
            .collect::<Vec<_>>()
            .join(", "),
        Some(v) => text_of(v).unwrap_or_default(),
        None => String::new(),
    }
    .replace('\r', "\n")
}

/// The names of a widget's "on" appearance states (every state but Off).
fn on_states(doc: &Document, widget: &Dictionary) -> Vec<Vec<u8>> {
    dict_get(doc, widget, b"AP")
        .and_then(|ap| ap.as_dict().ok())
        .and_then(|ap| dict_get(doc, ap, b"N"))
        .and_then(|n| n.as_dict().ok())
        .map(|n| {
            n.iter()
                .map(|(k, _)| k.clone())
                .filter(|k| k.as_slice() != b"Off")
                .collect()
        })
        .unwrap_or_default()
}

fn widget_rect(doc: &Document, widget: &Dictionary) -> Option<Rect> {
    let Some(Object::Array(a)) = dict_get(doc, widget, b"Rect") else {
        return None;
    };
    let v: Vec<f32> = a
        .iter()
        .filter_map(|o| resolve(doc, o).and_then(number))
        .collect();
    (v.len() == 4).then(|| Rect {
        x0: v[0].min(v[2]),
        y0: v[1].min(v[3]),
        x1: v[0].max(v[2]),
        y1: v[1].max(v[3]),
    })
}

/// Widgets without /P: the page whose /Annots lists them, keyed by the widget's address.
fn annotation_pages(
    doc: &Document,
    pages: &[ObjectId],
    budget: &mut Budget<'_>,
) -> Result<HashMap<usize, usize>, OverBudget> {
    let mut map = HashMap::new();
    for (index, p) in pages.iter().enumerate() {
        let Some(annots) = doc
            .get_dictionary(*p)
            .ok()
            .and_then(|page| dict_get(doc, page, b"Annots"))
            .and_then(|a| a.as_array().ok())
        else {
            continue;
        };
        for a in annots {
            budget.operation()?;
            if let Some(d) = resolve(doc, a).and_then(|o| o.as_dict().ok()) {
                map.entry(d as *const Dictionary as usize).or_insert(index);
            }
        }
    }
    Ok(map)
}
