//! Zero-copy relaying between two TCP sockets with Linux `splice(2)`.
//!
//! Bytes move from the source socket into a pipe and from the pipe into the destination socket
//! without ever being copied into this process: for bulk transfers (a large download, a busy
//! tunnel) that saves two memory copies and most of the system calls per byte. Elsewhere, or if
//! a pipe cannot be made, callers use their portable copy loop instead: [`Splicer::new`] returns
//! `None` and nothing else changes.

use std::io;
use std::time::Duration;

#[cfg(target_os = "linux")]
use tokio::io::Interest;
use tokio::net::TcpStream;

/// How long one wait of a relay may last: for the source to bring more bytes (`read`), and for
/// the destination to take some (`write`). `None`: as long as it takes. A relay that makes
/// progress is never cut; one that stops moving is, after the limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Waits {
    pub read: Option<Duration>,
    pub write: Option<Duration>,
}

impl Waits {
    /// No limits (a tunnel keeps its own idle clock).
    pub const NONE: Waits = Waits {
        read: None,
        write: None,
    };
}

/// Which side of a splice failed.
#[derive(Debug)]
pub enum SpliceError {
    /// Reading from the source (or it timed out).
    Source(io::Error),
    /// Writing to the destination.
    Destination(io::Error),
}

/// A pipe used as the in-kernel buffer between two sockets.
pub struct Splicer {
    #[cfg(target_os = "linux")]
    pipe: linux::Pipe,
}

impl Splicer {
    /// A splicer, where the platform has splice and a pipe can be made.
    pub fn new() -> Option<Splicer> {
        #[cfg(target_os = "linux")]
        {
            linux::Pipe::new().ok().map(|pipe| Splicer { pipe })
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }

    /// Moves bytes from `from` to `to` until `from` ends or `limit` bytes have moved (`None`:
    /// no limit). Each wait for either socket is bounded by `waits`. `moved` is called with
    /// each amount written to `to`. Returns the number of bytes moved.
    pub async fn relay(
        &mut self,
        from: &TcpStream,
        to: &TcpStream,
        limit: Option<u64>,
        waits: Waits,
        mut moved: impl FnMut(u64),
    ) -> Result<u64, SpliceError> {
        #[cfg(target_os = "linux")]
        {
            let mut total = 0u64;
            loop {
                let want = match limit {
                    Some(limit) if limit - total == 0 => return Ok(total),
                    Some(limit) => (limit - total).min(linux::PIPE_SIZE as u64) as usize,
                    None => linux::PIPE_SIZE,
                };
                let filled = within(waits.read, fill(from, &self.pipe, want))
                    .await
                    .map_err(SpliceError::Source)?;
                if filled == 0 {
                    return Ok(total);
                }
                let mut held = filled;
                while held > 0 {
                    let n = within(waits.write, drain(to, &self.pipe, held))
                        .await
                        .map_err(SpliceError::Destination)?;
                    held -= n;
                    total += n as u64;
                    moved(n as u64);
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (from, to, limit, waits, &mut moved);
            unreachable!("Splicer::new returns None off Linux")
        }
    }
}

/// `fut`, failing with `TimedOut` if it takes longer than `limit`.
pub async fn within<T>(
    limit: Option<Duration>,
    fut: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, fut)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?,
        None => fut.await,
    }
}

/// Splices up to `want` bytes from the socket into the (empty) pipe; 0 at end of stream.
#[cfg(target_os = "linux")]
async fn fill(from: &TcpStream, pipe: &linux::Pipe, want: usize) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    loop {
        from.readable().await?;
        match from.try_io(Interest::READABLE, || {
            linux::splice(from.as_raw_fd(), pipe.write_fd(), want)
        }) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Splices what the pipe holds (up to `held`) into the socket; returns how much went.
#[cfg(target_os = "linux")]
async fn drain(to: &TcpStream, pipe: &linux::Pipe, held: usize) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    loop {
        to.writable().await?;
        match to.try_io(Interest::WRITABLE, || {
            linux::splice(pipe.read_fd(), to.as_raw_fd(), held)
        }) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

    /// Bytes moved per splice call; the pipe is sized to hold them.
    pub const PIPE_SIZE: usize = 256 * 1024;

    pub struct Pipe {
        read: OwnedFd,
        write: OwnedFd,
    }

    impl Pipe {
        pub fn new() -> io::Result<Pipe> {
            let mut fds = [0 as libc::c_int; 2];
            // SAFETY: pipe2 writes two descriptors into the array it is given.
            if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: both descriptors were just opened and are owned by nothing else.
            let pipe = unsafe {
                Pipe {
                    read: OwnedFd::from_raw_fd(fds[0]),
                    write: OwnedFd::from_raw_fd(fds[1]),
                }
            };
            // A larger pipe means fewer system calls; the default (64 KiB) still works.
            // SAFETY: F_SETPIPE_SZ takes an int and changes only this pipe.
            unsafe {
                libc::fcntl(
                    pipe.write.as_raw_fd(),
                    libc::F_SETPIPE_SZ,
                    PIPE_SIZE as libc::c_int,
                );
            }
            Ok(pipe)
        }

        pub fn read_fd(&self) -> RawFd {
            self.read.as_raw_fd()
        }

        pub fn write_fd(&self) -> RawFd {
            self.write.as_raw_fd()
        }
    }

    /// One non-blocking splice of up to `len` bytes.
    pub fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
        // SAFETY: splice reads and writes only the descriptors given; null offsets mean the
        // files' own positions, as sockets and pipes require.
        let n = unsafe {
            libc::splice(
                from,
                std::ptr::null_mut(),
                to,
                std::ptr::null_mut(),
                len,
                libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (b, _) = listener.accept().await.unwrap();
        (a, b)
    }

    #[tokio::test]
    async fn splice_moves_exactly_the_limit_and_everything_to_the_end() {
        let (mut writer, from) = pair().await;
        let (to, mut reader) = pair().await;
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let sent = data.clone();
        let feeder = tokio::spawn(async move {
            writer.write_all(&sent).await.unwrap();
            writer.shutdown().await.unwrap();
        });
        let collector = tokio::spawn(async move {
            let mut got = Vec::new();
            reader.read_to_end(&mut got).await.unwrap();
            got
        });
        let mut splicer = Splicer::new().expect("Linux has splice");
        let mut counted = 0;
        let first = splicer
            .relay(&from, &to, Some(1_000_000), Waits::NONE, |n| counted += n)
            .await
            .unwrap();
        assert_eq!(first, 1_000_000);
        let rest = splicer
            .relay(&from, &to, None, Waits::NONE, |n| counted += n)
            .await
            .unwrap();
        assert_eq!(rest, 2_000_000);
        assert_eq!(counted, 3_000_000);
        drop(to);
        feeder.await.unwrap();
        assert!(
            collector.await.unwrap() == data,
            "bytes arrive intact and in order"
        );
    }
}
