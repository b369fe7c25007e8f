"""A complaint that reports harm (a fire, an outage, a data leak, a lawsuit) is never positive.

Until this change such complaints were flagged critical or high with their reason, while their
sentiment read positive: the Arabic model learnt from news and politics tweets and knew none of
"انفجر" (exploded), "احترقت" (burned), so its prior for unknown words carried "جهاز نوفابرو
انفجر في المطبخ" to positive; in every language a word of thanks or praise ("thanks a lot",
"great job 👍", "ممنون", "salamat") outweighed the incident. Crisis detection counts negative
posts, so those reports were missing from the counts that should catch a wave of them.
"""

import numpy as np
import pytest

from classifiers import OfflineClassifier, Reason, Sentiment, load_classifier
from classifiers.cues import EXTRA_NAMES
from classifiers.inputs import prepare
from classifiers.offline import HARM_REASONS, SENTIMENT_LABELS, no_good_news


@pytest.fixture(scope="module")
def clf() -> OfflineClassifier:
    c = load_classifier()
    assert isinstance(c, OfflineClassifier)
    return c


# each read positive before, flagged as a complaint with its reason
HARM_COMPLAINTS = [
    ("جهاز نوفابرو انفجر في المطبخ", "ar"),  # the machine exploded in the kitchen
    ("شكرا نوفابرو، الماكينة انفجرت في المطبخ", "ar"),  # thanks, the machine exploded
    ("ماكينة نوفابرو الجديدة احترقت بعد يومين", "ar"),  # the new machine burned after two days
    ("ممنون از نوابرو، اطلاعات کارتم لو رفته", "fa"),  # thanks, my card details leaked
    ("نوابرو ممنون، اپ دوباره کار نمیکنه", "fa"),  # thanks, the app is not working again
    ("salamat sa NovaBrew, nasunog yung makina ko kagabi", "tl"),  # my machine burned
    ("salamat NovaBrew, sumabog yung Pod X2 sa kusina namin", "tl"),  # exploded in our kitchen
    ("My NovaBrew machine caught fire this morning, thanks a lot NovaBrew", "en"),
    ("Thanks @NovaBrew, my Pod X2 caught fire last night", "en"),
    ("The NovaBrew app is down again, great job 👍", "en"),
]


@pytest.mark.parametrize(("text", "language"), HARM_COMPLAINTS)
def test_a_complaint_that_reports_harm_is_not_positive(
    clf: OfflineClassifier, text: str, language: str
) -> None:
    [verdict] = clf.classify([text])
    assert verdict.language == language
    assert verdict.is_complaint, (text, verdict.complaint)
    assert HARM_REASONS.intersection(verdict.reasons), verdict.reasons
    assert verdict.sentiment is not Sentiment.POSITIVE, (text, verdict.sentiment_scores)
    assert verdict.sentiment_scores["positive"] == 0.0
    assert sum(verdict.sentiment_scores.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "negative_words"),
    [
        ("جهاز نوفابرو انفجر في المطبخ", 1),  # exploded
        ("الماكينة احترقت وطلع منها دخان", 2),  # burned, smoke
        ("وانفجرت الماكينة", 1),  # a conjunction joined to the verb
        ("Pod X2 آتیش گرفت", 1),  # caught fire
        ("nasunog yung makina", 1),  # burned
        ("my Pod X2 caught fire", 1),
        # figures of speech are no harm words
        ("خطر على بالي اطلب قهوة", 0),  # it crossed my mind to order a coffee
        ("sumabog sa sarap yung kape", 0),  # bursting with flavour
        ("this new flavour is fire", 0),
    ],
)
def test_harm_words_are_negative_words(text: str, negative_words: int) -> None:
    """The sentiment models read them: in the Arabic set (news and politics) these words
    hardly occur, so only the lexicon tells the model that an exploding machine is bad news."""
    extras = prepare([text]).extras
    count = np.expm1(extras[0, EXTRA_NAMES.index("negative_words")]).round()
    assert count == negative_words


def test_no_good_news_rules_out_positive_for_the_harmed_rows_only() -> None:
    """Positive is ruled out and the rest renormalised: the model's choice between negative
    and neutral stands."""
    sentiment = np.array([[0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [0.1, 0.4, 0.5], [0.0, 0.0, 1.0]])
    out = no_good_news(sentiment, np.array([True, False, True, True]))
    expected = [[0.4, 0.6, 0], [0.2, 0.3, 0.5], [0.2, 0.8, 0], [0.5, 0.5, 0]]
    assert np.allclose(out, expected)
    assert sentiment[0].tolist() == [0.2, 0.3, 0.5]  # the caller's array is left alone
    assert SENTIMENT_LABELS == ("negative", "neutral", "positive")


def test_a_callers_sentiment_is_left_as_its_model_gave_it(clf: OfflineClassifier) -> None:
    """The transformer backend hands its sentiment to ``verdicts``; its model was measured
    (and its mix with the offline models tuned) without the rule, so the rule leaves it be."""
    given = np.array([[0.15, 0.05, 0.8]])
    [fire] = clf.verdicts(["@NovaBrew my Pod X2 caught fire on the counter"], sentiment=given)
    assert fire.is_complaint and Reason.SAFETY in fire.reasons
    assert fire.sentiment is Sentiment.POSITIVE
    assert fire.sentiment_scores == pytest.approx(
        {"negative": 0.15, "neutral": 0.05, "positive": 0.8}
    )
    [own] = clf.verdicts(["@NovaBrew my Pod X2 caught fire on the counter"])
    assert own.sentiment_scores["positive"] == 0.0
    # what a transformer's sentiment is mixed with: the models' own, before the rule
    [raw] = clf.sentiment_probabilities(["@NovaBrew my Pod X2 caught fire on the counter"])
    assert raw[2] > 0.0
    assert raw[0] / raw[1] == pytest.approx(
        own.sentiment_scores["negative"] / own.sentiment_scores["neutral"]
    )


@pytest.mark.parametrize(
    "text",
    [
        "The NovaBrew Pod X2 is the best machine I ever had, love it",
        "ماكينة نوفابرو رائعة، شكرا",  # the machine is wonderful, thanks
        "دستگاه نوابرو عالیه، ممنون",  # the machine is great, thanks
        "ang ganda ng Pod X2, salamat NovaBrew",  # the Pod X2 is beautiful, thanks
    ],
)
def test_praise_without_harm_stays_positive(clf: OfflineClassifier, text: str) -> None:
    [verdict] = clf.classify([text])
    assert not verdict.is_complaint
    assert verdict.sentiment is Sentiment.POSITIVE, verdict.sentiment_scores
