//! `--trunk-allow`: the addresses a carrier sends from. Carriers such as
//! Twilio authenticate their calls by source address only (they cannot
//! answer a digest challenge), so an INVITE from anywhere else is refused.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An address or a network (`192.0.2.0/24`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a `--trunk-allow` entry is not an address or network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or CIDR network (e.g. 54.172.60.0/30)")]
pub struct BadCidr(String);

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), 32, self.prefix)
                    == masked(u128::from(u32::from(ip)), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix)
                    == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 (a dual-stack socket's view of an IPv4 peer) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    let keep = u32::from(prefix.min(width));
    if keep == 0 {
        return 0;
    }
    bits >> (u32::from(width) - keep)
}

impl FromStr for Cidr {
    type Err = BadCidr;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadCidr(text.to_owned());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= width)
                .ok_or_else(bad)?,
            None => width,
        };
        Ok(Self {
            network: canonical(network),
            prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The allow-list: an address is allowed when any entry contains it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<Cidr>);

impl AllowList {
    pub fn new(entries: Vec<Cidr>) -> Self {
        Self(entries)
    }

    /// Only this machine: the default, so a fresh install takes no calls
    /// from the internet until an admin names the carrier's addresses.
    pub fn loopback() -> Self {
        Self(vec![
            Cidr::from_str("127.0.0.0/8").unwrap_or(Cidr {
                network: IpAddr::from([127, 0, 0, 1]),
                prefix: 8,
            }),
            Cidr {
                network: IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
                prefix: 128,
            },
        ])
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|cidr| cidr.contains(ip))
    }

    pub fn entries(&self) -> &[Cidr] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn networks_contain_their_addresses_only() {
        let twilio: Cidr = "54.172.60.0/30".parse().expect("cidr");
        assert!(twilio.contains(ip("54.172.60.3")));
        assert!(!twilio.contains(ip("54.172.60.4")));
        assert!(twilio.contains(ip("::ffff:54.172.60.1")), "IPv4-mapped");
        let one: Cidr = "192.0.2.7".parse().expect("cidr");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: Cidr = "2001:db8::/32".parse().expect("cidr");
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("192.0.2.7")));
        let everything: Cidr = "0.0.0.0/0".parse().expect("cidr");
        assert!(everything.contains(ip("203.0.113.1")));
    }

    #[test]
    fn bad_entries_are_named() {
        for bad in [
            "",
            "example.com",
            "10.0.0.0/33",
            "10.0.0.0/x",
            "::/129",
            "1.2.3/8",
        ] {
            let error = bad.parse::<Cidr>().expect_err(bad);
            assert!(error.to_string().contains("CIDR"), "{error}");
        }
    }

    #[test]
    fn the_default_is_this_machine_only() {
        let list = AllowList::loopback();
        assert!(list.allows(ip("127.0.0.1")) && list.allows(ip("::1")));
        assert!(!list.allows(ip("192.0.2.1")));
    }
}
