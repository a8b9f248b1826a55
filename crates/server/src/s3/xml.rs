//! The little XML the store speaks: a document read into a small tree of
//! elements (namespaces dropped, entities resolved), and text escaped for the
//! bodies the server sends. S3's answers are small (a ListParts page holds at
//! most 1,000 parts), so a tree is simpler than streaming and costs little.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An element: its local name, its text, its child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

/// The document is not XML, or not the XML expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct XmlError(pub String);

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child named `name`, if non-empty.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// Like [`Element::text_of`], or an error naming the missing element.
    pub fn require(&self, name: &str) -> Result<&str, XmlError> {
        self.text_of(name)
            .ok_or_else(|| XmlError(format!("<{}> lacks <{name}>", self.name)))
    }
}

/// Reads a whole document; returns its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let err = |e: &dyn std::fmt::Display| XmlError(format!("malformed XML: {e}"));
    loop {
        match reader.read_event().map_err(|e| err(&e))? {
            Event::Start(start) => stack.push(Element {
                name: start.local_name().as_ref().to_owned(),
                ..Element::default()
            }),
            Event::Empty(start) => {
                let element = Element {
                    name: start.local_name().as_ref().to_owned(),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| XmlError("malformed XML: unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().map_err(|e| err(&e))? {
                    Some(ch) => ch,
                    None => predefined_entity(&r)
                        .ok_or_else(|| XmlError(format!("unknown XML entity &{};", &*r)))?,
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            Event::Eof => return Err(XmlError("empty or truncated XML document".into())),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// `text` made safe inside an XML element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_namespaced_document_with_entities() {
        let doc = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Part><PartNumber>2</PartNumber><ETag>&quot;ab&amp;c&#x41;&quot;</ETag></Part>
  <Part><PartNumber>1</PartNumber><ETag><![CDATA["x<y"]]></ETag><Empty/></Part>
</ListPartsResult>"#,
        )
        .expect("parses");
        assert_eq!(doc.name, "ListPartsResult");
        let parts: Vec<_> = doc.children_named("Part").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].text_of("ETag"), Some("\"ab&cA\""));
        assert_eq!(parts[1].text_of("ETag"), Some("\"x<y\""));
        assert!(parts[1].child("Empty").is_some());
        assert_eq!(parts[1].text_of("Empty"), None);
        assert!(parts[0].require("Size").is_err());
    }

    #[test]
    fn refuses_broken_documents() {
        for bad in ["", "<a>", "<a></b>", "<a>&bogus;</a>", "not xml"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn escapes_and_round_trips() {
        let text = r#"a&b<c>"d"'e'"#;
        let doc = parse(&format!("<x>{}</x>", escape(text))).expect("parses");
        assert_eq!(doc.text, text);
    }
}
