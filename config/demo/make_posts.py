"""Regenerate the NovaBrew demo stream and its answer key.

    python config/demo/make_posts.py

writes ``config/demo/posts.jsonl`` and ``tests/data/demo_expected.json``. The texts are written
by hand below; this script only assigns ids, authors, timestamps and URLs, deterministically
(fixed seed), and checks the result. See ``config/demo/README.md``.

Conventions inside the texts:
  ``^``       in Persian (fa) texts becomes U+200C ZERO WIDTH NON-JOINER (half-space).
  ``@{to}``   becomes the handle of the author of the post being answered or reposted.
  ``ar=True`` rewrites a Persian text with Arabic letters (ی -> ي, ک -> ك), the way people
              typing on an Arabic keyboard layout write Persian.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ZWNJ = "\u200c"

# category names, as in tests/data/demo_expected.json
C, N, NO, NM, OWN, RP, AMB = (
    "complaint",
    "not_complaint",
    "noise",
    "near_miss",
    "own_reply",
    "repost",
    "ambiguous",
)

POSTS: list[dict] = []


def P(
    cat,
    lang,
    text,
    *,
    plat="x",
    key=None,
    reply=None,
    repost=None,
    h=None,
    name=None,
    kind=None,
    ar=False,
    sub=None,
    tag=None,
    followers=None,
    same_as=None,
):
    POSTS.append(
        dict(
            cat=cat,
            lang=lang,
            text=text,
            plat=plat,
            key=key,
            reply=reply,
            repost=repost,
            h=h,
            name=name,
            kind=kind,
            ar=ar,
            sub=sub,
            tag=tag,
            followers=followers,
            same_as=same_as,
        )
    )


# ======================================================================================
# English
# ======================================================================================
P(
    C,
    "en",
    "Ordered from @NovaBrew on Nov 2 and STILL nothing. Tracking number says 'invalid'. 3 weeks. Absolutely ridiculous 😡 #NovaBrew",
    key="en_late",
)
P(
    C,
    "en",
    "My NovaBrew Pod X2 died after 6 weeks. Won't power on, just blinks red. @NovaBrewHelp what now??",
    key="en_pod_dead",
)
P(
    C,
    "en",
    "Same here, my Pod X2 started blinking red yesterday and now it's a very expensive paperweight 😤",
    reply="en_pod_dead",
    kind="reply",
    key="en_pod_same",
)
P(
    C,
    "en",
    "NovaCup app crashes every single time I open the rewards tab. Deleted and reinstalled twice. Useless 🤬",
    key="en_app_crash",
)
P(
    C,
    "en",
    "NovaBrew refused my refund because the box was 'opened'. It arrived BROKEN. How else was I supposed to find out?? Never buying again",
    key="en_refund",
)
P(
    C,
    "en",
    "The barista at the NovaBrew Shoreditch store was so rude to me this morning. Rolled her eyes and slammed my cup on the counter. Unacceptable.",
    key="en_rude",
)
P(
    C,
    "en",
    "Got sick after drinking the Nova Gold beans from NovaBrew last night. Threw up twice and the bag smelled sour 🤢 is anyone checking food safety??",
    key="en_sick",
)
P(
    C,
    "en",
    "Just got a phishing email with my full name, address AND order history claiming to be from NovaCup. Was your data leaked @NovaBrew?? We deserve an answer",
    key="en_leak",
)
P(
    C,
    "en",
    "If @NovaBrew doesn't refund my £189 by Friday I'm taking them to small claims court. I have every email saved.",
    key="en_legal",
)
P(
    C,
    "en",
    "Boycott NovaBrew. They ignore customers, delete complaints and treat their baristas like garbage. #BoycottNovaBrew #NovaBrew",
    key="en_boycott",
)
P(
    C,
    "en",
    "is the NovaCup app down?? white screen since 8am, can't order anything. whole office is without coffee, this is bad",
    key="en_down",
)
P(
    C,
    "en",
    "Pod X2 leaking water all over my counter every morning. Second replacement unit, same problem. Done with NovaBrew.",
    key="en_leak_water",
)
P(
    C,
    "en",
    "Got double charged on the NovaCup app. Two payments, one order. Support chat just loops back to the FAQ 🙃",
    key="en_double",
)
P(
    C,
    "en",
    "@MarcoReyesNB you're head of support right? 5 tickets opened, all closed without a single reply. Explain.",
    key="en_marco",
)
P(
    C,
    "en",
    "Leila Farahani says 'customers come first' on every podcast but NovaBrew support hasn't answered my email in 3 weeks. Empty words.",
    key="en_leila",
)
P(
    C,
    "en",
    "Courier dumped my NovaBrew order in the rain and drove off. Soaked box, ruined beans, and support hung up on me when I called.",
    key="en_courier",
)
P(
    C,
    "en",
    "NovaBrew sent me decaf instead of the Nova Gold I ordered and has ignored my emails for two weeks",
    key="en_wrong",
)
P(
    C,
    "en",
    "hey <!channel> look at this 👇 @NovaBrewHelp my Pod X2 burned my hand with steam, the valve blew off. <@U01AAAAAAA> *URGENT* <https://evil.example/x|click for photos>",
    key="en_hostile",
)
P(
    C,
    "en",
    "nova brew charged me for a subscription I cancelled in october and won't give it back. get it together",
    key="en_sub",
)
P(
    C,
    "en",
    "NovaBrew takes 3 weeks to ship a bag of beans to Nova Scotia and then loses it. Never again 🙄",
    key="en_ns",
)
P(
    C,
    "en",
    "NovaBrew Pod X2 grinder jammed after 3 weeks, warranty claim denied\n\nBought the Pod X2 in October. The built-in grinder jammed on week 3 (no oily beans, only their own Nova Gold). Support says grinder jams are 'wear and tear' and not covered. £349 machine. Anyone had luck escalating this?",
    plat="reddit",
    sub="Coffee",
    h="grindjammed",
    key="en_rd_grinder",
)
P(
    C,
    "en",
    "NovaBrew app took my money and cancelled my order\n\nPlaced an order in the NovaCup app, got charged £23.40, then the order shows 'cancelled by store'. No refund after 9 days and chat support is a bot that closes the conversation. Posting here so others know.",
    plat="reddit",
    sub="novabrew",
    h="oatmilk_andy",
    key="en_rd_app",
)
P(
    C,
    "en",
    "+1, exactly the same thing happened to me last week with the NovaCup app. still no refund",
    plat="reddit",
    reply="en_rd_app",
    kind="comment",
    h="throwaway_latte",
    key="en_rd_app_same",
)

P(
    N,
    "en",
    "Honestly the Nova Gold roast from @NovaBrew is the best thing that's happened to my mornings ☕😍",
)
P(
    N,
    "en",
    "Does the Pod X2 work with Nespresso Original pods or only NovaBrew ones?\n\nThinking of getting one but I have two boxes of Nespresso pods left.",
    plat="reddit",
    sub="nespresso",
    key="en_q_compat",
)
P(
    N,
    "en",
    "Shoutout to @NovaBrewHelp, fixed my order issue in 10 minutes. That's how it's done 🙌",
    key="en_shout",
)
P(N, "en", "New NovaCup app update is clean. Ordering is way faster now 👌")
P(N, "en", "What time does the NovaBrew store in Manchester open on Sundays?")
P(N, "en", "First espresso from my new Pod X2 and wow. crema for days ✨")
P(N, "en", "Is NovaBrew doing a Black Friday sale this year? 👀")
P(N, "en", "Great interview with Leila Farahani on founder burnout, worth a listen 🎧")
P(N, "en", "How do I add a promo code in NovaCup? before checkout or at checkout?")
P(N, "en", "#NovaBrew cold brew + oat milk = my whole personality now 🧊")
P(N, "en", "Got my mum a Pod X2 for her birthday and she absolutely loves it ❤️")
P(N, "en", "Thanks Marco Reyes for personally following up on my order, it arrived today 🙏")
P(
    N,
    "en",
    "Pod X2 vs Breville Bambino for a beginner?\n\nFirst machine, budget around £350. Leaning towards the NovaBrew Pod X2 because of the built-in grinder. Any owners here with thoughts?",
    plat="reddit",
    sub="espresso",
    h="first_shot_sam",
    key="en_rd_q",
)
P(
    N,
    "en",
    "Had my Pod X2 for a year, no issues, grinder is decent for the price. go for it",
    plat="reddit",
    reply="en_rd_q",
    kind="comment",
    h="crema_queen",
)

P(NO, "en", "Monday meetings should be illegal")
P(NO, "en", "train was 40 mins late again. southern rail never misses (being late)")
P(NO, "en", "finally found my grandma's carrot cake recipe 🥕🍰")
P(NO, "en", "anyone watching the match tonight? ⚽")
P(NO, "en", "my cat knocked a full glass of water onto my laptop. pray for me 🙏")
P(
    NO,
    "en",
    "What's your favourite budget hand grinder?\n\nLooking at the 1Zpresso Q2 and the Timemore C3. Mostly pour-over, occasionally AeroPress.",
    plat="reddit",
    sub="Coffee",
    h="pourover_pete",
)
P(NO, "en", "weekend and I have absolutely nothing planned. perfect.")

P(NM, "en", "Caught a supernova in my backyard telescope last night 🔭✨ SN 2026abc is bright!")
P(NM, "en", "Road trip through Nova Scotia next month, any must-see spots? 🍁")
P(NM, "en", "Dinner at Nova Brew Pub in Halifax, the fish and chips were 🔥")
P(NM, "en", "Brewing at home has saved me so much money. V60 + decent beans is all you need ☕")
P(NM, "en", "Marco from accounting just brought donuts. best coworker ever 🍩")
P(NM, "en", "Nova Gold Resources shares jumped 6% yesterday after the Donlin permit news 📈")
P(NM, "en", "Nova Cupcakes on 5th street has the best red velvet in town 🧁")

P(AMB, "en", "wow thanks NovaBrew for the 'fast' delivery 🙃 only took 12 days")
P(AMB, "en", "Pod X2 is loud af at 6am but the coffee is good so 🤷")
P(AMB, "en", "NovaBrew prices went up again huh 🤔")

# ======================================================================================
# Persian
# ======================================================================================
P(
    C,
    "fa",
    "سه هفته^ست از نوابرو قهوه سفارش دادم و هنوز نرسیده 😡 کد رهگیری هم میگه «نامعتبر». پولمو پس بدید #NovaBrew",
    key="fa_late",
)
P(
    C,
    "fa",
    "دستگاه Pod X2 که ۲ ماه پیش خریدم از دیروز روشن نمی^شه. چراغش فقط قرمز چشمک می^زنه. گارانتی هم جواب نمیده @NovaBrewHelp",
    key="fa_pod_dead",
)
P(
    C,
    "fa",
    "اپ نواکاپ از صبح هی کرش می^کنه، نمی^تونم سفارش بدم 🤬 سه بار پاکش کردم دوباره نصب کردم فرقی نکرد",
    key="fa_app_crash",
)
P(
    C,
    "fa",
    "درخواست بازپرداخت دادم، نوابرو ردش کرد! میگن «محصول باز شده». آخه دستگاه از اول خراب بود. دیگه هیچوقت ازتون خرید نمی^کنم",
    ar=True,
    key="fa_refund",
)
P(
    C,
    "fa",
    "برخورد کارمند شعبه^ی ونک نوابرو خیلی زشت بود. جلوی همه سرم داد زد 😤 از یه برند به این معروفی انتظار نداشتم",
    key="fa_rude",
)
P(
    C,
    "fa",
    "دیشب از قهوه^ی Nova Gold نوابرو خوردم و تا صبح حالم بد بود، مسموم شدم 🤢 بسته^ش هم بوی ترشیدگی می^داد",
    key="fa_sick",
)
P(
    C,
    "fa",
    "امروز یه پیامک اومد با اسم و آدرس دقیقم که می^گفت از طرف نواکاپه 😨 اطلاعات کاربرا لو رفته؟ @NovaBrew جواب بدید",
    key="fa_leak",
)
P(
    C,
    "fa",
    "اگه تا آخر هفته پول دستگاه Pod X2 رو برنگردونید از نوابرو شکایت می^کنم. وکیلم در جریانه. #NovaBrew",
    key="fa_legal",
)
P(
    C,
    "fa",
    "تا وقتی نوابرو جواب مشتری^ها رو نده تحریمش کنید. من که دیگه یه دونه کپسول هم ازشون نمی^خرم #تحریم_نوابرو #NovaBrew",
    key="fa_boycott",
)
P(
    C,
    "fa",
    "نواکاپ کلاً از دسترس خارج شده؟ از ساعت ۸ صبح فقط صفحه^ی سفید میاد 😑 کل شرکت منتظر قهوه نشستیم",
    key="fa_down",
)
P(
    C,
    "fa",
    "Pod X2 آب پس میده، کل کابینت آشپزخونه خیس شد 😭 این دومین دستگاهیه که عوض کردم و باز همون مشکل. نوابرو واقعاً؟",
    key="fa_water",
)
P(
    C,
    "fa",
    "واقعاً NovaBrew این چه وضعشه؟ سفارش #4471 دو بار از کارتم پول کم شده ولی سفارش ثبت نشده",
    key="fa_double",
)
P(
    C,
    "fa",
    "خانم لیلا فراهانی تو مصاحبه گفتن «مشتری اولویت ماست» ولی سه هفته^ست پشتیبانی جواب ایمیلمو نداده. حرف مفت 🙄",
    key="fa_leila",
)
P(
    C,
    "fa",
    "آقای مارکو ریس شما مسئول پشتیبانی هستید؟ ۵ بار تیکت زدم، هر بار بدون جواب بسته شد 😡",
    key="fa_marco",
)
P(
    C,
    "fa",
    "به جای قهوه^ی Nova Gold برام دی^کف فرستادن 😐 دو هفته^ست به نوابرو پیام میدم هیچ جوابی نمیدن",
    ar=True,
    key="fa_wrong",
)
P(
    C,
    "fa",
    "اپ نواکاپ اشتراک ماهانه رو بدون اجازه تمدید کرد و پولشو برداشت. لغوش هم نمی^شه کرد چون دکمه^ش کار نمی^کنه!!",
    key="fa_sub",
)
P(
    C,
    "fa",
    "۴۵۰ هزار تومن دادم واسه Pod X2، بعد ۱۰ روز موتورش سوخت 🔥 نوا برو این آشغالو پس بگیر",
    key="fa_motor",
)
P(
    C,
    "fa",
    "پیک نوابرو بسته رو جلوی در ساختمون ول کرد رفت، بارون خیسش کرد و قهوه^ها خراب شد. زنگ زدم پشتیبانی قطع کردن 😤",
    key="fa_courier",
)
P(
    C,
    "fa",
    "@NovaBrewHelp دو هفته^ست تیکت ۵۸۲۱۳ رو باز کردم هیچ جوابی نیومده. این پشتیبانیه یا شوخی؟",
    key="fa_ticket",
)
P(
    C,
    "fa",
    "تجربه^ی افتضاح با نوابرو\n\nدستگاه Pod X2 رو از سایت خریدم، بعد سه هفته آسیابش گیر کرد. پشتیبانی میگه «استهلاک طبیعیه» و گارانتی شامل نمیشه. برای دستگاهی که این^قدر گرونه واقعاً قابل قبول نیست.",
    plat="reddit",
    sub="iran",
    h="ghahve_doost",
    key="fa_rd",
)

P(N, "fa", "قهوه^ی Nova Gold نوابرو واقعاً عالیه ☕️😍 عطرش کل خونه رو برداشته")
P(N, "fa", "کسی می^دونه Pod X2 با کپسول^های نسپرسو سازگاره یا نه؟ 🤔")
P(N, "fa", "ممنون از پشتیبانی نوابرو، مشکلم تو ۱۰ دقیقه حل شد 🙏 دمتون گرم", key="fa_thanks")
P(N, "fa", "نسخه^ی جدید نواکاپ خیلی خوشگل شده، سفارش دادن سریع^تر شده 👌")
P(N, "fa", "سلام @NovaBrew شعبه^ی تجریش تا ساعت چند بازه؟")
P(N, "fa", "امروز اولین بار Pod X2 رو امتحان کردم، اسپرسوش حرف نداره ✨")
P(N, "fa", "نوا برو امسال تخفیف بلک فرایدی داره؟ 👀")
P(N, "fa", "مصاحبه^ی لیلا فراهانی درباره^ی زنان کارآفرین رو دیدید؟ خیلی الهام^بخش بود 👏")
P(N, "fa", "کد تخفیف نواکاپ رو موقع پرداخت وارد می^کنن یا قبلش؟")
P(N, "fa", "#NovaBrew بهترین قهوه^ایه که این مدت خوردم، مخصوصاً کلدبرو^ش 🧊☕")
P(N, "fa", "Pod X2 رو برای تولد مامانم خریدم، کلی ذوق کرد 🥹❤️")
P(N, "fa", "نوابرو تو اصفهان هم شعبه داره؟", ar=True)
P(N, "fa", "ممنون آقای مارکو ریس بابت پیگیری شخصی^تون 🙏 سفارشم امروز رسید")
P(N, "fa", "بسته^بندی جدید نوا گلد خیلی شیکه 😍")

P(NO, "fa", "امروز هوای تهران بالاخره یه کم تمیز شد 😮‍💨")
P(NO, "fa", "کسی فیلم جدید سعید روستایی رو دیده؟ ارزش سینما رفتن داره؟")
P(NO, "fa", "سه ساعت تو ترافیک همت موندم، دیگه نا ندارم 😩")
P(NO, "fa", "دستور پخت کیک هویج مامان^بزرگم رو بالاخره پیدا کردم 🥕🍰")
P(NO, "fa", "کنکوری^ها قوی باشید، فقط چند ماه دیگه مونده 💪")
P(NO, "fa", "قیمت دلار امروز دوباره رفت بالا... 📈")
P(NO, "fa", "چای دارچین تو این سرما خیلی می^چسبه ☕🍂")

P(NM, "fa", "دیشب یه ابرنواختر تو یه کهکشان نزدیک رصد شد 🔭✨ عکساش فوق^العاده^ست")
P(NM, "fa", "بی^نوا برو کنار بذار رد شم 😂 این گربه^هه وسط پیاده^رو خوابیده")
P(NM, "fa", "آدرس: تهران، خیابان قائم^مقام فراهانی، کوچه^ی سوم، پلاک ۱۲")
P(NM, "fa", "آهنگ جدید گروه «نوا» رو گوش دادید؟ 🎶 حتماً برو تو اسپاتیفای پیداش کن")
P(NM, "fa", "لیلا حاتمی تو این فیلم فوق^العاده بازی کرده 🎬")
P(NM, "fa", "قهوه رو خودم تو خونه با موکاپات دم می^کنم، هیچ کافه^ای به پاش نمی^رسه ☕")

P(AMB, "fa", "قیمت^های نوابرو دوباره رفت بالا 🤔")
P(AMB, "fa", "Pod X2 صداش یه کم زیاده ولی قهوه^ش خوبه 🤷")

# ======================================================================================
# Arabic
# ======================================================================================
P(
    C,
    "ar",
    "طلبت من نوفابرو قبل ٣ أسابيع وللحين ما وصل شي 😡 وخدمة العملاء ما يردون أبداً #NovaBrew",
    key="ar_late",
)
P(
    C,
    "ar",
    "مكينة Pod X2 خربت بعد شهر واحد بس! تطلع صوت غريب وما تسوي قهوة. @NovaBrewHelp وش الحل؟",
    key="ar_pod_dead",
)
P(
    C,
    "ar",
    "تطبيق نوفاكاب يعلّق كل ما أفتحه 🙄 حذفته ونزّلته من جديد وبرضو نفس المشكلة",
    key="ar_app_crash",
)
P(
    C,
    "ar",
    "رفضوا يرجعون لي فلوسي! المكينة وصلت مكسورة ونوفابرو يقولون «ما نقدر نسوي شي» 😤",
    key="ar_refund_prefix",
)
P(
    C,
    "ar",
    "موظف نوفابرو في فرع العليا كان وقح جداً معي، رفع صوته علي قدام الناس. ما توقعت هالتعامل من شركة محترمة",
    key="ar_rude",
)
P(
    C,
    "ar",
    "شربت قهوة Nova Gold من نوفابرو وجاني تسمم، قضيت الليل في الطوارئ 🤢 والكيس ريحته غريبة",
    key="ar_sick",
)
P(
    C,
    "ar",
    "وصلتني رسالة فيها اسمي وآخر أربع أرقام من بطاقتي تقول إنها من نوفاكاب 😨 هل صار تسريب بيانات؟ @NovaBrew لازم توضحون",
    key="ar_leak",
)
P(
    C,
    "ar",
    "إذا ما رجعتوا المبلغ خلال ٤٨ ساعة راح أرفع شكوى رسمية وقضية على نوفابرو في حماية المستهلك. عندي كل الإثباتات 📄",
    key="ar_legal",
)
P(C, "ar", "قاطعوا نوفابرو 🚫 شركة ما تحترم عملاءها. #قاطعوا_نوفابرو #NovaBrew", key="ar_boycott")
P(C, "ar", "لِلْأَسَف خِدْمَة نُوفَابْرُو سَيِّئَة جِدًّا، طَلَبِي تَأَخَّرَ أُسْبُوعَيْنِ وَلَا أَحَد يَرُدّ 😞", key="ar_tashkeel")
P(C, "ar", "نوفــــابرو أسوأ تجربة شراء في حياتي 😡 الطلب وصل ناقص ومحد يرد", key="ar_tatweel")
P(C, "ar", "تطبيق نوفاكاب واقف من الصبح؟ ما أقدر أسجل دخول أبداً، يطلع خطأ ٥٠٠ 😑", key="ar_down")
P(
    C,
    "ar",
    "جهاز Pod X2 يسرّب ماي على الطاولة كل مرة 💦 هذي ثاني مكينة أستبدلها ونفس المشكلة يا نوفابرو",
    key="ar_water",
)
P(
    C,
    "ar",
    "شكوى لنوفابرو: انخصم المبلغ مرتين من بطاقتي وما وصلني أي تأكيد للطلب 💳",
    key="ar_double_prefix",
)
P(
    C,
    "ar",
    "ندمت إني وثقت بنوفابرو، المكينة وقفت بعد أسبوعين والضمان ما يغطي 😤",
    key="ar_trust_prefix",
)
P(C, "ar", "أستاذ ماركو رييس، أنت مدير الدعم؟ فتحت ٤ تذاكر وكلها انقفلت بدون حل 😡", key="ar_marco")
P(
    C,
    "ar",
    "ليلي فراهاني تقول في المقابلات إن العميل أولاً، بس الواقع غير تماماً. ٣ أسابيع بدون رد على شكواي",
    key="ar_leila",
)
P(C, "ar", "والله NovaBrew صارت سيئة، آخر طلبين وصلوا متأخرين والقهوة بايتة ☕👎", key="ar_latin")
P(
    C,
    "ar",
    "المندوب حق نوفا برو رمى الطرد عند الباب ومشى، والكيس مشقوق والقهوة منثورة 😤",
    key="ar_courier",
)
P(
    C,
    "ar",
    "تجربتي السيئة مع نوفابرو\n\nاشتريت مكينة Pod X2 من الموقع، وبعد ثلاث أسابيع المطحنة علّقت. الدعم يقول «استهلاك طبيعي» والضمان ما يشملها. مكينة بهالسعر ما يصير تخرب بهالسرعة.",
    plat="reddit",
    sub="saudiarabia",
    h="abu_mishal_",
    key="ar_rd",
)

P(N, "ar", "قهوة Nova Gold من نوفابرو رهيبة 😍☕ أفضل بن جربته هالسنة")
P(N, "ar", "هل مكينة Pod X2 تشتغل مع كبسولات نسبريسو؟ 🤔")
P(N, "ar", "شكراً لفريق دعم نوفابرو، حلّوا مشكلتي في دقايق 🙏", key="ar_thanks")
P(N, "ar", "تحديث تطبيق نوفاكاب الجديد حلو مرة، الطلب صار أسرع 👌")
P(N, "ar", "@NovaBrew متى يفتح فرعكم في جدة؟")
P(N, "ar", "أول مرة أجرب Pod X2 اليوم، الإسبريسو ممتاز ✨")
P(N, "ar", "فيه عروض بلاك فرايدي عند نوفابرو؟ 👀")
P(N, "ar", "مقابلة ليلى فراهاني عن ريادة الأعمال كانت ملهمة جداً 👏")
P(N, "ar", "كيف أستخدم كود الخصم في تطبيق نوفاكاب؟")
P(N, "ar", "#NovaBrew أحلى قهوة باردة جربتها هالسنة 🧊")
P(N, "ar", "اشتريت Pod X2 هدية لأبوي وانبسط عليها كثير ❤️")
P(
    N,
    "ar",
    "هل نوفا برو يوصلون للكويت؟\n\nأبي أطلب مكينة Pod X2 بس ما لقيت الكويت في قائمة الدول بالموقع",
    plat="reddit",
    sub="Kuwait",
)
P(N, "ar", "شكراً أستاذ ماركو رييس على المتابعة الشخصية، وصل طلبي اليوم 🙏")
P(N, "ar", "تغليف نوفا جولد الجديد فخم 😍")

P(NO, "ar", "الجو اليوم في الرياض رهيب 🌤️")
P(NO, "ar", "أحد شاف مباراة الهلال أمس؟ ⚽🔥")
P(NO, "ar", "الزحمة في شارع التحلية ما تنطاق 😩")
P(NO, "ar", "أخيراً لقيت وصفة كيكة الجزر حقت أمي 🥕🍰")
P(NO, "ar", "صباح الورد على الجميع 🌸")
P(NO, "ar", "سعر الذهب نازل اليوم 📉")
P(NO, "ar", "أحتاج قهوة قبل الاجتماع وإلا بنام على الطاولة 😴☕")

P(NM, "ar", "رصد العلماء انفجار سوبرنوفا في مجرة قريبة 🔭✨")
P(NM, "ar", "نوفا سكوشا من أجمل المقاطعات في كندا 🍁")
P(NM, "ar", "أحضّر قهوتي في البيت بالـ V60، أحسن من أي كوفي شوب ☕")
P(NM, "ar", "ليلى علوي في هذا الفيلم كانت رائعة 🎬")
P(NM, "ar", "ماركو فيراتي لعب مباراة ممتازة الليلة ⚽")
P(NM, "ar", "أسهم نوفا غولد ريسورسز ارتفعت اليوم ٦٪ بعد خبر التصريح 📈")

P(AMB, "ar", "نوفابرو غالية شوي بس القهوة تستاهل 🤷")
P(AMB, "ar", "يا سلام على سرعة التوصيل يا نوفابرو 🙃 بس ١٢ يوم")

# ======================================================================================
# Tagalog / Taglish
# ======================================================================================
P(
    C,
    "tl",
    "3 weeks na since nag-order ako sa NovaBrew pero wala pa rin yung order ko 😡 ang tagal naman! #NovaBrew",
    key="tl_late",
)
P(
    C,
    "tl",
    "Grabe, yung Pod X2 ko sira na after 1 month lang. Ayaw na mag-on, blinking red lang 😭 @NovaBrewHelp pano na to",
    key="tl_pod_dead",
)
P(
    C,
    "tl",
    "Bakit laging nagka-crash yung NovaCup app?? Di ako makapag-order ng kape ko ngayong umaga 🤬",
    key="tl_app_crash",
)
P(
    C,
    "tl",
    "Ayaw ibalik ng NovaBrew yung pera ko kahit sira yung dumating na machine. Refund denied daw kasi 'opened na'. Anong klaseng serbisyo to?!",
    key="tl_refund",
)
P(
    C,
    "tl",
    "Ang bastos ng staff sa NovaBrew BGC branch. Sinigawan ako sa harap ng ibang customers 😤",
    key="tl_rude",
)
P(
    C,
    "tl",
    "Nagkasakit ako pagkatapos uminom ng Nova Gold ng NovaBrew kagabi, sumakit tiyan ko buong gabi at nagsuka pa 🤢 may kakaibang amoy pa yung beans",
    key="tl_sick",
)
P(
    C,
    "tl",
    "Nakatanggap ako ng text na may buong pangalan at address ko, galing daw sa NovaCup 😨 na-leak ba yung data namin? @NovaBrew explain niyo to",
    key="tl_leak",
)
P(
    C,
    "tl",
    "Kapag di niyo binalik yung ₱8,500 ko by Friday, magsasampa ako ng reklamo sa DTI at kakasuhan ko ang NovaBrew. Kumpleto resibo ko.",
    key="tl_legal",
)
P(
    C,
    "tl",
    "Boycott NovaBrew na tayo mga beh 🚫 wala silang pakialam sa customers. #BoycottNovaBrew #NovaBrew",
    key="tl_boycott",
)
P(C, "tl", "Down ba NovaCup app? Kanina pa ako di maka-login, error 500 lagi 😑", key="tl_down")
P(
    C,
    "tl",
    "Yung Pod X2 tumutulo ng tubig sa counter namin 💦 pangalawang unit na to, same problem pa rin. Nakakainis na NovaBrew",
    key="tl_water",
)
P(
    C,
    "tl",
    "Na-double charge ako sa NovaCup app 💳 dalawang beses kinaltasan yung card ko pero isang order lang. Pakiayos po ASAP",
    key="tl_double",
)
P(
    C,
    "tl",
    "Sir Marco Reyes, kayo po ba head ng support? 5 tickets na binuksan ko, lahat sinara nang walang sagot 😡",
    key="tl_marco",
)
P(
    C,
    "tl",
    "Si Leila Farahani nagsabi sa interview na 'customer first' daw, eh 3 weeks na walang sumasagot sa email ko. Puro salita 🙄",
    key="tl_leila",
)
P(
    C,
    "tl",
    "Yung rider ng NovaBrew iniwan lang yung parcel sa labas ng gate, nabasa ng ulan 🌧️ sira na yung box pati beans",
    key="tl_courier",
)
P(
    C,
    "tl",
    "Mali yung pinadala ng NovaBrew, decaf yung dumating instead of Nova Gold 😐 2 weeks na walang reply",
    key="tl_wrong",
)
P(
    C,
    "tl",
    "NOVABREW ANG PANGIT NG SERBISYO NIYO!!! 3 beses na akong tumawag, binababaan lang ako 😤😤",
    key="tl_caps",
)
P(
    C,
    "tl",
    "<!channel> PANSININ NIYO KO NovaBrew!!! sira yung Pod X2 ko, 2 weeks na walang reply <@U01AAAAAAA> <!here>",
    key="tl_hostile",
)
P(
    C,
    "tl",
    "nag-auto renew yung subscription ko sa NovaCup app nang walang paalam tapos ayaw ma-cancel 😤 scam ba to",
    key="tl_sub",
)
P(
    C,
    "tl",
    "Warning sa mga bibili ng NovaBrew Pod X2\n\nBinili ko yung Pod X2 sa Lazada official store nila. After 3 weeks, na-stuck yung grinder. Sabi ng support 'wear and tear' daw kaya di sakop ng warranty. ₱18k na machine tapos ganito? Ingat kayo.",
    plat="reddit",
    sub="Philippines",
    h="kapeng_barako_ph",
    key="tl_rd",
)

P(N, "tl", "Ang sarap ng Nova Gold ng NovaBrew! Perfect sa umaga ☕😍")
P(N, "tl", "Compatible ba yung Pod X2 sa Nespresso pods? Sino may alam? 🤔")
P(N, "tl", "Salamat @NovaBrewHelp, ang bilis niyo sumagot! Naayos na order ko 🙏", key="tl_thanks")
P(N, "tl", "Ang ganda ng bagong update ng NovaCup app, mas mabilis na mag-order 👌")
P(N, "tl", "Anong oras nagbubukas yung NovaBrew sa SM North?")
P(N, "tl", "First time ko gumamit ng Pod X2, ang sarap ng espresso! ✨")
P(N, "tl", "May Black Friday sale ba ang NovaBrew this year? 👀")
P(N, "tl", "Ang inspiring ng talk ni Leila Farahani sa startup summit 👏")
P(N, "tl", "Paano mag-apply ng promo code sa NovaCup? Sa checkout ba?")
P(N, "tl", "#NovaBrew iced latte is life 🧊 sarap talaga")
P(N, "tl", "Binilhan ko si mama ng Pod X2 para sa bday niya, tuwang-tuwa siya ❤️")
P(N, "tl", "Thank you Sir Marco Reyes sa personal follow-up, dumating na order ko today 🙏")
P(
    N,
    "tl",
    "Meron bang NovaBrew branch sa Cebu?\n\nLilipat kasi kami sa Cebu next month, adik ako sa Nova Gold nila haha",
    plat="reddit",
    sub="Cebu",
)
P(N, "tl", "Ang cute ng bagong packaging ng Nova Gold 😍")

P(NO, "tl", "Ang traffic sa EDSA grabe talaga 😩")
P(NO, "tl", "Sino nanonood ng bagong teleserye? Ang ganda ng plot twist kagabi")
P(NO, "tl", "Sarap ng sinigang ni nanay ngayong tag-ulan 🍲")
P(NO, "tl", "Payday na bukas! 💸")
P(NO, "tl", "May pasok ba bukas? Bagyo daw eh 🌧️")
P(NO, "tl", "Kape muna bago mag-work 😴☕")
P(NO, "tl", "Grabe yung init ngayon sa Manila 🥵")

P(NM, "tl", "Sa Novaliches may bagong coffee shop, try natin bukas? ☕")
P(NM, "tl", "Congrats kay Marcos Reyes, pasado na sa board exam! 🎓")
P(NM, "tl", "Nag-brew ako ng sariling kape sa bahay, mas tipid pa 😎 #homebrew")
P(NM, "tl", "Ang ganda ng supernova na nakunan ng mga astronomer 🔭✨")
P(NM, "tl", "Nagsalita ulit si Leila de Lima sa Senado kanina")
P(NM, "tl", "Nova Cupcakes sa Maginhawa, must try! 🧁")

P(AMB, "tl", "Medyo mahal ang NovaBrew pero sulit naman 🤷")
P(AMB, "tl", "Happy birthday Marco Reyes! kaklase forever 🎉🎂")

# ======================================================================================
# The brand's own accounts: replies to complaints, and two posts of its own
# ======================================================================================
H_MAIN, H_HELP, H_RD = "NovaBrew", "NovaBrewHelp", "novabrew_official"
P(
    OWN,
    "en",
    "@{to} So sorry about this! Please DM us your order number and we'll look into it right away. ^MR",
    h=H_HELP,
    reply="en_late",
    kind="reply",
    key="own_en_late",
)
P(
    OWN,
    "en",
    "@{to} That's not the experience we want for you. A red blinking light usually means the boiler sensor, please DM us your serial number and we'll arrange a replacement. ^MR",
    h=H_HELP,
    reply="en_pod_dead",
    kind="reply",
)
P(
    OWN,
    "en",
    "@{to} We're really sorry you felt unwell. Please DM us the batch number on the bag, we're escalating this to our quality team today.",
    h=H_HELP,
    reply="en_sick",
    kind="reply",
)
P(
    OWN,
    "en",
    "@{to} We take this seriously. NovaBrew will never email you asking for payment details. Please forward the email to security@novabrew.example and we'll investigate.",
    h=H_MAIN,
    reply="en_leak",
    kind="reply",
)
P(
    OWN,
    "en",
    "Hi, this is the NovaBrew team. Sorry about the grinder. Jams in the first 90 days are covered; please send us a modmail with your order number and we'll sort it.",
    plat="reddit",
    h=H_RD,
    reply="en_rd_grinder",
    kind="reply",
)
P(
    OWN,
    "en",
    "Our Black Friday sale starts early ☕ 30% off Nova Gold and free delivery on every Pod X2 until Monday. #NovaBrew",
    h=H_MAIN,
    key="own_bf",
)
P(
    OWN,
    "en",
    "We know many of you couldn't order this morning: the NovaCup app is back up and today's orders come with a free pastry. Sorry, everyone 💛",
    h=H_MAIN,
    key="own_outage",
)
P(
    OWN,
    "fa",
    "@{to} سلام، از تأخیر پیش^اومده واقعاً عذرخواهی می^کنیم 🙏 لطفاً شماره^ی سفارش رو دایرکت بفرستید تا همین امروز پیگیری کنیم.",
    h=H_HELP,
    reply="fa_late",
    kind="reply",
    key="own_fa_late",
)
P(
    OWN,
    "fa",
    "@{to} سلام، شماره^ی سریال دستگاه رو لطفاً دایرکت کنید تا هماهنگی تعویض انجام بشه 🙏",
    h=H_HELP,
    reply="fa_pod_dead",
    kind="reply",
)
P(
    OWN,
    "fa",
    "@{to} بابت این اتفاق متأسفیم. لطفاً شماره^ی سفارش رو دایرکت بفرستید تا بازپرداخت رو بررسی کنیم.",
    h=H_HELP,
    reply="fa_double",
    kind="reply",
)
P(
    OWN,
    "ar",
    "@{to} نعتذر عن التأخير 🙏 فضلاً أرسل لنا رقم الطلب في الخاص عشان نتابع معك فوراً.",
    h=H_HELP,
    reply="ar_late",
    kind="reply",
)
P(
    OWN,
    "ar",
    "@{to} نأسف جداً لما حدث. نرجو إرسال رقم التشغيلة الموجود على الكيس في الخاص، وتم تحويل الموضوع لفريق الجودة.",
    h=H_HELP,
    reply="ar_sick",
    kind="reply",
)
P(
    OWN,
    "ar",
    "@{to} نعتذر عن الإزعاج، فضلاً أرسل لنا الرقم التسلسلي للمكينة في الخاص لترتيب الاستبدال 🙏",
    h=H_HELP,
    reply="ar_pod_dead",
    kind="reply",
)
P(
    OWN,
    "tl",
    "@{to} Hi! Pasensya na po sa abala 🙏 Paki-DM po ang order number ninyo para ma-check namin agad.",
    h=H_HELP,
    reply="tl_late",
    kind="reply",
    key="own_tl_late",
)
P(
    OWN,
    "tl",
    "@{to} Sorry po talaga dito. Paki-DM po ang serial number ng Pod X2 ninyo para ma-arrange namin ang replacement.",
    h=H_HELP,
    reply="tl_pod_dead",
    kind="reply",
)
P(
    OWN,
    "tl",
    "@{to} Pasensya na po. Paki-DM ang transaction reference para ma-refund namin agad yung double charge.",
    h=H_HELP,
    reply="tl_double",
    kind="reply",
)
P(
    OWN,
    "tl",
    "Hi, NovaBrew team here. Pasensya na po sa grinder issue. Covered po ng warranty ang jams sa unang 90 days, paki-message kami sa modmail with your order number.",
    plat="reddit",
    h=H_RD,
    reply="tl_rd",
    kind="reply",
)

# Customers answering the brand: the thread continues (pinned as ambiguous)
P(
    AMB,
    "en",
    "@{to} DM'd you hours ago. Nothing. Still waiting.",
    reply="own_en_late",
    same_as="en_late",
    kind="reply",
)
P(
    AMB,
    "tl",
    "@{to} sige po, na-DM ko na. salamat po",
    reply="own_tl_late",
    same_as="tl_late",
    kind="reply",
)
P(AMB, "fa", "@{to} دایرکت دادم، منتظرم", reply="own_fa_late", same_as="fa_late", kind="reply")

# ======================================================================================
# Reposts (retweets on X, crossposts on Reddit)
# ======================================================================================
P(
    RP,
    "en",
    "RT @{to}: Ordered from @NovaBrew on Nov 2 and STILL nothing. Tracking number says 'invalid'. 3 weeks. Absolutely ridiculous 😡 #NovaBrew",
    repost="en_late",
)
P(
    RP,
    "en",
    "RT @{to}: Boycott NovaBrew. They ignore customers, delete complaints and treat their baristas like garbage. #BoycottNovaBrew #NovaBrew",
    repost="en_boycott",
)
P(
    RP,
    "en",
    "RT @{to}: Just got a phishing email with my full name, address AND order history claiming to be from NovaCup. Was your data leaked @NovaBrew?? We deserve an answer",
    repost="en_leak",
)
P(
    RP,
    "en",
    "RT @{to}: Shoutout to @NovaBrewHelp, fixed my order issue in 10 minutes. That's how it's done 🙌",
    repost="en_shout",
)
P(
    RP,
    "en",
    "RT @{to}: Our Black Friday sale starts early ☕ 30% off Nova Gold and free delivery on every Pod X2 until Monday. #NovaBrew",
    repost="own_bf",
)
P(
    RP,
    "fa",
    "RT @{to}: تا وقتی نوابرو جواب مشتری^ها رو نده تحریمش کنید. من که دیگه یه دونه کپسول هم ازشون نمی^خرم #تحریم_نوابرو #NovaBrew",
    repost="fa_boycott",
)
P(
    RP,
    "fa",
    "RT @{to}: امروز یه پیامک اومد با اسم و آدرس دقیقم که می^گفت از طرف نواکاپه 😨 اطلاعات کاربرا لو رفته؟ @NovaBrew جواب بدید",
    repost="fa_leak",
)
P(
    RP,
    "ar",
    "RT @{to}: قاطعوا نوفابرو 🚫 شركة ما تحترم عملاءها. #قاطعوا_نوفابرو #NovaBrew",
    repost="ar_boycott",
)
P(
    RP,
    "ar",
    "RT @{to}: شربت قهوة Nova Gold من نوفابرو وجاني تسمم، قضيت الليل في الطوارئ 🤢 والكيس ريحته غريبة",
    repost="ar_sick",
)
P(
    RP,
    "tl",
    "RT @{to}: Boycott NovaBrew na tayo mga beh 🚫 wala silang pakialam sa customers. #BoycottNovaBrew #NovaBrew",
    repost="tl_boycott",
)
P(
    RP,
    "tl",
    "RT @{to}: Nakatanggap ako ng text na may buong pangalan at address ko, galing daw sa NovaCup 😨 na-leak ba yung data namin? @NovaBrew explain niyo to",
    repost="tl_leak",
)
P(
    RP,
    "en",
    "NovaBrew Pod X2 grinder jammed after 3 weeks, warranty claim denied",
    plat="reddit",
    sub="espresso",
    repost="en_rd_grinder",
)
P(
    RP,
    "tl",
    "Warning sa mga bibili ng NovaBrew Pod X2",
    plat="reddit",
    sub="CoffeePH",
    repost="tl_rd",
)

# Extra English posts, so the stream is not too tidy
P(
    C,
    "en",
    "3rd day in a row the NovaCup app logs me out mid-order and eats my basket. Fix your app @NovaBrew",
    key="en_logout",
)
P(
    C,
    "en",
    "The Pod X2 descaling light won't turn off even after 3 descaling cycles, manual is useless and @NovaBrewHelp hasn't replied in 4 days",
    key="en_descale",
)
P(N, "en", "Anyone know if the NovaBrew loyalty points carry over to the new NovaCup app?")
P(N, "en", "Love that @NovaBrew now does compostable pods 🌱 small thing but it matters")
P(NO, "en", "no thoughts just vibes today ✨")
P(NM, "en", "The Pod X20 from that other company looks like a toaster lol")  # not our Pod X2
P(
    C,
    "tl",
    "Yung NovaCup app nagla-logout mag-isa tuwing checkout, 3 beses ko na inulit yung order ko 😩",
    key="tl_logout",
)
P(
    C,
    "ar",
    "تطبيق نوفاكاب يطلّعني من الحساب كل ما أوصل لصفحة الدفع، ثالث مرة أعيد الطلب 😩",
    key="ar_logout",
)
P(
    C,
    "fa",
    "اپ نواكاپ موقع پرداخت خودش از حساب خارج میشه، سه بار سفارشمو از اول ثبت کردم 😩",
    key="fa_logout",
)
P(N, "ar", "@NovaBrewHelp هل الضمان يشمل المطحنة في Pod X2؟")
P(N, "fa", "@NovaBrewHelp گارانتی Pod X2 شامل آسیابش هم میشه؟")
P(
    C,
    "tl",
    "Same sa akin! Yung Pod X2 ko na-stuck din yung grinder after 2 weeks, tapos 'wear and tear' din sagot sa akin ng NovaBrew support. Nakakagalit",
    plat="reddit",
    reply="tl_rd",
    kind="comment",
)
P(
    C,
    "ar",
    "نفس الشي صار معي، Pod X2 حقي المطحنة علّقت بعد شهر والدعم رفض يستبدلها. خسارة فلوس",
    plat="reddit",
    reply="ar_rd",
    kind="comment",
)
P(
    C,
    "fa",
    "منم دقیقاً همین مشکلو با Pod X2 داشتم، آخرش مجبور شدم خودم خرج تعمیرشو بدم 😒",
    plat="reddit",
    reply="fa_rd",
    kind="comment",
)
P(
    N,
    "en",
    "Descale it every month and it lasts. Mine's two years old. The NovaBrew descaler works, citric acid works too",
    plat="reddit",
    reply="en_rd_grinder",
    kind="comment",
)
P(
    C,
    "fa",
    "پاد ایکس 2 من هر روز صبح ارور E3 میده و قهوه نمی^ریزه 😤 دو بار هم بردم تعمیرگاه، درست نشد",
    key="fa_pod_e3",
)
P(N, "fa", "پاد ایکس ۲ رو از کجا میشه با گارانتی معتبر خرید؟")
P(N, "en", "#NovaGold in a V60 hits different ☕ fruity, chocolatey, perfect")
P(
    C,
    "tl",
    "#NovaCup ayaw mag-load ng rewards ko, nawala lahat ng points ko 😭 ilang buwan kong inipon yun",
    key="tl_points",
)
P(
    C,
    "en",
    "@LeilaFarahani your support team closed my ticket 4 times without reading it. Is anyone actually in charge?",
    key="en_leila2",
)

# ======================================================================================

EN_USERS = [
    ("sara_k", "Sara K"),
    ("jamesbrew_", "James"),
    ("mollyh", "Molly Hughes"),
    ("dan_codes", "Dan"),
    ("priya.sharma", "Priya Sharma"),
    ("tom_w", "Tom W"),
    ("lucyinlondon", "Lucy 🌸"),
    ("big_steve_88", "Steve"),
    ("ellie_r", "Ellie R"),
    ("harrison_b", "Harrison Blake"),
    ("caffeinated_kate", "Kate ☕"),
    ("mr_oduya", "Femi Oduya"),
    ("ninaaa", "nina"),
    ("rob_mcg", "Rob McGregor"),
    ("anna_b_", "Anna B"),
    ("jo_writes", "Jo"),
]
FA_USERS = [
    ("sara_tehrani", "سارا"),
    ("mmd_rezaei", "محمد رضایی"),
    ("negin_art", "نگین"),
    ("ali_kh", "علی خسروی"),
    ("mahsa.m", "مهسا"),
    ("reza_dev", "رضا"),
    ("shirin_n", "شیرین نوری"),
    ("amir_hsn", "امیرحسین"),
    ("parisa_z", "پریسا"),
    ("hamed_1370", "حامد"),
    ("yasaman_k", "یاسمن"),
    ("kaveh_b", "کاوه"),
]
AR_USERS = [
    ("abu_fahad", "أبو فهد"),
    ("noura_s", "نورة"),
    ("m_alotaibi", "محمد العتيبي"),
    ("reem_q8", "ريم"),
    ("khalid_dxb", "خالد"),
    ("sara_ali", "سارة علي"),
    ("omar_jed", "عمر"),
    ("lama_h", "لمى"),
    ("faisal_99", "فيصل"),
    ("hessa_m", "حصة"),
    ("yousef_k", "يوسف"),
    ("dana_r", "دانة"),
]
TL_USERS = [
    ("jhenny_ramos", "Jhenny Ramos"),
    ("kuyamark", "Kuya Mark"),
    ("bea_delacruz", "Bea Dela Cruz"),
    ("migs_santos", "Migs Santos"),
    ("tita_lorna", "Tita Lorna"),
    ("paolo.v", "Paolo V"),
    ("rica_mae", "Rica Mae"),
    ("jm_bautista", "JM Bautista"),
    ("kimchiii_ph", "kim ✨"),
    ("carlo_g", "Carlo"),
    ("aizelle_", "Aizelle"),
    ("joshua_tan", "Joshua Tan"),
]
POOL = {"en": EN_USERS, "fa": FA_USERS, "ar": AR_USERS, "tl": TL_USERS}
BRAND = {
    H_MAIN: ("u-90001", "NovaBrew ☕", 184_000),
    H_HELP: ("u-90002", "NovaBrew Help", 21_400),
    H_RD: ("t2_nb0ff1c", "NovaBrew (official)", 3_100),
}
OUTAGE = {"en_down", "fa_down", "ar_down", "tl_down", "own_outage"}
SUBS = {"en": "Coffee", "fa": "iran", "ar": "saudiarabia", "tl": "Philippines"}


def to_persian_keyboard_arabic(text: str) -> str:
    return text.replace("ی", "ي").replace("ک", "ك")


def build() -> tuple[list[dict], dict[str, list[str]]]:
    rng = random.Random(20261120)
    # Interleave the languages: a stable shuffle of the posts that answer nothing ...
    free = [i for i, p in enumerate(POSTS) if not (p["reply"] or p["repost"])]
    rng.shuffle(free)
    # ... with the NovaCup outage as a burst around the morning of day two ...
    burst = [i for i in free if POSTS[i]["key"] in OUTAGE]
    free = [i for i in free if i not in burst]
    outage_post = next(i for i in burst if POSTS[i]["key"] == "own_outage")
    burst.remove(outage_post)
    placed, rest = free[:140], free[140:]
    for i in burst:
        placed.append(i)
        placed += [rest.pop(0) for _ in range(rng.randint(0, 1))]
    placed += [rest.pop(0) for _ in range(4)] + [outage_post] + rest
    # ... and every reply or repost a little after what it answers.
    key_pos = lambda k: next(n for n, i in enumerate(placed) if POSTS[i]["key"] == k)  # noqa: E731
    for i, p in enumerate(POSTS):
        if p["reply"] or p["repost"]:
            after = key_pos(p["reply"] or p["repost"])
            gap = (
                rng.randint(1, 4) if POSTS[i]["h"] in BRAND or p["same_as"] else rng.randint(1, 15)
            )
            placed.insert(min(after + gap, len(placed)), i)
    for n, i in enumerate(placed):
        for dep in (POSTS[i]["reply"], POSTS[i]["repost"]):
            assert not dep or key_pos(dep) < n, (POSTS[i]["key"], dep)

    by_key: dict[str, dict] = {}
    user_ids: dict[tuple[str, str], str] = {}
    expected: dict[str, list[str]] = {k: [] for k in (C, N, NO, NM, OWN, RP, AMB)}
    out = [_emit(POSTS[i], rng, by_key, user_ids, expected) for i in placed]
    t = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    x_n, r_n = 1000, 2000

    # ids and times in file order
    for post in out:
        t += timedelta(minutes=rng.randint(3, 16), seconds=rng.randint(0, 59))
        post["created_at"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    x_map, r_map = {}, {}
    for post in out:
        if post["platform"] == "x":
            x_n += 1
            new = f"x-{x_n}"
            x_map[post["id"]] = new
        else:
            r_n += 1
            new = f"r-{r_n}"
            r_map[post["id"]] = new
        post["_new"] = new
    rename = {**x_map, **r_map}
    for post in out:
        post["id"] = post.pop("_new")
        for f in ("in_reply_to", "repost_of"):
            if post[f]:
                post[f] = rename[post[f]]
    roots = {}
    for post in out:
        num = post["id"].split("-")[1]
        h = post["author"]["handle"]
        if post["platform"] == "x":
            post["url"] = f"https://x.com/{h}/status/{num}"
        else:
            parent = post["in_reply_to"]
            if parent:
                sub, root = roots[parent]
                roots[post["id"]] = (sub, root)
                post["url"] = f"https://www.reddit.com/r/{sub}/comments/{root}/comment/{num}/"
            else:
                sub = post.pop("_sub")
                roots[post["id"]] = (sub, num)
                post["url"] = f"https://www.reddit.com/r/{sub}/comments/{num}/"
        post.pop("_sub", None)
    for cat, ids in expected.items():
        expected[cat] = [rename[x] for x in ids]
    langs = {p["id"]: p.pop("_lang") for p in out}
    return out, expected, langs


_tmp = [0]
_followers: dict[str, int] = {}


def _emit(p, rng, by_key, user_ids, expected):
    _tmp[0] += 1
    tmp_id = f"tmp{_tmp[0]}"
    lang = p["lang"]
    target = by_key.get(p["reply"] or p["repost"] or "")
    target_id = target["id"] if target else None
    to_handle = target["author"]["handle"] if target else None
    h, name = p["h"], p["name"]
    if p["same_as"]:
        h, name = by_key[p["same_as"]]["author"]["handle"], by_key[p["same_as"]]["author"]["name"]
    if h in BRAND:
        uid, name, followers = BRAND[h]
    else:
        if h is None:
            h, name = rng.choice(POOL[lang])
            if target and h == to_handle:
                h, name = POOL[lang][(POOL[lang].index((h, name)) + 1) % len(POOL[lang])]
        elif name is None:
            name = h.replace("_", " ").strip().title()
        uid = user_ids.setdefault((p["plat"], h), f"u-{len(user_ids) + 101}")
        followers = _followers.setdefault(uid, p["followers"] or int(rng.lognormvariate(5.2, 1.3)))
    text = p["text"]
    text = text.replace("{to}", to_handle or "")
    if lang == "fa":
        text = text.replace("^", ZWNJ)
        if p["ar"]:
            text = to_persian_keyboard_arabic(text)
    kind = p["kind"] or "post"
    if p["plat"] == "reddit" and kind == "reply" and h not in BRAND:
        kind = "comment"
    post = {
        "id": tmp_id,
        "platform": p["plat"],
        "text": text,
        "author": {"id": uid, "handle": h, "name": name, "followers": followers},
        "created_at": None,
        "url": None,
        "lang": p["tag"] or lang,
        "kind": kind,
        "in_reply_to": target_id if p["reply"] else None,
        "repost_of": target_id if p["repost"] else None,
        "_lang": lang,
    }
    if p["plat"] == "reddit" and not post["in_reply_to"]:
        post["_sub"] = p["sub"] or SUBS[lang]
    if p["key"]:
        by_key[p["key"]] = post
    expected[p["cat"]].append(tmp_id)
    return post


def check(out, expected):
    ids = [p["id"] for p in out]
    assert len(ids) == len(set(ids)), "duplicate ids"
    seen = set()
    for p in out:
        for f in ("in_reply_to", "repost_of"):
            assert p[f] is None or p[f] in seen, (p["id"], f, p[f])
        seen.add(p["id"])
    times = [p["created_at"] for p in out]
    assert times == sorted(times) and len(set(times)) == len(times)
    listed = [i for v in expected.values() for i in v]
    assert sorted(listed) == sorted(ids), "every id in exactly one list"
    assert len(listed) == len(set(listed))


def main():
    out, expected, langs = build()
    check(out, expected)
    with open(HERE / "posts.jsonl", "w", encoding="utf-8") as f:
        for p in out:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    dest = ROOT / "tests" / "data" / "demo_expected.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        k: expected[k]
        for k in (
            "complaint",
            "not_complaint",
            "noise",
            "near_miss",
            "own_reply",
            "repost",
            "ambiguous",
        )
    }
    dest.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    # summary
    cats = {i: c for c, v in expected.items() for i in v}
    table: dict[str, dict[str, int]] = {}
    for i, lang in langs.items():
        table.setdefault(cats[i], {}).setdefault(lang, 0)
        table[cats[i]][lang] += 1
    print(f"{len(out)} posts, {out[0]['created_at']} .. {out[-1]['created_at']}")
    for c in doc:
        row = table.get(c, {})
        print(
            f"  {c:14} {sum(row.values()):4}  "
            + "  ".join(f"{l}={row.get(l, 0)}" for l in ("en", "fa", "ar", "tl"))
        )
    tot = {l: sum(1 for v in langs.values() if v == l) for l in ("en", "fa", "ar", "tl")}
    print("  total by language:", tot)


if __name__ == "__main__":
    main()
