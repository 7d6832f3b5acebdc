//! The web interface over HTTP, as browsers and attackers reach it: `datareq web` on loopback
//! with the dev corpus stored (on SQLite, and again on the real PostgreSQL). Who may open
//! what (role and organisation), forms refused without the session's CSRF token, the security
//! headers, audited views, the clerks' resolve and edit forms, City staff's encrypted pick-up
//! opened with GnuPG, sign-in limits, sessions that end, metrics and health.

mod support;

use std::collections::BTreeMap;
use std::io::Read;

use support::cli::{dev_corpus_files, json_lines, ok};
use support::db::TestDb;
use support::gpg::{city_key, open_bundle, CityKey};
use support::web::{Client, Response, WebServer, WebWork};

const PASSWORD: &str = "correct horse battery staple";
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// A working directory whose Helsinki has `key`'s certificate, with a second organisation
/// (Espoo), the dev corpus stored (0009, a PDF form, first) and the four kinds of account.
fn prepared(key: &CityKey, db: Option<&TestDb>, replacements: &[(&str, &str)]) -> WebWork {
    let cert = format!("certificates = [\"{}\"]", key.cert.display());
    let mut all = vec![("certificates = []", cert.as_str())];
    all.extend_from_slice(replacements);
    let espoo = "\n[organisations.espoo]\nname = \"City of Espoo\"\n\n[[providers]]\n\
                 name = \"Espoon Terapiapalvelu Oy\"\norganisation = \"espoo\"\n";
    let mut work = WebWork::new(&all, espoo);
    work.database_url = db.map(TestDb::url);
    let files = dev_corpus_files();
    let first: Vec<&str> = files
        .iter()
        .filter(|f| f.ends_with("/0009.eml"))
        .map(String::as_str)
        .collect();
    let mut args = vec!["ingest", "--quiet"];
    args.extend(first);
    ok(work.datareq("tester", &args));
    let mut args = vec!["ingest", "--quiet"];
    args.extend(files.iter().map(String::as_str));
    ok(work.datareq("tester", &args));
    work.add_user("anna", "kela_clerk", None, PASSWORD);
    work.add_user("hel", "city_staff", Some("helsinki"), PASSWORD);
    work.add_user("esp", "city_staff", Some("espoo"), PASSWORD);
    work.add_user("root", "admin", None, PASSWORD);
    work
}

fn states(work: &WebWork) -> BTreeMap<String, String> {
    work.states()
}

fn in_state(work: &WebWork, state: &str) -> Vec<String> {
    states(work)
        .into_iter()
        .filter(|(_, s)| s == state)
        .map(|(r, _)| r)
        .collect()
}

fn signed_in(server: &WebServer, name: &str) -> Client {
    let mut client = server.client();
    let answer = client.sign_in(name, PASSWORD);
    assert_eq!(answer.status, 303, "{}", problem(&answer));
    client
}

/// The problem a page reports (for failure messages: never a whole page).
fn problem(r: &Response) -> String {
    let text = r.text();
    match text.find("class=\"problem\"") {
        Some(at) => text[at..].chars().take(300).collect(),
        None => format!("status {}, no problem shown", r.status),
    }
}

fn assert_redirected_to_login(r: &Response) {
    assert_eq!(r.status, 303);
    assert!(
        r.header("location").unwrap().starts_with("/login?next="),
        "{:?}",
        r.header("location")
    );
}

/// The audit events of `reference` (actor, action).
fn history(work: &WebWork, reference: &str) -> Vec<(String, String)> {
    let shown = ok(work.datareq("tester", &["requests", "show", reference, "--json"]));
    let v: serde_json::Value = serde_json::from_str(shown.trim()).unwrap();
    v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn web_story(db: TestDb) {
    let key = city_key();
    let work = prepared(&key, Some(&db), &[]);
    let server = work.start();
    let review = in_state(&work, "needs_review");
    let queued = in_state(&work, "queued");
    assert_eq!((review.len(), queued.len()), (58, 134));

    // Logged out: every page sends the browser to the sign-in page; a post changes nothing.
    let mut anonymous = server.client();
    for path in [
        "/",
        "/dashboard",
        "/review",
        &format!("/requests/{}", review[0]),
        &format!("/requests/{}/messages/0", review[0]),
        "/pickup",
        "/users",
    ] {
        assert_redirected_to_login(&anonymous.get(path));
    }
    let posted = anonymous.post(
        &format!("/requests/{}/resolve", review[0]),
        &[("action", "queue")],
    );
    assert_redirected_to_login(&posted);

    // Headers on every response, signed in or not.
    let login = anonymous.get("/login");
    for r in [&login, &anonymous.get("/nowhere")] {
        assert_eq!(r.header("content-security-policy"), Some(CSP));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    assert!(!login.text().contains("<script"));

    // Signing in: a wrong password, and a form without its token, are refused.
    assert_eq!(
        server.client().sign_in("anna", "wrong password!!").status,
        401
    );
    let mut no_token = server.client();
    let r = no_token.post("/login", &[("name", "anna"), ("password", PASSWORD)]);
    assert_eq!(r.status, 403);
    assert!(!no_token.cookies.contains_key("__Host-datareq_session"));
    let mut anna = server.client();
    let r = anna.sign_in("anna", PASSWORD);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/dashboard"));
    let cookie = r
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("__Host-datareq_session="))
        .map(|(_, v)| v.clone())
        .unwrap();
    for attribute in ["Path=/", "HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // Back to where a logged-out visit wanted to go.
    let mut back = server.client();
    let form = back.get("/login?next=%2Freview%3Fsort%3D-due");
    let r = back.post(
        "/login",
        &[
            ("csrf", &form.csrf()),
            ("name", "anna"),
            ("password", PASSWORD),
            ("next", "/review?sort=-due"),
        ],
    );
    assert_eq!(r.header("location"), Some("/review?sort=-due"));
    let csrf = back.get("/login").csrf();
    let r = back.post(
        "/login",
        &[
            ("csrf", &csrf),
            ("name", "anna"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ],
    );
    assert_eq!(r.header("location"), Some("/dashboard"), "no open redirect");

    // The dashboard and the queue.
    let dashboard = anna.get("/dashboard");
    assert_eq!(dashboard.status, 200);
    let text = dashboard.text();
    assert!(text.contains("<svg") && text.contains("class=\"bar\""));
    assert!(text.contains(">134<") && text.contains(">58<"), "counts");
    let first_page = anna.get("/review").text();
    assert!(first_page.contains("58 "), "the total is shown");
    let listed = |page: &str| -> Vec<String> {
        page.match_indices("href=\"/requests/")
            .map(|(i, _)| page[i + 16..i + 30].to_string())
            .collect()
    };
    assert_eq!(listed(&first_page).len(), 50);
    let second = listed(&anna.get("/review?sort=due&page=2").text());
    assert_eq!(second.len(), 8);
    let mut all: Vec<String> = listed(&first_page);
    all.extend(second);
    all.sort();
    assert_eq!(all, review, "the two pages hold the whole queue");
    let latest = listed(&anna.get("/review?sort=-due").text());
    assert_eq!(latest.len(), 50);
    assert_ne!(latest[0], listed(&first_page)[0]);
    let by_reason = json_lines(&ok(work.datareq("tester", &["review", "list", "--json"])))
        .into_iter()
        .filter(|v| {
            v["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "on_behalf_of_another_person")
        })
        .count();
    let filtered = anna.get("/review?reason=on_behalf_of_another_person");
    assert_eq!(listed(&filtered.text()).len(), by_reason.min(50));
    assert!(filtered.text().contains(&format!("{by_reason} ")));

    // A request page is an audited read under the clerk's account.
    let reference = &review[0];
    let page = anna.get(&format!("/requests/{reference}"));
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<pre class=\"body\""));
    let seen = history(&work, reference);
    assert!(
        seen.contains(&("web:anna".into(), "read".into())),
        "{seen:?}"
    );

    // Forms without the session's token, or with another session's, change nothing.
    let csrf = page.csrf();
    let mut hel = signed_in(&server, "hel");
    let hel_csrf = hel.get("/pickup").csrf();
    let resolve = format!("/requests/{reference}/resolve");
    for fields in [
        vec![("action", "reply_missing")],
        vec![
            ("csrf", "0".repeat(64).as_str()),
            ("action", "reply_missing"),
        ],
        vec![("csrf", hel_csrf.as_str()), ("action", "reply_missing")],
    ] {
        assert_eq!(anna.post(&resolve, &fields).status, 403);
    }
    assert_eq!(states(&work)[reference], "needs_review");

    // Corrections are checked; queueing is refused while something is missing; a reply goes.
    let edit = format!("/requests/{reference}/edit");
    let refused = anna.post(
        &edit,
        &[
            ("csrf", &csrf),
            ("field", "personal_id"),
            ("value", "010101-1234"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("personal_id"));
    assert!(
        !refused.text().contains("010101-1234"),
        "a refused value is not echoed"
    );
    let saved = anna.post(
        &edit,
        &[
            ("csrf", &csrf),
            ("field", "phone"),
            ("value", "040 123 4567"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", problem(&saved));
    let replied = anna.post(
        &resolve,
        &[
            ("csrf", &csrf),
            ("action", "reply_text"),
            ("text", "Please confirm your postal address."),
        ],
    );
    assert_eq!(replied.status, 303, "{}", problem(&replied));
    assert_eq!(states(&work)[reference], "incomplete");
    let text_refused = anna.post(
        &format!("/requests/{}/resolve", review[1]),
        &[
            ("csrf", &csrf),
            ("action", "reply_text"),
            ("text", "Your psychotherapy records are on their way."),
        ],
    );
    assert_eq!(
        text_refused.status, 422,
        "a text naming the care is refused"
    );
    assert_eq!(states(&work)[&review[1]], "needs_review");
    let actions = history(&work, reference);
    assert!(actions.contains(&("web:anna".into(), "returned_to_citizen".into())));

    // Downloads are attachments, never shown inline.
    let pdf_request = states(&work).into_keys().next().unwrap();
    let message = anna.get(&format!("/requests/{pdf_request}/messages/0"));
    assert_eq!(message.status, 200);
    assert_eq!(
        message.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(message
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment; filename="));
    let attachment = anna.get(&format!("/requests/{pdf_request}/messages/0/attachments/0"));
    assert_eq!(attachment.status, 200);
    assert_eq!(
        attachment.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(attachment.body.starts_with(b"%PDF"));
    assert_eq!(
        anna.get(&format!("/requests/{pdf_request}/messages/0/attachments/9"))
            .status,
        404
    );

    // Roles: each reaches only its own pages.
    for path in ["/pickup", "/users"] {
        assert_eq!(anna.get(path).status, 403, "clerk: {path}");
    }
    for path in [
        "/dashboard".to_string(),
        "/review".to_string(),
        format!("/requests/{}", review[1]),
        format!("/requests/{pdf_request}/messages/0/attachments/0"),
        "/users".to_string(),
    ] {
        assert_eq!(hel.get(&path).status, 403, "city staff: {path}");
    }
    let r = hel.post(
        &format!("/requests/{}/resolve", review[1]),
        &[("csrf", &hel_csrf), ("action", "reply_missing")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(states(&work)[&review[1]], "needs_review");
    let mut root = signed_in(&server, "root");
    assert_eq!(root.get("/review").status, 403);
    assert_eq!(root.get("/pickup").status, 403);

    // Pick-up: Helsinki sees its queue and takes three as one encrypted download.
    let pickup = hel.get("/pickup").text();
    assert!(pickup.contains("(134)"));
    let taken: Vec<&str> = queued[..3].iter().map(String::as_str).collect();
    let mut fields = vec![("csrf", hel_csrf.as_str())];
    fields.extend(taken.iter().map(|r| ("ref", *r)));
    let zip = hel.post("/pickup", &fields);
    assert_eq!(zip.status, 200, "{}", problem(&zip));
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body.clone())).unwrap();
    let mut index = String::new();
    archive
        .by_name("index.csv")
        .unwrap()
        .read_to_string(&mut index)
        .unwrap();
    assert_eq!(index.lines().count(), 4);
    for reference in &taken {
        let mut sealed = Vec::new();
        archive
            .by_name(&format!("{reference}.pgp"))
            .unwrap()
            .read_to_end(&mut sealed)
            .unwrap();
        let file = work.path().join(format!("{reference}.pgp"));
        std::fs::write(&file, &sealed).unwrap();
        open_bundle(&key, &file, reference);
        assert_eq!(states(&work)[*reference], "picked_up");
        assert!(history(&work, reference).contains(&("web:hel".into(), "picked_up".into())));
    }

    // A request of Espoo's: a clerk names its provider and queues it (at the command line).
    let espoo_request = review[2..]
        .iter()
        .find(|r| {
            let provider = "service_provider=Espoon Terapiapalvelu Oy";
            work.datareq("tester", &["review", "edit", r, "--set", provider])
                .status
                .success()
                && work
                    .datareq("tester", &["review", "resolve", r, "--queue"])
                    .status
                    .success()
        })
        .expect("a request in review that can be queued once its provider is Espoo's")
        .clone();
    // Helsinki's staff neither see it nor can take it.
    let hel_page = hel.get("/pickup").text();
    assert!(!hel_page.contains(espoo_request.as_str()));
    let taken_by_hel = hel.post(
        "/pickup",
        &[("csrf", &hel_csrf), ("ref", espoo_request.as_str())],
    );
    assert_eq!(taken_by_hel.status, 422, "{}", problem(&taken_by_hel));
    assert_eq!(states(&work)[&espoo_request], "queued");

    // Espoo's staff see their own request and none of Helsinki's, and can take or confirm
    // none of Helsinki's.
    let mut esp = signed_in(&server, "esp");
    let esp_page = esp.get("/pickup");
    let esp_csrf = esp_page.csrf();
    assert!(esp_page.text().contains(espoo_request.as_str()));
    for reference in &queued {
        assert!(!esp_page.text().contains(reference.as_str()));
    }
    let mut fields = vec![("csrf", esp_csrf.as_str())];
    fields.extend(queued[3..6].iter().map(|r| ("ref", r.as_str())));
    assert_eq!(esp.post("/pickup", &fields).status, 422);
    let mut fields = vec![("csrf", esp_csrf.as_str())];
    fields.extend(taken.iter().map(|r| ("ref", *r)));
    assert_eq!(esp.post("/pickup/disclosed", &fields).status, 422);
    let now = states(&work);
    assert!(queued[3..6].iter().all(|r| now[r] == "queued"));
    assert!(taken.iter().all(|r| now[*r] == "picked_up"));

    // Helsinki confirms the disclosure.
    let mut fields = vec![("csrf", hel_csrf.as_str())];
    fields.extend(taken.iter().map(|r| ("ref", *r)));
    assert_eq!(hel.post("/pickup/disclosed", &fields).status, 200);
    assert!(taken.iter().all(|r| states(&work)[*r] == "disclosed"));

    // Administrators add accounts through the form; the new one can sign in.
    let root_csrf = root.get("/users").csrf();
    let added = root.post(
        "/users",
        &[
            ("csrf", &root_csrf),
            ("name", "bertil"),
            ("role", "kela_clerk"),
            ("organisation", ""),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(added.status, 303, "{}", problem(&added));
    let again = root.post(
        "/users",
        &[
            ("csrf", &root_csrf),
            ("name", "bertil"),
            ("role", "kela_clerk"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(again.status, 422);
    let mut bertil = signed_in(&server, "bertil");
    assert_eq!(bertil.get("/dashboard").status, 200);
    // Disabling ends the account's sessions at once.
    let disabled = root.post(
        "/users/bertil/disabled",
        &[("csrf", &root_csrf), ("disabled", "1")],
    );
    assert_eq!(disabled.status, 303);
    assert_redirected_to_login(&bertil.get("/dashboard"));
    assert_eq!(server.client().sign_in("bertil", PASSWORD).status, 401);

    // Signing out ends the session: the old cookie is worth nothing.
    let old = anna.cookies.clone();
    let csrf = anna.get("/dashboard").csrf();
    assert_eq!(anna.post("/logout", &[("csrf", &csrf)]).status, 303);
    let mut replay = server.client();
    replay.cookies = old;
    assert_redirected_to_login(&replay.get("/dashboard"));

    // Metrics and health on their own listener only.
    let mut metrics = Client::new(server.metrics);
    let text = metrics.get("/metrics").text();
    assert!(
        text.contains("datareq_requests{state=\"queued\"} 132"),
        "{text}"
    );
    assert!(text.contains("datareq_requests{state=\"disclosed\"} 3"));
    assert!(text.contains("datareq_overdue_requests 0"));
    assert!(text.contains("datareq_mailbox_lag_seconds -1"));
    assert_eq!(metrics.get("/healthz").status, 200);
    assert_eq!(server.client().get("/metrics").status, 404);

    // Nothing personal in the server's log.
    let log = server.log_text();
    assert!(!log.contains(PASSWORD));
    assert!(!log.contains("040 123 4567"));
    assert!(server.stop().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_interface_on_sqlite() {
    web_story(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_interface_on_postgres() {
    if let Some(db) = TestDb::postgres() {
        web_story(db).await;
    }
}

/// Failed sign-ins lock the account (even against the right password) and then the address.
#[test]
fn sign_in_attempts_are_limited_per_account_and_per_address() {
    let key = city_key();
    let work = prepared(
        &key,
        None,
        &[
            (
                "login_attempts_per_account = 5",
                "login_attempts_per_account = 3",
            ),
            (
                "login_attempts_per_address = 50",
                "login_attempts_per_address = 6",
            ),
        ],
    );
    let server = work.start();
    for _ in 0..3 {
        assert_eq!(
            server.client().sign_in("anna", "not the password").status,
            401
        );
    }
    let locked = server.client().sign_in("anna", PASSWORD);
    assert_eq!(
        locked.status, 429,
        "the right password is refused while locked"
    );
    assert!(locked.text().contains("15"));
    // Another account from the same address still signs in …
    signed_in(&server, "hel");
    // … until the address has failed its limit, whatever the names.
    for name in ["nobody", "root", "x"] {
        assert_eq!(
            server.client().sign_in(name, "not the password").status,
            401
        );
    }
    assert_eq!(server.client().sign_in("esp", PASSWORD).status, 429);
}

/// Sessions end after the idle time, and at their maximum age however busy.
#[test]
fn sessions_end_when_idle_and_at_their_maximum_age() {
    let key = city_key();
    let work = prepared(
        &key,
        None,
        &[
            ("session_idle_time = 1800", "session_idle_time = 2"),
            ("session_max_time = 43200", "session_max_time = 5"),
        ],
    );
    let server = work.start();
    let mut idle = signed_in(&server, "anna");
    assert_eq!(idle.get("/dashboard").status, 200);
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert_redirected_to_login(&idle.get("/dashboard"));

    let mut busy = signed_in(&server, "anna");
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(4) {
        assert_eq!(busy.get("/review").status, 200, "alive while in use");
        std::thread::sleep(std::time::Duration::from_millis(900));
    }
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_redirected_to_login(&busy.get("/review"));

    // A session nobody comes back to is removed by the daily housekeeping.
    let _abandoned = signed_in(&server, "anna");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let done = ok(work.datareq("tester", &["maintain"]));
    assert!(done.contains("web sessions ended 1"), "{done}");
}

/// Single sign-on at the reverse proxy: the user header counts only from a trusted proxy, and
/// only for an existing, enabled account; the session it makes is an ordinary one.
#[test]
fn a_trusted_proxy_signs_people_in_by_header() {
    for (trusted, honoured) in [("127.0.0.1", true), ("10.9.9.9", false)] {
        let proxies = format!("trusted_proxies = [\"{trusted}\"]\nuser_header = \"X-Remote-User\"");
        let work = WebWork::new(
            &[(
                "# trusted_proxies = [\"127.0.0.1\"]\n# user_header = \"X-Remote-User\"",
                proxies.as_str(),
            )],
            "",
        );
        work.add_user("anna", "kela_clerk", None, PASSWORD);
        work.add_user("gone", "kela_clerk", None, PASSWORD);
        ok(work.datareq("tester", &["users", "disable", "gone"]));
        let server = work.start();
        let mut proxied = server.client();
        proxied
            .headers
            .push(("X-Remote-User".into(), "anna".into()));
        let page = proxied.get("/dashboard");
        if honoured {
            assert_eq!(page.status, 200);
            assert!(page.text().contains("<strong>anna</strong>"));
            // The session is an ordinary one: its forms carry its token, and it outlives
            // the header.
            let csrf = page.csrf();
            proxied.headers.clear();
            assert_eq!(proxied.get("/review").status, 200);
            assert_eq!(proxied.post("/logout", &[("csrf", &csrf)]).status, 303);
            assert_redirected_to_login(&proxied.get("/review"));
        } else {
            assert_redirected_to_login(&page);
        }
        for nobody in ["gone", "nobody", "Anna Smith"] {
            let mut stranger = server.client();
            stranger
                .headers
                .push(("X-Remote-User".into(), nobody.into()));
            assert_redirected_to_login(&stranger.get("/dashboard"));
        }
    }
}

/// The daemon serves the interface beside its mail work when `web.enabled` is set; its
/// health tells when the mailbox was last read.
#[test]
fn the_daemon_serves_the_interface_when_enabled() {
    let work = WebWork::new(&[("enabled = false", "enabled = true")], "");
    let new = work.path().join("var/inbox/new");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::copy(
        support::web::root().join("examples").join(
            std::fs::read_dir(support::web::root().join("examples"))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .find(|n| n.to_string_lossy().ends_with(".eml"))
                .unwrap(),
        ),
        new.join("1.eml"),
    )
    .unwrap();
    work.add_user("anna", "kela_clerk", None, PASSWORD);
    let server = work.start_with(&["run"]);
    let mut metrics = Client::new(server.metrics);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let health = metrics.get("/healthz");
        if health.status == 200 && health.text().contains("mailbox: read") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} {}",
            health.text(),
            server.log_text()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut anna = signed_in(&server, "anna");
    let dashboard = anna.get("/dashboard").text();
    assert!(dashboard.contains(">1<"), "the stored request is counted");
    let text = metrics.get("/metrics").text();
    assert!(text.contains("datareq_mailbox_lag_seconds "));
    assert!(
        !text.contains("datareq_mailbox_lag_seconds -1"),
        "the daemon read the mailbox"
    );
    assert!(server.stop().success());
}
