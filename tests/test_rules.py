"""gateway.desk.rules: the shipped rules/ files, each rule kind, intents, and `check` on broken files."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.desk.intent import read as intent
from gateway.desk.rulefiles import Problem, RulesError, check_rules, load_rules
from gateway.desk.rules import classify, department, fold, staff_member

SHIPPED = Path(__file__).resolve().parents[1] / "rules"
LANGS = ("az", "ru", "tr", "en")


@pytest.fixture(scope="module")
def rules():
    return load_rules(SHIPPED, LANGS)


@pytest.fixture
def local_rules(tmp_path):
    """The shipped rules plus a 90-local.toml the test writes; returns a loader."""
    directory = tmp_path / "rules"
    shutil.copytree(SHIPPED, directory)

    def with_local(text: str, name: str = "90-local.toml"):
        (directory / name).write_text(text, encoding="utf-8")
        return directory
    return with_local


def classify_text(rules, text, language, subject="", sender="customer@mail.az", attachments=False):
    return classify(rules, subject, text, sender, attachments, language)


# ---------------------------------------------------------------- shipped files

def test_shipped_rules_have_no_problems():
    assert check_rules(SHIPPED, LANGS) == []


def test_every_shipped_file_is_documented_by_comments():
    for path in sorted(SHIPPED.glob("*.toml")):
        assert path.read_text(encoding="utf-8").startswith("#"), path


@pytest.mark.parametrize("language, text, category, department", [
    ("az", "Sifarişim hələ gəlməyib, kuryer zəng etmir.", "delivery", "logistics"),
    ("ru", "Прошу вернуть деньги за отменённый заказ, возврат так и не пришёл на карту.", "refund", "finance"),
    ("tr", "Aldığım çamaşır makinesi arızalı, ilk gün çalışmıyor.", "product_quality", "quality"),
    ("en", "You sent me an invoice for a payment I already made.", "billing", "finance"),
    ("az", "Mağazada satıcı mənimlə çox kobud danışdı.", "staff_behaviour", "management"),
    ("en", "Hello, I just wanted to say hello.", "other", "customer_care"),
])
def test_category_and_department_per_language(rules, language, text, category, department):
    result = classify_text(rules, text, language)
    assert (result.category, result.department) == (category, department)
    assert result.department_address.endswith("@shop.example")


def test_why_names_the_file_the_entry_and_the_keyword(rules):
    result = classify_text(rules, "Kuryer gəlmədi", "az")
    assert result.why["category"] == "rules/10-categories.toml: delivery: keyword 'kuryer*'"
    assert result.why["department"] == "rules/30-routing.toml: routing: delivery -> logistics"
    assert result.why["priority"] == "rules/00-defaults.toml: defaults: priority 'normal'"


@pytest.mark.parametrize("language, text", [
    ("tr", "SİPARİŞİM GELMEDİ"),                            # dotted capital İ
    ("tr", "Ürün Teslim Edİlmedİ"),
    ("az", "ÇATDIRILMA"),                                   # dotless I in upper case
    ("az", "HƏLƏ GƏLMƏYİB"),                                # Ə and İ in upper case
    ("ru", "ДОСТАВКА СОРВАНА, КУРЬЕР НЕ ПРИЕХАЛ"),
])
def test_keywords_match_regardless_of_case_in_every_alphabet(rules, language, text):
    assert classify_text(rules, text, language).category == "delivery"


def test_fold_treats_turkish_and_azerbaijani_i_and_schwa_alike():
    assert fold("İADE") == fold("iade") == fold("IADE")
    assert fold("ARIZALI") == fold("arızalı")
    assert fold("MƏHKƏMƏ") == "məhkəmə"


def test_keywords_match_whole_words_only(rules):
    # "court" must not fire on "courtyard", "late" not on "lately", "bill" not on "billion"
    result = classify_text(rules, "The courtyard of your shop was lately full of billion bags", "en")
    assert result.category == "other" and result.priority == "low"


def test_keywords_of_another_language_still_categorise(rules):
    # detected as English, written in Russian: the category is still found
    result = classify_text(rules, "курьер потерял посылку", "en")
    assert result.category == "delivery"


def test_more_distinct_keywords_win_the_category(rules):
    text = "Kuryer gecikdi, bağlama gəlmədi; pulu geri qaytarın"  # 3 delivery words, 1 refund phrase
    assert classify_text(rules, text, "az").category == "delivery"


# ---------------------------------------------------------------- priority

@pytest.mark.parametrize("language, text", [
    ("en", "If this is not fixed my lawyer will take you to court."),
    ("ru", "Я обращусь в суд и к адвокату."),
    ("tr", "Avukatıma danışacağım, mahkemeye gideceğim."),
    ("az", "Vəkilimlə məhkəməyə müraciət edəcəyəm."),
])
def test_legal_threat_is_high_priority_in_every_language(rules, language, text):
    result = classify_text(rules, text, language)
    assert result.priority == "high"
    assert "rules/20-priorities.toml: priority 'legal threat'" in result.why["priority"]


def test_category_rule_and_attachment_rule(rules):
    assert classify_text(rules, "The cashier was rude to me", "en").priority == "high"
    assert classify_text(rules, "Just a question about opening hours", "en", attachments=False).priority == "low"
    assert classify_text(rules, "Just a question about opening hours", "en", attachments=True).priority == "normal"


def test_most_urgent_rule_wins_over_a_low_one(rules):
    # "suggestion" matches a low rule, "lawyer" a high one
    result = classify_text(rules, "A suggestion: talk to my lawyer.", "en")
    assert result.priority == "high"


def test_vip_sender_rule_and_sender_pattern_category(local_rules):
    directory = local_rules(
        '[[priority]]\nname = "VIP"\nlevel = "high"\nsenders = ["*@board.example.az"]\n\n'
        '[categories.billing]\nkeywords.az = []\nkeywords.ru = []\nkeywords.tr = []\nkeywords.en = []\n'
        'senders = ["billing-robot@bank.example"]\n')
    rules = load_rules(directory, LANGS)
    vip = classify(rules, "", "Please call me back", "Chair@Board.Example.az", False, "en")
    assert vip.priority == "high" and "sender matches '*@board.example.az'" in vip.why["priority"]
    robot = classify(rules, "", "Kuryer gəlmədi", "billing-robot@bank.example", False, "az")
    assert robot.category == "billing"
    assert robot.why["category"] == "rules/90-local.toml: billing: sender matches 'billing-robot@bank.example'"


def test_later_file_replaces_routing_and_default_department(local_rules):
    directory = local_rules('[routing]\ndelivery = "customer_care"\n\n[defaults]\ndepartment = "quality"\n')
    rules = load_rules(directory, LANGS)
    assert classify_text(rules, "courier lost my parcel", "en").department == "customer_care"
    # drop the routing of "other" -> the default department now decides
    (directory / "30-routing.toml").write_text(
        (directory / "30-routing.toml").read_text(encoding="utf-8").replace('other = "customer_care"\n', ""),
        encoding="utf-8")
    result = classify_text(load_rules(directory, LANGS), "hello", "en")
    assert result.department == "quality"
    assert result.why["department"] == "rules/00-defaults.toml: defaults: department 'quality'"


# ---------------------------------------------------------------- sensitive data

@pytest.mark.parametrize("language, text, kind", [
    ("az", "Diabet xəstəsiyəm, dərmanı vaxtında almalıyam", "health"),
    ("ru", "Меня не обслужили из-за моей национальности", "ethnicity"),
    ("tr", "Sendika üyesi olduğum için bana farklı davrandılar", "union_membership"),
    ("en", "The guard mentioned my criminal record in front of everyone", "criminal_records"),
    ("en", "Why does your app need my fingerprint?", "biometric_genetic"),
    ("az", "Keçən il həbs olunmuşam deyə mənə kredit vermədilər", "criminal_records"),
    ("ru", "Охранник сказал всем, что я был арестован", "criminal_records"),
    ("en", "The manager told everyone I was arrested last year", "criminal_records"),
    ("az", "Satıcı mənim cinsi həyatım barədə sual verdi", "sex_life"),
    ("en", "They asked about my religious beliefs at the counter", "religion_belief"),
])
def test_sensitive_data_is_flagged_with_its_kind(rules, language, text, kind):
    result = classify_text(rules, text, language)
    assert result.sensitive
    assert result.why["sensitive"].startswith(f"rules/60-sensitive.toml: {kind}:")


def test_ordinary_complaint_is_not_sensitive(rules):
    result = classify_text(rules, "Kargom gecikti, lütfen dinleyin beni", "tr")
    assert not result.sensitive and "sensitive" not in result.why


@pytest.mark.parametrize("language, text", [
    ("az", "Mağazanızın qaytarma siyasəti ilə tanış oldum, amma pulumu qaytarmırsınız."),
    ("az", "Hesabım bloklanıb, kartım həbs edilib deyə ödəniş keçmir."),
    ("az", "Bu məhsulun cinsi və rəngi sifarişdəkindən fərqlidir."),
    ("az", "Kuryer dedi ki, bu cinayətdir, amma mən sadəcə sifarişimi istəyirəm."),
    ("ru", "На мой счёт наложен арест по ошибке банка, верните деньги."),
    ("ru", "Я подам заявление, это уголовно наказуемо — обманывать покупателей."),
    ("ru", "Политика возврата вашего магазина непонятна."),
    ("tr", "Ürünün kökeni Çin yazıyor ama kutuda Türkiye yazıyordu."),
    ("tr", "İade politikanız hakkında bilgi almak istiyorum."),
    ("tr", "Hesabım engellendi, giriş yapamıyorum."),
    ("en", "My account was disabled without any notice."),
    ("en", "I acted in good faith and it is my belief that you owe me a refund."),
    ("en", "Your return policy says 30 days, but you refuse a refund on day 12."),
    ("en", "The courier said they would arrest the parcel at customs."),
])
def test_ordinary_sentences_with_nearby_words_are_not_sensitive(rules, language, text):
    result = classify_text(rules, text, language)
    assert not result.sensitive, result.why.get("sensitive")


# ---------------------------------------------------------------- staff and departments

def test_staff_member_and_department_lookup(rules):
    member = staff_member(rules, " Aysel.Mammadova@SHOP.example ")
    assert member is not None and member.name == "Aysel Məmmədova"
    assert member.department == "customer_care" and member.supervisor == "rashad.aliyev@shop.example"
    assert staff_member(rules, "stranger@example.az") is None
    assert department(rules, "logistics").address == "logistics@shop.example"
    assert department(rules, "nowhere") is None


# ---------------------------------------------------------------- intents

@pytest.mark.parametrize("text", ["", "   \n\t \n"])
def test_empty_reply_is_a_status_request(rules, text):
    assert intent(rules, text, "az") == "status"


@pytest.mark.parametrize("language, status, accept, reject", [
    ("az", "Şikayətimin vəziyyəti necədir?", "Qəbul edirəm, təşəkkürlər.", "Razı deyiləm."),
    ("ru", "Какой статус моей жалобы?", "Согласен, спасибо.", "Не согласен с решением."),
    ("tr", "Şikayetim ne durumda?", "Kabul ediyorum.", "Kabul etmiyorum."),
    ("en", "What is the status?", "I accept, thank you.", "I do not accept this."),
])
def test_short_replies_in_every_language(rules, language, status, accept, reject):
    assert intent(rules, status, language) == "status"
    assert intent(rules, accept, language) == "accept"
    assert intent(rules, reject, language) == "reject"


@pytest.mark.parametrize("language, text", [
    ("en", "I do not accept this, because the replacement you sent is broken too and I want my money back now."),
    ("ru", "Здравствуйте!\nНе согласен, потому что замена тоже сломана, и я хочу вернуть деньги как можно скорее."),
    ("tr", "Merhaba,\nKabul etmiyorum, çünkü gönderdiğiniz yeni ürün de bozuk ve bu kabul edilemez bir durum."),
    ("az", "Salam,\nRazı deyiləm, çünki göndərdiyiniz yeni məhsul da xarabdır və pulumu geri istəyirəm."),
])
def test_long_reply_counts_through_its_opening_clause(rules, language, text):
    assert intent(rules, text, language) == "reject"


@pytest.mark.parametrize("language, text", [
    ("en", "I am writing again about my order. The status on your website still says processing, "
           "and nobody answers the phone when I call, which is unacceptable."),
    ("ru", "Пишу вам повторно по поводу заказа. На сайте статус всё ещё «в обработке», и никто не отвечает."),
    ("tr", "Siparişim hakkında tekrar yazıyorum. Sitenizde durum hâlâ hazırlanıyor görünüyor ve kimse cevap vermiyor."),
    ("az", "Sifarişimlə bağlı yenidən yazıram. Saytda vəziyyət hələ də dəyişməyib və heç kim cavab vermir."),
])
def test_long_complaint_mentioning_status_in_passing_is_no_intent(rules, language, text):
    assert intent(rules, text, language) is None


def test_longest_phrase_and_precedence(rules):
    assert intent(rules, "No problem, thanks!", "en") == "accept"   # "no problem" hides "no"
    assert intent(rules, "Yes... no, I reject it", "en") == "reject"  # reject beats accept
    assert intent(rules, "Kabul ediyorum, durumu kapatabilirsiniz.", "tr") == "accept"  # accept beats status
    # a question beside an accept: the customer still asks, nothing closes (gateway/desk/intent.py)
    assert intent(rules, "Kabul. Ne zaman kapanacak?", "tr") == "status"


def test_reply_in_another_language_than_the_complaint(rules):
    assert intent(rules, "OK", "az") == "accept"
    assert intent(rules, "Нет", "tr") == "reject"


def test_plain_prose_has_no_intent(rules):
    assert intent(rules, "I have attached the receipt you asked for.", "en") is None


# ---------------------------------------------------------------- check on broken files

def test_toml_syntax_error_names_file_and_line(local_rules):
    directory = local_rules('[routing]\ndelivery = "logistics"\noops = \n')
    problems = check_rules(directory, LANGS)
    assert len(problems) == 1
    assert problems[0].file.endswith("90-local.toml") and problems[0].line == 3
    assert "TOML syntax" in problems[0].message


def test_check_reports_every_problem_with_its_line(local_rules):
    directory = local_rules(
        '[categories.gifts]\n'                      # 1
        'keywords.az = ["hədiyyə*"]\n'              # 2  missing ru, tr, en
        'colour = "red"\n'                          # 3  unknown key
        '\n'
        '[[priority]]\n'                            # 5
        'level = "high"\n'
        'categories = ["gifts", "presents"]\n'      # 7  unknown category
        '\n'
        '[departments.gifts]\n'                     # 9
        'address = "gifts at example.az"\n'         # 10 bad email
        '\n'
        '[routing]\n'                               # 12
        'gifts = "santa"\n'                         # 13 unknown department
        'unicorns = "gifts"\n'                      # 14 unknown category
        '\n'
        '[[staff]]\n'                               # 16
        'address = "elf@example.az"\n'
        'name = "Elf"\n'
        'department = "workshop"\n'                 # 19 unknown department
    )
    found = {(p.line, p.message) for p in check_rules(directory, LANGS) if p.file.endswith("90-local.toml")}
    assert found == {
        (2, "gifts: no words for language ru, tr, en"),
        (3, "unknown key 'colour' (known: description, keywords, senders)"),
        (7, "unknown category 'presents'"),
        (10, "address: 'gifts at example.az' is not an email address"),
        (13, "routing: gifts: unknown department 'santa'"),
        (14, "routing: unknown category 'unicorns'"),
        (19, "unknown department 'workshop'"),
    }


def test_problems_print_as_file_line_message_and_load_raises(local_rules):
    directory = local_rules('[intents.status]\naz = ["status"]\nru = []\ntr = []\n')
    with pytest.raises(RulesError) as raised:
        load_rules(directory, LANGS)
    [problem] = raised.value.problems
    assert str(problem) == f"{directory / '90-local.toml'}:1: status: no words for language en"
    assert str(raised.value) == str(problem)
    assert str(Problem("rules", 0, "no rules files (*.toml) found")) == "rules: no rules files (*.toml) found"


def test_unknown_table_and_missing_directory(local_rules, tmp_path):
    directory = local_rules('[escalation]\nafter = 3\n')
    [problem] = check_rules(directory, LANGS)
    assert problem.line == 1 and problem.message.startswith("unknown table [escalation]")
    assert [p.message for p in check_rules(tmp_path / "absent", LANGS)] == ["no rules files (*.toml) found"]


def test_unknown_default_category_and_bad_level(local_rules):
    directory = local_rules('[defaults]\ncategory = "misc"\npriority = "urgent"\n')
    messages = {(p.line, p.message) for p in check_rules(directory, LANGS)}
    assert messages == {(2, "defaults: unknown category 'misc'"),
                        (3, "priority must be one of high, normal, low, not 'urgent'")}


def test_languages_not_configured_are_ignored_and_missing_ones_reported():
    # the shipped files carry all four; a site with only az and ru has nothing to fix
    assert check_rules(SHIPPED, ("az", "ru")) == []
    problems = check_rules(SHIPPED, ("az", "ru", "de"))
    assert problems and all("no words for language de" in p.message for p in problems)
