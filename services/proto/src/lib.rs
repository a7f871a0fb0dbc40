//! Wire types of the Standpoint gRPC contract (`proto/stance/v1/stance.proto`).
//!
//! This crate is codegen only: `build.rs` compiles the proto files with `protox`
//! and `tonic-prost-build` (no system `protoc` needed) and this library exposes
//! the generated messages, the `StanceService` client and server, and
//! [`FILE_DESCRIPTOR_SET`] for gRPC server reflection. It knows nothing about the
//! model; `stance-server` converts between the two.
//!
//! ```
//! use stance_proto::v1::{ClassifyRequest, Stance};
//!
//! let req = ClassifyRequest { text: "We call on all sides to show restraint".into() };
//! assert_eq!(req.text.len(), 38);
//! assert_eq!(Stance::CallForCalm.as_str_name(), "STANCE_CALL_FOR_CALM");
//! ```

/// Package `stance.v1`: messages, the `Stance` enum, and the `StanceService`
/// client ([`v1::stance_service_client`]) and server ([`v1::stance_service_server`]).
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/stance.v1.rs"));
}

/// Encoded `google.protobuf.FileDescriptorSet` of `stance/v1/stance.proto`, for
/// `tonic-reflection`'s `register_encoded_file_descriptor_set`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/stance_descriptor.bin"));

/// Fully-qualified name of the service, as used by gRPC health checks and reflection.
pub const SERVICE_NAME: &str = "stance.v1.StanceService";

#[cfg(test)]
mod tests {
    use prost::Message as _;

    #[test]
    fn descriptor_set_names_the_service() {
        let set = prost::bytes::Bytes::from_static(super::FILE_DESCRIPTOR_SET);
        // Decoding with the generic message API avoids a prost-types dependency:
        // field 1 of FileDescriptorSet is `repeated FileDescriptorProto file`.
        assert!(!set.is_empty());
        let text = String::from_utf8_lossy(super::FILE_DESCRIPTOR_SET);
        assert!(text.contains("StanceService"));
        assert!(text.contains("stance.v1"));
        let _ = super::v1::ClassifyRequest::decode(&b""[..]).expect("empty message decodes");
    }

    #[test]
    fn service_name_matches_generated_server() {
        use super::v1::stance_service_server::SERVICE_NAME as GENERATED;
        assert_eq!(super::SERVICE_NAME, GENERATED);
    }
}
