"""Precision and recall of the article extractor on the hand-labelled seed articles.

Usage: python bench/extraction_quality.py [--labels FILE] [--verbose]

``--labels`` defaults to the reconciled label set ``tests/fixtures/events/seed_labels.csv``.
Other sets kept for comparison (see ``tests/fixtures/events/LABELS.md``):
``seed_labels_independent.csv`` (labelled from the articles without looking at the extractor's
output) and ``seed_labels_original.csv`` (the first set, labelled after seeing the output).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from aimonitor.events.extract import EVENT_TYPES, compute_extraction_quality, extract_paths, load_labels

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LABELS = ROOT / "tests" / "fixtures" / "events" / "seed_labels.csv"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="labels CSV (default: %(default)s)")
    ap.add_argument("--verbose", action="store_true", help="list false positives and missed labels")
    args = ap.parse_args(argv)
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    labels = load_labels(args.labels)
    t0 = time.perf_counter()
    res = extract_paths(seeds)
    dt = time.perf_counter() - t0
    core = compute_extraction_quality(res.mentions, labels)
    typed = compute_extraction_quality(res.mentions, labels, types=[t for t in EVENT_TYPES if t != "other"])
    print(f"labels: {args.labels.name}")
    print(f"articles: {len(res.articles)}  mentions: {len(res.mentions)}  labels: {len(labels)}  time: {dt:.2f}s")
    print(
        f"deal/financing/credit facts: precision {core['precision']:.1%} ({core['tp']}/{core['n_pred']})  "
        f"recall {core['recall']:.1%} ({core['found']}/{core['n_labels']})"
    )
    print(
        f"all labelled types (info; non-deal types are labelled sparsely): "
        f"recall {typed['recall']:.1%} ({typed['found']}/{typed['n_labels']})"
    )
    print("per type (deal/financing/credit):")
    for t, v in core["per_type"].items():
        p = "-" if v["precision"] is None else f"{v['precision']:.0%}"
        r = "-" if v["recall"] is None else f"{v['recall']:.0%}"
        print(f"  {t:28s} precision {p:>5} (n={v['n_pred']:2d})  recall {r:>5} (n={v['n_labels']:2d})")
    if args.verbose:
        print("false positives:")
        for m in core["false_positives"]:
            print(f"  {Path(m.article).name[:3]} {m.type} {m.amount} {m.unit} {list(m.tickers)} | {m.quote[:70]}")
        print("missed:")
        for f in core["missed"]:
            print(f"  {f.article} {f.type} {f.amount} {f.unit} {sorted(f.tickers)} | {f.note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
