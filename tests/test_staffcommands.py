"""gateway.desk.staffcommands: staff commands at the top of a reply and in the subject."""
from __future__ import annotations

import pytest

from gateway.desk.staffcommands import COMMAND_HELP, STATUSES, Command, parse_commands


def test_commands_at_the_top_are_taken_and_removed_from_the_body():
    parsed = parse_commands("\n#status investigating\n#Priority HIGH\n\nDear customer,\nwe are on it.\n", "Re: [CC-1]")
    assert parsed.commands == (Command("status", "investigating"), Command("priority", "high"))
    assert parsed.errors == ()
    assert parsed.body == "Dear customer,\nwe are on it."


def test_regression_command_lines_after_the_text_are_commands_never_text():
    parsed = parse_commands("Dear customer,\n#close\n#status resolved", "")
    assert parsed.commands == (Command("close", ""), Command("status", "resolved")) and parsed.errors == ()
    assert parsed.body == "Dear customer,"


@pytest.mark.parametrize("line", ["#note", "# note", "#NOTE", "#nоte", "#ΝΟΤΕ", "＃ｎｏｔｅ", "  #\u00a0Note"])
def test_regression_note_typed_anyway_anywhere_is_a_note(line):
    """Not on the first line, a space after "#", upper case, a Cyrillic "о", Greek capitals, fullwidth."""
    parsed = parse_commands(f"Colleagues,\nthe customer called twice.\n{line}\nDo not refund yet.", "")
    assert parsed.commands == (Command("note", ""),) and parsed.errors == ()
    assert parsed.body == "Colleagues,\nthe customer called twice.\nDo not refund yet."


@pytest.mark.parametrize("line", ["#nota", "# заметка", "#internal only", "#StaySafe", "#resolved"])
def test_regression_an_unknown_command_like_line_anywhere_is_an_error(line):
    parsed = parse_commands(f"Dear customer,\nyour refund is on its way.\n{line}", "")
    assert parsed.errors and "unknown command" in parsed.errors[0]


def test_regression_a_second_resolve_in_the_body_is_taken_not_relayed():
    parsed = parse_commands("#resolve\nYour refund was sent today.\n#resolve\nIt arrives in three days.", "")
    assert parsed.commands == (Command("resolve", ""),) and parsed.errors == ()
    assert parsed.body == "Your refund was sent today.\nIt arrives in three days."


@pytest.mark.parametrize("text", [
    "Order #1234 ships today.", "#1 thing we need: the receipt", "We use the hashtag #care on our page.",
    "Sifariş #1234 bu gün göndərilir.", "Заказ #1234 отправлен сегодня.", "#1234 numaralı sipariş bugün kargoda.",
])
def test_a_hash_inside_a_sentence_or_before_a_number_is_text(text):
    parsed = parse_commands(text, "")
    assert parsed.commands == () and parsed.errors == () and parsed.body == text


def test_a_hash_that_is_not_a_command_word_ends_the_block():
    parsed = parse_commands("#ask\n#1 thing we need: the receipt", "")
    assert parsed.commands == (Command("ask", ""),)
    assert parsed.body == "#1 thing we need: the receipt"


@pytest.mark.parametrize("line, command", [
    ("#status waiting_customer", Command("status", "waiting_customer")),
    ("#status In-Review", Command("status", "in_review")),
    ("#priority low", Command("priority", "low")),
    ("#category Product_Quality", Command("category", "product_quality")),
    ("#assign <Murad.Huseynov@Example.az>", Command("assign", "murad.huseynov@example.az")),
    ("#note", Command("note", "")),
    ("#ask", Command("ask", "")),
    ("#resolve", Command("resolve", "")),
    ("#close", Command("close", "")),
    ("#extend 2025-03-14 waiting for the supplier", Command("extend", "2025-03-14 waiting for the supplier")),
    ("#language RU", Command("language", "ru")),
])
def test_every_valid_command(line, command):
    parsed = parse_commands(f"{line}\nText", "")
    assert parsed.commands == (command,) and parsed.errors == () and parsed.body == "Text"


def test_every_status_of_the_lifecycle_is_accepted():
    for status in STATUSES:
        assert parse_commands(f"#status {status}", "").commands == (Command("status", status),)


@pytest.mark.parametrize("line, error", [
    ("#reslove", "#reslove: unknown command"),
    ("#status done", "#status done: must be one of registered"),
    ("#status", "#status: must be one of"),
    ("#priority urgent", "#priority urgent: must be one of high, normal, low"),
    ("#assign somebody", "#assign somebody: needs an email address"),
    ("#extend next week", "#extend next week: needs a date YYYY-MM-DD"),
    ("#extend 2025-02-30 supplier", "#extend 2025-02-30 supplier: needs a date"),
    ("#extend 2025-03-14", "#extend 2025-03-14: needs a reason"),
    ("#close now", "#close now: takes no argument"),
    ("#language de", "#language de: must be one of az, ru, tr, en"),
    ("#category two words", "#category two words: needs a category name"),
])
def test_malformed_or_unknown_commands_are_errors(line, error):
    parsed = parse_commands(f"{line}\nText", "")
    assert parsed.commands == ()
    assert len(parsed.errors) == 1 and parsed.errors[0].startswith(error)


def test_subject_form():
    parsed = parse_commands("Your refund was sent.", "Re: [CC-2025-000123] [status=resolved] [ Priority = high ]")
    assert parsed.commands == (Command("status", "resolved"), Command("priority", "high"))
    assert parsed.body == "Your refund was sent."


def test_subject_form_errors_and_contradictions():
    parsed = parse_commands("#status closed", "[status=resolved] [colour=red]")
    assert parsed.errors == (
        "[colour=red]: unknown command (known: #status, #priority, #category, #assign, #note, #ask, "
        "#resolve, #extend, #close, #confirm, #language)",
        "#status closed: contradicts #status resolved",
    )
    assert parsed.commands == (Command("status", "resolved"),)


def test_the_same_command_twice_is_fine():
    parsed = parse_commands("#status resolved", "Re: [status=resolved]")
    assert parsed.commands == (Command("status", "resolved"),) and parsed.errors == ()


def test_languages_can_be_restricted_to_the_configured_ones():
    assert parse_commands("#language tr", "", languages=("az", "ru")).errors


def test_extend_argument_is_the_date_and_the_reason():
    [command] = parse_commands("#extend 2025-03-14  supplier is late", "").commands
    assert command.argument == "2025-03-14 supplier is late"


def test_help_lists_every_command_and_the_subject_form():
    for name in ("#status", "#priority", "#category", "#assign", "#note", "#ask", "#resolve",
                 "#extend YYYY-MM-DD <reason>", "#close", "#language", "[status=resolved]"):
        assert name in COMMAND_HELP
    assert "waiting_customer" in COMMAND_HELP


SECRET = "Customer is on our fraud watchlist, do not refund."


@pytest.mark.parametrize("line", ["- #note", "* #note", "*#note*", "**#note**", "• #note", "1. #note", "2) #note",
                                  "\u200b#note", "\ufeff#note", "#\u200bnote", "\"#note\"", "«#note»", "> #note",
                                  "_#note_", "`#note`", "#note:", "## Note", "### note"])
def test_regression_note_behind_a_bullet_markup_or_invisible_character_is_a_note(line):
    parsed = parse_commands(f"{SECRET}\n{line}", "")
    assert parsed.commands == (Command("note", ""),) and parsed.errors == () and parsed.body == SECRET


@pytest.mark.parametrize("text", [
    f"- #note {SECRET}", f"*#note* {SECRET}", f"• #note {SECRET}", f"1. #note {SECRET}", f"\"#note\" {SECRET}",
    f"\u200b#note {SECRET}", f"Note: #note {SECRET}", f"{SECRET} #note", f"Please see #resolve below. {SECRET}",
    f"#status resolved #note {SECRET}", f"{SECRET} #NОTE", f"{SECRET} ＃note",
])
def test_regression_a_known_command_anywhere_in_a_line_refuses_the_reply(text):
    parsed = parse_commands(text, "")
    assert parsed.errors and not (parsed.commands and not parsed.errors)


@pytest.mark.parametrize("text", [
    # az, ru, tr, en: ordinary sentences holding the command words without "#", or "#" before other words
    "Qeyd: sifarişiniz (note) sabah göndəriləcək, statusu yoxlayın.", "Примечание: статус заказа — resolve скоро.",
    "Not: siparişinizin durumu (status) yarın güncellenecek.", "Note: your order status will be resolved tomorrow.",
    "Sifariş #1234 hazırdır, #təşəkkür edirik.", "Заказ #1234 готов, #спасибо.", "Sipariş #1234 hazır, #teşekkürler.",
    "We use #care and #notebook tags; order #1234 ships.",
])
def test_command_words_without_a_hash_or_other_hashtags_in_sentences_are_text(text):
    parsed = parse_commands(text, "")
    assert parsed.commands == () and parsed.errors == () and parsed.body == text


def test_regression_a_command_in_the_signature_counts_but_stays_out_of_the_body():
    parsed = parse_commands(SECRET, "", signature="Rashad\n#note")
    assert parsed.commands == (Command("note", ""),) and parsed.errors == () and parsed.body == SECRET
    assert parsed.irregular == ("note",)
    assert parse_commands(SECRET, "", signature="Rashad\nsee #resolve").errors


@pytest.mark.parametrize("text, irregular", [
    ("#note\n" + SECRET, ()), ("#NOTE\n" + SECRET, ()), ("\n#priority high\n#note\n" + SECRET, ()),
    ("Dear customer,\n\n# Note\nPlease bring the receipt.", ("note",)), (SECRET + "\n#note", ("note",)),
    ("- #note\n" + SECRET, ("note",)), ("# note\n" + SECRET, ("note",)), ("#resolve\nDone.", ()),
])
def test_a_note_not_written_plainly_at_the_top_is_irregular(text, irregular):
    assert parse_commands(text, "").irregular == irregular
