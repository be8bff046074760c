"""The transform on files as spreadsheets write them, and on an undated file.

- ``dialects``: the 10M-row file rewritten with ``;`` between fields (Excel's European CSV)
  and as UTF-16 LE with a byte order mark and tabs (Excel's "Unicode Text"), the same
  records, against the comma file itself: each found from its bytes, no option given.
- ``undated``: a 10M-row file without ``postedAt`` (the generator's ``dates=False``, the same
  pairs), ours against Polars written lean with the same rules but the date.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path
from typing import Any

#: name -> (delimiter, encoding, byte order mark)
DIALECTS = {
    "semicolon": (";", "utf-8", b""),
    "utf16": ("\t", "utf-16-le", codecs.BOM_UTF16_LE),
}


def rewrite(source: Path, target: Path, delimiter: str, encoding: str, bom: bytes) -> None:
    """``source`` (a UTF-8 comma file) record by record with another delimiter and encoding;
    bytes that are not UTF-8 stay bytes that do not decode in the target."""
    errors = "surrogatepass" if encoding.startswith("utf-16") else "surrogateescape"
    part = target.with_suffix(".part")
    with (
        source.open(newline="", encoding="utf-8", errors="surrogateescape") as read,
        part.open("wb") as raw,
    ):
        raw.write(bom)
        with codecs.getwriter(encoding)(raw, errors) as out:
            writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
            writer.writerows(csv.reader(read))
    part.rename(target)


def ensure_dialect_files(source: Path, log: Any) -> dict[str, Path]:
    """The comma file and its rewrites (made once, next to it)."""
    files = {"comma": source}
    for name, (delimiter, encoding, bom) in DIALECTS.items():
        target = source.with_name(f"{source.stem}_{name}.csv")
        if not target.exists():
            log(f"writing {target.name}")
            rewrite(source, target, delimiter, encoding, bom)
        files[name] = target
    return files


def _median_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = sorted(run["seconds"] for run in runs)
    return {
        **runs[-1],
        "seconds": seconds[len(seconds) // 2],
        "runs": [round(run["seconds"], 3) for run in runs],
    }


def bench_dialects(files: dict[str, Path], repeat: int, run: Any, log: Any) -> dict[str, Any]:
    """Our transform on each file, in turn, ``repeat`` times (``run(tool, path)`` times one)."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in files}
    for _ in range(repeat):
        for name, path in files.items():
            runs[name].append(run("ours", path))
    results = {name: _median_runs(done) for name, done in runs.items()}
    for name, result in results.items():
        log(f"dialect {name}: {result['seconds']:.2f} s {result['runs']}")
    return results


def bench_undated(path: Path, repeat: int, run: Any, log: Any) -> dict[str, Any]:
    """Ours and Polars written lean on the undated file, in turn."""
    tools = ("ours", "polars-lean")
    runs: dict[str, list[dict[str, Any]]] = {tool: [] for tool in tools}
    for _ in range(repeat):
        for tool in tools:
            runs[tool].append(run(tool, path))
    results = {tool: _median_runs(done) for tool, done in runs.items()}
    for tool, result in results.items():
        log(f"undated {tool}: {result['seconds']:.2f} s {result['runs']}")
    return results


def _counts(result: dict[str, Any]) -> tuple[int, int, int]:
    return result["pairs"], result["posts"], result["rejected"]


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """The table's rows of these sections (those measured)."""
    out: list[tuple[str, str, str, str, bool | None]] = []
    if "dialects" in results:
        d = results["dialects"]
        comma = d["comma"]["seconds"]
        worst = max(d[name]["seconds"] for name in DIALECTS) / comma
        same = all(_counts(d[name]) == _counts(d["comma"]) for name in DIALECTS)
        out.append(
            (
                "1e. Transform of the same 10M rows as spreadsheets write them, found from "
                "their bytes: `;` between fields; UTF-16 LE with tabs (Excel's Unicode Text)",
                f"comma {comma:.2f} s; `;` {d['semicolon']['seconds']:.2f} s; UTF-16 "
                f"{d['utf16']['seconds']:.2f} s; "
                + ("the same pairs, posts and rejects" if same else "**counts differ**"),
                f"{d['semicolon']['seconds'] / comma:.2f}x and "
                f"{d['utf16']['seconds'] / comma:.2f}x the comma file",
                "<= 1.3x",
                worst <= 1.3 and same,
            )
        )
    if "undated" in results:
        u = results["undated"]
        ours, lean = u["ours"]["seconds"], u["polars-lean"]["seconds"]
        out.append(
            (
                "1f. Transform, 10M undated rows (no `postedAt`: ids, numbers, ranges), "
                "the same rules",
                f"ours {ours:.2f} s; Polars written lean {lean:.2f} s",
                f"{ours / lean:.2f}x",
                "<= 1.0x",
                ours <= lean,
            )
        )
    return out
