//! One HTTP/1.1 keep-alive connection as a load generator needs it: write a request that was serialized
//! once, read the status line and headers, discard the body, tell whether the connection can be reused.
//!
//! Why not hyper's client here: its connection runs as a task of its own behind a channel, so every request
//! crosses tasks twice (send, then the response back), and a request is built from a `Request` and a
//! `HeaderMap` each time. At tens of thousands of requests per second on one core that machinery is most
//! of the generator's cost; wrk's design (bytes prepared once, one socket owned by the caller, a streaming
//! response parser) is what keeps a generator from measuring itself. Headers are parsed with `httparse`
//! (hyper's own parser); everything else here is framing: `Content-Length`, `chunked`, read-to-close,
//! bodiless responses (HEAD, 1xx, 204, 304). Over TLS the same bytes go through a rustls stream ([`Io`]).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Headers a response may have before it is refused (hyper's default is 100 too).
const MAX_HEADERS: usize = 100;
/// Largest response head (status line + headers) accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 16 * 1024;

/// Why a round trip failed. The connection is unusable afterwards.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The peer closed the connection before a complete response (on a reused connection: it timed the
    /// connection out just as the request went out).
    #[error("connection closed before a response ({0})")]
    Closed(&'static str),
    /// The response had begun (part of its head or body arrived) when the peer closed: a truncated response,
    /// which is the server's fault, not a connection that could not be made.
    #[error("response truncated: connection closed {0}")]
    Truncated(&'static str),
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("invalid HTTP response: {0}")]
    Invalid(String),
}

/// The part of a response a load test judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// False when the server said `Connection: close` or ended the body by closing.
    pub reusable: bool,
}

/// The socket under a connection: plain TCP, or TLS over TCP (boxed: rustls' state is a few KB).
pub enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A connection and its read buffer.
pub struct Conn {
    stream: Io,
    buf: BytesMut,
}

/// How the body of a response ends.
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

impl Conn {
    pub fn new(stream: Io) -> Conn {
        Conn {
            stream,
            buf: BytesMut::with_capacity(READ_CHUNK),
        }
    }

    /// Sends `request` (a whole serialized request) and reads the response; `head` says the request was a
    /// HEAD (its response has no body whatever its headers say).
    pub async fn round_trip(&mut self, request: &[u8], head: bool) -> Result<Answer, WireError> {
        self.buf.clear();
        self.stream.write_all(request).await?;
        if matches!(self.stream, Io::Tls(_)) {
            // rustls may hold the last record until flushed.
            self.stream.flush().await?;
        }
        loop {
            let (status, framing, close) = self.read_head(head).await?;
            if (100..200).contains(&status) && status != 101 {
                // 100 Continue, 103 Early Hints: the real response follows.
                continue;
            }
            let ended_by_close = matches!(framing, Framing::UntilClose);
            self.skip_body(framing).await?;
            return Ok(Answer {
                status,
                reusable: !close && !ended_by_close && status != 101,
            });
        }
    }

    /// Reads more bytes into the buffer; `Ok(0)` at end of stream.
    async fn fill(&mut self) -> Result<usize, WireError> {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
            self.buf.reserve(READ_CHUNK);
        }
        Ok(self.stream.read_buf(&mut self.buf).await?)
    }

    async fn read_head(&mut self, head: bool) -> Result<(u16, Framing, bool), WireError> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = resp.code.unwrap_or(0);
                    let (framing, close) = framing_of(&resp, status, head)?;
                    self.buf.advance(len);
                    return Ok((status, framing, close));
                }
                Ok(httparse::Status::Partial) => {
                    if self.buf.len() > MAX_HEAD_BYTES {
                        return Err(WireError::Invalid(format!(
                            "response head longer than {MAX_HEAD_BYTES} bytes"
                        )));
                    }
                    if self.fill().await? == 0 {
                        return Err(if self.buf.is_empty() {
                            WireError::Closed("no response")
                        } else {
                            WireError::Truncated("in the response head")
                        });
                    }
                }
                Err(e) => return Err(WireError::Invalid(e.to_string())),
            }
        }
    }

    async fn skip_body(&mut self, framing: Framing) -> Result<(), WireError> {
        match framing {
            Framing::None => Ok(()),
            Framing::Length(n) => self.skip(n).await,
            Framing::UntilClose => {
                self.buf.clear();
                while self.fill().await? > 0 {
                    self.buf.clear();
                }
                Ok(())
            }
            Framing::Chunked => loop {
                let line = self.line().await?;
                let size = parse_chunk_size(&line)?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    while !self.line().await?.is_empty() {}
                    return Ok(());
                }
                self.skip(size).await?;
                if !self.line().await?.is_empty() {
                    return Err(WireError::Invalid("chunk data longer than its size".into()));
                }
            },
        }
    }

    /// Discards `n` body bytes.
    async fn skip(&mut self, mut n: u64) -> Result<(), WireError> {
        loop {
            let k = (self.buf.len() as u64).min(n);
            self.buf.advance(k as usize);
            n -= k;
            if n == 0 {
                return Ok(());
            }
            if self.fill().await? == 0 {
                return Err(WireError::Truncated("in the body"));
            }
        }
    }

    /// The next CRLF-terminated line, without its CRLF (chunk sizes and trailers are short).
    async fn line(&mut self) -> Result<Vec<u8>, WireError> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..i].to_vec();
                self.buf.advance(i + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD_BYTES {
                return Err(WireError::Invalid("chunk line too long".into()));
            }
            if self.fill().await? == 0 {
                return Err(WireError::Truncated("in a chunked body"));
            }
        }
    }
}

/// How the body is framed and whether the server asked to close (RFC 9112 §6.3).
fn framing_of(
    resp: &httparse::Response<'_, '_>,
    status: u16,
    head: bool,
) -> Result<(Framing, bool), WireError> {
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut close = resp.version == Some(0);
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let v = std::str::from_utf8(h.value)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| WireError::Invalid("bad Content-Length".into()))?;
            if length.is_some_and(|l| l != v) {
                return Err(WireError::Invalid("conflicting Content-Length".into()));
            }
            length = Some(v);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = h
                .value
                .split(|b| *b == b',')
                .next_back()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|b| *b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
        }
    }
    let framing = if head || (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::None
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Ok((framing, close))
}

fn parse_chunk_size(line: &[u8]) -> Result<u64, WireError> {
    let digits = line.split(|b| *b == b';').next().unwrap_or_default();
    std::str::from_utf8(digits)
        .ok()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 16)
        .and_then(|s| u64::from_str_radix(s, 16).ok())
        .ok_or_else(|| WireError::Invalid("bad chunk size".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// Serves `replies` in order, one per request, on one connection; returns the requests it read.
    async fn serve(replies: Vec<Vec<u8>>) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            for reply in replies {
                let mut req = Vec::new();
                let mut b = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut b).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    req.extend_from_slice(&b[..n]);
                }
                // Dribble the reply a few bytes at a time, so every parser state meets a partial read.
                for piece in reply.chunks(7) {
                    s.write_all(piece).await.unwrap();
                    s.flush().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
        });
        (addr, task)
    }

    const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    #[tokio::test]
    async fn framings_are_read_to_the_end_and_the_connection_reused() {
        let replies = vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n".to_vec(),
            b"HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n".to_vec(),
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno!".to_vec(),
        ];
        let (addr, task) = serve(replies).await;
        let mut c = Conn::new(Io::Plain(TcpStream::connect(addr).await.unwrap()));
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(c.round_trip(GET, false).await.unwrap());
        }
        let statuses: Vec<u16> = got.iter().map(|a| a.status).collect();
        assert_eq!(statuses, [200, 503, 200, 204, 404]);
        let reusable: Vec<bool> = got.iter().map(|a| a.reusable).collect();
        assert_eq!(reusable, [true, true, true, true, false]);
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_body_ended_by_close_and_a_head_response() {
        let (addr, _t) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec(),
            b"HTTP/1.0 200 OK\r\n\r\nuntil the end".to_vec(),
        ])
        .await;
        let mut c = Conn::new(Io::Plain(TcpStream::connect(addr).await.unwrap()));
        let head = c.round_trip(GET, true).await.unwrap();
        assert_eq!((head.status, head.reusable), (200, true));
        let last = c.round_trip(GET, false).await.unwrap();
        assert_eq!((last.status, last.reusable), (200, false));
    }

    #[tokio::test]
    async fn truncated_and_garbage_responses_are_errors_not_hangs() {
        let (addr, _t) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec()
        ])
        .await;
        let mut c = Conn::new(Io::Plain(TcpStream::connect(addr).await.unwrap()));
        let e = c.round_trip(GET, false).await.unwrap_err();
        assert!(matches!(e, WireError::Truncated("in the body")), "{e}");

        let (addr, _t) = serve(vec![b"SMTP ready\r\n\r\n".to_vec()]).await;
        let mut c = Conn::new(Io::Plain(TcpStream::connect(addr).await.unwrap()));
        let e = c.round_trip(GET, false).await.unwrap_err();
        assert!(matches!(e, WireError::Invalid(_)), "{e}");

        let (addr, _t) = serve(vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
        ])
        .await;
        let mut c = Conn::new(Io::Plain(TcpStream::connect(addr).await.unwrap()));
        let e = c.round_trip(GET, false).await.unwrap_err();
        assert!(e.to_string().contains("chunk size"), "{e}");
    }
}
