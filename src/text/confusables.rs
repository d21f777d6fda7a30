//! What looks like what: the small tables behind the user-name rules.
//!
//! Letters of every script are welcome in names, but some letters of
//! different scripts are drawn alike: Latin `a`, Cyrillic `а` and Greek `α`;
//! Latin `l`, capital `I` and the digit `1`. Unicode's answer (UTS #39,
//! "Security Mechanisms") is twofold, and this module is a small version of
//! both, written out as tables a reader can check by eye:
//!
//! - **Scripts.** [`script_of`] says which script a letter belongs to, for
//!   the handful of scripts whose letters pass for one another (Latin, Greek,
//!   Cyrillic, Armenian, Cherokee, Lisu). A name may use at most one of them;
//!   every other script (Han, Arabic, Devanagari, Hangul…) counts as
//!   [`Script::Other`] and mixes freely, so `李Wei` is fine.
//! - **Skeletons.** [`skeleton`] folds a name to what it looks like: case
//!   folded, Cyrillic and Greek twins turned into the Latin letter they
//!   resemble, `i`/`I`/`l`/`1`/`|` all become `l`, `0`/`O` become `o`, and the
//!   pairs `rn` and `vv` become `m` and `w`. Two names with the same skeleton
//!   look alike, so `aIice`, `alice`, `ALICE`-with-a-Cyrillic-А and `a1ice`
//!   all fold to `allce`.
//!
//! What it covers is listed in [`TWINS`] and [`skeleton`], nothing more.
//! What it does not cover, on purpose (the full Unicode table has 6,000+
//! entries and would need a data file): look-alikes inside other scripts
//! (Armenian `օ` and Latin `o` only meet through the mixing rule), `cl`/`d`,
//! digits other than `0` and `1` (`5`/`S`, `3`/`E`), letters with marks that
//! are hard to see at small sizes (`ı` aside), and fonts that draw unusual
//! letters alike. Folding `i` together with `l` is the price of case folding
//! (`I` looks like `l` and is the capital of `i`): `Lia` and `Ila` count as
//! look-alikes, and the second to arrive picks another name.

/// The scripts whose letters can pass for one another. Everything else is
/// [`Script::Other`], including digits and `-`/`_`, which belong to no script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Cherokee,
    Lisu,
    Other,
}

impl Script {
    /// The script's name, for "mixes Latin and Cyrillic letters".
    pub fn name(self) -> &'static str {
        match self {
            Script::Latin => "Latin",
            Script::Greek => "Greek",
            Script::Cyrillic => "Cyrillic",
            Script::Armenian => "Armenian",
            Script::Cherokee => "Cherokee",
            Script::Lisu => "Lisu",
            Script::Other => "other",
        }
    }
}

/// The Unicode blocks of the look-alike scripts, from the Unicode charts.
/// Only letters are ever looked up here (names allow nothing else but digits,
/// `-` and `_`), so a block's punctuation being listed does no harm.
const SCRIPT_BLOCKS: &[(u32, u32, Script)] = &[
    (0x0041, 0x005A, Script::Latin),    // A-Z
    (0x0061, 0x007A, Script::Latin),    // a-z
    (0x00C0, 0x024F, Script::Latin),    // Latin-1 letters, Extended-A and -B
    (0x0250, 0x02AF, Script::Latin),    // IPA extensions (ə, ɛ, ɔ in African orthographies)
    (0x1E00, 0x1EFF, Script::Latin),    // Latin Extended Additional (Vietnamese)
    (0x2C60, 0x2C7F, Script::Latin),    // Latin Extended-C
    (0xA720, 0xA7FF, Script::Latin),    // Latin Extended-D
    (0xAB30, 0xAB6F, Script::Latin),    // Latin Extended-E
    (0x0370, 0x03FF, Script::Greek),    // Greek and Coptic
    (0x1F00, 0x1FFF, Script::Greek),    // Greek Extended (polytonic)
    (0x0400, 0x052F, Script::Cyrillic), // Cyrillic and its Supplement
    (0x1C80, 0x1C8F, Script::Cyrillic), // Cyrillic Extended-C
    (0x2DE0, 0x2DFF, Script::Cyrillic), // Cyrillic Extended-A
    (0xA640, 0xA69F, Script::Cyrillic), // Cyrillic Extended-B
    (0x0530, 0x058F, Script::Armenian),
    (0x13A0, 0x13FF, Script::Cherokee),
    (0xAB70, 0xABBF, Script::Cherokee), // Cherokee Supplement (lower case)
    (0xA4D0, 0xA4FF, Script::Lisu),     // drawn almost exactly like Latin capitals
];

/// Which look-alike script the letter `c` belongs to, or [`Script::Other`].
pub fn script_of(c: char) -> Script {
    let code = u32::from(c);
    SCRIPT_BLOCKS
        .iter()
        .find(|&&(first, last, _)| (first..=last).contains(&code))
        .map_or(Script::Other, |&(_, _, script)| script)
}

/// Letters drawn like a Latin letter, and the lower-case letter they pass
/// for. A capital and its small letter can look like different Latin letters
/// (Greek `Η` is `H`, its small `η` is `n`), so capitals that differ are
/// listed themselves; any other capital is folded to its small letter first
/// and then looked up. Latin's own `i`/`l`/`0` folding is in [`skeleton`].
pub const TWINS: &[(char, char)] = &[
    // Cyrillic capitals whose small letter does not look Latin.
    ('В', 'b'),
    ('Н', 'h'),
    ('К', 'k'),
    ('М', 'm'),
    ('Т', 't'),
    // Cyrillic small letters (their capitals fold to them: А → а → a).
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('у', 'y'),
    ('х', 'x'),
    ('ѕ', 's'),
    ('і', 'i'),
    ('ј', 'j'),
    ('ԁ', 'd'),
    ('һ', 'h'),
    ('ԛ', 'q'),
    ('ԝ', 'w'),
    ('ӏ', 'l'), // palochka; its capital Ӏ folds to it
    ('ү', 'y'),
    ('ѵ', 'v'),
    // Greek capitals.
    ('Α', 'a'),
    ('Β', 'b'),
    ('Ε', 'e'),
    ('Ζ', 'z'),
    ('Η', 'h'),
    ('Ι', 'i'),
    ('Κ', 'k'),
    ('Μ', 'm'),
    ('Ν', 'n'),
    ('Ο', 'o'),
    ('Ρ', 'p'),
    ('Τ', 't'),
    ('Υ', 'y'),
    ('Χ', 'x'),
    ('Ϲ', 'c'),
    ('Ϳ', 'j'),
    // Greek small letters.
    ('α', 'a'),
    ('ο', 'o'),
    ('ρ', 'p'),
    ('ν', 'v'),
    ('υ', 'u'),
    ('ι', 'i'),
    ('κ', 'k'),
    ('χ', 'x'),
    ('γ', 'y'),
    ('η', 'n'),
    ('μ', 'u'),
    ('ϲ', 'c'),
    ('ϳ', 'j'),
    // Latin letters outside a-z that pass for one inside it.
    ('ı', 'i'), // dotless i (Turkish)
    ('ǀ', 'l'), // dental click
    ('ſ', 'f'), // long s
    ('ɑ', 'a'),
    ('ɡ', 'g'),
    ('ɩ', 'i'),
    ('ɪ', 'i'),
    ('ʟ', 'l'),
    ('ɴ', 'n'),
    ('ʀ', 'r'),
    ('ʏ', 'y'),
];

fn twin(c: char) -> Option<char> {
    // Every twin is outside ASCII (a test says so), and most names are
    // ASCII: no search for those.
    if c.is_ascii() {
        return None;
    }
    TWINS
        .iter()
        .find(|&&(from, _)| from == c)
        .map(|&(_, to)| to)
}

/// What `name` looks like, for comparing names: two names with the same
/// skeleton are look-alikes. The steps, in order:
/// 1. each listed twin becomes its Latin letter; any other letter is case
///    folded (and its folded form looked up again, so Cyrillic `А` → `a`);
/// 2. `i`, `1` and `|` become `l`, and `0` becomes `o`;
/// 3. `rn` becomes `m` and `vv` becomes `w`.
///
/// The result is only for comparing; nobody sees it.
pub fn skeleton(name: &str) -> String {
    // One pass and one allocation: every registration and every departure
    // asks for a skeleton under the state's lock.
    let mut skeleton = String::with_capacity(name.len());
    for c in name.chars() {
        match twin(c) {
            Some(latin) => push_shape(&mut skeleton, latin),
            None => {
                for small in c.to_lowercase() {
                    push_shape(&mut skeleton, twin(small).unwrap_or(small));
                }
            }
        }
    }
    skeleton
}

/// Steps 2 and 3 for one folded letter, as it is added: its shape, and a
/// pair it makes with the letter before (the pairs share no letter, so
/// looking back one letter finds every pair the steps would).
fn push_shape(skeleton: &mut String, c: char) {
    let c = match c {
        'i' | '1' | '|' => 'l',
        '0' => 'o',
        other => other,
    };
    let pair = match (skeleton.chars().next_back(), c) {
        (Some('r'), 'n') => Some('m'),
        (Some('v'), 'v') => Some('w'),
        _ => None,
    };
    match pair {
        Some(one) => {
            skeleton.pop();
            skeleton.push(one);
        }
        None => skeleton.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps as the doc comment of [`skeleton`] lists them, one after
    /// the other over the whole name.
    fn skeleton_step_by_step(name: &str) -> String {
        let folded: String = name
            .chars()
            .flat_map(|c| match twin(c) {
                Some(latin) => vec![latin],
                None => c.to_lowercase().map(|s| twin(s).unwrap_or(s)).collect(),
            })
            .collect();
        let shapes: String = folded
            .chars()
            .map(|c| match c {
                'i' | '1' | '|' => 'l',
                '0' => 'o',
                other => other,
            })
            .collect();
        shapes.replace("rn", "m").replace("vv", "w")
    }

    #[test]
    fn one_pass_gives_the_skeleton_of_the_steps_one_after_the_other() {
        let letters = [
            'r', 'n', 'v', 'R', 'N', 'V', 'i', '1', '0', 'а', 'ı', 'İ', 'x',
        ];
        let mut names = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = names
                .iter()
                .flat_map(|name| letters.iter().map(move |c| format!("{name}{c}")))
                .collect();
            for name in &longer {
                assert_eq!(skeleton(name), skeleton_step_by_step(name), "{name}");
            }
            names = longer;
        }
    }

    #[test]
    fn no_twin_is_ascii() {
        assert!(TWINS.iter().all(|&(from, _)| !from.is_ascii()));
    }

    #[test]
    fn the_look_alikes_of_alice_share_one_skeleton() {
        let alice = skeleton("alice");
        for twin in [
            "aIice",
            "Alice",
            "ALlCE",
            "a1ice",
            "a|ice",
            "аlice",
            "аlісе",
            "alıce",
        ] {
            assert_eq!(skeleton(twin), alice, "{twin}");
        }
        for other in ["alicia", "bob", "alce", "a_lice"] {
            assert_ne!(skeleton(other), alice, "{other}");
        }
    }

    #[test]
    fn digits_and_letter_pairs() {
        assert_eq!(skeleton("B0B"), skeleton("bob"));
        assert_eq!(skeleton("Adm1n"), skeleton("admin"));
        assert_eq!(skeleton("rnoderator"), skeleton("moderator"));
        assert_eq!(skeleton("vvill"), skeleton("will"));
        // Other digits are themselves.
        assert_ne!(skeleton("b2b"), skeleton("bzb"));
    }

    #[test]
    fn whole_script_twins_fold_to_latin() {
        // All Cyrillic: Ѕ, Ү, Ѕ, Т, Е, М look like SYSTEM.
        assert_eq!(skeleton("ЅҮЅТЕМ"), skeleton("system"));
        // All Greek capitals: ΗΟΡΕ looks like HOPE; small ηορ like "nop" (ε has no twin).
        assert_eq!(skeleton("ΗΟΡΕ"), skeleton("hope"));
        assert_eq!(skeleton("ηορ"), skeleton("nop"));
        // Letters with no twin stay themselves.
        assert_eq!(skeleton("Zoë"), "zoë");
        assert_eq!(skeleton("李"), "李");
    }

    #[test]
    fn scripts() {
        assert_eq!(script_of('a'), Script::Latin);
        assert_eq!(script_of('Ł'), Script::Latin);
        assert_eq!(script_of('ệ'), Script::Latin);
        assert_eq!(script_of('а'), Script::Cyrillic);
        assert_eq!(script_of('α'), Script::Greek);
        assert_eq!(script_of('ἀ'), Script::Greek);
        assert_eq!(script_of('օ'), Script::Armenian);
        assert_eq!(script_of('Ꭺ'), Script::Cherokee);
        assert_eq!(script_of('ꓮ'), Script::Lisu);
        assert_eq!(script_of('李'), Script::Other);
        assert_eq!(script_of('ا'), Script::Other);
    }
}
