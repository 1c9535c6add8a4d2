//! Dates as rules read them: what is unambiguous, and nothing else.

use jiff::Timestamp;

/// A date field as a rule reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Date {
    Absent,
    At(Timestamp),
    /// There, but not a date amilint reads without guessing.
    Unreadable,
}

/// Reads an exported timestamp. Read: what AWS writes (ISO 8601 with a
/// zone, `2024-05-01T12:00:00.000Z`, also with a space, as Python's `str()`
/// of an aware datetime writes it), RFC 1123 / 2822 (`Wed, 02 Jan 2019
/// 03:04:05 GMT`) and .NET's `/Date(1546398245000)/` (milliseconds since the
/// epoch, UTC whatever offset follows). Not read, because the instant is a
/// guess: a date alone (`2019-01-02`) or a time without a zone
/// (`2019-01-02T03:04:05`).
pub fn read_time(text: Option<&str>) -> Date {
    let Some(text) = text.map(str::trim) else {
        return Date::Absent;
    };
    if text.is_empty() {
        return Date::Absent;
    }
    let read = text
        .parse::<Timestamp>()
        .ok()
        .or_else(|| {
            jiff::fmt::rfc2822::DateTimeParser::new()
                .parse_timestamp(text)
                .ok()
        })
        .or_else(|| dotnet_date(text));
    read.map_or(Date::Unreadable, Date::At)
}

/// `/Date(1546398245000)/`, `/Date(1546398245000+0100)/`: the number is UTC.
fn dotnet_date(text: &str) -> Option<Timestamp> {
    let inner = text.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits_end = inner
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(inner.len(), |(i, _)| i);
    let (millis, offset) = inner.split_at(digits_end);
    let offset_ok = offset.is_empty()
        || (offset.len() == 5
            && offset.starts_with(['+', '-'])
            && offset[1..].bytes().all(|b| b.is_ascii_digit()));
    if !offset_ok {
        return None;
    }
    Timestamp::from_millisecond(millis.parse().ok()?).ok()
}

/// Parses an exported timestamp (`read_time`); `None` if absent or not read.
pub fn parse_time(text: Option<&str>) -> Option<Timestamp> {
    match read_time(text) {
        Date::At(at) => Some(at),
        Date::Absent | Date::Unreadable => None,
    }
}

/// Whole days from `earlier` to `later` (negative if `later` is before).
pub fn days_between(earlier: Timestamp, later: Timestamp) -> i64 {
    later
        .as_second()
        .saturating_sub(earlier.as_second())
        .div_euclid(86_400)
}
