"""The public names of the classifiers package are pinned: other packages use only these."""

import classifiers


def test_all_is_pinned() -> None:
    assert sorted(classifiers.__all__) == [
        "BACKENDS",
        "Classifier",
        "DEFAULT_SENTIMENT_MODEL",
        "LanguageGuess",
        "OfflineClassifier",
        "Reason",
        "Sentiment",
        "Severity",
        "Verdict",
        "detect_languages",
        "load_classifier",
    ]


def test_every_exported_name_exists() -> None:
    for name in classifiers.__all__:
        assert getattr(classifiers, name) is not None, name
