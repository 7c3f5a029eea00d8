//! `404.html`: GitHub Pages serves it at whatever path was missing, so relative links would point nowhere;
//! this page alone links absolutely, through the configured base path. It carries its own small style so it
//! does not depend on finding the stylesheet either.

use leptos::prelude::*;

use crate::input::SiteOptions;

/// Renders `404.html`.
pub fn render(opts: &SiteOptions) -> String {
    let home = opts.base_path.clone();
    let css = format!("{}{}", opts.base_path, crate::paths::CSS);
    let title = format!("Not found · {}", opts.title);
    let html = Owner::new().with(move || {
        view! {
            <html lang="en">
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <title>{title}</title>
                    <link rel="stylesheet" href=css/>
                    // No favicon file: without this the browser asks for /favicon.ico and logs a 404.
                    <link rel="icon" href="data:,"/>
                </head>
                <body>
                    <main>
                        <h1>"Page not found"</h1>
                        <p>"This page is not part of the site (any more). "<a href=home>"Go to the operations"</a></p>
                    </main>
                </body>
            </html>
        }
        .to_html()
    });
    format!("<!DOCTYPE html>\n{html}\n")
}
