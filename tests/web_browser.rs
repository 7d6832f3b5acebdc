//! The web interface in a real browser: Debian's headless Chromium, driven by playwright-core
//! (tests/browser/run.mjs), with axe-core for accessibility. This test sets the scene with the
//! helpers (a working directory with Helsinki's GnuPG certificate and a second organisation,
//! Espoo; accounts for a clerk, Helsinki and Espoo staff and an administrator; the dev corpus
//! and a corpus of hostile messages ingested), starts `datareq web`, runs the browser script,
//! and then checks on its own side what the browser did: the zip it downloaded holds bundles
//! that the city's key opens, and the requests it marked disclosed are disclosed.
//!
//! The hostile corpus puts XSS payloads in subjects, From names, bodies (plain, HTML-only,
//! quoted-printable, base64, CRLF), form fields, attachment file names and a 10 MB body; the
//! browser opens every one of their request pages as the clerk and asserts that nothing runs,
//! loads or navigates, and that each payload is shown as text.
//!
//! Needs /usr/bin/chromium and Node.js (with npm, for `npm ci` of tests/browser when its
//! node_modules is missing). Without them it prints a notice and passes, except under
//! CI=true, where it fails. Artefacts (screenshots, the zip, result.json) go to
//! target/browser-artifacts/.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use support::cli::{dev_corpus_files, ok};
use support::gpg::{city_key, open_bundle};
use support::web::{root, WebWork};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The browser script's own limit (it normally takes well under a minute).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(240);

/// Accounts: (name, role, organisation, password).
const ACCOUNTS: [(&str, &str, Option<&str>, &str); 4] = [
    ("clerk", "kela_clerk", None, "clerk-password-0123"),
    (
        "helsinki",
        "city_staff",
        Some("helsinki"),
        "helsinki-password-0123",
    ),
    ("espoo", "city_staff", Some("espoo"), "espoo-password-0123"),
    ("admin", "admin", None, "admin-password-0123"),
];

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Under CI a missing tool fails the test; elsewhere the test says so and passes.
fn unavailable(why: &str) {
    if under_ci() {
        panic!("web_browser: {why} (required under CI=true)");
    }
    eprintln!("web_browser: skipped: {why}");
}

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether tests/browser/node_modules holds exactly the versions of package-lock.json.
fn node_modules_current(dir: &Path) -> bool {
    let Ok(lock) = std::fs::read_to_string(dir.join("package-lock.json")) else {
        return false;
    };
    let lock: serde_json::Value = serde_json::from_str(&lock).expect("package-lock.json");
    let packages = lock["packages"].as_object().expect("lockfile v3 packages");
    packages
        .iter()
        .filter(|(path, _)| !path.is_empty())
        .all(|(path, entry)| {
            let installed = std::fs::read_to_string(dir.join(path).join("package.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
            installed.is_some_and(|p| p["version"] == entry["version"])
        })
}

/// Installs the browser script's packages (exact versions from the lock file) when needed.
fn npm_ci(dir: &Path) -> Result<(), String> {
    if node_modules_current(dir) {
        return Ok(());
    }
    eprintln!("web_browser: npm ci in {}", dir.display());
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !out.status.success() || !node_modules_current(dir) {
        return Err(format!(
            "npm ci failed in {}: {}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The hostile corpus.

/// One hostile message, and what its request page must show as text.
struct Hostile {
    id: String,
    raw: Vec<u8>,
    /// Texts the page's visible text must contain.
    expect: Vec<String>,
    /// Whether the page's text must hold no U+FFFD (no control characters were sent).
    clean: bool,
}

/// The payloads. Each one that could run sets `window.__xss` (or its parent's).
fn payloads() -> Vec<String> {
    [
        "<script>window.__xss=1</script>",
        "<ScRiPt>window.__xss=2</sCrIpT>",
        "<img src=x onerror=\"window.__xss=3\">",
        "<svg onload=\"window.__xss=4\">",
        "<svg><script>window.__xss=5</script></svg>",
        "<a href=\"javascript:window.__xss=6\">klikkaa</a>",
        "<iframe srcdoc=\"<script>parent.__xss=7</script>\"></iframe>",
        "\"><script>window.__xss=8</script>",
        "'><img src=x onerror=window.__xss=9>",
        "</textarea><script>window.__xss=10</script>",
        "</pre><script>window.__xss=11</script>",
        "</title><script>window.__xss=12</script>",
        "<style>body{background:url(\"javascript:window.__xss=13\")}</style>",
        "<div style=\"width:expression(window.__xss=14)\">leveä</div>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__xss=15\">",
        "<base href=\"http://evil.example/\">",
        "<form action=\"http://evil.example/steal\"><button>Lähetä</button></form>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTg8L3NjcmlwdD4=\">data</a>",
        "<object data=\"data:text/html,<script>window.__xss=19</script>\"></object>",
        "&lt;script&gt;window.__xss=20&lt;/script&gt;",
        "&#60;img src=x onerror=window.__xss=21&#62;",
        "<IMG SRC=JaVaScRiPt:window.__xss=22>",
        "<body onload=window.__xss=23>",
        "<details open ontoggle=window.__xss=24>",
        "<input autofocus onfocus=window.__xss=25>",
        "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=26>",
        "<!--<img src=\"--><img src=x onerror=window.__xss=27>\">",
        "<link rel=stylesheet href=http://evil.example/x.css>",
        "<embed src=\"javascript:window.__xss=29\">",
        "{{constructor.constructor('window.__xss=30')()}}",
        "<scr<script>ipt>window.__xss=31</scr</script>ipt>",
        "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+window.__xss=32//'>",
        "<video><source onerror=\"window.__xss=33\"></video>",
        "<isindex action=javascript:window.__xss=34 type=submit>",
        "<x contenteditable onfocus=window.__xss=35 autofocus>muokattava</x>",
        "<noscript><p title=\"</noscript><img src=x onerror=window.__xss=36>\">",
        "<a href=\"&#106;avascript:window.__xss=37\">linkki</a>",
        "<a href=\"jav&#x09;ascript:window.__xss=38\">linkki</a>",
        "%3Cscript%3Ewindow.__xss=39%3C/script%3E",
        "\\u003cscript\\u003ewindow.__xss=40\\u003c/script\\u003e",
        "＜script＞window.__xss=41＜/script＞",
        "<a href=\"//evil.example/\" target=_blank>protokollaton</a>",
        "<template><script>window.__xss=43</script></template><xmp><script>window.__xss=43</script></xmp>",
        "' onmouseover='window.__xss=44' x='",
        "\" autofocus onfocus=\"window.__xss=45\" x=\"",
        "<plaintext><script>window.__xss=46</script>",
    ]
    .into_iter()
    .map(str::to_string)
    .collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// RFC 2047 encoded words (UTF-8, base64), short enough for a header line each.
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 42 {
            words.push(format!("=?UTF-8?B?{}?=", b64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", b64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// RFC 2231 (percent-encoded UTF-8) for a parameter value.
fn rfc2231(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What the request page shows for `text`: the interface's own rule.
fn shown(text: &str) -> String {
    datareq::request::display::visible(text)
}

/// A valid personal identity code of its own for hostile message `n` (`k` = 0 or 1), born
/// 1 January 1990, so that no two requests look like duplicates of each other.
fn personal_id(n: usize, k: usize) -> String {
    let individual = 100 + 2 * n + k;
    let number: u64 = format!("010190{individual:03}").parse().unwrap();
    let check = "0123456789ABCDEFHJKLMNPRSTUVWXY".as_bytes()[(number % 31) as usize] as char;
    format!("010190-{individual:03}{check}")
}

/// The form lines of request `n` whose surname and requested information are `payload`;
/// `review` adds a second identity code (the request goes to a clerk), otherwise the phone
/// and address are left out (the request is incomplete).
fn form_lines(n: usize, payload: &str, review: bool) -> String {
    let mut body = format!(
        "Sukunimi: {payload}\n\
         Etunimet: Matti\n\
         Henkilötunnus: {}\n\
         Pyydetyt tiedot: {payload}\n\
         Palveluntuottaja: Vastaamo Oy\n\
         Hoitovuodet: 2018-2020\n",
        personal_id(n, 0)
    );
    if review {
        body.push_str(&format!(
            "Puhelinnumero: 040 123 4567\n\
             Lähiosoite: Testikatu 1\n\
             Postinumero: 00100\n\
             Postitoimipaikka: Helsinki\n\n\
             PS. Henkilötunnukseni on {}.\n",
            personal_id(n, 1)
        ));
    }
    body
}

/// A subject header's value: as it is when ASCII, else encoded words.
fn subject(text: &str) -> String {
    if text.is_ascii() {
        text.to_string()
    } else {
        encoded_words(text)
    }
}

fn headers(n: usize, from_name: &str, subject_line: &str) -> String {
    format!(
        "From: {} <xss{n}@example.invalid>\n\
         To: Kela <toimintansa.lopettaneet@kela.example>\n\
         Subject: {subject_line}\n\
         Date: Tue, 01 Dec 2026 10:{:02}:00 +0200\n\
         Message-ID: <xss-{n}@example.invalid>\n\
         MIME-Version: 1.0\n",
        encoded_words(from_name),
        n % 60
    )
}

/// The corpus: one message per payload (the payload in the From name, the subject, a body
/// line and two form fields, every third also as an attachment's file name; alternately in
/// review and incomplete), then messages of particular shapes.
fn hostile_corpus() -> Vec<Hostile> {
    let mut corpus = Vec::new();
    for (i, payload) in payloads().iter().enumerate() {
        let n = i + 1;
        let review = i % 2 == 0;
        let subject = format!("Tietopyyntö {payload}");
        // Plain ASCII subjects are sent raw half of the time, the rest as encoded words.
        let subject_line = if payload.is_ascii() && i % 4 == 1 {
            format!("Tietopyynto {payload}")
        } else {
            encoded_words(&subject)
        };
        let mut expect = vec![shown(payload)];
        expect.push(if subject_line.starts_with("Tietopyynto") {
            shown(&subject_line)
        } else {
            shown(&subject)
        });
        let text = format!(
            "Hyvä vastaanottaja,\n\n{payload}\n\n{}\nTerveisin\nMatti\n",
            form_lines(n, payload, review)
        );
        let mut raw = headers(n, payload, &subject_line);
        if i % 3 == 0 {
            let file = format!("{payload}.txt");
            expect.push(shown(&file));
            raw.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{n}\"\n\n\
                 --b{n}\n\
                 Content-Type: text/plain; charset=UTF-8\n\
                 Content-Transfer-Encoding: 8bit\n\n\
                 {text}\n\
                 --b{n}\n\
                 Content-Type: text/plain; charset=UTF-8\n\
                 Content-Disposition: attachment; filename*=UTF-8''{}\n\
                 Content-Transfer-Encoding: 8bit\n\n\
                 liite {n}\n\
                 --b{n}--\n",
                rfc2231(&file)
            ));
        } else {
            raw.push_str(&format!(
                "Content-Type: text/plain; charset=UTF-8\n\
                 Content-Transfer-Encoding: 8bit\n\n{text}"
            ));
        }
        corpus.push(Hostile {
            id: format!("payload-{n:02}"),
            raw: raw.into_bytes(),
            expect,
            clean: true,
        });
    }
    let mut n = 100;
    let mut special = |id: &str, raw: String, expect: &[&str], clean: bool| {
        n += 1;
        let raw = raw.replace("{N}", &n.to_string());
        corpus.push(Hostile {
            id: id.to_string(),
            raw: raw.into_bytes(),
            expect: expect.iter().map(|e| e.to_string()).collect(),
            clean,
        });
    };
    // HTML-only mail: the HTML is made text; nothing of it may become markup.
    special(
        "html-only",
        headers(101, "HTML <b>lähettäjä</b>", &subject("HTML-viesti"))
            + "Content-Type: text/html; charset=UTF-8\n\n\
               <html><head><meta http-equiv=\"refresh\" content=\"0;url=http://evil.example/\">\
               <base href=\"http://evil.example/\"><script>window.__xss=101</script>\
               <style>body{background:url(http://evil.example/x.png)}</style></head>\
               <body onload=\"window.__xss=102\"><p>HTML-VIESTI ALKAA</p>\
               <img src=\"http://evil.example/pixel.png\" onerror=\"window.__xss=103\">\
               <iframe srcdoc=\"&lt;script&gt;parent.__xss=104&lt;/script&gt;\"></iframe>\
               <p>Sukunimi: Virtanen</p><p><a href=\"javascript:window.__xss=105\">linkki</a></p>\
               <form action=\"http://evil.example/\"><input name=q></form>\
               <p>HTML-VIESTI PÄÄTTYY</p></body></html>\n",
        &["HTML-VIESTI ALKAA", "HTML-VIESTI PÄÄTTYY"],
        true,
    );
    // HTML whose text, once decoded, is markup: it must stay text.
    special(
        "html-entities",
        headers(102, "Entity", &subject("HTML-entiteetit"))
            + "Content-Type: text/html; charset=UTF-8\n\n\
               <p>&lt;script&gt;window.__xss=106&lt;/script&gt;</p>\
               <p>&lt;img src=x onerror=window.__xss=107&gt;</p>\n",
        &[
            "<script>window.__xss=106</script>",
            "<img src=x onerror=window.__xss=107>",
        ],
        true,
    );
    // Plain and HTML alternatives: the plain text is shown, the HTML never.
    special(
        "alternative",
        headers(103, "Vaihtoehto", &subject("Vaihtoehtoiset osat"))
            + "Content-Type: multipart/alternative; boundary=\"alt{N}\"\n\n\
               --alt{N}\n\
               Content-Type: text/plain; charset=UTF-8\n\n\
               PELKKÄ TEKSTI <script>window.__xss=108</script>\n\
               --alt{N}\n\
               Content-Type: text/html; charset=UTF-8\n\n\
               <p>HTML-OSA</p><script>window.__xss=109</script><img src=x onerror=window.__xss=110>\n\
               --alt{N}--\n",
        &["PELKKÄ TEKSTI <script>window.__xss=108</script>"],
        true,
    );
    // Quoted-printable and base64 bodies decode to markup.
    special(
        "quoted-printable",
        headers(104, "QP", "Quoted-printable")
            + "Content-Type: text/plain; charset=UTF-8\n\
               Content-Transfer-Encoding: quoted-printable\n\n\
               Sukunimi: =3Cscript=3Ewindow.__xss=3D111=3C/script=3E\n\
               =3Cimg src=3Dx onerror=3D\"window.__xss=3D112\"=3E\n",
        &[
            "Sukunimi: <script>window.__xss=111</script>",
            "<img src=x onerror=\"window.__xss=112\">",
        ],
        true,
    );
    let encoded = b64("Pyydetyt tiedot: <svg onload=window.__xss=113>\n\
                       <iframe src=\"javascript:window.__xss=114\"></iframe>\n"
        .as_bytes());
    special(
        "base64",
        headers(105, "B64", "Base64")
            + "Content-Type: text/plain; charset=UTF-8\n\
               Content-Transfer-Encoding: base64\n\n"
            + &encoded
            + "\n",
        &[
            "Pyydetyt tiedot: <svg onload=window.__xss=113>",
            "<iframe src=\"javascript:window.__xss=114\"></iframe>",
        ],
        true,
    );
    // Lines ending in CRLF, as mail travels: no stray characters at the line ends.
    special(
        "crlf",
        (headers(106, "CRLF", &subject("CRLF-rivit"))
            + "Content-Type: text/plain; charset=UTF-8\n\n\
               Sukunimi: <b>Rivinvaihto</b>\n\
               Etunimet: <i>Matti</i>\n")
            .replace('\n', "\r\n"),
        &["Sukunimi: <b>Rivinvaihto</b>", "Etunimet: <i>Matti</i>"],
        true,
    );
    // Right-to-left override and look-alike letters: shown, marked, never obeyed.
    special(
        "rtl-override",
        headers(
            107,
            "Virtanen\u{202e}fdp.exe",
            &subject("RLO \u{202e}txt.exe"),
        ) + "Content-Type: text/plain; charset=UTF-8\n\n\
               Sukunimi: Virtanen\u{202e}nenatriV\n\
               Etunimet: Matti\u{2066}\u{200f}Ilmari\n\
               Henkilötunnus: 160897-6315\n",
        &[
            "Virtanen\u{fffd}nenatriV",
            "Matti\u{fffd}\u{fffd}Ilmari",
            "RLO \u{fffd}txt.exe",
        ],
        false,
    );
    special(
        "homoglyph",
        headers(108, "Mаtti Virtаnen", &subject("Homoglyfit"))
            + "Content-Type: text/plain; charset=UTF-8\n\n\
               Sukunimi: Virtаnen\n\
               Etunimet: Mаtti\n\
               Henkilötunnus: 160897-6315\n\
               Pyydetyt tiedot: kaikki\n\
               Palveluntuottaja: Vastaamo Oy\n\
               Hoitovuodet: 2018\n\
               Puhelinnumero: 040 123 4567\n\
               Lähiosoite: Testikatu 1\n\
               Postinumero: 00100\n\
               Postitoimipaikka: Helsinki\n\n\
               PS. Henkilötunnukseni on 110800A2642.\n",
        &[
            "Sukunimi: Virtаnen",
            "Etunimet: Mаtti",
            "Virtаnen (sekoittaa kirjaimistoja – tarkista)",
        ],
        true,
    );
    // Terminal escapes and NUL: shown as replacement characters.
    special(
        "control-characters",
        headers(109, "Esc\u{1b}[31m", &subject("Ohjausmerkit"))
            + "Content-Type: text/plain; charset=UTF-8\n\n\
               Sukunimi: Vir\u{1b}[31mtanen\u{7}\u{0}<script>window.__xss=115</script>\n",
        &["Vir\u{fffd}[31mtanen\u{fffd}\u{fffd}<script>window.__xss=115</script>"],
        false,
    );
    // Attachments: an HTML file (downloaded only), a name with a path and quotes, a
    // content type with markup.
    special(
        "attachments",
        headers(110, "Liitteet", &subject("Liitteitä"))
            + "Content-Type: multipart/mixed; boundary=\"m{N}\"\n\n\
               --m{N}\n\
               Content-Type: text/plain; charset=UTF-8\n\n\
               Liitteenä lomake.\n\
               --m{N}\n\
               Content-Type: text/html; charset=UTF-8\n\
               Content-Disposition: attachment; filename=\"lomake.html\"\n\n\
               <script>window.__xss=116</script>\n\
               --m{N}\n\
               Content-Type: application/octet-stream\n\
               Content-Disposition: attachment; filename=\"../../etc/passwd\\\"><img src=x onerror=window.__xss=117>.pdf\"\n\
               Content-Transfer-Encoding: base64\n\n\
               JVBERi0xLjQK\n\
               --m{N}\n\
               Content-Type: image/svg+xml\n\
               Content-Disposition: attachment; filename=\"kuva.svg\"\n\n\
               <svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"window.__xss=118\"/>\n\
               --m{N}--\n",
        &[
            "Liitteenä lomake.",
            "lomake.html",
            "kuva.svg",
            "text/html",
            "../../etc/passwd\"><img src=x onerror=window.__xss=117>.pdf",
        ],
        true,
    );
    // A forwarded message with markup inside.
    special(
        "forwarded",
        headers(111, "Välittäjä", &subject("VL: Tietopyyntö"))
            + "Content-Type: multipart/mixed; boundary=\"f{N}\"\n\n\
               --f{N}\n\
               Content-Type: text/plain; charset=UTF-8\n\n\
               Välitän viestin. <script>window.__xss=119</script>\n\
               --f{N}\n\
               Content-Type: message/rfc822\n\n\
               From: =?UTF-8?B?PHNjcmlwdD53aW5kb3cuX194c3M9MTIwPC9zY3JpcHQ+?= <x@example.invalid>\n\
               Subject: <img src=x onerror=window.__xss=121>\n\
               Content-Type: text/html; charset=UTF-8\n\n\
               <p>Sukunimi: <b onmouseover=\"window.__xss=122\">Virtanen</b></p>\n\
               --f{N}--\n",
        &["Välitän viestin. <script>window.__xss=119</script>"],
        true,
    );
    // A 10 MB body: the start is shown (payload included), the rest only downloaded.
    let mut big = headers(
        112,
        "<script>window.__xss=123</script>",
        &subject("Iso viesti"),
    ) + "Content-Type: text/plain; charset=UTF-8\n\n\
           Sukunimi: <script>window.__xss=124</script>\n\
           <img src=x onerror=window.__xss=125>\n";
    let line = "Täytettä täytettä täytettä <b>ei merkintää</b> täytettä täytettä.\n";
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(line);
    }
    special(
        "ten-megabytes",
        big,
        &[
            "Sukunimi: <script>window.__xss=124</script>",
            "<img src=x onerror=window.__xss=125>",
            "Viesti on lyhennetty.",
        ],
        true,
    );
    corpus
}

// ---------------------------------------------------------------------------------------

/// `datareq ingest FILES` (not quiet): file → (reference, state); a follow-up names the
/// request it joined.
fn ingest(work: &WebWork, files: &[String]) -> BTreeMap<String, (String, String)> {
    let mut args = vec!["ingest"];
    args.extend(files.iter().map(String::as_str));
    let out = ok(work.datareq("tester", &args));
    out.lines()
        .filter_map(|l| {
            let (file, rest) = l.rsplit_once(": ")?;
            let rest = rest.strip_prefix("follow-up to ").unwrap_or(rest);
            let mut words = rest.split_whitespace();
            let reference = words.next()?.to_string();
            let state = words.next()?.trim_end_matches(',').to_string();
            Some((file.to_string(), (reference, state)))
        })
        .collect()
}

fn states(work: &WebWork) -> BTreeMap<String, String> {
    work.states()
}

fn show(work: &WebWork, reference: &str) -> serde_json::Value {
    serde_json::from_str(&ok(
        work.datareq("tester", &["requests", "show", reference, "--json"])
    ))
    .unwrap()
}

/// Runs `command`, its output collected, stopping it after `limit`.
fn run_with_limit(mut command: Command, limit: Duration) -> (bool, String, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, mut err) = (out.join().unwrap(), err.join().unwrap());
    if status.is_none() {
        err.push_str(&format!("\n(stopped after {} s)", limit.as_secs()));
    }
    (status.is_some_and(|s| s.success()), out, err)
}

#[test]
fn the_web_interface_in_a_real_browser() {
    if !Path::new(CHROMIUM).exists() {
        return unavailable(&format!("{CHROMIUM} not found (apt-get install chromium)"));
    }
    if !runs("node", "--version") {
        return unavailable("node not found (Node.js 20 or later)");
    }
    let browser_dir = root().join("tests/browser");
    if let Err(why) = npm_ci(&browser_dir) {
        return unavailable(&why);
    }
    let started = Instant::now();

    // The scene: Helsinki with the city's certificate, Espoo beside it, four accounts.
    let key = city_key();
    let cert = format!("certificates = [\"{}\"]", key.cert.display());
    let work = WebWork::new(
        &[("certificates = []", &cert)],
        "\n[organisations.espoo]\nname = \"City of Espoo\"\n",
    );
    ok(work.datareq("tester", &["check-config"]));
    for (name, role, org, password) in ACCOUNTS {
        work.add_user(name, role, org, password);
    }

    // The dev corpus, then the hostile corpus (as files in the artefact directory).
    let artifacts = root().join("target/browser-artifacts");
    let _ = std::fs::remove_dir_all(&artifacts);
    std::fs::create_dir_all(artifacts.join("hostile")).unwrap();
    let dev = ingest(&work, &dev_corpus_files());
    assert_eq!(dev.len(), 300, "every dev corpus message is stored");
    let corpus = hostile_corpus();
    let files: Vec<String> = corpus
        .iter()
        .map(|h| {
            let path = artifacts.join("hostile").join(format!("{}.eml", h.id));
            std::fs::write(&path, &h.raw).unwrap();
            path.to_string_lossy().into_owned()
        })
        .collect();
    let hostile = ingest(&work, &files);
    let distinct: BTreeSet<&String> = hostile.values().map(|(r, _)| r).collect();
    assert_eq!(
        distinct.len(),
        corpus.len(),
        "each hostile message is a request of its own"
    );
    let mut xss = Vec::new();
    for (h, file) in corpus.iter().zip(&files) {
        let (reference, state) = hostile
            .get(file)
            .unwrap_or_else(|| panic!("{} was stored as a request of its own", h.id));
        xss.push(serde_json::json!({
            "id": h.id,
            "reference": reference,
            "state": state,
            "expect": h.expect,
            "clean": h.clean,
        }));
    }
    let hostile_states: BTreeMap<&str, usize> =
        hostile.values().fold(BTreeMap::new(), |mut m, (_, s)| {
            *m.entry(s.as_str()).or_default() += 1;
            m
        });
    println!(
        "hostile corpus: {} messages ({} payloads), states {hostile_states:?}",
        corpus.len(),
        payloads().len()
    );

    // Requests for the clerk's forms: one in review that lacks nothing (corrected, then
    // queued), one that lacks something (returned to the citizen).
    let before = states(&work);
    let mut to_queue = None;
    let mut to_return = None;
    let dev_refs: BTreeSet<&String> = dev.values().map(|(r, _)| r).collect();
    for reference in dev_refs.iter().filter(|r| before[**r] == "needs_review") {
        if to_queue.is_some() && to_return.is_some() {
            break;
        }
        let shown = show(&work, reference);
        let lacks = !shown["missing"].as_array().unwrap().is_empty()
            || !shown["invalid"].as_array().unwrap().is_empty();
        let reasons = shown["review_reasons"].as_array().unwrap();
        let conflicting = reasons.iter().any(|r| r == "conflicting_personal_ids");
        if !lacks && conflicting && to_queue.is_none() {
            to_queue = Some(((*reference).clone(), shown["fields"]["personal_id"].clone()));
        } else if lacks && to_return.is_none() {
            to_return = Some((*reference).clone());
        }
    }
    let (to_queue, queue_id) = to_queue.expect("a request in review that lacks nothing");
    let to_return = to_return.expect("a request in review that lacks something");
    let helsinki_refs: Vec<&String> = before
        .iter()
        .filter(|(_, s)| *s == "queued")
        .map(|(r, _)| r)
        .collect();

    let server = work.start();
    let base = format!("http://{}", server.addr);
    let accounts: serde_json::Map<String, serde_json::Value> = ACCOUNTS
        .iter()
        .map(|(name, _, _, password)| {
            (
                name.to_string(),
                serde_json::json!({ "name": name, "password": password }),
            )
        })
        .collect();
    let refs = serde_json::json!({
        "to_queue": to_queue,
        "to_queue_personal_id": queue_id,
        "to_return": to_return,
        "helsinki_queued": helsinki_refs,
        "all": before.keys().collect::<Vec<_>>(),
    });
    let inputs = serde_json::json!({
        "DATAREQ_BASE_URL": base,
        "DATAREQ_ARTIFACTS": artifacts,
        "DATAREQ_ACCOUNTS": serde_json::Value::Object(accounts),
        "DATAREQ_REFS": refs,
        "DATAREQ_XSS": xss,
    });
    // For running the script again by hand against a server of one's own.
    std::fs::write(
        artifacts.join("inputs.json"),
        serde_json::to_string_pretty(&inputs).unwrap(),
    )
    .unwrap();
    let mut node = Command::new("node");
    node.arg(browser_dir.join("run.mjs"))
        .current_dir(&browser_dir)
        .env("DATAREQ_CHROMIUM", CHROMIUM);
    for (name, value) in inputs.as_object().unwrap() {
        match value {
            serde_json::Value::String(s) => node.env(name, s),
            other => node.env(name, other.to_string()),
        };
    }
    let node_started = Instant::now();
    let (success, stdout, stderr) = run_with_limit(node, BROWSER_TIMEOUT);
    let browser_time = node_started.elapsed();
    println!("{stdout}");
    if !stderr.is_empty() {
        println!("--- stderr of run.mjs ---\n{stderr}");
    }
    assert!(
        success,
        "the browser tests failed (output above; artefacts in {}); web log:\n{}",
        artifacts.display(),
        server.log_text()
    );

    // What the browser did, seen from here.
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(artifacts.join("result.json")).unwrap())
            .unwrap();
    let list = |key: &str| -> BTreeSet<String> {
        result[key]
            .as_array()
            .unwrap_or_else(|| panic!("result.json has {key}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let picked = list("picked");
    let disclosed = list("disclosed");
    assert!(!picked.is_empty() && !disclosed.is_empty());
    assert!(disclosed.is_subset(&picked));

    // The downloaded zip: a bundle per picked request, each opened by the city's key.
    let zip_path = PathBuf::from(result["zip"].as_str().unwrap());
    let bytes = std::fs::read(&zip_path).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut bundled = BTreeSet::new();
    let opened = tempfile::tempdir().unwrap();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        if name == "index.csv" {
            let index = String::from_utf8(content).unwrap();
            for reference in &picked {
                assert!(
                    index.contains(reference.as_str()),
                    "index.csv lists {reference}"
                );
            }
            continue;
        }
        let reference = name
            .strip_suffix(".pgp")
            .unwrap_or_else(|| panic!("unexpected file {name} in the zip"))
            .to_string();
        let sealed = opened.path().join(&name);
        std::fs::write(&sealed, &content).unwrap();
        open_bundle(&key, &sealed, &reference);
        bundled.insert(reference);
    }
    assert_eq!(bundled, picked, "the zip holds exactly the picked requests");

    // States after the browser's work.
    let after = states(&work);
    for reference in &picked {
        let expected = if disclosed.contains(reference) {
            "disclosed"
        } else {
            "picked_up"
        };
        assert_eq!(after[reference], expected, "{reference}");
    }
    if !picked.contains(&to_queue) {
        // (Else Helsinki picked it up after the clerk queued it: checked above.)
        assert_eq!(after[&to_queue], "queued", "the clerk queued {to_queue}");
    }
    assert_eq!(
        after[&to_return], "incomplete",
        "the clerk returned {to_return} to the citizen"
    );
    let changed: Vec<&String> = before
        .iter()
        .filter(|(r, s)| after.get(*r) != Some(s))
        .map(|(r, _)| r)
        .filter(|r| !picked.contains(*r) && **r != to_queue && **r != to_return)
        .collect();
    assert!(
        changed.is_empty(),
        "nothing else changed state: {changed:?}"
    );
    let log = server.log_text();
    assert!(!log.contains("ERROR"), "the server logged no error: {log}");
    drop(server);
    println!(
        "web_browser: ok in {:.1} s (browser part {:.1} s); zip {} with {} bundles opened by \
         the city's key; {} marked disclosed",
        started.elapsed().as_secs_f64(),
        browser_time.as_secs_f64(),
        zip_path.display(),
        bundled.len(),
        disclosed.len()
    );
}
