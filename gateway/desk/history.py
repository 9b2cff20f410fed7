"""A complaint's history as the customer reads it: sentences in their language.

Events are stored with internal codes ("status: in_review", "relayed: relay");
those are for staff and reports. A customer's status reply or interim update
names the last step taken as a sentence, chosen from the STEPS table below, so
no code can reach a customer. An event the table does not know yields no
sentence (nothing is better than a code). Pure: no database, no clock.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# The events a customer hears about, as (kind, what) -> sentence per language.
# `what` is the target status for "status" events and the mail kind for "relayed" ones.
STEPS: Mapping[str, Mapping[tuple[str, str], str]] = MappingProxyType({
    "az": {
        ("created", ""): "Şikayətiniz qeydə alındı.",
        ("status", "registered"): "Şikayətiniz qeydə alındı.",
        ("status", "in_review"): "Şikayətinizə ilkin baxış başladı.",
        ("status", "investigating"): "Şikayətiniz araşdırılır.",
        ("status", "waiting_customer"): "Sizdən əlavə məlumat istədik.",
        ("status", "resolved"): "Şikayətinizə cavabımızı göndərdik.",
        ("status", "closed"): "Şikayətiniz bağlandı.",
        ("status", "reopened"): "Şikayətinizə yenidən baxılır.",
        ("status", "escalated"): "Şikayətiniz rəhbərliyə ötürüldü.",
        ("relayed", "relay"): "Əməkdaşımız sizə cavab yazdı.",
        ("relayed", "ask"): "Sizdən əlavə məlumat istədik.",
        ("relayed", "resolution"): "Şikayətinizə cavabımızı göndərdik.",
        ("relayed", "closed"): "Şikayətiniz bağlandı.",
        ("extend", ""): "Həllin gözlənilən tarixi dəyişdirildi.",
        ("delay_notice", ""): "Həllin gözlənilən tarixi dəyişdirildi.",
    },
    "ru": {
        ("created", ""): "Ваша жалоба зарегистрирована.",
        ("status", "registered"): "Ваша жалоба зарегистрирована.",
        ("status", "in_review"): "Начато первичное рассмотрение Вашей жалобы.",
        ("status", "investigating"): "По Вашей жалобе проводится проверка.",
        ("status", "waiting_customer"): "Мы запросили у Вас дополнительную информацию.",
        ("status", "resolved"): "Мы направили Вам ответ по жалобе.",
        ("status", "closed"): "Ваша жалоба закрыта.",
        ("status", "reopened"): "Ваша жалоба рассматривается повторно.",
        ("status", "escalated"): "Ваша жалоба передана руководству.",
        ("relayed", "relay"): "Наш сотрудник ответил Вам.",
        ("relayed", "ask"): "Мы запросили у Вас дополнительную информацию.",
        ("relayed", "resolution"): "Мы направили Вам ответ по жалобе.",
        ("relayed", "closed"): "Ваша жалоба закрыта.",
        ("extend", ""): "Ожидаемая дата решения изменена.",
        ("delay_notice", ""): "Ожидаемая дата решения изменена.",
    },
    "tr": {
        ("created", ""): "Şikâyetiniz kayıt altına alındı.",
        ("status", "registered"): "Şikâyetiniz kayıt altına alındı.",
        ("status", "in_review"): "Şikâyetinizin ilk incelemesine başlandı.",
        ("status", "investigating"): "Şikâyetiniz araştırılıyor.",
        ("status", "waiting_customer"): "Sizden ek bilgi istedik.",
        ("status", "resolved"): "Şikâyetinize ilişkin yanıtımızı gönderdik.",
        ("status", "closed"): "Şikâyetiniz kapatıldı.",
        ("status", "reopened"): "Şikâyetiniz yeniden değerlendiriliyor.",
        ("status", "escalated"): "Şikâyetiniz üst yönetime iletildi.",
        ("relayed", "relay"): "Çalışanımız size yanıt verdi.",
        ("relayed", "ask"): "Sizden ek bilgi istedik.",
        ("relayed", "resolution"): "Şikâyetinize ilişkin yanıtımızı gönderdik.",
        ("relayed", "closed"): "Şikâyetiniz kapatıldı.",
        ("extend", ""): "Öngörülen çözüm tarihi değiştirildi.",
        ("delay_notice", ""): "Öngörülen çözüm tarihi değiştirildi.",
    },
    "en": {
        ("created", ""): "Your complaint was registered.",
        ("status", "registered"): "Your complaint was registered.",
        ("status", "in_review"): "The initial review of your complaint began.",
        ("status", "investigating"): "Your complaint is being investigated.",
        ("status", "waiting_customer"): "We asked you for more information.",
        ("status", "resolved"): "We sent you our answer to your complaint.",
        ("status", "closed"): "Your complaint was closed.",
        ("status", "reopened"): "Your complaint is being reviewed again.",
        ("status", "escalated"): "Your complaint was passed on to management.",
        ("relayed", "relay"): "Our staff answered you.",
        ("relayed", "ask"): "We asked you for more information.",
        ("relayed", "resolution"): "We sent you our answer to your complaint.",
        ("relayed", "closed"): "Your complaint was closed.",
        ("extend", ""): "The expected resolution date was changed.",
        ("delay_notice", ""): "The expected resolution date was changed.",
    },
})
# Event kinds that can be a customer's "last step"; everything else (notes, reminders, escalations
# to staff, priority or assignment changes) is internal.
CUSTOMER_KINDS = frozenset(kind for kind, _ in STEPS["en"])


def step_key(kind: str, to_status: str, detail: str) -> tuple[str, str]:
    """The STEPS key of an event: what it did, never the free-text detail of staff."""
    if kind == "status":
        return kind, to_status
    if kind == "relayed":
        return kind, detail.strip()
    return kind, ""


def last_step(events: list[tuple[str, str, str]], lang: str) -> str:
    """The sentence for the latest (kind, to_status, detail) the customer hears about; "" when none."""
    table = STEPS.get(lang) or STEPS["en"]
    for kind, to_status, detail in reversed(events):
        if kind in CUSTOMER_KINDS:
            sentence = table.get(step_key(kind, to_status, detail))
            if sentence:
                return sentence
    return ""
