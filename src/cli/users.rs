//! `datareq users add|list|passwd|disable|enable`: accounts for the web interface, made by an
//! operator on the server. Passwords never appear on the command line: they are read from
//! stdin, or made and printed once when stdin is a terminal. Every change is audited with the
//! operator's OS user.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::store::with_store;
use crate::config::Config;
use crate::crypto::password::{hash_password, random_token};
use crate::store::{Actor, Role};

/// The password for an account: stdin's first line, or a new one printed once.
fn password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        // 24 hex digits: 96 bits, easy to copy into a password manager.
        let made = random_token()[..24].to_string();
        println!("password (shown once): {made}");
        return Ok(made);
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("stdin")?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    if line.is_empty() {
        bail!("no password on stdin");
    }
    Ok(line)
}

pub fn add(config: &Config, name: &str, role: &str, org: Option<&str>) -> anyhow::Result<ExitCode> {
    let role: Role = role.parse()?;
    if let Some(org) = org {
        if !config.organisations.contains_key(org) {
            bail!("no organisation {org:?} in [organisations]");
        }
    }
    let hash = hash_password(&password()?)?;
    let actor = Actor::current_os_user();
    with_store(config, async |store| {
        Ok(store
            .add_user(name, role, org, &hash, &actor, super::now())
            .await?)
    })?;
    eprintln!("account {name} added ({role})");
    Ok(ExitCode::SUCCESS)
}

pub fn list(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let users = with_store(config, async |store| Ok(store.list_users().await?))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for u in &users {
        if json {
            writeln!(out, "{}", serde_json::to_string(u)?)?;
        } else {
            writeln!(
                out,
                "{:<24} {:<11} {:<12} {}",
                u.name,
                u.role.name(),
                u.organisation.as_deref().unwrap_or("-"),
                if u.disabled { "disabled" } else { "active" }
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn passwd(config: &Config, name: &str) -> anyhow::Result<ExitCode> {
    let hash = hash_password(&password()?)?;
    let actor = Actor::current_os_user();
    with_store(config, async |store| {
        Ok(store
            .set_password(name, &hash, &actor, super::now())
            .await?)
    })?;
    eprintln!("password of {name} changed; its sessions ended");
    Ok(ExitCode::SUCCESS)
}

pub fn set_disabled(config: &Config, name: &str, disabled: bool) -> anyhow::Result<ExitCode> {
    let actor = Actor::current_os_user();
    with_store(config, async |store| {
        Ok(store
            .set_user_disabled(name, disabled, &actor, super::now())
            .await?)
    })?;
    eprintln!(
        "account {name} {}",
        if disabled {
            "disabled; its sessions ended"
        } else {
            "enabled"
        }
    );
    Ok(ExitCode::SUCCESS)
}
