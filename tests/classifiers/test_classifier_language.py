"""Offline language detection: Persian vs Arabic, Tagalog vs English, mixed posts."""

import pytest

from classifiers import detect_languages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The delivery was late and nobody answered my emails", "en"),
        ("@acme why is my order still not here?", "en"),
        ("غذا خیلی سرد بود و پیک هم دیر رسید", "fa"),  # Persian letters ی ک پ
        ("چرا سفارشم هنوز نرسیده؟", "fa"),  # چ and common Persian words
        ("این گوشی واقعا عالیه", "fa"),
        ("لم يصل الطلب حتى الآن، هذه خدمة سيئة", "ar"),  # ة ي and Arabic function words
        ("الله يسعدكم على الخدمة الممتازة", "ar"),
        ("Grabe ang tagal ng delivery ko, wala pa rin hanggang ngayon", "tl"),
        ("Salamat po, ang ganda ng item", "tl"),
    ],
)
def test_main_language(text: str, expected: str) -> None:
    [guess] = detect_languages([text])
    assert guess.language == expected
    assert guess.languages[0] == expected


def test_persian_written_without_persian_only_letters_is_still_persian() -> None:
    # Words like است, که, را decide when the distinctive letters are absent.
    [guess] = detect_languages(["این خوب است که امروز رسید"])
    assert guess.language == "fa"


def test_arabic_keyboard_letters_in_arabic_text_stay_arabic() -> None:
    [guess] = detect_languages(["هذا المنتج رائع جدا وانصح به"])
    assert guess.language == "ar"


def test_taglish_lists_both_languages_main_first() -> None:
    [guess] = detect_languages(
        ["I love the product pero ang tagal ng shipping, sana mas mabilis naman next time"]
    )
    assert guess.language == "tl"
    assert guess.languages == ("tl", "en")


def test_mixed_scripts_list_both() -> None:
    [guess] = detect_languages(["My order from your store: سفارش من هنوز نرسیده است و خیلی دیر شد"])
    assert set(guess.languages) == {"fa", "en"}
    assert guess.languages[0] == guess.language


def test_full_width_and_bold_letters_are_latin() -> None:
    # pasted for emphasis: full-width forms and the mathematical bold and italic alphabets
    texts = [
        "ｗｈｙ ｉｓ ｔｈｅ ａｐｐ ｄｏｗｎ ａｇａｉｎ",
        "\U0001d5ea\U0001d5f5\U0001d606 is the app down again",  # 𝘄𝗵𝘆 (sans-serif bold)
        "𝑎𝑛𝑔 𝑡𝑎𝑔𝑎𝑙 𝑛𝑔 delivery, wala pa rin",
    ]
    assert [g.language for g in detect_languages(texts)] == ["en", "en", "tl"]


def test_no_letters_is_undetermined() -> None:
    guesses = detect_languages(["", "😡😡", "12345 !!!"])
    assert [g.language for g in guesses] == ["und", "und", "und"]
    assert all(g.languages == () for g in guesses)


def test_batch_order_and_independence() -> None:
    texts = ["wala pa rin ang order ko", "the app is down", "غذا سرد بود", "لم يصل الطلب"]
    together = [g.language for g in detect_languages(texts)]
    alone = [detect_languages([t])[0].language for t in texts]
    assert together == alone == ["tl", "en", "fa", "ar"]
    assert detect_languages([]) == []


@pytest.mark.parametrize(
    "text",
    [
        "اصلا تازه نبود مخصوصا رولت‌ها",  # no Persian-only letter, but a ZWNJ and نبود
        "دتول ارسال شده باز شده و ۱/۳ آن نبود",  # Persian digits
        "خوشمزه و نرم و تازه",
    ],
)
def test_persian_without_persian_only_letters(text: str) -> None:
    [guess] = detect_languages([text])
    assert guess.language == "fa"


def test_persian_in_latin_letters_is_persian() -> None:
    # "Finglish", common on social media
    [guess] = detect_languages(["sard bud vali khoshmaze bud, mamnoon"])
    assert guess.language == "fa"
    [guess] = detect_languages(["The food was cold but the rider was kind"])
    assert guess.language == "en"


@pytest.mark.parametrize(
    "text", ["Pangit at marupok", "maluwang and sobrang nipis", "medjo manipis yung tela"]
)
def test_tagalog_without_function_words_is_tagalog(text: str) -> None:
    [guess] = detect_languages([text])
    assert guess.language == "tl"


def test_finglish_is_marked_romanised() -> None:
    finglish, persian, english = detect_languages(
        ["kheili khoob bud merci", "خیلی خوب بود مرسی", "it was bad in the box"]
    )
    assert (finglish.language, finglish.romanised) == ("fa", True)
    assert finglish.languages == ("fa",)
    assert (persian.language, persian.romanised) == ("fa", False)
    # "bad", "in", "be" are Persian too, but only marker words make a post Finglish
    assert (english.language, english.romanised) == ("en", False)


# the other language's yeh and kaf: Persian is often typed on an Arabic layout (ي ك for ی ک),
# Arabic now and then on a Persian one
_OTHER_KEYBOARD = {"fa": str.maketrans("یک", "يك"), "ar": str.maketrans("يك", "یک")}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("سفارشم هنوز نرسیده و پشتیبانی جواب نمیده", "fa"),
        ("کیفیت غذا خیلی بد بود", "fa"),
        ("دیگه از اینجا سفارش نمیدم", "fa"),
        ("مثل همیشه عالی بود", "fa"),
        ("پیک خیلی دیر رسید", "fa"),
        ("لم يصل الطلب حتى الآن", "ar"),
        ("كيف حالك، الخدمة سيئة", "ar"),
        ("هذا المنتج ممتاز لكن التوصيل بطيء", "ar"),
        ("وين الطلب اللي دفعت عليه", "ar"),
    ],
)
def test_typed_on_the_other_keyboard_keeps_its_language(text: str, language: str) -> None:
    typed = text.translate(_OTHER_KEYBOARD[language])
    assert typed != text
    assert [g.language for g in detect_languages([text, typed])] == [language, language]


def test_keyboard_letters_break_a_tie() -> None:
    # no function word and no letter only one language uses: the keyboard's letters decide
    assert [g.language for g in detect_languages(["خدمات عالی", "خدمات عالي"])] == ["fa", "ar"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NovaBrew سيء جدا", "ar"),  # "NovaBrew very bad": more Latin letters than Arabic
        ("NovaBrew Pro Max خیلی بده", "fa"),
        ("my order from NovaBrew لم يصل", "en"),  # English words: the Latin is English
        ("NovaBrew Pro Max", "en"),  # no Arabic script at all: names stay Latin
    ],
)
def test_a_latin_name_in_arabic_script_text_does_not_make_it_english(
    text: str, expected: str
) -> None:
    """Nearly every matched post names the brand, often in Latin letters; counted as English,
    the name sent Arabic and Persian complaints to the English models."""
    assert detect_languages([text])[0].language == expected


def test_handles_and_links_do_not_count_as_english() -> None:
    # a post to a brand's Latin-script handle is still in the language it is written in
    texts = [
        "@NovaBrewSupport @NovaBrew الطلب لم يصل. Please help",
        "@NovaBrew سفارشم نرسید https://novabrew.example/orders/1234",
        "@NovaBrew https://t.co/abc",
    ]
    arabic, persian, nothing = detect_languages(texts)
    assert (arabic.language, arabic.languages) == ("ar", ("ar", "en"))
    assert persian.languages == ("fa",)
    assert (nothing.language, nothing.languages) == ("und", ())


@pytest.mark.parametrize(
    "text",
    [
        "میرا آرڈر ابھی تک نہیں پہنچا، بہت بری سروس ہے",  # Urdu
        "ئەم خزمەتگوزارییە زۆر خراپە",  # Sorani Kurdish
        "زما امر تر اوسه نه دی رسېدلی، ډېر خراب خدمت",  # Pashto
    ],
)
def test_other_arabic_script_languages_are_not_persian(text: str) -> None:
    [guess] = detect_languages([text])
    assert (guess.language, guess.languages) == ("und", ("und",))
