"""What alerting routes share: the sender (secret box, outbound policy, clock) of this app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from tripl_api.deps import State
from tripl_core.alerting import channel_settings
from tripl_core.alerting.deliveries import Sender
from tripl_core.alerting.sending import ChannelPolicy


def alert_sender(state: State) -> Sender:
    policy = channel_settings.channel_policy(ChannelPolicy.from_settings(state.settings), state.store.current())
    return Sender(box=state.secrets, policy=policy)


AlertSender = Annotated[Sender, Depends(alert_sender)]
