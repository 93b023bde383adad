"""Request and response shapes of the event-photos operations (field names as in the reference)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from tripl_core.schemas import RequestModel, ResponseModel


class EventPhotoOut(ResponseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    project_id: uuid.UUID
    kind: str = Field(description="`photo` (an uploaded image) or `figma` (a link)")
    original_filename: str = Field(description="The client's file name or the Figma title: a label only")
    content_type: str
    size_bytes: int
    storage_backend: str | None = Field(description="`local` or `s3`; null for Figma links")
    sort_order: int
    url: str | None = Field(description="Where to fetch the image: Download Event Photo (local), a presigned "
                                        "link with a TTL (s3), or the Figma link")
    external_url: str | None = Field(description="The Figma link")
    uploaded_by_user_id: uuid.UUID | None
    created_at: datetime


class PhotoReorder(RequestModel):

    photo_ids: list[uuid.UUID] = Field(max_length=1000, description="Every photo of the event, in the new order")


class FigmaSpecIn(RequestModel):

    url: str = Field(min_length=1, max_length=2000,
                     description="https://(www.)figma.com/(file|design|proto|board)/…; never fetched")
    title: str = Field(default="", max_length=500)


class PhotoCommentIn(RequestModel):

    body: str = Field(min_length=1, max_length=4000)
    parent_id: uuid.UUID | None = Field(default=None, description="A top-level comment of the same photo")


class PhotoCommentOut(ResponseModel):
    id: uuid.UUID
    photo_id: uuid.UUID
    parent_id: uuid.UUID | None
    user_id: uuid.UUID | None
    body: str
    created_at: datetime
    updated_at: datetime
