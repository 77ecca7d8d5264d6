//! The log writer: formatted lines are appended to a shared buffer, and a thread of its own
//! writes the buffer to stdout in one `write` every few milliseconds (or as soon as it holds
//! 64 KiB). A request thread never makes a system call for its log line and never waits
//! for stdout: when `log.queue_lines` lines are pending (stdout is slow or blocked), further
//! lines are dropped and counted.
//!
//! Why not a channel with a writer thread woken per line: on a busy core the wake-up and
//! the context switch per line cost more than the request's own work (it halved `/verify`'s
//! throughput in `scripts/load.sh`).

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the writer thread looks for lines.
const FLUSH_EVERY: Duration = Duration::from_millis(5);
/// Pending bytes that make a writer wake the thread at once.
const WAKE_AT: usize = 64 << 10;

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    lines: usize,
}

/// The buffer shared by every writer and the thread.
pub struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    max_lines: usize,
    dropped: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        match self.pending.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Lines dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn push(&self, line: &[u8]) {
        let mut p = self.lock();
        if p.lines >= self.max_lines {
            drop(p);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        p.bytes.extend_from_slice(line);
        p.lines += 1;
        if p.bytes.len() >= WAKE_AT {
            self.wake.notify_one();
        }
    }
}

/// Writes the buffer out; dropping it writes what is left and stops the thread.
pub struct Flusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the writer thread for `out`, with room for `max_lines` pending lines.
///
/// # Errors
/// When the thread cannot be started.
pub fn start(
    max_lines: usize,
    mut out: impl Write + Send + 'static,
) -> std::io::Result<(MakeLineWriter, Flusher)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        wake: Condvar::new(),
        max_lines,
        dropped: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let s = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("proof-log".into())
        .spawn(move || {
            let mut spare = Vec::new();
            loop {
                let stopping = s.stop.load(Ordering::Relaxed);
                {
                    let mut p = s.lock();
                    if p.bytes.is_empty() && !stopping {
                        p = match s.wake.wait_timeout(p, FLUSH_EVERY) {
                            Ok((g, _)) => g,
                            Err(e) => e.into_inner().0,
                        };
                    }
                    std::mem::swap(&mut p.bytes, &mut spare);
                    p.lines = 0;
                }
                if !spare.is_empty() {
                    // A failed write (stdout closed) loses these lines; nothing else can
                    // be done with them.
                    let _ = out.write_all(&spare).and_then(|()| out.flush());
                    spare.clear();
                }
                if stopping {
                    return;
                }
            }
        })?;
    Ok((
        MakeLineWriter(Arc::clone(&shared)),
        Flusher {
            shared,
            thread: Some(thread),
        },
    ))
}

/// Gives tracing-subscriber one [`LineWriter`] per event.
#[derive(Clone)]
pub struct MakeLineWriter(pub Arc<Shared>);

/// One event's line, collected and handed to the buffer when dropped.
pub struct LineWriter {
    shared: Arc<Shared>,
    line: Vec<u8>,
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.shared.push(&self.line);
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for MakeLineWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            shared: Arc::clone(&self.0),
            line: Vec::with_capacity(512),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use tracing_subscriber::fmt::MakeWriter as _;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_written_in_order_and_flushed_on_drop() {
        let sink = Sink::default();
        let (make, flusher) = start(100, sink.clone()).unwrap();
        for i in 0..10 {
            writeln!(make.make_writer(), "line {i}").unwrap();
        }
        drop(flusher);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let want: String = (0..10).map(|i| format!("line {i}\n")).collect();
        assert_eq!(text, want);
    }

    #[test]
    fn lines_past_the_limit_are_dropped_and_counted() {
        /// A stdout that blocks until told to go on.
        struct Stuck(Arc<(Mutex<bool>, Condvar)>);
        impl Write for Stuck {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                let (m, c) = &*self.0;
                let mut go = m.lock().unwrap();
                while !*go {
                    go = c.wait(go).unwrap();
                }
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (make, flusher) = start(5, Stuck(Arc::clone(&gate))).unwrap();
        writeln!(make.make_writer(), "first").unwrap();
        // The thread takes the first line and blocks writing it.
        std::thread::sleep(FLUSH_EVERY * 4);
        for _ in 0..20 {
            writeln!(make.make_writer(), "more").unwrap();
        }
        assert_eq!(make.0.dropped(), 15);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        drop(flusher);
    }
}
