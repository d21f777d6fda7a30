//! `step4_server accounts`: the teacher makes the class list before class.
//!
//! ```text
//! $ step4_server accounts add alice bob
//! alice  one-time code: 7hQm2KdxPz
//! bob    one-time code: c9RtvW4aYe
//! $ step4_server accounts add --operator lee
//! lee  one-time code: Ns8ZkpT3uE
//! $ step4_server accounts list
//! name   role      password
//! alice  student   set
//! bob    student   one-time code not used yet
//! lee    operator  one-time code not used yet
//! $ step4_server accounts reset alice      (forgot her password)
//! alice  one-time code: Fm4WqP8sRb
//! $ step4_server accounts remove bob
//! ```
//!
//! A class list can also come from a roster file, one name a line (`lee
//! operator` for a teacher; blank lines and `#` comments are skipped):
//! `step4_server accounts add --from class.txt`. A mistake names the file
//! and line, and nothing is changed.
//!
//! A teacher who prefers to hand out first passwords of their own gives
//! them on stdin, one line per name (`--password-stdin`; never on the
//! command line, where `ps` shows them to everyone); they work like codes.
//!
//! A code is printed once and only its hash is stored: hand it to the
//! student, who logs in with it (`/login alice 7hQm2KdxPz`) and then chooses
//! their own password. `reset` gives a new code and ends the account's
//! sessions. The changes apply to a running server at its next login.

use super::file::{Account, Accounts, Role, Secret};
use super::password::{new_code, Stored, MIN_ITERATIONS};
use crate::support::cli::{CliError, CommandLine, Flag};
use crate::support::pbkdf2::ITERATIONS;
use std::path::PathBuf;

/// The `accounts` subcommand's flags (the words before them say what to do).
pub const ACCOUNTS: CommandLine = CommandLine {
    usage: "step4_server accounts add|list|remove|reset [NAME…] [--operator] [--from FILE] [--data-dir DIR]",
    about: "Makes, lists and removes the class's accounts, in the data directory's\n\
            accounts.tsv, without starting a server. `add` and `reset` print a one-time\n\
            code per name: the student logs in with it once and chooses a password.",
    flags: &[
        Flag {
            name: "data-dir",
            value: Some("DIR"),
            help: "the server's data directory (default chatroom-data)",
        },
        Flag {
            name: "operator",
            value: None,
            help: "with add: the accounts are teachers (operators when logged in)",
        },
        Flag {
            name: "from",
            value: Some("FILE"),
            help: "with add: also the names in FILE, one a line (`lee operator` for a teacher)",
        },
        Flag {
            name: "password-stdin",
            value: None,
            help: "with add: take each name's first password from a line of stdin instead of printing a code",
        },
        Flag {
            name: "iterations",
            value: Some("N"),
            help: "PBKDF2 iterations for the codes' hashes (default 100000, see docs/design.md)",
        },
    ],
};

/// `step4_server accounts …` (the arguments after `accounts`). Returns the
/// exit code; usage errors and `--help` exit directly.
pub fn accounts_main(args: impl IntoIterator<Item = String>) -> i32 {
    let (words, flags) = split_words(args);
    let parsed = ACCOUNTS
        .parse(flags)
        .unwrap_or_else(|error| ACCOUNTS.exit_with(error));
    let data_dir = PathBuf::from(
        parsed
            .value("data-dir")
            .unwrap_or(crate::history::DEFAULT_DATA_DIR),
    );
    let iterations = match parsed.parse_value::<u32>("iterations", "a whole number") {
        Ok(n) => n.unwrap_or(ITERATIONS),
        Err(error) => ACCOUNTS.exit_with(error),
    };
    if iterations < MIN_ITERATIONS {
        usage(format!("--iterations must be at least {MIN_ITERATIONS}"));
    }
    let Some((action, names)) = words.split_first() else {
        usage("say what to do: add, list, remove or reset".into());
    };
    if parsed.value("from").is_some() && action != "add" {
        usage("--from goes with add".into());
    }
    let role = match parsed.switch("operator") {
        true => Role::Operator,
        false => Role::Student,
    };
    // (name, role, where it came from: empty for the command line).
    let mut wanted: Vec<(String, Role, String)> = names
        .iter()
        .map(|n| (n.clone(), role, String::new()))
        .collect();
    if let Some(file) = parsed.value("from") {
        match read_roster(file) {
            Ok(roster) => wanted.extend(roster),
            Err(message) => return fail(message),
        }
    }
    let needs_names = action != "list";
    if needs_names && wanted.is_empty() {
        usage(format!("accounts {action} needs at least one name"));
    }
    if parsed.switch("operator") && action != "add" {
        usage("--operator goes with add".into());
    }
    let given = parsed.switch("password-stdin");
    if given && action != "add" {
        usage("--password-stdin goes with add".into());
    }
    let mut stdin_lines = std::io::stdin().lines();
    let mut accounts = match Accounts::load(&data_dir) {
        Ok(accounts) => accounts,
        Err(message) => return fail(message),
    };
    let mut printed = Vec::new();
    match action.as_str() {
        "list" => {
            print!("{}", list(&accounts));
            return 0;
        }
        "add" => {
            for (name, role, origin) in &wanted {
                let code = match given {
                    true => match stdin_lines.next() {
                        Some(Ok(line)) if !line.is_empty() => line,
                        _ => {
                            return fail(format!(
                                "no password for {name} on stdin (one line per name); nothing was changed"
                            ))
                        }
                    },
                    false => match new_code() {
                        Ok(code) => code,
                        Err(_) => {
                            return fail("cannot read /dev/urandom for a one-time code".into())
                        }
                    },
                };
                let account = match Stored::new(&code, iterations) {
                    Ok(stored) => Account {
                        name: name.clone(),
                        role: *role,
                        secret: Secret::Code(stored),
                    },
                    Err(_) => return fail("cannot read /dev/urandom for a salt".into()),
                };
                if let Err(why) = accounts.add(account) {
                    return fail(format!("{origin}{why}; nothing was changed"));
                }
                if !given {
                    printed.push((name.clone(), code));
                }
            }
        }
        "reset" => {
            for name in names {
                let Ok(code) = new_code() else {
                    return fail("cannot read /dev/urandom for a one-time code".into());
                };
                let Ok(stored) = Stored::new(&code, iterations) else {
                    return fail("cannot read /dev/urandom for a salt".into());
                };
                if !accounts.set_secret(name, Secret::Code(stored)) {
                    return fail(format!("no account \"{name}\"; nothing was changed"));
                }
                printed.push((name.clone(), code));
            }
        }
        "remove" => {
            for name in names {
                if accounts.remove(name).is_none() {
                    return fail(format!("no account \"{name}\"; nothing was changed"));
                }
            }
        }
        other => usage(format!(
            "unknown action \"{other}\": add, list, remove or reset"
        )),
    }
    if let Err(message) = accounts.save(&data_dir) {
        return fail(message);
    }
    let width = printed
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    for (name, code) in printed {
        println!("{name:<width$}  one-time code: {code}");
    }
    0
}

/// The names of a roster file: (name, role, `file:line: ` for errors).
fn read_roster(file: &str) -> Result<Vec<(String, Role, String)>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        format!(
            "cannot read the roster {file}: {}",
            crate::support::cli::describe_io_error(&e)
        )
    })?;
    let mut roster = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let origin = format!("{file}:{}: ", index + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let role = match words[1..] {
            [] => Role::Student,
            ["operator"] => Role::Operator,
            _ => {
                return Err(format!(
                    "{origin}expected a name, or a name and \"operator\", found \"{line}\"; nothing was changed"
                ))
            }
        };
        roster.push((words[0].to_string(), role, origin));
    }
    Ok(roster)
}

/// The `list` table: name, role, whether the password is set.
fn list(accounts: &Accounts) -> String {
    let rows: Vec<[String; 3]> = accounts
        .iter()
        .map(|a| {
            let state = match a.secret {
                Secret::Code(_) => "one-time code not used yet",
                Secret::Password(_) => "set",
            };
            [a.name.clone(), a.role.to_string(), state.to_string()]
        })
        .collect();
    if rows.is_empty() {
        return "no accounts yet: step4_server accounts add NAME…\n".into();
    }
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([["name", "role"][i].len()])
            .max()
            .unwrap_or(0)
    };
    let (first, second) = (width(0), width(1));
    let mut text = format!("{:<first$}  {:<second$}  password\n", "name", "role");
    for [name, role, state] in rows {
        text.push_str(&format!("{name:<first$}  {role:<second$}  {state}\n"));
    }
    text
}

/// Splits the words (the action and names) from the flags and their values.
fn split_words(args: impl IntoIterator<Item = String>) -> (Vec<String>, Vec<String>) {
    let mut words = Vec::new();
    let mut flags = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg.starts_with('-') {
            // A flag that takes a value takes the next argument with it.
            let takes_value = ACCOUNTS
                .flags
                .iter()
                .any(|f| f.value.is_some() && arg.strip_prefix("--") == Some(f.name));
            flags.push(arg);
            if takes_value {
                flags.extend(args.next());
            }
        } else {
            words.push(arg);
        }
    }
    (words, flags)
}

fn usage(message: String) -> ! {
    ACCOUNTS.exit_with(CliError::Usage(message))
}

fn fail(message: String) -> i32 {
    eprintln!("error: {message}");
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn words_and_flags_are_told_apart() {
        let (words, flags) = split_words(strings(&[
            "add",
            "--data-dir",
            "d",
            "alice",
            "--operator",
            "bob",
            "--iterations=2000",
        ]));
        assert_eq!(words, ["add", "alice", "bob"]);
        assert_eq!(
            flags,
            ["--data-dir", "d", "--operator", "--iterations=2000"]
        );
    }

    #[test]
    fn the_list_says_who_has_chosen_a_password() {
        let mut accounts = Accounts::default();
        let stored = Stored::new("x", MIN_ITERATIONS).unwrap();
        for (name, secret) in [
            ("alice", Secret::Password(stored.clone())),
            ("bob", Secret::Code(stored)),
        ] {
            let account = Account {
                name: name.into(),
                role: Role::Student,
                secret,
            };
            accounts.add(account).unwrap();
        }
        assert_eq!(
            list(&accounts),
            "name   role     password\n\
             alice  student  set\n\
             bob    student  one-time code not used yet\n"
        );
    }
}
