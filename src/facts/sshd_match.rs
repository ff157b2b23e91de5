//! The settings sshd applies to one connection: the global ones, overridden
//! by those of the `Match` blocks whose criteria the connection meets, as
//! `sshd -T -C user=...,host=...,addr=...` prints them (servconf.c:
//! `match_cfg_line`, `parse_server_match_config`, `copy_set_server_options`;
//! addrmatch.c: `addr_match_list`).

use super::sshd::{matches_pattern_list, SshdConfig, SshdValue, ACCUMULATE, LAST_WINS};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What sshd knows of a connection when it evaluates `Match`. A field left
/// `None` makes every criterion on it false, as in sshd's test mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    pub user: Option<String>,
    /// The user's groups; `None` when the user does not exist, which makes
    /// `Match Group` false.
    pub groups: Option<Vec<String>>,
    /// The client's host name, in lower case.
    pub host: Option<String>,
    pub address: Option<String>,
    pub local_address: Option<String>,
    pub local_port: Option<u16>,
    pub rdomain: Option<String>,
}

/// Whether the criteria of a `Match` line (as stored in
/// [`super::sshd::MatchBlock::criteria`]) hold for `conn`; `None` when sshd
/// would refuse the line (an unknown criterion, a missing argument, a bad
/// port or address list).
pub fn criteria_match(criteria: &str, conn: &Connection) -> Option<bool> {
    let words: Vec<&str> = criteria.split_ascii_whitespace().collect();
    let mut result = true;
    let mut index = 0;
    while let Some(attribute) = words.get(index) {
        let lower = attribute.to_ascii_lowercase();
        if lower == "all" {
            // Nested criteria joined by Include may end in `all`.
            index += 1;
            continue;
        }
        let arg = *words.get(index + 1)?;
        index += 2;
        let list: Vec<&str> = arg.split(',').collect();
        let holds = match lower.as_str() {
            "user" => conn
                .user
                .as_deref()
                .is_some_and(|u| matches_pattern_list(u, &list)),
            "group" => match (&conn.user, &conn.groups) {
                (Some(_), Some(groups)) => group_match(groups, &list),
                _ => false,
            },
            "host" => {
                let lowered: Vec<String> = list.iter().map(|p| p.to_ascii_lowercase()).collect();
                let lowered: Vec<&str> = lowered.iter().map(String::as_str).collect();
                conn.host
                    .as_deref()
                    .is_some_and(|h| matches_pattern_list(h, &lowered))
            }
            "address" => address_match(conn.address.as_deref(), &list)? == 1,
            "localaddress" => address_match(conn.local_address.as_deref(), &list)? == 1,
            "localport" => {
                let port = port_number(arg)?;
                conn.local_port == Some(port)
            }
            "rdomain" => conn
                .rdomain
                .as_deref()
                .is_some_and(|r| matches_pattern_list(r, &list)),
            _ => return None,
        };
        result &= holds;
    }
    Some(result)
}

/// sshd's `a2port`: 1 to 65535, digits only.
fn port_number(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse::<u16>().ok().filter(|p| *p > 0)
}

/// `ga_match_pattern_list`: a negated match on any group wins.
fn group_match(groups: &[String], list: &[&str]) -> bool {
    let mut found = false;
    for group in groups {
        let negated = list
            .iter()
            .filter_map(|p| p.strip_prefix('!'))
            .any(|p| super::sshd::wildcard_match(group, p));
        if negated {
            return false;
        }
        found |= matches_pattern_list(group, list);
    }
    found
}

/// `addr_match_list`: 1 on a match, 0 on none, -1 on a negated match;
/// `None` for a list sshd refuses (an empty entry, a network with host
/// bits set).
fn address_match(addr: Option<&str>, list: &[&str]) -> Option<i32> {
    let addr: Option<IpAddr> = match addr {
        Some(a) => match a.parse() {
            Ok(ip) => Some(ip),
            Err(_) => return Some(0),
        },
        None => None,
    };
    let text = addr.map(|a| a.to_string());
    let mut ret = 0;
    for entry in list {
        let (negated, entry) = match entry.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, *entry),
        };
        if entry.is_empty() {
            return None;
        }
        let found = match parse_cidr(entry) {
            Cidr::Invalid => return None,
            Cidr::Net(net, len) => addr.is_some_and(|a| in_network(a, net, len)),
            Cidr::Pattern => text
                .as_deref()
                .is_some_and(|t| super::sshd::wildcard_match(t, entry)),
        };
        if found {
            if negated {
                return Some(-1);
            }
            ret = 1;
        }
    }
    Some(ret)
}

enum Cidr {
    Net(IpAddr, u32),
    /// Not an address: matched as a wildcard pattern instead.
    Pattern,
    /// An address whose bits beyond the mask are set: sshd refuses it.
    Invalid,
}

/// `addr_pton_cidr`.
fn parse_cidr(text: &str) -> Cidr {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return Cidr::Pattern;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) if !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()) && l.len() <= 3 => {
            match l.parse::<u32>() {
                Ok(n) if n <= max => n,
                _ => return Cidr::Pattern,
            }
        }
        Some(_) => return Cidr::Pattern,
    };
    if bits(ip) & !mask(ip, len) != 0 {
        return Cidr::Invalid;
    }
    Cidr::Net(ip, len)
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The network mask of `len` bits in `ip`'s family.
fn mask(ip: IpAddr, len: u32) -> u128 {
    let width = if ip.is_ipv4() { 32 } else { 128 };
    if len == 0 {
        return 0;
    }
    let ones = if len >= 128 {
        u128::MAX
    } else {
        (1u128 << len) - 1
    };
    ones << (width - len.min(width))
}

fn in_network(addr: IpAddr, net: IpAddr, len: u32) -> bool {
    addr.is_ipv4() == net.is_ipv4() && bits(addr) & mask(net, len) == bits(net)
}

impl SshdConfig {
    /// The settings in force for `conn`: each keyword set by a `Match` block
    /// that holds replaces the global value (the first such block wins, the
    /// last for keywords sshd assigns unconditionally, and list keywords
    /// collect every holding block's entries). Blocks sshd would refuse are
    /// skipped (the parse reported them).
    pub fn effective(&self, conn: &Connection) -> BTreeMap<String, SshdValue> {
        let mut from_match: BTreeMap<String, SshdValue> = BTreeMap::new();
        for block in &self.match_blocks {
            if criteria_match(&block.criteria, conn) != Some(true) {
                continue;
            }
            for (name, value) in &block.settings {
                match from_match.get_mut(name) {
                    None => {
                        from_match.insert(name.clone(), value.clone());
                    }
                    Some(existing) if ACCUMULATE.contains(&name.as_str()) => {
                        existing.value.push(' ');
                        existing.value.push_str(&value.value);
                    }
                    Some(existing) if LAST_WINS.contains(&name.as_str()) => {
                        *existing = value.clone();
                    }
                    Some(_) => {}
                }
            }
        }
        let mut out = self.global.clone();
        out.extend(from_match);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(user: &str, host: &str, addr: &str, port: u16) -> Connection {
        Connection {
            user: Some(user.into()),
            groups: (user == "root").then(|| vec!["root".to_string()]),
            host: Some(host.into()),
            address: Some(addr.into()),
            local_address: None,
            local_port: Some(port),
            rdomain: None,
        }
    }

    #[test]
    fn criteria() {
        let c = conn("root", "a.example.com", "10.2.3.4", 22);
        let holds = |criteria: &str| criteria_match(criteria, &c);
        assert_eq!(holds("User root"), Some(true));
        assert_eq!(holds("User r*,!bob"), Some(true));
        assert_eq!(holds("User !root,*"), Some(false));
        assert_eq!(holds("user ROOT"), Some(false));
        assert_eq!(holds("Group root"), Some(true));
        assert_eq!(holds("Host *.EXAMPLE.com"), Some(true));
        assert_eq!(holds("Address 10.0.0.0/8"), Some(true));
        assert_eq!(holds("Address 10.0.0.0/8,!10.2.0.0/16"), Some(false));
        assert_eq!(holds("Address 10.2.*"), Some(true));
        assert_eq!(holds("Address 10.0.0.1/8"), None);
        assert_eq!(holds("Address 2001:db8::/32"), Some(false));
        assert_eq!(holds("LocalPort 22"), Some(true));
        assert_eq!(holds("LocalPort 0"), None);
        assert_eq!(holds("User root Host b.*"), Some(false));
        assert_eq!(holds("Bogus x"), None);
        assert_eq!(holds("User"), None);
        let nobody = conn("alice", "h", "2001:db8::1", 2222);
        assert_eq!(criteria_match("Group *", &nobody), Some(false));
        assert_eq!(criteria_match("Address 2001:db8::/32", &nobody), Some(true));
        assert_eq!(criteria_match("Address ::/0", &nobody), Some(true));
        assert_eq!(criteria_match("Address 0.0.0.0/0", &nobody), Some(false));
        assert_eq!(
            criteria_match("User root", &Connection::default()),
            Some(false)
        );
    }
}
