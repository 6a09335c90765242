//! Read-only blocks (a plan's steps, a run's steps, a comparison table) written as HTML text
//! and set with `inner_html`: the same elements, roles and names as `view!` would make, for a
//! fraction of the code in the bundle. Every value is escaped here and nowhere else; nothing
//! interactive is built this way (links are followed by the router's window listener).

/// HTML under construction.
#[derive(Default)]
pub struct Html(String);

/// Appends `text` with `&`, `<`, `>`, `"` and `'` escaped (safe in text and in quoted attributes).
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

impl Html {
    pub fn new() -> Self {
        Html(String::with_capacity(1024))
    }

    /// `<tag a="v" …>`; attribute values are escaped, names are the caller's literals.
    pub fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.0.push('<');
        self.0.push_str(tag);
        for (name, value) in attrs {
            self.0.push(' ');
            self.0.push_str(name);
            self.0.push_str("=\"");
            escape_into(&mut self.0, value);
            self.0.push('"');
        }
        self.0.push('>');
        self
    }

    /// Markup written in the source itself (never data).
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    /// Markup another `Html` made (escaped there).
    pub fn markup(&mut self, built: Html) -> &mut Self {
        self.0.push_str(&built.0);
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.0, text);
        self
    }

    /// `<tag class="…">text</tag>` (no class attribute when `class` is empty).
    pub fn el(&mut self, tag: &str, class: &str, text: &str) -> &mut Self {
        if class.is_empty() { self.open(tag, &[]) } else { self.open(tag, &[("class", class)]) };
        self.text(text).close(tag)
    }

    /// A glyph for the eye only, then its word: `<span aria-hidden="true">✓ </span>Pass`.
    pub fn glyph(&mut self, glyph: &str) -> &mut Self {
        self.open("span", &[("aria-hidden", "true")]).text(glyph).text(" ").close("span")
    }

    /// One `<dt>label</dt><dd>value</dd>` pair.
    pub fn fact(&mut self, label: &str, value: &str) -> &mut Self {
        self.el("dt", "", label).el("dd", "", value)
    }

    /// A `<dt>` with a `<dd><code>value</code></dd>`.
    pub fn fact_code(&mut self, label: &str, value: &str) -> &mut Self {
        self.el("dt", "", label).open("dd", &[]).el("code", "", value).close("dd")
    }

    /// A badge as `Badge` draws it: glyph and words, coloured by tone.
    pub fn badge(&mut self, tone: crate::checks::Tone, text: &str) -> &mut Self {
        let class = format!("badge {}", tone.class());
        self.open("span", &[("class", &class)]).glyph(tone.icon()).text(text).close("span")
    }

    /// A data table: caption, column headings, then rows whose first cell heads the row.
    /// Each row is its class (empty for none) and its cells as text.
    pub fn table(&mut self, class: &str, caption: &str, columns: &[&str], rows: &[(&str, Vec<String>)]) -> &mut Self {
        self.open("table", &[("class", class)]).el("caption", "", caption).open("thead", &[]).open("tr", &[]);
        for c in columns {
            self.open("th", &[("scope", "col")]).text(c).close("th");
        }
        self.close("tr").close("thead").open("tbody", &[]);
        for (row_class, cells) in rows {
            if row_class.is_empty() { self.open("tr", &[]) } else { self.open("tr", &[("class", row_class)]) };
            for (i, cell) in cells.iter().enumerate() {
                if i == 0 { self.open("th", &[("scope", "row")]).text(cell).close("th") } else { self.el("td", "", cell) };
            }
            self.close("tr");
        }
        self.close("tbody").close("table")
    }

    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_open_elements_or_leave_attributes() {
        let mut h = Html::new();
        h.open("p", &[("title", "a\" onclick=\"x")]).text("<script>alert('x')</script> & more").close("p");
        assert_eq!(h.finish(), "<p title=\"a&quot; onclick=&quot;x\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more</p>");
    }

    #[test]
    fn facts_and_elements_nest_as_written() {
        let mut h = Html::new();
        h.open("dl", &[("class", "facts")]).fact("Host", "wdc1-mq1").fact_code("Command", "rdqmdr -s -m Q").close("dl");
        assert_eq!(h.finish(), "<dl class=\"facts\"><dt>Host</dt><dd>wdc1-mq1</dd><dt>Command</dt><dd><code>rdqmdr -s -m Q</code></dd></dl>");
    }
}
