//! The table of certificates, as HTML text: one row per certificate entry of each store, its
//! expiry in words, where it is held, and its problems. The column buttons carry
//! `data-sort`; the page listens for their clicks (one listener for the whole table).

use crate::checks::Tone;
use crate::clock::date_time;
use crate::components::badge::severity_tone;
use crate::components::expiry_timeline::expiry;
use crate::html::Html;
use crate::small_sort::sort_by;
use model::certs::{CertInventory, CertView, Purpose};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Expiry,
    Label,
    Host,
}

impl SortKey {
    pub const ALL: [SortKey; 3] = [SortKey::Expiry, SortKey::Label, SortKey::Host];

    /// The `data-sort` value of its column's button.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Expiry => "expiry",
            SortKey::Label => "label",
            SortKey::Host => "host",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            SortKey::Expiry => "Expires",
            SortKey::Label => "Label",
            SortKey::Host => "Host and store",
        }
    }
}

/// How the table is sorted: by which column, ascending or not.
pub type Sort = (SortKey, bool);

/// A click on `key`'s button: the same column turns around, another starts ascending.
pub fn next_sort((current, ascending): Sort, key: SortKey) -> Sort {
    if current == key { (key, !ascending) } else { (key, true) }
}

pub fn purpose_text(p: &Purpose) -> String {
    match p {
        Purpose::QmgrKeyRepository { qmgr } => format!("key repository of {qmgr}"),
        Purpose::MqiptServer { instance } => format!("MQIPT {instance} server keystore"),
        Purpose::MqiptClient { instance } => format!("MQIPT {instance} client keystore"),
        Purpose::Replication { node } => format!("replication certificates of {node} (tlshd)"),
    }
}

pub fn sorted(certs: &[CertView], (key, ascending): Sort) -> Vec<&CertView> {
    let mut rows: Vec<&CertView> = certs.iter().collect();
    sort_by(&mut rows, |a, b| match key {
        // Unknown expiry sorts last: it is not "soonest".
        SortKey::Expiry => a.not_after.unwrap_or(u64::MAX).cmp(&b.not_after.unwrap_or(u64::MAX)),
        SortKey::Host => (&a.host, &a.store, &a.label).cmp(&(&b.host, &b.store, &b.label)),
        SortKey::Label => a.label.to_lowercase().cmp(&b.label.to_lowercase()),
    });
    if !ascending {
        rows.reverse();
    }
    rows
}

fn problem_word(code: &str) -> &'static str {
    match code {
        "cert_expired" => "expired",
        "cert_expiring" => "expires soon",
        "cert_hostname" => "host name missing from SAN",
        "cert_untrusted" => "issuer not trusted by its peers",
        "cert_weak_key" => "weak key",
        "cert_weak_signature" => "weak signature",
        _ => "see findings",
    }
}

/// The whole table, sorted as `sort` says.
pub fn table_html(h: &mut Html, inv: &CertInventory, sort: Sort, now_ms: u64) {
    h.open("table", &[("class", "data certs-table")]);
    h.el("caption", "", "Every certificate entry of every store. Sort with a column's button.");
    h.open("thead", &[]).open("tr", &[]);
    for key in SortKey::ALL {
        let (aria, arrow) = match sort {
            (k, true) if k == key => ("ascending", " ▲"),
            (k, false) if k == key => ("descending", " ▼"),
            _ => ("none", " ↕"),
        };
        h.open("th", &[("scope", "col"), ("aria-sort", aria)]);
        h.open("button", &[("type", "button"), ("class", "sort"), ("id", &format!("sort-{}", key.name())), ("data-sort", key.name())]).text(key.heading());
        h.open("span", &[("aria-hidden", "true")]).text(arrow).close("span").close("button").close("th");
    }
    for col in ["Subject, issued by", "Key, signature, host names (SAN)", "Problems"] {
        h.open("th", &[("scope", "col")]).text(col).close("th");
    }
    h.close("tr").close("thead").open("tbody", &[]);
    for c in sorted(&inv.certificates, sort) {
        row_html(h, inv, c, now_ms);
    }
    h.close("tbody").close("table");
}

fn row_html(h: &mut Html, inv: &CertInventory, c: &CertView, now_ms: u64) {
    let subject = format!("{}:{}", c.host, c.label);
    let problems: Vec<_> = inv.findings.iter().filter(|f| f.subject == subject && f.code.starts_with("cert_")).collect();
    let (tone, words) = expiry(c.not_after, now_ms);
    h.open("tr", &[("class", if problems.is_empty() { "" } else { "problem" })]);
    h.open("td", &[]).el("span", "date", &c.not_after.map(date_time).unwrap_or_default()).text(" ").badge(tone, &words).close("td");
    h.open("th", &[("scope", "row")]).text(&c.label).el("span", "muted", if c.personal { " personal" } else { " signer (trusted)" }).close("th");
    h.open("td", &[("class", "store")]).el("strong", "", &c.host).text(", ").text(&purpose_text(&c.purpose)).open("br", &[]).el("code", "path", &c.store).close("td");
    h.open("td", &[("class", "dn")]).text(&c.subject).open("br", &[]).el("span", "muted", "issued by ").text(&c.issuer).close("td");
    let key = c.key_bits.map_or("key size not known".to_string(), |b| format!("{b}-bit"));
    let san = if c.san_dns.is_empty() { "none".to_string() } else { c.san_dns.join(", ") };
    h.el("td", "", &format!("{key}, {}; SAN: {san}", c.signature.as_deref().unwrap_or("signature not known")));
    h.open("td", &[("class", "wrap")]);
    if problems.is_empty() {
        h.badge(Tone::Good, "none found");
    }
    for f in problems {
        h.badge(severity_tone(f.severity), problem_word(&f.code)).text(" ");
    }
    h.close("td").close("tr");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(label: &str, host: &str, not_after: Option<u64>) -> CertView {
        CertView {
            host: host.into(),
            store: "/k.kdb".into(),
            purpose: Purpose::QmgrKeyRepository { qmgr: "QM".into() },
            label: label.into(),
            personal: true,
            trusted: false,
            subject: format!("CN={label}"),
            issuer: "CN=CA".into(),
            serial: "01".into(),
            key_bits: Some(2048),
            signature: None,
            not_before: None,
            not_after,
            san_dns: Vec::new(),
        }
    }

    #[test]
    fn expiry_sorts_soonest_first_and_unknown_last_then_turns_around() {
        let certs = [cert("b", "h2", Some(30)), cert("a", "h1", None), cert("c", "h3", Some(10))];
        let labels = |sort| sorted(&certs, sort).iter().map(|c| c.label.clone()).collect::<Vec<_>>();
        assert_eq!(labels((SortKey::Expiry, true)), ["c", "b", "a"]);
        assert_eq!(labels((SortKey::Expiry, false)), ["a", "b", "c"]);
        assert_eq!(labels((SortKey::Label, true)), ["a", "b", "c"]);
        assert_eq!(labels((SortKey::Host, false)), ["c", "b", "a"]);
    }

    #[test]
    fn clicking_a_column_sorts_by_it_and_again_turns_it_around() {
        assert_eq!(next_sort((SortKey::Expiry, true), SortKey::Expiry), (SortKey::Expiry, false));
        assert_eq!(next_sort((SortKey::Expiry, false), SortKey::Host), (SortKey::Host, true));
    }
}
