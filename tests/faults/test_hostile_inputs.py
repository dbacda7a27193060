"""Hostile input through `mauqif sentences`: each case ends with a one-line error naming the input
and the reason (the other inputs go on), or a correct result; an earlier output file is never
damaged by a run that produced nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .texts import (
    ARABIC,
    ENGLISH,
    EXTRA,
    PASHTO,
    PERSIAN,
    SINDHI,
    URDU,
    URDU_ARTICLE,
    jsonl,
    tiny_articles,
)

PREVIOUS = (
    json.dumps(
        {"article_id": "earlier", "index": 0, "text": "پچھلی کامیاب دوڑ کی قطار۔"},
        ensure_ascii=False,
    )
    + "\n"
).encode("utf-8")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


@dataclass
class Case:
    id: str
    fault: str
    files: Callable[[Path], list[str]]  # writes the inputs under the directory, returns the args
    expect: str
    skipped: tuple[str, ...] = ()  # one regex per expected `skipped:` line, in order
    check: Callable[[list[dict]], str | None] | None = None  # rows expected; None: no rows
    stdin: bytes | None = None


def write(name: str, data: bytes | str) -> Callable[[Path], list[str]]:
    def make(d: Path) -> list[str]:
        path = d / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return [str(path)]

    return make


def together(*makers) -> Callable[[Path], list[str]]:
    return lambda d: [a for m in makers for a in m(d)]


def texts(rows: list[dict]) -> list[str]:
    return [r["text"] for r in rows]


def has_units(*needles: str, articles: int | None = None):
    """Rows that include sentences containing each needle."""

    def check(rows):
        joined = "\n".join(texts(rows))
        missing = [n for n in needles if n not in joined]
        if missing:
            return f"missing text {missing[0][:30]!r}"
        if articles is not None and len({r["article_id"] for r in rows}) != articles:
            return f"{len({r['article_id'] for r in rows})} articles, expected {articles}"
        return None

    return check


def same_units_as(reference: str):
    """The units of `reference` (the same article with plain \\n lines and no oddities)."""

    def check(rows):
        expected = [u for u in URDU if u in reference]
        got = texts(rows)
        return None if got == expected else f"units {got!r} != {expected!r}"

    return check


def no_bidi_and_mentions(rows):
    for r in rows:
        if BIDI.search(r["text"]):
            return f"bidi control left in {r['text']!r}"
    return has_units("جاپان کی حکومت")(rows)


def mention_through_joiner(joiner: str, party: str):
    def check(rows):
        for r in rows:
            for m in r["mentions"]:
                if m["party"] == party and joiner in r["text"][m["start"] : m["end"]]:
                    return None
        return f"no {party} mention spanning the joiner: {[r['mentions'] for r in rows]}"

    return check


def no_surrogates(rows):
    for r in rows:
        if re.search("[\ud800-\udfff]", json.dumps(r, ensure_ascii=False)):
            return f"a lone surrogate in {r['text']!r}"
    return None


def covers_long_line(words: int):
    def check(rows):
        total = sum(len(r["text"].split()) for r in rows)
        if total < words * 0.99:
            return f"{total} of {words} words kept"
        return None

    return check


def n_rows(n: int):
    def check(rows):
        if len(rows) != n:
            return f"{len(rows)} rows, expected {n}"
        if len({r["sentence_id"] for r in rows}) != n:
            return "duplicate sentence ids"
        return None

    return check


def no_script_text(rows):
    joined = " ".join(texts(rows))
    for bad in ("alert(", "document.cookie", "iframe", "evil.example", "<script"):
        if bad in joined:
            return f"{bad!r} reached the units"
    return has_units("جاپان کی حکومت")(rows)


def unreadable_dir(d: Path) -> list[str]:
    (d / "in").mkdir()
    (d / "in" / "a_good.txt").write_text(URDU_ARTICLE, "utf-8")
    locked = d / "in" / "b_locked.txt"
    locked.write_text(URDU_ARTICLE.replace("منگل", "بدھ"), "utf-8")
    locked.chmod(0o000)
    return [str(d / "in")]


def symlink_loop_dir(d: Path) -> list[str]:
    (d / "in" / "sub").mkdir(parents=True)
    (d / "in" / "sub" / "a_good.txt").write_text(URDU_ARTICLE, "utf-8")
    (d / "in" / "sub" / "back").symlink_to("..", target_is_directory=True)  # a directory loop
    (d / "in" / "loop.txt").symlink_to("loop.txt")  # a file that points at itself
    return [str(d / "in")]


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth + b"\n"


def nested_text(depth: int) -> bytes:
    value: object = "روس"
    for _ in range(depth):
        value = {"x": value}
    return json.dumps({"id": "nested", "text": value}, ensure_ascii=False).encode() + b"\n"


LONG_LINE_WORDS = 200_000  # about 1.3 MB on one line, with no sentence end anywhere
ENORMOUS = ("\n\n".join(URDU) + "\n\n") * 12_000  # one JSONL line of about 4 MB
WITH_SEP = URDU[0] + "\u2028" + URDU[1]

CASES = [
    Case("invalid-utf8", "invalid UTF-8 byte in a .txt", write("a.txt", URDU[0].encode() + b"\xff\xfe!\n\n" + URDU[1].encode()),
         "skipped: FILE: is not UTF-8 (byte …); exit 1; earlier output kept", (r"a\.txt: is not UTF-8 \(byte 0xff",)),
    Case("latin1", "Latin-1 text (é) in a .txt", write("a.txt", "café ".encode("latin-1") + URDU_ARTICLE.encode()),
         "skipped: FILE: is not UTF-8; exit 1", (r"a\.txt: is not UTF-8",)),
    Case("utf16le-bom", "UTF-16 LE with BOM", write("a.txt", URDU_ARTICLE.encode("utf-16")),
         "skipped: FILE: is UTF-16 + iconv hint", (r"a\.txt: is UTF-16.*iconv",)),
    Case("utf16be-bom", "UTF-16 BE with BOM", write("a.txt", b"\xfe\xff" + URDU_ARTICLE.encode("utf-16-be")),
         "skipped: FILE: is UTF-16 + iconv hint", (r"a\.txt: is UTF-16",)),
    Case("utf16-no-bom", "UTF-16 LE without BOM", write("a.txt", URDU_ARTICLE.encode("utf-16-le")),
         "skipped: FILE: UTF-16 or binary", (r"a\.txt: is (UTF-16|binary)",)),
    Case("utf8-bom", "UTF-8 with BOM", write("a.txt", b"\xef\xbb\xbf" + URDU_ARTICLE.encode()),
         "rows as without the BOM, no U+FEFF in text", check=lambda rows: same_units_as(URDU_ARTICLE)(rows) or ("BOM kept" if any("\ufeff" in t for t in texts(rows)) else None)),
    Case("crlf", "CRLF line ends", write("a.txt", URDU_ARTICLE.replace("\n", "\r\n")),
         "the same units as with LF", check=same_units_as(URDU_ARTICLE)),
    Case("lone-cr", "lone CR line ends (old Mac)", write("a.txt", URDU_ARTICLE.replace("\n", "\r")),
         "the same units as with LF", check=same_units_as(URDU_ARTICLE)),
    Case("nul-start", "NUL bytes at the start", write("a.txt", b"\x00\x00" + URDU_ARTICLE.encode()),
         "skipped: FILE: is binary (NUL bytes)", (r"a\.txt: is binary",)),
    Case("nul-deep", "NUL byte after 20 KB of good text", write("a.txt", (URDU_ARTICLE + "\n\n") .encode() * 40 + b"\x00" + URDU_ARTICLE.encode()),
         "skipped: FILE: is binary (NUL bytes)", (r"a\.txt: is binary",)),
    Case("empty", "empty file", write("a.txt", b""), "skipped: FILE: is empty", (r"a\.txt: is empty",)),
    Case("blank", "only spaces and newlines", write("a.txt", " \n\t\n  \r\n"), "skipped: FILE: is empty", (r"a\.txt: is empty",)),
    Case("png", "a PNG named .txt", write("a.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
         "skipped: FILE: is binary", (r"a\.txt: is binary",)),
    Case("pdf", "unsupported type given by name (.pdf)", write("a.pdf", b"%PDF-1.4\n"),
         "skipped: FILE: unsupported file type '.pdf'", (r"a\.pdf: unsupported file type '\.pdf'",)),
    Case("missing", "a path that does not exist", lambda d: [str(d / "nothing.txt")],
         "skipped: FILE: no such file or directory", (r"nothing\.txt: no such file or directory",)),
    Case("long-line", f"one line of {LONG_LINE_WORDS:,} words, no sentence end",
         write("a.txt", " ".join(f"لفظ{i % 50}" for i in range(LONG_LINE_WORDS))),
         "units cut at a limit, no word dropped", check=covers_long_line(LONG_LINE_WORDS)),
    Case("tiny-100k", "100,000 one-sentence articles in one JSONL", write("a.jsonl", tiny_articles(100_000)),
         "100,000 rows, distinct ids", check=n_rows(100_000)),
    Case("deep-json", "JSONL line nested 100,000 deep, then a good line",
         write("a.jsonl", deep_json(100_000) + jsonl(("ok", URDU_ARTICLE))),
         "skipped: FILE:1: not valid JSON; line 2's rows written", (r"a\.jsonl:1: (not valid JSON|is not a JSON object|nested too deeply)",), check=has_units(URDU[1], articles=1)),
    Case("nested-text", "`text` a 200-deep object", write("a.jsonl", nested_text(200) + jsonl(("ok", URDU_ARTICLE))),
         "skipped: FILE:1: missing or empty key text", (r"a\.jsonl:1: missing or empty key\(s\) text",), check=has_units(URDU[1], articles=1)),
    Case("enormous-line", f"one JSONL line of {len(ENORMOUS.encode()) // 1_000_000} MB",
         write("a.jsonl", jsonl(("big", ENORMOUS))), "every unit of it (48,000 rows)", check=n_rows(48_000)),
    Case("jsonl-list", "JSONL line that is a list", write("a.jsonl", b'["id", "text"]\n' + jsonl(("ok", URDU_ARTICLE))),
         "skipped: FILE:1: is not a JSON object", (r"a\.jsonl:1: is not a JSON object",), check=has_units(URDU[0], articles=1)),
    Case("jsonl-broken", "a broken JSON line between good ones",
         write("a.jsonl", jsonl(("a1", URDU[0])) + b'{"id": "x", "text": "\xd8\xb1\n' + jsonl(("a3", URDU[1]))),
         "skipped: FILE:2: not valid JSON; lines 1, 3 written", (r"a\.jsonl:2: not valid JSON",), check=has_units(URDU[0], URDU[1], articles=2)),
    Case("jsonl-bad-utf8", "invalid UTF-8 on one JSONL line", write("a.jsonl", jsonl(("a1", URDU[0])) + b'{"id": "x", "text": "\xff\xfe"}\n' + jsonl(("a3", URDU[1]))),
         "skipped: FILE:2: is not UTF-8; others written", (r"a\.jsonl:2: is not UTF-8",), check=has_units(URDU[0], URDU[1], articles=2)),
    Case("jsonl-surrogate", "lone surrogate escape \\ud800 in `text`", write("a.jsonl", b'{"id": "s", "text": "\\ud800 ' + URDU[0].encode() + b'"}\n' + jsonl(("a2", URDU[1]))),
         "both articles; the surrogate shown as U+FFFD", check=lambda rows: has_units(URDU[0], URDU[1], articles=2)(rows) or no_surrogates(rows)),
    Case("jsonl-all-bad", "JSONL with no good line", write("a.jsonl", b"{nope\n[1]\n"),
         "three skips (two lines, the file); earlier output kept", (r"a\.jsonl:1: not valid JSON", r"a\.jsonl:2: is not a JSON object", r"a\.jsonl: has no article lines")),
    Case("stdin-u2028", "stdin JSONL whose text holds U+2028", lambda d: ["-"], "one article, both sentences",
         check=has_units(URDU[0][:20], URDU[1][:20], articles=1), stdin=jsonl(("sep", WITH_SEP))),
    Case("stdin-bad-utf8", "invalid UTF-8 on stdin", lambda d: ["-"], "skipped: <stdin>: is not UTF-8",
         (r"<stdin>: is not UTF-8",), stdin=b"\xc3\x28" + URDU_ARTICLE.encode()),
    Case("html-script", "HTML with script, iframe, style, onload", write("a.html", (
        "<html><head><title>خبر</title><style>p{color:red}</style><script>alert(document.cookie)</script></head>"
        "<body onload=\"alert(1)\"><iframe src=\"http://evil.example/\"></iframe><article>"
        + "".join(f"<p>{s}</p>" for s in URDU) + "<script>alert('x')</script></article></body></html>")),
        "the article's sentences, no script/iframe text", check=no_script_text),
    Case("html-only-script", "HTML with only a script", write("a.html", "<html><body><script>alert(1)</script></body></html>"),
         "skipped: FILE: has no main text", (r"a\.html: has no main text",)),
    Case("persian", "a Persian article", write("a.txt", PERSIAN), "units, or a clear skip", check=None, skipped=("__either__",)),
    Case("arabic", "an Arabic article", write("a.txt", ARABIC), "units, or a clear skip", check=None, skipped=("__either__",)),
    Case("pashto", "a Pashto article", write("a.txt", PASHTO), "units, or a clear skip", check=None, skipped=("__either__",)),
    Case("sindhi", "a Sindhi article", write("a.txt", SINDHI), "units, or a clear skip", check=None, skipped=("__either__",)),
    Case("mixed-script", "Urdu, Persian, Arabic, Pashto, Sindhi paragraphs in one article",
         write("a.txt", "\n\n".join([URDU[0], PERSIAN, ARABIC, URDU[1], PASHTO, SINDHI])),
         "the Urdu sentences among the units", check=has_units(URDU[0], URDU[1])),
    Case("latin-only", "an English-only page", write("a.txt", ENGLISH),
         "skipped: FILE: nothing to annotate", (r"a\.txt: .*(nothing|no Urdu|no text)",)),
    Case("fffd-runs", "runs of U+FFFD inside sentences", write("a.txt", URDU[0] + " \ufffd\ufffd\ufffd\ufffd\ufffd\ufffd " + "\n\n" + "\ufffd" * 200 + "\n\n" + URDU[1]),
         "the sentences around them kept", check=has_units("شمالی کوریا", URDU[1])),
    Case("zwj-name", "ZWJ inside روس", write("a.txt", URDU[0].replace("روس", "رو\u200dس")),
         "russia mention spans the name with its ZWJ", check=mention_through_joiner("\u200d", "russia")),
    Case("zwnj-name", "ZWNJ inside جاپان", write("a.txt", URDU[1].replace("جاپان", "جا\u200cپان")),
         "japan mention spans the name with its ZWNJ", check=mention_through_joiner("\u200c", "japan")),
    Case("bidi", "bidi controls (U+202E, U+2067, U+200F) in sentences", write("a.txt", "\u202e" + URDU[0] + "\u202c\n\n\u2067" + URDU[1] + "\u2069\u200f"),
         "units without bidi controls", check=no_bidi_and_mentions),
    Case("form-feed", "form feed and vertical tab between paragraphs", write("a.txt", URDU[0] + "\x0c" + URDU[1] + "\x0b" + URDU[2]),
         "three sentences", check=has_units(URDU[0], URDU[1], URDU[2])),
    Case("symlink-loops", "symlink loops (file → itself, dir → parent)", symlink_loop_dir,
         "skipped: FILE: cannot be read (loop); the good article once", (r"loop\.txt: cannot be read",), check=has_units(URDU[0], articles=1)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path, mauqif, fault_row):
    inputs = case.files(tmp_path)
    out = tmp_path / "out" / "units.jsonl"
    out.parent.mkdir()
    out.write_bytes(PREVIOUS)
    r = mauqif("sentences", *inputs, "-o", out, stdin=case.stdin)
    skipped = [line[len("skipped: ") :] for line in r.error_lines if line.startswith("skipped: ")]
    rows = (
        []
        if out.read_bytes() == PREVIOUS
        else [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    )
    shown = " ".join(a if len(a) < 40 else "…/" + Path(a).name for a in ["sentences", *inputs])
    observed = r.outcome().replace(f"{tmp_path}/", "") + (
        f"; {len(rows)} rows" if rows else "; earlier output kept"
    )
    fault_row(case.fault, f"mauqif {shown} -o OUT", case.expect, observed)

    assert r.code is not None, "the command hung"
    assert "Traceback" not in r.err, r.err[-2000:]
    if case.skipped == ("__either__",):
        # Another Arabic-script language: units, or one clear line saying why not.
        assert (r.code == 0 and rows) or (r.code == 1 and len(skipped) == 1 and not rows), r.err
        for row in rows:
            assert row["text"] and unicodedata.is_normalized("NFC", row["text"]) is not None
        return
    assert len(skipped) == len(case.skipped), r.err
    for line, pattern in zip(skipped, case.skipped, strict=True):
        assert re.search(pattern, line), line
        assert "\n" not in line
    if case.skipped:
        assert r.code == 1 and r.error_lines[-1].startswith("Error: "), r.err
    else:
        assert r.code == 0, r.err
    if case.check is None:
        assert out.read_bytes() == PREVIOUS, "an earlier output was damaged by a run with no rows"
    else:
        assert rows, "no rows written"
        problem = case.check(rows)
        assert problem is None, problem


def test_unreadable_file_in_a_directory(tmp_path, mauqif, fault_row):
    """Root reads every file, so the command runs without the capabilities that let it
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): a mode-000 file is then unreadable, as for a user."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv (util-linux) to drop the file-reading capabilities")
    inputs = unreadable_dir(tmp_path)
    out = tmp_path / "units.jsonl"
    r = mauqif(
        "sentences", *inputs, "-o", out,
        prefix=[setpriv, "--bounding-set=-dac_override,-dac_read_search"],
    )  # fmt: skip
    rows = [json.loads(x) for x in out.read_text("utf-8").splitlines()] if out.exists() else []
    fault_row(
        "a file without read permission in the input directory",
        "mauqif sentences DIR -o OUT (without root's read-anything capabilities)",
        "skipped: FILE: cannot be read (Permission denied); the other article's rows",
        r.outcome().replace(f"{tmp_path}/", "") + f"; {len(rows)} rows",
    )
    assert "Traceback" not in r.err, r.err
    assert r.code == 1
    [line] = [x for x in r.error_lines if x.startswith("skipped: ")]
    assert re.search(r"b_locked\.txt: cannot be read \(Permission denied\)", line), line
    assert {row["article_id"] for row in rows} == {"a_good"}


def hostile_mix(d: Path) -> Path:
    """A directory of one good article and four hostile files (one of them half good)."""
    d.mkdir()
    (d / "a_good.txt").write_text(URDU_ARTICLE, "utf-8")
    (d / "b_latin1.txt").write_bytes("café ".encode("latin-1") + URDU[0].encode())
    (d / "c_deep.jsonl").write_bytes(deep_json(100_000) + jsonl(("c_ok", EXTRA)))
    (d / "d_nul.txt").write_bytes((URDU_ARTICLE + "\n\n").encode() * 40 + b"\x00")
    (d / "e_utf16.txt").write_bytes(URDU_ARTICLE.encode("utf-16"))
    return d


MIX_SKIPS = [
    r"b_latin1\.txt: is not UTF-8",
    r"c_deep\.jsonl:1: not valid JSON",
    r"d_nul\.txt: is binary",
    r"e_utf16\.txt: is UTF-16",
]


def test_hostile_inputs_through_predict(tmp_path, trained, mauqif, fault_row):
    inputs = hostile_mix(tmp_path / "in")
    out = tmp_path / "predictions.jsonl"
    r = mauqif("predict", inputs, "--model", trained, "-o", out)
    rows = [json.loads(x) for x in out.read_text("utf-8").splitlines()] if out.exists() else []
    skipped = [x for x in r.error_lines if x.startswith("skipped: ")]
    fault_row(
        "hostile mix (Latin-1, 100k-deep JSON, late NUL, UTF-16) beside good articles",
        "mauqif predict DIR --model MODELS -o OUT",
        "4 skipped lines naming file and reason; predictions for the 5 good units; exit 1",
        f"exit {r.code}: {len(skipped)} skipped; {len(rows)} rows with stance: "
        f"{sum(bool(x.get('stance')) for x in rows)}",
    )
    assert r.code == 1 and "Traceback" not in r.err, r.err[-2000:]
    assert len(skipped) == len(MIX_SKIPS), r.err
    for line, pattern in zip(skipped, MIX_SKIPS, strict=True):
        assert re.search(pattern, line), line
    assert len(rows) == 5 and all(x["stance"] and x["sentiment"] for x in rows)
    assert {x["article_id"] for x in rows} == {"a_good", "c_ok"}
