//! A pick-up as one download: a ZIP archive (stored, not compressed: the bundles are
//! encrypted) of `REF.pgp` bundles and the same `index.csv` a pick-up directory gets. Built in
//! memory; a web pick-up is limited to a few dozen bundles.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::pickup::{index_row, INDEX, INDEX_HEADER};

pub struct PickupArchive {
    zip: ZipWriter<Cursor<Vec<u8>>>,
    index: String,
}

impl Default for PickupArchive {
    fn default() -> Self {
        PickupArchive {
            zip: ZipWriter::new(Cursor::new(Vec::new())),
            index: INDEX_HEADER.to_string(),
        }
    }
}

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .unix_permissions(0o600)
}

impl PickupArchive {
    /// Adds `REF.pgp` and its index row.
    pub fn add(&mut self, reference: &str, due_date: &str, sealed: &[u8]) -> std::io::Result<()> {
        self.zip
            .start_file(format!("{reference}.pgp"), options())
            .map_err(std::io::Error::other)?;
        self.zip.write_all(sealed)?;
        self.index.push_str(&index_row(reference, due_date));
        Ok(())
    }

    /// The archive's bytes, the index last.
    pub fn finish(mut self) -> std::io::Result<Vec<u8>> {
        self.zip
            .start_file(INDEX, options())
            .map_err(std::io::Error::other)?;
        self.zip.write_all(self.index.as_bytes())?;
        Ok(self
            .zip
            .finish()
            .map_err(std::io::Error::other)?
            .into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_archive_holds_each_bundle_and_the_index() {
        let mut archive = PickupArchive::default();
        archive.add("DR-2026-000001", "2026-12-16", b"one").unwrap();
        archive.add("DR-2026-000002", "2026-12-17", b"two").unwrap();
        let bytes = archive.finish().unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(zip.len(), 3);
        let mut text = String::new();
        zip.by_name("index.csv")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(
            text,
            "reference,due_date\nDR-2026-000001,2026-12-16\nDR-2026-000002,2026-12-17\n"
        );
        let mut two = Vec::new();
        zip.by_name("DR-2026-000002.pgp")
            .unwrap()
            .read_to_end(&mut two)
            .unwrap();
        assert_eq!(two, b"two");
    }
}
