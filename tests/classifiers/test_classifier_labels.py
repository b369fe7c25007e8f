"""Label names of transformer models map to our labels whatever their style (no torch needed)."""

import numpy as np
import pytest

from classifiers.transformer import map_complaint_labels, map_sentiment_labels
from monitor.errors import ClassifierError


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "Negative", 1: "Neutral", 2: "Positive"}, [0, 1, 2]),
        ({0: "POSITIVE", 1: "NEGATIVE"}, [2, 0]),
        ({0: "neg", 1: "pos"}, [0, 2]),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, [0, 1, 2]),
        ({0: "LABEL_0", 1: "LABEL_1"}, [0, 2]),
        ({0: "0", 1: "1", 2: "2"}, [0, 1, 2]),
        ({0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}, [0, 0, 1, 2, 2]),
        ({0: "positive", 1: "neutral", 2: "negative"}, [2, 1, 0]),
    ],
)
def test_sentiment_label_styles(id2label: dict[int, str], expected: list[int]) -> None:
    m = map_sentiment_labels(id2label)
    assert m.shape == (len(id2label), 3)
    assert m.argmax(axis=1).tolist() == expected
    np.testing.assert_array_equal(m.sum(axis=1), np.ones(len(id2label)))


@pytest.mark.parametrize(
    "id2label",
    [{0: "joy", 1: "anger"}, {0: "negative", 1: "neutral"}, {0: "LABEL_0", 1: "LABEL_5"}],
)
def test_unmappable_sentiment_labels(id2label: dict[int, str]) -> None:
    with pytest.raises(ClassifierError):
        map_sentiment_labels(id2label)


@pytest.mark.parametrize(
    ("id2label", "index"),
    [
        ({0: "not_complaint", 1: "complaint"}, 1),
        ({0: "Complaint", 1: "Non-Complaint"}, 0),
        ({0: "LABEL_0", 1: "LABEL_1"}, 1),
        ({0: "no", 1: "yes"}, 1),
    ],
)
def test_complaint_label_styles(id2label: dict[int, str], index: int) -> None:
    assert map_complaint_labels(id2label) == index


def test_unmappable_complaint_labels() -> None:
    with pytest.raises(ClassifierError):
        map_complaint_labels({0: "a", 1: "b"})
    with pytest.raises(ClassifierError):
        map_complaint_labels({0: "complaint", 1: "not_complaint", 2: "other"})
