pub mod attachment;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod request;
pub mod store;
pub mod worker;
