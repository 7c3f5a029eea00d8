//! A loopback HTTP/1 server on a thread of its own, answering with a handler: the scaffolding of the
//! tests' fixed-file host, OTLP receiver and fake GitHub API. Dropping it stops it.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// A running server on 127.0.0.1 and an ephemeral port.
pub struct LoopbackServer {
    pub addr: SocketAddr,
    _thread: ServerThread,
}

/// A server's thread and the sender that tells it to stop; dropping it stops the server and joins the thread.
pub struct ServerThread {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerThread {
    pub fn new(
        stop: tokio::sync::oneshot::Sender<()>,
        thread: std::thread::JoinHandle<()>,
    ) -> ServerThread {
        ServerThread {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl LoopbackServer {
    /// Binds a port, then serves every request with the handler `make` returns for that address (a
    /// handler that must know its own URL, such as a paginating API, gets it this way).
    pub fn start<M, H, F>(make: M) -> LoopbackServer
    where
        M: FnOnce(SocketAddr) -> H,
        H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
        F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let handler = Arc::new(make(addr));
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => return,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let handler = Arc::clone(&handler);
                            tokio::spawn(async move {
                                let svc = service_fn(move |req| {
                                    let answer = handler(req);
                                    async move { Ok::<_, Infallible>(answer.await) }
                                });
                                let _ = http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), svc)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        LoopbackServer {
            addr,
            _thread: ServerThread::new(tx, thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
