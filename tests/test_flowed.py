"""format=flowed (RFC 3676) is undone before commands and quotes are read."""
from __future__ import annotations

from email.message import EmailMessage

from gateway.desk.staffcommands import parse_commands
from gateway.mail.flowed import unflow
from gateway.mail.parse import parse

EXTEND = ("#extend 2026-12-18 the supplier needs two more weeks to \r\n"
          "deliver the replacement part\r\n"
          "\r\n"
          "Dear customer, the replacement part is on its way from the \r\n"
          "supplier.\r\n"
          "\r\n"
          "On 07.12.2026 10:01, Care Desk wrote:\r\n"
          "> Your complaint was registered; we will answer within three \r\n"
          "> business days.\r\n"
          "-- \r\n"
          "Leyla\r\n")


def _mail(body: str, delsp: str = "") -> bytes:
    params = 'text/plain; charset="utf-8"; format=flowed' + (f"; delsp={delsp}" if delsp else "")
    return (f"From: staff@shop.example\r\nTo: care@shop.example\r\nSubject: Re: [CC-2026-X]\r\n"
            f"Message-ID: <f@x>\r\nContent-Type: {params}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body).encode("utf-8")


def test_soft_wrapped_extend_keeps_its_whole_reason() -> None:
    mail = parse(_mail(EXTEND))
    parsed = parse_commands(mail.new_text, mail.subject)
    [command] = parsed.commands
    assert command.argument == "2026-12-18 the supplier needs two more weeks to deliver the replacement part"
    assert parsed.body == "Dear customer, the replacement part is on its way from the supplier."
    assert mail.signature == "-- \nLeyla"
    assert "> Your complaint was registered; we will answer within three business days." in mail.quoted


def test_delsp_removes_the_wrapping_space() -> None:
    body = "Der Teil ist unter\r\nwegs, dan\r\nke.\r\n".replace("unter\r\n", "unter \r\n").replace("dan\r\n", "dan \r\n")
    assert parse(_mail(body, "yes")).new_text == "Der Teil ist unterwegs, danke."
    assert parse(_mail(body)).new_text == "Der Teil ist unter wegs, dan ke."


def test_fixed_text_is_not_unwrapped() -> None:
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "a@example.org", "x"
    msg.set_content("line one \nline two\n")
    assert parse(bytes(msg)).new_text.split("\n") == ["line one ", "line two"]


def test_unflow_keeps_quote_depth_and_space_stuffing() -> None:
    text = ">> deep \n>> quote\n> shallow \n> end\n From the stuffed line\n-- \nsig"
    assert unflow(text) == "> > deep quote\n> shallow end\nFrom the stuffed line\n-- \nsig"


def test_a_flowed_line_never_joins_a_line_of_another_depth() -> None:
    assert unflow("> quoted \nown text") == "> quoted\nown text"


def test_unflow_is_linear() -> None:
    unflow("word " * 400_000)
    unflow("> " * 200_000 + "\n" + ">" * 400_000)
