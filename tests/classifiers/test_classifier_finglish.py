"""Persian in Latin letters ("Finglish"): spelt in Persian script, then read as Persian."""

import numpy as np
import pytest

from classifiers import Reason, load_classifier
from classifiers.finglish import to_persian
from classifiers.inputs import prepare
from classifiers.text import normalise
from classifiers.train import design_matrix


@pytest.mark.parametrize("spelling", ["khob", "khoob", "khub", "khooob", "khoub"])
def test_spelling_variants_become_one_persian_word(spelling: str) -> None:
    assert to_persian(f"ghaza {spelling} bud") == normalise("غذا خوب بود").strip()


def test_listed_spellings_win_over_collapsed_ones_and_unknown_words_stay() -> None:
    # "baad" is "after" (بعد); collapsing it would read "bad" (بد)
    assert to_persian("baad az ghaza bad bud") == normalise("بعد از غذا بد بود").strip()
    assert to_persian("badd") == normalise("بد").strip()  # doubled "bad" is still bad
    assert to_persian("pizza kheili sard bud") == "pizza " + normalise("خیلی سرد بود").strip()
    assert to_persian("ali goft aali bud").startswith("ali ")  # a name, not عالی


def test_a_finglish_post_is_the_same_model_input_as_its_persian_spelling() -> None:
    x = design_matrix(["sefaresham hanooz naresideh", "سفارشم هنوز نرسیده"]).toarray()
    np.testing.assert_array_equal(x[0], x[1])
    inputs = prepare(["sefaresham hanooz naresideh", "my order is late"])
    assert inputs.norm[1] == normalise("my order is late")  # other posts untouched


@pytest.fixture(scope="module")
def offline():
    return load_classifier()


@pytest.mark.parametrize(
    "text",
    [
        "kheili bad bud, ghaza sard bud",
        "sefaresham hanooz naresideh, se bar zang zadam",
        "aslan razi nabudam, peyk kheili dir resid",
    ],
)
def test_finglish_complaints_are_negative_complaints(offline, text: str) -> None:
    [v] = offline.classify([text])
    assert v.language == "fa"
    assert v.sentiment.value == "negative"
    assert v.is_complaint


@pytest.mark.parametrize("text", ["ghaza kheili khoshmaze bud, mamnoon", "merci, keyfiat aali bud"])
def test_finglish_praise_is_positive(offline, text: str) -> None:
    [v] = offline.classify([text])
    assert v.language == "fa"
    assert v.sentiment.value == "positive"
    assert not v.is_complaint


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("ba vakil miam, pulam ro bargardunid", Reason.LEGAL_THREAT),
        ("baad az ghaza masmoom shodam", Reason.SAFETY),
        ("app kheili vaghte kar nemikone", Reason.OUTAGE),
    ],
)
def test_finglish_severity_reasons(offline, text: str, reason: Reason) -> None:
    [v] = offline.classify([text])
    assert reason in v.reasons
