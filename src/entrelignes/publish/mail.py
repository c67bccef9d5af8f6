"""The email channel: one message per confirmed subscriber of the edition's slot, HTML with a
plain-text alternative, over SMTP (STARTTLS, implicit TLS or plain, with optional login).

Every message carries `List-Unsubscribe` (the signed HTTPS link, and the sender's address as
mailto) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058). RFC 8058 also wants
the message DKIM-signed: that is the outgoing mail server's job.

A recipient refused with a 5xx (or a 5xx after the data) is a hard failure: it counts towards
`email.bounce_threshold`, after which the address is disabled. 4xx refusals and connection
errors are retried with backoff; what still fails is left for the next run.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from sqlalchemy import Engine

from entrelignes.config import Config, EmailConfig
from entrelignes.editions.render import edition_title, render_email_html, render_email_text
from entrelignes.publish.subscriptions import unsubscribe_url
from entrelignes.publish.report import ChannelReport
from entrelignes.store import deliveries, session_scope
from entrelignes.store import subscribers as subscriber_queries

CHANNEL = "email"
_FATAL = (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


def email_enabled(config: Config) -> bool:
    return bool(config.email.smtp_host)


class HardFailure(Exception):
    """The server refused this recipient or message for good (5xx)."""


class Mailer:
    """One SMTP connection, opened on first use and reopened after a disconnection."""

    def __init__(self, config: EmailConfig, *, backoff: float = 1.0):
        self.config, self.backoff = config, backoff
        self._smtp: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file or None)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.smtp_host, c.smtp_port, timeout=c.timeout, context=self._context())
        else:
            smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.timeout)
            if c.security == "starttls":
                smtp.starttls(context=self._context())
            elif c.security != "none":
                raise ValueError(f"email.security: expected starttls, tls or none, got {c.security!r}")
        password = c.password or os.environ.get("ENTRELIGNES_SMTP_PASSWORD", "")
        if c.username:
            smtp.login(c.username, password)
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        """Send, retrying transient problems; HardFailure for a 5xx refusal."""
        attempts = max(1, self.config.retries)
        for attempt in range(1, attempts + 1):
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.send_message(message)
                return
            except smtplib.SMTPRecipientsRefused as error:
                code, reply = next(iter(error.recipients.values()))
                if code >= 500:
                    raise HardFailure(f"{code} {reply.decode(errors='replace')}") from None
                problem: Exception = error
            except smtplib.SMTPDataError as error:
                if error.smtp_code >= 500:
                    raise HardFailure(f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}") from None
                problem = error
            except (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused):
                raise  # our account or sender address is refused: no use retrying
            except OSError as error:  # the connection dropped, timed out or was refused; other SMTP errors
                problem = error
                self.close()
            if attempt < attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        raise problem


def _sender_domain(config: Config) -> str:
    return parseaddr(config.email.sender)[1].rpartition("@")[2] or "localhost"


def _message(config: Config, *, to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None, message_id: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.email.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain=_sender_domain(config))
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def edition_message(config: Config, edition: dict[str, Any], subscriber: Any) -> EmailMessage:
    """The edition as one subscriber receives it (their own unsubscribe link in it)."""
    link = unsubscribe_url(config, subscriber)
    web = f"{config.web.base_url.rstrip('/')}/editions/{edition['id']}"
    sender_address = parseaddr(config.email.sender)[1]
    headers = {
        "List-Unsubscribe": f"<{link}>" + (f", <mailto:{sender_address}?subject=unsubscribe>" if sender_address else ""),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{config.editions.title} <editions.{_sender_domain(config)}>",
        "Auto-Submitted": "auto-generated",
    }
    # the same Message-ID whenever this edition goes to this address: a resend after a crash
    # is recognisable (and often merged) by the receiving side
    key = hashlib.sha256(f"{edition['id']}\0{subscriber.email}".encode()).hexdigest()[:24]
    return _message(
        config,
        to=subscriber.email,
        subject=edition_title(edition),
        text=render_email_text(edition, unsubscribe_url=link, web_url=web),
        html=render_email_html(edition, unsubscribe_url=link, web_url=web),
        headers=headers,
        message_id=f"<{edition['id']}.{key}@{_sender_domain(config)}>",
    )


def send_confirmation(config: Config, address: str, link: str, slots: list[str]) -> None:
    if not email_enabled(config):
        raise RuntimeError("email is not configured (email.smtp_host is empty)")
    which = " and ".join({"morning": "morning", "evening": "evening"}[s] for s in slots)
    title = config.editions.title
    text = (
        f"Someone, hopefully you, asked to receive the {which} edition of {title} at this address.\n\n"
        f"To confirm, open this link:\n{link}\n\n"
        "If it was not you, ignore this message: nothing will be sent without confirmation.\n"
    )
    with Mailer(config.email) as mailer:
        mailer.send(_message(config, to=address, subject=f"Confirm your subscription to {title}", text=text, headers={"Auto-Submitted": "auto-generated"}))


def publish_email(engine: Engine, config: Config, edition: dict[str, Any], *, backoff: float = 1.0) -> ChannelReport:
    """Send the edition to every confirmed subscriber of its slot who has not received it yet."""
    report = ChannelReport(CHANNEL)
    with session_scope(engine) as session:
        recipients = subscriber_queries.active_for_slot(session, edition["slot"])
        done = {recipient for (_, recipient), row in deliveries.deliveries(session, edition["id"], CHANNEL).items() if row.status == "sent"}
    with Mailer(config.email, backoff=backoff) as mailer:
        for subscriber in recipients:
            if subscriber.email in done:
                report.already += 1
                continue
            message = edition_message(config, edition, subscriber)
            with session_scope(engine) as session:
                row_id = deliveries.start(session, edition["id"], CHANNEL, 0, subscriber.email).id
            try:
                mailer.send(message)
            except HardFailure as failure:
                with session_scope(engine) as session:
                    deliveries.fail(session, row_id, f"refused: {failure}")
                    subscriber_queries.record_failure(session, subscriber.email, config.email.bounce_threshold)
                report.refused += 1
                report.errors.append(f"{subscriber.email}: {failure}")
                continue
            except (smtplib.SMTPException, OSError) as error:
                with session_scope(engine) as session:
                    deliveries.fail(session, row_id, str(error) or type(error).__name__)
                report.failed += 1
                report.errors.append(f"{subscriber.email}: {error or type(error).__name__}")
                if isinstance(error, _FATAL) or not isinstance(error, smtplib.SMTPException):
                    break  # the server is away or refuses us: the rest waits for the next run
                continue
            with session_scope(engine) as session:
                deliveries.finish(session, row_id, external_id=message["Message-ID"])
                subscriber_queries.record_success(session, subscriber.email)
            report.sent += 1
    return report
