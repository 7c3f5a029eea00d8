//! The pages of the site, each a leptos view rendered to a string with `to_html()`.
//!
//! Every value that comes from a run record (names, commit messages, error texts) enters a page as a leptos
//! text node or attribute, which leptos escapes. `inner_html` is used only for SVG this crate drew (see
//! [`crate::charts`]) and for the page's own script.

pub mod compare;
pub mod events;
pub mod index;
pub mod not_found;
pub mod operation;
pub mod run;
pub mod runs;

use leptos::prelude::*;

use crate::input::SiteOptions;
use crate::paths;

/// What every page needs to know about the site.
pub struct Ctx<'a> {
    pub opts: &'a SiteOptions,
    pub has_compare: bool,
    /// Shown in the footer (the newest run's start time), so a page says how fresh it is.
    pub updated: String,
}

/// A whole HTML document: doctype, head with the stylesheet, the site header, `body`, the footer.
/// `here` is the page's own path (links are made relative to it).
pub fn document(ctx: &Ctx<'_>, here: &str, title: &str, body: impl IntoView + 'static) -> String {
    let css = paths::link(here, paths::CSS);
    let home = paths::link(here, paths::INDEX);
    let runs = paths::link(here, &paths::runs_list_page(1));
    let compare = ctx.has_compare.then(|| paths::link(here, paths::COMPARE));
    let full_title = format!("{title} · {}", ctx.opts.title);
    let site_title = ctx.opts.title.clone();
    let updated = ctx.updated.clone();
    let html = Owner::new().with(move || {
        view! {
            <html lang="en">
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <meta name="color-scheme" content="light dark"/>
                    <title>{full_title}</title>
                    <link rel="stylesheet" href=css/>
                    // No favicon file: without this the browser asks for /favicon.ico and logs a 404.
                    <link rel="icon" href="data:,"/>
                </head>
                <body>
                    <header class="top">
                        <nav>
                            <a class="brand" href=home.clone()>{site_title}</a>
                            <a href=home>"Operations"</a>
                            <a href=runs>"Runs"</a>
                            {compare.map(|href| view! { <a href=href>"Compare"</a> })}
                        </nav>
                    </header>
                    <main>{body}</main>
                    <footer>"Built by perfgate from the run records. " {updated}</footer>
                </body>
            </html>
        }
        .to_html()
    });
    format!("<!DOCTYPE html>\n{html}\n")
}

/// A chart (our own SVG) with a caption and an optional legend.
#[component]
pub fn Chart(
    svg: String,
    caption: String,
    #[prop(optional)] legend: Vec<LegendItem>,
) -> impl IntoView {
    let legend = (!legend.is_empty()).then(|| {
        view! {
            <ul class="legend">
                {legend
                    .into_iter()
                    .map(|item| {
                        let class = format!("sw {}", item.kind);
                        let style = item.color.map(|c| format!("background:{c};border-color:{c}"));
                        view! { <li><span class=class style=style></span>{item.label}</li> }
                    })
                    .collect_view()}
            </ul>
        }
    });
    view! {
        <figure class="chart">
            <div inner_html=svg></div>
            <figcaption>{caption}</figcaption>
            {legend}
        </figure>
    }
}

/// One entry of a chart legend.
#[derive(Clone, Debug)]
pub struct LegendItem {
    /// `line`, `band`, `ring` or `cp` (the swatch's shape).
    pub kind: &'static str,
    /// CSS colour of the swatch (ours, never from data).
    pub color: Option<String>,
    /// Any text, escaped by leptos.
    pub label: String,
}

impl LegendItem {
    pub fn line(color: plotters::style::RGBColor, label: impl Into<String>) -> Self {
        Self {
            kind: "line",
            color: Some(hex(color)),
            label: label.into(),
        }
    }
}

/// `#rrggbb` of a plotters colour.
pub fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// "page 2 of 5" navigation. `link(p)` is the relative link to page `p` (1-based).
pub fn pager(page: usize, pages: usize, link: impl Fn(usize) -> String) -> AnyView {
    let newer = (page > 1).then(|| link(page - 1));
    let older = (page < pages).then(|| link(page + 1));
    (pages > 1)
        .then(|| {
            view! {
                <nav class="pages" aria-label="pages">
                    {newer.map(|h| view! { <a href=h rel="prev">"← newer"</a> })}
                    <span class="muted">{format!("page {page} of {pages}")}</span>
                    {older.map(|h| view! { <a href=h rel="next">"older →"</a> })}
                </nav>
            }
        })
        .into_any()
}

/// A status or verdict badge.
#[component]
pub fn Badge(text: &'static str) -> impl IntoView {
    let class = format!("badge {text}");
    view! { <span class=class>{text}</span> }
}

/// Number of pages of `n` rows at `per_page` (at least one).
pub fn page_count(n: usize, per_page: usize) -> usize {
    n.div_ceil(per_page.max(1)).max(1)
}
