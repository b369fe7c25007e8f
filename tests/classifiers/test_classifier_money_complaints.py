"""Plain money, billing and no-answer complaints are flagged by the shipped classifier.

The artifact of 2026-11-23 missed them: "I want my money back" scored 0.05, "charged me
twice" 0.31, "nobody answers my emails" 0.17, and a post holding all three 0.47 with
sentiment "positive" (its "!" counted for positive and no lexicon word for negative).
"""

import pytest

from classifiers import OfflineClassifier, Sentiment, load_classifier


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
    ],
)
def test_thanks_for_a_refund_and_plain_questions_are_not_complaints(
    clf: OfflineClassifier, text: str
) -> None:
    [verdict] = clf.classify([text])
    assert not verdict.is_complaint, (text, verdict.complaint)
