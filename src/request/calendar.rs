//! Calendar arithmetic on Unix seconds (UTC): the store keeps times as seconds, people read
//! dates. Pure: the clock is read at the binary's edge and passed in.

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The civil date (year, month 1–12, day 1–31) of a Unix time, in UTC.
pub fn civil_date(unix_seconds: i64) -> (i32, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm: exact for the proleptic Gregorian calendar.
    let days = unix_seconds.div_euclid(DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// The calendar year (UTC) of a Unix time.
pub fn year_of(unix_seconds: i64) -> i32 {
    civil_date(unix_seconds).0
}

/// `YYYY-MM-DD` (UTC).
pub fn iso_date(unix_seconds: i64) -> String {
    let (y, m, d) = civil_date(unix_seconds);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD hh:mm:ss UTC`.
pub fn iso_time(unix_seconds: i64) -> String {
    let seconds = unix_seconds.rem_euclid(DAY);
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        iso_date(unix_seconds),
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// The same day of the month `months` later, clamped to the month's last day (31 January plus
/// one month is 28 or 29 February), at the same time of day.
pub fn add_months(unix_seconds: i64, months: u32) -> i64 {
    let (y, m, d) = civil_date(unix_seconds);
    let total = i64::from(y) * 12 + i64::from(m - 1) + i64::from(months);
    let (ny, nm) = (
        total.div_euclid(12) as i32,
        (total.rem_euclid(12) + 1) as u32,
    );
    let nd = d.min(days_in_month(ny, nm));
    let time_of_day = unix_seconds.rem_euclid(DAY);
    days_from_civil(ny, nm, nd) * DAY + time_of_day
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (the inverse of [`civil_date`]).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(iso_date(951_782_400), "2000-02-29");
        assert_eq!(iso_time(951_782_400 + 3661), "2000-02-29 01:01:01 UTC");
        assert_eq!(iso_date(1_798_675_200), "2026-12-31");
        assert_eq!(iso_date(-DAY), "1969-12-31");
        assert_eq!(year_of(1_798_761_599), 2026);
        assert_eq!(year_of(1_798_761_600), 2027);
    }

    #[test]
    fn days_round_trip() {
        for days in (-1_000_000..1_000_000).step_by(997) {
            let (y, m, d) = civil_date(days * DAY);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn months_clamp_to_the_last_day() {
        let jan31 = days_from_civil(2027, 1, 31) * DAY + 3600;
        assert_eq!(iso_date(add_months(jan31, 1)), "2027-02-28");
        assert_eq!(add_months(jan31, 1).rem_euclid(DAY), 3600);
        assert_eq!(iso_date(add_months(jan31, 13)), "2028-02-29");
        assert_eq!(
            iso_date(add_months(days_from_civil(2026, 11, 15) * DAY, 3)),
            "2027-02-15"
        );
    }
}
