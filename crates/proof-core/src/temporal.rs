//! Dates, durations and timestamps as the language sees them.
//!
//! - A **date** is a proleptic Gregorian calendar day, `YYYY-MM-DD`, held as days since
//!   1970-01-01.
//! - A **duration** is a whole number of seconds, written in the ISO 8601 subset `PnW`,
//!   `PnD` and `PTnHnMnS` (combinable, e.g. `P1DT12H`). Years and months are rejected because
//!   their length depends on the calendar.
//! - A **timestamp** (`as_of`) is RFC 3339; `now()` is the UTC calendar date of `as_of`.

use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Seconds in a day.
pub const DAY: i64 = 86_400;
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Parses `YYYY-MM-DD` into days since 1970-01-01.
///
/// # Errors
/// A message naming what is wrong (shape, month, day).
pub fn parse_date(s: &str) -> Result<i64, String> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(format!("`{s}` is not a date in the form YYYY-MM-DD"));
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u16>().ok()).unwrap_or(0);
    let year = i32::from(num(0..4));
    let month = u8::try_from(num(5..7)).unwrap_or(0);
    let day = u8::try_from(num(8..10)).unwrap_or(0);
    let month = Month::try_from(month).map_err(|_| format!("`{s}` has no month {month}"))?;
    let date = Date::from_calendar_date(year, month, day)
        .map_err(|_| format!("`{s}` is not a day of {month} {year}"))?;
    Ok(i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY)
}

/// Formats days since 1970-01-01 as `YYYY-MM-DD` (`None` outside years 0..=9999).
#[must_use]
pub fn format_date(days: i64) -> Option<String> {
    let jd = i32::try_from(days.checked_add(UNIX_EPOCH_JULIAN_DAY)?).ok()?;
    let d = Date::from_julian_day(jd).ok()?;
    if !(0..=9999).contains(&d.year()) {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

/// Parses an ISO 8601 duration (`P365D`, `P2W`, `PT12H`, `P1DT2H30M`) into seconds.
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("`{s}` is not a duration such as `P365D`, `P2W` or `PT12H`");
    let rest = s.strip_prefix('P').ok_or_else(bad)?;
    if rest.is_empty() {
        return Err(bad());
    }
    let (date_part, time_part) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return Err(bad()),
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut add = |n: i64, unit: i64| -> Result<(), String> {
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| format!("duration `{s}` is too large"))?;
        Ok(())
    };
    for (n, unit) in components(date_part).ok_or_else(bad)? {
        match unit {
            'W' => add(n, 7 * DAY)?,
            'D' => add(n, DAY)?,
            'Y' | 'M' => {
                return Err(format!(
                    "`{s}` uses years or months, whose length varies; write days instead (e.g. `P365D`)"
                ));
            }
            _ => return Err(bad()),
        }
    }
    if let Some(t) = time_part {
        for (n, unit) in components(t).ok_or_else(bad)? {
            match unit {
                'H' => add(n, 3600)?,
                'M' => add(n, 60)?,
                'S' => add(n, 1)?,
                _ => return Err(bad()),
            }
        }
    }
    Ok(total)
}

/// Splits `12D3H` into `[(12,'D'), (3,'H')]`; `None` when malformed.
fn components(s: &str) -> Option<Vec<(i64, char)>> {
    let mut out = Vec::new();
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            if num.is_empty() || num.len() > 15 {
                return None;
            }
            out.push((num.parse().ok()?, c));
            num.clear();
        }
    }
    num.is_empty().then_some(out)
}

/// Canonical text of a duration: `P{d}D` for whole days, else `P{d}DT{h}H{m}M{s}S` with
/// zero parts left out; `PT0S` for zero; a leading `-` when negative.
#[must_use]
pub fn format_duration(secs: i64) -> String {
    let mut out = String::with_capacity(24);
    let _ = write_duration(&mut out, secs);
    out
}

/// Writes [`format_duration`]'s text to `out` (report details write durations straight into
/// their line).
///
/// # Errors
/// When `out` fails.
pub fn write_duration<W: fmt::Write>(out: &mut W, secs: i64) -> fmt::Result {
    if secs == 0 {
        return out.write_str("PT0S");
    }
    let sign = if secs < 0 { "-" } else { "" };
    let mut r = secs.unsigned_abs();
    let day = DAY.unsigned_abs();
    let (d, h, m, s);
    (d, r) = (r / day, r % day);
    (h, r) = (r / 3600, r % 3600);
    (m, s) = (r / 60, r % 60);
    write!(out, "{sign}P")?;
    if d > 0 {
        write!(out, "{d}D")?;
    }
    if h + m + s > 0 {
        out.write_char('T')?;
        for (v, u) in [(h, 'H'), (m, 'M'), (s, 'S')] {
            if v > 0 {
                write!(out, "{v}{u}")?;
            }
        }
    }
    Ok(())
}

/// Parses an RFC 3339 timestamp.
///
/// # Errors
/// A message quoting the input.
pub fn parse_timestamp(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|_| format!("`{s}` is not an RFC 3339 timestamp such as `2025-06-30T12:00:00Z`"))
}

/// Canonical text of a timestamp: RFC 3339 in UTC (`Z`), fractional seconds only when set.
#[must_use]
pub fn format_timestamp(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// The UTC calendar date of `t`, in days since 1970-01-01 (what `now()` returns).
#[must_use]
pub fn utc_day(t: OffsetDateTime) -> i64 {
    t.unix_timestamp().div_euclid(DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_reject_impossible_days() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(
            parse_date("2024-03-01").map(format_date),
            Ok(Some("2024-03-01".into()))
        );
        assert_eq!(
            parse_date("2024-02-29").unwrap() + 1,
            parse_date("2024-03-01").unwrap()
        );
        assert!(parse_date("2023-02-29").unwrap_err().contains("not a day"));
        assert!(
            parse_date("2023-13-01")
                .unwrap_err()
                .contains("no month 13")
        );
        assert!(parse_date("2023-1-01").is_err());
        assert!(parse_date("１９７０-01-01").is_err());
    }

    #[test]
    fn durations_parse_in_seconds_and_format_canonically() {
        assert_eq!(parse_duration("P365D"), Ok(365 * DAY));
        assert_eq!(parse_duration("P2W"), Ok(14 * DAY));
        assert_eq!(parse_duration("PT1H30M"), Ok(5400));
        assert_eq!(parse_duration("P1DT1S"), Ok(DAY + 1));
        assert!(
            parse_duration("P1Y")
                .unwrap_err()
                .contains("years or months")
        );
        for bad in [
            "P",
            "PT",
            "365D",
            "P-1D",
            "PD",
            "P1.5D",
            "P1DT",
            "P99999999999999999D",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(14 * DAY), "P14D");
        assert_eq!(format_duration(DAY + 5400), "P1DT1H30M");
        assert_eq!(format_duration(-DAY), "-P1D");
        assert_eq!(format_duration(0), "PT0S");
    }

    #[test]
    fn timestamps_normalise_to_utc() {
        let t = parse_timestamp("2025-01-01T01:30:00+02:00").unwrap();
        assert_eq!(format_timestamp(t), "2024-12-31T23:30:00Z");
        assert_eq!(format_date(utc_day(t)).unwrap(), "2024-12-31");
        assert!(parse_timestamp("2025-01-01").is_err());
    }
}
