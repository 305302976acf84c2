//! What keeps anonymous clients from hoarding the server: a cap on open connections (per
//! address and in all), a first-byte and an idle timeout on every connection, and request
//! bodies read whole, at a minimum rate, before their request takes a place among the requests
//! at once. Behind trusted proxies, whose connections carry many clients, the per-address cap
//! counts each forwarded address's requests at once instead of its connections.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::AppError;

/// The limits of [`crate::Settings`] this module applies.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections from one address (or requests at once of one forwarded address).
    pub per_address: usize,
    /// Open connections in all.
    pub total: usize,
    /// How long a new connection may stay silent before its first byte.
    pub first_byte: Duration,
    /// How long a connection with no request in progress may stay silent.
    pub idle: Duration,
    /// The slowest a request body may arrive, in bytes a second, once `body_grace` has passed.
    pub min_body_rate: u64,
    pub body_grace: Duration,
    /// The largest body read (routes refuse less with their own limits).
    pub max_body: usize,
}

/// The key one address counts under: an IPv4 address, or an IPv6 /64 (one subscriber's
/// network), with IPv4-mapped addresses as IPv4.
#[must_use]
pub fn address_group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Counts what each address holds (connections, or requests at once), and in all.
#[derive(Debug, Default)]
pub struct Slots {
    by_address: Mutex<HashMap<IpAddr, usize>>,
    total: AtomicUsize,
}

/// One held slot; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    address: IpAddr,
}

impl Slots {
    /// Takes a slot for `address` unless it already holds `per_address` or all hold `total`.
    pub fn take(
        self: &Arc<Self>,
        address: IpAddr,
        per_address: usize,
        total: usize,
    ) -> Option<Slot> {
        let address = address_group(address);
        let mut by_address = self
            .by_address
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let held = by_address.entry(address).or_insert(0);
        if *held >= per_address || self.total.load(Ordering::Relaxed) >= total {
            if *held == 0 {
                by_address.remove(&address);
            }
            return None;
        }
        *held += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        Some(Slot {
            slots: Arc::clone(self),
            address,
        })
    }

    /// Slots held in all.
    #[must_use]
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut by_address = self
            .slots
            .by_address
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(held) = by_address.get_mut(&self.address) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                by_address.remove(&self.address);
            }
        }
        self.slots.total.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a connection's watchdog reads: when it last received a byte, and how many of its
/// requests are in progress.
#[derive(Debug)]
pub struct Activity {
    started: Instant,
    /// Milliseconds after `started` of the last byte received; `u64::MAX` before the first.
    last_read_ms: AtomicU64,
    in_progress: AtomicUsize,
}

impl Activity {
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            last_read_ms: AtomicU64::new(u64::MAX),
            in_progress: AtomicUsize::new(0),
        })
    }

    fn read(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.last_read_ms.store(ms, Ordering::Relaxed);
    }

    /// A request of this connection is in progress until the guard is dropped.
    #[must_use]
    pub fn request(self: &Arc<Self>) -> InProgress {
        self.in_progress.fetch_add(1, Ordering::Relaxed);
        InProgress(Arc::clone(self))
    }

    /// Waits until the connection has been silent for too long with nothing in progress:
    /// `first_byte` before its first byte, `idle` after it.
    pub async fn silent_too_long(&self, first_byte: Duration, idle: Duration) {
        let tick = first_byte.min(idle).min(Duration::from_secs(1));
        loop {
            tokio::time::sleep(tick).await;
            if self.in_progress.load(Ordering::Relaxed) > 0 {
                continue;
            }
            let now = self.started.elapsed();
            let last = self.last_read_ms.load(Ordering::Relaxed);
            let silent = if last == u64::MAX {
                now > first_byte
            } else {
                now.saturating_sub(Duration::from_millis(last)) > idle
            };
            if silent {
                return;
            }
        }
    }
}

/// A request in progress on its connection (see [`Activity::request`]).
#[derive(Debug)]
pub struct InProgress(Arc<Activity>);

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.in_progress.fetch_sub(1, Ordering::Relaxed);
        // The answer is the connection's latest activity too: idleness counts from here.
        self.0.read();
    }
}

/// A connection's stream that tells its [`Activity`] of every byte received.
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Reads a request body whole, refusing one larger than `limits.max_body` (413) or one that
/// arrives slower than `limits.min_body_rate` once `limits.body_grace` has passed (408).
pub async fn read_body<B>(body: B, limits: &Limits) -> Result<Bytes, AppError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let started = Instant::now();
    let mut body = body;
    let mut received: Vec<u8> = Vec::new();
    loop {
        // Time allowed so far: the grace, plus what the bytes received earn at the minimum rate.
        let earned =
            Duration::from_secs_f64(received.len() as f64 / limits.min_body_rate.max(1) as f64);
        let deadline = limits.body_grace + earned;
        let left = deadline.saturating_sub(started.elapsed());
        let frame = match tokio::time::timeout(left, body.frame()).await {
            Err(_) => return Err(AppError::SlowBody),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(AppError::BadRequest(format!(
                    "the body could not be read: {e}"
                )))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if received.len() + data.len() > limits.max_body {
                return Err(AppError::PayloadTooLarge);
            }
            received.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(received))
}

/// `read_body` into an axum body.
pub async fn buffered<B>(body: B, limits: &Limits) -> Result<Body, AppError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    read_body(body, limits).await.map(Body::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_count_by_ipv4_or_ipv6_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "2001:db8:1:2:bbbb::2"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(address_group(a), address_group(b));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(address_group(mapped), IpAddr::from([192, 0, 2, 7]));
    }

    #[test]
    fn slots_are_capped_per_address_and_in_all_and_given_back() {
        let slots = Arc::new(Slots::default());
        let one = IpAddr::from([127, 0, 0, 1]);
        let two = IpAddr::from([127, 0, 0, 2]);
        let held: Vec<Slot> = (0..3).filter_map(|_| slots.take(one, 3, 5)).collect();
        assert_eq!(held.len(), 3);
        assert!(slots.take(one, 3, 5).is_none());
        let other = slots.take(two, 3, 5);
        assert!(other.is_some());
        assert!(slots.take(two, 3, 4).is_none(), "the total caps too");
        drop(held);
        assert_eq!(slots.total(), 1);
        assert!(slots.take(one, 3, 5).is_some());
    }
}
