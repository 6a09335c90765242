//! "Copy" buttons for commands a person must run: the clipboard when the browser offers it,
//! and a plain statement when it does not (the text is on screen to select by hand).

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};

/// Puts `text` on the clipboard; the error says why not.
async fn write_clipboard(text: &str) -> Result<(), String> {
    let navigator = window().navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard")).map_err(|_| "no clipboard".to_string())?;
    if clipboard.is_undefined() || clipboard.is_null() {
        return Err("this browser offers no clipboard here".into());
    }
    let write = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| "this browser cannot write text to the clipboard".to_string())?;
    let promise = write
        .call1(&clipboard, &JsValue::from_str(text))
        .map_err(|_| "the clipboard refused".to_string())?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| "the clipboard did not answer".to_string())?;
    wasm_bindgen_futures::JsFuture::from(promise).await.map(|_| ()).map_err(|_| "the clipboard refused".to_string())
}

#[component]
pub fn CopyButton(#[prop(into)] text: String, #[prop(into)] label: String) -> impl IntoView {
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let text = StoredValue::new(text);
    let copy = move |_| {
        spawn_local(async move {
            let result = write_clipboard(&text.get_value()).await;
            outcome.set(Some(result));
        });
    };
    view! {
        <button type="button" class="copy" on:click=copy>{label}</button>
        {move || outcome.get().map(|o| match o {
            Ok(()) => view! { <span role="status" class="copied">"✓ Copied"</span> }.into_any(),
            Err(e) => view! { <span role="alert" class="inline-alert tone-warn">{format!("⚠ Not copied ({e}): select the text and copy it by hand")}</span> }.into_any(),
        })}
    }
}
