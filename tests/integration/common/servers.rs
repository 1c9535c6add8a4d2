//! Local EC2 endpoints for the live tests (scans and fixes): the project's
//! fixture endpoint and moto's server, on loopback only, and amilint run
//! against them with fake credentials.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A server process, killed when dropped.
pub(crate) struct Server {
    pub child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The fixture server's request counts, by "Action region".
    pub(crate) fn stats(&self) -> Value {
        self.get("/__stats")
    }

    /// The fixture server's requests of `action`, in every region.
    pub(crate) fn calls(&self, action: &str) -> u64 {
        self.stats()
            .as_object()
            .expect("stats")
            .iter()
            .filter(|(k, _)| k.split(' ').next() == Some(action))
            .map(|(_, v)| v.as_u64().unwrap_or_default())
            .sum()
    }

    /// The fixture server's JSON answer to `GET path`.
    pub(crate) fn get(&self, path: &str) -> Value {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())",
                &format!("{}{path}", self.url()),
            ])
            .output()
            .expect("python3 runs");
        serde_json::from_slice(&out.stdout).expect("the answer is JSON")
    }
}

/// Starts the EC2 fixture endpoint serving `images` with extra options.
pub(crate) fn fixture_server(images: &str, extra: &[&str]) -> Server {
    let mut child = Command::new("python3")
        .arg(Path::new(ROOT).join("tests/live/ec2_fixture_server.py"))
        .args(["--images", images])
        .args(extra)
        .current_dir(ROOT)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 starts the fixture server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the server says its port");
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from the fixture server: {line:?}"));
    Server { child, port }
}

/// The binary with fake credentials, no AWS config files (under `home`),
/// nothing from the host: to spawn and signal.
pub(crate) fn live_command(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amilint"));
    cmd.env_clear()
        .current_dir(ROOT)
        .env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// amilint with fake credentials, no AWS config files, nothing from the host.
pub(crate) fn amilint_live(args: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().expect("temp home");
    let out = live_command(home.path())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("amilint runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

pub(crate) fn venv_bin(name: &str) -> PathBuf {
    let path = Path::new(ROOT).join("tests/live/.venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test.sh (it installs moto into tests/live/.venv)",
        path.display()
    );
    path
}

/// Runs the test venv's program `name` with `args`, which must succeed: its
/// stdout (else the test fails with what it printed).
pub(crate) fn venv_ok(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(venv_bin(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} runs: {e}"));
    assert!(
        out.status.success(),
        "{name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs a Python `script` in the test venv with `args`; its stdout as JSON.
pub(crate) fn venv_json(script: &str, args: &[&str]) -> Value {
    let mut all = vec!["-c", script];
    all.extend_from_slice(args);
    serde_json::from_slice(&venv_ok("python", &all)).expect("the script prints JSON")
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub(crate) fn start_moto() -> Server {
    let port = free_port();
    let child = Command::new(venv_bin("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// Seeds moto with tests/live/seed_moto.py (`count` images in eu-west-1, the
/// first public, the second shared; see the script) and returns the ids it made.
pub(crate) fn seed_moto(moto: &Server, count: usize) -> Value {
    let seed = Command::new(venv_bin("python"))
        .arg(Path::new(ROOT).join("tests/live/seed_moto.py"))
        .args([&moto.url(), &count.to_string()])
        .output()
        .expect("the seed script runs");
    assert!(
        seed.status.success(),
        "seeding failed: {}",
        String::from_utf8_lossy(&seed.stderr)
    );
    serde_json::from_slice(&seed.stdout).expect("seed output")
}
