//! Integration tests of `stance-server`: the real server on `127.0.0.1:0`,
//! called through the generated client. One binary, one module per area.
//! Tests assert status codes, never message text.

#[path = "../common/mod.rs"]
mod common;

mod binary;
mod errors;
mod feedback;
mod health;
mod reload;
mod rpc;
mod shutdown;
