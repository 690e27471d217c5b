//! Timestamps as devices write them, and the policy for what they leave out.
//!
//! RFC 3164 timestamps carry neither a year nor a zone. The year is inferred from the receive time
//! (the latest year that does not put the record in the future, so a December record received in
//! January is last year's, with two days' slack so a device clock slightly ahead on New Year's Eve
//! gives next year), unless a fixed year is configured.
//! The zone comes from the source's configuration and defaults to UTC.

use std::cell::Cell;

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};

/// The zone that zone-less timestamps are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// Coordinated Universal Time.
    #[default]
    Utc,
    /// A fixed offset such as `+07:00`.
    Fixed(FixedOffset),
    /// An IANA zone with its daylight-saving rules.
    Named(chrono_tz::Tz),
}

impl Zone {
    /// Parses `UTC`, `Z`, `+07:00`, `+0700`, `-05` or an IANA name.
    pub fn parse(spec: &str) -> crate::Result<Zone> {
        let s = spec.trim();
        if s.eq_ignore_ascii_case("utc") || s == "Z" || s.eq_ignore_ascii_case("gmt") {
            return Ok(Zone::Utc);
        }
        if let Some(offset) = parse_offset(s) {
            return Ok(Zone::Fixed(offset));
        }
        s.parse::<chrono_tz::Tz>()
            .map(Zone::Named)
            .map_err(|_| crate::Error::TimeZone(spec.to_owned()))
    }

    /// The zone's offset from UTC at an instant (microseconds since the epoch).
    pub fn offset_at(self, utc_micros: i64) -> FixedOffset {
        let utc = chrono::Utc.fix();
        match self {
            Zone::Utc => utc,
            Zone::Fixed(off) => off,
            Zone::Named(tz) => chrono::DateTime::from_timestamp_micros(utc_micros)
                .map_or(utc, |t| tz.offset_from_utc_datetime(&t.naive_utc()).fix()),
        }
    }

    /// Converts a wall-clock time in this zone to microseconds since the epoch (UTC). In a DST
    /// overlap the earlier instant wins; in a DST gap the time is read as standard time.
    pub fn to_utc_micros(self, local: NaiveDateTime) -> i64 {
        match self {
            Zone::Utc => local.and_utc().timestamp_micros(),
            Zone::Fixed(off) => resolve(
                off.from_local_datetime(&local),
                local,
                off.local_minus_utc(),
            ),
            Zone::Named(tz) => {
                let fallback = tz.offset_from_utc_datetime(&local).fix().local_minus_utc();
                resolve(tz.from_local_datetime(&local), local, fallback)
            }
        }
    }

    /// Converts a wall-clock date and time in this zone to microseconds since the epoch (UTC);
    /// `None` for an invalid date or time. Fixed zones take an integer-only fast path.
    #[allow(clippy::too_many_arguments)]
    pub fn civil_to_utc_micros(
        self,
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        micros: u32,
    ) -> Option<i64> {
        if hour > 23 || minute > 59 || second > 59 || micros > 999_999 {
            return None;
        }
        let offset_secs = match self {
            Zone::Utc => 0,
            Zone::Fixed(off) => i64::from(off.local_minus_utc()),
            Zone::Named(_) => {
                let local = NaiveDate::from_ymd_opt(year, month, day)?
                    .and_hms_micro_opt(hour, minute, second, micros)?;
                return Some(self.to_utc_micros(local));
            }
        };
        let days = days_of_date(year, month, day)?;
        let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
        Some(secs * 1_000_000 + i64::from(micros))
    }

    /// Days since the epoch of the local date of a UTC instant in this zone.
    fn local_days(self, utc_micros: i64) -> i64 {
        match self {
            Zone::Utc => utc_micros.div_euclid(86_400_000_000),
            Zone::Fixed(off) => (utc_micros + i64::from(off.local_minus_utc()) * 1_000_000)
                .div_euclid(86_400_000_000),
            Zone::Named(_) => {
                let local = self.local_of(utc_micros).date();
                days_from_civil(local.year(), local.month(), local.day()).unwrap_or(0)
            }
        }
    }

    /// The wall-clock date and time in this zone of a UTC instant.
    pub fn local_of(self, utc_micros: i64) -> NaiveDateTime {
        let utc = DateTime::<Utc>::from_timestamp_micros(utc_micros).unwrap_or_default();
        match self {
            Zone::Utc => utc.naive_utc(),
            Zone::Fixed(off) => utc.with_timezone(&off).naive_local(),
            Zone::Named(tz) => utc.with_timezone(&tz).naive_local(),
        }
    }
}

fn resolve<T: TimeZone>(
    r: LocalResult<DateTime<T>>,
    local: NaiveDateTime,
    fallback_secs: i32,
) -> i64 {
    match r {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp_micros(),
        LocalResult::None => {
            local.and_utc().timestamp_micros() - i64::from(fallback_secs) * 1_000_000
        }
    }
}

/// The number written by the `n` ASCII digits at `at` (`None` if any is not a digit or the text
/// is too short): the one reader of fixed-position date and time fields.
#[inline]
pub(crate) fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at + n)?;
    // Accumulate first and check once: no branch per digit (a wrong byte's value is discarded).
    let (mut value, mut all_digits) = (0u32, true);
    for &c in part {
        let d = c.wrapping_sub(b'0');
        all_digits &= d < 10;
        value = value.wrapping_mul(10).wrapping_add(u32::from(d));
    }
    all_digits.then_some(value)
}

/// `+07:00`, `+0700`, `+07`, `-05:30`.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let b = s.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let two = |i: usize| digits(b, i, 2).and_then(|n| i32::try_from(n).ok());
    let hours = two(1)?;
    let minutes = match b.len() {
        3 => 0,
        5 => two(3)?,
        6 if b[3] == b':' => two(4)?,
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Epoch seconds with an optional fraction (`1795834800.123456`, Zeek's and Squid's stamps), as
/// UTC microseconds; digits past the sixth are dropped.
pub fn epoch_micros(s: &str) -> Option<i64> {
    let (seconds, fraction) = s.split_once('.').unwrap_or((s, ""));
    if seconds.is_empty() || !seconds.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = seconds.parse().ok()?;
    let micros = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(6)
        .try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })?;
    Some(seconds.saturating_mul(1_000_000).saturating_add(micros))
}

/// A zone as devices label it: an offset (`+0700`), or a time-zone menu entry such as FortiWeb's
/// and FortiMail's `(GMT+7:00)Bangkok,Hanoi,Jakarta` (`(GMT)` alone is UTC).
pub fn parse_zone_label(s: &str) -> Option<FixedOffset> {
    let s = s.trim_matches('"');
    if let Some(offset) = parse_offset(s) {
        return Some(offset);
    }
    let inner = s.strip_prefix('(')?.split(')').next()?;
    let offset = inner
        .strip_prefix("GMT")
        .or_else(|| inner.strip_prefix("UTC"))?;
    if offset.is_empty() {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = offset.split_at(1);
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "00"));
    let (hours, minutes) = (hours.parse::<i32>().ok()?, minutes.parse::<i32>().ok()?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let secs = hours * 3600 + minutes * 60;
    match sign {
        "+" => FixedOffset::east_opt(secs),
        "-" => FixedOffset::east_opt(-secs),
        _ => None,
    }
}

/// How the year of a year-less timestamp is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearPolicy {
    /// The year that puts the record closest to its receive time.
    FromReceiveTime,
    /// Always this year (replaying old files).
    Fixed(i32),
}

/// Month number (1-12) of an English three-letter abbreviation, any case.
pub fn month_from_abbrev(m: &[u8]) -> Option<u32> {
    const fn key(n: &[u8; 3]) -> u32 {
        u32::from_le_bytes([n[0], n[1], n[2], 0])
    }
    const JAN: u32 = key(b"jan");
    const FEB: u32 = key(b"feb");
    const MAR: u32 = key(b"mar");
    const APR: u32 = key(b"apr");
    const MAY: u32 = key(b"may");
    const JUN: u32 = key(b"jun");
    const JUL: u32 = key(b"jul");
    const AUG: u32 = key(b"aug");
    const SEP: u32 = key(b"sep");
    const OCT: u32 = key(b"oct");
    const NOV: u32 = key(b"nov");
    const DEC: u32 = key(b"dec");
    let [a, b, c] = *m else {
        return None;
    };
    // Setting bit 5 lower-cases a letter and turns no other byte into one, so the three bytes
    // compare as one integer (this runs for every BSD timestamp).
    Some(match key(&[a | 0x20, b | 0x20, c | 0x20]) {
        JAN => 1,
        FEB => 2,
        MAR => 3,
        APR => 4,
        MAY => 5,
        JUN => 6,
        JUL => 7,
        AUG => 8,
        SEP => 9,
        OCT => 10,
        NOV => 11,
        DEC => 12,
        _ => return None,
    })
}

/// Resolves a year-less date: the year comes from `policy`, read against the receive time in `zone`.
pub fn infer_year(
    month: u32,
    day: u32,
    policy: YearPolicy,
    received_micros: i64,
    zone: Zone,
) -> Option<i32> {
    match policy {
        YearPolicy::Fixed(y) => NaiveDate::from_ymd_opt(y, month, day).map(|_| y),
        YearPolicy::FromReceiveTime => {
            // Logs describe the past: the latest year that does not put the record more than two
            // days after its receive time (the slack covers skewed device clocks and zone mistakes).
            let latest = zone.local_days(received_micros) + 2;
            // Every record of a day asks about the same date: the last answer is kept (per thread).
            /// Month, day, the day asked against, and the answer.
            type Answer = (u32, u32, i64, Option<i32>);
            thread_local! {
                static LAST: Cell<Option<Answer>> = const { Cell::new(None) };
            }
            LAST.with(|last| match last.get() {
                Some((m, d, l, year)) if (m, d, l) == (month, day, latest) => year,
                _ => {
                    let year = year_before(month, day, latest);
                    last.set(Some((month, day, latest, year)));
                    year
                }
            })
        }
    }
}

/// The latest year in which `month`/`day` falls on or before day `latest`.
fn year_before(month: u32, day: u32, latest: i64) -> Option<i32> {
    let (y, reaches_next_year) = year_near(latest);
    // Usually this year; next year only when the slack reaches past New Year; earlier years for
    // dates still ahead this year (and February 29 of non-leap years).
    let fits = |cand: i32| days_from_civil(cand, month, day).is_some_and(|d| d <= latest);
    let first = if reaches_next_year { y + 1 } else { y };
    (y - 4..=first).rev().find(|&cand| fits(cand))
}

/// The year of day `latest - 2` and whether `latest` is already in the next year. (Asked only when
/// [`infer_year`]'s per-thread answer is for another date.)
fn year_near(latest: i64) -> (i32, bool) {
    let y = year_of_days(latest - 2);
    let reaches = days_from_civil(y + 1, 1, 1).is_some_and(|d| d <= latest);
    (y, reaches)
}

/// Days in a month of the proleptic Gregorian calendar.
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// [`days_from_civil`] for the timestamps of a stream, which mostly share their date: the last
/// date's answer is kept (per thread).
fn days_of_date(year: i32, month: u32, day: u32) -> Option<i64> {
    thread_local! {
        static LAST: Cell<(i32, u32, u32, Option<i64>)> = const { Cell::new((0, 0, 0, None)) };
    }
    LAST.with(|last| {
        let (y, m, d, days) = last.get();
        if (y, m, d) == (year, month, day) {
            return days;
        }
        let days = days_from_civil(year, month, day);
        last.set((year, month, day, days));
        days
    })
}

/// Days since 1970-01-01 of a civil date, `None` when the date does not exist (integer arithmetic
/// after Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * if m > 2 { m - 3 } else { m + 9 } + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The year of a day number since the epoch.
fn year_of_days(days: i64) -> i32 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let year = yoe + era * 400 + i64::from(mp >= 10);
    i32::try_from(year).unwrap_or(i32::MAX)
}

/// Parses an RFC 3339 / ISO 8601 timestamp: `2024-03-01T10:00:00[.ffffff](Z|±hh:mm)`; a space may
/// stand for `T`, and without a zone the time is read in `zone`. Returns micros and bytes consumed.
pub fn parse_iso8601(s: &str, zone: Zone) -> Option<(i64, usize)> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let d = |i: usize, n: usize| digits(b, i, n);
    if b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (i32::try_from(d(0, 4)?).ok()?, d(5, 2)?, d(8, 2)?);
    let (h, mi, sec) = (d(11, 2)?, d(14, 2)?, d(17, 2)?);
    let mut pos = 19;
    let mut micros = 0u32;
    if b.get(pos) == Some(&b'.') || b.get(pos) == Some(&b',') {
        pos += 1;
        let start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            if pos - start < 6 {
                micros = micros * 10 + u32::from(b[pos] - b'0');
            }
            pos += 1;
        }
        if pos == start {
            return None;
        }
        for _ in (pos - start)..6 {
            micros *= 10;
        }
    }
    // A leap second (60) is clamped to 59.999999 rather than rejected.
    let (sec, micros) = if sec == 60 {
        (59, 999_999)
    } else {
        (sec, micros)
    };
    let (zone, end) = match b.get(pos) {
        Some(b'Z' | b'z') => (Zone::Utc, pos + 1),
        // `+07:00` ending the text, the usual form, read by position.
        Some(&sign @ (b'+' | b'-')) if b.len() == pos + 6 && b[pos + 3] == b':' => {
            let (hours, minutes) = (d(pos + 1, 2)?, d(pos + 4, 2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let secs = i32::try_from(hours * 3600 + minutes * 60).ok()?;
            let secs = if sign == b'-' { -secs } else { secs };
            (Zone::Fixed(FixedOffset::east_opt(secs)?), b.len())
        }
        Some(b'+' | b'-') => {
            let mut end = pos + 1;
            while end < b.len() && (b[end].is_ascii_digit() || b[end] == b':') {
                end += 1;
            }
            (Zone::Fixed(parse_offset(&s[pos..end])?), end)
        }
        _ => (zone, pos),
    };
    Some((
        zone.civil_to_utc_micros(year, month, day, h, mi, sec, micros)?,
        end,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_labels_of_time_zone_menus() {
        let hours = |s: &str| parse_zone_label(s).map(|o| o.local_minus_utc() / 60);
        assert_eq!(hours("(GMT+7:00)Bangkok,Hanoi,Jakarta"), Some(420));
        assert_eq!(hours("\"+0700\""), Some(420));
        assert_eq!(hours("(GMT-5:30)x"), Some(-330));
        assert_eq!(hours("(GMT)Greenwich Mean Time"), Some(0));
        assert_eq!(hours("(GMT+25:00)"), None);
        assert_eq!(hours("Asia/Ho_Chi_Minh"), None);
    }

    #[test]
    fn month_abbreviations_in_any_case_and_nothing_else() {
        let names = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        for (i, name) in names.iter().enumerate() {
            let want = u32::try_from(i + 1).ok();
            assert_eq!(month_from_abbrev(name.as_bytes()), want, "{name}");
            assert_eq!(month_from_abbrev(name.to_uppercase().as_bytes()), want);
            assert_eq!(month_from_abbrev(name.to_lowercase().as_bytes()), want);
        }
        // Bytes that become letters only with bit 5 set must not pass for them.
        for bad in [
            "Ja\u{e}", "J@N", "jan ", "ja", "", "Jun\0", "\u{a}AN", "MAY1",
        ] {
            assert_eq!(month_from_abbrev(bad.as_bytes()), None, "{bad:?}");
        }
    }

    fn micros(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_micros())
            .unwrap_or(i64::MIN)
    }

    #[test]
    fn year_rolls_back_for_december_records_received_in_january() {
        let received = micros("2026-01-01T00:00:05Z");
        assert_eq!(
            infer_year(12, 31, YearPolicy::FromReceiveTime, received, Zone::Utc),
            Some(2025)
        );
        assert_eq!(
            infer_year(1, 1, YearPolicy::FromReceiveTime, received, Zone::Utc),
            Some(2026)
        );
        let received = micros("2025-12-31T23:59:58Z");
        assert_eq!(
            infer_year(1, 1, YearPolicy::FromReceiveTime, received, Zone::Utc),
            Some(2026)
        );
        assert_eq!(
            infer_year(2, 29, YearPolicy::FromReceiveTime, received, Zone::Utc),
            Some(2024)
        );
        assert_eq!(
            infer_year(6, 1, YearPolicy::Fixed(2019), received, Zone::Utc),
            Some(2019)
        );
    }

    #[test]
    fn year_is_read_in_the_configured_zone() {
        // 2025-12-31T20:00Z is already 2026-01-01 03:00 in Hanoi.
        let received = micros("2025-12-31T20:00:00Z");
        let hanoi = Zone::parse("Asia/Ho_Chi_Minh").ok();
        assert_eq!(
            infer_year(
                1,
                1,
                YearPolicy::FromReceiveTime,
                received,
                hanoi.unwrap_or_default()
            ),
            Some(2026)
        );
    }

    #[test]
    fn iso8601_variants() {
        assert_eq!(
            parse_iso8601("2003-10-11T22:14:15.003Z", Zone::Utc).map(|r| r.0),
            Some(micros("2003-10-11T22:14:15.003Z"))
        );
        assert_eq!(
            parse_iso8601("2003-08-24T05:14:15.000003-07:00 x", Zone::Utc),
            Some((micros("2003-08-24T12:14:15.000003Z"), 32))
        );
        assert_eq!(
            parse_iso8601(
                "2003-08-24 05:14:15",
                Zone::parse("+07:00").unwrap_or_default()
            )
            .map(|r| r.0),
            Some(micros("2003-08-23T22:14:15Z"))
        );
        assert_eq!(parse_iso8601("2003-13-24T05:14:15Z", Zone::Utc), None);
        // The offset that ends the text (read by position) and one followed by more text agree.
        for offset in ["+07:00", "-05:30", "+00:00", "-00:00", "+23:59"] {
            let alone = format!("2026-11-02T07:00:00.5{offset}");
            let followed = format!("{alone} host");
            assert_eq!(
                parse_iso8601(&alone, Zone::Utc).map(|r| r.0),
                parse_iso8601(&followed, Zone::Utc).map(|r| r.0),
                "{offset}"
            );
            assert_eq!(
                parse_iso8601(&alone, Zone::Utc).map(|r| r.0),
                Some(micros(&alone)),
                "{offset}"
            );
        }
        for bad in ["+24:00", "+07:60", "+0a:00", "+07:0x"] {
            let text = format!("2026-11-02T07:00:00{bad}");
            assert_eq!(parse_iso8601(&text, Zone::Utc), None, "{bad}");
        }
    }

    #[test]
    fn civil_arithmetic_agrees_with_chrono() {
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (1969, 12, 31),
            (2026, 11, 28),
            (2100, 3, 1),
            (1600, 2, 29),
        ] {
            let chrono_days =
                NaiveDate::from_ymd_opt(y, m, d).map(|nd| (nd - NaiveDate::default()).num_days());
            assert_eq!(days_from_civil(y, m, d), chrono_days, "{y}-{m}-{d}");
            assert_eq!(days_from_civil(y, m, d).map(year_of_days), Some(y));
        }
        assert_eq!(days_from_civil(2026, 2, 29), None);
        assert_eq!(days_from_civil(2026, 13, 1), None);
    }

    #[test]
    fn zones() {
        assert!(Zone::parse("Asia/Ho_Chi_Minh").is_ok());
        assert_eq!(Zone::parse("+0700").ok(), Zone::parse("+07:00").ok());
        assert!(Zone::parse("Mars/Olympus").is_err());
    }
}
