//! Config faults: every kind of bad file gives a clear message naming where the problem is, and
//! nothing is lost: a failed save leaves the previous file as it was.

use std::fs;
use std::path::Path;

use wicket::{Config, ConfigError};

fn load_error(text: &[u8]) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    fs::write(&path, text).unwrap();
    let err = Config::load(&path).expect_err("the file is bad");
    assert_eq!(
        fs::read(&path).unwrap(),
        text,
        "loading never changes the file"
    );
    (err.to_string(), dir)
}

#[test]
fn truncated_file_is_reported_with_its_line_and_column() {
    let (err, dir) = load_error(b"{\n  \"listen\": \"127.0.0.1:8080\",\n  \"block\": [\"a.test\",");
    let path = dir.path().join("config.json");
    assert!(
        err.starts_with(&format!("config file {}:3:", path.display())),
        "{err}"
    );
    assert!(err.contains("EOF while parsing"), "{err}");
}

#[test]
fn text_that_is_not_json_is_reported() {
    let (err, _dir) = load_error(b"listen = 127.0.0.1:8080\n");
    assert!(err.contains(":1:1: expected value"), "{err}");
    let (err, _dir) = load_error(&[0xff, 0xfe, 0x00, 0x01]);
    assert!(err.contains("stream did not contain valid UTF-8"), "{err}");
    let (err, _dir) = load_error(b"");
    assert!(err.contains("EOF while parsing"), "{err}");
}

#[test]
fn wrong_types_name_the_field() {
    let (err, _dir) = load_error(br#"{"timeout_secs": "thirty"}"#);
    assert!(
        err.contains("timeout_secs: invalid type: string \"thirty\", expected u64"),
        "{err}"
    );
    let (err, _dir) = load_error(br#"{"block": "example.com"}"#);
    assert!(err.contains("block: invalid type: string"), "{err}");
    let (err, _dir) = load_error(br#"{"allow_only": 1}"#);
    assert!(err.contains("allow_only: invalid type: integer"), "{err}");
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let (err, _dir) = load_error(b"{\n  \"listen\": \"127.0.0.1:1\",\n  \"blocklist\": []\n}");
    assert!(err.contains(":3:"), "{err}");
    assert!(err.contains("unknown field `blocklist`"), "{err}");
}

#[test]
fn an_unreadable_file_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: reading it fails whatever the user's rights.
    let path = dir.path().join("config.json");
    fs::create_dir(&path).unwrap();
    let err = Config::load(&path).unwrap_err();
    assert!(matches!(err, ConfigError::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("config file {}: ", path.display())),
        "{err}"
    );
}

/// A tiny tmpfs, so a save really runs out of space (Linux, as root: CI runs so).
struct FullDisk {
    dir: tempfile::TempDir,
}

impl FullDisk {
    fn mount(bytes: usize) -> FullDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "mounting a tmpfs needs root (CI runs as root)"
        );
        FullDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_save_on_a_full_disk_fails_clearly_and_keeps_the_previous_file() {
    let disk = FullDisk::mount(8192);
    let path = disk.path().join("config.json");
    let good = Config {
        block: vec!["before.test".parse().unwrap()],
        ..Config::default()
    };
    good.save(&path).expect("a small config fits");
    let before = fs::read(&path).unwrap();
    // A config too large for what is left on the disk.
    let big = Config {
        block: (0..2000)
            .map(|i| format!("site{i}.test").parse().unwrap())
            .collect(),
        ..Config::default()
    };
    let err = big.save(&path).expect_err("the disk is full");
    assert!(matches!(err, ConfigError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert_eq!(
        fs::read(&path).unwrap(),
        before,
        "the previous config survives"
    );
    assert_eq!(Config::load(&path).unwrap(), good);
    let left: Vec<_> = fs::read_dir(disk.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["config.json"], "no temporary file is left behind");
}
