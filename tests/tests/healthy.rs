//! A healthy service under moderate load ends `pass`, with no warning: real servers nobody here wrote
//! (Debian's nginx and Prometheus Pushgateway), judged as a new user's first run would be.
//!
//! A false alarm in the first hour teaches a team to ignore the tool, so these runs must be quiet: no failed
//! gate, no operation flagged, no run-level finding above `low`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use perfgate_e2e::observability::{free_port, http_get, Pushgateway};
use perfgate_e2e::{perfgate, read_run_record, write_config};
use serde_json::Value;

/// nginx from Debian (`nginx-light`), serving one static file from a temp prefix on a free port.
struct Nginx {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn binary() -> Option<PathBuf> {
        ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
    }

    fn start() -> Option<Nginx> {
        let Some(bin) = Self::binary() else {
            assert!(
                std::env::var("CI").is_err(),
                "nginx is not installed (apt-get install -y nginx-light); CI must have it"
            );
            eprintln!("skipped: nginx is not installed (apt-get install -y nginx-light)");
            return None;
        };
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        std::fs::create_dir_all(root.join("html")).expect("html");
        std::fs::create_dir_all(root.join("logs")).expect("logs");
        std::fs::write(root.join("html/index.html"), "hello from nginx\n").expect("index");
        let port = free_port();
        let conf = format!(
            "worker_processes 1;\ndaemon off;\npid {r}/nginx.pid;\nerror_log {r}/logs/error.log;\n\
             events {{ worker_connections 1024; }}\nhttp {{\n  access_log off;\n  \
             client_body_temp_path {r}/body;\n  proxy_temp_path {r}/proxy;\n  fastcgi_temp_path {r}/fastcgi;\n  \
             uwsgi_temp_path {r}/uwsgi;\n  scgi_temp_path {r}/scgi;\n  \
             server {{ listen 127.0.0.1:{port}; root {r}/html; }}\n}}\n",
            r = root.display()
        );
        std::fs::write(root.join("nginx.conf"), conf).expect("conf");
        let child = Command::new(bin)
            .arg("-p")
            .arg(root)
            .arg("-c")
            .arg(root.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        let n = Nginx {
            port,
            child,
            _dir: dir,
        };
        let addr = format!("127.0.0.1:{port}").parse().expect("addr");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(http_get(addr, "/index.html"), Some((200, _))) {
                return Some(n);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nginx did not answer on {addr}");
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        perfgate_e2e::stop_gracefully(&mut self.child);
    }
}

/// Nothing in the verdict says more than `low`.
fn assert_quiet(rec: &Value) {
    let a = &rec["analysis"];
    assert_eq!(a["status"], "pass", "{:#}", a);
    for op in a["operations"].as_array().into_iter().flatten() {
        assert_eq!(op["status"], "ok", "{op:#}");
    }
    for r in a["recommendations"].as_array().into_iter().flatten() {
        assert_eq!(r["severity"], "low", "a run-level finding above low: {r:#}");
    }
}

#[test]
fn nginx_serving_a_static_file_at_ten_connections_passes_quietly() {
    let _serial = perfgate_e2e::timing_lock();
    let Some(nginx) = Nginx::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/index.html", nginx.port);
    let out = perfgate(
        dir.path(),
        &["load", "--url", &url, "-c", "10", "-d", "3", "-q", "--json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rec: Value = serde_json::from_slice(&out.stdout).expect("--json prints the record");
    assert!(rec["load"]["overall"]["total_requests"].as_u64().unwrap() > 1000);
    assert_quiet(&rec);
}

#[test]
fn pushgateway_started_through_a_shell_service_is_measured_and_passes_quietly() {
    let _serial = perfgate_e2e::timing_lock();
    let bin = Pushgateway::binary();
    assert!(
        bin.exists(),
        "{} not found: apt-get install -y prometheus-pushgateway",
        bin.display()
    );
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    // The `sh -c` form a user writes (dash does not exec): perfgate must measure the whole process tree.
    write_config(
        dir.path(),
        &format!(
            r#"suite = "pushgateway"
[target]
base_url = "http://127.0.0.1:{port}"

[service]
command = "{bin} --web.listen-address=127.0.0.1:{port} --persistence.file= --log.level=warn"
ready_url = "http://127.0.0.1:{port}/-/ready"

[[operations]]
name = "metrics"
path = "/metrics"

[load]
duration_seconds = 3
concurrent_users = 5
"#,
            bin = bin.display()
        ),
    );
    let out = perfgate(
        dir.path(),
        &["run", "--test-type", "load", "--output-dir", "out", "-q"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let rec = read_run_record(&dir.path().join("out"));
    assert_quiet(&rec);
    // Measured: the gateway itself (~19 MB), not the 1.6 MB shell in front of it.
    let target = &rec["system"]["target"];
    assert!(target["rss_max_mb"].as_f64().unwrap() > 8.0, "{target:#}");
    assert!(target["pids"].as_array().unwrap().len() >= 2, "{target:#}");
}
