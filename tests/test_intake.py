"""News intake: URLs, feeds, sitemaps and URL files read from real HTTP servers on 127.0.0.1.

Nothing here reaches the internet: every "site" is `newssites.Site`, an http.server on its own
loopback port that counts the requests it gets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from newssites import (
    FISH,
    FISH_TITLE,
    FLAKY,
    FLAKY_TITLE,
    PRIVATE,
    PRIVATE_TITLE,
    RAIL,
    RAIL_B,
    RAIL_C,
    RAIL_TITLE,
    Reply,
    Site,
    article_html,
    rss,
    sitemap,
    sitemap_index,
)

from mauqif.annotate.dedupe import DedupeConfig, NearDuplicateIndex, UnitDeduper, shingles
from mauqif.annotate.exceptions import InputError
from mauqif.annotate.intake import Fetcher, FetchPolicy, Intake
from mauqif.annotate.normalize import normalize
from mauqif.annotate.reader import iter_articles
from mauqif.cli.main import cli


@pytest.fixture
def sites():
    made: list[Site] = []

    def make() -> Site:
        made.append(Site())
        return made[-1]

    yield make
    for site in made:
        site.close()


def news_site(site: Site) -> dict[str, str]:
    """A site with two stories in its feed and sitemap, and a page robots.txt keeps out."""
    site.routes["/robots.txt"] = Reply(
        200, "User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}
    )
    urls = {
        "rail": site.page(
            "/world/rail.html",
            article_html(RAIL_TITLE, RAIL, published="2026-11-20", author="نامہ نگار خصوصی"),
        ),
        "fish": site.page(
            "/world/fish.html",
            article_html(FISH_TITLE, FISH, published="2026-11-21", author="ٹوکیو ڈیسک"),
        ),
        "private": site.page(
            "/private/memo.html",
            article_html(PRIVATE_TITLE, PRIVATE, published="2026-11-22", author="انتظامیہ"),
        ),
    }
    site.routes["/rss.xml"] = Reply(
        200,
        rss(
            [
                (urls["rail"], RAIL_TITLE, "Fri, 20 Nov 2026 09:30:00 +0500"),
                (urls["fish"], FISH_TITLE, "Sat, 21 Nov 2026 09:30:00 +0500"),
            ]
        ),
        {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": '"feed-1"'},
    )
    urls["feed"] = site.url + "/rss.xml"
    return urls


def sentences(home: Path, *args: str):
    return CliRunner().invoke(cli, ["sentences", *args, "--home", str(home), "--delay", "0"])


def rows_of(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


# ---- feeds, the cache, robots.txt, retries ---------------------------------------------------------


def test_a_feed_gives_its_articles_with_the_pages_metadata_and_a_rerun_fetches_nothing(
    sites, tmp_path
):
    site = sites()
    urls = news_site(site)
    first = sentences(tmp_path, "--feed", urls["feed"])
    assert first.exit_code == 0, first.output
    rows = rows_of(first)
    by_article = {r["article_id"]: r for r in rows}
    assert set(by_article) == {urls["rail"], urls["fish"]}
    rail = by_article[urls["rail"]]
    assert rail["url"] == urls["rail"]
    assert rail["published"] == "2026-11-20"
    assert rail["author"] == "نامہ نگار خصوصی"
    assert rail["title"] == RAIL_TITLE
    assert RAIL[1] in {r["text"] for r in rows}
    assert by_article[urls["fish"]]["published"] == "2026-11-21"
    assert all("mauqif/" in agent for agent in site.user_agents)

    asked = dict(site.hits)
    assert asked == {"/robots.txt": 1, "/rss.xml": 1, "/world/rail.html": 1, "/world/fish.html": 1}
    second = sentences(tmp_path, "--feed", urls["feed"])
    assert second.exit_code == 0, second.output
    assert dict(site.hits) == asked  # nothing fetched again
    assert second.stdout == first.stdout
    assert f"web: 0 requests, 3 answers from {tmp_path / 'cache'}" in second.stderr
    # The cache says what each entry is: its URL, status and fetch time.
    metas = [json.loads(p.read_text()) for p in (tmp_path / "cache").rglob("*.json")]
    page = next(m for m in metas if m["url"] == urls["rail"])
    assert page["status"] == 200 and page["fetched_at"].startswith("20")


def test_a_page_robots_txt_disallows_is_skipped_with_a_message_and_never_fetched(sites, tmp_path):
    site = sites()
    urls = news_site(site)
    result = sentences(tmp_path, urls["private"], urls["fish"])
    assert result.exit_code == 1
    assert (
        f"skipped: {urls['private']}: disallowed by the site's robots.txt for user agent mauqif"
        in result.stderr
    )
    assert "Error: 1 input skipped" in result.stderr
    assert site.hits["/private/memo.html"] == 0
    assert {r["article_id"] for r in rows_of(result)} == {urls["fish"]}


def test_a_500_then_200_is_retried(sites, tmp_path):
    site = sites()
    site.routes["/news/rain.html"] = [
        Reply(500, "<html><body>busy</body></html>"),
        Reply(200, article_html(FLAKY_TITLE, FLAKY, published="2026-11-23", author="ڈیسک")),
    ]
    result = sentences(tmp_path, site.url + "/news/rain.html")
    assert result.exit_code == 0, result.output
    assert site.hits["/news/rain.html"] == 2
    assert f"retrying {site.url}/news/rain.html" in result.stderr
    assert "HTTP 500 Internal Server Error" in result.stderr
    assert FLAKY[0] in {r["text"] for r in rows_of(result)}


class Clock:
    """A clock that moves only when slept on: what the fetcher waited, without waiting."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def fetcher(tmp_path, clock: Clock, **policy) -> Fetcher:
    return Fetcher(tmp_path / "cache", FetchPolicy(**policy), sleep=clock.sleep, clock=clock)


def test_retry_after_is_honoured_and_backoff_doubles_until_the_fetcher_gives_up(sites, tmp_path):
    site = sites()
    html = article_html(FLAKY_TITLE, FLAKY, published="2026-11-23", author="ڈیسک")
    site.routes["/slow.html"] = [Reply(429, "", {"Retry-After": "7"}), Reply(200, html)]
    site.routes["/down.html"] = Reply(503, "down")
    clock = Clock()
    web = fetcher(tmp_path, clock, delay=0, backoff=2.0, retries=3)
    assert web.fetch(site.url + "/slow.html").status == 200
    assert clock.sleeps == [7.0]
    clock.sleeps.clear()
    with pytest.raises(InputError) as caught:
        web.fetch(site.url + "/down.html")
    assert str(caught.value) == (
        f"{site.url}/down.html: HTTP 503 Service Unavailable, after 4 attempts"
    )
    assert clock.sleeps == [2.0, 4.0, 8.0]
    assert site.hits["/down.html"] == 4
    assert web.cache.get(site.url + "/down.html") is None  # "try later" is never cached


def test_requests_to_one_site_are_spaced_and_crawl_delay_is_obeyed(sites, tmp_path):
    first, second = sites(), sites()
    first.routes["/robots.txt"] = Reply(200, "User-agent: *\nCrawl-delay: 5\n")
    for site in (first, second):
        for name in ("a", "b"):
            site.page(f"/{name}.html", "<html><body><p>متن</p></body></html>")
    clock = Clock()
    web = fetcher(tmp_path, clock, delay=2.0)
    for url in (first.url + "/a.html", first.url + "/b.html", second.url + "/a.html"):
        web.fetch(url)
    # first: robots.txt, then a and b 5 s apart (its Crawl-delay); second: robots.txt, a 2 s later.
    assert clock.sleeps == [5.0, 5.0, 2.0]


def test_an_unreachable_site_names_the_url_and_the_reason(tmp_path):
    clock = Clock()
    web = fetcher(tmp_path, clock, retries=1)
    site = Site()
    url = site.url + "/gone.html"
    site.close()  # nothing listens on that port any more
    with pytest.raises(InputError) as caught:
        web.fetch(url)
    assert str(caught.value).startswith(f"{url}: its robots.txt could not be read (")
    assert "connection refused" in str(caught.value)


def test_a_stale_feed_is_asked_again_conditionally_but_articles_are_not(sites, tmp_path):
    site = sites()
    urls = news_site(site)
    assert sentences(tmp_path, "--feed", urls["feed"]).exit_code == 0
    again = sentences(tmp_path, "--feed", urls["feed"], "--feed-max-age", "0")
    assert again.exit_code == 0, again.output
    assert site.hits["/rss.xml"] == 2
    assert site.request_headers[-1].get("If-None-Match") == '"feed-1"'  # answered 304
    assert site.hits["/world/rail.html"] == 1 and site.hits["/world/fish.html"] == 1
    assert len(rows_of(again)) > 0


# ---- sitemaps and URL files -------------------------------------------------------------------------


def test_a_sitemap_index_is_followed_and_a_missing_child_is_reported(sites, tmp_path):
    site = sites()
    urls = news_site(site)
    site.routes["/sitemap.xml"] = Reply(
        200,
        sitemap_index([site.url + "/sitemap-world.xml", site.url + "/sitemap-old.xml"]),
        {"Content-Type": "application/xml"},
    )
    site.routes["/sitemap-world.xml"] = Reply(
        200, sitemap([urls["rail"], urls["fish"]]), {"Content-Type": "application/xml"}
    )
    result = sentences(tmp_path, "--sitemap", site.url + "/sitemap.xml")
    assert result.exit_code == 1
    assert f"skipped: {site.url}/sitemap-old.xml: HTTP 404 Not Found" in result.stderr
    assert {r["article_id"] for r in rows_of(result)} == {urls["rail"], urls["fish"]}


def test_a_url_file_reports_bad_lines_and_dead_pages_and_goes_on(sites, tmp_path):
    site = sites()
    urls = news_site(site)
    listing = tmp_path / "urls.txt"
    listing.write_text(
        f"# today's pick\n{urls['fish']}\nnot a url\n\n{site.url}/world/missing.html\n",
        encoding="utf-8",
    )
    first = sentences(tmp_path, "--urls", str(listing))
    assert first.exit_code == 1
    assert f"skipped: {listing}:3: not an http(s) URL: 'not a url'" in first.stderr
    assert f"skipped: {site.url}/world/missing.html: HTTP 404 Not Found" in first.stderr
    assert {r["article_id"] for r in rows_of(first)} == {urls["fish"]}
    # A 404 is kept too: the re-run reports it again without asking, until --feed-max-age.
    second = sentences(tmp_path, "--urls", str(listing))
    assert site.hits["/world/missing.html"] == 1
    assert "HTTP 404 Not Found (cached answer of " in second.stderr
    site.page(
        "/world/missing.html",
        article_html(FLAKY_TITLE, FLAKY, published="2026-11-24", author="ڈیسک"),
    )
    third = sentences(tmp_path, "--urls", str(listing), "--feed-max-age", "0")
    assert site.hits["/world/missing.html"] == 2
    assert FLAKY[1] in {r["text"] for r in rows_of(third)}


def test_one_article_in_a_feed_and_a_sitemap_is_read_once(sites, tmp_path):
    site = sites()
    urls = news_site(site)
    site.routes["/sitemap.xml"] = Reply(200, sitemap([urls["rail"]]), {"Content-Type": "text/xml"})
    result = sentences(tmp_path, "--feed", urls["feed"], "--sitemap", site.url + "/sitemap.xml")
    assert result.exit_code == 0, result.output
    ids = [r["sentence_id"] for r in rows_of(result)]
    assert len(ids) == len(set(ids))


def test_a_feed_given_as_an_article_url_says_to_use_feed(sites, tmp_path):
    site = sites()
    urls = news_site(site)
    result = sentences(tmp_path, urls["feed"], urls["fish"])
    assert result.exit_code == 1
    assert (
        f"skipped: {urls['feed']}: is a feed or sitemap (application/rss+xml): "
        "give it with --feed or --sitemap"
    ) in result.stderr
    assert {r["article_id"] for r in rows_of(result)} == {urls["fish"]}


def test_no_inputs_at_all_is_a_usage_error(tmp_path):
    result = sentences(tmp_path)
    assert result.exit_code == 2
    assert "give INPUTS (files, directories, URLs or -), --urls, --feed or --sitemap" in (
        result.stderr
    )


def test_a_url_given_to_the_file_reader_says_how_to_read_it():
    skipped: list[InputError] = []
    assert list(iter_articles(["https://example.org/a.html"], on_skip=skipped.append)) == []
    assert [str(e) for e in skipped] == [
        "https://example.org/a.html: is a URL: read it through mauqif.annotate.intake.Intake.sources"
    ]


def test_the_library_reads_web_sources_like_files(sites, tmp_path):
    site = sites()
    urls = news_site(site)
    intake = Intake(Fetcher(tmp_path / "cache", FetchPolicy(delay=0)))
    articles = list(iter_articles(intake.sources([urls["fish"]], feeds=[urls["feed"]])))
    # The fish story is both an input and in the feed: read once.
    assert [a.id for a in articles] == [urls["fish"], urls["rail"]]
    assert articles[1].author == "نامہ نگار خصوصی"


# ---- near-duplicates -------------------------------------------------------------------------------


def wire_sites(sites) -> list[str]:
    pages = []
    for version in (RAIL, RAIL_B, RAIL_C):
        site = sites()
        pages.append(
            site.page(
                "/story.html",
                article_html(RAIL_TITLE, version, published="2026-11-20", author="ڈیسک"),
            )
        )
    return pages


def test_a_wire_story_on_three_sites_with_small_edits_yields_its_sentences_once(sites, tmp_path):
    a, b, c = wire_sites(sites)
    result = sentences(tmp_path, a, b, c, "--dedupe")
    assert result.exit_code == 0, result.output
    rows = rows_of(result)
    texts = [normalize(r["text"]) for r in rows]
    assert len(texts) == len(set(texts))
    assert [r["article_id"] for r in rows].count(a) == len(RAIL) + 1  # the headline and RAIL
    assert {r["text"] for r in rows if r["article_id"] != a} == {RAIL_C[-1]}  # C's own sentence
    assert f"duplicate: {b} duplicate_of {a} (6 of 6 units seen before, dropped)" in result.stderr
    assert f"duplicate: {c} duplicate_of {a} (6 of 7 units seen before, dropped)" in result.stderr

    without = sentences(tmp_path, a, b, c)  # from the cache: no dedupe, three copies
    assert len(rows_of(without)) == 3 * (len(RAIL) + 1) + 1


def test_shingles_ignore_letter_forms_and_punctuation():
    urdu = "جاپان نے کہا کہ یہ معاہدہ خطرناک ہے۔"
    arabic_forms = "جاپان نے كہا، كہ يہ معاہدہ خطرناك ہے"
    assert shingles(urdu) == shingles(arabic_forms)


def test_a_different_sentence_on_the_same_subject_is_not_a_duplicate():
    index = NearDuplicateIndex(DedupeConfig(threshold=0.7))
    assert index.check(RAIL[4], "a") is None
    assert index.check(FISH[2], "b") is None  # also Japan and Russia, other words
    assert index.check(RAIL_B[1], "c") is None and index.check(RAIL[1], "d") == "c"
    assert len(index) == 3


def test_units_already_known_pass_through_and_the_rest_is_checked_against_them():
    deduper = UnitDeduper(NearDuplicateIndex())
    deduper.seed([("s1", RAIL[0], "old"), ("s2", RAIL[1], "old")])
    units = [
        {"article_id": "new", "sentence_id": "s1", "text": RAIL[0]},  # the same task: push decides
        {"article_id": "new", "sentence_id": "n2", "text": RAIL_B[1]},  # near-duplicate
        {"article_id": "new", "sentence_id": "n3", "text": FISH[0]},
    ]
    kept = [u["sentence_id"] for u in deduper.filter(units)]
    assert kept == ["s1", "n3"]
    assert deduper.dropped == 1
    assert deduper.articles == []  # one unit of three repeats: not a duplicate article


# ---- predict reads the web too --------------------------------------------------------------------


def test_predict_reads_a_feed_and_a_page_url(sites, tmp_path, schema):
    from modeldata import small_model

    from mauqif.model import save_model

    model_dir = save_model(small_model(schema), tmp_path / "models")
    site = sites()
    urls = news_site(site)
    out = tmp_path / "predictions.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "predict",
            "--no-progress",
            urls["private"],
            "--feed",
            urls["feed"],
            "--model",
            str(model_dir),
            "-o",
            str(out),
            "--home",
            str(tmp_path),
            "--delay",
            "0",
        ],
    )
    assert result.exit_code == 1  # the private page is skipped, the feed's articles predicted
    assert "disallowed by the site's robots.txt" in result.stderr
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert {r["article_id"] for r in rows} == {urls["rail"], urls["fish"]}
    assert all(set(r["stance"]) == set(schema.party_ids) for r in rows)
