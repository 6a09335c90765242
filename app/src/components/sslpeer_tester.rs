//! "Would this certificate pass this SSLPEER?", answered as you type, in the browser, by the
//! same matcher the server uses (model::sslpeer, compiled into the app): no round trip, and
//! the answer says which attribute decides, as AMQ9636E would.

use crate::checks::Tone;
use crate::components::plan::unique_id;
use crate::html::Html;
use leptos::prelude::*;
use model::sslpeer::{self, MatchResult};

/// The tester's answer (escaped HTML): the verdict in words, then attribute by attribute.
fn answer_html(dn: &str, filter: &str) -> String {
    let mut h = Html::new();
    if dn.trim().is_empty() {
        h.el("p", "muted", "Type a certificate DN to test it.");
        return h.finish();
    }
    match sslpeer::matches(dn, filter) {
        Ok(MatchResult { matches, explanation, checks }) => {
            // The explanation starts with "matches" or "does not match": said once, capitalised.
            let mut text = explanation;
            if let Some(first) = text.get(..1).map(str::to_ascii_uppercase) {
                text.replace_range(..1, &first);
            }
            h.open("p", &[]).badge(if matches { Tone::Good } else { Tone::Bad }, &text).close("p");
            let rows: Vec<(&str, Vec<String>)> = checks
                .iter()
                .map(|c| {
                    let found = c.found.clone().unwrap_or_else(|| "(none)".into());
                    (if c.ok { "" } else { "problem" }, vec![c.filter.clone(), found, if c.ok { "✓ matches".into() } else { "✖ does not match".into() }])
                })
                .collect();
            if !rows.is_empty() {
                h.table("data sslpeer-checks", "Attribute by attribute", &["Filter asks for", "Certificate has", "Result"], &rows);
            }
        }
        Err(e) => {
            h.open("p", &[]).badge(Tone::Warn, &format!("Cannot be read: {e}")).close("p");
        }
    }
    h.finish()
}

fn options_html(values: &[String]) -> String {
    let mut h = Html::new();
    for v in values {
        h.open("option", &[("value", v)]).close("option");
    }
    h.finish()
}

/// `dns`: the certificate DNs known to the inventory (offered as you type); `filters`: the
/// SSLPEER values of the channels. Starts with the first of each filled in.
#[component]
pub fn SslPeerTester(dns: Vec<String>, filters: Vec<String>) -> impl IntoView {
    let dn = RwSignal::new(dns.first().cloned().unwrap_or_default());
    let filter = RwSignal::new(filters.first().cloned().unwrap_or_default());
    let answer = move || dn.with(|d| filter.with(|f| answer_html(d, f)));
    let (dn_id, filter_id, dn_list, filter_list) = (unique_id("peer-dn"), unique_id("peer-filter"), unique_id("peer-dns"), unique_id("peer-filters"));
    view! {
        <form class="sslpeer-tester" on:submit=|ev| ev.prevent_default()>
            <label for=dn_id.clone()>"Certificate DN (as MQ shows the peer: SERIALNUMBER=…,CN=…)"</label>
            <input id=dn_id type="text" list=dn_list.clone() spellcheck="false" autocomplete="off" bind:value=dn />
            <datalist id=dn_list inner_html=options_html(&dns)></datalist>
            <label for=filter_id.clone()>"SSLPEER filter"</label>
            <input id=filter_id type="text" list=filter_list.clone() spellcheck="false" autocomplete="off" bind:value=filter />
            <datalist id=filter_list inner_html=options_html(&filters)></datalist>
        </form>
        <div class="sslpeer-answer" role="status" aria-live="polite" inner_html=answer></div>
    }
}
