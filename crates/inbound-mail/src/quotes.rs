//! Quote stripping: the new text of a reply, without the history mail clients
//! append. Works on plain text lines (HTML mail is converted first, blockquotes
//! becoming `> ` lines), in this order, each step on what the previous one kept:
//!
//! 1. Our footer marker ([`FOOTER_MARKER`]): unquoted, everything from it is cut;
//!    quoted (a bottom-posted reply to our email), the quoted run holding it is cut.
//! 2. A signature: everything from an unquoted line `-- ` (or `--`).
//! 3. Outlook: everything from `-----Original Message-----` (and its translations)
//!    or from a `From:` line followed by a `Sent:`/`Date:` line (a header block),
//!    with the rule line drawn just above it.
//! 4. An attribution, `On … wrote:` (wrapped over up to three lines; a date in
//!    it; a few translations): everything from it, unless the reply is
//!    interleaved (quoted lines after it, then new text), which is kept.
//! 5. Quoted (`>`) and blank lines at the end, and an attribution left last.
//!
//! The result is trimmed. Every rule looks at trimmed lines, so applying the
//! stripper to its own output changes nothing (the fuzz target checks this).

/// The line the portal's outgoing emails carry between the reply area and the
/// quoted ticket text; a reply loses everything from it on.
pub const FOOTER_MARKER: &str = "##- Please type your reply above this line -##";

/// Longest attribution considered (a wrapped Gmail line with long names fits).
const MAX_ATTRIBUTION_BYTES: usize = 600;

/// Outlook's separator line, `-----Original Message-----`, by language.
const ORIGINAL_MESSAGE: [&str; 7] = [
    "original message",
    "ursprüngliche nachricht",
    "message d'origine",
    "mensaje original",
    "oorspronkelijk bericht",
    "messaggio originale",
    "mensagem original",
];
/// First and second labels of an Outlook header block (From:, then Sent: or Date:).
const FROM_LABELS: [&str; 6] = ["From:", "Von:", "De :", "De:", "Van:", "Da:"];
const SENT_LABELS: [&str; 11] = [
    "Sent:",
    "Date:",
    "Gesendet:",
    "Datum:",
    "Envoyé :",
    "Envoyé:",
    "Enviado:",
    "Fecha:",
    "Verzonden:",
    "Inviato:",
    "Data:",
];
/// Attribution lines: how they start and the verb in them, by language.
const ATTRIBUTIONS: [(&str, &str); 7] = [
    ("On ", "wrote"),
    ("Am ", "schrieb"),
    ("Le ", "a écrit"),
    ("El ", "escribió"),
    ("Op ", "schreef"),
    ("Il ", "ha scritto"),
    ("Em ", "escreveu"),
];

/// The new text of `text` (see the module documentation for the rules). When no
/// quote is recognised, the whole text, trimmed. May be empty.
pub fn strip_quotes(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines = without_marked_quotes(text.split('\n').collect());
    let mut end = lines.len();
    end = lines[..end].iter().position(|l| !is_quoted(l) && is_signature(l)).unwrap_or(end);
    end = outlook_block(&lines[..end]).unwrap_or(end);
    end = first_attribution_cut(&lines[..end]).unwrap_or(end);
    end = without_trailing_quotes(&lines[..end]);
    lines[..end].join("\n").trim().to_owned()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// RFC 3676's `-- ` separator; clients that trim trailing spaces send `--`.
fn is_signature(line: &str) -> bool {
    line.trim() == "--"
}

fn is_marker(line: &str) -> bool {
    line.contains(FOOTER_MARKER.trim_matches(|c| c == '#' || c == '-' || c == ' '))
}

/// Step 1: an unquoted marker ends the text; a quoted one takes its quoted run along.
fn without_marked_quotes(lines: Vec<&str>) -> Vec<&str> {
    let mut kept = Vec::with_capacity(lines.len());
    let mut rest = lines.into_iter().peekable();
    while let Some(line) = rest.next() {
        if !is_marker(line) {
            kept.push(line);
        } else if !is_quoted(line) {
            break;
        } else {
            while rest.next_if(|l| is_quoted(l)).is_some() {}
        }
    }
    kept
}

/// Step 3: where an Outlook quote begins, if it does.
fn outlook_block(lines: &[&str]) -> Option<usize> {
    (0..lines.len()).find_map(|i| {
        let line = lines[i].trim();
        if is_quoted(line) {
            return None;
        }
        if is_original_message_rule(line) {
            return Some(i);
        }
        let header_block = FROM_LABELS.iter().any(|l| line.starts_with(l))
            && lines[i + 1..]
                .iter()
                .take(3)
                .take_while(|l| !is_blank(l))
                .any(|l| SENT_LABELS.iter().any(|s| l.trim().starts_with(s)));
        if !header_block {
            return None;
        }
        // Outlook draws a rule (underscores, or a line html2text renders) above the block.
        let above = lines[..i].iter().rposition(|l| !is_blank(l));
        Some(above.filter(|&a| is_rule(lines[a])).unwrap_or(i))
    })
}

fn is_original_message_rule(line: &str) -> bool {
    let inner = line.trim_matches(|c: char| c == '-' || c.is_whitespace());
    line.starts_with("--") && line.ends_with("--") && ORIGINAL_MESSAGE.iter().any(|o| inner.to_lowercase() == *o)
}

fn is_rule(line: &str) -> bool {
    let line = line.trim();
    line.chars().count() >= 8 && line.chars().all(|c| matches!(c, '_' | '-' | '─' | '━' | '=' | '*'))
}

/// Whether `lines` (one to three, none blank or quoted) form an attribution line.
fn is_attribution(lines: &[&str]) -> bool {
    if lines.iter().any(|l| is_blank(l) || is_quoted(l))
        || lines.iter().map(|l| l.len()).sum::<usize>() > MAX_ATTRIBUTION_BYTES
    {
        return false;
    }
    let joined = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    let Some(body) = joined.strip_suffix(':').map(str::trim_end) else { return false };
    // A date or time is always in a real attribution; "On Monday I wrote:" is text.
    if !joined.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    // "On … wrote:" ends with the verb; other languages may put the name after it,
    // so there the verb anywhere counts when an address is named too.
    ATTRIBUTIONS.iter().any(|(start, verb)| {
        joined.starts_with(start)
            && (body.ends_with(verb) || (*start != "On " && joined.contains(verb) && joined.contains('@')))
    })
}

/// The last line of an attribution that starts at `i`, if one does.
fn attribution_from(lines: &[&str], i: usize) -> Option<usize> {
    (i..lines.len().min(i + 3)).find(|&j| is_attribution(&lines[i..=j]))
}

/// Step 4: the first attribution that is not part of an interleaved reply.
fn first_attribution_cut(lines: &[&str]) -> Option<usize> {
    // text_from[m]: some unquoted, non-blank line at m or later.
    let mut text_from = vec![false; lines.len() + 1];
    for m in (0..lines.len()).rev() {
        text_from[m] = text_from[m + 1] || !(is_blank(lines[m]) || is_quoted(lines[m]));
    }
    (0..lines.len()).find(|&i| {
        let Some(last) = attribution_from(lines, i) else { return false };
        let next = (last + 1..lines.len()).find(|&k| !is_blank(lines[k]));
        let interleaved = next.is_some_and(|k| is_quoted(lines[k]) && text_from[k + 1]);
        !interleaved
    })
}

/// Step 5: the end once trailing quoted and blank lines, and attributions left
/// last, are gone.
fn without_trailing_quotes(lines: &[&str]) -> usize {
    let mut end = lines.len();
    loop {
        while end > 0 && (is_blank(lines[end - 1]) || is_quoted(lines[end - 1])) {
            end -= 1;
        }
        match (end.saturating_sub(3)..end).find(|&s| is_attribution(&lines[s..end])) {
            Some(start) => end = start,
            None => return end,
        }
    }
}

#[cfg(test)]
#[path = "quotes_tests.rs"]
mod tests;
