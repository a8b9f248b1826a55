//! A Garage of a test's own (tests/support/garage, as the browser stage
//! starts one), for tests of the signer on an independent, strict store;
//! such tests skip, saying so, when `garage` is not installed. More keys
//! with access to the same bucket come from [`Garage::add_key`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Garage of the test's own; killed when dropped.
pub struct Garage {
    pub env: HashMap<String, String>,
    /// Its folder (`garage.toml` in it).
    pub dir: PathBuf,
}

/// A key pair Garage knows.
#[derive(Debug, Clone)]
pub struct GarageKey {
    pub id: String,
    pub secret: String,
}

impl Garage {
    /// A new key pair, named `name`, that may read and write the bucket
    /// (`garage key import` and `garage bucket allow`, as the first one).
    pub fn add_key(&self, name: &str) -> GarageKey {
        let hex = || uuid::Uuid::new_v4().simple().to_string();
        let key = GarageKey {
            id: format!("GK{}", &hex()[..24]),
            secret: format!("{}{}", hex(), hex()),
        };
        let bucket = &self.env["PRESIGN_BUCKET"];
        self.cli(&["key", "import", "--yes", "-n", name, &key.id, &key.secret]);
        self.cli(&[
            "bucket", "allow", "--read", "--write", "--owner", bucket, "--key", name,
        ]);
        key
    }

    fn cli(&self, args: &[&str]) {
        let garage = garage_binary().expect("garage is installed");
        let out = Command::new(garage)
            .arg("-c")
            .arg(self.dir.join("garage.toml"))
            .args(args)
            .output()
            .expect("garage runs");
        assert!(
            out.status.success(),
            "garage {}: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        if let Some(pid) = self.env.get("GARAGE_PID") {
            let _ = Command::new("kill").arg(pid).status();
        }
    }
}

pub fn garage_binary() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin/garage"));
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("garage"));
    home.into_iter().chain(on_path).find(|p| p.is_file())
}

pub fn start_garage(dir: &Path) -> Garage {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(repo.join("tests/support/garage"))
        .arg(dir)
        .output()
        .expect("tests/support/garage runs");
    assert!(
        out.status.success(),
        "garage did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("env")).expect("garage env file");
    let env = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Garage {
        env,
        dir: dir.to_owned(),
    }
}
