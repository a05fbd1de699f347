//! The RTP port range (`--rtp-ports`): one even/odd pair per trunk leg
//! (RTP, then RTCP), never one that is live, and a clear error when the
//! range is full so the call is refused (SIP 503) rather than mixed up.

use super::MediaError;
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;

#[derive(Debug)]
pub struct PortPool {
    /// Even RTP ports that may be used (each with the odd port after it).
    first: u16,
    last: u16,
    in_use: BTreeSet<u16>,
    /// Where the next search starts, so a port just released is not the
    /// first one handed out again (late packets of the old call).
    next: u16,
}

impl PortPool {
    /// The pairs within `range`; an empty pool when it holds none.
    pub fn new(range: RangeInclusive<u16>) -> Self {
        let first = range.start().saturating_add(range.start() % 2);
        let last = range.end().saturating_sub(1);
        Self {
            first,
            last,
            in_use: BTreeSet::new(),
            next: first,
        }
    }

    /// How many pairs the range holds.
    pub fn capacity(&self) -> usize {
        if self.last < self.first {
            0
        } else {
            usize::from((self.last - self.first) / 2 + 1)
        }
    }

    /// Binds a free pair on `ip`: the RTP port, and sockets for RTP and RTCP.
    /// A port another program holds is skipped.
    pub fn bind_pair(&mut self, ip: IpAddr) -> Result<(u16, UdpSocket, UdpSocket), MediaError> {
        let pairs = self.capacity();
        for _ in 0..pairs {
            let port = self.next;
            self.next = if port >= self.last.saturating_sub(1) || port.checked_add(2).is_none() {
                self.first
            } else {
                port + 2
            };
            if self.in_use.contains(&port) {
                continue;
            }
            let Ok(rtp) = UdpSocket::bind(SocketAddr::new(ip, port)) else {
                continue;
            };
            let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(ip, port + 1)) else {
                continue;
            };
            rtp.set_nonblocking(true)?;
            rtcp.set_nonblocking(true)?;
            self.in_use.insert(port);
            return Ok((port, rtp, rtcp));
        }
        Err(MediaError::NoPorts {
            pairs,
            first: self.first,
            last: self.last.saturating_add(1),
        })
    }

    pub fn release(&mut self, port: u16) {
        self.in_use.remove(&port);
    }

    pub fn in_use(&self) -> usize {
        self.in_use.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    /// A range of `pairs` free pairs, found by binding (so parallel tests do not collide).
    fn free_range(pairs: u16) -> RangeInclusive<u16> {
        for start in (41_000u16..60_000).step_by(64) {
            let all_free = (start..start + pairs * 2)
                .all(|port| UdpSocket::bind(SocketAddr::new(LOOPBACK, port)).is_ok());
            if all_free {
                return start..=start + pairs * 2 - 1;
            }
        }
        panic!("no free UDP ports");
    }

    #[test]
    fn pairs_are_even_and_odd_and_a_full_range_refuses() {
        let mut pool = PortPool::new(free_range(2));
        assert_eq!(pool.capacity(), 2);
        let (a, rtp, rtcp) = pool.bind_pair(LOOPBACK).expect("first pair");
        assert_eq!(a % 2, 0);
        assert_eq!(rtp.local_addr().expect("addr").port(), a);
        assert_eq!(rtcp.local_addr().expect("addr").port(), a + 1);
        let (b, _rtp_b, _rtcp_b) = pool.bind_pair(LOOPBACK).expect("second pair");
        assert_ne!(a, b);
        assert!(matches!(
            pool.bind_pair(LOOPBACK),
            Err(MediaError::NoPorts { pairs: 2, .. })
        ));
        // A released pair comes back, once its sockets are closed.
        drop((rtp, rtcp));
        pool.release(a);
        assert_eq!(pool.bind_pair(LOOPBACK).expect("reused").0, a);
        assert_eq!(pool.in_use(), 2);
    }

    #[test]
    fn odd_bounds_and_empty_ranges() {
        assert_eq!(PortPool::new(20_001..=20_004).capacity(), 1);
        assert_eq!(PortPool::new(20_000..=20_999).capacity(), 500);
        assert_eq!(PortPool::new(20_001..=20_001).capacity(), 0);
    }
}
