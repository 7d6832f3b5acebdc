pub mod attachment;
pub mod cli;
pub mod config;
pub mod request;
pub mod worker;
