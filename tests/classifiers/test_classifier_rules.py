"""Normalisation, hashed features, severity reasons and the severity rule."""

import unicodedata

import numpy as np
import pytest

from classifiers import Reason, Severity, load_classifier
from classifiers.cues import EXTRA_NAMES, find_reasons
from classifiers.features import N_FEATURES, N_WORD, Featurizer, char_column, term_columns
from classifiers.inputs import prepare
from classifiers.lexicons import COMPLAINT_CUES
from classifiers.severity import assess_severity
from classifiers.text import normalise, normalise_batch


def test_arabic_and_persian_letter_variants_fold_together() -> None:
    assert normalise("كيك") == normalise("کیک")
    assert normalise("مدرسة") == normalise("مدرسه")
    assert normalise("أحمد") == normalise("احمد")
    # presentation forms (scraped tweets) and tatweel, diacritics, ZWNJ
    assert normalise("ﻃﻔﻼً") == normalise("طفلا")
    assert normalise("نوفــــابرو") == normalise("نوفابرو")
    assert normalise("رستوران\u200cها") == normalise("رستورانها")


def test_invisible_format_characters_vanish() -> None:
    # copied right-to-left text carries bidi isolates, embeddings and marks around words
    plain = normalise("سفارشم هنوز نرسیده")
    assert normalise("\u2067سفارشم هنوز نرسیده\u2069") == plain
    assert normalise("\u202bسفارشم\u202c \u200fهنوز\u061c نرسیده") == plain
    assert normalise("\ufeffسفارشم\u200b هنوز نر\u00adسیده") == plain
    assert normalise("still\u2066 waiting\u2069") == "still waiting"
    # every format character of the basic plane, whatever Unicode version Python has
    format_chars = "".join(
        chr(cp) for cp in range(0x10000) if unicodedata.category(chr(cp)) == "Cf"
    )
    assert normalise(f"a{format_chars}b") == "ab"


def test_persian_verb_prefix_typed_with_a_space_joins_its_verb() -> None:
    # phones often lack the ZWNJ key: "نمی کنه" is the same word as "نمی‌کنه" and "نمیکنه"
    joined = normalise("کار نمیکنه")
    assert normalise("کار نمی کنه") == joined
    assert normalise("کار نمی\u200cکنه") == joined
    assert normalise("شکایت مي كنم") == normalise("شکایت میکنم")  # Arabic keyboard
    # only the prefix as a word of its own, before a word in Arabic script
    assert normalise("کمی دیر شد") == "کمی دیر شد"
    assert normalise("حامی من") == "حامی من"
    assert normalise("love me می") == "love me می"


def test_elongation_urls_mentions_and_digits() -> None:
    assert normalise("soooooo baaaad") == "soo baad"
    assert normalise("@Acme_Help see https://x.co/abc") == " @acme_help see http "
    assert normalise("۱۲۳ ٤٥") == "123 45"


def test_normalise_batch_keeps_one_text_per_input() -> None:
    texts = ["a\x1eb", "", "line\nbreak", "\\u2019quoted\\u2019"]
    out = normalise_batch(texts)
    assert len(out) == 4
    assert out[0] == "a b"
    assert out[2] == "line break"
    assert out[3] == "'quoted'"


def test_halves_of_surrogate_pairs_become_the_replacement_character() -> None:
    # JSON keeps an emoji cut in two as a lone surrogate, and some dumps keep the escapes as
    # literal text; UTF-32 encoding (hashing, language detection) rejects a lone one
    assert normalise("late again \\ud83d\\ude21") == normalise("late again 😡")
    assert normalise("late again \\ud83d") == normalise("late again \ufffd")
    assert normalise("late again \ud83d") == normalise("late again \ufffd")
    verdicts = load_classifier().classify(
        ["still waiting for my refund, worst service ever \ud83d", "ok \\udc00 \\ud83d"]
    )
    assert verdicts[0].language == "en" and verdicts[0].is_complaint


def test_features_do_not_depend_on_the_batch() -> None:
    feat = Featurizer()
    texts = ["The app is down again!!", "غذا سرد بود", "", "wala pa rin 😡"]
    together = feat.transform(texts).toarray()
    for i, text in enumerate(texts):
        alone = feat.transform([text]).toarray()[0]
        np.testing.assert_allclose(together[i], alone, rtol=1e-6)
    assert together.shape == (4, N_FEATURES)
    # each non-empty text has unit-norm word and character blocks
    for row in together[[0, 1, 3]]:
        assert np.linalg.norm(row[:N_WORD]) == pytest.approx(1.0, rel=1e-5)
        assert np.linalg.norm(row[N_WORD:]) == pytest.approx(1.0, rel=1e-5)


def test_a_long_batch_counts_as_its_texts_alone() -> None:
    # a long batch hashes character n-grams in several passes, a short one in one
    texts = ["The app is down again!!", "غذا سرد بود", "", "wala pa rin 😡 " * 40] * 150
    feat = Featurizer()
    norm = normalise_batch(texts)
    assert sum(len(t) + 3 for t in norm) > 2 * (1 << 15)
    together = feat.counts(norm)
    for i in range(4):
        alone = feat.counts([norm[i]])
        for row in (i, len(texts) - 4 + i):
            got = together[row]
            assert got.indices.tolist() == alone.indices.tolist()
            assert got.data.tolist() == alone.data.tolist()


def test_counts_hold_words_bigrams_and_char_ngrams() -> None:
    m = Featurizer().counts(["wala pa"])
    cols = set(m.indices.tolist())
    assert set(term_columns(["wala", "pa", "wala pa"])) <= cols
    assert char_column("wala") in cols
    assert char_column("a p") in cols
    # 2 words + 1 bigram; chars of " wala pa " (9): 9 + 8 + 7 + 6 + 5 n-grams, repeats summed
    assert m.sum() == 3 + 9 + 8 + 7 + 6 + 5


REASON_EXAMPLES = [
    ("I'll sue you if this isn't fixed", Reason.LEGAL_THREAT),
    ("My lawyer will be in touch", Reason.LEGAL_THREAT),
    ("اگه پولمو پس ندید با وکیل میام", Reason.LEGAL_THREAT),
    ("سأتواصل مع محامي بخصوص هذا الطلب", Reason.LEGAL_THREAT),
    ("idedemanda ko kayo sa ginawa nyo", Reason.LEGAL_THREAT),
    ("Got food poisoning from your burger", Reason.SAFETY),
    ("بعد از خوردن غذا مسموم شدم", Reason.SAFETY),
    ("أصبت بتسمم بعد الوجبة", Reason.SAFETY),
    ("nalason kami sa pagkain nyo", Reason.SAFETY),
    ("The app is down again and I can't log in", Reason.OUTAGE),
    ("اپ از صبح کار نمیکنه", Reason.OUTAGE),
    ("التطبيق لا يعمل منذ الصباح", Reason.OUTAGE),
    ("hindi gumagana yung app nyo", Reason.OUTAGE),
    ("You had a data leak and now I get spam", Reason.DATA_BREACH),
    ("اطلاعات شخصی مشتری ها لو رفته", Reason.DATA_BREACH),
    ("تم اختراق حسابي", Reason.DATA_BREACH),
    ("na-hack yung account ko sa app nyo", Reason.DATA_BREACH),
    ("Everyone should boycott this brand", Reason.BOYCOTT_VIRAL),
    ("همه باید این برند رو تحریم کنن", Reason.BOYCOTT_VIRAL),
    ("يجب مقاطعة هذه الشركة", Reason.BOYCOTT_VIRAL),
    ("ipapa-tulfo ko kayo", Reason.BOYCOTT_VIRAL),
    ("Such rude staff at your store", Reason.STAFF_CONDUCT),
    ("پیک خیلی بی ادب بود", Reason.STAFF_CONDUCT),
    ("المندوب كان وقح جدا", Reason.STAFF_CONDUCT),
    ("ang bastos ng rider nyo", Reason.STAFF_CONDUCT),
    # threats without an object, hyphenated, and the spellings of phones and dialects
    ("We will sue if this isn't fixed by Friday", Reason.LEGAL_THREAT),
    ("Count me in on the class-action against you", Reason.LEGAL_THREAT),
    ("ازتون شکایت می کنم", Reason.LEGAL_THREAT),  # a space where the ZWNJ belongs
    ("والله بقاضيكم على هذا", Reason.LEGAL_THREAT),
    ("kinasuhan na namin kayo", Reason.LEGAL_THREAT),
    ("ihahabla ko kayo", Reason.LEGAL_THREAT),
    ("The app stopped working after the update", Reason.OUTAGE),
    ("اپ از دیروز کار نمی کنه", Reason.OUTAGE),
    ("التطبيق واقف", Reason.OUTAGE),
    ("النت طايح من الصبح", Reason.OUTAGE),
    ("My account was compromised and someone ordered on my card", Reason.DATA_BREACH),
    ("Customer data was leaked last week", Reason.DATA_BREACH),
]


def test_lexicon_features_count_hedges_and_sentiment_words() -> None:
    texts = [
        "Maganda naman pero medyo matagal ang delivery",  # 3-star Taglish: mixed
        "Not bad for the price, but the strap feels cheap",
        "Sobrang ganda, thank you seller! 😍",
        "Sira agad, sayang pera 😡",
    ]
    extras = prepare(texts).extras
    col = {name: extras[:, i] for i, name in enumerate(EXTRA_NAMES)}
    hedges = np.expm1(col["hedges"]).round().astype(int).tolist()
    assert hedges == [2, 2, 0, 0]  # pero, medyo; not bad, but
    assert col["positive_words"][2] > 0 and col["negative_words"][2] == 0
    assert col["negative_words"][3] > 0 and col["positive_words"][3] == 0


@pytest.mark.parametrize(("text", "reason"), REASON_EXAMPLES)
def test_reasons_in_four_languages(text: str, reason: Reason) -> None:
    [found] = find_reasons(normalise_batch([text]))
    assert reason in found


@pytest.mark.parametrize(
    "text",
    [
        "Meet me at the food court",
        "Pursue your dreams",
        "Sunday brunch was lovely",
        "The download finished",
        "قطار امروز سر وقت رسید",
        "Sue at the counter was so helpful",
        "We compromised on a later delivery date",
        "Finally it works again, never stopped loving this app",
        "Ask Sue if they have oat milk",  # a name, not a lawsuit
        "Thanks Sue for the lovely flat white",
        "Will Sue be at the counter today?",
        "Pagod na ako sa trabaho kaso laban lang",  # "but fight on", not a court case
        "ابني طايح وانكسرت يده",  # my son fell and broke his hand: not an outage
        "كنت طايح من الضحك",  # falling over laughing
        "I stopped working at the cafe last year",
        "That excuse won't work on my kids",
    ],
)
def test_no_reason_from_look_alike_words(text: str) -> None:
    assert find_reasons(normalise_batch([text])) == [()]


def test_reasons_found_across_a_batch_go_to_the_right_text() -> None:
    texts = ["all good here", "I'll sue you", "fine", "rude staff and a data leak", ""]
    found = find_reasons(normalise_batch(texts))
    assert found == [
        (),
        (Reason.LEGAL_THREAT,),
        (),
        (Reason.DATA_BREACH, Reason.STAFF_CONDUCT),
        (),
    ]


def test_severity_rule() -> None:
    legal = (Reason.LEGAL_THREAT,)
    outage = (Reason.OUTAGE,)
    assert assess_severity(legal, is_complaint=False, negative=0.1) == (Severity.LOW, ())
    assert assess_severity(legal, is_complaint=True, negative=0.9) == (Severity.CRITICAL, legal)
    assert assess_severity(outage, is_complaint=True, negative=0.9) == (Severity.HIGH, outage)
    two = (Reason.OUTAGE, Reason.STAFF_CONDUCT)
    assert assess_severity(two, is_complaint=False, negative=0.6) == (Severity.CRITICAL, two)
    assert assess_severity((), is_complaint=True, negative=0.6) == (Severity.NORMAL, ())
    loud = assess_severity((), is_complaint=True, negative=0.9, uppercase_share=0.8)
    assert loud == (Severity.HIGH, ())
    assert assess_severity((), is_complaint=False, negative=0.9) == (Severity.LOW, ())


@pytest.mark.parametrize(
    ("text", "reason", "severity"),
    [
        (
            "I will sue you, my refund still hasn't arrived after 3 weeks",
            Reason.LEGAL_THREAT,
            Severity.CRITICAL,
        ),
        (
            "Your app is down again and I can't pay my bills. Terrible.",
            Reason.OUTAGE,
            Severity.HIGH,
        ),
        ("غذا مسموم بود، حالم بد شد و بیمارستان رفتم", Reason.SAFETY, Severity.CRITICAL),
        ("المندوب كان وقح جدا والطلب لم يصل", Reason.STAFF_CONDUCT, Severity.HIGH),
        ("We will sue if this isn't fixed", Reason.LEGAL_THREAT, Severity.CRITICAL),
        ("ازتون شکایت می کنم، پولم رو پس بدید", Reason.LEGAL_THREAT, Severity.CRITICAL),
        ("والله بقاضيكم، الطلب ما وصل", Reason.LEGAL_THREAT, Severity.CRITICAL),
        ("kinasuhan na namin kayo, wala pa rin ang refund", Reason.LEGAL_THREAT, Severity.CRITICAL),
        ("ＴＨＥ ＡＰＰ ＳＴＯＰＰＥＤ ＷＯＲＫＩＮＧ ＡＧＡＩＮ", Reason.OUTAGE, Severity.HIGH),
    ],
)
def test_verdict_severity_end_to_end(text: str, reason: Reason, severity: Severity) -> None:
    [v] = load_classifier().classify([text])
    assert reason in v.reasons
    assert v.severity is severity


def test_praise_mentioning_a_reason_word_stays_low() -> None:
    [v] = load_classifier().classify(
        ["Thank you so much, the hospital staff were amazing and kind"]
    )
    assert v.severity is Severity.LOW
    assert v.reasons == ()


@pytest.mark.parametrize(
    ("text", "column"),
    [("ما وصل", "complaint_cues"), ("تسمم", "reasons")],  # didn't arrive; food poisoning
)
def test_a_cue_or_reason_weighs_more_in_arabic(text: str, column: str) -> None:
    # the Arabic sentiment model (news and politics tweets) often reads a flat service
    # complaint as neutral, so the rule leans on cues and reasons there
    from classifiers.offline import rule_complaint

    extras = prepare([text]).extras
    other = "reasons" if column == "complaint_cues" else "complaint_cues"
    assert extras[0, EXTRA_NAMES.index(column)] > 0
    assert extras[0, EXTRA_NAMES.index(other)] == 0
    negative, positive = np.array([0.2]), np.array([0.3])
    [ar] = rule_complaint(negative, positive, extras, np.array(["ar"]))
    [fa] = rule_complaint(negative, positive, extras, np.array(["fa"]))
    assert ar >= 0.5 > fa


def test_arabic_cues_match_with_a_joined_conjunction() -> None:
    # "and (it) didn't arrive": the conjunction is written joined to the next word, which
    # the features hash as a word of its own
    texts = ["الطلب ما وصل", "الطلب وما وصل", "الطلب فما وصل", "الطلب ولم يصل", "الطلب يصل"]
    cues = prepare(texts).extras[:, EXTRA_NAMES.index("complaint_cues")]
    assert cues[0] > 0
    assert cues[1] == cues[2] == cues[0]
    assert cues[3] > 0
    assert cues[4] == 0


@pytest.mark.parametrize(
    ("text", "is_complaint"),
    [
        ("طلبي ما وصل", True),  # my order didn't arrive
        ("دفعت الفلوس وما استلمت الطلب", True),  # I paid and did not receive the order
        ("ولم يصل الطلب حتى الان", True),  # and the order has not arrived yet
        ("انخصم المبلغ مرتين", True),  # charged twice
        ("المنتج وصلني مكسور", True),  # it arrived broken
        # food poisoning, a night in the ER: the sentiment model calls it neutral
        ("شربت قهوة Nova Gold وجاني تسمم، قضيت الليل في الطوارئ", True),
        ("شكرا على الخدمة الممتازة", False),
        ("متى تفتحون الفرع الجديد؟", False),  # a plain question
        ("هل الضمان يشمل المطحنة؟", False),  # a question about the warranty
    ],
)
def test_arabic_service_complaints(text: str, is_complaint: bool) -> None:
    [verdict] = load_classifier().classify([text])
    assert verdict.language == "ar"
    assert verdict.is_complaint is is_complaint


def test_a_word_sharing_a_lexicon_terms_bucket_is_not_a_hit() -> None:
    """Lexicons match by the full word hash: a word folded into the same feature column as a
    complaint cue (about one cue in ten shares its column with some word of a few thousand
    tweets) is not a cue."""
    cue_columns = set(term_columns(COMPLAINT_CUES))
    candidates = [f"zq{i}x" for i in range(60_000)]
    counts = Featurizer().counts(candidates)
    word_column = counts.indices[counts.indptr[:-1]]  # one word each: its row's lowest column
    assert (word_column < N_WORD).all()
    colliding = [t for t, col in zip(candidates, word_column, strict=True) if col in cue_columns]
    assert colliding, "no word of the sample shares a cue's column"
    extras = prepare([*colliding[:3], "still waiting"]).extras
    cues = extras[:, EXTRA_NAMES.index("complaint_cues")]
    assert cues.tolist()[:-1] == [0.0] * len(colliding[:3])
    assert cues[-1] > 0
