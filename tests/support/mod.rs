//! Helpers shared by integration tests (each test file that needs them says `mod support;`).
//! Each test binary uses only part of them, hence the allowance for unused items.

#![allow(dead_code)]

pub mod cli;
pub mod daemon;
pub mod db;
pub mod dovecot;
pub mod fixture_set;
pub mod gpg;
pub mod pdf;
pub mod postgres_server;
pub mod rss;
pub mod smtp;
pub mod web;
