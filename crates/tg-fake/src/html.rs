//! Telegram's `parse_mode = "HTML"`: turns marked-up text into the visible text and its
//! entities, refusing what Telegram refuses ("can't parse entities: Unsupported start tag …"),
//! so a bot that forgets to escape a user's `<` fails here as it would in production.
//!
//! It must never accept a tag Telegram refuses, and never refuse what Telegram accepts: a bare
//! `&` or `>` and unknown `&entities;` stay text, as in TDLib's parser. Offsets and lengths are
//! in UTF-16 code units, as the Bot API counts them.

use serde_json::{Value, json};

/// Visible text and Bot API `MessageEntity` objects of a formatted text.
#[derive(Debug, PartialEq)]
pub(crate) struct Formatted {
    pub text: String,
    pub entities: Vec<Value>,
}

struct OpenTag {
    name: String,
    start: usize,
    attribute: Option<String>,
}

const SUPPORTED: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
];

/// Parses Telegram HTML. The error is the text after `Bad Request: can't parse entities: `.
pub(crate) fn parse(input: &str) -> Result<Formatted, String> {
    let bytes = input.as_bytes();
    let mut text = String::with_capacity(input.len());
    let mut utf16 = 0usize;
    let mut stack: Vec<OpenTag> = Vec::new();
    let mut entities: Vec<(usize, usize, Value)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => {
                let (ch, used) = decode_entity(&input[i..]).unwrap_or(('&', 1));
                text.push(ch);
                utf16 += ch.len_utf16();
                i += used;
            }
            b'<' if bytes.get(i + 1) == Some(&b'/') => {
                let begin = i;
                let Some(close) = input[i..].find('>') else {
                    return Err(format!("Unclosed end tag at byte offset {begin}"));
                };
                let name = input[i + 2..i + close].trim().to_ascii_lowercase();
                let Some(open) = stack.pop() else {
                    return Err(format!("Unexpected end tag at byte offset {begin}"));
                };
                if !name.is_empty() && name != open.name {
                    return Err(format!(
                        "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \"</{name}>\"",
                        open.name
                    ));
                }
                if utf16 > open.start
                    && let Some(entity) = entity_for(&open, &stack)
                {
                    entities.push((open.start, utf16 - open.start, entity));
                }
                i += close + 1;
            }
            b'<' => {
                let begin = i;
                i += 1;
                let name_end = input[i..]
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .map(|n| i + n)
                    .ok_or_else(|| format!("Unclosed start tag at byte offset {begin}"))?;
                let name = input[i..name_end].to_ascii_lowercase();
                if !SUPPORTED.contains(&name.as_str()) {
                    return Err(format!(
                        "Unsupported start tag \"{name}\" at byte offset {begin}"
                    ));
                }
                let (attributes, end) = parse_attributes(input, name_end)
                    .ok_or_else(|| format!("Unclosed start tag at byte offset {begin}"))?;
                let find = |key: &str| {
                    attributes
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.clone())
                };
                let attribute = match name.as_str() {
                    "a" => find("href"),
                    "span" => {
                        if find("class").as_deref() != Some("tg-spoiler") {
                            return Err("Tag \"span\" must have class \"tg-spoiler\"".to_owned());
                        }
                        None
                    }
                    "tg-emoji" => find("emoji-id"),
                    "code" => find("class"),
                    "blockquote" => attributes
                        .iter()
                        .any(|(k, _)| k == "expandable")
                        .then(|| "expandable".to_owned()),
                    _ => None,
                };
                stack.push(OpenTag {
                    name,
                    start: utf16,
                    attribute,
                });
                i = end + 1;
            }
            _ => {
                let ch = input[i..].chars().next().unwrap_or('\u{FFFD}');
                text.push(ch);
                utf16 += ch.len_utf16();
                i += ch.len_utf8();
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            open.name
        ));
    }
    entities.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let entities = entities
        .into_iter()
        .map(|(offset, length, mut entity)| {
            entity["offset"] = json!(offset);
            entity["length"] = json!(length);
            entity
        })
        .collect();
    Ok(Formatted { text, entities })
}

/// The entity a closed tag makes (`None` for a link whose URL teloxide could not parse, or a
/// `code` inside `pre`, which only names the language).
fn entity_for(tag: &OpenTag, outer: &[OpenTag]) -> Option<Value> {
    Some(match tag.name.as_str() {
        "b" | "strong" => json!({"type": "bold"}),
        "i" | "em" => json!({"type": "italic"}),
        "u" | "ins" => json!({"type": "underline"}),
        "s" | "strike" | "del" => json!({"type": "strikethrough"}),
        "span" | "tg-spoiler" => json!({"type": "spoiler"}),
        "a" => {
            let href = tag.attribute.as_deref()?;
            url::Url::parse(href).ok()?;
            json!({"type": "text_link", "url": href})
        }
        "tg-emoji" => json!({"type": "custom_emoji", "custom_emoji_id": tag.attribute.clone()?}),
        "code" if outer.last().is_some_and(|t| t.name == "pre") => return None,
        "code" => json!({"type": "code"}),
        "pre" => json!({"type": "pre"}),
        "blockquote" if tag.attribute.is_some() => json!({"type": "expandable_blockquote"}),
        "blockquote" => json!({"type": "blockquote"}),
        _ => return None,
    })
}

/// Attributes from `from` (just after the tag name) to the closing `>`: the pairs and the
/// index of `>`, or `None` if the tag never closes.
fn parse_attributes(input: &str, from: usize) -> Option<(Vec<(String, String)>, usize)> {
    let bytes = input.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i)? {
            b'>' => return Some((out, i)),
            b'/' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let key_start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b'>' | b' ' | b'\t' | b'\n' | b'/') {
            i += 1;
        }
        let key = input[key_start..i].to_ascii_lowercase();
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            match bytes.get(i)? {
                quote @ (b'"' | b'\'') => {
                    let close = input[i + 1..].find(char::from(*quote))? + i + 1;
                    value = decode_text(&input[i + 1..close]);
                    i = close + 1;
                }
                _ => {
                    let start = i;
                    while i < bytes.len() && !matches!(bytes[i], b'>' | b' ' | b'\t' | b'\n') {
                        i += 1;
                    }
                    value = decode_text(&input[start..i]);
                }
            }
        }
        out.push((key, value));
    }
}

fn decode_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if let Some((ch, used)) = raw[i..]
            .starts_with('&')
            .then(|| decode_entity(&raw[i..]))
            .flatten()
        {
            out.push(ch);
            i += used;
        } else {
            let ch = raw[i..].chars().next().unwrap_or('\u{FFFD}');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Decodes `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric references at the start of `s`.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let end = s.bytes().take(12).position(|b| b == b';')?;
    let name = &s[1..end];
    let ch = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let code =
                if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    name.strip_prefix('#')?.parse().ok()?
                };
            char::from_u32(code)?
        }
    };
    Some((ch, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_makes_entities() {
        let f = parse("<b>Bold</b> and <a href=\"https://x.org\">link</a> &lt;3").unwrap();
        assert_eq!(f.text, "Bold and link <3");
        assert_eq!(
            f.entities,
            vec![
                json!({"type": "bold", "offset": 0, "length": 4}),
                json!({"type": "text_link", "url": "https://x.org", "offset": 9, "length": 4}),
            ]
        );
    }

    #[test]
    fn offsets_count_utf16_units() {
        let f = parse("😀 <i>й</i>").unwrap();
        assert_eq!(
            f.entities,
            vec![json!({"type": "italic", "offset": 3, "length": 1})]
        );
    }

    #[test]
    fn refuses_what_telegram_refuses() {
        assert_eq!(
            parse("a < b").unwrap_err(),
            "Unsupported start tag \"\" at byte offset 2"
        );
        assert_eq!(
            parse("<br>").unwrap_err(),
            "Unsupported start tag \"br\" at byte offset 0"
        );
        assert_eq!(
            parse("<b>x").unwrap_err(),
            "Can't find end tag corresponding to start tag \"b\""
        );
        assert_eq!(
            parse("<b>x</i>").unwrap_err(),
            "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\""
        );
        assert_eq!(
            parse("x</b>").unwrap_err(),
            "Unexpected end tag at byte offset 1"
        );
        assert!(parse("<span>x</span>").is_err());
    }

    #[test]
    fn keeps_bare_ampersands_and_greater_than() {
        assert_eq!(parse("a & b > c &nbsp;").unwrap().text, "a & b > c &nbsp;");
        assert_eq!(
            parse("<pre><code class=\"language-rust\">x</code></pre>")
                .unwrap()
                .text,
            "x"
        );
    }
}
