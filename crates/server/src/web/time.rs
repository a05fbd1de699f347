//! Dates for the pages, without a calendar crate: Unix milliseconds to and
//! from UTC civil dates (Howard Hinnant's `days_from_civil` algorithms).

use protocol::UnixMillis;

const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 → (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-24 14:05 UTC` (the page's script shows it in local time).
pub fn format_utc(at: UnixMillis) -> String {
    let (year, month, day) = civil_from_days(at.div_euclid(DAY_MS));
    let minutes = at.rem_euclid(DAY_MS) / 60_000;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

/// The ISO 8601 form for `<time datetime>`.
pub fn iso(at: UnixMillis) -> String {
    let (year, month, day) = civil_from_days(at.div_euclid(DAY_MS));
    let ms = at.rem_euclid(DAY_MS);
    let (h, m, s) = (ms / 3_600_000, (ms / 60_000) % 60, (ms / 1000) % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

/// `YYYY-MM-DD` (a date input's value) → the start of that day, UTC.
pub fn parse_date(text: &str) -> Option<UnixMillis> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1970..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Reject 2026-02-31 and the like: the date must come back unchanged.
    (civil_from_days(days) == (year, month, day)).then_some(days * DAY_MS)
}

/// The day after, for an inclusive "to" date.
pub fn next_day(start: UnixMillis) -> UnixMillis {
    start + DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_days() {
        for days in [-1, 0, 59, 60, 365, 11_016, 20_781, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn times_print_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(1_795_483_841_717), "2026-11-24 01:30 UTC");
        assert_eq!(iso(1_795_483_841_717), "2026-11-24T01:30:41Z");
    }

    #[test]
    fn date_inputs_parse_and_bad_ones_do_not() {
        assert_eq!(parse_date("2026-11-24"), Some(1_795_478_400_000));
        assert_eq!(parse_date("2026-02-31"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(next_day(0), 86_400_000);
    }
}
