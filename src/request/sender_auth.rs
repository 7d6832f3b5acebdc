//! Sender authentication from `Authentication-Results` (RFC 8601). Only the header that our
//! own, trusted mail server added counts (recognised by its authserv-id); any other was written
//! by whoever sent the message and proves nothing. A sender is unauthenticated when DMARC
//! fails, or, without a DMARC result, when DKIM or SPF fail and neither passes. No results at
//! all change nothing: many senders sign nothing, and that alone is no reason to doubt them.

/// What the trusted server's results say about the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderAuth {
    /// No header from the trusted server, or no DMARC, DKIM or SPF result in it.
    Unknown,
    Passed,
    Failed,
}

/// Judges the `Authentication-Results` header values (topmost first) by the first one that
/// names `authserv_id`.
pub fn sender_auth(headers: &[String], authserv_id: &str) -> SenderAuth {
    let Some(results) = headers
        .iter()
        .map(|h| strip_comments(h))
        .find(|h| serv_id(h).is_some_and(|id| id.eq_ignore_ascii_case(authserv_id)))
    else {
        return SenderAuth::Unknown;
    };
    let mut dmarc = None;
    let (mut pass, mut fail) = (false, false);
    for statement in results.split(';').skip(1) {
        let Some((method, result)) = statement
            .split_whitespace()
            .next()
            .and_then(|t| t.split_once('='))
        else {
            continue;
        };
        let method = method
            .split('/')
            .next()
            .unwrap_or(method)
            .to_ascii_lowercase();
        let result = result.to_ascii_lowercase();
        match method.as_str() {
            "dmarc" => dmarc = Some(result == "pass"),
            "dkim" | "spf" => match result.as_str() {
                "pass" => pass = true,
                "fail" | "softfail" | "permerror" => fail = true,
                _ => {}
            },
            _ => {}
        }
    }
    match dmarc {
        Some(true) => SenderAuth::Passed,
        Some(false) => SenderAuth::Failed,
        None if pass => SenderAuth::Passed,
        None if fail => SenderAuth::Failed,
        None => SenderAuth::Unknown,
    }
}

/// The authserv-id: the first token, before any version number.
fn serv_id(header: &str) -> Option<&str> {
    let first = header.split(';').next()?.split_whitespace().next()?;
    Some(first)
}

/// The header without its `(comments)`, which may hold anything.
fn strip_comments(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    let mut depth = 0usize;
    let mut escaped = false;
    for c in header.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if depth > 0 => escaped = true,
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(headers: &[&str]) -> SenderAuth {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        sender_auth(&headers, "mx1.kela.example")
    }

    #[test]
    fn dmarc_decides_when_present() {
        assert_eq!(
            judge(&[
                "mx1.kela.example; dkim=pass header.d=a.example; dmarc=fail header.from=a.example"
            ]),
            SenderAuth::Failed
        );
        assert_eq!(
            judge(&["mx1.kela.example; spf=fail smtp.mailfrom=x; dmarc=pass"]),
            SenderAuth::Passed
        );
    }

    #[test]
    fn without_dmarc_one_pass_is_enough_and_failures_alone_fail() {
        assert_eq!(
            judge(&["mx1.kela.example; dkim=pass; spf=fail"]),
            SenderAuth::Passed
        );
        assert_eq!(
            judge(&["mx1.kela.example; dkim=fail; spf=softfail"]),
            SenderAuth::Failed
        );
        assert_eq!(
            judge(&["mx1.kela.example; spf=permerror"]),
            SenderAuth::Failed
        );
        assert_eq!(
            judge(&["mx1.kela.example; dkim=none; spf=neutral"]),
            SenderAuth::Unknown
        );
        assert_eq!(judge(&["mx1.kela.example 1; none"]), SenderAuth::Unknown);
    }

    #[test]
    fn only_the_trusted_server_counts() {
        // A forged header from the sender's side says pass; ours says fail.
        assert_eq!(
            judge(&["mx1.kela.example; dmarc=fail", "evil.example; dmarc=pass",]),
            SenderAuth::Failed
        );
        assert_eq!(judge(&["evil.example; dmarc=fail"]), SenderAuth::Unknown);
        assert_eq!(judge(&["MX1.KELA.EXAMPLE; dmarc=fail"]), SenderAuth::Failed);
        assert_eq!(judge(&[]), SenderAuth::Unknown);
    }

    #[test]
    fn comments_and_folding_do_not_confuse_it() {
        assert_eq!(
            judge(&["mx1.kela.example (our mx; dmarc=pass);\r\n\tdkim=fail (bad sig) header.d=x;\r\n\tspf=fail"]),
            SenderAuth::Failed
        );
        assert_eq!(
            judge(&["(comment) mx1.kela.example; dmarc=fail"]),
            SenderAuth::Failed
        );
    }
}
