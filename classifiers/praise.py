"""Praise by comparison: "nobody answers faster than NovaBrew", "no one beats them".

A negated subject opens a complaint ("nobody answers", a complaint cue, a negative word and a
demand that lifts the English complaint score) and a compliment alike: "Nobody answers faster
than NovaBrew support, love it" scored 0.64 as a complaint once "nobody answers" was a demand.
:func:`praise_spans` finds the compliments in normalised text, in the four languages: a negated
subject, at most three words, a *favourable* comparative and the word that introduces what it
is compared with:

- English: nobody / no one / nothing / none / no other X ... faster, better, quicker, sooner,
  nicer, cheaper, more helpful ... than (or "then"); ... beats, tops, outdoes, comes close;
  ... like @handle ("No one answers like @NovaBrew");
- Tagalog: walang / wala nang ... mas mabilis, mas maganda, kasing bilis, tatalo ... then, within
  two words, kaysa / kesa / sa / ng ("walang mas mabilis sumagot sa NovaBrew");
- Persian: هیچ / هیچکس ... سریعتر, بهتر, زودتر, ارزونتر ... از, and the negated verb that
  closes the clause within five words ("هیچکس سریعتر از نوابرو جواب نمیده": Persian negates
  the verb after هیچکس, and "جواب نمیده" alone is a complaint cue);
- Arabic: لا احد / ما احد / محد / ما في / لا يوجد ... اسرع, افضل, احسن, ارخص ... من (منهم,
  منكم), or ينافس / يضاهي ("لا احد اسرع من دعم نوفابرو", "محد يرد اسرع منهم").

Unfavourable comparatives are not praise and are not listed ("nothing worse than", "no one is
slower than", "بدتر از", "اسوا من"). Nor is a comparison with a span of time: "nobody answers
faster than 3 days", "هیچکس زودتر از یک هفته جواب نمیده", "محد يرد اسرع من يومين" complain
that every answer takes that long, so a match followed by a number or a unit of time (within
three words after "than" and what it holds) is dropped.

:func:`classifiers.cues.lexicon_counts` treats a span like a phrase that reports a problem
solved: the cue, demand, negation and negative words inside it do not count, and it counts as
one positive word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import numpy as np

from classifiers.features import Words, term_hashes
from classifiers.text import SEP, normalise

__all__ = ["praise_spans"]


def _words(block: str) -> list[str]:
    """The ``|``-separated entries of ``block``, normalised as the texts are (Arabic and
    Persian letter variants, lower case)."""
    return list(dict.fromkeys(normalise(w).strip() for w in block.split("|") if w.strip()))


def _alt(words: list[str]) -> str:
    """A regular-expression alternation of ``words``, longest first."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


_EN_SUBJECTS = _words("nobody | no one | noone | no-one | nothing | none")
_EN_BETTER = _words(
    """better | faster | quicker | sooner | nicer | kinder | friendlier | cheaper | easier
    | smoother | tastier | fresher | more helpful | more responsive | more reliable
    | more friendly | more professional | more patient | more polite"""
)
_EN_BEATS = _words("beats | beat | tops | outdoes | outperforms | comes close | compares")
_TL_SUBJECTS = _words("walang | wala nang | wala ng | wala")
_TL_BETTER = _words(
    """mabilis | bilis | bibilis | maganda | ganda | gaganda | magaling | galing | mahusay
    | husay | mabait | maayos | ayos | masarap | sulit | mura | maaasahan | maasikaso
    | maalaga | okay | ok | better"""
)
_TL_EQUAL = _words(
    """kasing bilis | kasingbilis | kasing ganda | kasingganda | kasing galing
    | kasinggaling | kasing husay | kasing bait | kasing sarap | kasing ayos | sing bilis
    | singbilis | sing galing | singgaling | tatalo | tumalo | tumatalo | makakatalo
    | makatalo | hihigit | tatapat | papantay"""
)
#: Persian adjectives whose comparative (+ تر, joined or after a space) praises.
_FA_STEMS = _words(
    """سریع | زود | تند | ارزون | ارزان | خوشمزه | مودب | خوش برخورد | خوشبرخورد | راحت
    | باحال | تمیز | با کیفیت | باکیفیت | خوب | دلسوز | حرفه ای | حرفهای | مهربون | مهربان
    | قشنگ | شیک"""
)
_AR_SUBJECTS = _words(
    """لا احد | ما احد | ما حد | محد | ما في | مافي | ما فيه | مافيه | لا يوجد | ما يوجد
    | لا شي | لا شيء"""
)
_AR_BETTER = _words(
    """اسرع | افضل | احسن | اجمل | الطف | ارخص | اروع | اشطر | اسهل | اقوى | انظف | اطيب
    | اذوق"""
)
_AR_BEATS = _words("ينافس | ينافسكم | ينافسهم | يضاهي | يتفوق")

#: A word of the same clause (no punctuation, no line between texts).
_W = rf"[^ {SEP},.!?;:()\"]+"
#: At most three words between the subject and the comparative.
_GAP = rf"(?: {_W}){{0,3}}?"
_START = r"(?<![\w@#'])"

_EN = (
    rf"{_START}(?:{_alt(_EN_SUBJECTS)}|no other {_W}){_GAP} (?:{_alt(_EN_BETTER)}"
    rf"(?: {_W}){{0,2}}? (?P<en>than|then)\b|(?P<enb>{_alt(_EN_BEATS)})\b"
    r"|(?P<enl>like)(?= @\w))"
)
_TL = (
    rf"{_START}{_alt(_TL_SUBJECTS)}{_GAP} (?:mas {_alt(_TL_BETTER)}|{_alt(_TL_EQUAL)})"
    rf"(?: {_W}){{0,2}}? (?P<tl>kaysa|kesa|keysa|sa|ng|kay)\b"
)
_FA = (
    rf"{_START}هیچ(?:کس|کسی|کی)?{_GAP} (?:بهتر|{_alt(_FA_STEMS)} ?تر) (?P<fa>از)"
    # and the negated verb that closes the clause (هیچکس ... جواب نمیده)
    rf"(?:(?: {_W}){{0,4}}? ن(?:می|یست|دار|داشت|کرد|شد|بود|داد|دید)[^ {SEP},.!?;:()\"]*)?"
)
_AR = (
    rf"{_START}[وف]?{_alt(_AR_SUBJECTS)}{_GAP} (?:{_alt(_AR_BETTER)}"
    rf" (?P<ar>من[^ {SEP},.!?;:()\"]*)|(?P<arb>{_alt(_AR_BEATS)}))"
)
_PRAISE = re.compile("|".join(f"(?:{p})" for p in (_EN, _TL, _FA, _AR)))
_MARKERS = ("en", "enb", "enl", "tl", "fa", "ar", "arb")

#: The first word of every comparative above: only texts holding one are searched.
_ANCHORS = (
    [w.split()[0] for w in _EN_BETTER + _EN_BEATS + _TL_EQUAL + _AR_BETTER + _AR_BEATS]
    + ["like", "mas", "بهتر", "تر"]
    + [f"{stem}تر".split()[-1] for stem in _FA_STEMS]
)

#: Units of time (digits are checked apart): "faster than 3 days" is a complaint.
_TIME = frozenset(
    _words(
        """minute | minutes | min | mins | hour | hours | hr | hrs | day | days | week | weeks
        | month | months | year | years | ages | forever | weekend | minuto | oras | araw
        | linggo | buwan | taon | دقیقه | ساعت | روز | هفته | ماه | سال | دقيقة | دقائق | ساعة
        | ساعات | ساعتين | يوم | يومين | ايام | اسبوع | اسبوعين | اسابيع | شهر | شهرين | شهور
        | سنة"""
    )
)
#: A number, or one with a unit of time joined ("3", "48h", "2days"); not "10/10".
_NUMBER = re.compile(r"\d+(?:h|hr|hrs|hours?|d|days?|mins?|w|wks?|weeks?)?")


@cache
def _anchors() -> np.ndarray:
    """The sorted word hashes of :data:`_ANCHORS`."""
    return np.unique(np.array(term_hashes(_ANCHORS), dtype=np.uint64))


def _about_time(text: str, start: int, end: int) -> bool:
    """Whether the words from ``start`` (after the comparative's "than") to ``end``, and
    the three after it, hold a number or a unit of time."""
    words = [w.strip(",.!?;:()\"'") for w in text[start:end].split() + text[end:].split()[:3]]
    return any(w in _TIME or _NUMBER.fullmatch(w) for w in words)


def praise_spans(norm: Sequence[str], words: Words) -> list[tuple[int, str]]:
    """``(text index, span)`` for each comparative compliment in the normalised texts
    ``norm``, in text order (``words``: their word hashes, :meth:`Featurizer.encode`).

    Only the texts holding a comparative (by word hash) are searched, with one regular
    expression over them joined: searching every text cost 6 µs a text, a tenth of the
    whole classifier's time per text in large batches."""
    keys = _anchors()
    unigrams = words.hashes[: words.n_unigrams]
    at = np.minimum(np.searchsorted(keys, unigrams), len(keys) - 1)
    rows = np.unique(words.docs[: words.n_unigrams][keys[at] == unigrams]).tolist()
    if not rows:
        return []
    joined = SEP.join(norm[i] for i in rows)
    starts = np.cumsum([0] + [len(norm[i]) + 1 for i in rows])
    out: list[tuple[int, str]] = []
    for m in _PRAISE.finditer(joined):
        k = int(np.searchsorted(starts, m.start(), side="right")) - 1
        text = joined[starts[k] : starts[k + 1] - 1]
        marker = next(g for g in _MARKERS if m.group(g) is not None)
        if not _about_time(text, m.end(marker) - starts[k], m.end() - starts[k]):
            out.append((rows[k], m.group()))
    return out
