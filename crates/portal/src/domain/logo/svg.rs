//! The SVG logo check. The file is read as a browser's XML parser reads it
//! (character references and the predefined entities decoded, line ends and
//! attribute white space normalised, namespaces resolved), every element,
//! attribute, text and style is judged on that decoded text, and the logo is
//! then written out again from the allow-lists in [`super::allowed`]: element
//! and attribute names come from those lists, never from the upload, and every
//! value is escaped anew. So the stored file is exactly what was judged, and
//! nothing an XML trick could hide (a reference, an undeclared prefix, an odd
//! namespace) survives into it.

use xmlparser::{ElementEnd, Token, Tokenizer};

use super::allowed::{
    ATTRIBUTES, ELEMENTS, NOT_ANIMATABLE, NOT_CSS, REFUSED_ELEMENTS, TEXT_ONLY_ELEMENTS, XML_ATTRIBUTES,
};
use super::css::{css_problem, decoded as css_decoded};
use super::xml::{decode, escape, has_script_url, normalize_line_ends, shorten, Context};

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

const NOT_SVG: &str = "its root element is not <svg>";
const DOCTYPE: &str = "it contains a DOCTYPE or entity declaration (delete the <!DOCTYPE ...> part: a logo needs none)";

/// The logo written again from what the allow-lists keep, or why it is
/// refused. Refused, judged on the decoded text: scripts and other active or
/// embedding elements ([`REFUSED_ELEMENTS`], in any namespace or case), event
/// handler attributes (`on*`), references to anything outside the file (an
/// `href` that does not start with `#`, `data:` included; CSS `url()` other
/// than to `#id`, `@import`, or any CSS function that could load something),
/// `javascript:` or `vbscript:` anywhere, `xml:base`, animations of `href` and
/// other attributes a logo may not change, DOCTYPEs and entities (which can
/// pull in files or expand without bound), processing instructions such as
/// `xml-stylesheet`, and files browsers would not parse. Left out without
/// complaint: comments, the XML declaration, other namespaces' elements and
/// attributes (an editor's metadata) and anything else not on the lists.
pub fn clean_svg(text: &str) -> Result<String, String> {
    let mut reader = Reader::default();
    for token in Tokenizer::from(text) {
        let token = token.map_err(|err| format!("it is not well-formed XML ({err})"))?;
        reader.token(token)?;
    }
    reader.finish()?.write()
}

/// A node of the cleaned logo; `Drawing::nodes[0]` is the root `<svg>`.
enum Node {
    Element { name: &'static str, attributes: Vec<(&'static str, String)>, children: Vec<usize> },
    Text(String),
}

#[derive(Default)]
struct Drawing {
    nodes: Vec<Node>,
    uses_xlink: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Namespace {
    None,
    Svg,
    Xlink,
    Xml,
    Other,
}

impl Namespace {
    fn of(uri: &str) -> Self {
        match uri {
            "" => Self::None,
            SVG_NS => Self::Svg,
            XLINK_NS => Self::Xlink,
            XML_NS => Self::Xml,
            _ => Self::Other,
        }
    }
}

/// An element between its start and end tags.
struct Open<'a> {
    prefix: &'a str,
    local: &'a str,
    /// How many namespace declarations were in scope before its own.
    scope: usize,
    /// Its node in the drawing, if it is kept.
    kept: Option<usize>,
}

/// A start tag whose attributes are still arriving (a namespace may be
/// declared after the attributes that use it).
struct StartTag<'a> {
    prefix: &'a str,
    local: &'a str,
    attributes: Vec<(&'a str, &'a str, &'a str)>,
}

#[derive(Default)]
struct Reader<'a> {
    drawing: Drawing,
    /// Prefix ("" for the default namespace) and URI, innermost last.
    namespaces: Vec<(&'a str, String)>,
    open: Vec<Open<'a>>,
    tag: Option<StartTag<'a>>,
}

impl<'a> Reader<'a> {
    fn token(&mut self, token: Token<'a>) -> Result<(), String> {
        match token {
            Token::Declaration { .. } | Token::Comment { .. } => Ok(()),
            Token::ProcessingInstruction { target, .. } => {
                Err(format!("it contains a processing instruction (<?{target} ...?>)"))
            }
            Token::DtdStart { .. }
            | Token::EmptyDtd { .. }
            | Token::EntityDeclaration { .. }
            | Token::DtdEnd { .. } => Err(DOCTYPE.into()),
            Token::ElementStart { prefix, local, .. } => {
                self.tag = Some(StartTag { prefix: prefix.as_str(), local: local.as_str(), attributes: Vec::new() });
                Ok(())
            }
            Token::Attribute { prefix, local, value, .. } => {
                if let Some(tag) = self.tag.as_mut() {
                    tag.attributes.push((prefix.as_str(), local.as_str(), value.as_str()));
                }
                Ok(())
            }
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open => self.start(),
                ElementEnd::Empty => {
                    self.start()?;
                    self.end(None)
                }
                ElementEnd::Close(prefix, local) => self.end(Some((prefix.as_str(), local.as_str()))),
            },
            Token::Text { text } => self.text(decode(text.as_str(), Context::Text)?),
            Token::Cdata { text, .. } => self.text(normalize_line_ends(text.as_str())),
        }
    }

    fn finish(self) -> Result<Drawing, String> {
        if let Some(unclosed) = self.open.last() {
            return Err(format!("it is not well-formed XML (<{}> is never closed)", unclosed.local));
        }
        if self.drawing.nodes.is_empty() {
            return Err(NOT_SVG.into());
        }
        Ok(self.drawing)
    }

    fn start(&mut self) -> Result<(), String> {
        let Some(tag) = self.tag.take() else { return Ok(()) };
        let scope = self.namespaces.len();
        for &(prefix, local, value) in &tag.attributes {
            let declared = match (prefix, local) {
                ("", "xmlns") => "",
                ("xmlns", name) => name,
                _ => continue,
            };
            let uri = decode(value, Context::Attribute)?;
            let misbound = match declared {
                "xml" => uri != XML_NS,
                "xmlns" => true,
                _ => uri == XML_NS || (uri.is_empty() && !declared.is_empty()),
            };
            if misbound {
                return Err(format!("it is not well-formed XML (it cannot bind the prefix {declared:?} to {uri:?})"));
            }
            self.namespaces.push((declared, uri));
        }

        if REFUSED_ELEMENTS.contains(&tag.local.to_ascii_lowercase().as_str()) {
            return Err(format!("it contains a <{}> element", tag.local));
        }
        let namespace = self.resolve(tag.prefix, true)?;
        let is_root = self.open.is_empty();
        let name = ELEMENTS
            .iter()
            .find(|name| **name == tag.local)
            .copied()
            .filter(|_| matches!(namespace, Namespace::Svg | Namespace::None));
        if is_root && name != Some("svg") {
            return Err(NOT_SVG.into());
        }
        let parent = self.open.last().and_then(|open| open.kept);
        let parent_takes_elements = parent.is_some_and(|i| match &self.drawing.nodes[i] {
            Node::Element { name, .. } => !TEXT_ONLY_ELEMENTS.contains(name),
            Node::Text(_) => false,
        });
        let name = name.filter(|_| is_root || parent_takes_elements);

        let mut seen: Vec<(Namespace, &str)> = Vec::new();
        let mut attributes = Vec::new();
        for &(prefix, local, raw) in &tag.attributes {
            if prefix == "xmlns" || (prefix.is_empty() && local == "xmlns") {
                continue;
            }
            let namespace = if prefix.is_empty() { Namespace::None } else { self.resolve(prefix, false)? };
            let written = if prefix.is_empty() { local.to_owned() } else { format!("{prefix}:{local}") };
            if namespace != Namespace::Other && seen.contains(&(namespace, local)) {
                return Err(format!("it is not well-formed XML (the attribute {written} appears twice)"));
            }
            seen.push((namespace, local));
            let value = decode(raw, Context::Attribute)?;
            if let Some(problem) = attribute_problem(namespace, local, &written, &value) {
                return Err(problem);
            }
            let kept = match namespace {
                Namespace::None => ATTRIBUTES.iter().find(|name| **name == local).copied(),
                Namespace::Xlink if local == "href" => Some("xlink:href"),
                Namespace::Xml => XML_ATTRIBUTES.iter().find(|(name, _)| *name == local).map(|(_, written)| *written),
                _ => None,
            };
            if let (Some(_), Some(kept)) = (name, kept) {
                if !NOT_CSS.contains(&kept) {
                    if let Some(problem) = css_problem(&value) {
                        return Err(problem);
                    }
                }
                self.drawing.uses_xlink |= kept == "xlink:href";
                attributes.push((kept, value));
            }
        }

        let kept = name.map(|name| self.add(parent, Node::Element { name, attributes, children: Vec::new() }));
        self.open.push(Open { prefix: tag.prefix, local: tag.local, scope, kept });
        Ok(())
    }

    fn end(&mut self, close: Option<(&str, &str)>) -> Result<(), String> {
        let Some(element) = self.open.pop() else {
            return Err("it is not well-formed XML (an end tag closes nothing)".into());
        };
        if let Some((prefix, local)) = close {
            if (prefix, local) != (element.prefix, element.local) {
                return Err(format!("it is not well-formed XML (</{local}> closes <{}>)", element.local));
            }
        }
        self.namespaces.truncate(element.scope);
        Ok(())
    }

    /// Text inside a kept element; text next to left-out elements joins up,
    /// as it will in the written file.
    fn text(&mut self, text: String) -> Result<(), String> {
        let Some(parent) = self.open.last().and_then(|open| open.kept) else { return Ok(()) };
        if text.is_empty() {
            return Ok(());
        }
        let last = match &self.drawing.nodes[parent] {
            Node::Element { children, .. } => children.last().copied(),
            Node::Text(_) => None,
        };
        match last.map(|i| &mut self.drawing.nodes[i]) {
            Some(Node::Text(previous)) => previous.push_str(&text),
            _ => {
                self.add(Some(parent), Node::Text(text));
            }
        }
        Ok(())
    }

    fn add(&mut self, parent: Option<usize>, node: Node) -> usize {
        let index = self.drawing.nodes.len();
        self.drawing.nodes.push(node);
        if let Some(Node::Element { children, .. }) = parent.map(|p| &mut self.drawing.nodes[p]) {
            children.push(index);
        }
        index
    }

    fn resolve(&self, prefix: &str, element: bool) -> Result<Namespace, String> {
        if prefix == "xml" {
            return Ok(Namespace::Xml);
        }
        if prefix.is_empty() && !element {
            return Ok(Namespace::None);
        }
        match self.namespaces.iter().rev().find(|(declared, _)| *declared == prefix) {
            Some((_, uri)) => Ok(Namespace::of(uri)),
            None if prefix.is_empty() => Ok(Namespace::None),
            None if prefix == "xlink" => Err(format!(
                "it uses the prefix xlink: without declaring it (add xmlns:xlink=\"{XLINK_NS}\" to the <svg> element)"
            )),
            None => Err(format!("it uses the prefix {prefix}: without declaring it")),
        }
    }
}

/// The rules every attribute meets, kept or not, so that the operator hears
/// about an attack rather than finding it silently gone.
fn attribute_problem(namespace: Namespace, local: &str, written: &str, value: &str) -> Option<String> {
    let lower = local.to_ascii_lowercase();
    if lower.starts_with("on") {
        return Some(format!("it has an event handler attribute ({written})"));
    }
    if namespace == Namespace::Xml && local == "base" {
        return Some("it sets xml:base, which would send its references elsewhere".into());
    }
    if has_script_url(value) || has_script_url(&css_decoded(value)) {
        return Some(format!("the attribute {written} contains a script URL"));
    }
    // URL parsers skip leading ASCII white space and controls, nothing else.
    if lower == "href" && !value.trim_start_matches(|c: char| c <= ' ').starts_with('#') {
        let embedded = if value.trim_start().to_ascii_lowercase().starts_with("data:") {
            "; embedded files are not accepted: draw it in the SVG, or upload a PNG"
        } else {
            ""
        };
        return Some(format!("it refers to something outside the file ({written}=\"{}\"){embedded}", shorten(value)));
    }
    if lower == "attributename" {
        let target = value.trim();
        if !ATTRIBUTES.contains(&target) || NOT_ANIMATABLE.contains(&target) {
            return Some(format!("it animates the attribute {target}, which a logo may not change"));
        }
    }
    None
}

impl Drawing {
    /// The cleaned file: the root declares the namespaces it uses, names come
    /// from the allow-lists, values are escaped, empty elements are `<x/>`.
    fn write(&self) -> Result<String, String> {
        enum Step {
            Enter(usize, Option<&'static str>),
            Leave(&'static str),
        }
        let mut out = String::new();
        let mut steps = vec![Step::Enter(0, None)];
        while let Some(step) = steps.pop() {
            match step {
                Step::Leave(name) => {
                    out.push_str("</");
                    out.push_str(name);
                    out.push('>');
                }
                Step::Enter(index, parent) => match &self.nodes[index] {
                    Node::Text(text) => {
                        if let Some(problem) = text_problem(text, parent) {
                            return Err(problem);
                        }
                        escape(text, Context::Text, &mut out);
                    }
                    Node::Element { name, attributes, children } => {
                        out.push('<');
                        out.push_str(name);
                        if index == 0 {
                            out.push_str(&format!(" xmlns=\"{SVG_NS}\""));
                            if self.uses_xlink {
                                out.push_str(&format!(" xmlns:xlink=\"{XLINK_NS}\""));
                            }
                        }
                        for (attribute, value) in attributes {
                            out.push(' ');
                            out.push_str(attribute);
                            out.push_str("=\"");
                            escape(value, Context::Attribute, &mut out);
                            out.push('"');
                        }
                        if children.is_empty() {
                            out.push_str("/>");
                        } else {
                            out.push('>');
                            steps.push(Step::Leave(name));
                            steps.extend(children.iter().rev().map(|child| Step::Enter(*child, Some(*name))));
                        }
                    }
                },
            }
        }
        Ok(out)
    }
}

/// A text as it will be read: a style sheet under `<style>`, words elsewhere.
fn text_problem(text: &str, parent: Option<&str>) -> Option<String> {
    if has_script_url(text) {
        return Some("its text contains a script URL (javascript:)".into());
    }
    match parent {
        Some("style") => css_problem(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
