//! The pure core: the request model, the personal identity code, extraction from a message's
//! bytes, validation and the decision. No tokio, no sqlx, no network, no filesystem: bytes in,
//! values out (a test in `tests/core_purity.rs` enforces it).

pub mod attachment;
pub mod calendar;
pub mod clean;
pub mod decision;
pub mod display;
pub mod edit;
pub mod extract;
pub mod follow_up;
pub mod html_text;
pub mod language;
pub mod lifecycle;
pub mod message;
pub mod model;
pub mod parse;
pub mod personal_id;
pub mod reference;
pub mod rules;
pub mod sender_auth;
pub mod vocab;

pub use model::{Field, ParsedRequest, ReviewReason, Status};
pub use parse::{parse_message, RequestParser};
pub use rules::Rules;
