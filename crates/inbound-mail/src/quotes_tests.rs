//! One test per stripping rule, plus the reply styles of the common clients.

use super::*;

/// Strips and checks that stripping again changes nothing.
fn strip(text: &str) -> String {
    let once = strip_quotes(text);
    assert_eq!(strip_quotes(&once), once, "not idempotent on {text:?}");
    once
}

#[test]
fn text_without_quotes_is_kept_whole_and_trimmed() {
    assert_eq!(
        strip("\n\n  Hello,\n\n  the printer is broken.\n\tThanks  \n\n"),
        "Hello,\n\n  the printer is broken.\n\tThanks"
    );
    assert_eq!(strip("a > b\n2 > 1"), "a > b\n2 > 1");
    assert_eq!(strip(""), "");
    assert_eq!(strip("\r\n \r\n"), "");
}

#[test]
fn line_endings_are_normalised() {
    assert_eq!(strip("one\r\ntwo\rthree"), "one\ntwo\nthree");
}

#[test]
fn our_footer_marker_cuts_everything_after_it() {
    let reply = format!("Yes, that fixed it.\n\n{FOOTER_MARKER}\nTicket TKT-0042\nhttps://portal.example/t/1");
    assert_eq!(strip(&reply), "Yes, that fixed it.");
    let quoted = format!("Thanks!\n\n> Agent answer\n> {FOOTER_MARKER}\n> Ticket TKT-0042\n");
    assert_eq!(strip(&quoted), "Thanks!");
    // Rendered from HTML the marker may sit inside other text; it still counts.
    assert_eq!(strip("Fine.\n## Please type your reply above this line ## (TKT-0042)\nold"), "Fine.");
}

#[test]
fn a_bottom_posted_reply_below_our_quoted_footer_is_kept() {
    let reply = format!(
        "On Mon, 5 Aug 2024 at 10:00, Demo <noreply@portal.example> wrote:\n> Please try again.\n> {FOOTER_MARKER}\n> Ticket TKT-0042\n\nIt works now."
    );
    assert_eq!(
        strip(&reply),
        "On Mon, 5 Aug 2024 at 10:00, Demo <noreply@portal.example> wrote:\n> Please try again.\n\nIt works now."
    );
}

#[test]
fn a_signature_after_dash_dash_space_is_cut() {
    assert_eq!(strip("Thanks\n-- \nAnn Lee\nACME Corp"), "Thanks");
    assert_eq!(strip("Thanks\n--\nAnn"), "Thanks");
    // A quoted signature is part of the quote; dashes inside text are text.
    assert_eq!(strip("Reply\n> text\n> -- \n> sig\nmore"), "Reply\n> text\n> -- \n> sig\nmore");
    assert_eq!(strip("a -- b\n---\nc"), "a -- b\n---\nc");
}

#[test]
fn gmail_plain_text_replies_lose_the_attribution_and_quote() {
    let reply = "Thanks, works now!\n\nOn Mon, 5 Aug 2024 at 10:00, Demo Workspace <\nnoreply@portal.example> wrote:\n\n> Please restart the printer.\n>\n> Demo\n";
    assert_eq!(strip(reply), "Thanks, works now!");
}

#[test]
fn apple_mail_and_thunderbird_attributions_are_recognised() {
    assert_eq!(strip("Done.\n\nOn 5 Aug 2024, at 10:00, Demo <noreply@portal.example> wrote:\n\n> Old\n"), "Done.");
    assert_eq!(strip("Done.\n\nOn 05/08/2024 10:00, Demo wrote:\n> Old\n"), "Done.");
}

#[test]
fn translated_attributions_are_recognised() {
    for attribution in [
        "Am Mo., 5. Aug. 2024 um 10:00 Uhr schrieb Demo <noreply@portal.example>:",
        "Am 05.08.2024 um 10:00 schrieb:",
        "Le lun. 5 août 2024 à 10:00, Demo <noreply@portal.example> a écrit :",
        "El lun, 5 ago 2024 a las 10:00, Demo (<noreply@portal.example>) escribió:",
        "Op ma 5 aug. 2024 om 10:00 schreef Demo <noreply@portal.example>:",
        "Il giorno lun 5 ago 2024 alle ore 10:00 Demo <noreply@portal.example> ha scritto:",
        "Em seg., 5 de ago. de 2024 às 10:00, Demo <noreply@portal.example> escreveu:",
    ] {
        assert_eq!(strip(&format!("Neu.\n\n{attribution}\n> alt\n")), "Neu.", "{attribution}");
    }
}

#[test]
fn attribution_like_text_is_text() {
    // No date, or no colon, or not at the start of the line: not an attribution.
    for text in [
        "On Monday my colleague wrote:\nthe printer is broken",
        "On 5 Aug I wrote to you\nthe printer is broken",
        "Back on 5 Aug you wrote:\nthe printer is broken",
        "Am 5. August schrieb ich Ihnen:\nder Drucker ist kaputt",
    ] {
        assert_eq!(strip(text), text);
    }
}

#[test]
fn an_attribution_followed_by_unquoted_history_cuts_it() {
    // Yahoo and some webmails quote without `>`.
    assert_eq!(
        strip("Sure.\n\nOn Monday, August 5, 2024, 10:00:00 AM GMT+2, Demo wrote:\n\nPlease try again."),
        "Sure."
    );
}

#[test]
fn interleaved_replies_keep_the_new_text_between_quotes() {
    let reply = "On Mon, 5 Aug 2024 at 10:00, Demo <d@portal.example> wrote:\n> Which model?\nA LaserJet 4.\n> Since when?\nSince Monday.\n>\n> Demo\n";
    assert_eq!(
        strip(reply),
        "On Mon, 5 Aug 2024 at 10:00, Demo <d@portal.example> wrote:\n> Which model?\nA LaserJet 4.\n> Since when?\nSince Monday."
    );
    assert_eq!(strip("> Which model?\nA LaserJet 4.\n> thanks"), "> Which model?\nA LaserJet 4.");
}

#[test]
fn trailing_quotes_are_cut_without_an_attribution() {
    assert_eq!(strip("Yes.\n\n> Did it work?\n> \n>> earlier\n\n"), "Yes.");
    assert_eq!(strip("> only a quote"), "");
}

#[test]
fn outlook_original_message_blocks_are_cut() {
    let reply = "Thanks!\n\n-----Original Message-----\nFrom: Demo <noreply@portal.example>\nSent: Monday, August 5, 2024 10:00 AM\nSubject: Re: [TKT-0042]\n\nOld";
    assert_eq!(strip(reply), "Thanks!");
    assert_eq!(strip("Danke\n-----Ursprüngliche Nachricht-----\nalt"), "Danke");
}

#[test]
fn outlook_header_blocks_are_cut_with_their_rule() {
    let reply = "Thanks!\n\n________________________________\nFrom: Demo <noreply@portal.example>\nSent: Monday, August 5, 2024 10:00\nTo: Ann <ann@example.com>\nSubject: Re: Printer [TKT-0042]\n\nPlease try again.";
    assert_eq!(strip(reply), "Thanks!");
    let html_rendered = "Thanks!\n\n────────────────────\n\nFrom: Demo\nDate: Monday, 5 August 2024\nSubject: x\n\nold";
    assert_eq!(strip(html_rendered), "Thanks!");
    assert_eq!(strip("Danke\n\nVon: Demo\nGesendet: Montag, 5. August 2024 10:00\nAn: Ann\n\nalt"), "Danke");
    // A lone From: line is text.
    assert_eq!(strip("From: the printer room\nit smells of smoke"), "From: the printer room\nit smells of smoke");
}

#[test]
fn the_first_rule_that_matches_wins() {
    let reply = "New\n-- \nSig\n\nOn 5 Aug 2024, Demo wrote:\n> Old";
    assert_eq!(strip(reply), "New");
    let reply = "New\n\nOn 5 Aug 2024, Demo wrote:\n> Old\n> -----Original Message-----\n> older";
    assert_eq!(strip(reply), "New");
}

#[test]
fn odd_inputs_stay_idempotent() {
    for text in [
        "On 1 wrote:\n> x\nOn 2 wrote:\n> y",
        "On 1 wrote:\n> x\nOn 2 wrote:\nfoo",
        "x\nOn 1\nOn 2 wrote:\n> q\ny",
        "x\nOn 1\nOn 2 wrote:\n> q",
        "On 1 wrote:\n> q\nOn 5\nOn 6 wrote:",
        "  -- \nfoo",
        "--  ",
        "a\n________\n\nFrom: x\nSent: y",
        "From: x\nSent: y",
        "\u{2028}>\n-- ",
        "> a\n\n\nOn 3 wrote:",
    ] {
        strip(text);
    }
}
