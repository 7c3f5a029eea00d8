//! HTTPS targets against a real TLS server: Debian's nginx with certificates made at test time (rcgen), one
//! `server` block per case on its own loopback port — a good certificate from a private CA, an expired one,
//! one for another name, one from a CA perfgate is not told about, and a server that requires a client
//! certificate (mTLS). Each bad case must be an error of kind `tls` whose message names the cause.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use perfgate_e2e::observability::free_port;
use perfgate_e2e::{perfgate, warnings_besides_host_load, write_config};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, SanType,
};
use serde_json::Value;

/// The certificates of one test run, written as PEM files into `dir`.
struct Certs {
    dir: PathBuf,
}

impl Certs {
    fn make(dir: &Path) -> Certs {
        let ca = new_ca("perfgate test CA");
        let other_ca = new_ca("a CA nobody trusts");
        let client_ca = new_ca("perfgate client CA");
        leaf(dir, "good", &["localhost"], true, &ca, None);
        leaf(
            dir,
            "expired",
            &["localhost"],
            true,
            &ca,
            Some((2020, 2021)),
        );
        leaf(dir, "wrongname", &["other.example"], false, &ca, None);
        leaf(dir, "unknownca", &["localhost"], true, &other_ca, None);
        // What `openssl req -x509` makes by default: a self-signed CA certificate served as the leaf.
        let mut p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        std::fs::write(dir.join("caleaf.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("caleaf.key"), key.serialize_pem()).unwrap();
        let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
        client
            .distinguished_name
            .push(DnType::CommonName, "perfgate client");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = client.signed_by(&key, &client_ca).unwrap();
        std::fs::write(dir.join("client.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("client.key"), key.serialize_pem()).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.join("client-ca.pem"), client_ca.pem()).unwrap();
        Certs {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// `NAME.pem` / `NAME.key`: a server certificate for `names` (and 127.0.0.1 when `ip`), signed by `ca`.
fn leaf(
    dir: &Path,
    name: &str,
    names: &[&str],
    ip: bool,
    ca: &CertifiedIssuer<'static, KeyPair>,
    validity: Option<(i32, i32)>,
) {
    let mut p =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    if ip {
        p.subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
    }
    if let Some((from, to)) = validity {
        p.not_before = rcgen::date_time_ymd(from, 1, 1);
        p.not_after = rcgen::date_time_ymd(to, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, ca).unwrap();
    std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
    std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
}

/// nginx with one TLS server per case, each on a free loopback port.
struct Nginx {
    ports: std::collections::BTreeMap<&'static str, u16>,
    root: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

const CASES: [&str; 6] = [
    "good",
    "expired",
    "wrongname",
    "unknownca",
    "caleaf",
    "mtls",
];

impl Nginx {
    fn start(certs: &Certs) -> Option<Nginx> {
        let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists());
        let Some(bin) = bin else {
            assert!(
                std::env::var("CI").is_err(),
                "nginx is not installed (apt-get install -y nginx-light); CI must have it"
            );
            eprintln!("skipped: nginx is not installed (apt-get install -y nginx-light)");
            return None;
        };
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("html")).unwrap();
        std::fs::create_dir_all(root.join("logs")).unwrap();
        std::fs::write(root.join("html/index.html"), "hello over tls\n").unwrap();
        let r = root.display();
        let mut servers = String::new();
        let mut ports = std::collections::BTreeMap::new();
        for case in CASES {
            let port = free_port();
            ports.insert(case, port);
            let (cert, extra) = match case {
                "mtls" => (
                    "good",
                    format!(
                        "ssl_client_certificate {};\n    ssl_verify_client on;\n",
                        certs.path("client-ca.pem")
                    ),
                ),
                c => (c, String::new()),
            };
            servers.push_str(&format!(
                "  server {{\n    listen 127.0.0.1:{port} ssl;\n    root {r}/html;\n    \
                 access_log {r}/logs/{case}.log proto;\n    \
                 ssl_protocols TLSv1.2 TLSv1.3;\n    \
                 ssl_certificate {};\n    ssl_certificate_key {};\n    {extra}  }}\n",
                certs.path(&format!("{cert}.pem")),
                certs.path(&format!("{cert}.key")),
            ));
        }
        let conf = format!(
            "worker_processes 1;\ndaemon off;\npid {r}/nginx.pid;\nerror_log {r}/logs/error.log;\n\
             events {{ worker_connections 1024; }}\nhttp {{\n  \
             log_format proto '$server_protocol $ssl_protocol $status';\n  \
             client_body_temp_path {r}/body;\n  proxy_temp_path {r}/proxy;\n  fastcgi_temp_path {r}/fastcgi;\n  \
             uwsgi_temp_path {r}/uwsgi;\n  scgi_temp_path {r}/scgi;\n{servers}}}\n"
        );
        std::fs::write(root.join("nginx.conf"), conf).unwrap();
        let child = Command::new(bin)
            .arg("-p")
            .arg(&root)
            .arg("-c")
            .arg(root.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        let n = Nginx {
            ports,
            root,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        for port in n.ports.values() {
            while std::net::TcpStream::connect(("127.0.0.1", *port)).is_err() {
                assert!(Instant::now() < deadline, "nginx did not listen on {port}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Some(n)
    }

    fn url(&self, case: &str, host: &str) -> String {
        format!("https://{host}:{}/index.html", self.ports[case])
    }

    /// The lines nginx logged for `case` (`$server_protocol $ssl_protocol $status`).
    fn log(&self, case: &str) -> String {
        std::fs::read_to_string(self.root.join(format!("logs/{case}.log"))).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        perfgate_e2e::stop_gracefully(&mut self.child);
    }
}

fn setup() -> Option<(tempfile::TempDir, Certs, Nginx)> {
    let dir = tempfile::tempdir().unwrap();
    let certs = Certs::make(dir.path());
    let nginx = Nginx::start(&certs)?;
    Some((dir, certs, nginx))
}

/// `perfgate load --json` with `args`; returns the exit code and the record.
fn load(dir: &Path, url: &str, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["load", "--url", url, "-c", "2", "-d", "1", "-q", "--json"];
    all.extend_from_slice(args);
    let out = perfgate(dir, &all);
    let rec = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no record ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), rec)
}

fn operation<'a>(rec: &'a Value, name: &str) -> Option<&'a Value> {
    rec["load"]["operations"]
        .as_array()?
        .iter()
        .find(|o| o["operation_name"] == name)
}

#[test]
fn https_with_a_private_ca_succeeds_and_handshakes_are_recorded_apart() {
    let _serial = perfgate_e2e::timing_lock();
    let Some((dir, certs, nginx)) = setup() else {
        return;
    };
    let ca = certs.path("ca.pem");
    // By name (SNI `localhost`, connecting to 127.0.0.1 through --connect-to) and by IP address.
    let port = nginx.ports["good"];
    let to = format!("127.0.0.1:{port}");
    for (url, extra) in [
        (
            nginx.url("good", "localhost"),
            vec!["--connect-to", to.as_str()],
        ),
        (nginx.url("good", "127.0.0.1"), vec![]),
    ] {
        let mut args = vec!["--ca-file", ca.as_str()];
        args.extend(extra);
        let (code, rec) = load(dir.path(), &url, &args);
        assert_eq!(code, Some(0), "{:#}", rec["analysis"]);
        let overall = &rec["load"]["overall"];
        let total = overall["total_requests"].as_u64().unwrap();
        assert!(total > 100, "{total} requests");
        assert_eq!(overall["failed_requests"], 0, "{overall:#}");
        // Two users, two connections, and a new one after each 1,000 requests (nginx's
        // keepalive_requests): handshakes timed apart from the requests, not one per request.
        let hs = operation(&rec, "tls.handshake").expect("tls.handshake is recorded");
        let handshakes = hs["total_requests"].as_u64().unwrap();
        assert!(
            (2..=total / 1000 + 4).contains(&handshakes),
            "{handshakes} handshakes for {total} requests: {hs:#}"
        );
        assert!(hs["latency_ms"]["p50"].as_f64().unwrap() > 0.0, "{hs:#}");
        assert_eq!(rec["targets"][0]["details"]["tls"], true);
        assert!(
            warnings_besides_host_load(&rec).is_empty(),
            "{:#}",
            rec["warnings"]
        );
    }
    let log = nginx.log("good");
    assert!(
        log.lines().any(|l| l.starts_with("HTTP/1.1 TLSv1.3 200")),
        "nginx saw: {}",
        log.lines().next().unwrap_or_default()
    );
}

#[test]
fn bad_certificates_are_tls_errors_that_name_the_cause() {
    let _serial = perfgate_e2e::timing_lock();
    let Some((dir, certs, nginx)) = setup() else {
        return;
    };
    for (case, host, cause) in [
        ("expired", "localhost", "certificate expired"),
        ("wrongname", "localhost", "name mismatch"),
        ("unknownca", "localhost", "unknown CA"),
        ("caleaf", "localhost", "is a CA certificate"),
    ] {
        // The self-signed CA certificate is trusted as its own CA: what a user passing it to --ca-file does.
        let ca = certs.path(if case == "caleaf" {
            "caleaf.pem"
        } else {
            "ca.pem"
        });
        let to = format!("127.0.0.1:{}", nginx.ports[case]);
        let (code, rec) = load(
            dir.path(),
            &nginx.url(case, host),
            &["--ca-file", &ca, "--connect-to", &to, "--no-gates"],
        );
        assert_eq!(code, Some(0), "{case}: --no-gates only reports");
        let overall = &rec["load"]["overall"];
        assert_eq!(overall["successful_requests"], 0, "{case}: {overall:#}");
        let errors = overall["errors"].as_object().unwrap();
        assert!(
            errors.keys().all(|k| k == "tls") && errors["tls"].as_u64().unwrap() > 0,
            "{case}: {errors:?}"
        );
        let samples = overall["error_samples"].to_string();
        assert!(samples.contains(cause), "{case}: {samples}");
    }
}

#[test]
fn mtls_with_a_client_certificate_succeeds() {
    let _serial = perfgate_e2e::timing_lock();
    let Some((dir, certs, nginx)) = setup() else {
        return;
    };
    let (ca, cert, key) = (
        certs.path("ca.pem"),
        certs.path("client.pem"),
        certs.path("client.key"),
    );
    let url = nginx.url("mtls", "127.0.0.1");
    let (code, rec) = load(
        dir.path(),
        &url,
        &[
            "--ca-file",
            &ca,
            "--client-cert",
            &cert,
            "--client-key",
            &key,
        ],
    );
    assert_eq!(code, Some(0), "{:#}", rec["load"]["overall"]);
    assert_eq!(rec["load"]["overall"]["failed_requests"], 0);
    assert!(
        nginx.log("mtls").contains("TLSv1.3 200"),
        "{}",
        nginx.log("mtls")
    );

    // Without one, nginx completes the handshake and answers 400 ("No required SSL certificate was sent"):
    // that is what the service says, so it is counted as its status, not as a TLS failure.
    let (code, rec) = load(dir.path(), &url, &["--ca-file", &ca]);
    assert_eq!(code, Some(1), "every request failed");
    let errors = rec["load"]["overall"]["errors"].as_object().unwrap();
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        ["http_4xx"],
        "{errors:?}"
    );
    assert!(
        nginx.log("mtls").contains("TLSv1.3 400"),
        "{}",
        nginx.log("mtls")
    );
}

#[test]
fn insecure_skip_verify_is_explicit_and_said_in_the_summary_and_the_record() {
    let _serial = perfgate_e2e::timing_lock();
    let Some((dir, _certs, nginx)) = setup() else {
        return;
    };
    // The expired certificate from an untrusted CA: accepted only because verification is off.
    let url = nginx.url("expired", "127.0.0.1");
    let (code, rec) = load(dir.path(), &url, &["--insecure"]);
    assert_eq!(code, Some(0), "{:#}", rec["load"]["overall"]);
    assert_eq!(rec["load"]["overall"]["failed_requests"], 0);
    assert_eq!(
        rec["targets"][0]["details"]["tls_insecure_skip_verify"],
        true
    );
    let warnings = rec["warnings"].to_string();
    assert!(warnings.contains("insecure_skip_verify"), "{warnings}");

    let out = perfgate(
        dir.path(),
        &[
            "load",
            "--url",
            &url,
            "-c",
            "1",
            "-d",
            "1",
            "-q",
            "--insecure",
        ],
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("TLS certificate verification was off"),
        "{summary}"
    );
}

#[test]
fn tls_keys_in_the_config_file_are_checked_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "[target]\nbase_url = \"https://127.0.0.1:9\"\n[target.tls]\nca_file = \"missing.pem\"\n\
         [[operations]]\nname = \"home\"\npath = \"/\"\n",
    );
    let out = perfgate(dir.path(), &["run", "--test-type", "benchmark"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("perfgate.toml:4:11: key `target.tls.ca_file`: missing.pem: no such file"),
        "{err}"
    );

    write_config(
        dir.path(),
        "[target]\nbase_url = \"https://127.0.0.1:9\"\n[target.tls]\nca_fiel = \"ca.pem\"\n\
         [[operations]]\nname = \"home\"\npath = \"/\"\n",
    );
    let out = perfgate(dir.path(), &["run", "--test-type", "benchmark"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("perfgate.toml:4:1") && err.contains("ca_fiel"),
        "{err}"
    );
}
