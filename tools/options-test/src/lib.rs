//! Compiles the module's pure-logic files for the host so that their unit
//! tests run under `cargo test` (the kernel build never sees `cfg(test)`):
//! `fs/options.rs` (mount options and accounting), `swap/header.rs` (the
//! swap header parser), `swap/slots.rs` (the swap slot allocator) and
//! `swap/readahead.rs` (the swap read-around window).
#![no_std]
#[cfg(test)]
extern crate std;

#[path = "../../../fs/options.rs"]
pub mod options;

#[path = "../../../swap/header.rs"]
pub mod swap_header;

#[path = "../../../swap/slots.rs"]
pub mod swap_slots;

#[path = "../../../swap/readahead.rs"]
pub mod swap_readahead;
