//! Formatting helpers shared by views: dates, sizes, truncation.

use time::{OffsetDateTime, UtcOffset};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A list date: the time for today, day/month this year, else day/month/year.
pub fn short_date(timestamp: i64, now: i64, offset: UtcOffset) -> String {
    let (Ok(date), Ok(today)) = (
        OffsetDateTime::from_unix_timestamp(timestamp),
        OffsetDateTime::from_unix_timestamp(now),
    ) else {
        return "--".to_string();
    };
    let (date, today) = (date.to_offset(offset), today.to_offset(offset));
    if date.date() == today.date() {
        format!("{:02}:{:02}", date.hour(), date.minute())
    } else if date.year() == today.year() {
        format!("{:02}/{:02}", date.day(), u8::from(date.month()))
    } else {
        format!(
            "{:02}/{:02}/{:02}",
            date.day(),
            u8::from(date.month()),
            date.year().rem_euclid(100)
        )
    }
}

/// A full date for the reader: `28/11/2026 09:14`.
pub fn long_date(timestamp: i64, offset: UtcOffset) -> String {
    match OffsetDateTime::from_unix_timestamp(timestamp) {
        Ok(date) => {
            let date = date.to_offset(offset);
            format!(
                "{:02}/{:02}/{} {:02}:{:02}",
                date.day(),
                u8::from(date.month()),
                date.year(),
                date.hour(),
                date.minute()
            )
        }
        Err(_) => "--".to_string(),
    }
}

/// A size in the French style (`12 Ko`, `1,4 Mo`).
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} o"),
        b if b < 1024 * 1024 => format!("{} Ko", b / 1024),
        b => format!("{:.1} Mo", b as f64 / (1024.0 * 1024.0)).replace('.', ","),
    }
}

/// Cuts `text` to `width` columns, ending with `…` when cut, padded with spaces.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        let mut out = text.to_string();
        out.extend(std::iter::repeat_n(' ', width - text.width()));
        return out;
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    if width > 0 {
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_shorten_with_recency() {
        let now = 1_795_000_000; // 2026-11-18
        assert_eq!(short_date(now - 60, now, UtcOffset::UTC).len(), 5);
        assert!(short_date(now - 30 * 86_400, now, UtcOffset::UTC).contains('/'));
        assert_eq!(short_date(now - 400 * 86_400, now, UtcOffset::UTC).len(), 8);
    }

    #[test]
    fn fitting_respects_display_width() {
        assert_eq!(fit("Hélène", 8), "Hélène  ");
        assert_eq!(fit("Compte rendu", 6), "Compt…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(size(2048), "2 Ko");
        assert_eq!(size(1_500_000), "1,4 Mo");
    }
}
