//! A headless Chromium driven over the Chrome DevTools Protocol, for the site's browser tests.
//!
//! Why CDP and not WebDriver: the tests need what WebDriver does not give portably — every network request the
//! page makes (to prove none leaves loopback), console errors and exceptions as events, `prefers-color-scheme`
//! emulation for dark-mode screenshots, and a 360 px viewport. The well-kept CDP crates (chromiumoxide,
//! headless_chrome) generate the whole protocol (a long build on two cores) and the latter downloads a browser
//! by default; these tests use eight methods, so this is a small client over `tungstenite` on a loopback
//! WebSocket.
//!
//! Chromium is started with the flags that keep it off the network (`--disable-background-networking`, …) and
//! with a host resolver that fails every name but 127.0.0.1, so an accidental external URL becomes a failed
//! request the test sees instead of a silent fetch.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// Where Chromium is, if installed: `PERFGATE_CHROMIUM`, else `chromium` / `chromium-browser` /
/// `google-chrome` on the PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PERFGATE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// What happened while a page loaded.
#[derive(Debug, Default)]
pub struct PageLog {
    /// Every URL the page requested.
    pub requests: Vec<String>,
    /// Console errors, uncaught exceptions, failed loads and dialogs (an `alert()` would be injected script).
    pub errors: Vec<String>,
}

/// A running headless Chromium with one page attached. Dropping it kills the browser it started.
pub struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium and opens a blank page.
    pub fn launch(chromium: &Path) -> Result<Browser, String> {
        let profile = tempfile::tempdir().map_err(|e| format!("profile dir: {e}"))?;
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", chromium.display()))?;
        let url = match devtools_url(&mut child) {
            Ok(u) => u,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let (ws, _) =
            tungstenite::connect(url.as_str()).map_err(|e| format!("connect {url}: {e}"))?;
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(30)))
                .map_err(|e| format!("read timeout: {e}"))?;
        }
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = b.call_browser("Target.createTarget", json!({"url": "about:blank"}))?;
        let target_id = target["targetId"].as_str().unwrap_or_default().to_string();
        let attached = b.call_browser(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        )?;
        b.session = attached["sessionId"]
            .as_str()
            .ok_or("attachToTarget: no sessionId")?
            .to_string();
        for domain in [
            "Page.enable",
            "Runtime.enable",
            "Log.enable",
            "Network.enable",
        ] {
            b.call(domain, json!({}), &mut PageLog::default())?;
        }
        Ok(b)
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<u64, String> {
        self.next_id += 1;
        let mut msg = json!({"id": self.next_id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .map_err(|e| format!("{method}: {e}"))?;
        Ok(self.next_id)
    }

    fn read(&mut self) -> Result<Value, String> {
        loop {
            match self.ws.read().map_err(|e| format!("devtools: {e}"))? {
                Message::Text(t) => {
                    return serde_json::from_str(t.as_str())
                        .map_err(|e| format!("devtools JSON: {e}"))
                }
                Message::Close(_) => return Err("devtools closed the connection".into()),
                _ => continue,
            }
        }
    }

    /// Sends a command and waits for its answer; events that arrive meanwhile are recorded in `log`.
    fn wait_result(&mut self, id: u64, method: &str, log: &mut PageLog) -> Result<Value, String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let msg = self.read()?;
            if msg["id"].as_u64() == Some(id) {
                if let Some(err) = msg.get("error") {
                    return Err(format!("{method}: {err}"));
                }
                return Ok(msg["result"].clone());
            }
            record_event(&msg, log);
        }
        Err(format!("{method}: no answer in 30 s"))
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.send(None, method, params)?;
        self.wait_result(id, method, &mut PageLog::default())
    }

    /// A command on the page's session.
    pub fn call(
        &mut self,
        method: &str,
        params: Value,
        log: &mut PageLog,
    ) -> Result<Value, String> {
        let session = self.session.clone();
        let id = self.send(Some(&session), method, params)?;
        self.wait_result(id, method, log)
    }

    /// Sets the viewport width (height follows the content for screenshots) and the colour scheme.
    pub fn emulate(&mut self, width: u32, dark: bool) -> Result<(), String> {
        let mut log = PageLog::default();
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 500}),
            &mut log,
        )?;
        self.call(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" }}]}),
            &mut log,
        )?;
        Ok(())
    }

    /// Navigates and waits for the load event; returns what the page requested and any errors.
    pub fn open(&mut self, url: &str) -> Result<PageLog, String> {
        let mut log = PageLog::default();
        self.call("Page.navigate", json!({"url": url}), &mut log)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let msg = self.read()?;
            if msg["method"] == "Page.loadEventFired" {
                // Let late console messages arrive: a round trip through the page flushes them.
                self.eval("1", &mut log)?;
                return Ok(log);
            }
            record_event(&msg, &mut log);
        }
        Err(format!("{url}: no load event in 30 s"))
    }

    /// Evaluates a JavaScript expression and returns its value (JSON).
    pub fn eval(&mut self, expression: &str, log: &mut PageLog) -> Result<Value, String> {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            log,
        )?;
        if let Some(ex) = r.get("exceptionDetails") {
            return Err(format!("{expression}: {ex}"));
        }
        Ok(r["result"]["value"].clone())
    }

    /// A PNG of the whole page (beyond the viewport).
    pub fn screenshot(&mut self) -> Result<Vec<u8>, String> {
        use base64::Engine as _;
        let mut log = PageLog::default();
        let r = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
            &mut log,
        )?;
        let data = r["data"].as_str().ok_or("captureScreenshot: no data")?;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("screenshot base64: {e}"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads Chromium's stderr until it prints its DevTools WebSocket address.
fn devtools_url(child: &mut Child) -> Result<String, String> {
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("ws://") {
                // Keep reading after this, so Chromium never blocks on a full pipe.
                let _ = tx.send(Ok(line[at..].trim().to_string()));
                continue;
            }
            seen.push(line);
        }
        let _ = tx.send(Err(seen.join("\n")));
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(url)) => Ok(url),
        Ok(Err(out)) => Err(format!("chromium exited before DevTools started:\n{out}")),
        Err(_) => Err("chromium printed no DevTools address in 30 s".into()),
    }
}

/// Files an event into the log when it is a request or an error.
fn record_event(msg: &Value, log: &mut PageLog) {
    let p = &msg["params"];
    match msg["method"].as_str() {
        Some("Network.requestWillBeSent") => log
            .requests
            .push(p["request"]["url"].as_str().unwrap_or_default().to_string()),
        Some("Runtime.exceptionThrown") => log
            .errors
            .push(format!("exception: {}", p["exceptionDetails"])),
        Some("Runtime.consoleAPICalled") if p["type"] == "error" || p["type"] == "assert" => log
            .errors
            .push(format!("console.{}: {}", p["type"], p["args"])),
        Some("Log.entryAdded") if p["entry"]["level"] == "error" => log
            .errors
            .push(format!("log: {} {}", p["entry"]["text"], p["entry"]["url"])),
        Some("Network.loadingFailed") => {
            log.errors.push(format!("load failed: {}", p["errorText"]))
        }
        Some("Page.javascriptDialogOpening") => {
            log.errors.push(format!("dialog opened: {}", p["message"]))
        }
        _ => {}
    }
}
