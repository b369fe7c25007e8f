"""Offline language detection for the languages replywatch classifies: en, fa, ar, tl.

Two signals, both computed for a whole batch with numpy:

1. **Script.** Each code point is looked up in a table (Latin, Arabic script, Persian-only
   letters ``پ چ ژ گ``, Arabic-only letters ``ة ى إ ؤ``, other scripts). The yeh and kaf
   of each language (``ی ک`` / ``ي ك``) only break ties: Persian is often typed on an Arabic
   keyboard, which has only ``ي ك`` (a third of the Persian set, retyped so, was called
   Arabic when they counted as Arabic letters).
2. **Function words.** Very common words of each language (``the``/``and``, ``ang``/``ng``/
   ``wala``, ``که``/``این``/``است``, ``في``/``على``/``الذي``) are counted per text.

Persian and Arabic share most letters; the letters each language alone uses, and words like
``است`` (fa) or ``في`` (ar), tell them apart. Persian written in Latin letters ("Finglish":
"kheili khoob bud") is told by the marker words of :mod:`classifiers.finglish` and reported as
``fa`` with :attr:`LanguageGuess.romanised` set. Tagalog and English share the Latin alphabet, so
only words decide there; Taglish (both at once) lists both in :attr:`Verdict.languages`, the
one with more function words first.

What can go wrong: a very short text (one or two words of neither list) is guessed from its
script alone: Latin -> ``en``; Arabic script -> ``fa`` with a Persian-only letter, else by
the keyboard's yeh and kaf, else ``ar``.
Texts in scripts other than Latin and Arabic, or with no letters at all, are ``und``, and so
is Arabic script with two or more letters of Urdu, Kurdish or Pashto (``ے ں ڈ ێ ۆ ښ``...), which
would otherwise be read as Persian.
Other Latin-script languages (Spanish, Indonesian...) are reported as ``en``. @handles and
links are left out of the letter counts: "@NovaBrew الطلب لم يصل" is Arabic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from classifiers.features import Featurizer, Lexicon, Words
from classifiers.finglish import MARKERS
from classifiers.text import SEP, codepoints, join_batch, normalise, normalise_batch

__all__ = ["LanguageGuess", "detect_languages"]

# code point classes (_FA_MARK: ZWNJ and Persian digits, Persian signs that are not letters;
# _FA_KEY / _AR_KEY: the yeh and kaf of a Persian or an Arabic keyboard, see detect_languages;
# _NOT_FA_AR: Arabic-script letters of Urdu, Kurdish and Pashto, unused in Persian and Arabic)
_OTHER, _LATIN, _ARABIC, _FA_ONLY, _AR_ONLY, _OTHER_LETTER, _FA_MARK = range(7)
_FA_KEY, _AR_KEY, _NOT_FA_AR = range(7, 10)
_N_CLASSES = 10

_TABLE = np.zeros(0x10000, dtype=np.int8)
_TABLE[ord("a") : ord("z") + 1] = _LATIN
_TABLE[ord("A") : ord("Z") + 1] = _LATIN
_TABLE[0x00C0:0x0250] = _LATIN
# full-width Latin (ｎｏｔ ｗｏｒｋｉｎｇ), pasted for emphasis as are the mathematical bold and
# italic alphabets (𝗻𝗼𝘁 𝘄𝗼𝗿𝗸𝗶𝗻𝗴, see _MATH_LATIN); the features read both as plain Latin (the
# normaliser applies NFKC), and the letter counts must too, or such a post is ``und``
_TABLE[0xFF21:0xFF3B] = _LATIN
_TABLE[0xFF41:0xFF5B] = _LATIN
#: Mathematical alphanumeric symbols: the Latin letters, in every style (bold, italic, script...)
_MATH_LATIN = (0x1D400, 0x1D6A4)
_TABLE[0x0600:0x0700] = _ARABIC
_TABLE[0x0750:0x0780] = _ARABIC
_TABLE[0xFB50:0xFE00] = _ARABIC  # presentation forms A
_TABLE[0xFE70:0xFF00] = _ARABIC  # presentation forms B
_TABLE[0x064B:0x0660] = _OTHER  # diacritics
_TABLE[0x0660:0x066A] = _OTHER  # digits
_TABLE[0x06F0:0x06FA] = _FA_MARK  # Persian digits (Arabic writes ٠-٩)
_TABLE[0x200C] = _FA_MARK  # zero-width non-joiner: Persian spelling (می‌خواهم), not Arabic
for _ch in "پچژگ":
    _TABLE[ord(_ch)] = _FA_ONLY
for _ch in "ةىإؤ":
    _TABLE[ord(_ch)] = _AR_ONLY
for _ch in "یک":
    _TABLE[ord(_ch)] = _FA_KEY
for _ch in "يك":
    _TABLE[ord(_ch)] = _AR_KEY
for _ch in "ٹڈڑںھہۂۃےۓ" + "ڕڵێۆە" + "ټډړږښځڅېۍ":  # Urdu, Sorani Kurdish, Pashto
    _TABLE[ord(_ch)] = _NOT_FA_AR
# Other alphabets: Greek, Cyrillic, Hebrew, Indic, Thai, CJK, Hangul
for _lo, _hi in [(0x0370, 0x0530), (0x0590, 0x0600), (0x0900, 0x0E80), (0x3040, 0xA000)]:
    _TABLE[_lo:_hi] = _OTHER_LETTER
_TABLE[0xAC00:0xD7B0] = _OTHER_LETTER


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are was were to of you your my it its for in on this that with have has "
        "not i me we they be been but at from just what why how when will would can can't "
        "don't do does did i'm it's so if or an a all out about there please no yes"
    ),
    "tl": _words(
        "ang ng mga sa na ko mo ako ikaw hindi po yung yun naman lang pa rin din talaga ito "
        "siya kami tayo sila nila niya wala may ay pero kasi sana grabe ba nga lahat bakit "
        "kung para dito doon nag mag nang pag kayo natin namin ninyo opo oo ganda maganda "
        "salamat sobra kaya tapos pala sya dahil eh e kahit ulit bago ung nung dun "
        # common content words, so that a review without function words is still Tagalog
        "dumating di lng kulay pinadala nya nyo isa isang manipis nipis mura kaso tela sira "
        "gumagana gumana walang mali maling agad sayang mabilis bilis maayos ayos iba ibang tama "
        "sakin akin mas naka wag kong medyo medjo mejo nmn nman yan dapat sakto saktong nalang "
        "ano pera maliit malaki muna binigay nabili binili kulang nagustuhan kuya masyado "
        "masyadong tagal matagal gusto basta niyo dalawa dalawang nasa ganun ganito ganyan "
        "nakaka pangit panget mismong magtagal loob umorder oorder inyo sainyo nakalagay dami "
        "baka pwede puwede kase kapag madaling malakas mahina akala meron makapal sulit "
        "susunod kasya nagamit ginamit puro tahi mukhang sabi saka tunog ayusin nito napaka "
        "ngayon nadeliver presyo parehas pati bibili bayad hirap alam natanggap problema sobrang "
        "maluwag maluwang masikip marupok matibay"
    ),
    # Persian written in Latin letters ("Finglish"), common on social media
    "fa-latn": MARKERS,
    "fa": _words(
        "است که را این از با برای به می نمی هم یک بود ها های خیلی بسیار ولی اما چرا کی هست "
        "نیست شد بودند کنید کردم کرد رو هنوز دیگه خوب بد غذا سفارش ممنون مرسی نبود نشده "
        "داشت نداشت داشتم نداشتم هستم بودن میشه نمیشه تازه خوشمزه دوس "
        "تو شما اونا اون تا یه بار هر همه همین همون همیشه دارم داره داریم دارن کنم کنه "
        "کنن کنیم نکنه شده شدم بشه نشد نمیکنه میکنه کرده کردن کردید چی چیه کجا چطور "
        "چون اگه اگر باید خودم خودش میخوام نمیدونم بودم بوده نیومد اومد رسید نرسید نرسیده "
        "سرد گرم پیک کیفیت مزه باشید هستید هستیم"
    ),
    "ar": _words(
        "في على إلى الى عن هذا هذه التي الذي الله لا لم لن قد كان كانت مع هو هي انا أنا أو "
        "عند لقد ولا وهو الي لي لك لها نحن انت كيف ليش ليه وش ايش مش مو اللي منذ ثم كتير هذي "
        "ذلك تلك لكن لان عشان علشان فيه فيها منها عليها وين اليوم"
    ),
}
_LANGS = ("en", "tl", "fa", "ar", "fa-latn")
# Arabic's definite article, rare at the start of Persian words (normalised text) but for
# "بالا" (up, high) and "البته" (of course)
_AL_PREFIX = re.compile(r"(?<!\S)(?!بالا|البته)(?:وال|بال|فال|کال|لل|ال)\w{2,}")


# @handles and links are not written in the post's language: "@NovaBrew الطلب لم يصل"
# has more Latin letters than Arabic ones
_NOT_LANGUAGE = re.compile(r"@\w+|https?://\S+|www\.\S+")


def _language_text(texts: Sequence[str]) -> list[str]:
    """The texts without @handles and links (one substitution over the joined batch)."""
    return _NOT_LANGUAGE.sub(" ", join_batch(texts)).split(SEP)


def _al_prefix_counts(norm: Sequence[str]) -> np.ndarray:
    """Words starting with the Arabic article, per text (one scan over the joined batch)."""
    n = len(norm)
    joined = SEP.join(norm)
    starts = np.cumsum([0] + [len(t) + 1 for t in norm[:-1]])
    hits = [m.start() for m in _AL_PREFIX.finditer(joined)]
    rows = np.searchsorted(starts, hits, side="right") - 1
    return np.bincount(rows, minlength=n).astype(np.float64)


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The main language of a text and every language found in it, main first.

    ``romanised``: the main language is Persian written in Latin letters (Finglish).
    """

    language: str
    languages: tuple[str, ...]
    romanised: bool = False


@cache
def _function_words() -> Lexicon:
    """Each language's common words, one group per language (as ``_LANGS``)."""
    return Lexicon([sorted({normalise(w).strip() for w in _WORDS[lang]}) for lang in _LANGS])


def detect_languages(
    texts: Sequence[str],
    *,
    norm: Sequence[str] | None = None,
    words: Words | None = None,
) -> list[LanguageGuess]:
    """Guess the language(s) of each text (``en``, ``tl``, ``fa``, ``ar`` or ``und``).

    ``norm`` and ``words`` (normalised texts and their word hashes, from
    :meth:`Featurizer.encode`) are reused when the caller has them already.
    """
    n = len(texts)
    if n == 0:
        return []
    if norm is None:
        norm = normalise_batch(texts)
    if words is None:
        words = Featurizer().encode(norm)[1]
    cps, doc = codepoints(_language_text(texts))
    cls = _TABLE[np.minimum(cps, 0xFFFF)]
    cls[cps > 0xFFFF] = _OTHER  # emoji and the like
    cls[(cps >= _MATH_LATIN[0]) & (cps < _MATH_LATIN[1])] = _LATIN
    script = np.zeros((n, _N_CLASSES), dtype=np.float64)
    np.add.at(script, (doc, cls.astype(np.int64)), 1.0)
    common = _function_words().counts(words, n)  # columns: en, tl, fa, ar, fa-latn
    al = _al_prefix_counts(norm)

    latin = script[:, _LATIN]
    arabic = script[:, [_ARABIC, _FA_ONLY, _AR_ONLY, _FA_KEY, _AR_KEY, _NOT_FA_AR]].sum(axis=1)
    other = script[:, _OTHER_LETTER]
    fa_score = (
        2.0 * (script[:, _FA_ONLY] + np.minimum(script[:, _FA_MARK], 2.0)) + 4.0 * common[:, 2]
    )
    ar_score = 2.0 * script[:, _AR_ONLY] + 4.0 * common[:, 3] + 1.5 * al
    # Persian is often typed on an Arabic keyboard (ي ك for ی ک), and Arabic now and then on
    # a Persian one, so those two letters only break a tie between the scores above
    fa_key, ar_key = script[:, _FA_KEY], script[:, _AR_KEY]

    out: list[LanguageGuess] = []
    for i in range(n):
        found: list[tuple[float, str]] = []
        if arabic[i] > 0:
            if script[i, _NOT_FA_AR] >= 2:  # Urdu, Kurdish, Pashto: neither model reads them
                lang = "und"
            elif (fa_score[i], fa_key[i]) > (ar_score[i], ar_key[i]):
                lang = "fa"
            else:
                lang = "ar"
            found.append((arabic[i], lang))
        if latin[i] > 0:
            en, tl, finglish = common[i, 0], common[i, 1], common[i, 4]
            # Latin letters beside Arabic-script text with not one English, Tagalog or Finglish
            # word among them are names: "NovaBrew سيء جدا" is Arabic, whatever the letter count
            weight = latin[i] if arabic[i] == 0 or en + tl + finglish > 0 else 0.25 * latin[i]
            # each Latin language found gets a share of the Latin letters
            if finglish >= 2 and finglish > max(en, tl):
                found.append((weight, "fa-latn"))
            elif tl > 0 and en > 0 and min(en, tl) >= 2:
                share = weight / (en + tl)
                found.append((share * tl, "tl"))
                found.append((share * en, "en"))
            else:
                found.append((weight, "tl" if tl > en else "en"))
        if other[i] > 0 and other[i] >= 0.5 * (latin[i] + arabic[i]):
            found.append((other[i], "und"))
        if not found:
            out.append(LanguageGuess("und", ()))
            continue
        found.sort(key=lambda pair: -pair[0])
        romanised = found[0][1] == "fa-latn"
        names = [("fa" if lang == "fa-latn" else lang) for _, lang in found]
        langs = tuple(dict.fromkeys(lang for lang in names if lang != "und"))
        main = names[0]
        out.append(
            LanguageGuess(main, langs if main != "und" else ("und", *langs), romanised=romanised)
        )
    return out
