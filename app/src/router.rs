//! A small router: the address bar's path and query as signals, shared through Leptos context;
//! same-origin links that stay in the app (HTML and SVG alike, through one listener on the
//! window), back and forward, and a typed match of the paths.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The pages of the app, as matched from the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Estate,
    SignIn,
    QueueManager(String),
    Routes,
    Certificates,
    Runs,
    Run(String),
    Drills,
    /// A drill's report, by its run's id.
    Drill(String),
    NotFound,
}

/// `/queue-managers/DRHAQM1` → `QueueManager("DRHAQM1")`; segments are percent-decoded.
pub fn match_path(path: &str, decode: impl Fn(&str) -> String) -> Route {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match segments.as_slice() {
        [] | [""] => Route::Estate,
        ["sign-in"] => Route::SignIn,
        ["routes"] => Route::Routes,
        ["certificates"] => Route::Certificates,
        ["runs"] => Route::Runs,
        ["runs", id] if !id.is_empty() => Route::Run(decode(id)),
        ["drills"] => Route::Drills,
        ["drills", id] if !id.is_empty() => Route::Drill(decode(id)),
        ["queue-managers", name] if !name.is_empty() => Route::QueueManager(decode(name)),
        _ => Route::NotFound,
    }
}

/// One value of a query string (`?next=%2Froutes` → `/routes`).
pub fn query_value(search: &str, key: &str, decode: impl Fn(&str) -> String) -> Option<String> {
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k) == key).then(|| decode(&v.replace('+', " ")))
    })
}

fn decode(text: &str) -> String {
    js_sys::decode_uri_component(text).ok().and_then(|s| s.as_string()).unwrap_or_else(|| text.to_string())
}

/// Percent-encodes one path segment or query value.
pub fn encode(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}

/// The address bar as the app follows it: one for the whole app, from [`use_router`].
#[derive(Clone, Copy)]
pub struct Router {
    pub path: RwSignal<String>,
    pub search: RwSignal<String>,
}

fn read() -> (String, String) {
    let location = window().location();
    (location.pathname().unwrap_or_else(|_| "/".into()), location.search().unwrap_or_default())
}

/// Starts following the address bar (once, at start-up) and provides the router to the app.
pub fn provide_router() -> Router {
    let (path, search) = read();
    let router = Router { path: RwSignal::new(path), search: RwSignal::new(search) };
    provide_context(router);
    // The listeners live as long as the page: their handles are simply not kept.
    let _ = window_event_listener(leptos::ev::popstate, move |_| {
        let (path, search) = read();
        router.path.set(path);
        router.search.set(search);
    });
    let _ = window_event_listener(leptos::ev::click, move |ev| on_click(router, ev));
    router
}

/// The app's router (provided at start-up, before any page).
pub fn use_router() -> Router {
    expect_context::<Router>()
}

impl Router {
    /// The page the path names (changes only when the page does, not on every query change).
    pub fn route(self) -> Memo<Route> {
        Memo::new(move |_| self.path.with(|p| match_path(p, decode)))
    }

    /// A value of the current query string.
    pub fn query(self, key: &str) -> Option<String> {
        self.search.with_untracked(|s| query_value(s, key, decode))
    }

    /// Goes to `to` (a path in the app, with an optional query) without reloading the page;
    /// anything but a path of this site goes to the start page instead.
    pub fn navigate(self, to: &str, replace: bool) {
        let to = same_site_path(to).unwrap_or("/");
        let Ok(history) = window().history() else { return };
        let done = if replace {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
        } else {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
        };
        if done.is_err() {
            let _ = window().location().set_href(to);
            return;
        }
        let (path, search) = read();
        let page_changed = self.path.get_untracked() != path;
        self.search.set(search);
        self.path.set(path);
        if page_changed {
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
    }
}

/// `next` when it is a path of this site (`/routes?x=1`), never anything a browser would
/// take to another origin (`//evil`, `/\\evil`, `https://…`, control characters).
pub fn same_site_path(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let starts_as_path = chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'));
    let clean = !next.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    (starts_as_path && clean).then_some(next)
}

/// A plain left click on a link to a path of the app: handled here, not by a page load.
fn on_click(router: Router, ev: web_sys::MouseEvent) {
    if ev.default_prevented() || ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() {
        return;
    }
    let Some(link) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).and_then(|e| e.closest("a").ok().flatten()) else {
        return;
    };
    let Some(href) = link.get_attribute("href") else { return };
    let own_window = link.get_attribute("target").is_none_or(|t| t.is_empty() || t == "_self");
    let external = link.get_attribute("rel").is_some_and(|r| r.split_whitespace().any(|w| w == "external"));
    if !href.starts_with('/') || href.starts_with("//") || !own_window || external || link.has_attribute("download") {
        return;
    }
    ev.prevent_default();
    router.navigate(&href, false);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(text: &str) -> String {
        text.replace("%2F", "/")
    }

    #[test]
    fn paths_name_their_pages() {
        assert_eq!(match_path("/", same), Route::Estate);
        assert_eq!(match_path("/routes/", same), Route::Routes);
        assert_eq!(match_path("/queue-managers/DRHAQM1", same), Route::QueueManager("DRHAQM1".into()));
        assert_eq!(match_path("/runs/00ab", same), Route::Run("00ab".into()));
        assert_eq!(match_path("/runs", same), Route::Runs);
        assert_eq!(match_path("/certificates", same), Route::Certificates);
        assert_eq!(match_path("/drills", same), Route::Drills);
        assert_eq!(match_path("/drills/", same), Route::Drills);
        assert_eq!(match_path("/drills/00ab", same), Route::Drill("00ab".into()));
        assert_eq!(match_path("/drills/a%2Fb", same), Route::Drill("a/b".into()));
        assert_eq!(match_path("/drills/00ab/report.html", same), Route::NotFound);
        assert_eq!(match_path("/no/such/page", same), Route::NotFound);
        assert_eq!(match_path("/queue-managers/", same), Route::NotFound);
    }

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for good in ["/", "/routes", "/queue-managers/DRHAQM1?x=1", "/runs/abc#top"] {
            assert_eq!(same_site_path(good), Some(good));
        }
        for bad in ["//evil.example", "/\\evil.example", "/\\/evil", "https://evil.example", "evil", "", "/a b", "/\tx", "javascript:alert(1)"] {
            assert_eq!(same_site_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(query_value("?next=%2Froutes&x=1", "next", same).as_deref(), Some("/routes"));
        assert_eq!(query_value("?x=1", "next", same), None);
    }
}
