//! Ages and times as people read them.

/// "4 s", "2 min 5 s", "3 h 12 min".
pub fn age_text(ms: u64) -> String {
    let secs = ms / 1000;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// The browser's local time of day for a server timestamp, 24-hour (e.g. "03:12:45").
pub fn time_of_day(epoch_ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64));
    let two = |n: u32| format!("{n:02}");
    format!("{}:{}:{}", two(date.get_hours()), two(date.get_minutes()), two(date.get_seconds()))
}

/// Local date and time, e.g. "2026-11-22 03:12:45".
pub fn date_time(epoch_ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64));
    format!("{}-{:02}-{:02} {}", date.get_full_year(), date.get_month() + 1, date.get_date(), time_of_day(epoch_ms))
}
