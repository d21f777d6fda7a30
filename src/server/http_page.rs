//! A short plain-text web page for people who open the chat port in a browser.
//!
//! In a classroom the server's address is written on the board as
//! `192.168.1.20:7007`, and somebody always pastes it into a web browser. The
//! browser then sends `GET / HTTP/1.1` and a dozen header lines; a chat server
//! that took those for chat input would answer with a screen of protocol
//! errors, or with nothing the browser can show. Instead, when the first line
//! of a connection looks like an HTTP request, the server answers it as HTTP
//! ([`crate::server::web`]): with the chat page, the WebSocket the page
//! opens, or [`help_text`], a plain-text page saying how to connect with
//! `nc` and `telnet`.
//!
//! How the server tells a browser from a person in the first place:
//! [`crate::wire::opening`].
//!
//! The help page is plain text, not HTML, because it is meant to be read
//! once and copied from: a command in a `<pre>` block invites nothing that
//! plain text does not do better, and plain text cannot be broken by a stray
//! `<` in a command line.

/// The plain-text help page a browser gets at `/help.txt` (the chat page
/// links to it), given the lines the server printed at start: the browser
/// address first (`Students: open http://192.168.1.20:7007 in a browser, or
/// nc 192.168.1.20 7007`), then the terminal commands (`nc 192.168.1.20
/// 7007`, `telnet 192.168.1.20 7007`, …). [`crate::server::web`] puts it in
/// an HTTP response.
pub fn help_text(student_lines: &[String], how_to_connect: &[String]) -> String {
    let mut body = String::new();
    body.push_str("How to join this chat.\n");
    body.push('\n');
    for line in student_lines {
        body.push_str(line);
        body.push('\n');
    }
    body.push('\n');
    body.push_str("From a terminal, connect with one of these commands:\n");
    body.push('\n');
    for line in how_to_connect {
        body.push_str("    ");
        body.push_str(line);
        body.push('\n');
    }
    body.push('\n');
    body.push_str(
        "Then type /nick yourname to choose your name, and /help for the other commands.\n",
    );
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_names_the_browser_first_then_the_terminal() {
        let students = vec![
            "Students: open http://192.168.1.20:7007 in a browser, or nc 192.168.1.20 7007"
                .to_string(),
        ];
        let terminal = vec![
            "nc 192.168.1.20 7007".to_string(),
            "telnet 192.168.1.20 7007".to_string(),
        ];
        let body = help_text(&students, &terminal);
        let browser = body.find("http://192.168.1.20:7007").unwrap();
        let telnet = body.find("    telnet 192.168.1.20 7007\n").unwrap();
        assert!(browser < telnet, "{body}");
        assert!(body.contains("\n    nc 192.168.1.20 7007\n"));
        assert!(body.contains("/nick yourname"));
    }
}
