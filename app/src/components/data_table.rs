//! A table of text: a caption, column headings, then rows whose first cell heads the row.
//! For tables whose cells are plain words (fields, properties, resources); tables with
//! badges or links write their own rows.

use leptos::prelude::*;

/// One row: its cells as text, and whether it shows a problem (marked by its class).
#[derive(Clone, Debug, PartialEq)]
pub struct TextRow {
    pub problem: bool,
    pub cells: Vec<String>,
}

impl TextRow {
    pub fn new(cells: Vec<String>) -> Self {
        TextRow { problem: false, cells }
    }

    pub fn problem(problem: bool, cells: Vec<String>) -> Self {
        TextRow { problem, cells }
    }
}

#[component]
pub fn DataTable(
    /// The table's class besides `data`.
    #[prop(optional)]
    class: &'static str,
    #[prop(into)] caption: String,
    columns: &'static [&'static str],
    rows: Vec<TextRow>,
) -> impl IntoView {
    let class = if class.is_empty() { "data".to_string() } else { format!("data {class}") };
    view! {
        <table class=class>
            <caption>{caption}</caption>
            <thead>
                <tr>{columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}</tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|row| {
                        let mut cells = row.cells.into_iter();
                        let head = cells.next().unwrap_or_default();
                        view! {
                            <tr class:problem=row.problem>
                                <th scope="row">{head}</th>
                                {cells.map(|cell| view! { <td>{cell}</td> }).collect_view()}
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
