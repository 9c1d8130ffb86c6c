//! How numbers and durations read in pages and emails, so that a limit or a
//! lifetime is written from its constant and never copied as text.

/// `5000` as `5,000`.
pub fn human_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// "a minute", "42 minutes", "an hour", "3 hours", "7 days": what a wait or a
/// lifetime of `secs` seconds reads as, rounded up.
pub fn human_duration(secs: u64) -> String {
    const DAY: u64 = 24 * 3600;
    match secs {
        0..=89 => "a minute".into(),
        90..=3599 => format!("{} minutes", secs.div_ceil(60)),
        _ if secs >= 2 * DAY => format!("{} days", secs.div_ceil(DAY)),
        _ => {
            let hours = secs.div_ceil(3600);
            if hours == 1 {
                "an hour".into()
            } else {
                format!("{hours} hours")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands() {
        assert_eq!(human_count(0), "0");
        assert_eq!(human_count(254), "254");
        assert_eq!(human_count(5_000), "5,000");
        assert_eq!(human_count(1_234_567), "1,234,567");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(30), "a minute");
        assert_eq!(human_duration(600), "10 minutes");
        assert_eq!(human_duration(3600), "an hour");
        assert_eq!(human_duration(900), "15 minutes");
        assert_eq!(human_duration(5 * 3600), "5 hours");
        assert_eq!(human_duration(7 * 24 * 3600), "7 days");
    }
}
