//! Which console instance this is, and whether the store the instances share can be written
//! (read every few seconds by `live`): a short line in the header that opens onto the other
//! instances and which one leads, and a banner on every signed-in page while workflows cannot
//! run on this console. With a single console (SQLite) the header says nothing of it.

use crate::clock::time_of_day;
use crate::live::{StoreView, use_live};
use crate::router::encode;
use leptos::prelude::*;
use model::instance::{InstanceInfo, StoreKind};

/// A console's address as a link target: only a web address, never anything a browser
/// would run (`javascript:`) or take as a path of this site.
pub fn console_link(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let web = url.starts_with("http://") || url.starts_with("https://");
    let clean = !url.chars().any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '<' || c == '>');
    (web && clean).then(|| url.trim_end_matches('/').to_string())
}

fn kind_word(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Sqlite => "SQLite",
        StoreKind::Etcd => "etcd",
    }
}

/// The title of the header's line: this console, the others with their addresses, the leader.
pub fn store_title(view: &StoreView) -> String {
    let s = &view.status;
    let mut lines = vec![format!(
        "This console: {}{}. Store: {}, {}.",
        s.this.instance,
        s.this.url.as_deref().map(|u| format!(" ({u})")).unwrap_or_default(),
        kind_word(s.kind),
        if s.writable { "writable: workflows can run here" } else { "cannot be written: workflows cannot run here" }
    )];
    let others = view.others();
    if others.is_empty() {
        lines.push("No other console instance is running.".to_string());
    } else {
        let list: Vec<String> = others.iter().map(|i| format!("{}{}", i.instance, i.url.as_deref().map(|u| format!(" ({u})")).unwrap_or_default())).collect();
        let as_of = if view.instances_remembered { " (as last listed)" } else { "" };
        lines.push(format!("Other consoles{as_of}: {}.", list.join(", ")));
    }
    if let Some(leader) = view.leader() {
        lines.push(format!("Leader (approval expiry, scheduled drills): {leader}."));
    }
    lines.join("\n")
}

/// "Console wdc · etcd ✓" under the console's name in the header (with "store" for screen
/// readers), opening onto the instances.
#[component]
pub fn StoreIndicator() -> impl IntoView {
    let live = use_live();
    let shown = Memo::new(move |_| live.store.with(|s| s.as_ref().filter(|v| v.shared() || !v.status.writable).cloned()));
    move || {
        shown.get().map(|heard| {
            let writable = heard.status.writable;
            let title = store_title(&heard);
            let this = heard.status.this.instance.clone();
            let kind = kind_word(heard.status.kind);
            let state = if writable {
                view! { " " <span aria-hidden="true">"✓"</span> <span class="sr-only">"writable"</span> }.into_any()
            } else {
                view! { " " <span aria-hidden="true">"✖ "</span> "read-only" }.into_any()
            };
            view! {
                <details class="store-indicator">
                    <summary title=title class=if writable { "tone-good" } else { "tone-bad" }>
                        "Console " <strong>{this}</strong> " · " <span class="sr-only">"store "</span> {kind} {state}
                    </summary>
                    <InstancesPanel heard=heard />
                </details>
            }
        })
    }
}

/// Every instance alive, this one first, with its address and whether it leads.
#[component]
fn InstancesPanel(heard: StoreView) -> impl IntoView {
    let s = &heard.status;
    let leader = heard.leader().map(str::to_string);
    let state = if s.writable {
        format!("Workflows can run on this console: the {} store answers and this console holds its lease.", kind_word(s.kind))
    } else {
        format!("Workflows cannot run on this console now: {}.", s.problem.as_deref().map_or("the store cannot be written", |p| p.trim_end_matches('.')))
    };
    let row = |i: &InstanceInfo, this: bool| {
        let leads = leader.as_deref() == Some(i.instance.as_str());
        let link = console_link(i.url.as_deref());
        let name = match (&link, this) {
            (Some(href), false) => view! { <a href=href.clone() rel="external">{i.instance.clone()}</a> }.into_any(),
            _ => view! { <strong>{i.instance.clone()}</strong> }.into_any(),
        };
        view! {
            <li>
                {name}
                {this.then_some(" (this console)")}
                {leads.then_some(" · leads")}
                {link.map(|u| view! { " · " <span class="url">{u}</span> })}
                " · up since " {time_of_day(i.started_at)}
            </li>
        }
    };
    let this = row(&s.this, true);
    let others: Vec<_> = heard.others().into_iter().map(|i| row(i, false)).collect();
    let none = others.is_empty().then(|| view! { <li class="muted">"No other console instance is running."</li> });
    let remembered = heard.instances_remembered.then(|| view! { <p class="muted">"The store cannot list the instances now: the others are as last listed."</p> });
    view! {
        <div class="store-panel">
            <p>{state}</p>
            <ul aria-label="Console instances">{this} {others} {none}</ul>
            {remembered}
            {leader.map(|l| view! { <p class="muted">"The leader (" {l} ") expires approvals and starts scheduled drills."</p> })}
        </div>
    }
}

/// On every signed-in page while the store cannot be written here: what that means, that the
/// estate is still live, and what to do. It goes by itself when the store is writable again.
#[component]
pub fn StoreBanner() -> impl IntoView {
    let live = use_live();
    let blocked = Memo::new(move |_| live.store.with(|s| s.as_ref().is_some_and(|v| !v.status.writable)));
    let heard = move || live.store.get();
    let this = move || heard().map(|v| v.status.this.instance).unwrap_or_default();
    let problem = move || heard().and_then(|v| v.status.problem).map(|p| p.trim_end_matches('.').to_string()).unwrap_or_else(|| "the store cannot be written".into());
    let etcd = move || heard().is_some_and(|v| v.status.kind == StoreKind::Etcd);
    let others = move || {
        heard()
            .map(|v| v.others().into_iter().map(|i| (i.instance.clone(), console_link(i.url.as_deref()))).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let elsewhere = move || {
        let list = others();
        if list.is_empty() {
            return view! { " No other console instance is known to this one." }.into_any();
        }
        let links = list
            .into_iter()
            .enumerate()
            .map(|(n, (name, link))| {
                let sep = (n > 0).then_some(", ");
                match link {
                    Some(href) => view! { {sep} <a href=href rel="external">{name} " (" {href.clone()} ")"</a> }.into_any(),
                    None => view! { {sep} <strong>{name}</strong> }.into_any(),
                }
            })
            .collect_view();
        view! { " Meanwhile, use another console if its header says its store is writable: " {links} "." }.into_any()
    };
    view! {
        <Show when=move || blocked.get()>
            <div class="banner tone-bad store-banner" role="alert">
                <p>
                    <strong>"⚠ Workflows cannot run on this console (" {this} ") now:"</strong>
                    " it cannot write the store the consoles share. Plans, executions, approvals, resumes and rollbacks are refused until it can. "
                    "The estate shown is still live: this console keeps polling the hosts itself."
                </p>
                <p>
                    <strong>"What to do: "</strong>
                    {move || if etcd() {
                        "bring the etcd members back until a majority of them runs (2 of 3); workflows run here again by themselves, without a restart."
                    } else {
                        "make the console's store writable again; workflows run here again by themselves."
                    }}
                    {elsewhere}
                </p>
                <p class="store-problem">"Why, as this console sees it: " {problem} "."</p>
            </div>
        </Show>
    }
}

/// Whether runs' consoles are worth naming: several consoles share the store, or the run's
/// owner is not this console.
pub fn consoles_named(heard: Option<&StoreView>, owner: Option<&str>) -> bool {
    heard.is_some_and(|v| v.shared() || owner.is_some_and(|o| InstanceInfo::instance_of(o) != v.status.this.instance))
}

/// A run's console in words, and a link to it on that console when it is another one:
/// "executing on wdc (this console)", or "executing on wdc — open it there".
#[component]
pub fn RunConsole(#[prop(into)] words: String, owner: String, run_id: String) -> impl IntoView {
    let live = use_live();
    let instance = InstanceInfo::instance_of(&owner).to_string();
    let here = Memo::new({
        let instance = instance.clone();
        move |_| live.store.with(|s| s.as_ref().map(|v| v.status.this.instance == instance))
    });
    let elsewhere = Memo::new(move |_| {
        live.store.with(|s| {
            s.as_ref().and_then(|v| v.status.instances.iter().find(|i| i.instance == instance).and_then(|i| console_link(i.url.as_deref())))
        })
    });
    view! {
        {words}
        {move || match here.get() {
            Some(true) => view! { " (this console)" }.into_any(),
            Some(false) => match elsewhere.get() {
                Some(base) => {
                    let href = format!("{base}/runs/{}", encode(&run_id));
                    view! { " (another console: " <a href=href rel="external">"open it there"</a> ")" }.into_any()
                }
                None => view! { " (another console)" }.into_any(),
            },
            None => ().into_any(),
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::instance::StoreStatus;

    fn info(name: &str, url: Option<&str>) -> InstanceInfo {
        InstanceInfo { instance: name.into(), owner: format!("{name}/00000000000000a1"), url: url.map(Into::into), started_at: 0 }
    }

    fn status(writable: bool, instances: Vec<InstanceInfo>) -> StoreStatus {
        StoreStatus {
            kind: StoreKind::Etcd,
            this: info("wdc", Some("http://127.0.0.1:8443")),
            writable,
            problem: (!writable).then(|| "etcd has no quorum".into()),
            leader: Some("dal/00000000000000a1".into()),
            instances,
        }
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert_eq!(console_link(Some("https://dal.example:8443/")).as_deref(), Some("https://dal.example:8443"));
        assert_eq!(console_link(Some("http://127.0.0.1:43241")).as_deref(), Some("http://127.0.0.1:43241"));
        for bad in ["javascript:alert(1)", "/runs", "//evil.example", "http://a b", "", "http://x\"onmouseover=1"] {
            assert_eq!(console_link(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(console_link(None), None);
    }

    #[test]
    fn the_instances_last_listed_stay_when_the_store_cannot_list_them() {
        let both = vec![info("wdc", Some("http://127.0.0.1:8443")), info("dal", Some("http://127.0.0.1:8464"))];
        let first = StoreView::next(None, status(true, both.clone()));
        assert!(!first.instances_remembered);
        let lost = StoreView::next(Some(&first), status(false, Vec::new()));
        assert!(lost.instances_remembered);
        assert_eq!(lost.others().iter().map(|i| i.instance.as_str()).collect::<Vec<_>>(), ["dal"]);
        let back = StoreView::next(Some(&lost), status(true, both));
        assert!(!back.instances_remembered);
    }

    #[test]
    fn the_title_names_this_console_the_others_and_the_leader() {
        let view = StoreView::next(None, status(true, vec![info("wdc", None), info("dal", Some("http://127.0.0.1:8464"))]));
        let title = store_title(&view);
        assert!(title.contains("This console: wdc (http://127.0.0.1:8443)"), "{title}");
        assert!(title.contains("Other consoles: dal (http://127.0.0.1:8464)."), "{title}");
        assert!(title.contains("Leader (approval expiry, scheduled drills): dal."), "{title}");
        assert!(view.shared());
    }
}
