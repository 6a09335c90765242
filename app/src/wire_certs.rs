//! The certificate inventory as the browser reads it: straight from the parsed JSON (field by
//! field through `Reflect`) into `model::certs`' types. Derived deserializers for these types
//! cost the bundle ~3 KB (brotli) more; the page that shows them is the bundle's newest and the
//! budget is nearly spent. Findings are read by the same serde code that reads the estate's.
//! Checked end to end by the Playwright test of the certificates page.

use js_sys::{Array, Reflect};
use model::certs::{CertInventory, CertView, ChannelStatusView, ChannelView, Purpose, StoreError};
use wasm_bindgen::JsValue;

fn field(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn text(object: &JsValue, key: &str) -> Result<String, String> {
    field(object, key).as_string().ok_or_else(|| format!("\"{key}\" is missing or not text"))
}

fn optional_text(object: &JsValue, key: &str) -> Option<String> {
    field(object, key).as_string()
}

fn flag(object: &JsValue, key: &str) -> Result<bool, String> {
    field(object, key).as_bool().ok_or_else(|| format!("\"{key}\" is missing or not true/false"))
}

/// A whole number ≥ 0 (milliseconds, bits); anything else is no number.
fn number(object: &JsValue, key: &str) -> Option<u64> {
    field(object, key).as_f64().filter(|n| *n >= 0.0 && n.fract() == 0.0).map(|n| n as u64)
}

fn items(object: &JsValue, key: &str) -> Vec<JsValue> {
    let value = field(object, key);
    if Array::is_array(&value) { Array::from(&value).iter().collect() } else { Vec::new() }
}

fn purpose(object: &JsValue) -> Result<Purpose, String> {
    let p = field(object, "purpose");
    Ok(match text(&p, "type")?.as_str() {
        "qmgr-key-repository" => Purpose::QmgrKeyRepository { qmgr: text(&p, "qmgr")? },
        "mqipt-server" => Purpose::MqiptServer { instance: text(&p, "instance")? },
        "mqipt-client" => Purpose::MqiptClient { instance: text(&p, "instance")? },
        "replication" => Purpose::Replication { node: text(&p, "node")? },
        other => return Err(format!("a certificate store of an unknown kind ({other:?})")),
    })
}

fn certificate(c: &JsValue) -> Result<CertView, String> {
    Ok(CertView {
        host: text(c, "host")?,
        store: text(c, "store")?,
        purpose: purpose(c)?,
        label: text(c, "label")?,
        personal: flag(c, "personal")?,
        trusted: flag(c, "trusted")?,
        subject: text(c, "subject")?,
        issuer: text(c, "issuer")?,
        serial: text(c, "serial")?,
        key_bits: number(c, "key_bits").map(|b| b as u32),
        signature: optional_text(c, "signature"),
        not_before: number(c, "not_before"),
        not_after: number(c, "not_after"),
        san_dns: items(c, "san_dns").iter().filter_map(JsValue::as_string).collect(),
    })
}

fn channel(c: &JsValue) -> Result<ChannelView, String> {
    let status = field(c, "status");
    let status = if status.is_object() {
        Some(ChannelStatusView { status: text(&status, "status")?, conname: text(&status, "conname")?, sslpeer: text(&status, "sslpeer")?, sslcerti: text(&status, "sslcerti")? })
    } else {
        None
    };
    Ok(ChannelView {
        host: text(c, "host")?,
        qmgr: text(c, "qmgr")?,
        name: text(c, "name")?,
        chltype: text(c, "chltype")?,
        sslciph: text(c, "sslciph")?,
        sslcauth: text(c, "sslcauth")?,
        sslpeer: text(c, "sslpeer")?,
        certlabl: text(c, "certlabl")?,
        status,
    })
}

/// `GET /api/certificates`' JSON, as parsed by the browser. Says which entry it could not read.
pub fn inventory(value: &JsValue) -> Result<CertInventory, String> {
    fn at(what: &'static str, i: usize) -> impl Fn(String) -> String {
        move |e| format!("{what} {}: {e}", i + 1)
    }
    let mut certificates = Vec::new();
    for (i, c) in items(value, "certificates").iter().enumerate() {
        certificates.push(certificate(c).map_err(at("certificate", i))?);
    }
    let mut channels = Vec::new();
    for (i, c) in items(value, "channels").iter().enumerate() {
        channels.push(channel(c).map_err(at("channel", i))?);
    }
    let mut errors = Vec::new();
    for (i, e) in items(value, "errors").iter().enumerate() {
        let read = || Ok::<_, String>(StoreError { host: text(e, "host")?, store: text(e, "store")?, error: text(e, "error")? });
        errors.push(read().map_err(at("store error", i))?);
    }
    let findings = serde_wasm_bindgen::from_value(field(value, "findings")).map_err(|e| format!("findings: {e}"))?;
    let collected_at = number(value, "collected_at").ok_or("\"collected_at\" is missing or not a time")?;
    Ok(CertInventory { collected_at, certificates, channels, errors, findings })
}
