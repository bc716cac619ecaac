"""Precision and recall of the article extractor: seeds (in-sample), dev split, held-out split.

Usage: python bench/extraction_quality.py [--labels FILE] [--split dev|heldout|heldout2|all] [--ids ID,...] [--verbose]

- seeds: the five seed articles against ``tests/fixtures/events/seed_labels.csv`` (the rules were
  written on them: IN-SAMPLE figures);
- dev: the ``dev`` passages of ``tests/fixtures/events/devset`` (the rules were tuned on their
  failures: DEVELOPMENT figures);
- heldout: the ``heldout`` passages, written and labelled with the dev ones, never tuned on;
- heldout2: the ``heldout2`` passages (batch 7: full articles with a date line, ``published`` read from
  the text), written and labelled with batch 7's dev half, scored once after tuning, never tuned on.

Recall is on headline facts, precision on every deal/financing/credit mention emitted, per language
(en, zh-Hans, zh-Hant). See tests/fixtures/events/devset/README.md for the label conventions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from aimonitor.events.extract import article_from_text, extract_mentions, extract_paths
from aimonitor.events.scoring import compute_extraction_quality, load_labels, load_passages

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "events"
DEFAULT_LABELS = FIX / "seed_labels.csv"
LANGS = ("en", "zh-Hans", "zh-Hant")


def _line(name: str, q: dict) -> str:
    return (
        f"  {name:10s} recall {q['recall']:6.1%} ({q['found']:3d}/{q['n_labels']:3d})  "
        f"precision {q['precision']:6.1%} ({q['tp']:3d}/{q['n_pred']:3d})"
    )


def _details(q: dict) -> None:
    for m in q["false_positives"]:
        print(f"    FP {m.article} {m.type} {m.amount} {m.amount_high} {m.unit} {list(m.tickers)} | {m.quote[:70]}")
    for f in q["missed"]:
        print(f"    MISS {f.article} {f.type} {f.amount} {f.amount_high} {f.unit} {sorted(f.tickers)} | {f.note}")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="seed labels CSV (default: %(default)s)")
    ap.add_argument("--split", choices=("dev", "heldout", "heldout2", "all"), default="all")
    ap.add_argument("--ids", help="only these passage ids (comma-separated), e.g. one batch's first run")
    ap.add_argument("--verbose", action="store_true", help="list false positives and missed labels")
    ap.add_argument("--big", type=float, metavar="MB", help="also time one synthetic article of about MB megabytes")
    args = ap.parse_args(argv)

    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    t0 = time.perf_counter()
    res = extract_paths(seeds)
    secs = time.perf_counter() - t0
    q = compute_extraction_quality(res.mentions, load_labels(args.labels))
    print(f"seeds (IN-SAMPLE, labels {args.labels.name}; {len(res.mentions)} mentions in {secs:.2f}s)")
    print(_line("zh", q))
    if args.verbose:
        _details(q)

    passages = load_passages(FIX / "devset" / "passages.jsonl")
    labels = load_labels(FIX / "devset" / "labels.csv")
    splits = ("dev", "heldout", "heldout2") if args.split == "all" else (args.split,)
    if args.ids:
        keep = {i.strip() for i in args.ids.split(",") if i.strip()}
        passages = [p for p in passages if p.id in keep]
    for split in splits:
        title = {
            "dev": "DEVELOPMENT (tuned on)",
            "heldout": "HELD-OUT (never tuned on)",
            "heldout2": "HELD-OUT 2, full articles (never tuned on)",
        }[split]
        print(f"{split} split: {title}")
        tot_m: list = []
        tot_l: list = []
        for lang in LANGS:
            ps = [p for p in passages if p.split == split and p.lang == lang]
            ids = {p.id for p in ps}
            ms = [m for p in ps for m in extract_mentions(article_from_text(p.text, p.id, p.published))]
            ls = [f for f in labels if f.article in ids]
            tot_m += ms
            tot_l += ls
            q = compute_extraction_quality(ms, ls)
            print(_line(f"{lang} ({len(ps)})", q))
            if args.verbose:
                _details(q)
        zh_ids = {p.id for p in passages if p.split == split and p.lang != "en"}
        zq = compute_extraction_quality(
            [m for m in tot_m if m.article in zh_ids], [f for f in tot_l if f.article in zh_ids]
        )
        print(_line("zh (both)", zq))
        print(_line("all", compute_extraction_quality(tot_m, tot_l)))
    if args.big:
        _time_big(seeds, args.big)
    return 0


def _time_big(seeds: list[Path], mb: float) -> None:
    """Time one large article (the seeds repeated: number-dense, the worst case per byte)."""
    import tempfile

    src = "".join(p.read_text(encoding="utf-8") for p in seeds)
    reps = max(1, int(mb * 1e6 / len(src.encode("utf-8"))))
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "big.txt"
        p.write_text(src * reps, encoding="utf-8")
        size = p.stat().st_size / 1e6
        t0 = time.perf_counter()
        res = extract_paths([p], max_bytes=int(size * 1e6) + 1)
        secs = time.perf_counter() - t0
    print(
        f"big article: {size:.1f} MB, {len(res.mentions)} mentions after de-duplication, {secs:.1f}s ({secs / size:.1f} s/MB)"
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
