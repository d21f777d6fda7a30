//! What a scenario measured, as named values in the order they are shown:
//! each [`Figure`] has a key for scripts, a label for people, its text, and
//! its number when it has one (the suite takes medians of those). One list
//! prints both ways, as the table and as the `key=value` line, so the two
//! can never disagree.

use std::fmt::Write as _;

/// One measured value.
pub struct Figure {
    pub key: &'static str,
    pub label: &'static str,
    pub text: String,
    pub number: Option<f64>,
}

/// The values a run measured, in the order they are shown.
#[derive(Default)]
pub struct Figures {
    pub rows: Vec<Figure>,
}

impl Figures {
    pub fn add(
        &mut self,
        key: &'static str,
        label: &'static str,
        text: String,
        number: Option<f64>,
    ) {
        self.rows.push(Figure {
            key,
            label,
            text,
            number,
        });
    }

    pub(super) fn text(&mut self, key: &'static str, label: &'static str, text: impl ToString) {
        self.add(key, label, text.to_string(), None);
    }

    pub(super) fn count(&mut self, key: &'static str, label: &'static str, value: u64) {
        self.add(key, label, value.to_string(), Some(value as f64));
    }

    /// A number with `decimals` places; "n/a" when unknown (no server pid).
    pub(super) fn number(
        &mut self,
        key: &'static str,
        label: &'static str,
        value: Option<f64>,
        decimals: usize,
    ) {
        match value.filter(|v| v.is_finite()) {
            Some(v) => self.add(key, label, format!("{v:.decimals$}"), Some(v)),
            None => self.add(key, label, "n/a".into(), None),
        }
    }

    /// A latency in milliseconds from microseconds.
    pub(super) fn millis(&mut self, key: &'static str, label: &'static str, micros: u64) {
        self.number(key, label, Some(micros as f64 / 1000.0), 3);
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.rows.iter().find(|row| row.key == key)?.number
    }

    pub fn get_text(&self, key: &str) -> Option<&str> {
        Some(self.rows.iter().find(|row| row.key == key)?.text.as_str())
    }

    /// `scenario=fanout clients=1000 …`
    pub fn key_values(&self) -> String {
        let pairs: Vec<String> = self
            .rows
            .iter()
            .map(|row| format!("{}={}", row.key, row.text.replace(' ', "_")))
            .collect();
        pairs.join(" ")
    }

    /// Two aligned columns: what, value.
    pub fn table(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|row| row.label.len())
            .max()
            .unwrap_or(0);
        let mut table = String::new();
        for row in &self.rows {
            let _ = writeln!(table, "  {:<width$}  {}", row.label, row.text);
        }
        table
    }
}
