"""Hand-written multilingual lexicons: severity reasons, complaint cues and sentiment words.

Written for replywatch (not copied from any data set), in English, Persian, Arabic and
Tagalog/Taglish. Terms are written naturally; :func:`classifiers.text.normalise` is applied
to them at import, so Arabic ``ي``/Persian ``ی`` and the like match either way.

- :data:`REASON_TERMS`: the literal terms of each :class:`~classifiers.base.Reason`,
  found in normalised text with ``str.find`` over a whole batch (far faster than a regular
  expression of alternatives). Arabic stems may carry prefixes (``و``, ``ب``, ``ال``) and
  suffixes, so non-English terms match as substrings; English ones match whole words or
  phrases, with a trailing ``*`` where any ending is allowed.
- :data:`COMPLAINT_CUES`: words and two-word phrases that signal a complaint ("still
  waiting", ``هنوز``, ``لم يصل``, ``wala pa``). The complaint training data is English only,
  so for fa/ar/tl these cues and negative sentiment are what the complaint score rests on.
- :data:`POSITIVE` / :data:`NEGATIVE`: compact sentiment lexicons, emoji included, used as
  extra features by the linear sentiment models; the negative one holds words of harm done
  ("انفجر", "آتیش گرفت", "nasunog", "caught fire"), which the sentiment sets barely hold.
- :data:`HEDGES`: contrast and hedging words ("pero", "kaso", "ok lang", "not bad") that mark
  the mixed, middling posts of the neutral class.
- :data:`DEMANDS`: the English cues that name a complaint outright ("refund", "charged
  twice", "nobody answers"); they let the complaint rule overrule the English model, which
  reads a short post by its few n-grams ("I want a refund": 0.05).
- :data:`RESOLVED`: phrases that report a problem solved ("got my money back", "refund
  received"), matched like the severity terms; the cue and negative words inside one do not
  count, and it counts as a positive word.

Lexicon entries are one or two words (the features hash word unigrams and bigrams).
"""

from __future__ import annotations

from dataclasses import dataclass

from classifiers.base import Reason
from classifiers.text import normalise

__all__ = [
    "COMPLAINT_CUES",
    "DEMANDS",
    "HEDGES",
    "NEGATIONS",
    "NEGATIVE",
    "POSITIVE",
    "REASON_TERMS",
    "RESOLVED",
    "Term",
]


def _terms(block: str) -> tuple[str, ...]:
    """Terms separated by `` | `` or new lines, normalised; blank ones ignored.

    The separator has spaces around it so English regular expressions keep their own
    ``(?:a|b)`` alternations.
    """
    raw = [t.strip() for line in block.splitlines() for t in line.split(" | ")]
    return tuple(dict.fromkeys(normalise(t).strip() for t in raw if t.strip()))


@dataclass(frozen=True, slots=True)
class Term:
    """A literal to look for; English ones must start (and, unless a prefix, end) a word.

    ``unless`` holds the longer phrases that contain it in another sense, each with the
    offset of the term inside it: an occurrence that lies within one of them is not a hit
    ("انفجرت من الضحك", I burst out laughing, holds "انفجر", exploded). An occurrence with
    a word of ``not_after`` among the two words before it is not a hit either ("never got my
    money back")."""

    text: str
    word_start: bool
    word_end: bool
    unless: tuple[tuple[int, str], ...] = ()
    not_after: frozenset[str] = frozenset()


def _pattern(words: str, stems: str, unless: str = "", not_after: str = "") -> tuple[Term, ...]:
    """``words`` (English) match as whole words or word prefixes, ``stems`` anywhere; a term
    found inside one of the ``unless`` phrases, or after a word of ``not_after``, does not
    count there."""
    exceptions = _terms(unless)
    guards = frozenset(_terms(not_after))

    def term(text: str, word_start: bool, word_end: bool) -> Term:
        inside = tuple((phrase.find(text), phrase) for phrase in exceptions if text in phrase)
        return Term(text, word_start, word_end, inside, guards)

    out = [term(w.rstrip("*"), True, not w.endswith("*")) for w in _terms(words)]
    out += [term(st, False, False) for st in _terms(stems)]
    return tuple(out)


# English entries: whole words or phrases; a trailing * allows any word ending.
_LEGAL = _pattern(
    """sue you | sue u | sue them | sue your* | suing* | sued | lawsuit* | lawyer* | attorney*
    solicitor* | legal action | legal team | legal advice | to court | in court
    i will sue | we will sue | gonna sue | going to sue | i'll sue | we'll sue
    taking you to court | small claims | class action | class-action | report you to
    reporting you to | consumer protection
    ombudsman | trading standards | bbb | ftc | attorney general""",
    """وکیل | شکایت میکنم | شکایت کنم | شکایت کردم | دادگاه | پیگرد قانونی | اقدام قانونی
    تعزیرات | حمایت از مصرف کننده | شکایت قانونی
    محامی | محکمه | قضیه | دعوی قضاییه | سارفع دعوی | رفع دعوی | ساقاضی | قاضیک
    حمایه المستهلک | النیابه | شکوی رسمیه
    demanda | kakasuhan | kasuhan | sasampahan | abogado | korte | ireport sa dti
    irereklamo sa dti | sa dti | kinasuhan | hahabla | ihabla | hinabla
    sasampahan ng kaso | magsasampa ng kaso""",
)
_SAFETY = _pattern(
    """food poisoning | poison* | got sick | made me sick | made us sick | made my kid sick
    sick after | hospital* | allerg* | injur* | caught fire | on fire | explod* | burned
    burnt | unsafe | dangerous | hazard* | contaminat* | mold | moldy | mould* | choking
    cockroach* | roach | roaches | maggot* | worms in | glass in | recall* | vomit*
    diarrh* | rash | bleeding | electrocut* | expired
    catch fire | catching fire | catches fire | caught on fire | burst into flames
    fire hazard | scalded | electric shock* | electrical shock* | zapped me | got zapped
    shocked me when i touched | shocks me when i touch | shock when i touch*
    shocked when i touched | short circuit* | short-circuit* | sparking | threw sparks
    shooting sparks | sparks came | sparks coming | sparks flew out | smoke coming
    smoke came | smoke pouring | smoke started | smoke from the | smoke out of
    smoke everywhere | full of smoke | started smoking | began smoking | burning smell
    smell of burning | smells like burning | smelled like burning | smelt like burning""",
    """مسموم | مسمومیت | بیمارستان | حساسیت | سوختگی | اتش گرفت | منفجر | خطرناک | سوسک
    استفراغ | اسهال | حالم بد شد | حالمون بد شد | کپک | تاریخ گذشته | تاریخ انقضا | برق گرفت
    اتیش گرفت | اتش سوزی | اتشسوزی | اتیش سوزی | برقم گرفت | برق منو گرفت | دستم سوخت
    دستمو سوزوند | دستم رو سوزوند | اتصالی کرد | اتصالی داره | اتصالی داد | اتصال کوتاه
    دود بلند شد | دود میکنه | دود میده | دود کرد | ازش دود | دود ازش | باتریش ترکید
    باتری ترکید | خطر داره
    تسمم | مستشفی | حساسیه | حریق | انفجار | صرصور | حشرات | منتهی الصلاحیه | حروق | خطر علی
    احترق | انحرق | انفجر | خطیر علی | ماس کهربا | کهربنی | کهربتنی | کهربنا | کهربت ولدی
    صعقنی | صعقتنی | صعقه کهربا | طلع دخان | یطلع دخان | طالع دخان | منه دخان | منها دخان
    ریحه احتراق | ریحه شیاط | ریحه حرق | طلع شرار | یطلع شرار | طلعت شرار | اشتعلت النار
    اشتعلت النیران | اشتعل الجهاز | اشتعلت فیه
    nalason | lason | pagkalason | ospital | nasunog | sunog | sumabog | delikado | panganib
    ipis | nagsuka | pagtatae | nakuryente | expired na | uod
    nakoryente | kinuryente | kinoryente | nakukuryente | nakakakuryente | nag-spark
    nag spark | nagspark | umusok | nag-usok | nag usok | nagusok | may usok | nagliyab
    lumiyab | nag-apoy | nag apoy | nagapoy | umapoy | may apoy | pumutok ang baterya
    pumutok yung baterya | pumutok ang battery | pumutok yung battery | napaso ako
    napaso kamay | napaso ang kamay | napaso yung kamay""",
    # the same words in another sense: burst out laughing or with anger, fried nerves,
    # something that crossed one's mind, burnt coffee, burned out, news that broke; and
    # "ipis" (cockroach) inside "manipis" (thin), in 32 of the Tagalog set's 594 reviews
    """burnt coffee | burnt taste | tastes burnt | taste burnt | tasted burnt | burned out
    burnt out | sparking joy | sparking debate | sparking outrage | sparking controversy
    منفجر میشم | منفجر شدم | از خنده منفجر | از عصبانیت منفجر
    انفجرت من الضحک | انفجر من الضحک | انفجرنا من الضحک | انفجرت ضحک | انفجر ضحک
    انفجرنا ضحک | انفجرت بالضحک | انفجر بالضحک | انفجرت من القهر | انفجر من القهر
    انفجرت من الغضب | انفجر من الغضب | انفجرت غضب | خطر علی بال | احترق قلبی
    احترقت اعصابی | احترق دمی | انحرق دمی | اعصابی احترقت
    sumabog sa galit | sumabog ang galit | sumabog sa tawa | sumabog sa sarap
    sumabog ang balita | nipis""",
)
_OUTAGE = _pattern(
    """is down | are down | was down | been down | still down | went down | goes down
    it's down | site down | app down | server down | servers down | website down | outage*
    not working | doesn't work | doesnt work | don't work | won't load | won't open
    wont load | can't log in | can't login | cant login | can't sign in | can't connect
    can't access | cannot log in | cannot login | cannot access | crash* | offline
    no service | no signal | no internet | server error | error 500 | error 502 | error 503
    unavailable | blackout | power cut | no power | keeps freezing | glitch*
    has stopped working | have stopped working | it stopped working | app stopped working
    just stopped working | suddenly stopped working | stopped working again | stops working
    it won't work | it wont work | still won't work | won't work anymore | not loading
    isn't loading | isnt loading | won't connect | keeps logging me out""",
    """قطع شده | قطعه | قطع شد | کار نمیکنه | کار نمیکند | باز نمیشه | باز نمیشود
    از دسترس خارج | اختلال | وصل نمیشه | لود نمیشه | بالا نمیاد | ارور | قطعی
    عطل | معطل | لا یعمل | ما یشتغل | ما یفتح | لا یفتح | انقطاع | مقطوع | متوقف | خلل فی
    یعلق | واقف من | التطبیق واقف | البرنامج واقف | الموقع واقف | النظام واقف | السیستم واقف
    السیرفر طایح | الموقع طایح | التطبیق طایح | النت طایح | البرنامج طایح | النظام طایح
    down na | nag crash | nagcrash | ayaw gumana | hindi gumagana | di gumagana
    walang signal | walang internet | walang kuryente | brownout | hindi maka login
    di maka login | hindi makapag login | ayaw mag load | ayaw bumukas""",
)
_DATA = _pattern(
    """data leak* | data breach* | leaked my | leaked our | leaked data | breach* | hacked
    hacker* | privacy | personal data | personal information | personal info
    personal details | identity theft | stolen card | stolen identity | stolen data
    unauthori* | phishing | exposed my | selling my data | selling our data | gdpr | doxx*
    account was compromised | account got compromised | account compromised
    accounts were compromised | card was compromised | card compromised | data compromised
    compromised account | data was leaked | info was leaked | details were leaked""",
    """نشت اطلاعات | لو رفت | لو رفته | هک شد | هک شده | هکر | اطلاعات شخصی | حریم خصوصی
    اطلاعات کارت | برداشت غیرمجاز | برداشت غیر مجاز
    تسریب | اختراق | مخترق | بیاناتی | البیانات الشخصیه | الخصوصیه | سرقه الحساب
    na hack | nahack | na-hack | na leak | na-leak | personal na impormasyon | nakaw na account""",
)
_BOYCOTT = _pattern(
    """boycott* | viral | tell everyone | telling everyone | spread the word | share this
    everyone should know | the press | the media | journalist* | reporter* | news outlet*
    never buying | never shopping | never ordering | never flying | never using
    never again""",
    """تحریم | بایکوت | وایرال | همه بدونن | پخش کنید | رسانه | خبرنگار | دیگه سفارش نمیدم
    دیگه خرید نمیکنم | اطلاع رسانی کنید
    مقاطعه | قاطعوا | انشروا | انشر | فضیحه | الاعلام | صحفی | لن اشتری | لن اتعامل
    boycott | i-boycott | iboycott | viral | ipopost ko | ipo-post ko | i-share | ishare
    tulfo | hindi na ako bibili | di na ako bibili | hindi na ulit""",
)
_STAFF = _pattern(
    """rude* | disrespect* | unprofessional | yelled at | yelling at | shouted at
    shouting at | screamed at | screaming at | insult* | harass* | racist | racism
    discriminat* | sexist | swore at | cursed at | hung up on | laughed at | arrogant
    condescending | bad attitude | staff was rude | staff were rude""",
    """بی ادب | بیادب | بی احترامی | بیاحترامی | بد برخورد | برخورد بد | برخورد زشت | بداخلاق
    بد اخلاق | فحش | توهین | داد زد | بیشعور | بی شعور
    وقح | قله ادب | قلیل الادب | سوء معامله | سوء المعامله | اسلوب سیء | اهانه | عنصری | تحرش
    صرخ | قله احترام
    bastos | walang modo | walang galang | masungit | sinigawan | minura | suplado | suplada
    pabalang | ang sungit""",
)

#: The terms of each severity reason, matched against normalised text.
REASON_TERMS: dict[Reason, tuple[Term, ...]] = {
    Reason.LEGAL_THREAT: _LEGAL,
    Reason.SAFETY: _SAFETY,
    Reason.OUTAGE: _OUTAGE,
    Reason.DATA_BREACH: _DATA,
    Reason.BOYCOTT_VIRAL: _BOYCOTT,
    Reason.STAFF_CONDUCT: _STAFF,
}


def _with_conjunctions(terms: tuple[str, ...]) -> tuple[str, ...]:
    """``terms`` and, for each in Arabic script, its spellings with the conjunction و or ف
    joined to its first word ("وما وصل", "فلم يصل"): the features hash "وما" as a word of
    its own, so "ما وصل" alone misses "وما وصلني" and the like."""
    joined = [c + t for t in terms if "\u0621" <= t[0] <= "\u06d3" for c in ("و", "ف")]
    return tuple(dict.fromkeys((*terms, *joined)))


_CUES = _terms(
    """still waiting | been waiting | refund | never arrived | not arrived | hasn't arrived
    not received | never received | where is | wrong item | wrong order | damaged | broken
    cancel | cancelled | fix this | fix it | no response | no reply | unacceptable
    disappointed | disappointing | charged twice | overcharged | missing | delayed | late
    worst | terrible | awful | useless | scam | rip off | ripoff | complaint | complain
    customer service | waste | not happy | poor service | still no | still not | why is
    هنوز | پس کی | نرسیده | نیومده | نیامده | دیر | تاخیر | سرد | اشتباه | استرداد
    برگردونید | پولم | افتضاح | بد بود | کم بود | جواب نمیدن | جواب نمیده | لغو | چرا
    خراب | شکسته | کیفیت پایین | گرون | گران | نداد | نرسید | ناراضی | پشتیبانی | بدترین
    لم یصل | ما وصل | ما وصلنی | لم استلم | استرداد | ارجاع | تاخیر | سیء | سیءه
    زفت | افشل | اسوا | خدمه العملاء | لا احد | مشکله | الغاء | فلوسی | نصب | حرامیه | للاسف
    sira | wala pa | ang tagal | matagal | hanggang ngayon | refund | ibalik | hindi dumating
    di dumating | mali | kulang | pangit | panget | walang sumasagot | scam | peke | nasaan
    asan na | bakit | sayang | disappointed | hays | hay nako | hindi pa | di pa | nasira
    walang kwenta | walang kuwenta | basag | hindi tugma | iba ang | iba yung
    problem | problema | same problem | tumutulo | nawala | kinaltasan | walang sagot
    nasira na | ayaw gumana | palitan | ibinalik | hanggang ngayon wala | nagkasakit
    خراب شد | سوخت | جواب نمیدن | هیچ جوابی | پس بگیر | مشکل | روشن نمیشه
    عوض کنید | اشغال | بی کیفیت | خسارت | شکایت | پیگیری | کلافه
    کسر شد | کسر شده | کم شده | ثبت نشد | ثبت نشده
    خربت | خربان | مشکله | بدون رد | ما رد | ما وصل | متاخر | متاخره | تاخر | استبدال
    مرتین | انخصم | شکوی | ندمت | سییه | سیء | للاسف | ما یشتغل | ما ینفع | ابی فلوسی
    وش الحل | حسبی الله | زباله | المشکله | بدون حل | ignored | instead of
    ما جا | ما جانی | ما وصلت | لسه ما | لسا ما | للحین | لحد الان | الی الان
    ما انشحن | ما استلمت | مو واصل | تاخرت | اتاخر | مکسور | مکسوره | معطوب | تالف | تالفه
    عطلان | بایظ | بایظه | ما یعمل | غلط | خطا | ناقص | ناقصه | مختلف عن | مو نفس | غیر مطابق
    انسحب | انسحبت | استرجاع | رجعولی | ما رجع | ما رجعت | ما یرد | ما یردون | محد یرد
    ما احد | ما حد | تجاهل | قفل الخط | سکر الخط | الغو | الغیتو | کنسل | کنسلو
    مو زین | مش کویس | خایس | وسخ | معفن | مقرف | کل مره | نفس المشکله | للمره | اشتکی
    اشتکیت | مستحیل اطلب | اخر مره | لن اطلب | یطلعنی
    again | third time | 3rd time | fix your | me out | logged out | stuck | closed without
    ثالث مره | مره ثانیه | علقت | مشقوق | سه بار | هر بار | دوباره | از حساب خارج
    beses | na-stuck | stuck | nabasa | ulit | iniwan lang
    money back | my money | want my | my refund | refund me | refunded | not refunded
    never refunded | reimburse | reimbursement | chargeback | charged me | charged us
    was charged | got charged | been charged | still charged | charged for | paid for
    double charged | double charge | charged double | billed twice | billed me | overcharge
    overcharging | over charged | hidden fee | hidden fees
    nobody answers | no one answers | nobody answered | no one answered | nobody responds
    no one responds | nobody replies | no one replies | no answer | not answering
    never answered | never responded | never replied | not responding | not replying
    without response | without reply | any answer | any update | any updates | ignoring
    no callback | no call | never called | call back | on hold | gotten back
    پولمو پس | پس بدید | پس بدین | پس بده | پس میدید | پس میدین | پس نمیدن | پس نمیدید
    برگردونین | ابغی فلوسی | ارید فلوسی | رجعوا فلوسی | استرجاع المبلغ | استرداد المبلغ"""
)
#: Complaint cues, one or two words each (matched as word n-grams); Arabic-script ones also
#: with a conjunction joined in front (:func:`_with_conjunctions`).
COMPLAINT_CUES: tuple[str, ...] = _with_conjunctions(_CUES)

#: English cues that name a complaint outright: a demand for money back, a billing error, an
#: order that never came, a question nobody answers. In a post routed to English one lets the
#: complaint rule's score overrule a lower one from the English model (see
#: :mod:`classifiers.offline`); the rule still needs negative sentiment or several cues to
#: reach the threshold, so "Thanks for the quick refund" stays below it.
DEMANDS: tuple[str, ...] = _terms(
    """a refund | full refund | no refund | refund me | my refund | not refunded | never refunded
    charged twice | double charged | charged double | billed twice | overcharged | charged me
    was charged | been charged | never arrived | not arrived | hasn't arrived | not received
    never received | wrong item | wrong order | still waiting | no response | no reply
    nobody answers | no one answers | nobody answered | no one answered | nobody responds
    no one responds | nobody replies | no one replies | not answering | never answered
    never responded | never replied | chargeback | rip off | ripoff"""
)

#: Phrases that report a problem solved, in the four languages. Within one, the cue and
#: negative words it holds ("money back", "refund") are not counted, and it counts as a
#: positive word: "Got my money back in two days, thanks" had scored 0.92 as a complaint.
#: Matched as whole phrases like the severity terms; not after a negation or "still" ("never
#: got my refund", "هنوز"), nor followed by "yet". Arabic phrases whose past tense reads as an
#: imperative too ("رجعولي فلوسي": they gave me back / give me back my money) are left out.
RESOLVED: tuple[Term, ...] = _pattern(
    """got my money back | got our money back | got the money back | got my refund
    got our refund | got the refund | got a refund | got a full refund | got refunded
    been refunded | was refunded | were refunded | refunded me | refunded us | refund received
    received my refund | received the refund | received a refund | received a full refund
    refund came through | refund went through | refund has come through | refund arrived
    refund has arrived | money came back | refunded in full | fully refunded
    پولم برگشت | پولم برگشت خورد | پولم برگشت داده شد | پولمو پس دادن | پولم رو پس دادن
    پولمو برگردوندن | پولم رو برگردوندن | مبلغ برگشت داده شد | مبلغ برگشت خورد
    پولم به حسابم برگشت
    استرجعت فلوسی | استرجعت المبلغ | استلمت المبلغ | استلمت فلوسی | وصلنی المبلغ
    تم استرجاع المبلغ | تم الاسترجاع | تم استرداد المبلغ | تم رد المبلغ | انرد المبلغ
    nakuha ko na yung refund | nakuha ko na ang refund | nakuha ko na refund | na-refund na
    narefund na | na refund na | naibalik na yung pera | naibalik na ang pera
    naibalik na pera | nabalik na yung pera | nabalik na ang pera | nakuha ko na yung pera
    nakuha ko na ang pera | refunded na""",
    "",
    unless="""got my money back yet | got our money back yet | got the money back yet
    got my refund yet | got the refund yet | got a refund yet | got refunded yet
    been refunded yet | received my refund yet | received the refund yet
    received a refund yet | refund arrived yet | refund has arrived yet
    پولم برگشت نخورد | پولم برگشت نزد | پولم برگشت نداد""",
    not_after="""not | never | no | haven't | havent | hasn't | hasnt | hadn't | didn't | didnt
    wasn't | wasnt | weren't | isn't | still | yet | nobody | without | until
    هنوز | نه | ما | لم | لا | مش | مو | وما | فما | ولم | فلم | للحین | لسه | لسا
    hindi | di | wala | pa""",
)

NEGATIONS: tuple[str, ...] = _terms(
    """not | no | never | don't | doesn't | didn't | isn't | wasn't | won't | can't | cannot
    nobody | noone | nothing | none
    نه | نمی | نیست | نبود | هیچ | لا | لم | لن | ما | مش | مو | مب | ليس
    hindi | di | wala | walang | ayaw | huwag | wag"""
)

POSITIVE: tuple[str, ...] = _terms(
    """good | great | excellent | amazing | awesome | love | loved | lovely | best | perfect
    happy | thanks | thank | thank you | nice | wonderful | fantastic | brilliant | beautiful
    glad | enjoy | enjoyed | recommend | fast | quick | helpful | pleased | cool | fun | win
    superb | impressed | outstanding | excited | exciting | proud | favorite | favourite
    well done | smooth | solid | sweet | yay | congrats | congratulations | cute | friendly
    خوب | عالی | خیلی خوب | ممنون | مرسی | سپاس | دمتون گرم | خوشمزه | بینظیر | بی نظیر
    داغ | تازه | سریع | به موقع | راضی | عالیه | خوبه | محشر | فوق العاده | لذیذ | تشکر
    مودب | گرم بود | کامل | دوست داشتم | پیشنهاد میکنم | حرف نداشت | بهترین | تمیز
    جمیل | رائع | ممتاز | شکرا | الحمد لله | احب | حب | سعید | سعاده | مبروک | جید | افضل
    اجمل | روعه | تحفه | مذهل | نجاح | فوز | یسلمو | الله یسعد | موفق | شکر
    maganda | ganda | salamat | ang ganda | sulit | mabilis | ayos | okay | ok | good | love
    gusto | nagustuhan | mura | matibay | masarap | legit | panalo | bongga | thank you
    recommended | quality | maayos | tama | astig | solid | super ganda | very good | nice
    😀 | 😃 | 😄 | 😁 | 😊 | 😍 | 🥰 | 😘 | ❤ | 💕 | 💖 | 💯 | 👍 | 👌 | 🙏 | 🎉 | ✨ | 😂
    🤩 | ☺ | 💙 | 💜 | 💚 | 🔥 | 👏 | 🌹 | 😇 | 😋 | ♥"""
)

NEGATIVE: tuple[str, ...] = _terms(
    """bad | worst | terrible | awful | horrible | hate | hated | poor | sad | angry | annoyed
    disappointed | disappointing | useless | broken | fail | failed | failure | sucks | suck
    wtf | ugh | never | problem | issue | wrong | late | slow | rude | scam | waste | pathetic
    ridiculous | disgusting | sick | dead | died | death | kill | killed | war | attack
    crisis | fear | worry | worried | upset | shame | sorry | unfortunately | lost | lose
    disaster | mess | stupid | idiot | fake | liar | lies | cancel | refund | complaint
    money back | charged twice | double charged | overcharged | not refunded | nobody answers
    no one answers | no answer | my money | charged me
    بد | بدترین | افتضاح | سرد | دیر | ضعیف | کم | اشتباه | خراب | بی کیفیت | بیکیفیت
    متاسفانه | ناراضی | گرون | شور | بی مزه | بیمزه | سوخته | کثیف | بو میداد | مزخرف
    اصلا | افتضاح بود | وحشتناک | داغون | نرسید | تاخیر | حیف | بدمزه | بد مزه | خمیر
    سیء | سیءه | اسوا | زفت | فاشل | حرام | قتل | موت | حرب | ارهاب | ظلم | حزن | حزین
    للاسف | مشکله | کذب | کذاب | فساد | غبی | تعبان | مقرف | خساره | ضد | دمار | شهید
    استشهاد | قصف | ضحایا | الم | کارثه | فشل | مات
    pangit | panget | sira | mali | kulang | sayang | ayaw | hindi maganda | di maganda
    matagal | bagal | mabagal | peke | scam | bad | worst | disappointed | disappointing
    walang kwenta | nakakainis | nakakadismaya | badtrip | basag | luma | mahina | sablay
    punit | madumi | hays | hay | sobrang tagal | hindi gumagana | hindi tugma | di tugma
    manipis | nipis | napakanipis
    😡 | 😠 | 🤬 | 😤 | 😞 | 😔 | 😢 | 😭 | 💔 | 👎 | 😒 | 🙄 | 😩 | 😫 | 🤮 | 😣 | 😖
    😑 | 😐 | 😕 | ☹ | 💩 | 😱"""
) + _with_conjunctions(
    # harm done: a fire, a shock, poisoning, a breach. The Arabic set is news and politics and
    # the others hold these words a few times at most, so without them "جهاز نوفابرو انفجر في
    # المطبخ" (the machine exploded in the kitchen) read positive. Words that are praise or
    # something else as often are left out: خطير, خطر (خطر على بالي), sumabog (sumabog sa
    # sarap), منفجر (از خنده منفجر شدم), "on fire", "fire".
    _terms(
        """احترق | احترقت | انحرق | انحرقت | انفجر | انفجرت | انفجار | حريق | دخان | شرار
        كهربني | كهربتني | صعقني | صعقتني | اشتعلت | تسمم | مسموم | اختراق | مخترق
        آتیش گرفت | آتش گرفت | آتش‌سوزی | دود | برقم گرفت | برق گرفت | اتصالی | ترکید
        منفجر شد | مسموم | مسمومیت | خطرناک | سوختگی | لو رفت | لو رفته | هک شد | هک شده
        nasunog | umusok | usok | nakuryente | nakoryente | kinuryente | delikado | nalason
        napaso | nagliyab | nahack
        exploded | explosion | caught fire | electrocuted | unsafe | dangerous | hazard
        poisoned | poisoning | hacked | leaked | breach"""
    )
)

#: Contrast and hedging words of mixed, middling posts (a 3-star review: "maganda naman pero
#: medyo matagal"). In 5-fold CV over five fold seeds they lift Tagalog sentiment from 61.1 to
#: 63.9 macro-F1, mostly on the neutral class (63.0 at the earlier C of 1.0, 63.9 at 0.5). The
#: English words count (Taglish: "ok naman but..."; a Tagalog-only list gave 62.1); English and
#: Arabic sets move by 0.3 or less. Persian and Arabic hedges ("ولی", "معمولی", "لكن", "عادي")
#: changed nothing and are not listed.
HEDGES: tuple[str, ...] = _terms(
    """pero | but | kaso | kaya lang | kaya nga | though | tho | however | although | sana
    hindi naman | medyo | kaunti | konti | lang naman | ok lang | okay lang | oks lang | ok naman
    okay naman | pwede na | puwede na | sakto lang | sakto | average | so so | hindi masyado
    di masyado | not bad | not so | 3 stars | 3 star | three stars | ok na | okay na | pasado
    keri | keri lang | goods naman | ayos lang | ayos naman | expected
    sa presyo | mura naman | kaya 3"""
)
