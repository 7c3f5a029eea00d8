//! The list of all runs, newest first, paginated.

use leptos::prelude::*;

use super::{document, page_count, pager, Ctx};
use crate::format;
use crate::model::Model;
use crate::paths;

/// Renders every page of the run list: `(path, html)` pairs.
pub fn render(ctx: &Ctx<'_>, model: &Model<'_>) -> Vec<(String, String)> {
    let per_page = ctx.opts.table_page_size.max(1);
    let pages = page_count(model.runs.len(), per_page);
    (1..=pages)
        .map(|page| {
            let here = paths::runs_list_page(page);
            let rows = model
                .runs
                .iter()
                .rev()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|run| {
                    let r = run.record;
                    let href = paths::link(&here, &run.page);
                    let sha = r.sha7().to_string();
                    let commit = match run.commit_url() {
                        Some(url) => view! { <a class="mono" href=url>{sha}</a> }.into_any(),
                        None => view! { <span class="mono">{sha}</span> }.into_any(),
                    };
                    let message = r.git.commit_message.clone().unwrap_or_default();
                    let title = message.clone();
                    let ops = r.operations().count();
                    view! {
                        <tr>
                            <td><a href=href>{format::date_time(&r.started_at)}</a></td>
                            <td class="name">{r.suite.clone()}</td>
                            <td>{r.test_type.clone()}</td>
                            <td>{commit}</td>
                            <td>{r.git.branch.clone()}</td>
                            <td class="msg" title=title>{message}</td>
                            <td class="num">{ops}</td>
                        </tr>
                    }
                })
                .collect_view();
            let nav = pager(page, pages, |p| paths::link(&here, &paths::runs_list_page(p)));
            let body = view! {
                <h1>"Runs"</h1>
                <p class="muted">{format!("{} runs, newest first", model.runs.len())}</p>
                {nav}
                <div class="table-wrap">
                    <table class="runs">
                        <thead><tr>
                            <th>"Started"</th><th>"Suite"</th><th>"Type"</th><th>"Commit"</th><th>"Branch"</th>
                            <th>"Message"</th><th class="num">"results"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            };
            let html = document(ctx, &here, "Runs", body);
            (here, html)
        })
        .collect()
}
