//! What students type to reach the server: `http://<address>:<port>` in a
//! browser, `nc <address> <port>` or `telnet <address> <port>`, for the
//! addresses this machine really has.
//!
//! A server bound to `0.0.0.0` accepts connections on every address of the
//! machine, but "0.0.0.0" is not something anybody can connect *to*, and the
//! teacher usually does not know the machine's classroom address by heart.
//! So at start the server looks the addresses up and prints ready-to-type
//! commands, which also appear on the page a browser gets ([`crate::server::http_page`]).
//!
//! The lookup sends no network traffic. The common trick — "connect" a UDP
//! socket to 8.8.8.8 and read its local address — needs a default route,
//! picks only one interface, and asks the reader to trust that no packet
//! leaves; reading the kernel's own table of local addresses answers exactly
//! the question asked. On Linux that table is `/proc/net/fib_trie`, where every
//! address the machine owns appears as a `/32 host LOCAL` entry. std has no
//! portable way to list interfaces, so on other systems the list is empty and
//! the server shows the address it is bound to instead (documented on
//! [`lan_ipv4_addresses`]).
//!
//! Loopback (`127.0.0.0/8`) is never listed: students on other machines cannot
//! use it. Addresses of virtual bridges (Docker's `172.17.0.1`, for example)
//! *are* listed, because the table does not say which addresses are reachable
//! from the classroom; the teacher picks the one on the classroom network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Where Linux publishes its routing tables, including every local address.
const FIB_TRIE_PATH: &str = "/proc/net/fib_trie";

/// Shown after the commands when only this machine can reach the server.
const ONLY_THIS_MACHINE_NO_LAN: &str =
    "(only this machine can connect: no network address other than loopback was found)";
const ONLY_THIS_MACHINE_LOOPBACK: &str =
    "(only this machine can connect: the server listens on a loopback address)";

/// The machine's IPv4 addresses other than loopback, sorted, without
/// duplicates, found without sending any network traffic.
///
/// Linux only: read from `/proc/net/fib_trie`. On other systems, or when that
/// file cannot be read (a locked-down container), the list is empty, and
/// [`connect_lines`] falls back to the address the server is bound to. An
/// empty list is not an error worth stopping the server for: the server works,
/// only the printed hint is less helpful.
pub fn lan_ipv4_addresses() -> Vec<Ipv4Addr> {
    if cfg!(target_os = "linux") {
        match std::fs::read_to_string(FIB_TRIE_PATH) {
            Ok(text) => parse_fib_trie(&text),
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    }
}

/// The local, non-loopback IPv4 addresses in the text of `/proc/net/fib_trie`.
///
/// The file is a tree printed with indentation. A leaf line `|-- 192.0.2.2`
/// names an address; the lines indented under it list the routes for that
/// address, one per prefix length, and `/32 host LOCAL` among them means "this
/// machine owns this address". A `+-- …` line opens a new subtree and a line
/// without indentation (`Main:`, `Local:`) a new table; both end the current
/// leaf. The same address appears in several tables, hence the deduplication.
fn parse_fib_trie(text: &str) -> Vec<Ipv4Addr> {
    let mut found = Vec::new();
    let mut leaf: Option<Ipv4Addr> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(address) = trimmed.strip_prefix("|-- ") {
            leaf = address.trim().parse().ok();
        } else if trimmed.starts_with("+-- ") || !line.starts_with(' ') {
            leaf = None;
        } else if trimmed.split_whitespace().eq(["/32", "host", "LOCAL"]) {
            if let Some(address) = leaf {
                if is_reachable_from_elsewhere(address) {
                    found.push(address);
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Could another machine connect to this address? Not to loopback, and
/// `0.0.0.0` means "any address", not an address.
fn is_reachable_from_elsewhere(address: Ipv4Addr) -> bool {
    !address.is_loopback() && !address.is_unspecified()
}

/// The lines the server prints at start (and shows on the help page): how
/// to connect to a server listening on `bound`, given the machine's `lan`
/// addresses from [`lan_ipv4_addresses`].
///
/// - Bound to every address (`0.0.0.0` or `::`) with LAN addresses known:
///   `nc A P` and `telnet A P` for each LAN address `A`.
/// - Bound to every address but no LAN address found: the loopback address
///   (`127.0.0.1`, or `::1` for `::`), followed by a note that only this
///   machine can connect — better an honest local command than none.
/// - Bound to one specific address: that address only, because connections
///   to the machine's other addresses are refused. A loopback address gets the
///   same "only this machine" note.
pub fn connect_lines(bound: SocketAddr, lan: &[Ipv4Addr]) -> Vec<String> {
    let port = bound.port();
    let (addresses, note) = reachable(bound, lan);
    let mut lines = Vec::new();
    // `nc` and `telnet` take an IPv6 address bare (`nc ::1 7007`), without the
    // brackets a URL would need, so `IpAddr`'s Display is exactly right.
    for address in addresses {
        lines.push(format!("nc {address} {port}"));
        lines.push(format!("telnet {address} {port}"));
    }
    lines.extend(note.map(str::to_string));
    lines
}

/// The first lines of the banner and the help page, one per address of
/// [`connect_lines`]: `Students: open http://A:P in a browser, or nc A P`.
/// The browser comes first because every device has one; `nc` is for those
/// who have a terminal. (The "only this machine" note, if any, is printed
/// once, with [`connect_lines`].)
pub fn student_lines(bound: SocketAddr, lan: &[Ipv4Addr]) -> Vec<String> {
    let port = bound.port();
    let (addresses, _note) = reachable(bound, lan);
    addresses
        .iter()
        .map(|address| {
            // A URL needs brackets around an IPv6 address: http://[::1]:7007.
            let host = match address {
                IpAddr::V4(ip) => ip.to_string(),
                IpAddr::V6(ip) => format!("[{ip}]"),
            };
            format!("Students: open http://{host}:{port} in a browser, or nc {address} {port}")
        })
        .collect()
}

/// The addresses other machines can use to reach a server on `bound` (see
/// [`connect_lines`]), and a note when only this machine can.
fn reachable(bound: SocketAddr, lan: &[Ipv4Addr]) -> (Vec<IpAddr>, Option<&'static str>) {
    if bound.ip().is_unspecified() && !lan.is_empty() {
        return (lan.iter().map(|&ip| IpAddr::V4(ip)).collect(), None);
    }
    let (address, note) = match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(ONLY_THIS_MACHINE_NO_LAN),
        ),
        IpAddr::V6(ip) if ip.is_unspecified() => (
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            Some(ONLY_THIS_MACHINE_NO_LAN),
        ),
        ip if ip.is_loopback() => (ip, Some(ONLY_THIS_MACHINE_LOOPBACK)),
        ip => (ip, None),
    };
    (vec![address], note)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/net/fib_trie` as captured on the machine this module was written
    /// on: one Ethernet interface (192.0.2.2/24) and loopback.
    const CAPTURED_SINGLE_INTERFACE: &str = "\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
";

    /// A hand-made laptop: Wi-Fi 192.168.1.20/24, Docker's bridge 172.17.0.1/16,
    /// a VPN 10.8.0.6/24, loopback; a leaf with two prefix lengths (10.8.0.0),
    /// and an address listed under a later table only.
    const HAND_MADE_MULTI_INTERFACE: &str = "\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 10.8.0.0/24 2 0 2
        |-- 10.8.0.0
           /8 universe UNICAST
           /24 link UNICAST
        |-- 10.8.0.6
           /32 host LOCAL
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 172.17.0.0/16 2 0 2
        +-- 172.17.0.0/31 1 0 0
           |-- 172.17.0.0
              /16 link UNICAST
           |-- 172.17.0.1
              /32 host LOCAL
        |-- 172.17.255.255
           /32 link BROADCAST
     +-- 192.168.1.0/24 2 0 2
        +-- 192.168.1.0/27 2 0 2
           |-- 192.168.1.0
              /24 link UNICAST
           |-- 192.168.1.20
              /32 host LOCAL
        |-- 192.168.1.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     |-- 127.0.0.1
        /32 host LOCAL
     |-- 192.168.1.20
        /32 host LOCAL
     |-- 192.168.50.7
        /32 host LOCAL
";

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    #[test]
    fn captured_table_gives_the_ethernet_address_once() {
        assert_eq!(
            parse_fib_trie(CAPTURED_SINGLE_INTERFACE),
            vec![ip("192.0.2.2")]
        );
    }

    #[test]
    fn hand_made_table_gives_every_local_address_sorted() {
        assert_eq!(
            parse_fib_trie(HAND_MADE_MULTI_INTERFACE),
            vec![
                ip("10.8.0.6"),
                ip("172.17.0.1"),
                ip("192.168.1.20"),
                ip("192.168.50.7")
            ]
        );
    }

    #[test]
    fn network_and_broadcast_entries_are_not_addresses() {
        let found = parse_fib_trie(HAND_MADE_MULTI_INTERFACE);
        for not_local in ["0.0.0.0", "10.8.0.0", "172.17.255.255", "192.168.1.255"] {
            assert!(!found.contains(&ip(not_local)), "{not_local}");
        }
    }

    #[test]
    fn loopback_is_never_listed() {
        for text in [CAPTURED_SINGLE_INTERFACE, HAND_MADE_MULTI_INTERFACE] {
            assert!(parse_fib_trie(text).iter().all(|a| !a.is_loopback()));
        }
        let only_loopback =
            "Local:\n  +-- 127.0.0.0/8 2 0 2\n     |-- 127.0.1.1\n        /32 host LOCAL\n";
        assert_eq!(parse_fib_trie(only_loopback), Vec::<Ipv4Addr>::new());
    }

    #[test]
    fn this_machines_list_has_no_loopback_and_is_sorted() {
        let found = lan_ipv4_addresses();
        assert!(found
            .iter()
            .all(|a| !a.is_loopback() && !a.is_unspecified()));
        assert!(found.windows(2).all(|pair| pair[0] < pair[1]), "{found:?}");
    }

    #[test]
    fn garbage_gives_nothing() {
        assert_eq!(parse_fib_trie(""), Vec::<Ipv4Addr>::new());
        assert_eq!(
            parse_fib_trie("  |-- not.an.address\n     /32 host LOCAL\n/32 host LOCAL\n"),
            Vec::<Ipv4Addr>::new()
        );
    }

    #[test]
    fn any_address_lists_every_lan_address() {
        let bound: SocketAddr = "0.0.0.0:7007".parse().unwrap();
        let lines = connect_lines(bound, &[ip("172.17.0.1"), ip("192.168.1.20")]);
        assert_eq!(
            lines,
            vec![
                "nc 172.17.0.1 7007",
                "telnet 172.17.0.1 7007",
                "nc 192.168.1.20 7007",
                "telnet 192.168.1.20 7007",
            ]
        );
    }

    #[test]
    fn any_address_without_lan_says_only_this_machine() {
        let bound: SocketAddr = "0.0.0.0:7007".parse().unwrap();
        let lines = connect_lines(bound, &[]);
        assert_eq!(lines[..2], ["nc 127.0.0.1 7007", "telnet 127.0.0.1 7007"]);
        assert!(lines[2].contains("only this machine"), "{lines:?}");

        let bound_v6: SocketAddr = "[::]:7007".parse().unwrap();
        assert_eq!(connect_lines(bound_v6, &[])[0], "nc ::1 7007");
    }

    #[test]
    fn students_get_the_browser_address_first_for_every_address() {
        let bound: SocketAddr = "0.0.0.0:7007".parse().unwrap();
        assert_eq!(
            student_lines(bound, &[ip("172.17.0.1"), ip("192.168.1.20")]),
            vec![
                "Students: open http://172.17.0.1:7007 in a browser, or nc 172.17.0.1 7007",
                "Students: open http://192.168.1.20:7007 in a browser, or nc 192.168.1.20 7007",
            ]
        );
        assert_eq!(
            student_lines("[::]:7007".parse().unwrap(), &[]),
            ["Students: open http://[::1]:7007 in a browser, or nc ::1 7007"]
        );
    }

    #[test]
    fn specific_address_is_the_only_one_shown() {
        let bound: SocketAddr = "192.168.1.20:7007".parse().unwrap();
        let lines = connect_lines(bound, &[ip("172.17.0.1"), ip("192.168.1.20")]);
        assert_eq!(
            lines,
            vec!["nc 192.168.1.20 7007", "telnet 192.168.1.20 7007"]
        );
    }

    #[test]
    fn loopback_binding_says_only_this_machine() {
        let bound: SocketAddr = "127.0.0.1:41523".parse().unwrap();
        let lines = connect_lines(bound, &[ip("192.168.1.20")]);
        assert_eq!(lines[..2], ["nc 127.0.0.1 41523", "telnet 127.0.0.1 41523"]);
        assert!(lines[2].contains("only this machine"), "{lines:?}");
    }
}
