//! The accounts file, `accounts.tsv` in the data directory: one account a
//! line, written by `step4_server accounts` and by the server when a student
//! chooses a password.
//!
//! ```text
//! # chatroom accounts: name, role, code or password, its hash
//! alice  student   password  pbkdf2-sha256$100000$…$…
//! bob    student   code      pbkdf2-sha256$100000$…$…
//! lee    operator  password  pbkdf2-sha256$100000$…$…
//! ```
//!
//! (one tab between fields; spaces here for reading).
//!
//! `code` means the teacher's one-time code has not been used yet: the
//! student logs in with it once and must choose their own password then.
//!
//! Promises, and how each is kept:
//! - **Never half-written.** [`Accounts::save`] writes a temporary file,
//!   `fsync`s it, renames it over the old one (a rename is atomic: a reader
//!   sees the old file or the new one, never a mix) and `fsync`s the folder
//!   so the rename itself survives a power cut.
//! - **Readable only by its owner**: the file is created with mode 0600.
//!   Hashes are slow to attack, not impossible.
//! - **Never silently emptied.** [`Accounts::load`] is strict: a line it
//!   cannot read is an error naming the file and line, and the server stops
//!   at start rather than run with part of the class list (and it never
//!   writes over a file it could not read). A missing file is an empty list.
//!
//! The server and `accounts` may both write the file: each reads it again
//! just before changing it, so only two changes in the same instant could
//! lose one (a teacher runs `accounts` between classes).

use super::password::Stored;
use crate::text::names;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The accounts file's name in the data directory.
pub const FILE_NAME: &str = "accounts.tsv";

/// The first line of every file written, for a person who opens it.
const HEADER: &str = "# chatroom accounts: name, role, code or password, its hash (see step4_server accounts --help)";

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Student,
    /// A teacher: an operator as soon as they log in.
    Operator,
}

impl Role {
    fn word(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Operator => "operator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// How an account logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// The teacher's one-time code, not used yet.
    Code(Stored),
    /// The password the student chose.
    Password(Stored),
}

impl Secret {
    pub fn stored(&self) -> &Stored {
        match self {
            Secret::Code(stored) | Secret::Password(stored) => stored,
        }
    }
}

/// One student or teacher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The name as the teacher typed it; it is also the account's chat name.
    pub name: String,
    pub role: Role,
    pub secret: Secret,
}

/// The class list, in the file's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    list: Vec<Account>,
}

/// Where the accounts file of `data_dir` is.
pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

impl Accounts {
    /// Reads the accounts file of `data_dir`; no file is no accounts. The
    /// error is one line naming the file (and the line, if one is bad).
    pub fn load(data_dir: &Path) -> Result<Accounts, String> {
        let path = path_in(data_dir);
        match fs::read_to_string(&path) {
            Ok(text) => Accounts::parse(&text).map_err(|(line, why)| {
                format!(
                    "the accounts file {} is damaged at line {line}: {why} \
                     (fix or restore it; the server does not start with part of the class list)",
                    path.display()
                )
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Accounts::default()),
            Err(error) => Err(format!(
                "cannot read the accounts file {}: {}",
                path.display(),
                crate::support::cli::describe_io_error(&error)
            )),
        }
    }

    /// Reads the file's text; the error is (line number, what is wrong).
    pub fn parse(text: &str) -> Result<Accounts, (usize, String)> {
        let mut accounts = Accounts::default();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, role, kind, hash] = fields[..] else {
                return Err((
                    number,
                    format!(
                        "expected 4 tab-separated fields (name, role, code or password, hash), found {}",
                        fields.len()
                    ),
                ));
            };
            names::check_username(name)
                .map_err(|e| (number, format!("\"{name}\" is not a valid name: {e}")))?;
            let role = match role {
                "student" => Role::Student,
                "operator" => Role::Operator,
                other => {
                    return Err((
                        number,
                        format!("unknown role \"{other}\" (student or operator)"),
                    ))
                }
            };
            let stored = Stored::parse(hash).map_err(|e| (number, e))?;
            let secret = match kind {
                "code" => Secret::Code(stored),
                "password" => Secret::Password(stored),
                other => {
                    return Err((
                        number,
                        format!("unknown kind \"{other}\" (code or password)"),
                    ))
                }
            };
            if let Some(other) = accounts.claimant(name) {
                return Err((
                    number,
                    format!("\"{name}\" is already an account (\"{}\")", other.name),
                ));
            }
            accounts.list.push(Account {
                name: name.to_string(),
                role,
                secret,
            });
        }
        Ok(accounts)
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut text = format!("{HEADER}\n");
        for account in &self.list {
            let kind = match account.secret {
                Secret::Code(_) => "code",
                Secret::Password(_) => "password",
            };
            text.push_str(&format!(
                "{}\t{}\t{kind}\t{}\n",
                account.name,
                account.role,
                account.secret.stored().to_text()
            ));
        }
        text
    }

    /// Writes the file atomically, readable only by its owner (see the
    /// module notes). The error is one line naming the file.
    pub fn save(&self, data_dir: &Path) -> Result<(), String> {
        let path = path_in(data_dir);
        let temporary = data_dir.join(format!("{FILE_NAME}.new"));
        let failed = |what: &str, error: io::Error| {
            format!(
                "cannot {what} the accounts file {}: {}",
                path.display(),
                crate::support::cli::describe_io_error(&error)
            )
        };
        fs::create_dir_all(data_dir).map_err(|e| failed("create the folder of", e))?;
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&temporary).and_then(|mut file| {
            // `mode` applies only when the file is created; a temporary file
            // left by a crash keeps its mode, so set it every time.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(fs::Permissions::from_mode(0o600))?;
            }
            file.write_all(self.to_text().as_bytes())?;
            file.sync_all()
        });
        written.map_err(|e| failed("write", e))?;
        fs::rename(&temporary, &path).map_err(|e| failed("replace", e))?;
        // The rename is an entry in the folder: sync the folder too.
        if let Ok(folder) = fs::File::open(data_dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    }

    /// Every account, in the file's order.
    pub fn iter(&self) -> impl Iterator<Item = &Account> {
        self.list.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The account named `name` (any case).
    pub fn get(&self, name: &str) -> Option<&Account> {
        let key = names::key(name);
        self.list.iter().find(|a| names::key(&a.name) == key)
    }

    /// The account whose name `name` is, or looks like (`aIice` for
    /// `alice`): nobody else may use such a name.
    pub fn claimant(&self, name: &str) -> Option<&Account> {
        let skeleton = names::skeleton(name);
        self.list
            .iter()
            .find(|a| names::skeleton(&a.name) == skeleton)
    }

    /// Adds an account; `Err` says why not (invalid, taken or look-alike).
    pub fn add(&mut self, account: Account) -> Result<(), String> {
        names::check_username(&account.name)
            .map_err(|e| format!("\"{}\" is not a valid name: {e}", account.name))?;
        if let Some(other) = self.claimant(&account.name) {
            return Err(if names::key(&other.name) == names::key(&account.name) {
                format!("\"{}\" is already an account", other.name)
            } else {
                format!(
                    "\"{}\" looks too much like the account \"{}\"",
                    account.name, other.name
                )
            });
        }
        self.list.push(account);
        Ok(())
    }

    /// Removes the account named `name`; returns it, if there was one.
    pub fn remove(&mut self, name: &str) -> Option<Account> {
        let key = names::key(name);
        let at = self.list.iter().position(|a| names::key(&a.name) == key)?;
        Some(self.list.remove(at))
    }

    /// Replaces the secret of the account named `name`; false if none.
    pub fn set_secret(&mut self, name: &str, secret: Secret) -> bool {
        let key = names::key(name);
        match self.list.iter_mut().find(|a| names::key(&a.name) == key) {
            Some(account) => {
                account.secret = secret;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::password::MIN_ITERATIONS;
    use super::*;
    use crate::support::tempdir::TempDir;

    fn account(name: &str, role: Role) -> Account {
        Account {
            name: name.into(),
            role,
            secret: Secret::Code(Stored::new("code", MIN_ITERATIONS).unwrap()),
        }
    }

    #[test]
    fn saved_accounts_load_back_and_the_file_is_private() {
        let dir = TempDir::new("accounts");
        let mut accounts = Accounts::default();
        accounts.add(account("alice", Role::Student)).unwrap();
        accounts.add(account("lee", Role::Operator)).unwrap();
        accounts.save(dir.path()).unwrap();
        assert_eq!(Accounts::load(dir.path()).unwrap(), accounts);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(path_in(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE_NAME]);
    }

    #[test]
    fn no_file_is_no_accounts() {
        let dir = TempDir::new("accounts");
        assert!(Accounts::load(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_line_is_named_and_the_file_is_left_alone() {
        let dir = TempDir::new("accounts");
        let mut accounts = Accounts::default();
        accounts.add(account("alice", Role::Student)).unwrap();
        let text = accounts.to_text() + "bob\tstudent\tcode\n";
        fs::write(path_in(dir.path()), &text).unwrap();
        let error = Accounts::load(dir.path()).unwrap_err();
        assert!(error.contains(FILE_NAME), "{error}");
        assert!(error.contains("line 3"), "{error}");
        assert!(error.contains("expected 4"), "{error}");
        assert_eq!(fs::read_to_string(path_in(dir.path())).unwrap(), text);
    }

    #[test]
    fn every_kind_of_damage_is_an_error() {
        let good = account("alice", Role::Student).secret.stored().to_text();
        for (line, words) in [
            (format!("alice\tstudent\tcode\t{good}\tx"), "found 5"),
            (format!("al ice\tstudent\tcode\t{good}"), "not a valid name"),
            (format!("alice\tteacher\tcode\t{good}"), "unknown role"),
            (format!("alice\tstudent\tpin\t{good}"), "unknown kind"),
            ("alice\tstudent\tcode\tplain".to_string(), "four parts"),
        ] {
            let (number, why) = Accounts::parse(&line).unwrap_err();
            assert_eq!(number, 1);
            assert!(why.contains(words), "{line}: {why}");
        }
        let twice = format!("alice\tstudent\tcode\t{good}\nAlice\tstudent\tcode\t{good}");
        assert_eq!(Accounts::parse(&twice).unwrap_err().0, 2);
    }

    #[test]
    fn names_and_their_look_alikes_belong_to_the_account() {
        let mut accounts = Accounts::default();
        accounts.add(account("alice", Role::Student)).unwrap();
        assert_eq!(accounts.get("ALICE").unwrap().name, "alice");
        assert_eq!(accounts.claimant("aIice").unwrap().name, "alice");
        assert!(accounts.get("aIice").is_none());
        assert!(accounts.add(account("Alice", Role::Student)).is_err());
        let error = accounts.add(account("aIice", Role::Student)).unwrap_err();
        assert!(error.contains("looks too much like"), "{error}");
        assert!(accounts.remove("ALICE").is_some());
        assert!(accounts.is_empty());
    }
}
