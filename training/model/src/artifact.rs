//! The model file: `magic | format version | payload length | SHA-256 | payload`.
//!
//! The payload is postcard-encoded metadata, featurizer settings and weights. Every field of
//! the header is checked on load, and the `model_version` is recomputed from the content, so a
//! file that decodes but was edited by hand is refused as well.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ModelError, Result};
use crate::features::FeaturizerConfig;
use crate::model::{ModelInfo, StanceModel, Weights};

/// First bytes of every model file.
pub const MAGIC: &[u8; 8] = b"STANCEMD";
/// Format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8 + 32;

#[derive(Serialize, Deserialize)]
struct Payload {
    info: ModelInfo,
    featurizer: FeaturizerConfig,
    weights: Weights,
}

/// Content hash that names a model: everything that changes its answers, plus where it came
/// from; not the training time or the metrics.
pub fn model_version(info: &ModelInfo, featurizer: &FeaturizerConfig, weights: &Weights) -> String {
    let content = postcard::to_stdvec(&(
        featurizer,
        weights,
        &info.labels,
        &info.algorithm,
        &info.hyperparameters,
        &info.training_data_hash,
    ))
    .expect("postcard encodes plain structs");
    let digest = Sha256::digest(&content);
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn encode(
    info: &ModelInfo,
    featurizer: &FeaturizerConfig,
    weights: &Weights,
) -> Vec<u8> {
    #[derive(Serialize)]
    struct PayloadRef<'a> {
        info: &'a ModelInfo,
        featurizer: &'a FeaturizerConfig,
        weights: &'a Weights,
    }
    let payload = postcard::to_stdvec(&PayloadRef {
        info,
        featurizer,
        weights,
    })
    .expect("postcard encodes plain structs");
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    out
}

pub(crate) fn decode(bytes: &[u8]) -> Result<StanceModel> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        // A short prefix of the magic is a truncated file, not a foreign one.
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
            return Err(ModelError::Truncated {
                expected: HEADER_LEN as u64,
                found: bytes.len() as u64,
            });
        }
        return Err(ModelError::BadMagic);
    }
    if bytes.len() < HEADER_LEN {
        return Err(ModelError::Truncated {
            expected: HEADER_LEN as u64,
            found: bytes.len() as u64,
        });
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(ModelError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let body = &bytes[HEADER_LEN..];
    if (body.len() as u64) < len {
        return Err(ModelError::Truncated {
            expected: HEADER_LEN as u64 + len,
            found: bytes.len() as u64,
        });
    }
    if (body.len() as u64) > len {
        return Err(ModelError::Corrupt(format!(
            "{} bytes after the payload",
            body.len() as u64 - len
        )));
    }
    if Sha256::digest(body).as_slice() != &bytes[20..52] {
        return Err(ModelError::ChecksumMismatch);
    }
    let payload: Payload = postcard::from_bytes(body)
        .map_err(|e| ModelError::Corrupt(format!("payload does not decode: {e}")))?;
    let expected = model_version(&payload.info, &payload.featurizer, &payload.weights);
    if payload.info.model_version != expected {
        return Err(ModelError::Corrupt(format!(
            "model_version {} does not match its content ({expected})",
            payload.info.model_version
        )));
    }
    StanceModel::from_parts(payload.info, payload.featurizer, payload.weights)
}

/// Writes `bytes` to a temporary file in `path`'s directory, fsyncs it, renames it over
/// `path`, and fsyncs the directory, so `path` holds either the old or the new file.
///
/// # Errors
/// I/O errors, naming the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            // Directory fsync makes the rename durable; not all filesystems allow it.
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ModelError::io(path, e)
    })
}
