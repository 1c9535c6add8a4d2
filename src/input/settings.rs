//! `--settings-file`: the guardrails of accounts × regions, as a live scan's
//! `--save-settings` writes them (`{"AccountSettings": [ … ]}`, see
//! `crate::model::AccountSettings`). Each entry is linted by the account rules
//! and joined to the images of its account and region (by their
//! `AmilintScope`). Files are read whole (plain or gzip, any read size): an
//! organisation of 1,000 accounts × 17 regions is a few megabytes.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::InputSource;
use super::source::{decoded, open};
use crate::error::{InputError, json_message};
use crate::model::{AccountSettings, Image, is_account_id};

/// The largest settings file read (decompressed).
pub const MAX_SETTINGS_BYTES: u64 = 1 << 30;

/// Every entry of the settings files, in file order, and by account × region.
#[derive(Debug, Default)]
pub struct SettingsIndex {
    pub entries: Vec<Arc<AccountSettings>>,
    by_scope: HashMap<(String, String), usize>,
}

impl SettingsIndex {
    pub fn read(sources: &[InputSource]) -> Result<Self, InputError> {
        let mut index = SettingsIndex::default();
        for source in sources {
            index.read_stream(open(source)?, source.uri.clone(), &source.name(), 1 << 16)?;
        }
        Ok(index)
    }

    /// Adds one stream (plain or gzip, read `chunk` bytes at a time), named
    /// `uri` in findings and `name` in errors.
    pub fn read_stream(
        &mut self,
        raw: impl Read,
        uri: Arc<str>,
        name: &str,
        chunk: usize,
    ) -> Result<(), InputError> {
        let io = |source| InputError::Io {
            path: name.to_string(),
            source,
        };
        let bytes = super::source::read_whole(
            decoded(raw, chunk).map_err(io)?.1,
            MAX_SETTINGS_BYTES,
            chunk,
        )
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::FileTooLarge | std::io::ErrorKind::InvalidData => {
                InputError::Syntax {
                    path: name.to_string(),
                    line: 1,
                    column: 1,
                    message: format!("{e}: not a settings file"),
                }
            }
            _ => io(e),
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            let (line, column) = position(&bytes, e.valid_up_to());
            InputError::Syntax {
                path: name.to_string(),
                line,
                column,
                message: "not UTF-8 text".to_string(),
            }
        })?;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc<'a> {
            #[serde(rename = "AccountSettings", borrow)]
            entries: Vec<&'a RawValue>,
        }
        let doc: Doc<'_> = serde_json::from_str(text).map_err(|e| InputError::json(name, &e))?;
        // Entries come in file order: their lines are counted once, forward.
        let mut lines = super::source::Lines::default();
        for raw in doc.entries {
            let at = raw.get().as_ptr() as usize - text.as_ptr() as usize;
            let (line, column) = lines.at(text.as_bytes(), at);
            let fail = |l: u64, c: u64, message: String| InputError::Syntax {
                path: name.to_string(),
                line: l,
                column: c,
                message,
            };
            let mut entry: AccountSettings = serde_json::from_str(raw.get()).map_err(|e| {
                // serde's position is within the entry: make it the file's.
                let (l, c) = super::scanner::file_position(&e, line, column);
                fail(l, c, json_message(&e))
            })?;
            if !is_account_id(&entry.account_id) {
                let why = format!(
                    "AccountId `{}` is not a 12-digit account id",
                    entry.account_id
                );
                return Err(fail(line, column, why));
            }
            if !crate::remedy::is_region(&entry.region) {
                let why = format!("Region `{}` is not an AWS region name", entry.region);
                return Err(fail(line, column, why));
            }
            let key = (entry.account_id.clone(), entry.region.clone());
            if let Some(&first) = self.by_scope.get(&key) {
                let (file, first_line, _) = self.entries[first].origin.clone().unwrap_or_default();
                let why = format!(
                    "a second entry for account {} in {} (the first: {file}:{first_line})",
                    key.0, key.1
                );
                return Err(fail(line, column, why));
            }
            entry.origin = Some((uri.clone(), line, column));
            self.insert(entry);
        }
        Ok(())
    }

    /// Gives `image` the settings of the account and region it was found
    /// in (its `AmilintScope`), when the files have them.
    pub fn join(&self, image: &mut Image) {
        let Some(scope) = &image.scope else { return };
        let key = (scope.account_id.clone(), scope.region.clone());
        if let Some(&i) = self.by_scope.get(&key) {
            image.account_settings = Some(self.entries[i].clone());
        }
    }

    /// The guardrails of one account × region, when a file has them.
    pub fn get(&self, account: &str, region: &str) -> Option<&Arc<AccountSettings>> {
        let key = (account.to_string(), region.to_string());
        self.by_scope.get(&key).map(|&i| &self.entries[i])
    }

    /// The index of settings a live scan read (no file: findings point at
    /// `aws/ACCOUNT/REGION/account-settings.json`).
    pub fn of(entries: Vec<AccountSettings>) -> Self {
        let mut index = SettingsIndex::default();
        for entry in entries {
            index.insert(entry);
        }
        index
    }

    fn insert(&mut self, entry: AccountSettings) {
        let key = (entry.account_id.clone(), entry.region.clone());
        self.by_scope.insert(key, self.entries.len());
        self.entries.push(Arc::new(entry));
    }
}

/// The 1-based line and column (in bytes) of offset `at`.
fn position(bytes: &[u8], at: usize) -> (u64, u64) {
    let before = &bytes[..at.min(bytes.len())];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, (at - start) as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ShortReads;

    const FILE: &str = r#"{
    "AccountSettings": [
        {
            "AccountId": "111122223333",
            "Region": "eu-west-1",
            "ImageBlockPublicAccessState": "unblocked",
            "InstanceMetadataDefaults": {}
        },
        {"AccountId": "111122223333", "Region": "us-east-1", "EbsEncryptionByDefault": true}
    ]
}
"#;

    fn read(bytes: &[u8], chunk: usize, read_size: usize) -> Result<SettingsIndex, InputError> {
        let mut index = SettingsIndex::default();
        index.read_stream(
            ShortReads::new(bytes, read_size as u64),
            Arc::from("s.json"),
            "s.json",
            chunk,
        )?;
        Ok(index)
    }

    #[test]
    fn entries_keep_their_lines_whatever_the_read_sizes_and_gzip() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, FILE.as_bytes()).expect("gzip");
        let gz = gz.finish().expect("gzip");
        for bytes in [FILE.as_bytes(), &gz] {
            for (chunk, read_size) in [(1 << 16, 1 << 16), (64, 1), (64, 3), (128, 7)] {
                let index = read(bytes, chunk, read_size).expect("reads");
                let lines: Vec<u64> = index
                    .entries
                    .iter()
                    .map(|e| e.origin.as_ref().expect("origin").1)
                    .collect();
                assert_eq!(lines, vec![3, 9]);
                assert_eq!(
                    index.entries[0].instance_metadata_defaults,
                    Some(Default::default())
                );
            }
        }
    }

    #[test]
    fn a_bad_entry_is_an_error_at_its_place() {
        let typo = FILE.replace(
            "\"EbsEncryptionByDefault\": true",
            "\"EbsEncryptionByDefault\": 1",
        );
        let Err(InputError::Syntax { line, column, .. }) = read(typo.as_bytes(), 64, 5) else {
            panic!("a number is not a bool");
        };
        assert_eq!((line, column), (9, 88));
        let unknown = FILE.replace("\"InstanceMetadataDefaults\": {}", "\"Imds\": {}");
        let Err(InputError::Syntax { line, message, .. }) = read(unknown.as_bytes(), 64, 5) else {
            panic!("an unknown key");
        };
        assert_eq!(line, 7, "{message}");
        let twice = FILE.replace("us-east-1", "eu-west-1");
        let Err(InputError::Syntax { line, message, .. }) = read(twice.as_bytes(), 64, 5) else {
            panic!("a duplicate");
        };
        assert_eq!(line, 9);
        assert!(message.contains("(the first: s.json:3)"), "{message}");
        let account = FILE.replace("111122223333", "1111");
        assert!(read(account.as_bytes(), 64, 5).is_err());
    }
}
