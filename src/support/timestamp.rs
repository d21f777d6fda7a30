//! UTC timestamps: the clock for logs, the history file and transcripts.
//!
//! std gives us `SystemTime` (milliseconds since 1970) but no calendar, and the
//! design card allows no crates, so this module turns a count of days into a
//! year, month and day and back with Howard Hinnant's well-known
//! `civil_from_days` / `days_from_civil` algorithms
//! (<https://howardhinnant.github.io/date_algorithms.html>). Everything is UTC:
//! a chat server's logs and a teacher's transcript should not change meaning
//! when the machine's time zone does, and UTC needs no time-zone database.
//!
//! Times travel through the program as `u64` milliseconds since the Unix epoch
//! ([`now_millis`]); they are only turned into text at the edges.

use std::time::{SystemTime, UNIX_EPOCH};

const MILLIS_PER_SECOND: u64 = 1_000;
const SECONDS_PER_DAY: u64 = 86_400;

/// Milliseconds since 1970-01-01T00:00:00Z. A clock set before 1970 reads as 0
/// rather than panicking: a wrong clock must not take the server down.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A calendar date and time of day, all in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

impl Civil {
    /// Splits milliseconds since the epoch into calendar fields.
    pub fn from_millis(unix_millis: u64) -> Civil {
        let millis = (unix_millis % MILLIS_PER_SECOND) as u32;
        let seconds = unix_millis / MILLIS_PER_SECOND;
        let days = (seconds / SECONDS_PER_DAY) as i64;
        let second_of_day = seconds % SECONDS_PER_DAY;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (second_of_day / 3_600) as u32,
            minute: (second_of_day / 60 % 60) as u32,
            second: (second_of_day % 60) as u32,
            millis,
        }
    }

    /// The inverse of [`Civil::from_millis`]; `None` for dates before 1970.
    pub fn to_millis(self) -> Option<u64> {
        let days = days_from_civil(self.year, self.month, self.day);
        if days < 0 {
            return None;
        }
        let seconds = days as u64 * SECONDS_PER_DAY
            + u64::from(self.hour) * 3_600
            + u64::from(self.minute) * 60
            + u64::from(self.second);
        Some(seconds * MILLIS_PER_SECOND + u64::from(self.millis))
    }
}

/// `2026-11-21T10:02:03.123Z`: RFC 3339, the format of log lines and of the
/// history file. Fixed width, so lines sort and align.
pub fn rfc3339(unix_millis: u64) -> String {
    let c = Civil::from_millis(unix_millis);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

/// `2026-11-21 10:02:03`: how a transcript shows a time to a person.
pub fn human(unix_millis: u64) -> String {
    let c = Civil::from_millis(unix_millis);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `10:02:03`: the short form used when replaying history inside a chat.
pub fn clock(unix_millis: u64) -> String {
    let c = Civil::from_millis(unix_millis);
    format!("{:02}:{:02}:{:02}", c.hour, c.minute, c.second)
}

/// Reads the times a person types or the history file holds:
/// `2026-11-21`, `2026-11-21T09:00`, `2026-11-21 09:00:30`,
/// `2026-11-21T09:00:30.250Z`. A trailing `Z` is allowed; other offsets are
/// not, because every time in this project is UTC and a silent conversion
/// would surprise.
pub fn parse(text: &str) -> Result<u64, String> {
    let bad = || {
        format!("invalid time \"{text}\" (expected UTC like 2026-11-21 or 2026-11-21T09:00[:SS][.mmm][Z])")
    };
    let trimmed = text.trim();
    let trimmed = trimmed.strip_suffix('Z').unwrap_or(trimmed);
    let (date, time) = match trimmed.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (trimmed, None),
    };
    let mut date_parts = date.split('-');
    let year: i64 = number(date_parts.next(), 4).ok_or_else(bad)?;
    let month: u32 = number(date_parts.next(), 2).ok_or_else(bad)?;
    let day: u32 = number(date_parts.next(), 2).ok_or_else(bad)?;
    if date_parts.next().is_some() || !(1..=12).contains(&month) || day == 0 {
        return Err(bad());
    }
    if day > days_in_month(year, month) {
        return Err(bad());
    }
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    if let Some(time) = time {
        let (hms, fraction) = match time.split_once('.') {
            Some((hms, fraction)) => (hms, Some(fraction)),
            None => (time, None),
        };
        let mut time_parts = hms.split(':');
        hour = number(time_parts.next(), 2).ok_or_else(bad)?;
        minute = number(time_parts.next(), 2).ok_or_else(bad)?;
        if let Some(s) = time_parts.next() {
            second = number(Some(s), 2).ok_or_else(bad)?;
        }
        if time_parts.next().is_some() || hour > 23 || minute > 59 || second > 59 {
            return Err(bad());
        }
        if let Some(fraction) = fraction {
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            // Keep the first three digits: milliseconds are all we store.
            let padded = format!("{fraction:0<3}");
            millis = padded[..3].parse().map_err(|_| bad())?;
        }
    }
    Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
        millis,
    }
    .to_millis()
    .ok_or_else(bad)
}

/// A field of exactly `width` ASCII digits.
fn number<T: std::str::FromStr>(field: Option<&str>, width: usize) -> Option<T> {
    let field = field?;
    if field.len() != width || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.parse().ok()
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 → (year, month, day). Hinnant's algorithm: shift the
/// year to start in March so the leap day is the last day of the year, then
/// count 400-year eras of 146,097 days.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) → days since 1970-01-01; the inverse of the above.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_format() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day in a year divisible by 400) at 12:34:56.789.
        assert_eq!(rfc3339(951_827_696_789), "2000-02-29T12:34:56.789Z");
        assert_eq!(human(1_795_255_323_000), "2026-11-21 10:02:03");
        assert_eq!(clock(1_795_255_323_000), "10:02:03");
    }

    #[test]
    fn parse_round_trips_every_day_for_sixty_years() {
        for day in 0..(60 * 366) {
            let millis = day * SECONDS_PER_DAY * 1_000 + 45_296_007; // 12:34:56.007
            assert_eq!(parse(&rfc3339(millis)), Ok(millis), "day {day}");
        }
    }

    #[test]
    fn parse_accepts_short_forms() {
        assert_eq!(parse("2026-11-21"), parse("2026-11-21T00:00:00Z"));
        assert_eq!(parse("2026-11-21T09:00"), parse("2026-11-21 09:00:00"));
        assert_eq!(parse("2026-11-21T10:02:03Z"), Ok(1_795_255_323_000));
        assert_eq!(parse("2026-11-21T10:02:03.5"), Ok(1_795_255_323_500));
    }

    #[test]
    fn parse_rejects_nonsense() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-11-21T24:00",
            "2026-11-21T09",
            "2026-11-21T09:00+01:00",
            "26-11-21",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
