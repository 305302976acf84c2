//! Logging: `tracing` to stderr and to a daily-rotating file in the app's data folder.

use std::path::Path;

use tracing_appender::non_blocking::{NonBlocking, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// How many daily log files to keep; older ones are deleted on rotation.
const KEEP_LOG_FILES: usize = 14;

#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("could not create the log folder {dir}: {source}")]
    Create { dir: String, source: std::io::Error },
    #[error("could not open the log folder {dir}: {source}")]
    Open {
        dir: String,
        source: tracing_appender::rolling::InitError,
    },
}

/// Keeps the background log writer alive; dropping it flushes what is buffered.
#[derive(Debug)]
pub struct LogGuard(#[allow(dead_code)] WorkerGuard);

fn file_writer(dir: &Path) -> Result<(NonBlocking, WorkerGuard), LoggingError> {
    // The appender would create the folder itself, but prunes old files before that and
    // complains on stderr when the folder is missing.
    std::fs::create_dir_all(dir).map_err(|source| LoggingError::Create {
        dir: dir.display().to_string(),
        source,
    })?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("mspdesk")
        .filename_suffix("log")
        .max_log_files(KEEP_LOG_FILES)
        .build(dir)
        .map_err(|source| LoggingError::Open {
            dir: dir.display().to_string(),
            source,
        })?;
    Ok(tracing_appender::non_blocking(appender))
}

/// Installs the global subscriber: `RUST_LOG` filters (default `info`); lines go to stderr and
/// to `<dir>/mspdesk.<date>.log`. A second call (a subscriber already set) leaves the first.
pub fn init(dir: &Path) -> Result<LogGuard, LoggingError> {
    let (file, guard) = file_writer(dir)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _already_set = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(fmt::layer().with_ansi(false).with_writer(file))
        .try_init();
    Ok(LogGuard(guard))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn writes_to_a_dated_file_in_the_folder() {
        let dir = std::env::temp_dir().join(format!("mspdesk-log-test-{}", std::process::id()));
        let (mut writer, guard) = file_writer(&dir).unwrap();
        writer.write_all(b"hello from the test\n").unwrap();
        drop(guard); // flushes
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("mspdesk.") && name.ends_with(".log"),
            "{name}"
        );
        assert_eq!(
            std::fs::read_to_string(&files[0]).unwrap(),
            "hello from the test\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unusable_folder_is_a_clear_error() {
        // A regular file where the folder should be.
        let file = std::env::temp_dir().join(format!("mspdesk-log-file-{}", std::process::id()));
        std::fs::write(&file, b"").unwrap();
        let err = file_writer(&file).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not create the log folder"),
            "{err}"
        );
        std::fs::remove_file(&file).unwrap();
    }
}
