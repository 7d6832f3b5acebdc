//! DOCX forms: not read yet (the text of `word/document.xml` is the next step).

use super::Limits;
use crate::request::attachment::{FormContent, Unreadable};

pub fn read(_bytes: &[u8], _limits: &Limits) -> Result<FormContent, Unreadable> {
    Err(Unreadable::NoReader)
}
