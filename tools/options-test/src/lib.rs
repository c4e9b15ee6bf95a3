//! Compiles the module's `fs/options.rs` for the host so that its unit
//! tests run under `cargo test` (the kernel build never sees `cfg(test)`).
#![no_std]
#[cfg(test)]
extern crate std;

#[path = "../../../fs/options.rs"]
pub mod options;
