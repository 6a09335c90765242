//! Fitting text into the map's SVG boxes, which do not wrap text by themselves.

/// Splits `text` into lines of at most `max` characters, at spaces where it can.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let needed = if line.is_empty() { word.chars().count() } else { line.chars().count() + 1 + word.chars().count() };
        if needed > max && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > max {
            let head: String = line.chars().take(max).collect();
            let tail: String = line.chars().skip(max).collect();
            lines.push(head);
            line = tail;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Like [`wrap`], but a too long "role · status" breaks after the "·", status indented.
pub fn wrap_pair(text: &str, max: usize) -> Vec<String> {
    match text.split_once(" · ") {
        Some((head, tail)) if text.chars().count() > max => {
            let mut lines = vec![format!("{head} ·")];
            lines.extend(wrap(tail, max - 2).into_iter().map(|l| format!("  {l}")));
            lines
        }
        _ => wrap(text, max),
    }
}

/// Shortens `text` to `max` characters with an ellipsis (the full text is in a tooltip).
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_never_exceeds_the_width() {
        assert_eq!(wrap("⚠ points at WDC, DR primary is DAL", 20), vec!["⚠ points at WDC, DR", "primary is DAL"]);
        for line in wrap("a-very-long-host-name-without-spaces.example.com and more", 10) {
            assert!(line.chars().count() <= 10, "{line}");
        }
    }

    #[test]
    fn a_long_role_and_status_breaks_after_the_separator() {
        assert_eq!(wrap_pair("DR Secondary · Synchronization in progress", 30), vec!["DR Secondary ·", "  Synchronization in progress"]);
        assert_eq!(wrap_pair("HA Primary · Normal", 30), vec!["HA Primary · Normal"]);
    }

    #[test]
    fn fit_shortens_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
