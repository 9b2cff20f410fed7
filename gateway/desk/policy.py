"""The admin's policy in one object: config, rules, calendar, languages.

decide and steer ask this object questions ("which category?", "when is this
due?") instead of reaching into five modules, so the complaint process reads as
process and the policy sources can change without touching it. Built once per
(re)load; immutable afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from gateway.config import Config
from gateway.desk import deadlines, rulefiles, tracking
from gateway.desk import intent as replies
from gateway.desk import rules as rulebook
from gateway.desk import staffcommands as staff_commands
from gateway.desk.business import BusinessCalendar
from gateway.desk.view import ComplaintView
from gateway.mail import contact as contacts
from gateway.mail.language import LanguageDetector

if TYPE_CHECKING:  # parsing (mail-parser, charset_normalizer) loads only where mail is read
    from gateway.mail.parse import Mail


# How much of a mail each reading looks at (issue 16: work bounded by a cap on its input).
# The text stored and relayed is never cut; these only bound what rules, intents and the
# phone search read, so an 18 MB body costs what its first pages cost. What they look
# for sits at the start: the subject, the opening clause, the keywords of a complaint.
SUBJECT_CHARS = 2000
CLASSIFY_CHARS = 64 * 1024  # keywords (categories, priorities, sensitive data)
INTENT_CHARS = 4000  # a reply's intent is in its opening clause (rules.intent)
CONTACT_CHARS = 16 * 1024  # the phone search (phonenumbers reads ~3 MB/s)
NAME_CHARS = 500


class HasRouting(Protocol):
    """A complaint row or its frozen view: only read here."""

    @property
    def assignee(self) -> str: ...
    @property
    def department(self) -> str: ...


@dataclass(frozen=True)
class Policy:
    config: Config
    rules: rulebook.Rules
    detector: LanguageDetector
    calendar: BusinessCalendar

    @classmethod
    def load(cls, config: Config, detector: LanguageDetector | None = None) -> "Policy":
        languages = config.gateway.languages
        return cls(
            config=config,
            rules=rulefiles.load_rules(config.resolve(config.paths.rules), languages),
            detector=detector or LanguageDetector.configured(languages, config.gateway.language_detection),
            calendar=BusinessCalendar.from_config(config.calendar, config.business_zone),
        )

    # who and where
    @property
    def address(self) -> str:
        return self.config.gateway.address.lower()

    @property
    def notify_address(self) -> str:
        return self.config.staff.notify

    @property
    def staff_language(self) -> str:
        """The desk reads one language ([staff] language), whatever the customer wrote in."""
        return self.config.staff.language or self.config.gateway.default_language

    @property
    def templates_dir(self) -> Path:
        return self.config.resolve(self.config.paths.templates)

    @property
    def tz(self) -> ZoneInfo:
        return self.calendar.zone

    @property
    def rules_staff_addresses(self) -> frozenset[str]:
        """Staff members and department addresses: a department mailbox answering counts as staff."""
        return frozenset([m.address.lower() for m in self.rules.staff]
                         + [d.address.lower() for d in self.rules.departments if d.address])

    def is_staff_address(self, address: str) -> bool:
        """Whether mail from `address` would be staff's ([staff] addresses and domains, the rules'
        staff and departments): a complaint is assigned only to somebody who can answer it."""
        address = address.lower()
        return (address in self.rules_staff_addresses or address in {a.lower() for a in self.config.staff.addresses}
                or address.rpartition("@")[2].rstrip(".") in {d.lower() for d in self.config.staff.domains})

    def staff_described(self) -> str:
        """Who counts as staff, in one line for a staff member's error mail."""
        named = sorted({a.lower() for a in self.config.staff.addresses} | self.rules_staff_addresses)
        domains = sorted(d.lower() for d in self.config.staff.domains)
        return "; ".join(part for part in (
            ("addresses at " + ", ".join(domains)) if domains else "",
            (", ".join(named[:10]) + (" ..." if len(named) > 10 else "")) if named else "") if part) or "none configured"

    def staff_addresses_for(self, complaint: "HasRouting") -> tuple[str, ...]:
        """Who hears about a complaint: its assignee, else its department, else [staff] notify."""
        for address in (complaint.assignee, self.department_address(complaint.department), self.notify_address):
            if address:
                return (address,)
        return ()

    def escalation_addresses_for(self, complaint: "HasRouting") -> tuple[str, ...]:
        """Past a deadline: [sla] escalate_to, else the department's supervisor, else the usual staff."""
        for address in (self.config.sla.escalate_to, self.supervisor_of(complaint)):
            if address:
                return (address,)
        return self.staff_addresses_for(complaint)

    def stage_due(self, status: str, entered_at: datetime, priority: str) -> datetime | None:
        """The deadline of the stage a status belongs to (None: no stage clock runs)."""
        stage = deadlines.status_rule(status).stage
        return deadlines.stage_due(stage, entered_at, priority, self.config.sla, self.calendar) if stage else None

    def supervisor_of(self, complaint: "HasRouting") -> str:
        """The assignee's supervisor, else the first supervisor named in the department."""
        assignee = rulebook.staff_member(self.rules, complaint.assignee) if complaint.assignee else None
        if assignee and assignee.supervisor:
            return assignee.supervisor
        return next((m.supervisor for m in self.rules.staff
                     if m.department == complaint.department and m.supervisor), "")

    def department_for_category(self, category: str) -> str:
        route = self.rules.routing.get(category)
        return route.department if route else ""

    def department_address(self, department: str) -> str:
        found = rulebook.department(self.rules, department) if department else None
        return found.address if found else ""

    # reading the mail
    def detect_language(self, text: str, fallback: str = "") -> str:
        return self.detector.detect(text, fallback or self.config.gateway.default_language)

    def classify(self, mail: Mail, language: str) -> rulebook.Classification:
        return rulebook.classify(self.rules, mail.subject[:SUBJECT_CHARS], mail.new_text[:CLASSIFY_CHARS],
                                 mail.sender, bool(mail.attachments), language)

    def sensitive(self, text: str, language: str) -> str | None:
        """The special category a message mentions ("origin: kind: words"), None when none."""
        return rulebook.sensitive_mention(self.rules, text[:CLASSIFY_CHARS], language)

    def intent(self, text: str, language: str) -> str | None:
        return replies.read(self.rules, text[:INTENT_CHARS], language)

    def status_only(self, text: str) -> bool:
        """Whether a status request says nothing else (intent.status_only); a tracking number in
        it ("Status of CC-2026-4K7PQ2MX?") names the complaint and adds nothing."""
        numbers = tracking.pattern(self.config.gateway.tracking_prefix)
        return replies.status_only(self.rules, numbers.sub(" ", text[:INTENT_CHARS]))

    @property
    def commands_help(self) -> str:
        return staff_commands.COMMAND_HELP

    def commands(self, text: str, subject: str, signature: str = "") -> staff_commands.CommandParse:
        return staff_commands.parse_commands(text, subject[:SUBJECT_CHARS], signature=signature)

    def contact(self, mail: Mail, language: str = "") -> contacts.Contact:
        return contacts.extract_contact(mail.sender_name[:NAME_CHARS], mail.new_text[:CONTACT_CHARS],
                                        mail.signature[:CONTACT_CHARS], self.phone_regions(language))

    def phone_regions(self, language: str = "") -> tuple[str, ...]:
        """[gateway] phone_region, then the region of the complaint's language."""
        return contacts.regions(self.config.gateway.phone_region, language)

    def reply_contact(self, mail: Mail, language: str) -> contacts.Contact:
        """The name and phone a customer's reply gives (labelled or free form); "" where it gives none."""
        from gateway.mail.contactreply import reply_contact
        found = reply_contact(mail.new_text[:CONTACT_CHARS], self.phone_regions(language))
        if not found.name:
            signed = contacts.extract_contact(mail.sender_name[:NAME_CHARS], "", mail.signature[:CONTACT_CHARS], ())
            found = contacts.Contact(signed.name, found.phone)
        return found

    def warm(self, now: datetime) -> None:
        """Load what the first mail would otherwise wait ~0.3 s for: the phone-number library
        and this year's holiday table. The daemon calls this at start; one-shot commands load
        them only when a mail needs them."""
        contacts.extract_contact("", "+994 12 345 67 89", "", self.config.gateway.phone_region)
        self.calendar.is_business_day(now.astimezone(self.tz).date())

    # time
    def initial_due(self, received_at: datetime, priority: str) -> deadlines.DueDates:
        return deadlines.initial_due(received_at, priority, self.config.sla, self.calendar)

    def auto_close_at(self, resolved_at: datetime) -> datetime | None:
        return deadlines.auto_close_at(resolved_at, self.config.sla, self.calendar)

    def resumed_dues(self, complaint: ComplaintView, now: datetime) -> dict[str, datetime | None]:
        """Due dates after a pause: the same business time left as when it began."""
        if complaint.paused_at is None:
            return {}
        return {name: deadlines.resume(due, complaint.paused_at, now, self.calendar) if due else None
                for name, due in (("due_stage", complaint.due_stage), ("due_resolve", complaint.due_resolve))}

    def end_of_business_day(self, day: str | date) -> datetime:
        """The close of work on a date, in the business time zone (for #extend)."""
        when = date.fromisoformat(day) if isinstance(day, str) else day
        hour, minute = (int(x) for x in self.config.calendar.work_end.split(":"))
        return datetime.combine(when, time(hour, minute), self.tz)
