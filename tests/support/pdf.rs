//! Builds small PDFs by hand (objects, a cross-reference table or stream, a trailer) for tests
//! that need files no real producer would write: bombs, cycles, absurd sizes.

use std::io::Write;

/// Objects by number; object 1 is the catalog.
#[derive(Default)]
pub struct PdfBuilder {
    objects: Vec<(u32, Vec<u8>)>,
}

impl PdfBuilder {
    pub fn object(&mut self, number: u32, body: impl AsRef<[u8]>) -> &mut Self {
        self.objects.push((number, body.as_ref().to_vec()));
        self
    }

    /// A stream object with the given dictionary entries (without /Length) and data.
    pub fn stream(&mut self, number: u32, dict: &str, data: &[u8]) -> &mut Self {
        let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object(number, body)
    }

    /// The file with a classic cross-reference table.
    pub fn build(&self) -> Vec<u8> {
        let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::new();
        for (n, body) in &self.objects {
            offsets.push((*n, out.len()));
            out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let size = self.objects.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1;
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {size}\n0000000000 65535 f \n").as_bytes());
        for n in 1..size {
            match offsets.iter().find(|(m, _)| *m == n) {
                Some((_, off)) => out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes()),
                None => out.extend_from_slice(b"0000000000 65535 f \n"),
            }
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n")
                .as_bytes(),
        );
        out
    }
}

/// zlib-compresses `data`.
pub fn flate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("compress");
    e.finish().expect("compress")
}

/// `size` zero bytes, compressed twice: a stream of a few kilobytes that inflates to `size`.
pub fn zero_bomb(size: usize) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        e.write_all(&chunk[..n]).expect("compress");
        left -= n;
    }
    flate(&e.finish().expect("compress"))
}

/// A mail whose body is a whole, valid request, with `pdf` attached: any review reason the
/// parse gives comes from the attachment.
pub fn request_with_pdf(pdf: &[u8]) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut b64 = String::new();
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (i, chunk) in pdf.chunks(3).enumerate() {
        let n =
            chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for k in 0..4 {
            if k <= chunk.len() {
                b64.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
        if i % 19 == 18 {
            b64.push_str("\r\n");
        }
    }
    let mut m = String::new();
    write!(
        m,
        "From: Aino Nieminen <aino@posti.example>\r\nTo: kirjaamo@kela.example\r\n\
         Subject: Tietopyynto\r\nDate: Mon, 1 Jun 2026 10:00:00 +0300\r\n\
         Message-ID: <hostile-pdf@posti.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         Pyydän kaikki potilasasiakirjani Vastaamosta vuosilta 2016-2018.\r\n\r\n\
         Sukunimi: Nieminen\r\nEtunimet: Aino Maria\r\nHenkilötunnus: 140386-242E\r\n\
         Puhelin: 040 123 4567\r\nOsoite: Rantakatu 4 B 12, 90100 Oulu\r\n\r\n\
         --B\r\nContent-Type: application/pdf; name=\"lomake.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"lomake.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--B--\r\n"
    )
    .expect("write");
    m.into_bytes()
}
