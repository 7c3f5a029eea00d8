//! Entry points for the fuzz targets in `fuzz/` that need the runner: the config parser (`perfgate.toml`
//! text through parsing, range checks and resolution into settings) and the HTTP/1.1 response reader of the
//! load path (`targets/http/wire.rs`), fed from a real loopback socket.
//!
//! They live here, not in the fuzz crate, so that `runner/tests/fuzz_regressions.rs` replays every crash
//! input through exactly the code the fuzzer ran. Each returns normally on any input; a panic or an abort is
//! the bug being looked for. Not part of the supported API.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::config::{self, Overrides, Settings};
use crate::targets::http::wire::{Conn, Io};

/// `perfgate.toml` text: parsed, range-checked and resolved with no environment and no flags. Errors are
/// expected (and must carry the file name); panics are not.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let name = "fuzz.toml";
    let parsed = match config::parse_str(&text, name) {
        Ok(cfg) => cfg,
        Err(e) => {
            assert!(e.to_string().contains(name), "error without the file: {e}");
            return;
        }
    };
    let resolved = Settings::resolve(
        Some((&parsed, Path::new(name), &text)),
        &BTreeMap::new(),
        &Overrides::default(),
    );
    if let Ok(settings) = resolved {
        // What every run does next with a valid config.
        let _ = settings.unmeasurable_gate_warning();
        let mut sharded = settings;
        let _ = sharded.apply_shard(1, 2);
    }
}

/// A loopback listener and a runtime, made once per process (the fuzzer calls [`http_response`] millions of
/// times).
fn harness() -> &'static (tokio::runtime::Runtime, std::net::SocketAddr, TcpListener) {
    static H: OnceLock<(tokio::runtime::Runtime, std::net::SocketAddr, TcpListener)> =
        OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        (rt, addr, listener)
    })
}

/// Server bytes: the first byte picks the size of the pieces they arrive in (so partial reads reach every
/// parser state) and whether the request is a HEAD; the rest is what the "server" sends before closing.
/// Up to 8 round trips are made on the connection while it stays reusable, as the load loop would.
pub fn http_response(data: &[u8]) {
    let Some((&control, reply)) = data.split_first() else {
        return;
    };
    let piece = usize::from(control & 0x3f) + 1;
    let head = control & 0x40 != 0;
    let reply = reply.to_vec();
    let (rt, addr, listener) = harness();
    rt.block_on(async move {
        let (client, accepted) = tokio::join!(TcpStream::connect(*addr), listener.accept());
        let (Ok(client), Ok((mut server, _))) = (client, accepted) else {
            return;
        };
        let writer = tokio::spawn(async move {
            for chunk in reply.chunks(piece) {
                if server.write_all(chunk).await.is_err() {
                    return;
                }
                let _ = server.flush().await;
            }
            let _ = server.shutdown().await;
        });
        let mut conn = Conn::new(Io::Plain(client));
        for _ in 0..8 {
            let trip = conn.round_trip(b"GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n", head);
            match tokio::time::timeout(Duration::from_secs(5), trip).await {
                Ok(Ok(answer)) if answer.reusable => continue,
                _ => break,
            }
        }
        drop(conn);
        let _ = writer.await;
    });
}
