//! `runmqsc` DISPLAY output: each `AMQ84nnI: Display ... details.` block as its attributes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MqscObject {
    /// The message that opened the block, e.g. `AMQ8414I` (channel) or `AMQ8417I` (status).
    pub message: String,
    /// Attributes in printed order; a bare keyword (`CURRENT`) has an empty value.
    pub attributes: Vec<(String, String)>,
}

impl MqscObject {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MqscOutput {
    pub objects: Vec<MqscObject>,
    /// Error messages (`AMQnnnnE: ...`) and lines not understood.
    pub errors: Vec<String>,
}

/// Reads `runmqsc` output; never fails.
pub fn parse(text: &str) -> MqscOutput {
    let mut out = MqscOutput::default();
    let mut current: Option<MqscObject> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if let Some((id, _)) = trimmed.split_once(':').filter(|(id, _)| id.len() == 8 && id.starts_with("AMQ")) {
            if let Some(done) = current.take() {
                out.objects.push(done);
            }
            if id.ends_with('I') && trimmed.contains("Display") {
                current = Some(MqscObject { message: id.to_string(), attributes: Vec::new() });
            } else if id.ends_with('E') || id.ends_with('W') {
                out.errors.push(trimmed.to_string());
            }
            continue;
        }
        let Some(object) = current.as_mut() else { continue };
        if !line.starts_with(' ') || trimmed.is_empty() {
            if let Some(done) = current.take() {
                out.objects.push(done);
            }
            continue;
        }
        // Two columns; a column is `KEY(value)` or a bare keyword.
        for column in split_columns(trimmed) {
            match crate::dspmq::attributes(column) {
                Some(pairs) => object.attributes.extend(pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string()))),
                None if column.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => object.attributes.push((column.to_string(), String::new())),
                None => out.errors.push(line.to_string()),
            }
        }
    }
    if let Some(done) = current.take() {
        out.objects.push(done);
    }
    out
}

/// Splits at runs of two or more blanks outside parentheses.
fn split_columns(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b' ' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                let piece = line[start..i].trim();
                if !piece.is_empty() {
                    out.push(piece);
                }
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let piece = line[start..].trim();
    if !piece.is_empty() {
        out.push(piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_seed_channel_and_status_blocks() {
        let text = "     1 : display channel(QM1.TO.QM2)\nAMQ8414I: Display Channel details.\n   CHANNEL(QM1.TO.QM2)                     CHLTYPE(RCVR)\n   DESCR(Receiver channel using TLS from QM1 to QM2)\n   SSLCIPH(TLS_RSA_WITH_AES_128_CBC_SHA256)\n   SSLPEER(CN=John Cena, OU=Test, O=IBM, C=GB)\n   MCAUSER( )                              USEDLQ(YES)\n\n     2 : DISPLAY CHS(QM1.TO.QM2) SSLPEER SSLCERTI\nAMQ8417I: Display Channel Status details.\n   CHANNEL(QM1.TO.QM2)                     CHLTYPE(SDR)\n   CONNAME(10.241.0.4(1414))               CURRENT\n   SSLPEER(SERIALNUMBER=5E:C8:76:52:DA:81:96:5B,CN=QM2,OU=SSL For MQ,O=IBM,ST=MA,C=US)\nAMQ8147E: IBM MQ object X not found.\n";
        let out = parse(text);
        assert_eq!(out.objects.len(), 2, "{out:#?}");
        let chl = &out.objects[0];
        assert_eq!(chl.message, "AMQ8414I");
        assert_eq!(chl.get("SSLPEER"), Some("CN=John Cena, OU=Test, O=IBM, C=GB"));
        assert_eq!(chl.get("MCAUSER"), Some(" "));
        let status = &out.objects[1];
        assert_eq!(status.get("CONNAME"), Some("10.241.0.4(1414)"));
        assert_eq!(status.get("CURRENT"), Some(""));
        assert!(status.get("SSLPEER").unwrap().starts_with("SERIALNUMBER=5E:C8"));
        assert_eq!(out.errors, ["AMQ8147E: IBM MQ object X not found."]);
    }

    #[test]
    fn garbage_is_kept_not_fatal() {
        let out = parse("AMQ8414I: Display Channel details.\n   ((((\n \u{0}");
        assert_eq!(out.objects.len(), 1);
        assert!(!out.errors.is_empty());
    }
}
