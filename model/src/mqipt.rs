//! `mqipt.conf`: a lossless reader and a one-value editor.
//!
//! The file is kept as its lines, each with its own line ending, so that rendering an
//! unedited file gives back the same bytes, and an edit changes exactly one value:
//! comments, order, unknown keys, spacing and line endings all survive.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What one line of the file is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LineKind {
    Blank,
    Comment,
    /// `[route]`, `[global]` (name lower-cased) or another bracketed header.
    Section(String),
    /// `key = value`; the value is `text[value_start..value_end]`.
    Property { key: String, value_start: usize, value_end: usize },
    /// Anything else, kept verbatim and reported by [`MqiptConf::unrecognised_lines`].
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    text: String,
    ending: String,
    kind: LineKind,
}

impl Line {
    fn value(&self) -> Option<(&str, &str)> {
        match &self.kind {
            LineKind::Property { key, value_start, value_end } => {
                Some((key.as_str(), &self.text[*value_start..*value_end]))
            }
            _ => None,
        }
    }
}

/// A parsed `mqipt.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqiptConf {
    lines: Vec<Line>,
}

/// One `key=value` as written (key with its original case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    pub key: String,
    pub value: String,
    /// 1-based line number in the file.
    pub line: usize,
}

/// A `[route]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// 1-based line number of the `[route]` header.
    pub line: usize,
    pub properties: Vec<Property>,
}

impl Route {
    /// The last value of a property, looked up case-insensitively (later lines win).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .rev()
            .find(|p| p.key.eq_ignore_ascii_case(key))
            .map(|p| p.value.as_str())
    }

    pub fn name(&self) -> Option<&str> {
        self.get("Name")
    }

    pub fn listener_port(&self) -> Option<&str> {
        self.get("ListenerPort")
    }

    pub fn destination(&self) -> Option<&str> {
        self.get("Destination")
    }

    pub fn destination_port(&self) -> Option<&str> {
        self.get("DestinationPort")
    }

    /// `Active` defaults to true in MQIPT when absent.
    pub fn is_active(&self) -> bool {
        self.get("Active").is_none_or(|v| v.trim().eq_ignore_ascii_case("true"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EditError {
    #[error("no [route] has ListenerPort={0}")]
    NoSuchRoute(String),
    #[error("{count} [route] sections have ListenerPort={port}; refusing to guess which to edit")]
    AmbiguousRoute { port: String, count: usize },
    #[error("the value for {key} contains a line break or '#'; a value must be one plain line")]
    BadValue { key: String },
    #[error("the property name {0:?} is not a plain word")]
    BadKey(String),
}

fn split_lines(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find('\n') {
            Some(i) => {
                let (line, tail) = rest.split_at(i + 1);
                let body = &line[..i];
                let (body, ending) = match body.strip_suffix('\r') {
                    Some(b) => (b, "\r\n"),
                    None => (body, "\n"),
                };
                out.push((body.to_string(), ending.to_string()));
                rest = tail;
            }
            None => {
                out.push((rest.to_string(), String::new()));
                rest = "";
            }
        }
    }
    out
}

fn classify(text: &str) -> LineKind {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return LineKind::Blank;
    }
    if trimmed.starts_with('#') {
        return LineKind::Comment;
    }
    if trimmed.starts_with('[') && trimmed.ends_with(']') {
        return LineKind::Section(trimmed[1..trimmed.len() - 1].trim().to_ascii_lowercase());
    }
    if let Some(eq) = text.find('=') {
        let key = text[..eq].trim();
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            let after = &text[eq + 1..];
            let lead = after.len() - after.trim_start().len();
            let value_start = eq + 1 + lead;
            let value_end = eq + 1 + after.trim_end().len();
            let value_end = value_end.max(value_start);
            return LineKind::Property { key: key.to_string(), value_start, value_end };
        }
    }
    LineKind::Other
}

/// What a secret property's value is shown as.
pub const REDACTED: &str = "********";

/// Properties whose names hold `PW` or `Password` (key ring passwords and the like).
pub fn is_secret_key(key: &str) -> bool {
    let key = key.trim().to_ascii_lowercase();
    key.contains("pw") || key.contains("password")
}

/// `text` (a configuration, or a unified diff of one) with every secret property's value
/// replaced by [`REDACTED`]; every other byte as it was.
pub fn redact_secrets(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let (marker, rest) = match line.chars().next() {
                Some(c @ ('+' | '-' | ' ')) if !line.starts_with("+++") && !line.starts_with("---") => line.split_at(c.len_utf8()),
                _ => ("", line),
            };
            match rest.split_once('=') {
                // A commented-out password is still a password.
                Some((key, value)) if is_secret_key(key.trim_start().trim_start_matches('#')) && !key.trim_start().starts_with('[') => {
                    let ending = &value[value.trim_end_matches(['\r', '\n']).len()..];
                    format!("{marker}{key}={REDACTED}{ending}")
                }
                _ => line.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn secret_values_are_replaced_and_nothing_else_changes() {
        let text = "[route]\nListenerPort=1503\nSSLServerKeyRingPW=s3cret\r\n#SSLClientKeyRingPW=old\nDestination=x\n";
        let shown = redact_secrets(text);
        assert_eq!(shown, "[route]\nListenerPort=1503\nSSLServerKeyRingPW=********\r\n#SSLClientKeyRingPW=********\nDestination=x\n");
        let diff = "--- a/f\n+++ b/f\n SSLClientKeyRingPassword=p\n-Destination=a\n+Destination=b\n";
        assert_eq!(redact_secrets(diff), "--- a/f\n+++ b/f\n SSLClientKeyRingPassword=********\n-Destination=a\n+Destination=b\n");
        assert!(!is_secret_key("Destination"));
    }
}

impl MqiptConf {
    /// Reads any text; never fails. Lines it does not understand are kept as they are.
    pub fn parse(text: &str) -> Self {
        let lines = split_lines(text)
            .into_iter()
            .map(|(text, ending)| {
                let kind = classify(&text);
                Line { text, ending, kind }
            })
            .collect();
        MqiptConf { lines }
    }

    /// The file, byte for byte as read, with any edits applied.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&line.text);
            out.push_str(&line.ending);
        }
        out
    }

    /// Index ranges (header line, end exclusive) of every section.
    fn sections(&self) -> Vec<(String, usize, usize)> {
        let mut out: Vec<(String, usize, usize)> = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            if let LineKind::Section(name) = &line.kind {
                if let Some(last) = out.last_mut() {
                    last.2 = i;
                }
                out.push((name.clone(), i, self.lines.len()));
            }
        }
        out
    }

    fn properties_in(&self, start: usize, end: usize) -> Vec<Property> {
        self.lines[start..end]
            .iter()
            .enumerate()
            .filter_map(|(offset, line)| {
                line.value().map(|(key, value)| Property {
                    key: key.to_string(),
                    value: value.to_string(),
                    line: start + offset + 1,
                })
            })
            .collect()
    }

    /// Properties of the `[global]` section (empty when there is none).
    pub fn global(&self) -> Vec<Property> {
        self.sections()
            .into_iter()
            .filter(|(name, ..)| name == "global")
            .flat_map(|(_, start, end)| self.properties_in(start + 1, end))
            .collect()
    }

    /// Every `[route]` section in file order.
    pub fn routes(&self) -> Vec<Route> {
        self.sections()
            .into_iter()
            .filter(|(name, ..)| name == "route")
            .map(|(_, start, end)| Route { line: start + 1, properties: self.properties_in(start + 1, end) })
            .collect()
    }

    /// Lines that are neither blank, comment, header nor `key=value` (1-based number, text).
    pub fn unrecognised_lines(&self) -> Vec<(usize, String)> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind == LineKind::Other)
            .map(|(i, l)| (i + 1, l.text.clone()))
            .collect()
    }

    /// The route whose `ListenerPort` is `port`, if exactly one has it.
    pub fn route_by_listener_port(&self, port: &str) -> Result<Route, EditError> {
        let mut found: Vec<Route> =
            self.routes().into_iter().filter(|r| r.listener_port().map(str::trim) == Some(port.trim())).collect();
        match found.len() {
            0 => Err(EditError::NoSuchRoute(port.to_string())),
            1 => Ok(found.remove(0)),
            count => Err(EditError::AmbiguousRoute { port: port.to_string(), count }),
        }
    }

    /// Sets `key` of the route listening on `port` to `value`, changing nothing else.
    ///
    /// The last line carrying the key (the one MQIPT uses) is edited in place; when the
    /// route has no such key, a `key=value` line is added after the route's last property.
    pub fn set_route_property(&mut self, port: &str, key: &str, value: &str) -> Result<(), EditError> {
        if value.contains(['\n', '\r', '#']) {
            return Err(EditError::BadValue { key: key.to_string() });
        }
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(EditError::BadKey(key.to_string()));
        }
        let route = self.route_by_listener_port(port)?;
        let existing = route.properties.iter().rev().find(|p| p.key.eq_ignore_ascii_case(key));
        match existing {
            Some(property) => {
                let line = &mut self.lines[property.line - 1];
                if let LineKind::Property { value_start, value_end, key: k } = line.kind.clone() {
                    line.text.replace_range(value_start..value_end, value);
                    line.kind = LineKind::Property { key: k, value_start, value_end: value_start + value.len() };
                }
            }
            None => {
                let after = route.properties.last().map_or(route.line, |p| p.line);
                let ending = self.lines[after - 1].ending.clone();
                let ending = if ending.is_empty() { "\n".to_string() } else { ending };
                if self.lines[after - 1].ending.is_empty() {
                    self.lines[after - 1].ending = ending.clone();
                }
                let text = format!("{key}={value}");
                let kind = classify(&text);
                let is_last = after == self.lines.len();
                let new_ending = if is_last { String::new() } else { ending };
                self.lines.insert(after, Line { text, ending: new_ending, kind });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "[route]\nName=DRHAQM1\nActive=true\nListenerPort=1501\nDestination=3bdf30c3-us-east.lb.appdomain.cloud\nDestinationPort=1501\n\n[route]\nName=DRHAQM2\nActive=true\nListenerPort=1502\nDestination=e8deec77-us-south.lb.appdomain.cloud\nDestinationPort=1502\n";

    #[test]
    fn reads_the_seed_routes() {
        let conf = MqiptConf::parse(SEED);
        let routes = conf.routes();
        assert_eq!(routes.len(), 2);
        assert_eq!(routes[0].name(), Some("DRHAQM1"));
        assert_eq!(routes[0].listener_port(), Some("1501"));
        assert_eq!(routes[1].destination(), Some("e8deec77-us-south.lb.appdomain.cloud"));
        assert_eq!(conf.render(), SEED);
    }

    #[test]
    fn edit_changes_only_the_value() {
        let mut conf = MqiptConf::parse(SEED);
        conf.set_route_property("1501", "destination", "e8deec77-us-south.lb.appdomain.cloud").unwrap();
        let expected = SEED.replacen(
            "Destination=3bdf30c3-us-east.lb.appdomain.cloud",
            "Destination=e8deec77-us-south.lb.appdomain.cloud",
            1,
        );
        assert_eq!(conf.render(), expected);
    }

    #[test]
    fn edit_keeps_spacing_crlf_and_comments() {
        let text = "# head\r\n[global]\r\nCommandPort = 1881\r\n[ROUTE]\r\n  listenerport = 1501   \r\nDestination =  old.example  # not a comment in mqipt\r\n";
        let mut conf = MqiptConf::parse(text);
        assert_eq!(conf.render(), text);
        conf.set_route_property("1501", "Destination", "new.example").unwrap();
        assert_eq!(conf.render(), text.replace("old.example  # not a comment in mqipt", "new.example"));
        assert_eq!(conf.global()[0].value, "1881");
    }

    #[test]
    fn missing_key_is_added_after_the_route() {
        let mut conf = MqiptConf::parse("[route]\nListenerPort=1501\n\n[route]\nListenerPort=1502");
        conf.set_route_property("1501", "Destination", "a.example").unwrap();
        conf.set_route_property("1502", "Destination", "b.example").unwrap();
        assert_eq!(
            conf.render(),
            "[route]\nListenerPort=1501\nDestination=a.example\n\n[route]\nListenerPort=1502\nDestination=b.example"
        );
    }

    #[test]
    fn refuses_unknown_ambiguous_and_hostile_edits() {
        let mut conf = MqiptConf::parse("[route]\nListenerPort=1501\n[route]\nListenerPort=1501\n");
        assert!(matches!(
            conf.set_route_property("1501", "Destination", "x"),
            Err(EditError::AmbiguousRoute { count: 2, .. })
        ));
        assert!(matches!(conf.set_route_property("9", "Destination", "x"), Err(EditError::NoSuchRoute(_))));
        assert!(matches!(
            conf.set_route_property("1501", "Destination", "x\nListenerPort=1"),
            Err(EditError::BadValue { .. })
        ));
    }

    #[test]
    fn later_duplicate_key_wins() {
        let conf = MqiptConf::parse("[route]\nListenerPort=1501\nDestination=a\ndestination=b\n");
        assert_eq!(conf.routes()[0].destination(), Some("b"));
    }
}
