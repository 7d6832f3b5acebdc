//! A page's printed text with positions: enough of the content-stream text model (PDF
//! 32000-1, section 9) to place each shown string on the page — matrices, fonts and their
//! widths, form XObjects (where flattened form values end up) — and to count images.

use std::collections::{HashMap, HashSet};

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId};

use super::{dict_get, number, resolve};
use crate::attachment::{Budget, OverBudget};
use crate::request::attachment::{FormContent, TextRun};

/// An affine matrix [a b c d e f].
#[derive(Clone, Copy, Debug, PartialEq)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    /// self × other (apply self, then other).
    fn then(self, o: Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [oa, ob, oc, od, oe, of] = o.0;
        Matrix([
            a * oa + b * oc,
            a * ob + b * od,
            c * oa + d * oc,
            c * ob + d * od,
            e * oa + f * oc + oe,
            e * ob + f * od + of,
        ])
    }

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    fn apply(self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }

    fn from_operands(ops: &[Object]) -> Option<Matrix> {
        let v: Vec<f32> = ops.iter().filter_map(number).collect();
        (v.len() == 6).then(|| Matrix([v[0], v[1], v[2], v[3], v[4], v[5]]))
    }
}

/// A font as far as placing text needs it.
struct Font<'a> {
    encoding: Option<Encoding<'a>>,
    /// Two-byte codes (Type0 fonts with Identity-H and the like).
    two_byte: bool,
    widths: HashMap<u32, f32>,
    default_width: f32,
}

impl Font<'_> {
    fn codes(&self, bytes: &[u8]) -> Vec<u32> {
        if self.two_byte {
            bytes
                .chunks(2)
                .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
                .collect()
        } else {
            bytes.iter().map(|&b| u32::from(b)).collect()
        }
    }

    fn decode(&self, bytes: &[u8]) -> String {
        match &self.encoding {
            Some(e) => e.bytes_to_string(bytes).unwrap_or_default(),
            None => String::from_utf8_lossy(bytes).into_owned(),
        }
    }
}

fn load_font<'a>(doc: &'a Document, dict: &'a Dictionary, budget: &mut Budget<'_>) -> Font<'a> {
    let encoding = dict
        .get_font_encoding_with_limit(doc, budget.stream_allowance())
        .ok();
    let subtype = dict_get(doc, dict, b"Subtype").and_then(|o| o.as_name().ok());
    let two_byte = subtype == Some(b"Type0");
    let mut widths = HashMap::new();
    let mut default_width = if two_byte { 1000.0 } else { 500.0 };
    if two_byte {
        let descendant = dict_get(doc, dict, b"DescendantFonts")
            .and_then(|o| o.as_array().ok())
            .and_then(|a| a.first())
            .and_then(|o| resolve(doc, o))
            .and_then(|o| o.as_dict().ok());
        if let Some(cid) = descendant {
            if let Some(dw) = dict_get(doc, cid, b"DW").and_then(number) {
                default_width = dw;
            }
            if let Some(Object::Array(w)) = dict_get(doc, cid, b"W") {
                cid_widths(doc, w, &mut widths);
            }
        }
    } else {
        let first = dict_get(doc, dict, b"FirstChar").and_then(number);
        if let (Some(first), Some(Object::Array(w))) = (first, dict_get(doc, dict, b"Widths")) {
            for (i, o) in w.iter().take(256).enumerate() {
                if let Some(v) = resolve(doc, o).and_then(number) {
                    widths.insert(first as u32 + i as u32, v);
                }
            }
        }
    }
    Font {
        encoding,
        two_byte,
        widths,
        default_width,
    }
}

/// A CID font's /W array: `c [w1 w2 …]` and `c_first c_last w` entries.
fn cid_widths(doc: &Document, w: &[Object], widths: &mut HashMap<u32, f32>) {
    const MAX_ENTRIES: u32 = 65_536;
    let mut i = 0;
    while i + 1 < w.len() && widths.len() < MAX_ENTRIES as usize {
        let Some(start) = number(&w[i]) else { return };
        let start = start.max(0.0) as u32;
        match resolve(doc, &w[i + 1]) {
            Some(Object::Array(list)) => {
                for (k, o) in list.iter().enumerate().take(MAX_ENTRIES as usize) {
                    if let Some(v) = number(o) {
                        widths.insert(start + k as u32, v);
                    }
                }
                i += 2;
            }
            Some(o) => {
                let (Some(end), Some(v)) = (number(o), w.get(i + 2).and_then(number)) else {
                    return;
                };
                let end = (end.max(0.0) as u32).min(start + MAX_ENTRIES);
                for c in start..=end {
                    widths.insert(c, v);
                }
                i += 3;
            }
            None => return,
        }
    }
}

/// The graphics and text state the text model needs.
#[derive(Clone)]
struct State {
    ctm: Matrix,
    font: Option<Vec<u8>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    scale: f32,
    leading: f32,
}

impl Default for State {
    fn default() -> Self {
        State {
            ctm: Matrix::IDENTITY,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
        }
    }
}

struct PageReader<'a, 'b, 'c> {
    doc: &'a Document,
    page: usize,
    out: &'b mut FormContent,
    budget: &'b mut Budget<'c>,
    fonts: HashMap<usize, Font<'a>>,
    /// Form XObjects being drawn: one drawing itself is a cycle.
    drawing: HashSet<ObjectId>,
}

pub(super) fn read_page(
    doc: &Document,
    page_id: ObjectId,
    page: usize,
    out: &mut FormContent,
    budget: &mut Budget<'_>,
) -> Result<(), OverBudget> {
    let allowance = budget.stream_allowance();
    let content = match doc.get_page_content_with_limit(page_id, allowance) {
        Ok(c) => c,
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            return Err(OverBudget)
        }
        // A page whose content cannot be decoded has no text we can read.
        Err(_) => return Ok(()),
    };
    budget.decoded(content.len())?;
    let resources = page_resources(doc, page_id);
    let mut reader = PageReader {
        doc,
        page,
        out,
        budget,
        fonts: HashMap::new(),
        drawing: HashSet::new(),
    };
    reader.run(&content, resources, Matrix::IDENTITY, 0)
}

/// A page's resources, inherited from the page tree when the page has none.
fn page_resources(doc: &Document, page_id: ObjectId) -> Option<&Dictionary> {
    let mut node = doc.get_dictionary(page_id).ok()?;
    for _ in 0..32 {
        if let Some(r) = dict_get(doc, node, b"Resources").and_then(|o| o.as_dict().ok()) {
            return Some(r);
        }
        node = dict_get(doc, node, b"Parent")?.as_dict().ok()?;
    }
    None
}

impl<'a> PageReader<'a, '_, '_> {
    fn run(
        &mut self,
        content: &[u8],
        resources: Option<&'a Dictionary>,
        base: Matrix,
        depth: usize,
    ) -> Result<(), OverBudget> {
        let fonts = resources
            .and_then(|r| dict_get(self.doc, r, b"Font"))
            .and_then(|o| o.as_dict().ok());
        let xobjects = resources
            .and_then(|r| dict_get(self.doc, r, b"XObject"))
            .and_then(|o| o.as_dict().ok());
        let mut state = State {
            ctm: base,
            ..State::default()
        };
        let mut stack: Vec<State> = Vec::new();
        let mut tm = Matrix::IDENTITY;
        let mut tlm = Matrix::IDENTITY;
        for op in Content::decode_iter(content) {
            self.budget.operation()?;
            // A broken operation ends the page's text; what came before is kept.
            let Ok(op) = op else { break };
            let o = &op.operands;
            match op.operator.as_str() {
                "q" if stack.len() < 64 => stack.push(state.clone()),
                "Q" => {
                    if let Some(s) = stack.pop() {
                        state = s;
                    }
                }
                "cm" => {
                    if let Some(m) = Matrix::from_operands(o) {
                        state.ctm = m.then(state.ctm);
                    }
                }
                "BT" => {
                    tm = Matrix::IDENTITY;
                    tlm = Matrix::IDENTITY;
                }
                "Tf" => {
                    if let (Some(Object::Name(n)), Some(size)) =
                        (o.first(), o.get(1).and_then(number))
                    {
                        state.font = Some(n.clone());
                        state.size = size;
                    }
                }
                "Tc" => state.char_spacing = o.first().and_then(number).unwrap_or(0.0),
                "Tw" => state.word_spacing = o.first().and_then(number).unwrap_or(0.0),
                "Tz" => state.scale = o.first().and_then(number).unwrap_or(100.0) / 100.0,
                "TL" => state.leading = o.first().and_then(number).unwrap_or(0.0),
                "Td" | "TD" => {
                    let tx = o.first().and_then(number).unwrap_or(0.0);
                    let ty = o.get(1).and_then(number).unwrap_or(0.0);
                    if op.operator == "TD" {
                        state.leading = -ty;
                    }
                    tlm = Matrix::translate(tx, ty).then(tlm);
                    tm = tlm;
                }
                "Tm" => {
                    if let Some(m) = Matrix::from_operands(o) {
                        tlm = m;
                        tm = m;
                    }
                }
                "T*" => {
                    tlm = Matrix::translate(0.0, -state.leading).then(tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" => {
                    if op.operator != "Tj" {
                        if op.operator == "\"" {
                            state.word_spacing = o.first().and_then(number).unwrap_or(0.0);
                            state.char_spacing = o.get(1).and_then(number).unwrap_or(0.0);
                        }
                        tlm = Matrix::translate(0.0, -state.leading).then(tlm);
                        tm = tlm;
                    }
                    if let Some(Object::String(bytes, _)) = o.last() {
                        self.show(
                            &[Object::String(bytes.clone(), lopdf::StringFormat::Literal)],
                            &state,
                            &mut tm,
                            fonts,
                        );
                    }
                }
                "TJ" => {
                    if let Some(Object::Array(items)) = o.first() {
                        self.show(items, &state, &mut tm, fonts);
                    }
                }
                "Do" => {
                    if let Some(Object::Name(name)) = o.first() {
                        self.draw(name, xobjects, resources, &state, depth)?;
                    }
                }
                // Inline images: lopdf yields one operation for the whole BI…EI block.
                "BI" => self.out.images += 1,
                _ => {}
            }
        }
        Ok(())
    }

    /// Shows strings (and the kerning numbers between them) as one run.
    fn show(
        &mut self,
        items: &[Object],
        state: &State,
        tm: &mut Matrix,
        fonts: Option<&'a Dictionary>,
    ) {
        let Some(font) = self.font(state.font.as_deref(), fonts) else {
            return;
        };
        let start = Matrix([state.size * state.scale, 0.0, 0.0, state.size, 0.0, 0.0])
            .then(*tm)
            .then(state.ctm);
        let (x, y) = start.apply(0.0, 0.0);
        // The text's height on the page: the font size through both matrices.
        let height = {
            let [_, _, c, d, _, _] = start.0;
            (c * c + d * d).sqrt()
        };
        let mut text = String::new();
        let mut advance = 0.0f32;
        for item in items {
            match item {
                Object::String(bytes, _) => {
                    let decoded = font.decode(bytes);
                    for code in font.codes(bytes) {
                        let w = font
                            .widths
                            .get(&code)
                            .copied()
                            .unwrap_or(font.default_width);
                        let space = if !font.two_byte && code == 32 {
                            state.word_spacing
                        } else {
                            0.0
                        };
                        advance +=
                            (w / 1000.0 * state.size + state.char_spacing + space) * state.scale;
                    }
                    text.push_str(&decoded);
                }
                other => {
                    if let Some(n) = number(other) {
                        let shift = -n / 1000.0 * state.size * state.scale;
                        // A wide negative kern is how some producers write a space.
                        if n < -200.0 && !text.ends_with(' ') {
                            text.push(' ');
                        }
                        advance += shift;
                    }
                }
            }
        }
        *tm = Matrix::translate(advance, 0.0).then(*tm);
        let (end_x, _) = tm.then(state.ctm).apply(0.0, 0.0);
        let text: String = text
            .chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .collect();
        if text.trim().is_empty() {
            return;
        }
        self.out.runs.push(TextRun {
            page: self.page,
            x,
            y,
            end_x: end_x.max(x),
            size: if height.is_finite() && height > 0.0 {
                height
            } else {
                1.0
            },
            text,
        });
    }

    fn font(&mut self, name: Option<&[u8]>, fonts: Option<&'a Dictionary>) -> Option<&Font<'a>> {
        let dict = fonts
            .and_then(|f| dict_get(self.doc, f, name?))
            .and_then(|o| o.as_dict().ok())?;
        let key = dict as *const Dictionary as usize;
        if !self.fonts.contains_key(&key) {
            let font = load_font(self.doc, dict, self.budget);
            self.fonts.insert(key, font);
        }
        self.fonts.get(&key)
    }

    /// `Do`: an image is counted; a form XObject's content is read in place.
    fn draw(
        &mut self,
        name: &[u8],
        xobjects: Option<&'a Dictionary>,
        resources: Option<&'a Dictionary>,
        state: &State,
        depth: usize,
    ) -> Result<(), OverBudget> {
        let Some(Ok(Object::Reference(id))) = xobjects.map(|x| x.get(name)) else {
            return Ok(());
        };
        let Ok(stream) = self.doc.get_object(*id).and_then(Object::as_stream) else {
            return Ok(());
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => self.out.images += 1,
            Ok(b"Form") => {
                // A form that draws itself (directly or around a loop) is a hostile file.
                if depth + 1 > self.budget.limits.max_depth || !self.drawing.insert(*id) {
                    return Err(OverBudget);
                }
                let allowance = self.budget.stream_allowance();
                let content = match stream.decompressed_content_with_limit(allowance) {
                    Ok(c) => c,
                    Err(lopdf::Error::Decompress(
                        lopdf::DecompressError::MemoryLimitExceeded { .. },
                    )) => return Err(OverBudget),
                    Err(_) => {
                        self.drawing.remove(id);
                        return Ok(());
                    }
                };
                self.budget.decoded(content.len())?;
                let own = dict_get(self.doc, &stream.dict, b"Resources")
                    .and_then(|o| o.as_dict().ok())
                    .or(resources);
                let matrix = match dict_get(self.doc, &stream.dict, b"Matrix") {
                    Some(Object::Array(m)) => Matrix::from_operands(m).unwrap_or(Matrix::IDENTITY),
                    _ => Matrix::IDENTITY,
                };
                let result = self.run(&content, own, matrix.then(state.ctm), depth + 1);
                self.drawing.remove(id);
                result?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_compose_in_drawing_order() {
        let scale = Matrix([2.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
        let shift = Matrix::translate(10.0, 20.0);
        // Scale first, then shift: (1,1) → (2,2) → (12,22).
        assert_eq!(scale.then(shift).apply(1.0, 1.0), (12.0, 22.0));
        assert_eq!(shift.then(scale).apply(1.0, 1.0), (22.0, 42.0));
    }
}
