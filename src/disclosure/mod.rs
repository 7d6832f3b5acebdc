//! What the disclosing organisation receives: one OpenPGP-encrypted bundle per request
//! (`bundle`), written into a pick-up directory with a plain index of references and due
//! dates (`pickup`), or into one ZIP archive for a download (`archive`).

pub mod archive;
pub mod bundle;
pub mod pickup;
