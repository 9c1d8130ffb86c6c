use super::*;

/// An SVG body inside a root that declares SVG and XLink.
fn svg(body: &str) -> String {
    format!(r#"<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}">{body}</svg>"#)
}

fn refused(text: &str) -> String {
    match clean_svg(text) {
        Ok(cleaned) => panic!("accepted {text}\nas {cleaned}"),
        Err(problem) => problem,
    }
}

fn assert_refused(cases: &[(&str, &str)]) {
    for (text, expected) in cases {
        let problem = refused(text);
        assert!(problem.contains(expected), "{text}: {problem:?} does not say {expected:?}");
    }
}

#[test]
fn canonical_files_come_back_byte_for_byte() {
    for text in [
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="#0f5132"/></svg>"##,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><title>Demo</title><rect width="32" height="32" rx="6" fill="#1d4ed8"/><path d="M9 16l5 5 9-10" stroke="#fff" stroke-width="3" fill="none"/></svg>"##,
    ] {
        assert_eq!(clean_svg(text).unwrap(), text);
    }
}

#[test]
fn editors_extras_are_left_out_and_the_drawing_kept() {
    let inkscape = r##"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape -->
<svg width="32" height="32" version="1.1" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
   xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" xmlns="http://www.w3.org/2000/svg"
   xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:cc="http://creativecommons.org/ns#"
   inkscape:version="1.3" sodipodi:docname="logo.svg">
<sodipodi:namedview id="namedview1" pagecolor="#ffffff" inkscape:zoom="8"/>
<metadata><rdf:RDF><cc:Work rdf:about=""><cc:license rdf:resource="http://creativecommons.org/licenses/by/4.0/"/></cc:Work></rdf:RDF></metadata>
<g inkscape:label="Layer 1" inkscape:groupmode="layer" id="layer1">
<path style='fill:#1d4ed8;stroke:none' d="M 0,0 H 32 V 32 Z" sodipodi:nodetypes="cccc" data-x="1"/>
</g>
</svg>"##;
    let cleaned = clean_svg(inkscape).unwrap();
    assert_eq!(
        cleaned,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" version="1.1">


<g id="layer1">
<path style="fill:#1d4ed8;stroke:none" d="M 0,0 H 32 V 32 Z"/>
</g>
</svg>"##
    );
}

#[test]
fn values_are_decoded_once_and_escaped_again() {
    let cleaned = clean_svg(&svg(concat!(
        r#"<text x='1' fill="&#x72;ed">Fish &amp; Chips &lt;3 &#169; <![CDATA[a < b & c]]></text>"#,
        r##"<use href="#a&quot; onload=&quot;alert(1)"/>"##,
        "<g id=\"a\tb\nc\" class=\"x&#10;y&#9;z\"/>",
    )))
    .unwrap();
    assert!(cleaned.starts_with(&format!(r#"<svg xmlns="{SVG_NS}">"#)), "{cleaned}");
    assert!(
        cleaned.contains(r#"<text x="1" fill="red">Fish &amp; Chips &lt;3 © a &lt; b &amp; c</text>"#),
        "{cleaned}"
    );
    // A quote in a value stays inside the value: no new attribute appears.
    assert!(cleaned.contains(r##"<use href="#a&quot; onload=&quot;alert(1)"/>"##), "{cleaned}");
    // Literal tabs and line breaks in attributes are spaces to XML; references to them stay.
    assert!(cleaned.contains(r#"<g id="a b c" class="x&#10;y&#9;z"/>"#), "{cleaned}");
}

#[test]
fn xlink_is_declared_only_when_kept_and_prefixes_are_resolved() {
    let plain = clean_svg(&svg("<rect/>")).unwrap();
    assert_eq!(plain, format!(r#"<svg xmlns="{SVG_NS}"><rect/></svg>"#));
    // Any prefix bound to the XLink or SVG namespace means the same thing.
    let renamed = format!(
        r##"<s:svg xmlns:s="{SVG_NS}" xmlns:l="{XLINK_NS}"><s:defs><s:circle id="c" r="1"/></s:defs><s:use l:href="#c"/></s:svg>"##
    );
    assert_eq!(
        clean_svg(&renamed).unwrap(),
        format!(
            r##"<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}"><defs><circle id="c" r="1"/></defs><use xlink:href="#c"/></svg>"##
        )
    );
    // Elements of other namespaces are not drawn by browsers; they are left out whole.
    let foreign = svg(r#"<x:rect xmlns:x="urn:x"><rect/></x:rect><g xmlns="urn:y"><rect/></g><circle r="1"/>"#);
    assert_eq!(clean_svg(&foreign).unwrap(), format!(r#"<svg xmlns="{SVG_NS}"><circle r="1"/></svg>"#));
}

#[test]
fn cleaning_its_own_output_changes_nothing() {
    for text in [
        svg(r##"<style><![CDATA[.a > b { fill: url(#g) }]]></style><rect class="a" style="fill:url('#g')"/>"##),
        svg("<text>a\r\nb&#13;c &gt; ]]&gt;</text><g id='&#9;\"x\"'/>  <!-- c --> <unknown>t</unknown>"),
        svg(r##"<a href="#x"><use xlink:href="#x"/></a><animate attributeName="fill" values="red;blue" dur="1s"/>"##),
    ] {
        let once = clean_svg(&text).unwrap();
        assert_eq!(clean_svg(&once).unwrap(), once, "from {text}");
    }
}

#[test]
fn character_references_cannot_hide_a_script_url() {
    let a = |href: &str| svg(&format!(r#"<a href="{href}"><rect/></a>"#));
    assert_refused(&[
        (&a("javascript:alert(1)"), "the attribute href contains a script URL"),
        (&a("&#106;avascript:alert(1)"), "script URL"),
        (&a("&#0000106;avascript:alert(1)"), "script URL"),
        (&a("&#x6A;avascript:alert(1)"), "script URL"),
        (&a("&#x6a;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3a;alert(1)"), "script URL"),
        (&a("javascript&#58;alert(1)"), "script URL"),
        (&a("JaVaScRiPt:alert(1)"), "script URL"),
        (&a("java&#x0A;script:alert(1)"), "script URL"),
        (&a("java&#9;script:alert(1)"), "script URL"),
        (&a("java\nscript:alert(1)"), "script URL"),
        (&a("java\r\nscript:alert(1)"), "script URL"),
        (&a(" \t javascript:alert(1)"), "script URL"),
        (&a("vbscript:msgbox(1)"), "script URL"),
        (&svg(r#"<a xlink:href="&#106;avascript:alert(1)"><rect/></a>"#), "xlink:href contains a script URL"),
        (&svg(r#"<rect class="javascript:x"/>"#), "the attribute class contains a script URL"),
        (&svg(r#"<x:a xmlns:x="urn:x" x:href="javascript:x"/>"#), "x:href contains a script URL"),
        (&svg("<title>see javascript:alert(1)</title>"), "its text contains a script URL"),
        (&svg("<desc>java&#x73;cript:</desc>"), "script URL"),
        (&svg("<text>java<!-- -->script:x</text>"), "script URL"),
    ]);
}

#[test]
fn references_xml_does_not_define_are_refused() {
    let a = |href: &str| svg(&format!(r#"<a href="{href}"><rect/></a>"#));
    assert_refused(&[
        (&a("&#X6A;avascript:x"), "&#X6A; is not a character XML allows"),
        (&a("javascript&colon;x"), "the entity &colon; which XML does not know"),
        (&svg("<text>&nbsp;</text>"), "&#169;"),
        (&a("&#x;x"), "not a character"),
        (&a("&#x+6a;x"), "not a character"),
        (&a("&#0;x"), "not a character"),
        (&a("&#xD800;x"), "not a character"),
        (&a("&#x110000;x"), "not a character"),
        (&a("&#99999999999;x"), "not a character"),
        (&a("&#x6A avascript:x"), "starts no reference"),
        (&svg("<text>a & b</text>"), "write &amp;"),
    ]);
}

#[test]
fn references_must_stay_inside_the_file() {
    assert_refused(&[
        (
            &svg(r#"<image href="https://evil.example/x.png"/>"#),
            r#"outside the file (href="https://evil.example/x.png")"#,
        ),
        (&svg(r#"<use xlink:href="other.svg#a"/>"#), "outside the file (xlink:href="),
        (&svg(r#"<use href="//evil.example/a.svg#a"/>"#), "outside"),
        (&svg(r#"<use href="data:image/svg+xml;base64,PHN2Zz4="/>"#), "embedded files are not accepted"),
        (&svg(r#"<image href="data:image/png;base64,iVBORw0KGgo="/>"#), "embedded files"),
        (&svg(r#"<use href="&#xA0;#a"/>"#), "outside"),
        (&svg(r#"<feImage href="https://evil.example/x"/>"#), "outside"),
        (&svg(r#"<x:a xmlns:x="urn:x" x:href="https://evil.example"/>"#), "outside"),
        (&svg(r##"<svg xml:base="https://evil.example/"><use href="#a"/></svg>"##), "xml:base"),
        (&svg(r#"<g xml:base="javascript:alert(1)//"/>"#), "xml:base"),
    ]);
    // White space before the fragment is skipped by URL parsers.
    assert!(clean_svg(&svg(r##"<use href=" &#10;#a"/>"##)).is_ok());
}

#[test]
fn css_escapes_and_comments_cannot_hide_a_url_or_an_import() {
    let styled = |style: &str| svg(&format!(r#"<rect style="{style}"/>"#));
    let sheet = |css: &str| svg(&format!("<style>{css}</style>"));
    assert_refused(&[
        (&styled("fill:url(https://x.io/a)"), "outside the file (url(https://x.io/a)"),
        (&styled(r"fill:\75 rl(https://x.io/a)"), "outside"),
        (&styled(r"fill:\000075rl(https://x.io/a)"), "outside"),
        (&styled(r"fill:u\rl(https://x.io/a)"), "outside"),
        (&styled(r"fill:U\52L(https://x.io/a)"), "outside"),
        (&styled("fill:url/**/(https://x.io/a)"), "outside"),
        (&styled("fill:url(&#x68;ttps://x.io/a)"), "outside"),
        (&styled("fill:url(&quot;https://x.io/a&quot;)"), "outside"),
        (&styled("fill:url(&#xA0;#g)"), "outside"),
        (&styled(r"background:url(\6a avascript:alert(1))"), "script URL"),
        (&styled("background:image-set('https://x.io/a.png' 1x)"), "image-set()"),
        (&styled(r"background:\69mage-set('https://x.io/a.png' 1x)"), "image-set()"),
        (&styled("behavior:expression(alert(1))"), "expression()"),
        (&svg(r#"<rect fill="url(https://x.io/a)"/>"#), "outside"),
        (&svg(r#"<rect filter="url(//x.io/f.svg#f)"/>"#), "outside"),
        (&sheet("@import url(x.css);"), "@import"),
        (&sheet("@import 'x.css';"), "@import"),
        (&sheet(r"@\69mport 'x.css';"), "@import"),
        (&sheet("@im/**/port 'x.css';"), "@import"),
        (&sheet("<![CDATA[@import 'x.css';]]>"), "@import"),
        (&sheet("<![CDATA[a{background:url(//x.io)}]]>"), "outside"),
        (&sheet("@im<![CDATA[port 'x.css';]]>"), "@import"),
        (&sheet("a{fill:ur<!-- split -->l(https://x.io)}"), "outside"),
        (&sheet("@im<g/>port 'x.css';"), "@import"),
        (&sheet("a{fill:url(&#x68;ttps://x.io)}"), "outside"),
        (&sheet("@font-face{font-family:f;src:url(https://x.io/f.woff)}"), "outside"),
    ]);
    for fine in [
        styled("fill:url(#g);stroke:rgb(1,2,3)"),
        styled(r"fill:url(\23 g)"),
        sheet("@media (prefers-color-scheme: dark) { .a { fill: url('#g') } } .b > .c { transform: rotate(3deg) }"),
        svg(r#"<rect transform="translate(1 2) rotate(45) scale(2) matrix(1 0 0 1 0 0) skewX(3)"/>"#),
    ] {
        assert!(clean_svg(&fine).is_ok(), "{fine}: {:?}", clean_svg(&fine));
    }
}

#[test]
fn code_elements_and_handlers_are_refused_anywhere() {
    assert_refused(&[
        (&svg("<script>alert(1)</script>"), "it contains a <script> element"),
        (&svg("<SCRIPT>alert(1)</SCRIPT>"), "<SCRIPT>"),
        (&svg(r#"<s:script xmlns:s="http://www.w3.org/2000/svg">alert(1)</s:script>"#), "<script>"),
        (&svg(r#"<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>"#), "<script>"),
        (&svg("<foreignObject><div/></foreignObject>"), "<foreignObject>"),
        (&svg("<switch><foreignObject/></switch>"), "<foreignObject>"),
        (&svg(r#"<metadata><x:iframe xmlns:x="urn:x"/></metadata>"#), "<iframe>"),
        (&svg("<handler/>"), "<handler>"),
        (&svg("<svg><svg><script/></svg></svg>"), "<script>"),
        (&format!(r#"<svg xmlns="{SVG_NS}" onload="alert(1)"/>"#), "event handler attribute (onload)"),
        (&svg(r#"<rect ONCLICK="x()"/>"#), "(ONCLICK)"),
        (&svg(r#"<svg onload="alert(1)"/>"#), "(onload)"),
        (&svg(r#"<rect x:onclick="x()" xmlns:x="urn:x"/>"#), "(x:onclick)"),
        (&svg(r#"<unknown onbegin="x()"/>"#), "(onbegin)"),
        (&svg(r#"<rect on&#108;oad="x()"/>"#), "not well-formed"),
        (&svg(r#"<rect &#111;nload="x()"/>"#), "not well-formed"),
    ]);
    // Look-alikes that browsers do not treat as scripts are left out, not run.
    let lookalike = clean_svg(&svg("<ſcript>alert(1)</ſcript><scripts/><rect/>")).unwrap();
    assert_eq!(lookalike, format!(r#"<svg xmlns="{SVG_NS}"><rect/></svg>"#));
}

#[test]
fn animations_cannot_change_references_or_handlers() {
    assert_refused(&[
        (&svg(r#"<a><animate attributeName="href" values="javascript:alert(1)"/></a>"#), "animates the attribute href"),
        (&svg(r##"<a><set attributeName="href" to="#b"/></a>"##), "animates the attribute href"),
        (&svg(r##"<a><set attributeName="xlink:href" to="#b"/></a>"##), "animates the attribute xlink:href"),
        (&svg(r#"<a><set attributeName="onclick" to="alert(1)"/></a>"#), "animates the attribute onclick"),
        (&svg(r#"<a><set attributeName=" HREF " to="x"/></a>"#), "animates the attribute HREF"),
        (&svg(r#"<a><set attributeName="style" to="x"/></a>"#), "animates the attribute style"),
        (&svg(r#"<a><set attributeName="target" to="_top"/></a>"#), "animates the attribute target"),
        (&svg(r#"<set attributeName="fill" to="url(https://x.io/p)"/>"#), "outside"),
        (&svg(r#"<set to="javascript:alert(1)" attributeName="fill"/>"#), "script URL"),
        (&svg(r#"<animate attributeName="fill" values="red;&#106;avascript:x"/>"#), "script URL"),
    ]);
    let spin = svg(
        r#"<path d="M0 0h1"><animateTransform attributeName="transform" type="rotate" from="0" to="360" dur="2s" repeatCount="indefinite"/></path>"#,
    );
    assert!(clean_svg(&spin).unwrap().contains(r#"<animateTransform attributeName="transform" type="rotate""#));
}

#[test]
fn documents_that_change_how_the_file_is_read_are_refused() {
    assert_refused(&[
        (
            r#"<?xml-stylesheet href="x.css"?><svg xmlns="http://www.w3.org/2000/svg"/>"#,
            "processing instruction (<?xml-stylesheet ...?>)",
        ),
        (&svg("<?php echo 1; ?>"), "processing instruction (<?php ...?>)"),
        (r#"<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>"#, "DOCTYPE"),
        (r#"<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]><svg>&b;</svg>"#, "DOCTYPE"),
        (
            r#"<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg/>"#,
            "delete the <!DOCTYPE ...> part",
        ),
    ]);
}

#[test]
fn files_browsers_would_not_parse_are_refused() {
    assert_refused(&[
        (&svg("<rect>"), "</svg> closes <rect>"),
        (&format!(r#"<svg xmlns="{SVG_NS}"><g>"#), "<g> is never closed"),
        (&svg("<g></rect>"), "</rect> closes <g>"),
        (&svg(r##"<use href="#a" href="#b"/>"##), "the attribute href appears twice"),
        (
            &format!(
                r##"<svg xmlns="{SVG_NS}" xmlns:a="{XLINK_NS}" xmlns:b="{XLINK_NS}"><use a:href="#x" b:href="#y"/></svg>"##
            ),
            "appears twice",
        ),
        (&format!(r##"<svg xmlns="{SVG_NS}"><use xlink:href="#a"/></svg>"##), "add xmlns:xlink="),
        (&svg(r#"<p:rect/>"#), "the prefix p: without declaring it"),
        (&svg(r#"<g xmlns:xml="urn:x"/>"#), "cannot bind"),
        (&svg(r#"<g xmlns:p=""/>"#), "cannot bind"),
        (&svg(r#"<rect a="1"b="2"/>"#), "not well-formed"),
        (&svg("<rect x=\"<\"/>"), "not well-formed"),
        ("<svg xmlns=\"http://www.w3.org/2000/svg\"/><svg/>", "not well-formed"),
        ("text<svg/>", "not well-formed"),
        ("", "its root element is not <svg>"),
        ("<html><svg/></html>", "its root element is not <svg>"),
        (r#"<svg xmlns="urn:not-svg"/>"#, "its root element is not <svg>"),
        (r#"<g xmlns="http://www.w3.org/2000/svg"/>"#, "its root element is not <svg>"),
    ]);
}

#[test]
fn deep_nesting_is_handled_without_recursion() {
    let depth = 10_000;
    let text = svg(&format!("{}<rect/>{}", "<g>".repeat(depth), "</g>".repeat(depth)));
    let cleaned = clean_svg(&text).unwrap();
    assert_eq!(cleaned.matches("<g>").count(), depth);
}
