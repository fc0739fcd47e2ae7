"""The notification centre's writes: making notices exactly once, and sending their e-mails.

A notice is a `Notification` row, written in the same transaction as whatever caused it (an
assignment, a hand-over, a risk assessment) or by a scheduled rule (cases/reminders.py and the
reminders of volunteers and partners). Its unique `key` names what it is about, for whom and for
which period, and `notify` inserts with ON CONFLICT DO NOTHING: a rule that runs twice, or two
workers that run it at once, notify nobody twice.

The row is also the e-mail's outbox entry. A notice the person wants by e-mail (their profile's
choice; critical alerts always) is written with `email = pending`, and once the transaction
commits a worker is nudged (`NudgeTask.delay_on_commit`; a broker that is down only loses the
nudge). `send_pending_emails` takes pending rows one at a time with SELECT ... FOR UPDATE SKIP
LOCKED, sends, and marks the row sent in the same transaction; the beat sweep runs it every minute,
so whatever the nudge missed goes out when the broker is back.

Exactly once, and its limit: a worker killed before the send completes leaves the row pending
(its transaction rolls back) and the next drain sends it once. A crash after the mail server has
accepted the message and before the COMMIT (milliseconds: the server's reply, the UPDATE and the
COMMIT) sends it again; the message keeps the same Message-ID, by which mail systems recognise a
duplicate. See README, "Notifications and reminders".

Texts and e-mails carry a case reference (or a few), what happened and a link: never a nickname,
a name or her story.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Notification
from regions.models import Role

logger = logging.getLogger(__name__)

K = Notification.Kind
E = Notification.Email
REFERENCES_SHOWN = 10
EMAIL_RETRY_BASE = timedelta(minutes=1)
EMAIL_RETRY_MAX = timedelta(hours=1)


# --- What a notice says and where it leads ----------------------------------------------------------


def _references(details: dict) -> str:
    shown = list(details.get("references", []))[:REFERENCES_SHOWN]
    more = int(details.get("count", len(shown))) > len(shown)
    return ", ".join(shown) + (" …" if more else "")


def _waited(minutes: int) -> str:
    if minutes < 120:
        return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    hours = minutes // 60
    return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}


def notification_text(notification: Notification) -> str:
    """The notice's text in the active language: built from references, counts and times only."""
    d = notification.details or {}
    what = {"reference": notification.case.reference if notification.case_id else ""}
    kind = notification.kind
    if kind == K.ASSIGNED:
        return _("%(reference)s was assigned to you.") % what
    if kind == K.HANDOVER:
        return _("A hand-over on %(reference)s is waiting for you.") % what
    if kind == K.HANDOVER_WAITING:
        return _("The hand-over on %(reference)s is still waiting for you to acknowledge it.") % what
    if kind == K.ESCALATION:
        what["wait"] = _waited(int(d.get("minutes", 0)))
        if d.get("urgent"):
            return _("Urgent: nobody is in charge of %(reference)s, %(wait)s after it came in.") % what
        return _("Nobody is in charge of %(reference)s, %(wait)s after it came in.") % what
    if kind == K.RISK_ALERT:
        if d.get("level") == "critical":
            return _("%(reference)s was assessed at critical risk.") % what
        return _("%(reference)s was assessed at high risk.") % what
    if kind == K.FOLLOW_UP_DUE:
        return _("A follow-up on %(reference)s is due tomorrow.") % what
    if kind == K.GOAL_DUE:
        return _("A goal of %(reference)s is due tomorrow.") % what
    if kind == K.REFERRAL_UNANSWERED:
        what["days"] = d.get("days", 0)
        return _("A referral on %(reference)s has had no answer from the partner for %(days)s days.") % what
    if kind == K.OVERDUE:
        count = int(d.get("count", 0))
        return ngettext(
            "%(count)s follow-up or goal on your cases is overdue: %(references)s.",
            "%(count)s follow-ups and goals on your cases are overdue: %(references)s.",
            count,
        ) % {"count": count, "references": _references(d)}
    if kind == K.TEAM_OVERDUE:
        count = int(d.get("count", 0))
        return ngettext(
            "%(count)s follow-up or goal in %(region)s is overdue by more than %(days)s days: %(references)s.",
            "%(count)s follow-ups and goals in %(region)s are overdue by more than %(days)s days: %(references)s.",
            count,
        ) % {"count": count, "region": d.get("region", ""), "days": d.get("days", 0), "references": _references(d)}
    if kind == K.SHIFT_STARTING:
        zone = d.get("zone", "UTC")
        starts = datetime.fromisoformat(d["starts_at"]).astimezone(_zone(zone))
        return _("Your shift as %(role)s in %(region)s starts at %(time)s (%(zone)s).") % {
            "role": Role(d["role"]).label if d.get("role") in Role.values else d.get("role", ""),
            "region": d.get("region", ""),
            "time": starts.strftime("%H:%M"),
            "zone": zone,
        }
    return str(K(kind).label) if kind in K.values else kind


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


# The case page's tab a notice of each kind opens on.
CASE_TABS = {
    K.HANDOVER: "handovers",
    K.HANDOVER_WAITING: "handovers",
    K.RISK_ALERT: "risk",
    K.FOLLOW_UP_DUE: "contacts",
    K.GOAL_DUE: "plan",
    K.REFERRAL_UNANSWERED: "referrals",
}


def notification_url(notification: Notification) -> str:
    """The page a notice leads to (a path; e-mails put SITE_URL in front)."""
    if notification.kind == K.SHIFT_STARTING:
        return reverse("roster_now")
    if notification.case_id is None:
        return reverse("dashboard")
    tab = CASE_TABS.get(notification.kind)
    if tab:
        return reverse("case_tab", args=[notification.case_id, tab])
    return reverse("case_detail", args=[notification.case_id])


# --- Making notices -----------------------------------------------------------------------------------


@dataclass
class Notice:
    """One notice to make: for `user_id`, of `kind`, about `case_id` (or none), unique by `key`.
    `urgent` notices (critical escalations and risk alerts) go by e-mail whatever the person chose."""

    user_id: int
    kind: str
    key: str
    case_id: int | None = None
    details: dict = field(default_factory=dict)
    urgent: bool = False


def notice_key(kind: str, *parts, user_id: int) -> str:
    """`kind:part:part:u<user>`, e.g. notice_key("escalation", "c12", user_id=7) → "escalation:c12:u7"."""
    return ":".join([kind, *(str(part) for part in parts), f"u{user_id}"])


def _recipients(user_ids) -> dict[int, tuple[str, list[str]]]:
    """{user id: (e-mail address, kinds muted by e-mail)} of the active users among `user_ids`."""
    User = get_user_model()
    rows = User.objects.filter(pk__in=sorted(user_ids), is_active=True).values_list(
        "pk", "email", "volunteer__email_muted_kinds"
    )
    return {pk: (email or "", muted or []) for pk, email, muted in rows}


def _email_state(notice: Notice, address: str, muted: list[str]) -> str:
    if not address:
        return E.NONE
    if notice.urgent or notice.kind not in muted:
        return E.PENDING
    return E.NONE


def notify(notices, *, by, now: datetime | None = None) -> list[int]:
    """Make each notice that does not exist yet (by its key) for an active user; returns the ids
    of those made. Call inside the transaction of what caused them; once it commits, a worker is
    nudged to send the e-mails."""
    notices = [notice for notice in notices if notice.user_id is not None]
    if not notices:
        return []
    now = now or timezone.now()
    people = _recipients({notice.user_id for notice in notices})
    rows = []
    for notice in notices:
        if notice.user_id not in people:
            continue
        address, muted = people[notice.user_id]
        details = {**notice.details, **({"urgent": True} if notice.urgent else {})}
        rows.append(
            (
                notice.user_id,
                notice.case_id,
                notice.kind,
                notice.key[:120],
                json.dumps(details),
                now,
                getattr(by, "pk", None),
                _email_state(notice, address, muted),
            )
        )
    if not rows:
        return []
    table = connection.ops.quote_name(Notification._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s::jsonb, %s, %s, %s, 0)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name comes from the model; every value is a parameter.
            f"INSERT INTO {table} (user_id, case_id, kind, key, details, created_at, created_by_id, email, "  # noqa: S608
            f"email_attempts) VALUES {values} ON CONFLICT (key) DO NOTHING RETURNING id, email",
            [value for row in rows for value in row],
        )
        made = cursor.fetchall()
    if any(email == E.PENDING for _id, email in made):
        from cases.tasks import send_notification_emails

        send_notification_emails.delay_on_commit()
    return [pk for pk, _email in made]


def notifications_settle(*, case_id: int, kinds, now: datetime | None = None, user_id: int | None = None) -> int:
    """Notices of `kinds` on a case that have served their purpose (the case has someone in charge,
    the hand-over was acknowledged): marked read, and their e-mails not sent yet are dropped."""
    now = now or timezone.now()
    notices = Notification.objects.filter(case_id=case_id, kind__in=list(kinds))
    if user_id is not None:
        notices = notices.filter(user_id=user_id)
    notices.filter(email=E.PENDING).update(email=E.CANCELLED)
    return notices.filter(read_at__isnull=True).update(read_at=now)


# --- The e-mail -----------------------------------------------------------------------------------------


def message_id(notification: Notification) -> str:
    """The same Message-ID every time this notice is sent: a second copy after a crash between
    sending and recording it is recognisable as the same message."""
    digest = hashlib.sha256(notification.key.encode()).hexdigest()[:24]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<srp.{notification.pk}.{digest}@{domain}>"


def notification_email(notification: Notification) -> EmailMessage:
    """The e-mail of a notice, in the recipient's language: what happened, with the reference,
    and a link. No name, no nickname, no story, not even the recipient's name."""
    user = notification.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "text": notification_text(notification),
            "kind": K(notification.kind).label if notification.kind in K.values else notification.kind,
            "url": settings.SITE_URL + notification_url(notification),
            "preferences_url": settings.SITE_URL + reverse("volunteer_profile_me"),
            "urgent": bool((notification.details or {}).get("urgent")),
        }
        subject = " ".join(render_to_string("cases/email/notification_subject.txt", context).split())
        body = render_to_string("cases/email/notification_body.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        to=[user.email],
        headers={"Message-ID": message_id(notification), "Auto-Submitted": "auto-generated"},
    )


def _retry_delay(attempts: int) -> timedelta:
    return min(EMAIL_RETRY_BASE * 2 ** max(attempts - 1, 0), EMAIL_RETRY_MAX)


def _next_pending(now: datetime):
    return (
        Notification.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(email=E.PENDING)
        .filter(Q(email_retry_at__isnull=True) | Q(email_retry_at__lte=now))
        .select_related("user", "case")
        .order_by("created_at", "pk")
        .first()
    )


def send_pending_emails(*, limit: int = 200) -> tuple[int, int]:
    """Send up to `limit` pending notification e-mails, each in a transaction of its own that holds
    the row (FOR UPDATE SKIP LOCKED: another drain skips it) and marks it sent. An e-mail that fails
    is tried again later, after 1, 2, 4… minutes, up to EMAIL_MAX_ATTEMPTS times. Returns (sent, failed)."""
    sent = failed = 0
    for _attempt in range(limit):
        with transaction.atomic():
            notification = _next_pending(timezone.now())
            if notification is None:
                break
            try:
                notification_email(notification).send()
            except Exception as error:  # the mail server refused or is away: try again later
                notification.email_attempts += 1
                if notification.email_attempts >= settings.EMAIL_MAX_ATTEMPTS:
                    notification.email = E.FAILED
                else:
                    notification.email_retry_at = timezone.now() + _retry_delay(notification.email_attempts)
                notification.save(update_fields=["email", "email_attempts", "email_retry_at"])
                logger.warning(
                    "notification %s: e-mail attempt %s failed (%s)",
                    notification.pk,
                    notification.email_attempts,
                    type(error).__name__,
                )
                failed += 1
                continue
            notification.email = E.SENT
            notification.emailed_at = timezone.now()
            notification.email_attempts += 1
            notification.save(update_fields=["email", "emailed_at", "email_attempts"])
            sent += 1
    return sent, failed


def next_email_retry_in() -> float | None:
    """Seconds until the soonest pending e-mail may be tried again (None: nothing waits)."""
    soonest = (
        Notification.objects.filter(email=E.PENDING, email_retry_at__isnull=False)
        .order_by("email_retry_at")
        .values_list("email_retry_at", flat=True)
        .first()
    )
    if soonest is None:
        return None
    return max((soonest - timezone.now()).total_seconds(), 1.0)
