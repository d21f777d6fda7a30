//! The server's settings as a person meets them: the real `step4_server`
//! binary run with `--print-config`, a settings file in a temporary
//! directory, environment variables and flags.
//!
//! `--print-config` prints the merged settings and exits without opening a
//! socket, so these tests need no ports and no server to stop. The finer
//! points (every error message, every range) are unit tests in
//! `src/settings/`; here we check that the binary wires them up: the file is
//! found, the layers are merged in the right order, and mistakes end the
//! program with one `error:` line and exit 2.

use std::path::Path;

use assert_cmd::Command;
use chatroom::support::tempdir::TempDir;
use predicates::prelude::*;

/// `step4_server` run in `dir`, with no chatroom variables inherited from
/// whoever runs the tests.
fn server_in(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("step4_server").expect("step4_server is built");
    command
        .current_dir(dir)
        .env_remove("CHATROOM_PASSWORD")
        .env_remove("CHATROOM_ADMIN_PASSWORD");
    command
}

/// The text `--print-config` printed, after checking it exited 0 quietly.
fn printed(command: &mut Command) -> String {
    let output = command.output().expect("run step4_server");
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "status {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

#[test]
fn without_a_file_it_prints_the_defaults() {
    let dir = TempDir::new("defaults");
    let text = printed(server_in(dir.path()).arg("--print-config"));
    for line in [
        "[server]\n",
        "\nhost = \"0.0.0.0\"\n",
        "\nport = 7007\n",
        "[limits]\n",
        "\nmax_line_bytes = 1024\n",
        "[history]\n",
        "\nfsync = \"interval\"\n",
        "[chat]\n",
        "\ndefault_room = \"#general\"\n",
        "\n# password = (not set)\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}

#[test]
fn config_flag_names_the_file() {
    let dir = TempDir::new("config-flag");
    let file = dir.write(
        "class.toml",
        "# settings for the class\n[server]\nport = 7100\n[chat]\nmotd = \"Hello CS101\"\n",
    );
    // Run from somewhere else, with an absolute path.
    let elsewhere = TempDir::new("config-flag-elsewhere");
    let text = printed(
        server_in(elsewhere.path())
            .arg("--config")
            .arg(&file)
            .arg("--print-config"),
    );
    assert!(text.contains("\nport = 7100\n"), "{text}");
    assert!(text.contains("\nmotd = \"Hello CS101\"\n"), "{text}");
}

#[test]
fn chatroom_toml_in_the_current_directory_is_read() {
    let dir = TempDir::new("cwd");
    dir.write(
        "chatroom.toml",
        "max_clients = 30\n[history]\nhistory = false\n",
    );
    let text = printed(server_in(dir.path()).arg("--print-config"));
    assert!(text.contains("\nmax_clients = 30\n"), "{text}");
    assert!(text.contains("\nhistory = false\n"), "{text}");
}

#[test]
fn flags_beat_the_environment_which_beats_the_file() {
    let dir = TempDir::new("precedence");
    dir.write(
        "chatroom.toml",
        "port = 7100\nmotd = \"from the file\"\npassword = \"file-secret\"\n",
    );
    let text = printed(
        server_in(dir.path())
            .env("CHATROOM_ADMIN_PASSWORD", "env-secret")
            .args(["--port", "0", "--motd=from a flag", "--print-config"]),
    );
    assert!(text.contains("\nport = 0\n"), "{text}");
    assert!(text.contains("\nmotd = \"from a flag\"\n"), "{text}");
    assert!(text.contains("\n# password = (set, not shown)\n"), "{text}");
    assert!(
        text.contains("\n# admin_password = (set, not shown)\n"),
        "{text}"
    );
    assert!(
        !text.contains("secret\""),
        "a password was printed:\n{text}"
    );

    // An empty variable switches the file's password off.
    let text = printed(
        server_in(dir.path())
            .env("CHATROOM_PASSWORD", "")
            .arg("--print-config"),
    );
    assert!(text.contains("\n# password = (not set)\n"), "{text}");
}

#[test]
fn printed_settings_read_back_the_same() {
    let dir = TempDir::new("round-trip");
    dir.write(
        "chatroom.toml",
        "host = \"::1\"\nport = 0\nrate_per_sec = 0\nrate_burst = 0\nfsync = \"never\"\n\
         default_room = \"\"\nmotd = \"Tab\\there, \\\"quotes\\\" and # too\"\n",
    );
    let first = printed(server_in(dir.path()).arg("--print-config"));
    dir.write("printed.toml", &first);
    let second =
        printed(server_in(dir.path()).args(["--config", "printed.toml", "--print-config"]));
    assert_eq!(first, second);
}

#[test]
fn a_bad_line_is_one_error_with_file_and_line() {
    let dir = TempDir::new("bad-line");
    dir.write("chatroom.toml", "# ok\n[server]\nprot = 7100\n");
    server_in(dir.path())
        .arg("--print-config")
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: chatroom.toml:3: unknown key \"prot\" (did you mean \"port\"?)\n");

    dir.write(
        "class.toml",
        "[server]\nhost = \"127.0.0.1\"\nport = \"7007\"\n",
    );
    server_in(dir.path())
        .args(["--config", "class.toml"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: class.toml:3: \"port\" must be an integer, found a string\n");
}

#[test]
fn an_unquoted_yes_for_a_boolean_gets_a_true_or_false_hint() {
    let dir = TempDir::new("config-yes");
    dir.write("chatroom.toml", "[history]\nhistory = yes\n");
    server_in(dir.path())
        .arg("--print-config")
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "error: chatroom.toml:2: invalid value \"yes\" (\"history\" must be true or false)\n",
        );
}

#[test]
fn a_missing_config_file_is_an_error() {
    let dir = TempDir::new("missing");
    server_in(dir.path())
        .args(["--config", "nope.toml", "--print-config"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "error: cannot read settings file nope.toml: ",
        ));
}

#[test]
fn a_bad_flag_value_is_a_usage_error() {
    let dir = TempDir::new("bad-flag");
    server_in(dir.path())
        .args(["--port", "70000", "--print-config"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "error: invalid value \"70000\" for --port: expected an integer from 0 to 65535\nusage: ",
        ));
}

#[test]
fn help_lists_every_flag() {
    let dir = TempDir::new("help");
    let assert = server_in(dir.path()).arg("--help").assert().code(0);
    let help = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for flag in [
        "--config FILE",
        "--host HOST",
        "--port PORT",
        "--data-dir DIR",
        "--no-history",
        "--history-replay N",
        "--fsync always|interval|never",
        "--max-clients N",
        "--max-per-ip N",
        "--max-line-bytes N",
        "--queue-len N",
        "--rate-per-sec N",
        "--rate-burst N",
        "--default-room ROOM",
        "--motd TEXT",
        "--register-timeout-secs N",
        "--print-config",
        "step4_server transcript",
        "step4_server attendance",
        "(default 7007)",
    ] {
        assert!(help.contains(flag), "--help lacks {flag:?}:\n{help}");
    }
}
