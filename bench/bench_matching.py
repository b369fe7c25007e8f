"""Throughput of :class:`monitor.matching.Watchlist`: 500 terms x 20,000 posts on one core.

Run ``python bench/bench_matching.py [--terms 500] [--texts 20000]``; prints texts/s. Posts
mix English, Taglish, Persian and Arabic, about one in five mentions a watched term.
"""

from __future__ import annotations

import argparse
import random
import time

from monitor.matching import Watchlist
from monitor.settings import Entity

_SYLLABLES = ("no", "va", "bre", "ka", "lu", "mi", "ta", "zo", "rin", "sel", "dor", "pex")
_FA_SYLLABLES = ("نو", "ا", "بر", "و", "کا", "لو", "می", "تا", "زو", "رین", "سل", "دور")
_FILLER = (
    "I ordered yesterday and the delivery was late again, support never answered my emails",
    "Nag-order ako kahapon pero ang tagal ng delivery, sana ayusin niyo po agad",
    "دیروز سفارش دادم ولی هنوز نرسیده و پشتیبانی هم جواب نمی‌دهد، خیلی ناراحتم",
    "طلبت أمس ولكن التوصيل تأخر كثيرا ولم يرد أحد من خدمة العملاء على رسائلي",
    "Great coffee this morning ☕️ but the app crashed twice 😡 #mondays @someone",
)


def make_entities(n_terms: int, rng: random.Random) -> list[Entity]:
    entities: list[Entity] = []
    for k in range(n_terms // 5):
        latin = "".join(rng.choice(_SYLLABLES) for _ in range(3)) + str(k)
        persian = "".join(rng.choice(_FA_SYLLABLES) for _ in range(3)) + "ک" * (k % 3) + str(k)
        terms = (latin.title(), f"#{latin}", f"@{latin}_hq", persian, f"{latin} pro")
        entities.append(
            Entity(id=f"e{k}", kind="product", name=latin, terms=terms, exclude=(), team="t")
        )
    return entities


def make_texts(entities: list[Entity], n_texts: int, rng: random.Random) -> list[str]:
    texts = []
    for _ in range(n_texts):
        words = rng.choice(_FILLER).split()
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), rng.choice(rng.choice(entities).terms))
        texts.append(" ".join(words))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--terms", type=int, default=500)
    parser.add_argument("--texts", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(7)
    entities = make_entities(args.terms, rng)
    texts = make_texts(entities, args.texts, rng)
    began = time.perf_counter()
    watchlist = Watchlist(entities)
    compiled_s = time.perf_counter() - began
    watchlist.match_many(texts[:100])  # warm the normalisation table
    began = time.perf_counter()
    results = watchlist.match_many(texts)
    elapsed_s = time.perf_counter() - began
    hits = sum(1 for r in results if r)
    terms = sum(len(e.terms) for e in entities)
    print(
        f"{terms} terms, {len(texts)} texts ({hits} with a match):"
        f" compile {compiled_s * 1e3:.0f} ms, {len(texts) / elapsed_s:,.0f} texts/s"
    )


if __name__ == "__main__":
    main()
