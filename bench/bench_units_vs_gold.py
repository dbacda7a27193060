"""Units against the dev sets' gold segmentation: what `mauqif sentences --check` prints.

For each dev set (the real pages of ../shared/dev/real/ and the seeds), the pipeline segments the
pages together, as `mauqif sentences` does, and `annotate.alignment` counts the gold units found
exactly and the units that are not news text (furniture). Skipped when the dev sets are absent.
"""

from __future__ import annotations

from pathlib import Path

from mauqif.annotate.alignment import gold_units, segmentation_report
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import iter_articles

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SETS = {
    "dev/real": (SHARED / "dev" / "real" / "gold.jsonl", SHARED / "dev" / "real" / "articles"),
    "seeds": (SHARED / "dev" / "seeds_labelled.jsonl", SHARED / "seeds"),
}


def main() -> None:
    segmenter = Segmenter.default()
    for name, (gold_path, pages_dir) in SETS.items():
        if not gold_path.exists() or not pages_dir.exists():
            print(f"{name}: not found ({gold_path.parent}), skipped")
            continue
        articles = list(iter_articles([pages_dir]))
        rows = list(segmenter.iter_units(articles))
        report = segmentation_report({a.id: a.text for a in articles}, rows, gold_units(gold_path))
        print(
            f"{name}: gold units found exactly {report.count('exact')} of {report.gold_units} "
            f"({report.exact_share:.3f}), split {report.count('split')}, merged "
            f"{report.count('merged')}, truncated {report.count('truncated')}, missed "
            f"{report.count('missed')}; furniture units {report.furniture}"
        )


if __name__ == "__main__":
    main()
