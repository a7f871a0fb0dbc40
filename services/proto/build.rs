//! Compiles `proto/` into Rust with `protox` (a pure-Rust protobuf compiler), so
//! building needs no system `protoc`, and writes the descriptor set that the
//! server registers for gRPC reflection.

use std::path::PathBuf;

use prost::Message as _;

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let proto_root = manifest_dir.join("../../proto");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    // Rerun when any proto file changes, not when unrelated sources do.
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let fds = protox::Compiler::new([&proto_root])
        .expect("proto root exists")
        // Source info carries the proto comments into the generated docs.
        .include_source_info(true)
        .include_imports(true)
        .open_file("stance/v1/stance.proto")
        .unwrap_or_else(|err| panic!("cannot compile stance/v1/stance.proto: {err:?}"))
        .file_descriptor_set();

    std::fs::write(out_dir.join("stance_descriptor.bin"), fds.encode_to_vec())
        .expect("OUT_DIR is writable");

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)
        .expect("code generation succeeds for a descriptor set protox accepted");
}
