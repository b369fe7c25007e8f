"""Plain money, billing and no-answer complaints are flagged by the shipped classifier.

The artifact of 2026-11-23 missed them: "I want my money back" scored 0.05, "charged me
twice" 0.31, "nobody answers my emails" 0.17, and a post holding all three 0.47 with
sentiment "positive" (its "!" counted for positive and no lexicon word for negative). The
refit that fixed those still missed "I want a refund" (0.05), "I was charged twice for one
order" (0.46) and "nobody answers" (0.43), and flagged a thank-you for a refund received,
"Got my money back in two days, thanks @NovaBrew!" (0.92).
"""

import numpy as np
import pytest

from classifiers import OfflineClassifier, Sentiment, load_classifier
from classifiers.cues import EXTRA_NAMES
from classifiers.inputs import prepare


@pytest.fixture(scope="module")
def clf() -> OfflineClassifier:
    c = load_classifier()
    assert isinstance(c, OfflineClassifier)
    return c


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("NovaBrew charged me twice and nobody answers. I want my money back!", "en"),
        ("I want my money back", "en"),
        ("charged me twice", "en"),
        ("nobody answers my emails", "en"),
        ("I want a refund", "en"),
        ("I was charged twice for one order", "en"),
        ("nobody answers", "en"),
        # a resolution phrase after a negation is a complaint still
        ("Still haven't got my money back", "en"),
        ("I never got my refund", "en"),
        ("hindi pa na-refund, ang tagal", "tl"),  # not refunded yet, it's taking long
        ("هنوز پولم برگشت نخورده", "fa"),  # my money still hasn't come back
        ("للحين ما استرجعت فلوسي", "ar"),  # I still haven't got my money back
        ("ibalik niyo pera ko", "tl"),  # give my money back
        ("پولمو پس بدید", "fa"),  # give my money back
        ("کی پولمو پس میدید؟", "fa"),  # when will you give my money back?
        ("ابي فلوسي", "ar"),  # I want my money
        ("اريد استرجاع المبلغ", "ar"),  # I want the amount refunded
    ],
)
def test_money_and_no_answer_complaints_are_flagged(
    clf: OfflineClassifier, text: str, language: str
) -> None:
    [verdict] = clf.classify([text])
    assert verdict.language == language
    assert verdict.is_complaint, (text, verdict.complaint)


def test_a_refund_demand_with_an_exclamation_is_not_positive(clf: OfflineClassifier) -> None:
    [verdict] = clf.classify(
        ["NovaBrew charged me twice and nobody answers. I want my money back!"]
    )
    assert verdict.sentiment is Sentiment.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for the quick refund, great service",
        "What time does the store open on Sunday?",
        "ممنون، پولم برگشت",  # thanks, my money came back
        "Got my money back in two days, thanks @NovaBrew!",
        "Got my refund, thanks!",
        "استرجعت فلوسي خلال يومين، شكرا",  # I got my money back in two days, thanks
        "nakuha ko na yung refund ko, salamat",  # I got my refund, thanks
        "na-refund na ako, salamat po",  # I've been refunded, thank you
        "پولم برگشت خورد، ممنون",  # my money was returned, thanks
        # a demand word in a question or an advert is no demand
        "How do I get a refund?",
        "30 day money back guarantee",
    ],
)
def test_thanks_for_a_refund_and_plain_questions_are_not_complaints(
    clf: OfflineClassifier, text: str
) -> None:
    [verdict] = clf.classify([text])
    assert not verdict.is_complaint, (text, verdict.complaint)


def test_a_resolution_phrase_counts_as_positive_and_not_as_its_cues() -> None:
    """ "got my money back" holds the cues "my money" and "money back"; reporting it done,
    they are no complaint cue or negative word, and the phrase is one positive word."""
    extras = prepare(["Got my money back", "Never got my money back", "my money back"]).extras
    col = {name: np.expm1(extras[:, i]).round().astype(int) for i, name in enumerate(EXTRA_NAMES)}
    assert col["complaint_cues"].tolist() == [0, 2, 2]
    assert col["negative_words"][0] == 0 < col["negative_words"][2]
    assert col["positive_words"].tolist() == [1, 0, 0]
