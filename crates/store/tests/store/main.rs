//! The store's behaviour, each test on SQLite and on PostgreSQL (see
//! `common.rs`).

mod common;

mod call_list;
mod dials;
mod logs;
mod migrations;
mod owners;
mod people;
mod reps;
mod sessions;
mod team;
mod timeline;
