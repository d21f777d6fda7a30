//! "Did you mean …?": the known name nearest to a misspelt one, for every
//! settings error that names an unknown key, section or flag.
//!
//! One rule for the server's and the client's settings, so the same slip
//! gets the same help in both: compare without regard to case, count a swap
//! of two neighbours as one edit (`prot` for `port` is one slip of the
//! hand), and suggest only what is at most one edit per three characters
//! away (at least one edit). Further than that, a suggestion is more likely
//! to confuse than to help, and the caller lists what exists instead.

/// The known name closest to `typed`, if it is close enough to be a typo.
/// On a tie the first of `known` wins, so list the likelier names first.
pub fn closest<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed = typed.to_ascii_lowercase();
    known
        .into_iter()
        .map(|name| (edit_distance(&typed, name), name))
        .filter(|(distance, name)| *distance <= (typed.len().max(name.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// The number of single-character insertions, deletions, substitutions and
/// swaps of neighbours that turn `a` into `b` ("optimal string alignment").
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // distance[i][j]: from the first i chars of a to the first j chars of b.
    let mut distance = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in distance.iter_mut().enumerate() {
        row[0] = i;
    }
    distance[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (distance[i - 1][j] + 1)
                .min(distance[i][j - 1] + 1)
                .min(distance[i - 1][j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(distance[i - 2][j - 2] + 1);
            }
            distance[i][j] = best;
        }
    }
    distance[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER_KEYS: [&str; 5] = ["host", "port", "max_clients", "history_replay", "data_dir"];
    const CLIENT_KEYS: [&str; 4] = ["host", "port", "name", "room"];

    #[test]
    fn typos_of_server_keys() {
        assert_eq!(closest("prot", SERVER_KEYS), Some("port"));
        assert_eq!(closest("hots", SERVER_KEYS), Some("host"));
        assert_eq!(closest("max_client", SERVER_KEYS), Some("max_clients"));
        assert_eq!(
            closest("Histroy_Replay", SERVER_KEYS),
            Some("history_replay")
        );
        assert_eq!(closest("datadir", SERVER_KEYS), Some("data_dir"));
        assert_eq!(closest("colour", SERVER_KEYS), None);
        assert_eq!(closest("x", SERVER_KEYS), None);
        assert_eq!(closest("limit", ["server", "limits"]), Some("limits"));
    }

    #[test]
    fn typos_of_client_keys() {
        assert_eq!(closest("hots", CLIENT_KEYS), Some("host"));
        assert_eq!(closest("prot", CLIENT_KEYS), Some("port"));
        assert_eq!(closest("rooms", CLIENT_KEYS), Some("room"));
        assert_eq!(closest("nmae", CLIENT_KEYS), Some("name"));
        assert_eq!(closest("username", CLIENT_KEYS), None);
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
