"""Safety complaints in four languages are flagged as critical, and look-alikes are not.

Until 2026-11-23 the safety terms held nouns ("حريق", "انفجار") but not the verbs people
write: "جهاز نوفابرو Pod X2 احترق في مطبخي، خطير جدا" (my machine burned in my kitchen,
very dangerous) and "ماكينة نوفابرو انفجرت" (the machine exploded) came out positive, not a
complaint, severity low, no reason; so did "آتیش گرفت", "umusok", "shocked me when I
touched it" and "smoke coming out".
"""

import pytest

from classifiers import OfflineClassifier, Reason, Severity, load_classifier
from classifiers.cues import find_reasons
from classifiers.text import normalise_batch


@pytest.fixture(scope="module")
def clf() -> OfflineClassifier:
    c = load_classifier()
    assert isinstance(c, OfflineClassifier)
    return c


SAFETY_POSTS = [
    ("جهاز نوفابرو Pod X2 احترق في مطبخي، خطير جدا", "ar"),  # burned in my kitchen
    ("ماكينة نوفابرو انفجرت", "ar"),  # the machine exploded
    ("الماكينة فيها ماس كهربائي وكهربتني", "ar"),  # a short circuit, it shocked me
    ("طلع دخان من الماكينة وريحة شياط", "ar"),  # smoke and a burning smell
    ("Pod X2 آتیش گرفت", "fa"),  # caught fire
    ("دستگاه اتصالی کرد و برقم گرفت", "fa"),  # it shorted and I got a shock
    ("nasunog yung Pod X2 ko sa kusina", "tl"),  # burned in the kitchen
    ("may ipis sa loob ng Pod X2 ko", "tl"),  # a cockroach inside my Pod X2
    ("umusok yung makina tapos nakuryente ako", "tl"),  # it smoked, then shocked me
    ("sumabog yung Pod X2 habang nag-brew", "tl"),  # exploded while brewing
    ("@NovaBrew my Pod X2 caught fire on the counter", "en"),
    ("@NovaBrew the machine exploded", "en"),
    ("@NovaBrew it shocked me when I touched it", "en"),
    ("@NovaBrew smoke coming out of the machine", "en"),
]


@pytest.mark.parametrize(("text", "language"), SAFETY_POSTS)
def test_safety_posts_are_critical_complaints(
    clf: OfflineClassifier, text: str, language: str
) -> None:
    [verdict] = clf.classify([text])
    assert verdict.language == language
    assert verdict.is_complaint, (text, verdict.complaint)
    assert Reason.SAFETY in verdict.reasons
    assert verdict.severity is Severity.CRITICAL


NEAR_MISSES = [
    "انفجرت من الضحك على اعلان نوفابرو 😂",  # I burst out laughing at the ad
    "خطر على بالي اطلب قهوة من نوفابرو",  # it crossed my mind to order a coffee
    "الجهاز خطير 🔥👌",  # Gulf and Egyptian slang: the machine is awesome
    "از خنده منفجر شدم 😂",  # I exploded with laughter
    "sumabog sa sarap yung kape nila 😍",  # bursting with flavour
    "this new flavour is fire 🔥",
    "The price hike shocked me",
    "I'm so burned out, need my NovaBrew",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_figures_of_speech_are_neither_safety_nor_complaints(
    clf: OfflineClassifier, text: str
) -> None:
    assert find_reasons(normalise_batch([text])) == [()]
    [verdict] = clf.classify([text])
    assert not verdict.is_complaint, (text, verdict.complaint)
    assert verdict.severity is Severity.LOW


@pytest.mark.parametrize(
    "text",
    [
        "احترقت اعصابي من التأخير، الطلب ما وصل",  # my nerves are fried, the order never came
        "پیتزا سوخته بود",  # the pizza was burnt
        "the coffee tastes burnt, not happy",
        "manipis yung tela, sayang",  # thin fabric: "ipis" (cockroach) inside "manipis"
    ],
)
def test_complaints_with_a_safety_word_in_another_sense_raise_no_safety(text: str) -> None:
    assert find_reasons(normalise_batch([text])) == [()]
