"""Text for the fault suite, written for it (never copied from the seeds or the dev set)."""

from __future__ import annotations

import json

URDU = [
    "روس کے وزیر خارجہ نے منگل کو کہا کہ ان کا ملک شمالی کوریا کے ساتھ ریل رابطہ بحال کرے گا۔",
    "جاپان کی حکومت نے اس منصوبے پر تشویش ظاہر کی اور وضاحت مانگی۔",
    "جنوبی کوریا کے ایک عہدیدار نے کہا کہ سیئول اس معاملے پر قریبی نظر رکھے ہوئے ہے۔",
    "ماہرین کا کہنا ہے کہ اس فیصلے کا اثر آئندہ مہینوں میں سامنے آئے گا۔",
]
URDU_ARTICLE = "\n\n".join(URDU)
EXTRA = "شمالی کوریا کے سرکاری ذرائع ابلاغ نے اس دورے کو دونوں ملکوں کی دوستی کا نیا باب قرار دیا۔"

PERSIAN = (
    "وزیر امور خارجه روسیه روز سه‌شنبه گفت که کشورش ارتباط ریلی با کره شمالی را از سر می‌گیرد. "
    "دولت ژاپن از این طرح ابراز نگرانی کرد."
)
ARABIC = (
    "قال وزير الخارجية الروسي يوم الثلاثاء إن بلاده ستعيد ربط السكك الحديدية مع كوريا الشمالية. "
    "وأعربت الحكومة اليابانية عن قلقها من الخطة."
)
PASHTO = (
    "د روسیې د بهرنیو چارو وزیر د سه شنبې په ورځ وویل چې هېواد یې له شمالي کوریا سره د اورګاډي "
    "اړیکه بیا جوړوي. د جاپان حکومت د دې پلان په اړه اندېښنه څرګنده کړه."
)
SINDHI = (
    "روس جي پرڏيهي وزير اڱاري تي چيو ته سندس ملڪ اتر ڪوريا سان ريل جو رابطو بحال ڪندو. "
    "جاپان جي حڪومت ان منصوبي تي ڳڻتي ظاهر ڪئي."
)
ENGLISH = (
    "Russia's foreign minister said on Tuesday that his country would restore its rail link "
    "with North Korea.\n\nJapan's government voiced concern about the plan and asked for details.\n"
)


def jsonl(*articles: tuple[str, str]) -> bytes:
    return "".join(
        json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in articles
    ).encode("utf-8")


def tiny_articles(n: int) -> bytes:
    """`n` one-sentence articles, each with its own text (numbered in words and digits)."""
    lines = (
        json.dumps(
            {"id": f"t{i}", "text": f"خبر نمبر {i} کے مطابق جاپان نے اجلاس {i % 97} میں شرکت کی۔"},
            ensure_ascii=False,
        )
        for i in range(n)
    )
    return ("\n".join(lines) + "\n").encode("utf-8")


WORDS = [
    "روس",
    "جاپان",
    "کوریا",
    "وفد",
    "بندرگاہ",
    "اجلاس",
    "معاہدہ",
    "وزیر",
    "حکومت",
    "ماہرین",
    "سرحد",
    "ریل",
    "پرواز",
    "تجارت",
    "مذاکرات",
    "بیان",
    "رپورٹ",
    "اعلان",
    "منصوبہ",
    "تعاون",
    "پابندیاں",
    "سفارت",
    "خانہ",
    "دفاع",
    "بحری",
    "جہاز",
    "سامان",
    "گندم",
    "تیل",
    "بجلی",
    "پل",
    "شہر",
    "دارالحکومت",
    "صوبہ",
    "علاقہ",
    "کمیشن",
    "کمیٹی",
    "ادارہ",
    "اخبار",
    "ٹیلی",
    "وژن",
    "ریڈیو",
    "عدالت",
    "پارلیمان",
    "فوج",
    "پولیس",
    "کسان",
    "مزدور",
    "طلبہ",
    "اساتذہ",
    "ڈاکٹر",
    "انجینئر",
    "صحافی",
    "تاجر",
    "سیاح",
    "ماہی",
    "گیر",
]


def many_sentences(n: int, prefix: str = "s") -> bytes:
    """`n` articles of one sentence each, as JSONL, all far apart (random word sequences, so that
    near-duplicate detection keeps every one): for pushes that take a while."""
    import random

    rng = random.Random(n)
    return jsonl(
        *(
            (f"{prefix}{i}", " ".join(rng.choices(WORDS, k=12)) + f" کے بارے میں خبر {i} آئی۔")
            for i in range(n)
        )
    )
