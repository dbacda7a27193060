"""Urdu news sites served from 127.0.0.1 for the intake tests: pages, a feed, a sitemap, robots.txt.

Every site is a real HTTP server (http.server in a thread, one port per "site"), so the fetcher,
feedparser and ultimate-sitemap-parser are exercised as they are on the web. Each site records
the paths it was asked for, so a test can say "the second run fetched nothing". All text here
was written for these tests.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)


class Site:
    """One site on its own 127.0.0.1 port. `routes[path]` is a Reply, or a list of Replies given
    in turn (the last one repeats): `[Reply(500), Reply(200, page)]` fails once."""

    def __init__(self):
        self.routes: dict[str, Reply | list[Reply]] = {}
        self.hits: dict[str, int] = defaultdict(int)
        self.user_agents: set[str] = set()
        self.request_headers: list[dict[str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                site.hits[self.path] += 1
                site.user_agents.add(self.headers.get("User-Agent", ""))
                site.request_headers.append(dict(self.headers))
                reply = site._reply(self.path)
                etag = reply.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                headers = {"Content-Type": "text/html; charset=utf-8", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _reply(self, path: str) -> Reply:
        route = self.routes.get(path)
        if route is None:
            return Reply(404, "<html><body>not here</body></html>")
        if isinstance(route, list):
            return route[min(self.hits[path], len(route)) - 1]
        return route

    def page(self, path: str, html: str) -> str:
        self.routes[path] = Reply(200, html)
        return self.url + path

    @property
    def requests(self) -> int:
        return sum(self.hits.values())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def article_html(
    title: str,
    paragraphs: list[str],
    *,
    published: str,
    author: str,
    site_name: str = "اخبار",
) -> str:
    """A news page as sites make them: metadata in <head>, menus and a footer around the story."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="ur" dir="rtl"><head><meta charset="utf-8">
<title>{title} | {site_name}</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}T09:30:00+05:00">
<meta name="author" content="{author}">
</head><body>
<nav><a href="/">صفحہ اول</a> <a href="/world">دنیا</a> <a href="/sports">کھیل</a></nav>
<article><h1>{title}</h1>
{body}
</article>
<footer>جملہ حقوق محفوظ ہیں</footer>
</body></html>"""


def rss(items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 feed of (link, title, RFC 822 date) items."""
    entries = "\n".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate></item>"
        for link, t, d in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>تازہ خبریں</title><link>http://127.0.0.1/</link>
<description>خبریں</description>
{entries}
</channel></rss>"""


def sitemap(urls: list[str]) -> str:
    locs = "\n".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{locs}
</urlset>"""


def sitemap_index(urls: list[str]) -> str:
    locs = "\n".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{locs}
</sitemapindex>"""


# ---- the stories (written for these tests) --------------------------------------------------------

RAIL_TITLE = "روس اور شمالی کوریا کے درمیان ریل رابطہ بحال کرنے پر اتفاق"
RAIL = [
    "ماسکو (ایجنسیاں) روس اور شمالی کوریا نے سرحدی دریا پر بنے پرانے ریلوے پل کی مرمت کے بعد "
    "مال بردار گاڑیوں کی آمد و رفت دوبارہ شروع کرنے پر اتفاق کیا ہے۔",
    "روسی وزارت ٹرانسپورٹ کے ایک ترجمان نے بتایا کہ پہلی گاڑی اگلے مہینے کے آغاز میں کوئلہ اور "
    "کھاد لے کر روانہ ہوگی۔",
    "شمالی کوریا کے سرکاری خبر رساں ادارے نے اس منصوبے کو دونوں ملکوں کی دوستی کا نیا باب قرار دیا۔",
    "جنوبی کوریا کی وزارت خارجہ نے کہا کہ وہ اس پیش رفت کا بغور جائزہ لے رہی ہے اور اتحادیوں سے "
    "مشورہ کرے گی۔",
    "جاپان کے چیف کابینہ سیکرٹری نے صحافیوں سے گفتگو میں خبردار کیا کہ کسی بھی تجارت سے اقوام "
    "متحدہ کی پابندیوں کی خلاف ورزی نہیں ہونی چاہیے۔",
]
# The same wire story on a second site: another agency tag, a word changed, a word dropped.
RAIL_B = [
    RAIL[0].replace("(ایجنسیاں)", "(اے پی پی)"),
    RAIL[1].replace("اگلے مہینے", "آئندہ مہینے"),
    RAIL[2],
    RAIL[3].replace("کا بغور جائزہ", "کا جائزہ"),
    RAIL[4],
]
# A third site: Arabic letter forms in one sentence, and one sentence of its own.
RAIL_C = [
    RAIL[0],
    RAIL[1],
    RAIL[2].replace("ی", "ي").replace("ک", "ك"),
    RAIL[3],
    RAIL[4],
    "تجزیہ کاروں کے مطابق اس راستے سے ہر سال لاکھوں ٹن سامان گزر سکتا ہے۔",
]

FISH_TITLE = "جاپان کا ماہی گیری کے معاہدے پر جنوبی کوریا سے مذاکرات کا اعلان"
FISH = [
    "ٹوکیو میں وزارت زراعت نے اعلان کیا کہ جاپان اور جنوبی کوریا کے حکام اگلے ہفتے مشترکہ سمندری "
    "حدود میں ماہی گیری کے کوٹے پر بات چیت کریں گے۔",
    "جنوبی کوریا کے ماہی گیروں کی تنظیم نے امید ظاہر کی کہ نئے معاہدے سے چھوٹی کشتیوں کو فائدہ ہوگا۔",
    "روس نے کہا ہے کہ وہ ان مذاکرات میں فریق نہیں ہے۔",
]

PRIVATE_TITLE = "ادارتی عملے کے لیے اندرونی ہدایات"
PRIVATE = [
    "یہ صفحہ صرف ادارے کے عملے کے لیے ہے اور اسے تلاش کرنے والے پروگراموں سے دور رکھا گیا ہے۔"
]

FLAKY_TITLE = "شمالی کوریا میں شدید بارشوں سے فصلوں کو نقصان"
FLAKY = [
    "پیانگ یانگ سے موصولہ اطلاعات کے مطابق کئی صوبوں میں مسلسل بارشوں سے دھان کی فصل کو نقصان "
    "پہنچا ہے۔",
    "سرکاری ٹیلی وژن نے کسانوں کو نقصان کا اندازہ لگانے کے لیے ٹیمیں بھیجنے کی خبر دی۔",
]
