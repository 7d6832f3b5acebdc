//! What a form attachment holds once something outside the core has read it: form fields with
//! their names, tooltips, values and places, and the printed text with its positions. The core
//! never reads PDF (or DOCX) bytes itself: that is hostile-format parsing, done by a reader the
//! caller passes in (in-process or in a worker process with resource limits), so the core only
//! ever sees these plain values.

use serde::{Deserialize, Serialize};

/// A rectangle in page coordinates (PDF points, origin at the bottom left).
#[derive(Clone, Copy, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct Rect {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

/// A form field's value.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldValue {
    /// A text field; empty when the field was left blank.
    Text(String),
    /// A check box: ticked or not.
    Checked(bool),
    /// A radio group or choice list: the chosen option's export name (`None`: nothing chosen).
    Choice(Option<String>),
}

/// One form field (a terminal field of the form's field tree).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    /// Fully qualified name (`parent.child`).
    pub name: String,
    /// The alternate name (tooltip) the form's author gave the field.
    pub alternate: Option<String>,
    pub value: FieldValue,
    /// Index of the page its (first) widget is on, and the widget's rectangle.
    pub page: Option<usize>,
    pub rect: Option<Rect>,
    /// For a radio group: the chosen widget's rectangle (its printed option label is beside it).
    pub chosen_rect: Option<Rect>,
}

/// A piece of printed text at its place on a page.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct TextRun {
    pub page: usize,
    /// Start of the baseline, and where the text ends on it.
    pub x: f32,
    pub y: f32,
    pub end_x: f32,
    /// The text's height (font size times scale).
    pub size: f32,
    pub text: String,
}

/// Everything a readable attachment holds.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormContent {
    pub fields: Vec<FormField>,
    pub runs: Vec<TextRun>,
    /// Text already in reading order, for documents without positions (DOCX).
    pub text: String,
    /// Images drawn on the pages read: a page of images and no text is a scan.
    pub images: usize,
}

impl FormContent {
    /// A scan or photo: no text to read (images, or text drawn as shapes).
    pub fn is_image_only(&self) -> bool {
        self.text.trim().is_empty()
            && self.runs.iter().all(|r| r.text.trim().is_empty())
            && self
                .fields
                .iter()
                .all(|f| matches!(&f.value, FieldValue::Text(t) if t.trim().is_empty()))
    }
}

/// Why an attachment could not be read.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreadable {
    /// Needs a password we do not have.
    Encrypted,
    /// Not a document of its kind, or too damaged to read.
    Malformed,
    /// Exceeded a limit on objects, nesting, decompression or time: possibly hostile.
    LimitExceeded,
    /// Larger than the attachment size limit: not opened.
    TooLarge,
    /// The reader failed in a way it could not describe (a worker that crashed or was killed).
    ReaderFailed,
    /// No reader for this kind of attachment was configured.
    NoReader,
}

impl Unreadable {
    pub fn name(self) -> &'static str {
        match self {
            Unreadable::Encrypted => "encrypted",
            Unreadable::Malformed => "malformed",
            Unreadable::LimitExceeded => "limit_exceeded",
            Unreadable::TooLarge => "too_large",
            Unreadable::ReaderFailed => "reader_failed",
            Unreadable::NoReader => "no_reader",
        }
    }
}

/// The kinds of attachment a reader can open.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Pdf,
    Docx,
}

/// The outcome of reading one attachment.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum ReadOutcome {
    Read(FormContent),
    Unreadable(Unreadable),
}

/// Reads form attachments. Implemented outside the core (see `crate::attachment`).
pub trait DocumentReader: Send + Sync + std::panic::RefUnwindSafe {
    fn read(&self, kind: DocumentKind, bytes: &[u8]) -> ReadOutcome;
}

/// The reader for callers that read no attachments: every document is unread.
pub struct NoDocumentReader;

impl DocumentReader for NoDocumentReader {
    fn read(&self, _kind: DocumentKind, _bytes: &[u8]) -> ReadOutcome {
        ReadOutcome::Unreadable(Unreadable::NoReader)
    }
}
