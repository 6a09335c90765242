//! The table of certificates: one row per certificate entry of each store, its expiry in
//! words, where it is held, its problems, the rotation that made it, and what can be done
//! with it (rotate, retire: each opens the plan preview). Sorting moves the rows (keyed by
//! entry) and leaves the column buttons where they are, so the keyboard focus stays on the
//! one pressed.

use crate::checks::Tone;
use crate::clock::date_time;
use crate::components::cert_actions::{CertActions, Rotated, made_by, retirable, rotation_proposed};
use crate::router::encode;
use crate::components::badge::severity_tone;
use crate::components::expiry_timeline::expiry;
use crate::components::badge::Badge;
use leptos::prelude::*;
use model::certs::{CertInventory, CertView, Purpose};
use model::estate::FindingCode;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Expiry,
    Label,
    Host,
}

impl SortKey {
    pub const ALL: [SortKey; 3] = [SortKey::Expiry, SortKey::Label, SortKey::Host];

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

pub fn sorted(certs: &[CertView], sort: Sort) -> Vec<&CertView> {
    sorted_indices(certs, sort).into_iter().map(|i| &certs[i]).collect()
}

/// The positions of `certs` in the order `sort` says.
pub fn sorted_indices(certs: &[CertView], (key, ascending): Sort) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..certs.len()).collect();
    // Stable: entries that compare equal keep the inventory's order.
    rows.sort_by(|a, b| {
        let (a, b) = (&certs[*a], &certs[*b]);
        match key {
            // Unknown expiry sorts last: it is not "soonest".
            SortKey::Expiry => a.not_after.unwrap_or(u64::MAX).cmp(&b.not_after.unwrap_or(u64::MAX)),
            SortKey::Host => (&a.host, &a.store, &a.label).cmp(&(&b.host, &b.store, &b.label)),
            SortKey::Label => a.label.to_lowercase().cmp(&b.label.to_lowercase()),
        }
    });
    if !ascending {
        rows.reverse();
    }
    rows
}

fn problem_word(code: FindingCode) -> &'static str {
    match code {
        FindingCode::CertExpired => "expired",
        FindingCode::CertExpiring => "expires soon",
        FindingCode::CertHostname => "host name missing from SAN",
        FindingCode::CertUntrusted => "issuer not trusted by its peers",
        FindingCode::CertWeakKey => "weak key",
        FindingCode::CertWeakSignature => "weak signature",
        FindingCode::CertRotationDue => "rotation due",
        _ => "see findings",
    }
}

/// The whole table, sorted as `sort` says; the column buttons change it.
#[component]
pub fn CertTable(inventory: Arc<CertInventory>, sort: RwSignal<Sort>, now_ms: u64, rotated: Memo<Vec<Rotated>>) -> impl IntoView {
    let order = {
        let inventory = Arc::clone(&inventory);
        move || sort.with(|s| sorted_indices(&inventory.certificates, *s))
    };
    view! {
        <table class="data certs-table">
            <caption>"Every certificate entry of every store. Sort with a column's button."</caption>
            <thead>
                <tr>
                    {SortKey::ALL.into_iter().map(|key| view! { <SortHeader key=key sort=sort /> }).collect_view()}
                    {["Subject, issued by", "Key, signature, host names (SAN)", "Problems", "Actions"].map(|c| view! { <th scope="col">{c}</th> }).collect_view()}
                </tr>
            </thead>
            <tbody>
                // The inventory does not change under this table: an entry's position is its key.
                <For
                    each=order
                    key=|i| *i
                    children=move |i| view! { <CertRow inventory=Arc::clone(&inventory) index=i now_ms=now_ms rotated=rotated /> }
                />
            </tbody>
        </table>
    }
}

#[component]
fn SortHeader(key: SortKey, sort: RwSignal<Sort>) -> impl IntoView {
    let state = move || match sort.get() {
        (k, true) if k == key => ("ascending", " ▲"),
        (k, false) if k == key => ("descending", " ▼"),
        _ => ("none", " ↕"),
    };
    view! {
        <th scope="col" aria-sort=move || state().0>
            <button type="button" class="sort" on:click=move |_| sort.update(|s| *s = next_sort(*s, key))>
                {key.heading()}
                <span aria-hidden="true">{move || state().1}</span>
            </button>
        </th>
    }
}

#[component]
fn CertRow(inventory: Arc<CertInventory>, index: usize, now_ms: u64, rotated: Memo<Vec<Rotated>>) -> impl IntoView {
    let c = &inventory.certificates[index];
    let proposed = rotation_proposed(&inventory, c, now_ms);
    let retire = retirable(&inventory, c);
    let made = {
        let c = c.clone();
        move || {
            rotated.with(|r| made_by(r, &c).cloned()).map(|r| {
                let href = format!("/runs/{}", encode(&r.run_id));
                view! {
                    <br />
                    <a class="rotated-mark" href=href>{format!("↻ made by rotating {}, {}", r.old_label, date_time(r.at))}</a>
                }
            })
        }
    };
    let subject = format!("{}:{}", c.host, c.label);
    let problems: Vec<_> = inventory
        .findings
        .iter()
        .filter(|f| f.subject == subject && f.code.is_about_a_certificate())
        .map(|f| (severity_tone(f.severity), problem_word(f.code)))
        .collect();
    let (tone, words) = expiry(c.not_after, now_ms);
    let key = c.key_bits.map_or("key size not known".to_string(), |b| format!("{b}-bit"));
    let san = if c.san_dns.is_empty() { "none".to_string() } else { c.san_dns.join(", ") };
    let key_text = format!("{key}, {}; SAN: {san}", c.signature.as_deref().unwrap_or("signature not known"));
    let problem = !problems.is_empty();
    let problem_badges = if problems.is_empty() {
        view! { <Badge tone=Tone::Good text="none found" /> }.into_any()
    } else {
        problems.into_iter().map(|(tone, word)| view! { <Badge tone=tone text=word /> " " }).collect_view().into_any()
    };
    view! {
        <tr class:problem=problem>
            <td><span class="date">{c.not_after.map(date_time).unwrap_or_default()}</span> " " <Badge tone=tone text=words /></td>
            <th scope="row">{c.label.clone()}<span class="muted">{if c.personal { " personal" } else { " signer (trusted)" }}</span>{made}</th>
            <td class="store"><strong>{c.host.clone()}</strong> ", " {purpose_text(&c.purpose)}<br /><code class="path">{c.store.clone()}</code></td>
            <td class="dn">{c.subject.clone()}<br /><span class="muted">"issued by "</span>{c.issuer.clone()}</td>
            <td>{key_text}</td>
            <td class="wrap">{problem_badges}</td>
            <td><CertActions cert=c.clone() proposed=proposed retire=retire /></td>
        </tr>
    }
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
