//! The feedback store behind `SubmitFeedback`: durable JSON lines.
//!
//! Each acknowledged row is one line of a file
//! `<dir>/feedback-YYYYMMDD-N.jsonl` (UTC date; `N` counts from 0 and moves on
//! when a file reaches `--feedback-max-file-bytes`, so a file may exceed the
//! size by one row). A line looks like
//!
//! ```json
//! {"id":"fb-1714567890123456-0","text":"We call for calm","label":"call_for_calm","note":"","received_at":"2025-05-01T12:00:00.123Z","model_version":"v3"}
//! ```
//!
//! `text` and `label` (lowercase label names) are what `stance-train train`
//! reads; the other fields are provenance. A row is written with one `write`
//! and `fdatasync`ed before the RPC is acknowledged; a newly created file also
//! has its directory synced. If a write or sync fails, the file is cut back to
//! its previous length (best effort) so no half row is left behind, and the
//! client gets an error instead of an acknowledgement.

use std::{
    fs::{File, OpenOptions},
    io::{self, Write as _},
    path::{Path, PathBuf},
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use serde::Serialize;
use stance_model::Stance;

use crate::config::FeedbackConfig;

/// One row as written to disk.
#[derive(Debug, Serialize)]
struct Row<'a> {
    id: &'a str,
    text: &'a str,
    label: &'a str,
    note: &'a str,
    received_at: &'a str,
    model_version: &'a str,
}

struct OpenFile {
    file: File,
    day: String,
    index: u32,
    len: u64,
}

/// Appends feedback rows durably to rotating JSONL files.
pub struct FeedbackStore {
    dir: PathBuf,
    api_key: Option<String>,
    max_file_bytes: u64,
    // Rows are serialised through this lock; the lock is taken on a blocking
    // thread, never on an async worker, and only by SubmitFeedback.
    open: Mutex<Option<OpenFile>>,
    seq: AtomicU64,
}

impl std::fmt::Debug for FeedbackStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedbackStore")
            .field("dir", &self.dir)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("max_file_bytes", &self.max_file_bytes)
            .finish_non_exhaustive()
    }
}

/// What a successful append returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The row's id.
    pub id: String,
    /// The file the row went to.
    pub file: PathBuf,
}

impl FeedbackStore {
    /// Creates the directory if needed and checks that it can be written.
    ///
    /// # Errors
    /// The I/O error of creating the directory or a probe file in it.
    pub fn open(config: &FeedbackConfig) -> io::Result<Self> {
        std::fs::create_dir_all(&config.dir)?;
        // Fail at start-up, not on the first user's feedback, when the
        // directory is read-only.
        let probe = config.dir.join(".stance-server-write-probe");
        File::create(&probe)?;
        std::fs::remove_file(&probe)?;
        Ok(FeedbackStore {
            dir: config.dir.clone(),
            api_key: config.api_key.clone(),
            max_file_bytes: config.max_file_bytes,
            open: Mutex::new(None),
            seq: AtomicU64::new(0),
        })
    }

    /// Whether `presented` (the `x-api-key` metadata) is acceptable.
    pub fn authorized(&self, presented: Option<&[u8]>) -> bool {
        match (&self.api_key, presented) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(key), Some(got)) => constant_time_eq(key.as_bytes(), got),
        }
    }

    /// Appends one row and syncs it to disk (blocking).
    ///
    /// # Errors
    /// Any I/O error; the row is then not stored (or cut back off the file).
    pub fn append(
        &self,
        text: &str,
        label: Stance,
        note: &str,
        model_version: &str,
    ) -> io::Result<Stored> {
        let now = SystemTime::now();
        let received_at = humantime::format_rfc3339_millis(now).to_string();
        let micros = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or_default();
        let id = format!("fb-{micros}-{}", self.seq.fetch_add(1, Ordering::Relaxed));
        let row = Row {
            id: &id,
            text,
            label: label.as_str(),
            note,
            received_at: &received_at,
            model_version,
        };
        let mut line = serde_json::to_vec(&row).map_err(io::Error::other)?;
        line.push(b'\n');

        let day: String = received_at[..10]
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect();
        let mut guard = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let needs_new = match guard.as_ref() {
            None => true,
            Some(f) => f.day != day || f.len >= self.max_file_bytes,
        };
        if needs_new {
            let next_index = match guard.as_ref() {
                Some(f) if f.day == day => Some(f.index + 1),
                _ => None,
            };
            *guard = None;
            *guard = Some(self.open_file(&day, next_index)?);
        }
        let open = guard.as_mut().expect("a file was just opened");
        let start = open.len;
        let written = open
            .file
            .write_all(&line)
            .and_then(|()| open.file.sync_data());
        if let Err(err) = written {
            // Leave no half row behind, and reopen next time in case the
            // handle itself went bad.
            let _ = open.file.set_len(start);
            let _ = open.file.sync_data();
            *guard = None;
            return Err(err);
        }
        open.len += line.len() as u64;
        let file = self.path_of(&open.day, open.index);
        Ok(Stored { id, file })
    }

    fn path_of(&self, day: &str, index: u32) -> PathBuf {
        self.dir.join(format!("feedback-{day}-{index}.jsonl"))
    }

    /// Opens today's current file: `index` if given, else the highest existing
    /// one that still has room, else the next.
    fn open_file(&self, day: &str, index: Option<u32>) -> io::Result<OpenFile> {
        let mut index = match index {
            Some(i) => i,
            None => self.highest_index(day)?.unwrap_or(0),
        };
        loop {
            let path = self.path_of(day, index);
            let existed = path.exists();
            let file = OpenOptions::new().create(true).append(true).open(&path)?;
            let len = file.metadata()?.len();
            if len >= self.max_file_bytes {
                index += 1;
                continue;
            }
            if !existed {
                sync_dir(&self.dir)?;
            }
            return Ok(OpenFile {
                file,
                day: day.to_owned(),
                index,
                len,
            });
        }
    }

    fn highest_index(&self, day: &str) -> io::Result<Option<u32>> {
        let prefix = format!("feedback-{day}-");
        let mut highest = None;
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            let index = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".jsonl"))
                .and_then(|n| n.parse::<u32>().ok());
            if let Some(i) = index {
                highest = highest.max(Some(i));
            }
        }
        Ok(highest)
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Compares without an early exit on the first differing byte, so the time
/// taken does not tell an attacker how much of a guessed key was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, max: u64, key: Option<&str>) -> FeedbackStore {
        FeedbackStore::open(&FeedbackConfig {
            dir: dir.to_owned(),
            api_key: key.map(str::to_owned),
            max_file_bytes: max,
        })
        .unwrap()
    }

    #[test]
    fn rows_are_json_lines_with_lowercase_labels() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 1 << 20, None);
        let a = s
            .append("We call for calm", Stance::CallForCalm, "", "v1")
            .unwrap();
        let b = s
            .append("quote \" and\nnewline", Stance::Condemn, "n", "v1")
            .unwrap();
        assert_ne!(a.id, b.id);
        assert_eq!(a.file, b.file);
        let text = std::fs::read_to_string(&a.file).unwrap();
        let rows: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["label"], "call_for_calm");
        assert_eq!(rows[1]["text"], "quote \" and\nnewline");
        assert_eq!(rows[1]["note"], "n");
        assert_eq!(rows[0]["model_version"], "v1");
        assert!(rows[0]["received_at"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn files_rotate_by_size_and_restarts_continue_the_last_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 150, None);
        let first = s.append("one", Stance::Support, "", "v").unwrap();
        let second = s.append("two", Stance::Support, "", "v").unwrap();
        assert_eq!(first.file, second.file, "first row fits under the limit");
        let third = s.append("three", Stance::Support, "", "v").unwrap();
        assert_ne!(second.file, third.file);
        assert!(third.file.to_str().unwrap().ends_with("-1.jsonl"));
        drop(s);
        let again = store(dir.path(), 150, None)
            .append("four", Stance::Neutral, "", "v")
            .unwrap();
        assert_eq!(again.file, third.file);
    }

    #[test]
    fn api_key_must_match_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 100, Some("secret"));
        assert!(s.authorized(Some(b"secret")));
        assert!(!s.authorized(Some(b"secreT")));
        assert!(!s.authorized(Some(b"secret2")));
        assert!(!s.authorized(None));
        assert!(store(dir.path(), 100, None).authorized(None));
    }

    #[cfg(unix)]
    #[test]
    fn unwritable_directory_is_refused_at_open() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        // root ignores permission bits; only assert when they apply.
        let probe = File::create(dir.path().join("x"));
        if probe.is_err() {
            assert!(
                FeedbackStore::open(&FeedbackConfig {
                    dir: dir.path().to_owned(),
                    api_key: None,
                    max_file_bytes: 10,
                })
                .is_err()
            );
        }
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
