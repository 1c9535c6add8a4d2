//! Errors at the boundaries of amilint, each with the context a user needs.

use std::path::PathBuf;

/// Reading an input export failed.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened or read (including a corrupt gzip stream).
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a describe-images document we can read.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: u64,
        column: u64,
        message: String,
    },
}

impl InputError {
    /// A JSON document of `path` that could not be read (an I/O error) or
    /// parsed (at serde_json's line and column).
    pub fn json(path: &str, e: &serde_json::Error) -> Self {
        match e.io_error_kind() {
            Some(kind) => InputError::Io {
                path: path.to_string(),
                source: std::io::Error::new(kind, e.to_string()),
            },
            None => InputError::Syntax {
                path: path.to_string(),
                line: e.line() as u64,
                column: e.column() as u64,
                message: json_message(e),
            },
        }
    }
}

/// serde_json's message without the " at line L column C" it appends
/// (amilint prints positions itself).
pub fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Writing a report failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct OutputError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Loading a Rhai policy failed: the run stops before scanning.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The script or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The script does not compile, or its `meta()` is wrong.
    #[error("{script}{}: {message}", position(*line, *column))]
    Script {
        script: String,
        line: Option<u64>,
        column: Option<u64>,
        message: String,
    },
}

/// `:line:column` when known, `:line` with only a line, nothing otherwise.
fn position(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// The config file is missing, unreadable or wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A syntax error, an unknown key, a wrong type or a bad value.
    #[error("{path}:{line}:{column}: {}{message}", if key.is_empty() { String::new() } else { format!("`{key}`: ") })]
    Invalid {
        path: String,
        line: u64,
        column: u64,
        key: String,
        message: String,
    },
    /// A command-line flag that sets a rule option has a bad value.
    #[error("{flag}: {message}")]
    Flag { flag: String, message: String },
}

/// A live-scan call that failed: where (account and region, when known),
/// which operation, and the error code AWS sent, if it sent one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if operation.is_empty() { String::new() } else { format!("{operation}: ") })]
pub struct FetchError {
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// `DescribeImages`, `AssumeRole arn:…`, `DescribeImageAttribute launchPermission`;
    /// empty when no call was made (no region configured, say).
    pub operation: String,
    /// AWS's error code (`UnauthorizedOperation`, `RequestLimitExceeded`).
    pub code: Option<String>,
    /// What went wrong, as people read it (the code and AWS's message).
    pub message: String,
}

impl FetchError {
    /// A failure of `operation` that AWS did not describe with a code.
    pub fn new(operation: impl Into<String>, message: impl Into<String>) -> Self {
        FetchError {
            account_id: None,
            region: None,
            operation: operation.into(),
            code: None,
            message: message.into(),
        }
    }

    /// The same failure, in an account and region.
    pub fn in_scope(mut self, account_id: &str, region: &str) -> Self {
        self.account_id = Some(account_id.to_string());
        self.region = Some(region.to_string());
        self
    }
}

/// A fix action that amilint will not render or send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// A value the call would carry is not one AWS forms (shown cut at 80).
    #[error("the {what} {value:?} is not one AWS forms")]
    Value { what: &'static str, value: String },
    /// A report's action is not one amilint writes.
    #[error("{operation}: {message}")]
    Shape { operation: String, message: String },
}
