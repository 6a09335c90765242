//! "Would this certificate pass this SSLPEER?", answered as you type, in the browser, by the
//! same matcher the server uses (model::sslpeer, compiled into the app): no round trip, and
//! the answer says which attribute decides, as AMQ9636E would.

use crate::checks::Tone;
use crate::components::badge::Badge;
use crate::components::data_table::{DataTable, TextRow};
use crate::components::plan::unique_id;
use leptos::prelude::*;
use model::sslpeer::{self, MatchResult};

/// The tester's answer: the verdict in words, then attribute by attribute.
#[component]
fn Answer(dn: String, filter: String) -> impl IntoView {
    if dn.trim().is_empty() {
        return view! { <p class="muted">"Type a certificate DN to test it."</p> }.into_any();
    }
    match sslpeer::matches(&dn, &filter) {
        Ok(MatchResult { matches, explanation, checks }) => {
            // The explanation starts with "matches" or "does not match": said once, capitalised.
            let mut text = explanation;
            if let Some(first) = text.get(..1).map(str::to_ascii_uppercase) {
                text.replace_range(..1, &first);
            }
            let rows: Vec<TextRow> = checks
                .iter()
                .map(|c| {
                    let found = c.found.clone().unwrap_or_else(|| "(none)".into());
                    TextRow::problem(!c.ok, vec![c.filter.clone(), found, if c.ok { "✓ matches".into() } else { "✖ does not match".into() }])
                })
                .collect();
            view! {
                <p><Badge tone=if matches { Tone::Good } else { Tone::Bad } text=text /></p>
                {(!rows.is_empty()).then(|| view! {
                    <DataTable class="sslpeer-checks" caption="Attribute by attribute" columns=&["Filter asks for", "Certificate has", "Result"] rows=rows />
                })}
            }
            .into_any()
        }
        Err(e) => view! { <p><Badge tone=Tone::Warn text=format!("Cannot be read: {e}") /></p> }.into_any(),
    }
}

/// `dns`: the certificate DNs known to the inventory (offered as you type); `filters`: the
/// SSLPEER values of the channels. Starts with the first of each filled in.
#[component]
pub fn SslPeerTester(dns: Vec<String>, filters: Vec<String>) -> impl IntoView {
    let dn = RwSignal::new(dns.first().cloned().unwrap_or_default());
    let filter = RwSignal::new(filters.first().cloned().unwrap_or_default());
    let answer = move || view! { <Answer dn=dn.get() filter=filter.get() /> };
    let options = |values: Vec<String>| values.into_iter().map(|v| view! { <option value=v></option> }).collect_view();
    let (dn_id, filter_id, dn_list, filter_list) = (unique_id("peer-dn"), unique_id("peer-filter"), unique_id("peer-dns"), unique_id("peer-filters"));
    view! {
        <form class="sslpeer-tester" on:submit=|ev| ev.prevent_default()>
            <label for=dn_id.clone()>"Certificate DN (as MQ shows the peer: SERIALNUMBER=…,CN=…)"</label>
            <input id=dn_id type="text" list=dn_list.clone() spellcheck="false" autocomplete="off" bind:value=dn />
            <datalist id=dn_list>{options(dns)}</datalist>
            <label for=filter_id.clone()>"SSLPEER filter"</label>
            <input id=filter_id type="text" list=filter_list.clone() spellcheck="false" autocomplete="off" bind:value=filter />
            <datalist id=filter_list>{options(filters)}</datalist>
        </form>
        <div class="sslpeer-answer" role="status" aria-live="polite">{answer}</div>
    }
}
