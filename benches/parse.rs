//! Benchmarks of the pure core: raw message bytes in, a decided request out.
//!
//! * `dev_corpus_text_message`: one message per iteration, cycling through every `free_text` and
//!   `text_form` message of the shared dev corpus (`../shared/corpus/dev`), so the figure is the
//!   time for one typical message.
//! * `body_size/{5,50,500}KB`: one synthetic Finnish request whose body is padded with prose to
//!   the given size, with byte throughput, to show that the time grows linearly with the size.
//! * `dev_corpus_pdf_form_message`: the same for the `pdf_form` messages (a fillable PDF of
//!   about 10 KB each), read in-process; `…_worker` reads each PDF in a worker process, as the
//!   CLI and the daemon do, so the difference is the cost of a process per PDF.
//! * `parse_message_one_call`: `parse_message` on one corpus message, which also builds the
//!   rules' matchers; the difference from the first figure is what building them costs.
//!
//! The first two use a [`RequestParser`] built once, outside the timed loop, as the daemon and
//! `datareq parse` do: `parse_message` rebuilds the matchers on every call, and that fixed cost
//! would hide both the per-message time and the growth with size.
//!
//! Files are read before the timed loops; nothing here touches the network. Under `cargo test
//! --all-targets` criterion runs each benchmark once, as a smoke test. `bench/parse.sh` runs the
//! benchmarks and prints the medians.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use datareq::attachment::{InProcessReader, Limits};
use datareq::request::{parse_message, RequestParser, Rules};
use datareq::worker::{WorkerLimits, WorkerReader};

/// The year the treatment years are bounded by; fixed so the figures are comparable over time.
const CURRENT_YEAR: i32 = 2026;

/// The shared dev corpus, beside this repository.
fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/dev")
}

/// Every dev-corpus message whose expected `source` is one of `sources`, sorted by file name.
fn corpus_messages(sources: &[&str]) -> Vec<Vec<u8>> {
    let dir = corpus_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "cannot read the dev corpus at {}: {e} (the shared repository must sit beside this one)",
            dir.display()
        )
    });
    let mut expected: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".expected.json"))
        })
        .collect();
    expected.sort();
    let mut messages = Vec::new();
    for path in expected {
        let json =
            std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let value: serde_json::Value = serde_json::from_slice(&json)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        let source = value.get("source").and_then(|s| s.as_str());
        if !source.is_some_and(|s| sources.contains(&s)) {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".expected.json"))
            .expect("name ends with .expected.json");
        let eml = path.with_file_name(format!("{name}.eml"));
        messages.push(
            std::fs::read(&eml).unwrap_or_else(|e| panic!("cannot read {}: {e}", eml.display())),
        );
    }
    assert!(
        !messages.is_empty(),
        "no {sources:?} messages in {}",
        dir.display()
    );
    messages
}

fn dev_corpus(c: &mut Criterion) {
    let messages = corpus_messages(&["free_text", "text_form"]);
    let parser = RequestParser::new(Rules::default());
    let mut next = 0;
    c.bench_function("dev_corpus_text_message", |b| {
        b.iter(|| {
            let raw = &messages[next];
            next = (next + 1) % messages.len();
            black_box(parser.parse(black_box(raw), CURRENT_YEAR))
        })
    });
    let rules = Rules::default();
    let first = &messages[0];
    c.bench_function("parse_message_one_call", |b| {
        b.iter(|| black_box(parse_message(black_box(first), &rules, CURRENT_YEAR)))
    });
}

/// `pdf_form` messages (a fillable PDF of about 10 KB attached): read in-process, which is the
/// cost of the reader and the core; and through the worker process the CLI and the daemon use,
/// which adds a process start per PDF.
fn dev_corpus_pdf(c: &mut Criterion) {
    let messages = corpus_messages(&["pdf_form"]);
    let in_process =
        RequestParser::with_reader(Rules::default(), Box::new(InProcessReader::default()));
    let mut next = 0;
    c.bench_function("dev_corpus_pdf_form_message", |b| {
        b.iter(|| {
            let raw = &messages[next];
            next = (next + 1) % messages.len();
            black_box(in_process.parse(black_box(raw), CURRENT_YEAR))
        })
    });
    let worker = WorkerReader::new(
        PathBuf::from(env!("CARGO_BIN_EXE_datareq")),
        Limits::default(),
        WorkerLimits::default(),
    );
    let by_worker = RequestParser::with_reader(Rules::default(), Box::new(worker));
    c.bench_function("dev_corpus_pdf_form_message_worker", |b| {
        b.iter(|| {
            let raw = &messages[next];
            next = (next + 1) % messages.len();
            black_box(by_worker.parse(black_box(raw), CURRENT_YEAR))
        })
    });
}

/// The headers and the request itself; the padding goes between the request and the signature,
/// where people write their story.
const HEAD: &str = "\
Return-Path: <maija.meikalainen@posti.example>
Received: from mail.posti.example (mail.posti.example [198.51.100.23])
\tby mx1.kela.example (Postfix) with ESMTPS id 4Xq7Lm2Tz1
\tfor <kirjaamo@kela.example>; Tue, 17 Nov 2026 09:42:17 +0200
Message-ID: <bench-body-size@posti.example>
Date: Tue, 17 Nov 2026 09:42:05 +0200
MIME-Version: 1.0
From: Maija Meikäläinen <maija.meikalainen@posti.example>
To: kirjaamo@kela.example
Subject: =?UTF-8?Q?Tietopyynt=C3=B6?=
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hyvä vastaanottaja,

pyydän saada kaikki minua koskevat potilasasiakirjat Psykoterapiakeskus
Vastaamosta, jossa kävin terapiassa vuosina 2017–2019.

Nimeni on Maija Kaarina Meikäläinen ja henkilötunnukseni on 040378-912J.
Puhelinnumeroni on 040 123 4567. Osoitteeni on Esimerkkikatu 7 B 12,
00530 Helsinki.

";

const SIGNATURE: &str = "\
Ystävällisin terveisin
Maija Meikäläinen
";

/// Prose without names, numbers or dates, so the padding adds text but no fields.
const PROSE: [&str; 6] = [
    "Kerron vielä hieman taustaa. Hakeuduin aikanaan terapiaan, koska työ ja\n\
     arki tuntuivat raskailta, ja sain siitä paljon apua. Olen kuitenkin\n\
     huolissani siitä, mitä tietoja minusta on kirjattu ja kenen käsissä ne\n\
     nyt ovat.\n\n",
    "Tietomurrosta kuultuani en ole saanut kunnolla nukuttua. Haluaisin lukea\n\
     itse, mitä käynneistäni on kirjoitettu, jotta voin arvioida, mitä\n\
     mahdollisesti on päätynyt vääriin käsiin.\n\n",
    "Ymmärrän, että asiakirjojen toimittaminen voi kestää jonkin aikaa, enkä\n\
     odota vastausta heti. Toivon kuitenkin, että saan tiedon siitä, missä\n\
     vaiheessa pyyntöni käsittely on.\n\n",
    "Jos pyynnöstäni puuttuu jotakin, kertokaa siitä mieluiten sähköpostitse.\n\
     Voin tarvittaessa täydentää tietoja tai käydä tunnistautumassa\n\
     palvelupisteessä.\n\n",
    "Olen aiemmin yrittänyt selvittää asiaa muualta, mutta minut ohjattiin\n\
     ottamaan yhteyttä teihin. Kiitos, että hoidatte tämän asian, ja\n\
     pahoittelen pitkää viestiä.\n\n",
    "Haluan myös tietää, onko asiakirjoihini tehty merkintöjä terapian\n\
     päättymisen jälkeen ja onko niitä luovutettu eteenpäin jollekin\n\
     toiselle taholle.\n\n",
];

/// A complete request whose whole message is about `size` bytes.
fn padded_request(size: usize) -> Vec<u8> {
    let mut message = String::with_capacity(size + 1024);
    message.push_str(HEAD);
    let mut i = 0;
    while message.len() + SIGNATURE.len() < size {
        message.push_str(PROSE[i % PROSE.len()]);
        i += 1;
    }
    message.push_str(SIGNATURE);
    message.into_bytes()
}

fn body_size(c: &mut Criterion) {
    let parser = RequestParser::new(Rules::default());
    let mut group = c.benchmark_group("body_size");
    for kb in [5usize, 50, 500] {
        let raw = padded_request(kb * 1024);
        group.throughput(Throughput::Bytes(raw.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{kb}KB")),
            &raw,
            |b, raw| b.iter(|| black_box(parser.parse(black_box(raw), CURRENT_YEAR))),
        );
    }
    group.finish();
}

criterion_group!(benches, dev_corpus, dev_corpus_pdf, body_size);
criterion_main!(benches);
