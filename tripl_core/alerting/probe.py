"""Test Alert Destination: one sample message through the channel, answered as {ok, error, sent_at}."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tripl_core.alerting import destinations, templates
from tripl_core.alerting.channels import CHANNELS, Rendered, SendContext
from tripl_core.alerting.deliveries import Sender
from tripl_core.alerting.models import AlertDestination, DestinationType, MessageFormat
from tripl_core.alerting.schemas import DestinationTestOut
from tripl_core.alerting.sending import DeliveryFailed

TEST_RULE = "test message"


@dataclass(frozen=True)
class Probe:
    """What a test send needs, read inside the request's transaction and used after it ended."""

    destination_type: DestinationType
    context: SendContext
    rendered: Rendered


def prepare(destination: AlertDestination, project_name: str, sender: Sender) -> Probe:
    message_format = (MessageFormat.slack_mrkdwn if destination.type == DestinationType.slack.value
                      else MessageFormat.plain)
    values = {"project_name": project_name, "rule_name": TEST_RULE, "scan_name": "", "matched_count": "0"}
    text = f"tripl test message for destination '{destination.name}' of project '{project_name}'."
    rendered = Rendered(project=project_name, destination=destination.name, rule=TEST_RULE, scan=None,
                        matched_count=0, text=text,
                        subject=templates.render_subject(destination.settings.get("email_subject_template"), values),
                        message_format=message_format)
    context = SendContext(settings=dict(destination.settings), secrets=destinations.secrets_of(destination, sender.box),
                          policy=sender.policy, idempotency_key=f"test-{uuid.uuid4()}")
    return Probe(DestinationType(destination.type), context, rendered)


def send(probe: Probe, now: datetime) -> DestinationTestOut:
    channel = CHANNELS[probe.destination_type]
    try:
        channel.send(channel.build(probe.rendered, probe.context.settings), probe.context)
    except DeliveryFailed as failure:
        return DestinationTestOut(ok=False, error=failure.message[:500], sent_at=None)
    return DestinationTestOut(ok=True, error=None, sent_at=now)
