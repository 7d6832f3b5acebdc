//! Converts the HTML body of an email into plain text whose line structure matches what a
//! person sees in a mail client, so that the extractor can read labelled lines (`Sukunimi:
//! Virtanen`) and prose from HTML-only and multipart messages alike.
//!
//! The HTML comes from strangers, so this module is deliberately dumb and bounded: a
//! hand-written, single-pass tokenizer that never interprets scripts or styles, never follows
//! or resolves links or other resources, and never outputs attribute values (no `href`, no
//! `javascript:`, no `title`), only the text a reader would see. It runs in time and memory
//! linear in the input, keeps nesting in counters rather than on the call stack, never
//! panics on any `&str`, and caps its output at about twice the input size.
//!
//! Quoted material (`<blockquote>` and Gmail's `gmail_quote` containers) comes out with
//! `> ` line prefixes, exactly like quoted plain text, so the same quote handling applies
//! to both kinds of body.

/// Quote prefixes stop growing here: deeper nesting is still quoted, and hostile
/// million-level nesting cannot make every line kilobytes long.
const MAX_QUOTE_DEPTH: usize = 32;

/// `"> "` repeated `MAX_QUOTE_DEPTH` times; prefixes are slices of it, so writing one
/// never allocates.
const QUOTE_PREFIXES: &str = "> > > > > > > > > > > > > > > > > > > > > > > > > > > > > > > > ";

/// Headroom over `2 * input` for short inputs whose quote prefixes and list markers
/// outweigh their markup.
const OUTPUT_SLACK: usize = 1024;

/// Converts an HTML email body to plain text (see the module documentation).
///
/// Lines are separated by `\n`, carry no trailing whitespace, and at most one blank line
/// separates two lines of text (except inside `<pre>`). The output never exceeds
/// `2 * html.len() + 1024` bytes; in the pathological case where it would, it is cut off.
pub fn html_to_text(html: &str) -> String {
    let mut converter = Converter::new(html);
    converter.run();
    converter.w.out
}

/// Elements the converter treats specially; everything else is [`El::Other`], whose text
/// is kept and whose tags vanish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum El {
    Br,
    P,
    Heading,
    Div,
    Block,
    Li,
    Tr,
    Cell,
    Pre,
    Blockquote,
    /// Elements whose content is raw text up to the matching end tag (scripts, styles,
    /// titles): tags inside them are not tags, so they are skipped by searching, not parsing.
    RawDrop,
    /// Elements whose content is HTML that must not be shown.
    Drop(Nest),
    Body,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nest {
    Head,
    Template,
    Svg,
    Object,
    Math,
}

fn classify(name: &[u8]) -> El {
    let mut buf = [0u8; 10];
    if name.len() > buf.len() {
        return El::Other;
    }
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    match &*lower {
        b"br" => El::Br,
        b"p" => El::P,
        b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => El::Heading,
        b"div" => El::Div,
        b"table" | b"ul" | b"ol" | b"dl" | b"dt" | b"dd" | b"section" | b"article" | b"header"
        | b"footer" | b"address" | b"hr" | b"main" | b"nav" | b"aside" | b"center" | b"figure"
        | b"figcaption" | b"caption" | b"form" | b"fieldset" | b"legend" | b"details"
        | b"summary" | b"menu" => El::Block,
        b"li" => El::Li,
        b"tr" => El::Tr,
        b"td" | b"th" => El::Cell,
        b"pre" | b"listing" => El::Pre,
        b"blockquote" => El::Blockquote,
        b"script" | b"style" | b"title" | b"iframe" | b"noscript" | b"xmp" | b"noembed"
        | b"noframes" => El::RawDrop,
        b"head" => El::Drop(Nest::Head),
        b"template" => El::Drop(Nest::Template),
        b"svg" => El::Drop(Nest::Svg),
        b"object" => El::Drop(Nest::Object),
        b"math" => El::Drop(Nest::Math),
        b"body" => El::Body,
        _ => El::Other,
    }
}

/// Whether a start tag may appear inside `<head>` without ending it. Browsers end the head
/// at the first body element even without `</head>`; doing the same keeps a sloppy
/// `<head>` from swallowing the whole message.
fn allowed_in_head(name: &[u8]) -> bool {
    const HEAD_TAGS: [&[u8]; 12] = [
        b"meta",
        b"link",
        b"title",
        b"style",
        b"script",
        b"base",
        b"noscript",
        b"template",
        b"basefont",
        b"bgsound",
        b"xml",
        b"object",
    ];
    // Word's `<o:...>`/`<w:...>` Office XML sits in the head too.
    name.contains(&b':') || HEAD_TAGS.iter().any(|t| t.eq_ignore_ascii_case(name))
}

fn is_tag_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// Characters that render as nothing; removing them keeps `Suku&shy;nimi` matchable and
/// lets a paragraph holding only them count as empty.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{200B}'
            | '\u{200C}'
            | '\u{200D}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2060}'
            | '\u{FEFF}'
    )
}

fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One lexed tag. Names and attribute values stay bytes: they are only ever compared,
/// never output.
#[derive(Debug)]
struct Tag<'a> {
    name: &'a [u8],
    is_end: bool,
    self_closing: bool,
    class: Option<&'a [u8]>,
    /// Byte offset just past the closing `>`.
    end: usize,
}

#[derive(Debug)]
enum Markup<'a> {
    /// The `<` does not start markup and is shown as the character it is.
    Text,
    /// A comment, doctype, processing instruction or other bogus markup: resume here.
    Skip(usize),
    Tag(Tag<'a>),
    /// Markup that never ends. Like browsers, the rest of the input belongs to it and is
    /// not shown; that also means a hostile tail can't smuggle text out of a comment.
    Eof,
}

/// Lexes the markup starting at the `<` at byte `i`.
fn lex_markup(b: &[u8], i: usize) -> Markup<'_> {
    match b.get(i + 1) {
        None => Markup::Text,
        Some(b'!') => {
            if b[i + 2..].starts_with(b"--") {
                comment_end(b, i + 4)
            } else {
                // `<!DOCTYPE>`, `<![CDATA[...]]>`, Word's `<![if !supportLists]>`: the
                // markup goes, content between conditional markers stays, as in browsers.
                bogus_end(b, i + 2)
            }
        }
        Some(b'?') => bogus_end(b, i + 2),
        Some(b'/') => match b.get(i + 2) {
            None => Markup::Text,
            Some(b'>') => Markup::Skip(i + 3),
            Some(c) if c.is_ascii_alphabetic() => parse_tag(b, i + 2, true),
            Some(_) => bogus_end(b, i + 2),
        },
        Some(c) if c.is_ascii_alphabetic() => parse_tag(b, i + 1, false),
        // `a < b`, `< p>`, `x<5`: browsers show these literally, so do we.
        Some(_) => Markup::Text,
    }
}

fn comment_end(b: &[u8], body: usize) -> Markup<'_> {
    // `<!-->` and `<!--->` are complete, empty comments in HTML.
    if b[body..].starts_with(b">") {
        return Markup::Skip(body + 1);
    }
    if b[body..].starts_with(b"->") {
        return Markup::Skip(body + 2);
    }
    let mut k = body;
    while let Some(off) = find(&b[k..], b"--") {
        let dashes = k + off;
        let after = &b[dashes + 2..];
        if after.starts_with(b">") {
            return Markup::Skip(dashes + 3);
        }
        if after.starts_with(b"!>") {
            return Markup::Skip(dashes + 4);
        }
        k = dashes + 1;
    }
    Markup::Eof
}

fn bogus_end(b: &[u8], from: usize) -> Markup<'_> {
    match b[from..].iter().position(|&c| c == b'>') {
        Some(off) => Markup::Skip(from + off + 1),
        None => Markup::Eof,
    }
}

/// Parses a tag whose name starts at `start`, following the HTML tokenizer closely enough
/// that a `>` inside a quoted attribute value does not end the tag.
fn parse_tag(b: &[u8], start: usize, is_end: bool) -> Markup<'_> {
    let len = b.len();
    let mut i = start;
    while i < len && !is_tag_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name = &b[start..i];
    let mut class = None;
    let mut self_closing = false;
    loop {
        while i < len && (is_tag_space(b[i]) || b[i] == b'/') {
            if b[i] == b'/' && b.get(i + 1) == Some(&b'>') {
                self_closing = true;
            }
            i += 1;
        }
        match b.get(i) {
            None => return Markup::Eof,
            Some(b'>') => {
                return Markup::Tag(Tag {
                    name,
                    is_end,
                    self_closing,
                    class,
                    end: i + 1,
                })
            }
            Some(_) => {}
        }
        let attr_start = i;
        // The first character belongs to the name even if it is `=`, as in HTML.
        i += 1;
        while i < len && !is_tag_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let attr = &b[attr_start..i];
        while i < len && is_tag_space(b[i]) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < len && is_tag_space(b[i]) {
            i += 1;
        }
        let value = match b.get(i) {
            None => return Markup::Eof,
            Some(&q) if q == b'"' || q == b'\'' => match b[i + 1..].iter().position(|&c| c == q) {
                Some(off) => {
                    let value = &b[i + 1..i + 1 + off];
                    i += off + 2;
                    value
                }
                None => return Markup::Eof,
            },
            Some(b'>') => &b[i..i],
            Some(_) => {
                let value_start = i;
                while i < len && !is_tag_space(b[i]) && b[i] != b'>' {
                    i += 1;
                }
                &b[value_start..i]
            }
        };
        // The first `class` wins, as in browsers.
        if class.is_none() && attr.eq_ignore_ascii_case(b"class") {
            class = Some(value);
        }
    }
}

enum Decoded {
    Char(char),
    Str(&'static str),
}

/// Decodes the character reference starting at the `&` at byte `i`; returns what it stands
/// for and where the text resumes, or `None` if it is not a reference we decode (then the
/// `&` is literal text).
fn decode_entity(b: &[u8], i: usize) -> Option<(Decoded, usize)> {
    if b.get(i + 1) == Some(&b'#') {
        let (radix, digits_start) = match b.get(i + 2) {
            Some(b'x' | b'X') => (16, i + 3),
            _ => (10, i + 2),
        };
        let mut k = digits_start;
        let mut value: u32 = 0;
        while let Some(d) = b.get(k).and_then(|&c| (c as char).to_digit(radix)) {
            // Saturate just past the Unicode range: a million digits stay O(n) and
            // cannot overflow.
            value = (value * radix + d).min(0x11_0000);
            k += 1;
        }
        if k == digits_start {
            return None;
        }
        let end = terminate(b, k)?;
        return Some((Decoded::Char(numeric_char(value)), end));
    }
    let start = i + 1;
    let mut k = start;
    // The longest name in the table is short; a longer run cannot be one of ours.
    while k < b.len() && k - start <= 8 && b[k].is_ascii_alphanumeric() {
        k += 1;
    }
    if k == start {
        return None;
    }
    let end = terminate(b, k)?;
    let name = &b[start..k];
    let idx = ENTITIES
        .binary_search_by(|(n, _)| n.as_bytes().cmp(name))
        .ok()?;
    Some((Decoded::Str(ENTITIES[idx].1), end))
}

/// Where text resumes after a reference whose name or digits end at `k`: past the `;`, or
/// at `k` when the `;` is missing but the next character cannot continue a word (`&auml,`).
fn terminate(b: &[u8], k: usize) -> Option<usize> {
    match b.get(k) {
        Some(b';') => Some(k + 1),
        Some(c) if c.is_ascii_alphanumeric() => None,
        _ => Some(k),
    }
}

fn numeric_char(value: u32) -> char {
    // Word and old webmail write Windows-1252 code points (`&#150;` for an en dash);
    // browsers show the Windows-1252 character, so a reader saw that.
    const WINDOWS_1252: [char; 32] = [
        '\u{20AC}', '\u{FFFD}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{FFFD}',
        '\u{017D}', '\u{FFFD}', '\u{FFFD}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}',
        '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}',
        '\u{0153}', '\u{FFFD}', '\u{017E}', '\u{0178}',
    ];
    match value {
        0 => '\u{FFFD}',
        0x80..=0x9F => WINDOWS_1252[(value - 0x80) as usize],
        // Surrogates and values past U+10FFFF are not characters.
        _ => char::from_u32(value).unwrap_or('\u{FFFD}'),
    }
}

/// Builds the output line by line. Line breaks and spaces are kept pending and written only
/// when more text follows, which is what makes trailing spaces, leading or trailing blank
/// lines and runs of blank lines impossible by construction instead of by post-processing.
struct Writer {
    out: String,
    limit: usize,
    full: bool,
    /// Line breaks requested since the last text.
    pending_newlines: usize,
    /// Whitespace to write before the next text on the current line.
    space: String,
    /// An `<li>` started and its marker is still to be written.
    bullet: bool,
    /// Quote depth of the last line written.
    line_depth: usize,
    /// Visible characters written so far; tells whether a paragraph was empty.
    content: u64,
}

impl Writer {
    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.pending_newlines > 0
    }

    /// Ends the current line, leaving `n - 1` blank lines (blocks and paragraphs).
    /// Repeated requests do not add up, so nested blocks produce one break, not many.
    fn end_line(&mut self, n: usize) {
        if !self.out.is_empty() {
            self.pending_newlines = self.pending_newlines.max(n);
            self.space.clear();
        }
    }

    /// Adds one line break (`<br>`, a newline in `<pre>`); these do add up.
    fn line_break(&mut self) {
        if !self.out.is_empty() {
            self.pending_newlines = self.pending_newlines.saturating_add(1);
            self.space.clear();
        }
    }

    fn collapsible_space(&mut self) {
        if !self.at_line_start() && self.space.is_empty() {
            self.space.push(' ');
        }
    }

    fn literal_space(&mut self, c: char) {
        self.space.push(c);
    }

    fn cell(&mut self) {
        if !self.at_line_start() {
            // Consecutive empty cells keep their columns; a space before a cell does not.
            if !self.space.ends_with('\t') {
                self.space.clear();
            }
            self.space.push('\t');
        }
    }

    fn put(&mut self, s: &str) -> bool {
        if self.out.len() + s.len() > self.limit {
            self.full = true;
            return false;
        }
        self.out.push_str(s);
        true
    }

    fn text(&mut self, c: char, depth: usize, keep_blank_lines: bool) {
        if self.full {
            return;
        }
        if self.at_line_start() && !self.start_line(depth, keep_blank_lines) {
            return;
        }
        if !self.space.is_empty() {
            if self.out.len() + self.space.len() > self.limit {
                self.full = true;
                return;
            }
            self.out.push_str(&self.space);
            self.space.clear();
        }
        if self.put(c.encode_utf8(&mut [0u8; 4])) {
            self.content += 1;
        }
    }

    fn start_line(&mut self, depth: usize, keep_blank_lines: bool) -> bool {
        if !self.out.is_empty() {
            let newlines = if keep_blank_lines {
                self.pending_newlines
            } else {
                self.pending_newlines.min(2)
            };
            if !self.put("\n") {
                return false;
            }
            // A blank line between two quoted lines is part of the quote; one between
            // quoted and unquoted text is not.
            let blank_depth = self.line_depth.min(depth);
            let blank_prefix = &QUOTE_PREFIXES[..(2 * blank_depth).saturating_sub(1)];
            for _ in 1..newlines {
                if !self.put(blank_prefix) || !self.put("\n") {
                    return false;
                }
            }
        }
        self.pending_newlines = 0;
        self.line_depth = depth;
        if !self.put(&QUOTE_PREFIXES[..2 * depth]) {
            return false;
        }
        if std::mem::take(&mut self.bullet) && !self.put("- ") {
            return false;
        }
        true
    }
}

/// An open `<p>`. HTML paragraphs cannot nest, so one slot is enough and hostile
/// `<p><p><p>` needs no stack.
struct OpenP {
    /// Word/Outlook `MsoNormal`-style paragraph: these have no margins, one per visual line.
    word: bool,
    content_at_open: u64,
}

/// An element whose content is being dropped, with the nesting depth of same-named
/// elements inside it.
struct Suppress {
    kind: Nest,
    depth: usize,
}

struct Converter<'a> {
    src: &'a str,
    pos: usize,
    w: Writer,
    blockquote_depth: usize,
    div_depth: usize,
    /// Open table cells, and the content count when the innermost opened: Word wraps every
    /// cell's text in a paragraph, which must not split a row "Sukunimi: | Virtanen".
    cell_depth: usize,
    cell_content_at_open: u64,
    /// The `div_depth` of each open `gmail_quote` div, so the right `</div>` closes it.
    gmail_quote_divs: Vec<usize>,
    pre_depth: usize,
    /// HTML ignores a newline right after `<pre>`.
    pre_skip_newline: bool,
    open_p: Option<OpenP>,
    suppress: Option<Suppress>,
}

impl<'a> Converter<'a> {
    fn new(src: &'a str) -> Self {
        Converter {
            src,
            pos: 0,
            w: Writer {
                out: String::new(),
                limit: src.len().saturating_mul(2).saturating_add(OUTPUT_SLACK),
                full: false,
                pending_newlines: 0,
                space: String::new(),
                bullet: false,
                line_depth: 0,
                content: 0,
            },
            blockquote_depth: 0,
            div_depth: 0,
            cell_depth: 0,
            cell_content_at_open: 0,
            gmail_quote_divs: Vec::new(),
            pre_depth: 0,
            pre_skip_newline: false,
            open_p: None,
            suppress: None,
        }
    }

    // Every position the loop resumes at is just past an ASCII byte (`<`, `&`, `>`, `;`, a
    // digit or letter) or at the end of the input, hence always a char boundary: slicing
    // `src` there cannot panic.
    fn run(&mut self) {
        let src = self.src;
        let b = src.as_bytes();
        while self.pos < b.len() && !self.w.full {
            let suppressed = self.suppress.is_some();
            let rest = &b[self.pos..];
            let next = if suppressed {
                rest.iter().position(|&c| c == b'<')
            } else {
                rest.iter().position(|&c| c == b'<' || c == b'&')
            };
            let end = next.map_or(b.len(), |off| self.pos + off);
            if !suppressed {
                for c in src[self.pos..end].chars() {
                    self.push_char(c);
                }
            }
            self.pos = end;
            if end == b.len() {
                break;
            }
            if b[end] == b'&' {
                match decode_entity(b, end) {
                    Some((decoded, resume)) => {
                        match decoded {
                            Decoded::Char(c) => self.push_char(c),
                            Decoded::Str(s) => s.chars().for_each(|c| self.push_char(c)),
                        }
                        self.pos = resume;
                    }
                    None => {
                        self.push_char('&');
                        self.pos = end + 1;
                    }
                }
                continue;
            }
            match lex_markup(b, end) {
                Markup::Text => {
                    if !suppressed {
                        self.push_char('<');
                    }
                    self.pos = end + 1;
                }
                Markup::Skip(resume) => self.pos = resume,
                Markup::Eof => self.pos = b.len(),
                Markup::Tag(tag) => {
                    self.pos = tag.end;
                    self.tag(&tag);
                }
            }
        }
    }

    fn quote_depth(&self) -> usize {
        self.blockquote_depth
            .saturating_add(self.gmail_quote_divs.len())
            .min(MAX_QUOTE_DEPTH)
    }

    fn push_char(&mut self, c: char) {
        if is_invisible(c) {
            return;
        }
        if self.pre_depth > 0 {
            match c {
                // Keeps the after-`<pre>` newline rule working for CRLF sources.
                '\r' => return,
                '\n' => {
                    if !std::mem::take(&mut self.pre_skip_newline) {
                        self.w.line_break();
                    }
                    return;
                }
                '\t' => {
                    self.pre_skip_newline = false;
                    self.w.literal_space('\t');
                    return;
                }
                c if c.is_whitespace() => {
                    self.pre_skip_newline = false;
                    self.w.literal_space(' ');
                    return;
                }
                _ => self.pre_skip_newline = false,
            }
        } else if c.is_whitespace() {
            // Includes U+00A0: `&nbsp;` padding is layout, and `<p>&nbsp;</p>` must count
            // as an empty paragraph.
            self.w.collapsible_space();
            return;
        }
        let c = if c == '\0' { '\u{FFFD}' } else { c };
        let depth = self.quote_depth();
        self.w.text(c, depth, self.pre_depth > 0);
    }

    fn tag(&mut self, tag: &Tag<'_>) {
        let el = classify(tag.name);
        if self.suppress.is_some() {
            self.suppressed_tag(tag, el);
            return;
        }
        self.pre_skip_newline = false;
        if tag.is_end {
            self.end_tag(el);
        } else {
            self.start_tag(tag, el);
        }
    }

    fn suppressed_tag(&mut self, tag: &Tag<'_>, el: El) {
        if !tag.is_end && el == El::RawDrop {
            // A `</head>` or `</svg>` inside a script is not markup.
            self.skip_raw(tag.name);
            return;
        }
        let Some(suppress) = self.suppress.as_mut() else {
            return;
        };
        if suppress.kind == Nest::Head {
            if tag.is_end {
                if el == El::Drop(Nest::Head) {
                    self.suppress = None;
                }
            } else if el == El::Body || !allowed_in_head(tag.name) {
                self.suppress = None;
                self.tag(tag);
            }
        } else if el == El::Drop(suppress.kind) {
            if tag.is_end {
                suppress.depth -= 1;
                if suppress.depth == 0 {
                    self.suppress = None;
                }
            } else if !tag.self_closing {
                suppress.depth += 1;
            }
        }
    }

    fn start_tag(&mut self, tag: &Tag<'_>, el: El) {
        let class = tag.class.unwrap_or_default();
        match el {
            El::Br => self.w.line_break(),
            El::P | El::Div if self.cell_depth > 0 => {
                self.close_p();
                if self.w.content != self.cell_content_at_open {
                    self.w.collapsible_space();
                }
            }
            El::P => {
                self.close_p();
                let word = contains_ignore_ascii_case(class, b"mso");
                self.w.end_line(if word { 1 } else { 2 });
                self.open_p = Some(OpenP {
                    word,
                    content_at_open: self.w.content,
                });
            }
            El::Heading => {
                self.close_p();
                self.w.end_line(2);
            }
            El::Div => {
                self.close_p();
                self.w.end_line(1);
                self.div_depth += 1;
                if contains_ignore_ascii_case(class, b"gmail_quote") {
                    self.gmail_quote_divs.push(self.div_depth);
                }
            }
            El::Tr => {
                // A row closes any cell left open in the row before it.
                self.cell_depth = 0;
                self.close_p();
                self.w.end_line(1);
            }
            El::Block => {
                self.close_p();
                self.w.end_line(1);
            }
            El::Li => {
                self.close_p();
                self.w.end_line(1);
                self.w.bullet = true;
            }
            El::Cell => {
                self.close_p();
                self.w.cell();
                self.cell_depth += 1;
                self.cell_content_at_open = self.w.content;
            }
            El::Pre => {
                self.close_p();
                self.w.end_line(1);
                self.pre_depth += 1;
                self.pre_skip_newline = true;
            }
            El::Blockquote => {
                self.close_p();
                self.w.end_line(1);
                self.blockquote_depth += 1;
            }
            El::RawDrop => self.skip_raw(tag.name),
            // Browsers ignore a `<head>` after body text; hiding what follows it would
            // lose text a reader sees.
            El::Drop(Nest::Head) if !self.w.out.is_empty() => {}
            El::Drop(kind) => {
                // Honouring `<svg/>` keeps a self-closed drop element from eating the rest.
                if !tag.self_closing {
                    self.suppress = Some(Suppress { kind, depth: 1 });
                }
            }
            El::Body | El::Other => {}
        }
    }

    fn end_tag(&mut self, el: El) {
        match el {
            El::P | El::Div if self.cell_depth > 0 => self.close_p(),
            // Browsers treat `</br>` as `<br>`.
            El::Br => self.w.line_break(),
            El::P => {
                if self.open_p.is_some() {
                    self.close_p();
                } else {
                    self.w.end_line(1);
                }
            }
            El::Heading => {
                self.close_p();
                self.w.end_line(2);
            }
            El::Div => {
                self.close_p();
                self.w.end_line(1);
                if self.gmail_quote_divs.last() == Some(&self.div_depth) {
                    self.gmail_quote_divs.pop();
                }
                self.div_depth = self.div_depth.saturating_sub(1);
            }
            El::Tr => {
                self.cell_depth = 0;
                self.close_p();
                self.w.end_line(1);
            }
            El::Block | El::Li => {
                self.close_p();
                self.w.end_line(1);
            }
            El::Cell => {
                self.close_p();
                self.cell_depth = self.cell_depth.saturating_sub(1);
            }
            El::Pre => {
                self.close_p();
                self.w.end_line(1);
                self.pre_depth = self.pre_depth.saturating_sub(1);
            }
            El::Blockquote => {
                self.close_p();
                self.w.end_line(1);
                self.blockquote_depth = self.blockquote_depth.saturating_sub(1);
            }
            El::RawDrop | El::Drop(_) | El::Body | El::Other => {}
        }
    }

    fn close_p(&mut self) {
        if self.cell_depth > 0 {
            self.open_p = None;
            return;
        }
        if let Some(p) = self.open_p.take() {
            // An empty paragraph (`<p>&nbsp;</p>`, Word's `<o:p>&nbsp;</o:p>`) is how
            // editors make a visible blank line.
            let empty = self.w.content == p.content_at_open;
            self.w.end_line(if p.word && !empty { 1 } else { 2 });
        }
    }

    /// Skips the content of a raw-text element up to and including its end tag, or to the
    /// end of the input if it has none.
    fn skip_raw(&mut self, name: &[u8]) {
        let b = self.src.as_bytes();
        let mut i = self.pos;
        while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
            let lt = i + off;
            let name_start = lt + 2;
            let name_end = name_start + name.len();
            let closes = b.get(lt + 1) == Some(&b'/')
                && b.get(name_start..name_end)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
                && b.get(name_end)
                    .is_some_and(|&c| is_tag_space(c) || c == b'/' || c == b'>');
            if closes {
                self.pos = match parse_tag(b, name_start, true) {
                    Markup::Tag(tag) => tag.end,
                    _ => b.len(),
                };
                return;
            }
            i = lt + 1;
        }
        self.pos = b.len();
    }
}

/// Named character references, sorted by name (bytewise) for binary search: the markup
/// ones, all of Latin-1 (U+00A0..U+00FF), and the typography mail clients emit. Invisible
/// formatting characters map to nothing.
const ENTITIES: &[(&str, &str)] = &[
    ("AElig", "\u{C6}"),
    ("AMP", "&"),
    ("Aacute", "\u{C1}"),
    ("Acirc", "\u{C2}"),
    ("Agrave", "\u{C0}"),
    ("Aring", "\u{C5}"),
    ("Atilde", "\u{C3}"),
    ("Auml", "\u{C4}"),
    ("Ccedil", "\u{C7}"),
    ("Dagger", "\u{2021}"),
    ("ETH", "\u{D0}"),
    ("Eacute", "\u{C9}"),
    ("Ecirc", "\u{CA}"),
    ("Egrave", "\u{C8}"),
    ("Euml", "\u{CB}"),
    ("GT", ">"),
    ("Iacute", "\u{CD}"),
    ("Icirc", "\u{CE}"),
    ("Igrave", "\u{CC}"),
    ("Iuml", "\u{CF}"),
    ("LT", "<"),
    ("Ntilde", "\u{D1}"),
    ("OElig", "\u{152}"),
    ("Oacute", "\u{D3}"),
    ("Ocirc", "\u{D4}"),
    ("Ograve", "\u{D2}"),
    ("Oslash", "\u{D8}"),
    ("Otilde", "\u{D5}"),
    ("Ouml", "\u{D6}"),
    ("Prime", "\u{2033}"),
    ("QUOT", "\""),
    ("Scaron", "\u{160}"),
    ("THORN", "\u{DE}"),
    ("Uacute", "\u{DA}"),
    ("Ucirc", "\u{DB}"),
    ("Ugrave", "\u{D9}"),
    ("Uuml", "\u{DC}"),
    ("Yacute", "\u{DD}"),
    ("Yuml", "\u{178}"),
    ("Zcaron", "\u{17D}"),
    ("aacute", "\u{E1}"),
    ("acirc", "\u{E2}"),
    ("acute", "\u{B4}"),
    ("aelig", "\u{E6}"),
    ("agrave", "\u{E0}"),
    ("amp", "&"),
    ("apos", "'"),
    ("aring", "\u{E5}"),
    ("atilde", "\u{E3}"),
    ("auml", "\u{E4}"),
    ("bdquo", "\u{201E}"),
    ("brvbar", "\u{A6}"),
    ("bull", "\u{2022}"),
    ("ccedil", "\u{E7}"),
    ("cedil", "\u{B8}"),
    ("cent", "\u{A2}"),
    ("circ", "\u{2C6}"),
    ("copy", "\u{A9}"),
    ("curren", "\u{A4}"),
    ("dagger", "\u{2020}"),
    ("darr", "\u{2193}"),
    ("deg", "\u{B0}"),
    ("divide", "\u{F7}"),
    ("eacute", "\u{E9}"),
    ("ecirc", "\u{EA}"),
    ("egrave", "\u{E8}"),
    ("emsp", "\u{2003}"),
    ("ensp", "\u{2002}"),
    ("eth", "\u{F0}"),
    ("euml", "\u{EB}"),
    ("euro", "\u{20AC}"),
    ("fnof", "\u{192}"),
    ("frac12", "\u{BD}"),
    ("frac14", "\u{BC}"),
    ("frac34", "\u{BE}"),
    ("ge", "\u{2265}"),
    ("gt", ">"),
    ("harr", "\u{2194}"),
    ("hellip", "\u{2026}"),
    ("hyphen", "\u{2010}"),
    ("iacute", "\u{ED}"),
    ("icirc", "\u{EE}"),
    ("iexcl", "\u{A1}"),
    ("igrave", "\u{EC}"),
    ("iquest", "\u{BF}"),
    ("iuml", "\u{EF}"),
    ("laquo", "\u{AB}"),
    ("larr", "\u{2190}"),
    ("ldquo", "\u{201C}"),
    ("le", "\u{2264}"),
    ("lrm", ""),
    ("lsaquo", "\u{2039}"),
    ("lsquo", "\u{2018}"),
    ("lt", "<"),
    ("macr", "\u{AF}"),
    ("mdash", "\u{2014}"),
    ("micro", "\u{B5}"),
    ("middot", "\u{B7}"),
    ("minus", "\u{2212}"),
    ("nbsp", "\u{A0}"),
    ("ndash", "\u{2013}"),
    ("ne", "\u{2260}"),
    ("not", "\u{AC}"),
    ("ntilde", "\u{F1}"),
    ("oacute", "\u{F3}"),
    ("ocirc", "\u{F4}"),
    ("oelig", "\u{153}"),
    ("ograve", "\u{F2}"),
    ("ordf", "\u{AA}"),
    ("ordm", "\u{BA}"),
    ("oslash", "\u{F8}"),
    ("otilde", "\u{F5}"),
    ("ouml", "\u{F6}"),
    ("para", "\u{B6}"),
    ("permil", "\u{2030}"),
    ("plusmn", "\u{B1}"),
    ("pound", "\u{A3}"),
    ("prime", "\u{2032}"),
    ("quot", "\""),
    ("raquo", "\u{BB}"),
    ("rarr", "\u{2192}"),
    ("rdquo", "\u{201D}"),
    ("reg", "\u{AE}"),
    ("rlm", ""),
    ("rsaquo", "\u{203A}"),
    ("rsquo", "\u{2019}"),
    ("sbquo", "\u{201A}"),
    ("scaron", "\u{161}"),
    ("sect", "\u{A7}"),
    ("shy", ""),
    ("sup1", "\u{B9}"),
    ("sup2", "\u{B2}"),
    ("sup3", "\u{B3}"),
    ("szlig", "\u{DF}"),
    ("thinsp", "\u{2009}"),
    ("thorn", "\u{FE}"),
    ("tilde", "\u{2DC}"),
    ("times", "\u{D7}"),
    ("trade", "\u{2122}"),
    ("uacute", "\u{FA}"),
    ("uarr", "\u{2191}"),
    ("ucirc", "\u{FB}"),
    ("ugrave", "\u{F9}"),
    ("uml", "\u{A8}"),
    ("uuml", "\u{FC}"),
    ("yacute", "\u{FD}"),
    ("yen", "\u{A5}"),
    ("yuml", "\u{FF}"),
    ("zcaron", "\u{17E}"),
    ("zwj", ""),
    ("zwnj", ""),
];

#[cfg(test)]
mod tests {

    #[test]
    fn word_table_rows_stay_on_one_line() {
        let html = r#"<table class=MsoNormalTable><tr><td><p class=MsoNormal>Sukunimi:<o:p></o:p></p></td><td><p class=MsoNormal>Virtanen<o:p></o:p></p></td></tr><tr><td><p class=MsoNormal>Osoite:</p></td><td><p class=MsoNormal>Mannerheimintie 1</p><p class=MsoNormal>00100 HELSINKI</p></td></tr></table>"#;
        assert_eq!(
            html_to_text(html),
            "Sukunimi:\tVirtanen\nOsoite:\tMannerheimintie 1 00100 HELSINKI"
        );
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entity_table_is_sorted_and_covers_latin1() {
        for pair in ENTITIES.windows(2) {
            assert!(pair[0].0.as_bytes() < pair[1].0.as_bytes(), "{pair:?}");
        }
        for code in 0xA0u32..=0xFF {
            let c = char::from_u32(code).unwrap();
            let s = c.to_string();
            assert!(
                ENTITIES.iter().any(|(_, v)| *v == s) || c == '\u{AD}',
                "no entity for U+{code:04X}"
            );
        }
        assert!(ENTITIES.iter().all(|(n, _)| n.len() <= 9));
    }

    const WORD: &str = "<html xmlns:v=\"urn:schemas-microsoft-com:vml\" \
xmlns:o=\"urn:schemas-microsoft-com:office:office\">\r\n<head>\r\n\
<meta http-equiv=Content-Type content=\"text/html; charset=utf-8\">\r\n\
<meta name=Generator content=\"Microsoft Word 15 (filtered medium)\">\r\n\
<style><!--\r\n/* Font Definitions */\r\np.MsoNormal, li.MsoNormal, div.MsoNormal\r\n\
\t{margin:0cm;\r\n\tfont-size:11.0pt;}\r\n--></style><!--[if gte mso 9]><xml>\r\n\
<o:shapedefaults v:ext=\"edit\" spidmax=\"1026\" />\r\n</xml><![endif]-->\r\n</head>\r\n\
<body lang=FI link=\"#0563C1\" vlink=\"#954F72\" style='word-wrap:break-word'>\r\n\
<div class=WordSection1>\r\n<p class=MsoNormal>Hei,<o:p></o:p></p>\r\n\
<p class=MsoNormal><o:p>&nbsp;</o:p></p>\r\n\
<p class=MsoNormal>Pyyd&auml;n kopiot potilastiedoistani, jotka Psykoterapiakeskus\r\n\
Vastaamo on minusta tallentanut.<o:p></o:p></p>\r\n\
<p class=MsoNormal><o:p>&nbsp;</o:p></p>\r\n\
<p class=MsoNormal>Sukunimi: Virtanen<o:p></o:p></p>\r\n\
<p class=MsoNormal>Etunimet:&nbsp;Matti Juhani<o:p></o:p></p>\r\n\
<p class=MsoNormal><span style='font-family:\"Calibri\",sans-serif'>Henkil&#246;tunnus:\r\n\
010190-123A</span><o:p></o:p></p>\r\n\
<p class=MsoNormal>Puhelin: +358 40 123 4567<o:p></o:p></p>\r\n\
<p class=MsoNormal><o:p>&nbsp;</o:p></p>\r\n\
<p class=MsoNormal>Yst&auml;v&auml;llisin terveisin<o:p></o:p></p>\r\n\
<p class=MsoNormal>Matti Virtanen<o:p></o:p></p>\r\n</div>\r\n</body>\r\n</html>\r\n";

    #[test]
    fn word_paragraphs_are_lines_and_empty_ones_blank_lines() {
        assert_eq!(
            html_to_text(WORD),
            "Hei,\n\
             \n\
             Pyydän kopiot potilastiedoistani, jotka Psykoterapiakeskus Vastaamo on minusta \
             tallentanut.\n\
             \n\
             Sukunimi: Virtanen\n\
             Etunimet: Matti Juhani\n\
             Henkilötunnus: 010190-123A\n\
             Puhelin: +358 40 123 4567\n\
             \n\
             Ystävällisin terveisin\n\
             Matti Virtanen"
        );
    }

    #[test]
    fn word_list_paragraph_keeps_its_bullet_text() {
        let html = "<p class=MsoListParagraphCxSpFirst style='mso-list:l0 level1 lfo1'>\
<![if !supportLists]><span style='font-family:Symbol'>\u{B7}<span style='font:7.0pt'>\
&nbsp;&nbsp;&nbsp;</span></span><![endif]>Vastaamo<o:p></o:p></p>\
<p class=MsoListParagraphCxSpLast><![if !supportLists]>\u{B7}&nbsp;<![endif]>Kela<o:p></o:p></p>";
        assert_eq!(html_to_text(html), "\u{B7} Vastaamo\n\u{B7} Kela");
    }

    #[test]
    fn gmail_div_per_line_and_gmail_quote() {
        let html = "<div dir=\"ltr\"><div>Hei,</div><div><br></div>\
<div>Sukunimi: Virtanen</div><div>Etunimi: Matti</div><div><br></div>\
<div>Terveisin<br></div><div>Matti</div></div><br>\
<div class=\"gmail_quote gmail_quote_container\"><div dir=\"ltr\" class=\"gmail_attr\">\
On Mon, 5 Feb 2024 at 10:00, Vastaamo &lt;info@vastaamo.fi&gt; wrote:<br></div>\
<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px solid \
rgb(204,204,204);padding-left:1ex\"><div dir=\"ltr\">Hyv&auml; asiakas,<div><br></div>\
<div>L&auml;het&auml; tiedot.</div></div></blockquote></div>\n";
        assert_eq!(
            html_to_text(html),
            "Hei,\n\
             \n\
             Sukunimi: Virtanen\n\
             Etunimi: Matti\n\
             \n\
             Terveisin\n\
             Matti\n\
             \n\
             > On Mon, 5 Feb 2024 at 10:00, Vastaamo <info@vastaamo.fi> wrote:\n\
             > > Hyvä asiakas,\n\
             > >\n\
             > > Lähetä tiedot."
        );
    }

    #[test]
    fn thunderbird_blockquote_lines_are_prefixed() {
        let html = "<html><head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; \
charset=UTF-8\">\n</head>\n<body>\n<p>Hei,</p>\n<p>Sukunimi: Virtanen<br>\nEtunimi: Matti</p>\n\
<div class=\"moz-cite-prefix\">On 5.2.2024 10.00, Vastaamo wrote:<br>\n</div>\n\
<blockquote type=\"cite\" cite=\"mid:abc@vastaamo.fi\">\nHyv&auml; asiakas,<br>\n\
L&auml;het&auml; tiedot.<br>\n<blockquote type=\"cite\">Vanhempi viesti<br>\n</blockquote>\n\
</blockquote>\n<br>\n</body>\n</html>\n";
        assert_eq!(
            html_to_text(html),
            "Hei,\n\
             \n\
             Sukunimi: Virtanen\n\
             Etunimi: Matti\n\
             \n\
             On 5.2.2024 10.00, Vastaamo wrote:\n\
             > Hyvä asiakas,\n\
             > Lähetä tiedot.\n\
             > > Vanhempi viesti"
        );
    }

    #[test]
    fn apple_mail_and_roundcube() {
        let apple = "<html><head><meta http-equiv=\"content-type\" content=\"text/html; \
charset=utf-8\"></head><body style=\"overflow-wrap: break-word;\"><div dir=\"ltr\"></div>\
<div dir=\"ltr\">Hei!<br class=\"\"><br class=\"\">Sukunimi: Virtanen<br>Etunimi: Matti</div>\
<div dir=\"ltr\"><br><blockquote type=\"cite\">5.2.2024 kello 10.00 Vastaamo \
kirjoitti:<br><br></blockquote></div><blockquote type=\"cite\"><div dir=\"ltr\">Viesti\
</div></blockquote></body></html>";
        assert_eq!(
            html_to_text(apple),
            "Hei!\n\nSukunimi: Virtanen\nEtunimi: Matti\n\n\
             > 5.2.2024 kello 10.00 Vastaamo kirjoitti:\n>\n> Viesti"
        );
        let roundcube = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; \
charset=UTF-8\" /></head><body style='font-size: 10pt; font-family: Verdana'>\n\
<p>Hei,</p>\n<p>Sukunimi: Virtanen<br />Etunimi: Matti</p>\n<p>&nbsp;</p>\n\
<p>Terveisin</p>\n</body></html>";
        assert_eq!(
            html_to_text(roundcube),
            "Hei,\n\nSukunimi: Virtanen\nEtunimi: Matti\n\nTerveisin"
        );
    }

    #[test]
    fn entities() {
        assert_eq!(
            html_to_text("&auml;&ouml;&aring;&Auml;&Ouml;&Aring; &#228;&#xE4;&#XE4;"),
            "äöåÄÖÅ äää"
        );
        assert_eq!(
            html_to_text("&amp;&lt;&gt;&quot;&apos; &euro;&ndash;&mdash;&hellip;&bull;"),
            "&<>\"' €–—…•"
        );
        assert_eq!(
            html_to_text("&eacute;&szlig;&Oslash;&yuml;&copy;&reg;&trade;&ldquo;x&rdquo;"),
            "éßØÿ©®™“x”"
        );
        assert_eq!(
            html_to_text("a&#0;b&#xD800;c&#x110000;d&#99999999999999999999;e"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e"
        );
        assert_eq!(html_to_text("&#150; &#x80;"), "– €");
        // Missing `;` before a non-alphanumeric is tolerated, otherwise it is text.
        assert_eq!(
            html_to_text("&auml, &#228 &amp &ampx &#228x &#; &#x; & &;"),
            "ä, ä & &ampx &#228x &#; &#x; & &;"
        );
        assert_eq!(
            html_to_text("&bogus; &Auml&notanentityname;"),
            "&bogus; Ä&notanentityname;"
        );
        assert_eq!(
            html_to_text("Suku&shy;ni&zwnj;mi&zwj;:&ensp;A&emsp;B&thinsp;C"),
            "Sukunimi: A B C"
        );
        assert_eq!(html_to_text("a&nbsp;&nbsp;&nbsp;b\u{A0}c"), "a b c");
        // Decoded markup characters are text, never markup.
        assert_eq!(
            html_to_text("&lt;script&gt;x&lt;/script&gt;"),
            "<script>x</script>"
        );
    }

    #[test]
    fn dropped_elements_leave_no_trace() {
        let html = "<!DOCTYPE html><?xml version=\"1.0\"?><html><head><title>SECRET1</title>\
<style>p{color:red} /* SECRET2 */</style><script>var s='</head>SECRET3';</script></head>\
<body>A<script type=\"text/javascript\">alert('SECRET4')</script>B\
<!-- SECRET5 --><style>SECRET6</style>C<template><p>SECRET7</p></template>D\
<noscript>SECRET8</noscript>E<svg><title>SECRET9</title><svg></svg>SECRET10</svg>F\
<object data=x><p>SECRET11</p></object>G<iframe src=x><p>SECRET12</iframe>H\
<!--[if mso]>SECRET13<![endif]-->I<svg/>J<SCRIPT>SECRET14</SCRIPT >K</body></html>";
        assert_eq!(html_to_text(html), "ABCDEFGHIJK");
    }

    #[test]
    fn unclosed_head_ends_at_body_content() {
        let html = "<html><head><meta charset=utf-8><style>x</style><div>Hei</div>";
        assert_eq!(html_to_text(html), "Hei");
        assert_eq!(html_to_text("<head><title>t</title><body>Hei"), "Hei");
        assert_eq!(html_to_text("Hei<head>maailma</head>!"), "Heimaailma!");
    }

    #[test]
    fn attributes_are_never_output() {
        let html = "<a href=\"javascript:alert(document.cookie)\" title='x>y' \
onclick=\"steal()\">Klikkaa</a> <img src=\"https://tracker.example/p.gif\" alt=\"kuva\">\
<a title=\"a>b\">teksti</a>";
        let text = html_to_text(html);
        assert_eq!(text, "Klikkaa teksti");
        assert!(!text.contains("javascript"));
    }

    #[test]
    fn comments() {
        assert_eq!(html_to_text("Hei<!-- salainen -->!"), "Hei!");
        assert_eq!(html_to_text("Hei<!-- a -- b --!>!"), "Hei!");
        assert_eq!(html_to_text("a<!-->b<!--->c"), "abc");
        assert_eq!(html_to_text("Hei<!-- unterminated <p>secret</p>"), "Hei");
        assert_eq!(html_to_text("a<![if !mso]>b<![endif]>c"), "abc");
        assert_eq!(
            html_to_text("a<!--[if !mso]><!-->b<!--<![endif]-->c"),
            "abc"
        );
    }

    #[test]
    fn malformed_markup() {
        assert_eq!(html_to_text("a < b and c<5"), "a < b and c<5");
        assert_eq!(html_to_text("< p>x"), "< p>x");
        assert_eq!(html_to_text("x<"), "x<");
        assert_eq!(html_to_text("x</"), "x</");
        assert_eq!(html_to_text("a</>b</ x>c"), "abc");
        assert_eq!(html_to_text("Hei <b>maailma"), "Hei maailma");
        assert_eq!(html_to_text("Hei <a href=\"x"), "Hei");
        assert_eq!(html_to_text("Hei <div"), "Hei");
        assert_eq!(html_to_text("</div></blockquote></p></pre>a</li>b"), "a\nb");
        assert_eq!(html_to_text("A<BR>B<Br/>C<br />D</br>E"), "A\nB\nC\nD\nE");
        assert_eq!(
            html_to_text("<P CLASS=MsoNormal>A</P><P CLASS=MsoNormal>B</P>"),
            "A\nB"
        );
        assert_eq!(html_to_text("<script>never closed"), "");
        assert_eq!(html_to_text("ok<title>never closed"), "ok");
        assert_eq!(html_to_text("a\0b"), "a\u{FFFD}b");
    }

    #[test]
    fn whitespace_and_blocks() {
        assert_eq!(html_to_text("  a \n\t b  <br>  c  "), "a b\nc");
        assert_eq!(html_to_text("a<br><br><br><br><br>b"), "a\n\nb");
        assert_eq!(html_to_text("<p>a</p><p>b</p>"), "a\n\nb");
        assert_eq!(html_to_text("<p>a<p>b"), "a\n\nb");
        assert_eq!(
            html_to_text("<div><div><div>a</div></div></div><div>b</div>"),
            "a\nb"
        );
        assert_eq!(
            html_to_text("<h1>Otsikko</h1>teksti<hr>loppu"),
            "Otsikko\n\nteksti\nloppu"
        );
        assert_eq!(
            html_to_text("<ul><li>yksi</li><li>kaksi<li>kolme</ul>"),
            "- yksi\n- kaksi\n- kolme"
        );
        assert_eq!(
            html_to_text(
                "<table><tr><th>Kenttä</th><th>Arvo</th></tr>\n<tr><td>Sukunimi:</td> \
<td>Virtanen</td></tr><tr><td>a</td><td></td><td>c</td></tr></table>"
            ),
            "Kenttä\tArvo\nSukunimi:\tVirtanen\na\t\tc"
        );
        assert_eq!(
            html_to_text("<dl><dt>Nimi</dt><dd>Matti</dd></dl>"),
            "Nimi\nMatti"
        );
    }

    #[test]
    fn pre_keeps_whitespace() {
        assert_eq!(
            html_to_text("x<pre>\n  a  b\n\n\n\tc   \r\n</pre>y"),
            "x\n  a  b\n\n\n\tc\ny"
        );
        assert_eq!(
            html_to_text("<blockquote><pre>a\n\nb</pre></blockquote>"),
            "> a\n>\n> b"
        );
    }

    #[test]
    fn deep_nesting_completes() {
        const N: usize = 200_000;
        let divs = format!("{}x{}y", "<div>".repeat(N), "</div>".repeat(N));
        assert_eq!(html_to_text(&divs), "x\ny");

        let quotes = format!(
            "{}x{}y",
            "<blockquote>".repeat(N),
            "</blockquote>".repeat(N)
        );
        assert_eq!(
            html_to_text(&quotes),
            format!("{}x\ny", "> ".repeat(MAX_QUOTE_DEPTH))
        );

        let gmail = format!(
            "{}x{}y",
            "<div class=gmail_quote>".repeat(N),
            "</div>".repeat(N)
        );
        assert_eq!(
            html_to_text(&gmail),
            format!("{}x\ny", "> ".repeat(MAX_QUOTE_DEPTH))
        );

        let mixed = "<li><p><pre><td><svg><span>".repeat(N);
        assert_eq!(html_to_text(&(mixed + "x")), "");
        let templates = format!("{}x{}y", "<template>".repeat(N), "</template>".repeat(N));
        assert_eq!(html_to_text(&templates), "y");
    }

    #[test]
    fn large_input_converts_fully() {
        let chunk = "<p class=MsoNormal>Sukunimi: Virtanen<o:p></o:p></p>\r\n\
<p class=MsoNormal>Etunimi: Matti &amp; Maija<o:p></o:p></p>\r\n";
        let html = chunk.repeat(5_000_000 / chunk.len() + 1);
        assert!(html.len() >= 5_000_000);
        let text = html_to_text(&html);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2 * (5_000_000 / chunk.len() + 1));
        assert!(lines
            .chunks(2)
            .all(|l| l == ["Sukunimi: Virtanen", "Etunimi: Matti & Maija"]));
    }

    #[test]
    fn pathological_quote_prefixes_are_capped() {
        let html = format!("{}{}", "<blockquote>".repeat(40), "x<br>".repeat(100_000));
        let text = html_to_text(&html);
        assert!(text.len() <= 2 * html.len() + OUTPUT_SLACK);
        assert!(text.starts_with(&format!("{}x\n", "> ".repeat(MAX_QUOTE_DEPTH))));
    }

    fn html_fragments() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "<p>",
            "</p>",
            "<p class=MsoNormal>",
            "<div>",
            "</div>",
            "<div class=\"gmail_quote\">",
            "<blockquote>",
            "</blockquote>",
            "<pre>",
            "</pre>",
            "<li>",
            "<td>",
            "<tr>",
            "<br>",
            "<br/>",
            "<!--",
            "-->",
            "<script>",
            "</script>",
            "<style>",
            "<head>",
            "</head>",
            "<body>",
            "<svg>",
            "</svg>",
            "<svg/>",
            "&amp;",
            "&#",
            "&#x",
            ";",
            "&",
            "<",
            ">",
            "/",
            "!",
            "-",
            "\"",
            "'",
            "=",
            " ",
            "\n",
            "\r",
            "\t",
            "x",
            "ä",
            "€",
            "😀",
            "\u{A0}",
            "\u{AD}",
            "&nbsp;",
            "<a title=\"",
            "<![if x]>",
            "<?",
            "</",
            "<o:p>",
            "123",
            "&auml",
            "\0",
        ]);
        prop::collection::vec(pieces, 0..120).prop_map(|v| v.concat())
    }

    fn check_invariants(html: &str) {
        let text = html_to_text(html);
        assert!(text.len() <= 2 * html.len() + OUTPUT_SLACK);
        assert!(!text.starts_with('\n') && !text.ends_with('\n'));
        for line in text.lines() {
            assert!(!line.ends_with([' ', '\t']), "{line:?} in {text:?}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            check_invariants(&s);
        }

        #[test]
        fn html_like_strings_never_panic(s in html_fragments()) {
            check_invariants(&s);
        }

        #[test]
        fn script_content_never_leaks(s in prop_oneof![any::<String>(), html_fragments()]) {
            prop_assume!(!s.to_ascii_lowercase().contains("</script"));
            let text = html_to_text(&format!("before<script>{s}</script>after"));
            prop_assert_eq!(text, "beforeafter");
        }
    }
}
