"""`mauqif sentences` on hostile input: an 11 MB article that is one line with no sentence end.

Before the fix this took 4 min 10 s and 450 MB (mention checks sliced the text before every
match, and normalisation built per-character lists). Now every stage is linear: the line is cut
into noted pieces of at most `max_unit_chars` characters, and time and memory follow the size.

Each run is `mauqif sentences FILE -o OUT.jsonl` in a fresh process (time from outside, peak RSS
from the process's VmHWM), on our own generated Urdu text:
- the hostile article: 11 MB, one line, no ۔ (and one at a tenth of the size, for linearity);
- a normal article of the same size and words: sentences ending in ۔, paragraphs of a few lines;
- the floor, in this process: reading the file and `str.split()` over it.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import PEAK_RSS_MB_EXPR

SIZE = 11_000_000  # bytes of UTF-8
WORDS = [
    "روس",
    "نے",
    "شمالی",
    "کوریا",
    "کے",
    "ساتھ",
    "فوجی",
    "اور",
    "اقتصادی",
    "تعاون",
    "بڑھانے",
    "پر",
    "زور",
    "دیا",
    "جب",
    "کہ",
    "جاپان",
    "کی",
    "حکومت",
    "نے",
    "اس",
    "معاہدے",
    "پر",
    "گہری",
    "تشویش",
    "ظاہر",
    "کی",
    "اور",
    "سیول",
    "میں",
    "وزارت",
    "خارجہ",
    "کا",
    "بیان",
    "بھی",
    "آیا",
    "ماہرین",
    "کے",
    "مطابق",
    "اس",
    "ملاقات",
    "سے",
    "خطے",
    "میں",
    "کشیدگی",
    "بڑھ",
    "سکتی",
    "ہے",
]


def article(size: int, sentences: bool, seed: int = 11) -> str:
    """Random words up to `size` bytes: one line with no sentence end, or sentences of 8–25
    words ending in ۔, five to a paragraph."""
    rng = random.Random(seed)
    parts: list[str] = []
    written = 0
    words_left = rng.randint(8, 25)
    in_paragraph = 0
    while written < size:
        word = rng.choice(WORDS)
        sep = " "
        if sentences:
            words_left -= 1
            if words_left == 0:
                word += "۔"
                words_left = rng.randint(8, 25)
                in_paragraph += 1
                if in_paragraph == 5:
                    sep, in_paragraph = "\n\n", 0
        parts.append(word + sep)
        written += len(word.encode()) + len(sep)
    return "".join(parts).strip()


def run_sentences(path: Path, out: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, rows written) of `mauqif sentences path -o out`."""
    code = (
        "import sys\n"
        "from mauqif.cli.main import cli\n"
        "try:\n"
        f"    cli(['sentences', {str(path)!r}, '-o', {str(out)!r}], standalone_mode=False)\n"
        "finally:\n"
        "    print(" + PEAK_RSS_MB_EXPR + ")\n"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    rss = float(done.stdout.strip().splitlines()[-1])
    with open(out, "rb") as f:
        rows = sum(1 for _ in f)
    return seconds, rss, rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = {
            "hostile 11 MB, one line": (tmp / "hostile.txt", article(SIZE, sentences=False)),
            "hostile 1.1 MB, one line": (tmp / "hostile-small.txt", article(SIZE // 10, False)),
            "normal 11 MB, sentences": (tmp / "normal.txt", article(SIZE, sentences=True)),
        }
        for path, text in files.values():
            path.write_text(text, "utf-8")
        tiny = tmp / "tiny.txt"
        tiny.write_text("روس نے کہا کہ بات چیت جاری رہے گی۔", "utf-8")
        base = run_sentences(tiny, tmp / "out.jsonl")[0]
        print(f"mauqif sentences on one sentence (start-up): {base:.2f} s (in the times below)")
        figures = {}
        for name, (path, _) in files.items():
            seconds, rss, rows = run_sentences(path, tmp / "out.jsonl")
            figures[name] = (seconds, rss)
            size = path.stat().st_size / 1e6
            print(
                f"mauqif sentences, {name}: {seconds:.2f} s, peak RSS {rss:.0f} MB, "
                f"{rows:,} rows, {size / (seconds - base):.1f} MB/s after start-up"
            )
        hostile_path = files["hostile 11 MB, one line"][0]
        start = time.perf_counter()
        words = hostile_path.read_text("utf-8").split()
        floor = time.perf_counter() - start
        print(
            f"floor, read + str.split() of the hostile file: {floor:.2f} s ({len(words):,} words)"
        )

        hostile = figures["hostile 11 MB, one line"]
        small = figures["hostile 1.1 MB, one line"]
        normal = figures["normal 11 MB, sentences"]
        print(
            f"ratio hostile / normal text of the same size: time {hostile[0] / normal[0]:.2f}, "
            f"memory {hostile[1] / normal[1]:.2f} (1.0: a one-line page costs what a normal one does)"
        )
        print(
            f"ratio 11 MB / 1.1 MB hostile, after start-up: time "
            f"{(hostile[0] - base) / (small[0] - base):.1f} (linear: 10), memory "
            f"{hostile[1] / small[1]:.2f}"
        )
        print(f"ratio hostile / floor (read + split): {(hostile[0] - base) / floor:.1f}")
        print("target: under 5 s for the 11 MB one-line article")


if __name__ == "__main__":
    main()
