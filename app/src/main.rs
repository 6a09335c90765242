//! The rdqm-console browser app: a Leptos single-page app, client-side rendered. All server
//! traffic goes through `api`; `session` and `live` hold who is signed in, the estate and the
//! runs as last heard; `router` follows the address bar; one module per page under `pages/`,
//! shared pieces under `components/`.

mod api;
mod checks;
mod clock;
mod components;
mod live;
mod pages;
mod router;
mod session;
mod text_fit;
mod words;

use leptos::prelude::*;
use router::Route;

fn main() {
    // A panic stops the app (panic = "abort"): say why in the browser's console first.
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&format!("rdqm-console: {info}").into())));
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    router::provide_router();
    let session = session::provide_session();
    live::provide_live(session);
    components::plan::provide_planner();
    components::estate_map::provide_map_choices();
    let route = router::use_router().route();
    move || match route.get() {
        Route::Estate => view! { <pages::estate::EstatePage /> }.into_any(),
        Route::SignIn => view! { <pages::sign_in::SignInPage /> }.into_any(),
        Route::QueueManager(name) => view! { <pages::queue_manager::QueueManagerPage name=name /> }.into_any(),
        Route::Routes => view! { <pages::routes::RoutesPage /> }.into_any(),
        Route::Certificates => view! { <pages::certificates::CertificatesPage /> }.into_any(),
        Route::Runs => view! { <pages::runs::RunsPage /> }.into_any(),
        Route::Run(id) => view! { <pages::run::RunPage id=id /> }.into_any(),
        Route::Drills => view! { <pages::drills::DrillsPage /> }.into_any(),
        Route::Drill(id) => view! { <pages::drill::DrillPage id=id /> }.into_any(),
        Route::NotFound => view! { <pages::not_found::NotFoundPage /> }.into_any(),
    }
}
