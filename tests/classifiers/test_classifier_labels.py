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


def test_batches_respect_row_and_token_limits() -> None:
    from classifiers.transformer import _batches

    lengths = np.array([30, 5, 12, 100, 7, 7, 60, 20, 3])
    order = np.argsort(lengths, kind="stable")
    batches = _batches(lengths[order], order, 4, 120)
    assert np.concatenate(batches).tolist() == order.tolist()  # every row once, sorted
    for rows in batches:
        assert len(rows) <= 4
        assert len(rows) == 1 or len(rows) * lengths[rows].max() <= 120
    assert [len(b) for b in batches] == [4, 3, 1, 1]
    # a text longer than the budget still gets a batch of its own
    assert [b.tolist() for b in _batches(np.array([500]), np.array([0]), 8, 100)] == [[0]]
