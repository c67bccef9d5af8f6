"""The email channel and subscriptions against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import re
import subprocess
import ssl
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from publish_support import HOSTILE, Mailbox, add_edition, edition_data, free_port, replace, story

from entrelignes.publish import publish_edition
from entrelignes.publish.subscriptions import (
    SubscriptionError,
    confirm,
    record_bounce,
    subscribe,
    unsubscribe,
)
from entrelignes.store import session_scope
from entrelignes.store.deliveries import deliveries
from entrelignes.store.schema import Delivery
from entrelignes.store.subscribers import get_by_email

FAST = {"email_options": {"backoff": 0.01}}


def _email_only(config):
    return replace(config, telegram={"token": ""})


def _subscribe_and_confirm(engine, config, smtp_server, address: str, slots="both") -> None:
    with session_scope(engine) as session:
        subscribe(session, config, address, slots)
    link = _link(smtp_server.to(address)[-1].get_content())
    with session_scope(engine) as session:
        assert confirm(session, config, _token(link)) is not None


def _link(text: str) -> str:
    return re.search(r"https://desk\.example/\S+", text).group(0)



def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_double_opt_in_then_the_edition_arrives_with_both_parts_and_one_click_unsubscribe(config, engine, smtp_server):
    config = _email_only(config)
    with session_scope(engine) as session:
        result = subscribe(session, config, "Reader@Example.ORG", "morning")
        assert result.email == "Reader@example.org" and result.slots == ["morning"]
        assert get_by_email(session, "Reader@example.org").status == "pending"
    (confirmation,) = smtp_server.to("Reader@example.org")
    assert confirmation["Subject"].startswith("Confirm your subscription")
    link = _link(confirmation.get_content())
    assert link.startswith("https://desk.example/subscribe/confirm?token=")

    edition_id = add_edition(engine, edition_data(stories=[story(1, HOSTILE), story(2)]))
    publish_edition(engine, config, edition_id, **FAST)
    assert len(smtp_server.to("Reader@example.org")) == 1, "nothing is sent before confirmation"

    with session_scope(engine) as session:
        subscriber = confirm(session, config, _token(link))
        assert subscriber.status == "active" and subscriber.slots == ["morning"]
    report = publish_edition(engine, config, edition_id, **FAST)
    assert report.complete and report.channels[0].sent == 1
    message = smtp_server.to("Reader@example.org")[-1]
    assert message["Subject"] == "entrelignes — Morning edition, 2026-03-12"
    assert message["From"] == "Desk <editions@desk.example>" and message["To"] == "Reader@example.org"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"1. {HOSTILE}" in text  # plain text shows it as it is
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;q&#34;" in html
    assert "https://gazette.example/2?a=1&amp;b=2" in html and "https://gazette.example/2?a=1&b=2" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_link, mailto = [part.strip(" <>") for part in message["List-Unsubscribe"].split(",")]
    assert https_link.startswith("https://desk.example/unsubscribe?token=") and mailto == "mailto:editions@desk.example?subject=unsubscribe"
    assert https_link in text and https_link.replace("&", "&amp;") in html
    assert re.fullmatch(r"<2026-03-12-morning\.[0-9a-f]{24}@desk\.example>", message["Message-ID"])

    with session_scope(engine) as session:  # the one-click POST of the web app calls this
        assert unsubscribe(session, config, _token(https_link))
        assert get_by_email(session, "Reader@example.org").status == "unsubscribed"
    evening = add_edition(engine, edition_data("2026-03-12-evening"))
    publish_edition(engine, config, evening, **FAST)
    assert len(smtp_server.to("Reader@example.org")) == 2


def test_slots_choose_which_editions_arrive_and_nothing_is_sent_twice(config, engine, smtp_server):
    config = _email_only(config)
    for address, slots in (("m@example.org", "morning"), ("e@example.org", "evening"), ("b@example.org", ["morning", "evening"])):
        _subscribe_and_confirm(engine, config, smtp_server, address, slots)
    morning = add_edition(engine, edition_data("2026-03-12-morning"))
    evening = add_edition(engine, edition_data("2026-03-12-evening"))
    for edition_id in (morning, evening, morning, evening):
        publish_edition(engine, config, edition_id, **FAST)
    subjects = {a: [m["Subject"].split("— ")[1] for m in smtp_server.to(a)[1:]] for a in ("m@example.org", "e@example.org", "b@example.org")}
    assert subjects == {
        "m@example.org": ["Morning edition, 2026-03-12"],
        "e@example.org": ["Evening edition, 2026-03-12"],
        "b@example.org": ["Morning edition, 2026-03-12", "Evening edition, 2026-03-12"],
    }


def test_tokens_are_signed_and_reveal_nothing(config, engine, smtp_server):
    config = _email_only(config)
    with session_scope(engine) as session:
        first = subscribe(session, config, "x@example.org", "evening", send=False)
        again = subscribe(session, config, "x@example.org", "evening", send=False)
        assert type(first) is type(again) and first.email == again.email  # same answer, known or not
        assert "x@example.org" not in first.token
        assert confirm(session, config, first.token[:-2] + "xx") is None
        assert unsubscribe(session, config, "forged") is False
        assert not unsubscribe(session, config, first.token), "a confirmation token is not an unsubscribe token"
        other = replace(config, web={"secret_key": "another-key"})
        assert confirm(session, other, first.token) is None
        for bad in ("not an address", "a@b", "x@example.org\r\nBcc: victim@example.org"):
            with pytest.raises(SubscriptionError):
                subscribe(session, config, bad, "morning", send=False)
        with pytest.raises(SubscriptionError):
            subscribe(session, config, "y@example.org", "noon", send=False)


def test_a_generated_secret_key_is_kept_in_the_data_directory(config, tmp_path):
    from pathlib import Path

    from entrelignes.publish.subscriptions import secret_key

    keyless = replace(config, web={"secret_key": ""})
    key = secret_key(keyless)
    path = Path(keyless.data_path) / "secret_key"
    assert len(key) > 40 and path.read_text() == key and path.stat().st_mode & 0o777 == 0o600
    assert secret_key(keyless) == key


def test_hard_refusals_disable_an_address_after_the_threshold(config, engine, smtp_server):
    config = replace(_email_only(config), email={"bounce_threshold": 3})
    _subscribe_and_confirm(engine, config, smtp_server, "gone@example.org", "morning")
    _subscribe_and_confirm(engine, config, smtp_server, "fine@example.org", "morning")
    smtp_server.refuse["gone@example.org"] = "550 5.1.1 <gone@example.org>: mailbox unavailable"
    for day in range(10, 14):
        report = publish_edition(engine, config, add_edition(engine, edition_data(f"2026-03-{day}-morning")), **FAST)
        assert report.complete, "a refused address does not hold the edition back"
    with session_scope(engine) as session:
        gone = get_by_email(session, "gone@example.org")
        assert gone.status == "disabled" and gone.failures == 3
        assert [r.status for r in deliveries(session, "2026-03-10-morning", "email").values() if r.recipient == "gone@example.org"] == ["failed"]
        assert "550" in next(r.error for r in deliveries(session, "2026-03-10-morning", "email").values() if r.recipient == "gone@example.org")
        assert "2026-03-13-morning" not in {r.edition_id for r in session.query(Delivery).filter_by(recipient="gone@example.org")}
    assert len(smtp_server.to("fine@example.org")) == 1 + 4


def test_reported_bounces_count_and_a_delivery_resets_the_count(config, engine, smtp_server):
    config = replace(_email_only(config), email={"bounce_threshold": 2})
    _subscribe_and_confirm(engine, config, smtp_server, "flaky@example.org", "morning")
    with session_scope(engine) as session:
        record_bounce(session, config, "flaky@example.org")
        record_bounce(session, config, "unknown@example.org")  # unknown addresses are ignored
    publish_edition(engine, config, add_edition(engine, edition_data()), **FAST)
    with session_scope(engine) as session:
        assert get_by_email(session, "flaky@example.org").failures == 0  # consecutive failures only
        record_bounce(session, config, "flaky@example.org")
        record_bounce(session, config, "flaky@example.org")
        assert get_by_email(session, "flaky@example.org").status == "disabled"
    _subscribe_and_confirm(engine, config, smtp_server, "flaky@example.org", "morning")  # the mailbox works again
    with session_scope(engine) as session:
        assert get_by_email(session, "flaky@example.org").status == "active"


def test_a_temporary_refusal_is_retried(config, engine, smtp_server):
    config = _email_only(config)
    _subscribe_and_confirm(engine, config, smtp_server, "grey@example.org", "morning")
    smtp_server.refuse_once["grey@example.org"] = "451 4.7.1 greylisted, try again later"
    report = publish_edition(engine, config, add_edition(engine, edition_data()), **FAST)
    assert report.complete and report.channels[0].sent == 1
    with session_scope(engine) as session:
        (row,) = deliveries(session, "2026-03-12-morning", "email").values()
        assert row.status == "sent" and row.attempts == 1 and get_by_email(session, "grey@example.org").failures == 0


def test_an_unreachable_server_leaves_the_edition_to_finish_later(config, engine, smtp_server):
    config = _email_only(config)
    _subscribe_and_confirm(engine, config, smtp_server, "later@example.org", "morning")
    edition_id = add_edition(engine, edition_data())
    down = replace(config, email={"smtp_port": free_port()})
    report = publish_edition(engine, down, edition_id, **FAST)
    assert not report.complete and report.channels[0].failed == 1
    report = publish_edition(engine, config, edition_id, **FAST)
    assert report.complete and len(smtp_server.to("later@example.org")) == 2


@pytest.fixture
def tls_smtp(tmp_path):
    """An SMTP server with STARTTLS (a certificate from a throwaway CA) and required login."""
    ca_key, ca, key, csr, cert = (tmp_path / n for n in ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    ext = tmp_path / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"desk" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    mailbox = Mailbox()
    mailbox.port = free_port()
    mailbox.ca = ca
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, tls_context=context, require_starttls=True, authenticator=authenticate, auth_require_tls=True)
    controller.start()
    yield mailbox
    controller.stop()


def test_starttls_and_login(config, engine, tls_smtp, monkeypatch):
    config = replace(_email_only(config), email={"smtp_port": tls_smtp.port, "security": "starttls", "username": "desk", "ca_file": str(tls_smtp.ca)})
    monkeypatch.setenv("ENTRELIGNES_SMTP_PASSWORD", "s3cret")
    _subscribe_and_confirm(engine, config, tls_smtp, "tls@example.org", "morning")
    report = publish_edition(engine, config, add_edition(engine, edition_data()), **FAST)
    assert report.complete and len(tls_smtp.to("tls@example.org")) == 2
