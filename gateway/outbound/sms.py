"""Text messages through an SMS provider's HTTP API (seed 003 sends the tracking
number and secret, and the decision notice, by SMS).

Providers differ, so the request is a generic one: a JSON POST of
{"to": E.164, "from": sender, "text": ...} to `[sms] url`, with a bearer token from
the environment variable `[sms] token_env` when set. 2xx is sent; 4xx is final
(the number or the request is wrong); 5xx and connection trouble are retried by
the outbox like any temporary mail failure.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from gateway.config import SmsSection
from gateway.outbound.transports import PermanentFailure, TemporaryFailure

# Customer mails that also go out as a text message, by the SMS template that says it.
SMS_KINDS: dict[str, str] = {"ack": "sms_ack", "stranger": "sms_ack", "resolution": "sms_resolution",
                             "remedies": "sms_remedies"}
MAX_LENGTH = 480  # three concatenated SMS of Unicode text; longer templates are cut


class SmsSender:
    def __init__(self, section: SmsSection):
        self.section = section

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"to": phone, "from": self.section.sender, "text": text[:MAX_LENGTH]},
                          ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        token = os.environ.get(self.section.token_env, "") if self.section.token_env else ""
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.section.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.section.timeout) as answer:
                answer.read(4096)
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code not in (408, 429):
                raise PermanentFailure(f"SMS provider answered {error.code}") from None
            raise TemporaryFailure(f"SMS provider answered {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise TemporaryFailure(f"SMS provider unreachable: {error}") from None
