//! The rdqm-console browser app: a Leptos single-page app, client-side rendered. All server
//! traffic goes through `api`; `session` and `live` hold who is signed in and the estate as
//! last heard; one module per page under `pages/`, shared pieces under `components/`.

mod api;
mod checks;
mod clock;
mod components;
mod live;
mod pages;
mod session;
mod text_fit;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let session = session::provide_session();
    live::provide_live(session);
    view! {
        <Router>
            <Routes fallback=pages::not_found::NotFoundPage>
                <Route path=path!("/") view=pages::estate::EstatePage />
                <Route path=path!("/sign-in") view=pages::sign_in::SignInPage />
                <Route path=path!("/queue-managers/:name") view=pages::queue_manager::QueueManagerPage />
                <Route path=path!("/routes") view=pages::routes::RoutesPage />
            </Routes>
        </Router>
    }
}
