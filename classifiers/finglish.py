"""Persian written in Latin letters ("Finglish"), read as Persian.

Iranian customers often write Persian in Latin letters on social media: "kheili bad bud,
ghaza sard bud". The Persian sentiment model, the complaint cues and the severity terms are
all Persian script, so before a post detected as Finglish is featurised, the words of this
table are spelt in Persian script ("خیلی بد بود، غذا سرد بود"); other words stay as written.
Finglish spelling varies (khoob, khub, khob; bood, bud, bod): a spelling that is not listed
but doubles letters is compared with them collapsed ("khooob" reads as "khob"); "baad",
after, is listed apart from "bad".

Two tables:

- :data:`MARKERS`: spellings that are Persian and not also common English or Tagalog
  words. Language detection counts them (two or more, and more than the English or Tagalog
  function words, make a Latin-script post Persian).
- the rest (``bad``, ``in``, ``be``, ``na``...) are spelt in Persian only in a post already
  found to be Finglish: "bad" is the same word in both languages, "in" is "this".

Written for replywatch, not taken from a data set.
"""

from __future__ import annotations

import re

from classifiers.text import normalise

__all__ = ["MARKERS", "to_persian"]

# Persian word: its Finglish spellings. Markers first, then words shared with English/Tagalog.
_MARKER_TABLE = """
خیلی: kheili kheyli khili kheli kheily khyli kheilii kheylii
خوب: khob khoob khub khoub khb
خوبه: khobe khoobe khube khobeh
خوبی: khobi khoobi khubi
بود: bud bood bod boud
بودن: budan boodan bodan
نبود: nabud nabood nabod
بودم: budam boodam bodam
عالی: aali aaali aalii
افتضاح: aftezah eftezah eftzah aftzah eftezahe
مزخرف: mozakhraf mozakhrafe mozakhrf
داغون: daghun daghoon
خراب: kharab kharabe
گرم: garm
سرد: sard sarde
دیر: dir dirr
زود: zood zud
هنوز: hanooz hanuz hanoz
نرسیده: naresideh nareside narside naresde
نرسید: naresid nareseed
رسید: resid reseed
سفارش: sefaresh sefarsh
سفارشم: sefaresham
غذا: ghaza ghazaa qaza
غذام: ghazam
کیفیت: keyfiat keyfiyat kefiat keifiat keyfiate keyfiyate
قیمت: gheymat gheimat qeymat gheymate gheimate
خوشمزه: khoshmaze khoshmazeh khoshmazze
بیمزه: bimaze bimazeh
بدمزه: badmaze badmazeh
ممنون: mamnoon mamnun mamnon
مرسی: merci mersi
تشکر: tashakor tashakkor tashakor
ولی: vali valli
اما: amma
واقعا: vaghean vagean vaghan vaqean
کاملا: kamelan
اصلا: aslan
هیچ: hich
نیست: nist
نیستش: nistesh
شد: shod
نشد: nashod
شده: shode shodeh
نشده: nashode nashodeh
میشه: mishe
نمیشه: nemishe nmishe
دیگه: dige digeh
پولم: poolam pulam
برگردونید: bargardunid bargardoonid bargardonid
بدترین: badtarin
بهترین: behtarin
پشیمون: pashimoon pashimun
راضی: razi
ناراضی: narazi
پیک: peyk
ارسال: ersal
تاخیر: takhir
سوخته: sukhte sookhte sokhte
زیاد: ziad ziyad
تازه: taze tazeh
بیات: bayat
کهنه: kohne kohneh
نمیکنه: nemikone nemikoneh nmikone
نمیده: nemide nemideh
جواب: javab
نمیدید: nemidid nemidin
پشتیبانی: poshtibani
شکایت: shekayat
وکیل: vakil
مسموم: masmoom masmum
لطفا: lotfan
چرا: chera chra
همه: hame hameh
چیز: chiz
سلام: salam slm
هستش: hastesh
هست: hast
و: va
از: az
در: dar
که: ke
یک: yek
رو: ro
کردم: kardam
کردن: kardan
"""
_SHARED_TABLE = """
بد: bad
بعد: baad baade
این: in een
به: be
با: ba
نه: na
کم: kam
پس: pas
کار: kar
یه: ye
بار: bar
سه: se
چی: chi
"""


def _collapse(word: str) -> str:
    """Runs of one letter cut to one ("khoob" -> "khob"), as spellings vary."""
    return re.sub(r"(.)\1+", r"\1", word)


def _parse(table: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in table.strip().splitlines():
        persian, spellings = line.split(":")
        for spelling in spellings.split():
            out[spelling] = normalise(persian).strip()
    return out


_MARKERS = _parse(_MARKER_TABLE)
_SHARED = _parse(_SHARED_TABLE)
#: Finglish spellings that mark a post as Persian (used by language detection).
MARKERS: frozenset[str] = frozenset(_MARKERS)
_EXACT = {**_SHARED, **_MARKERS}
# A collapsed spelling that is itself listed keeps its own word ("baad" collapses to "bad").
_COLLAPSED = {_collapse(k): v for k, v in _EXACT.items()} | _EXACT
_WORD = re.compile(r"[a-z]+")


def _spell(match: re.Match[str]) -> str:
    word = match.group()
    if word in _EXACT:  # a listed spelling: "baad" is after, "bad" bad
        return _EXACT[word]
    collapsed = _collapse(word)
    # an unlisted doubling of a listed spelling ("khooob"); a word with no doubled letter is
    # left alone, so the name "ali" does not become "aali" (عالی, great)
    return _COLLAPSED.get(collapsed, word) if collapsed != word else word


def to_persian(norm: str) -> str:
    """A normalised Finglish text with its known words in Persian script."""
    return _WORD.sub(_spell, norm)
