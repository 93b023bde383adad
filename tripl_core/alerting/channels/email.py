"""Email over SMTP (the service settings' email section: TRIPL_SMTP_* or saved overrides): plain text to
≤50 recipients, the destination's from address and subject template. The Message-ID is derived from the
delivery."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from tripl_core.alerting.channels.base import Rendered, SendContext
from tripl_core.alerting.destinations import recipients
from tripl_core.alerting.sending import DeliveryFailed


def build(rendered: Rendered, settings: dict[str, Any]) -> dict[str, Any]:
    return {"from": settings["email_from_address"], "to": recipients(settings["email_recipients"]),
            "subject": rendered.subject, "text": rendered.text}


def send(payload: dict[str, Any], context: SendContext) -> int:
    smtp = context.policy.smtp
    message = EmailMessage()
    message["From"] = payload["from"]
    message["To"] = ", ".join(payload["to"])
    message["Subject"] = payload["subject"]
    message["Message-ID"] = f"<{context.idempotency_key}@tripl>"
    message.set_content(payload["text"])
    try:
        connect = smtplib.SMTP_SSL if smtp.implicit_tls else smtplib.SMTP
        with connect(smtp.host, smtp.port, timeout=context.policy.timeout_seconds) as client:
            if smtp.starttls and not smtp.implicit_tls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"SMTP refused the recipients: {sorted(exc.recipients)}", transient=False) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"SMTP answered {exc.smtp_code}: {exc.smtp_error!r}",
                             transient=400 <= exc.smtp_code < 500) from exc
    except (smtplib.SMTPException, OSError) as exc:  # timeouts are OSErrors
        raise DeliveryFailed(f"SMTP {smtp.host}:{smtp.port} failed: {type(exc).__name__}: {exc}") from exc
    return 1
