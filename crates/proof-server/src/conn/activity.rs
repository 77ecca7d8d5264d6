//! What a connection is doing, for its time-outs: requests in progress (counted by the
//! service), when the last one ended, and when the first byte of the next request head
//! arrived (seen by [`Tracked`], the stream wrapper).
//!
//! A connection with no request in progress is waiting for a head. If bytes of one have
//! arrived, it has `header_read` from the first of them to finish it; if none have, it may
//! stay `idle` from the end of its last request (or from accept). The connection's task
//! looks at least every half of the shorter timeout ([`Activity::next_check`]), so it sees
//! a head begin before that head's deadline and then sleeps until exactly that deadline,
//! without any wake-up per request.

use super::ConnLimits;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Milliseconds since the connection's start, plus one, so that 0 can mean "never".
type Stamp = u64;

/// A connection's activity.
pub struct Activity {
    start: Instant,
    in_progress: AtomicUsize,
    idle_since: AtomicU64,
    head_since: AtomicU64,
}

/// A request in progress; dropping it ends the request.
pub struct InProgress(Arc<Activity>);

impl Drop for InProgress {
    fn drop(&mut self) {
        let now = self.0.now();
        self.0.idle_since.store(now, Ordering::Relaxed);
        self.0.in_progress.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Activity {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            in_progress: AtomicUsize::new(0),
            idle_since: AtomicU64::new(1),
            head_since: AtomicU64::new(0),
        }
    }

    fn now(&self) -> Stamp {
        u64::try_from(self.start.elapsed().as_millis())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    fn at(&self, stamp: Stamp, plus: Duration) -> Instant {
        self.start + Duration::from_millis(stamp.saturating_sub(1)) + plus
    }

    /// A request has begun; its head is complete.
    pub fn request(self: &Arc<Self>) -> InProgress {
        self.in_progress.fetch_add(1, Ordering::Relaxed);
        self.head_since.store(0, Ordering::Relaxed);
        InProgress(Arc::clone(self))
    }

    fn read(&self) {
        if self.in_progress.load(Ordering::Relaxed) == 0
            && self.head_since.load(Ordering::Relaxed) == 0
        {
            self.head_since.store(self.now(), Ordering::Relaxed);
        }
    }

    fn wrote(&self) {
        // A response still being written keeps the connection from counting as idle.
        if self.in_progress.load(Ordering::Relaxed) == 0 {
            self.idle_since.store(self.now(), Ordering::Relaxed);
        }
    }

    /// When to look again: the current deadline, but no later than half the shorter
    /// timeout from now (a head that begins meanwhile has at least that long left).
    pub fn next_check(&self, l: &ConnLimits) -> Instant {
        let tick = Instant::now() + (l.idle.min(l.header_read) / 2).max(Duration::from_millis(5));
        if self.in_progress.load(Ordering::Relaxed) > 0 {
            return tick;
        }
        let deadline = match self.head_since.load(Ordering::Relaxed) {
            0 => self.at(self.idle_since.load(Ordering::Relaxed), l.idle),
            h => self.at(h, l.header_read),
        };
        deadline.min(tick)
    }

    /// Why the connection is to be closed now, if it is.
    pub fn expired(&self, l: &ConnLimits) -> Option<&'static str> {
        if self.in_progress.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let now = Instant::now();
        match self.head_since.load(Ordering::Relaxed) {
            0 => (now >= self.at(self.idle_since.load(Ordering::Relaxed), l.idle))
                .then_some("idle_timeout"),
            h => (now >= self.at(h, l.header_read)).then_some("header_timeout"),
        }
    }
}

/// A stream that reports reads and writes to its connection's [`Activity`].
pub struct Tracked<T> {
    io: T,
    activity: Arc<Activity>,
}

impl<T> Tracked<T> {
    pub fn new(io: T, activity: Arc<Activity>) -> Self {
        Self { io, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
