#!/usr/bin/env python3
"""List the `use crate::…` edges between the files of a Rust crate and find the import cycles among them.

Why: a cycle between files (record.rs uses analysis, analysis uses record) means neither can be read, moved or
tested alone; the project's rule is "no import cycle between files of one crate". This script is the check.

Usage:
    scripts/import_cycles.py [--tests] [--edges] [SRC_DIR ...]

SRC_DIR is a crate's `src` folder (default: reports/src, runner/src, web/src under the repository root). For each
one it prints the number of files, of edges, of cycles (strongly connected components of more than one file) and
the files and edges of each cycle; `--edges` prints every edge. The exit code is 1 when a cycle exists.

What counts as an edge from file A to file B: a `use` of `crate::…`, `super::…` or `self::…` (anywhere in A, in
any use tree), or such a path written inline in A's code (`crate::metric::sig(x)`), that resolves to module B —
the longest prefix of the path that names a module file. Comments and string literals are ignored (so doc links
are not edges), and so is a parent's `mod child;` declaration. A `pub use child::X` in a parent is an edge like
any other. Test code (`#[cfg(test)] mod … { … }` blocks and files declared under `#[cfg(test)]`) is left out
unless `--tests` is given.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text: str) -> str:
    """Blanks out comments, string and char literals, keeping newlines (and so line numbers)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        m = re.match(r'r(#*)"', text[i:]) if c == "r" and (i == 0 or not text[i - 1].isalnum() and text[i - 1] != "_") else None
        if m:
            close = '"' + m.group(1)
            j = text.find(close, i + len(m.group(0)))
            j = n if j < 0 else j + len(close)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == "'":
            # A char literal ('a', '\n', '\u{1F600}'), not a lifetime ('a).
            m = re.match(r"'(\\.[^']*|[^'\\])'", text[i:])
            if m:
                out.append("' '")
                i += len(m.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out)


def strip_test_modules(code: str) -> str:
    """Removes `#[cfg(test)] mod name { … }` blocks (brace-matched)."""
    pattern = re.compile(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+" + IDENT + r"\s*\{")
    while True:
        m = pattern.search(code)
        if not m:
            return code
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        code = code[: m.start()] + "\n" * code.count("\n", m.start(), j) + code[j:]


def module_path(src: Path, file: Path) -> tuple[str, ...]:
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return tuple(parts)


def expand_use_tree(tree: str) -> list[list[str]]:
    """`crate::a::{b, c::{d, e as f}, self}` → [[crate,a,b], [crate,a,c,d], [crate,a,c,e], [crate,a]]."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+", "@", tree))

    def parse(s: str, prefix: list[str]) -> list[list[str]]:
        out = []
        depth, start, items = 0, 0, []
        for k, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                items.append(s[start:k])
                start = k + 1
        items.append(s[start:])
        for item in filter(None, items):
            if "{" in item:
                head, rest = item.split("{", 1)
                segs = [x for x in head.split("::") if x]
                out.extend(parse(rest[: rest.rfind("}")], prefix + segs))
            else:
                item = item.split("@")[0]
                segs = [x for x in item.split("::") if x]
                if segs and segs[-1] == "self":
                    segs.pop()
                out.append(prefix + segs)
        return out

    return parse(tree, [])


def absolute(path: list[str], here: tuple[str, ...], mods) -> list[str] | None:
    """Resolves crate/super/self prefixes (and paths starting with a child module's name) against the module
    `here`; None for paths into other crates."""
    if not path:
        return None
    if here + (path[0],) in mods:
        return list(here) + path
    if path[0] == "crate":
        return path[1:]
    if path[0] in ("super", "self"):
        cur = list(here)
        segs = list(path)
        while segs and segs[0] in ("super", "self"):
            if segs.pop(0) == "super":
                if not cur:
                    return None
                cur.pop()
        return cur + segs
    return None


def scan(src: Path, include_tests: bool):
    files = sorted(p for p in src.rglob("*.rs"))
    mods = {module_path(src, f): f for f in files}
    test_only = set()
    if not include_tests:
        for f in files:
            text = strip_comments_and_strings(f.read_text(encoding="utf-8", errors="replace"))
            for m in re.finditer(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", text):
                base = module_path(src, f)
                test_only.add(base + (m.group(3),))
    edges: dict[Path, set[Path]] = {f: set() for f in files if module_path(src, f) not in test_only}
    for f in list(edges):
        here = module_path(src, f)
        code = strip_comments_and_strings(f.read_text(encoding="utf-8", errors="replace"))
        if not include_tests:
            code = strip_test_modules(code)
        paths: list[list[str]] = []
        use_spans = []
        children = "|".join(m[-1] for m in mods if m[:-1] == here and m)
        first = r"(?:crate|super|self" + ("|" + children if children else "") + r")"
        for m in re.finditer(r"\buse\s+(" + first + r"\b[^;]*);", code):
            use_spans.append((m.start(), m.end()))
            paths.extend(expand_use_tree(m.group(1)))
        masked = list(code)
        for a, b in use_spans:
            masked[a:b] = " " * (b - a)
        for m in re.finditer(r"(?<![:\w])(" + first + r"(?:::" + IDENT + r")+)", "".join(masked)):
            paths.append(m.group(1).split("::"))
        for p in paths:
            absp = absolute(p, here, mods)
            if absp is None:
                continue
            # The longest prefix that is a module file.
            for k in range(len(absp), -1, -1):
                target = tuple(absp[:k])
                if target in mods and target not in test_only:
                    if mods[target] != f:
                        edges[f].add(mods[target])
                    break
    return edges


def sccs(edges: dict[Path, set[Path]]) -> list[list[Path]]:
    """Tarjan's strongly connected components (iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in edges:
                    continue
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def main(argv: list[str]) -> int:
    include_tests = "--tests" in argv
    show_edges = "--edges" in argv
    dirs = [a for a in argv if not a.startswith("--")]
    root = Path(__file__).resolve().parent.parent
    if not dirs:
        dirs = [str(root / d) for d in ("reports/src", "runner/src", "web/src") if (root / d).is_dir()]
    found = False
    for d in dirs:
        src = Path(d).resolve()
        edges = scan(src, include_tests)
        comps = sccs(edges)
        n_edges = sum(len(v) for v in edges.values())
        in_cycles = sum(len(c) for c in comps)
        rel = lambda p: os.path.relpath(p, src)
        print(f"{os.path.relpath(src, root) if src.is_relative_to(root) else src}: {len(edges)} files, "
              f"{n_edges} edges, {len(comps)} cycle(s) covering {in_cycles} files")
        if show_edges:
            for f in sorted(edges):
                for t in sorted(edges[f]):
                    print(f"  {rel(f)} -> {rel(t)}")
        for c in comps:
            found = True
            members = set(c)
            print("  cycle: " + ", ".join(rel(p) for p in c))
            for f in c:
                for t in sorted(edges[f] & members):
                    print(f"    {rel(f)} -> {rel(t)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
