"""Praise by comparison ("nobody answers faster than NovaBrew") is no complaint.

Once "nobody answers" was a demand (a cue that lifts the English complaint score),
"Nobody answers faster than NovaBrew support, love it" scored 0.64, up from 0.21: the negated
subject that opens a complaint opens a compliment too. The other languages had the same trap
through their own cues: "walang sumasagot" (nobody answers), "جواب نمیده" (doesn't answer,
which Persian writes after هیچکس, nobody), "لا احد" and "محد يرد" (nobody answers).
"""

import numpy as np
import pytest

from classifiers import OfflineClassifier, Sentiment, load_classifier
from classifiers.cues import EXTRA_NAMES
from classifiers.features import Featurizer
from classifiers.inputs import prepare
from classifiers.praise import praise_spans
from classifiers.text import normalise_batch


@pytest.fixture(scope="module")
def clf() -> OfflineClassifier:
    c = load_classifier()
    assert isinstance(c, OfflineClassifier)
    return c


# each was flagged as a complaint before
PRAISE = [
    ("Nobody answers faster than NovaBrew support, love it", "en"),
    ("No one replies quicker than @NovaBrewHelp, seriously impressed", "en"),
    ("Honestly no one beats NovaBrew support", "en"),
    ("No one answers like @NovaBrew, 10/10", "en"),
    # nobody answers faster than NovaBrew support
    ("walang sumasagot nang mas mabilis kaysa sa NovaBrew support", "tl"),
    ("walang sumasagot nang mas mabilis kesa sa NovaBrew, grabe", "tl"),
    ("هیچ‌کس سریع‌تر از پشتیبانی نوابرو جواب نمیده", "fa"),  # nobody answers faster than
    ("هیچکس زودتر از نوابرو جواب نمیده", "fa"),  # nobody answers sooner than NovaBrew
    ("لا أحد أسرع من دعم نوفابرو في الرد، أحبهم", "ar"),  # nobody is faster, I love them
    ("محد يرد أسرع منهم", "ar"),  # nobody answers faster than them
    ("لا أحد يرد أسرع من خدمة عملاء نوفابرو", "ar"),  # nobody answers faster than...
]


@pytest.mark.parametrize(("text", "language"), PRAISE)
def test_praise_by_comparison_is_not_a_complaint(
    clf: OfflineClassifier, text: str, language: str
) -> None:
    [verdict] = clf.classify([text])
    assert verdict.language == language
    assert not verdict.is_complaint, (text, verdict.complaint)
    assert verdict.sentiment is Sentiment.POSITIVE, (text, verdict.sentiment_scores)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("nobody answers my emails", "en"),
        ("No one answers faster than 48h, joke of a company", "en"),  # a span of time
        ("Nothing worse than NovaBrew support, nobody answers", "en"),  # unfavourable
        ("No one is slower than NovaBrew support, still waiting on my refund", "en"),
        ("walang sumasagot sa NovaBrew", "tl"),
        ("هیچ کس زودتر از ۳ روز جواب نمیده", "fa"),  # nobody answers sooner than 3 days
        ("هیچکس جواب نمیده، سه روزه منتظرم", "fa"),  # nobody answers, waiting 3 days
        ("لا احد يرد على الرسائل", "ar"),  # nobody answers the messages
        ("محد يرد أسرع من يومين، خدمة سيئة", "ar"),  # nobody answers within two days
    ],
)
def test_no_answer_complaints_are_still_complaints(
    clf: OfflineClassifier, text: str, language: str
) -> None:
    [verdict] = clf.classify([text])
    assert verdict.language == language
    assert verdict.is_complaint, (text, verdict.complaint)


def _spans(texts: list[str]) -> list[tuple[int, str]]:
    norm = normalise_batch(texts)
    return praise_spans(norm, Featurizer().encode(norm)[1])


def test_spans_run_from_the_negated_subject_to_what_is_compared() -> None:
    texts = [
        "nobody answers my emails",
        "Nobody answers faster than NovaBrew support, love it",
        "no other brand does it better than NovaBrew",
        "walang mas mabilis sumagot sa NovaBrew support",
        "هیچ‌کس سریع‌تر از پشتیبانی نوابرو جواب نمیده، عالیه",
        "لا أحد أسرع من دعم نوفابرو",
        "No one answers faster than 3 days",
    ]
    assert _spans(texts) == [
        (1, "nobody answers faster than"),
        (2, "no other brand does it better than"),
        (3, "walang mas mabilis sumagot sa"),
        (4, "هیچکس سریعتر از پشتیبانی نوابرو جواب نمیده"),  # up to the negated verb
        (5, "لا احد اسرع من"),
    ]


def test_a_span_is_one_positive_word_and_not_its_demand_or_cues() -> None:
    """ "nobody answers" is a demand, a complaint cue, a negative word and holds a negation;
    inside a comparison it is none of them, and the comparison counts as a positive word."""
    inputs = prepare(["Nobody answers faster than NovaBrew", "Nobody answers, NovaBrew"])
    col = {
        name: np.expm1(inputs.extras[:, i]).round().astype(int)
        for i, name in enumerate(EXTRA_NAMES)
    }
    assert inputs.demands.tolist() == [0, 1]
    assert col["complaint_cues"].tolist() == [0, 1]
    assert col["negations"].tolist() == [0, 1]
    assert col["negative_words"].tolist() == [0, 1]
    assert col["positive_words"].tolist() == [1, 0]
