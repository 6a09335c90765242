//! `rdqm-console parse KIND FILE|-`: what the console understands of a command's output,
//! as JSON on stdout, so an operator can paste output from a real node and check it.

use model::mqipt::MqiptConf;
use serde_json::{Map, Value, json};
use std::io::Read as _;
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ParseError {
    #[error("unknown kind {0:?}; known: rdqmstatus, rdqmstatus-n, dspmq, mqipt-conf, drbdadm-status, crm-mon, runmqakm-list, runmqakm-details, runmqsc")]
    UnknownKind(String),
    #[error("{source_name}: cannot read: {error}")]
    Read { source_name: String, error: std::io::Error },
    #[error("{source_name}: not UTF-8 text (byte {offset}); is this really {kind} output?")]
    NotText { source_name: String, offset: usize, kind: String },
    #[error("{source_name}: no {kind} output recognised{hint}")]
    Unrecognised { source_name: String, kind: String, hint: String },
}

pub const KINDS: &[&str] =
    &["rdqmstatus", "rdqmstatus-n", "dspmq", "mqipt-conf", "drbdadm-status", "crm-mon", "runmqakm-list", "runmqakm-details", "runmqsc"];

fn read_input(file: &Path) -> Result<(String, Vec<u8>), ParseError> {
    let source_name = if file == Path::new("-") { "stdin".to_string() } else { file.display().to_string() };
    let mut bytes = Vec::new();
    let result = if file == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(file).map(|b| bytes = b)
    };
    result.map_err(|error| ParseError::Read { source_name: source_name.clone(), error })?;
    Ok((source_name, bytes))
}

fn first_line_hint(text: &str) -> String {
    match text.lines().find(|l| !l.trim().is_empty()) {
        Some(line) => format!(" (first line: {:?})", line.chars().take(80).collect::<String>()),
        None => " (the input is empty)".to_string(),
    }
}

fn mqipt_json(text: &str) -> Value {
    let conf = MqiptConf::parse(text);
    let global: Map<String, Value> =
        conf.global().into_iter().map(|p| (p.key.to_ascii_lowercase(), Value::String(p.value))).collect();
    let routes: Vec<Value> = conf
        .routes()
        .iter()
        .map(|route| {
            let properties: Map<String, Value> = route
                .properties
                .iter()
                .map(|p| (p.key.to_ascii_lowercase(), Value::String(p.value.clone())))
                .collect();
            json!({
                "name": route.name(),
                "listenerport": route.listener_port().map(str::trim),
                "destination": route.destination().map(str::trim),
                "destinationport": route.destination_port().map(str::trim),
                "active": route.is_active(),
                "line": route.line,
                "properties": properties,
            })
        })
        .collect();
    let unrecognised: Vec<Value> =
        conf.unrecognised_lines().into_iter().map(|(line, text)| json!({"line": line, "text": text})).collect();
    json!({"global": global, "routes": routes, "unrecognised": unrecognised})
}

/// Parses `file` as `kind`; the JSON to print, or why not.
pub fn parse(kind: &str, file: &Path) -> Result<Value, ParseError> {
    if !KINDS.contains(&kind) {
        return Err(ParseError::UnknownKind(kind.to_string()));
    }
    let (source_name, bytes) = read_input(file)?;
    let text = String::from_utf8(bytes).map_err(|e| ParseError::NotText {
        source_name: source_name.clone(),
        offset: e.utf8_error().valid_up_to(),
        kind: kind.to_string(),
    })?;
    let unrecognised = |found: bool| {
        if found {
            Ok(())
        } else {
            Err(ParseError::Unrecognised { source_name: source_name.clone(), kind: kind.to_string(), hint: first_line_hint(&text) })
        }
    };
    let value = match kind {
        "rdqmstatus" => {
            let parsed = model::rdqmstatus::parse(&text);
            unrecognised(!parsed.nodes.is_empty() || !parsed.qmgrs.is_empty())?;
            serde_json::to_value(&parsed)
        }
        "rdqmstatus-n" => {
            let nodes = model::rdqmstatus::parse_nodes(&text);
            unrecognised(!nodes.is_empty())?;
            serde_json::to_value(json!({ "nodes": nodes }))
        }
        "dspmq" => {
            let parsed = model::dspmq::parse(&text);
            unrecognised(!parsed.qmgrs.is_empty())?;
            serde_json::to_value(&parsed)
        }
        "drbdadm-status" => {
            let parsed = model::drbd::parse(&text);
            unrecognised(!parsed.resources.is_empty())?;
            serde_json::to_value(&parsed)
        }
        "crm-mon" => {
            let parsed = model::crm::parse(&text);
            unrecognised(parsed.error.is_none() || !parsed.nodes.is_empty())?;
            serde_json::to_value(&parsed)
        }
        "runmqakm-list" => {
            let parsed = model::runmqakm::parse_list(&text);
            unrecognised(!parsed.certificates.is_empty() || text.contains("Certificates found"))?;
            serde_json::to_value(&parsed)
        }
        "runmqakm-details" => {
            let parsed = model::runmqakm::parse_details(&text);
            unrecognised(parsed.label.is_some())?;
            serde_json::to_value(&parsed)
        }
        "runmqsc" => {
            let parsed = model::mqsc::parse(&text);
            unrecognised(!parsed.objects.is_empty() || !parsed.errors.is_empty())?;
            serde_json::to_value(&parsed)
        }
        _ => Ok(mqipt_json(&text)),
    };
    Ok(value.unwrap_or_else(|e| json!({ "error": e.to_string() })))
}
