"""Plans for the search benchmark: the demo plan (tripl_core.demo, written through the plan services) and
a generated plan of N events — objects × actions of a product's domains, with descriptions, fields, enum
options and values — written row by row into a main branch."""

from __future__ import annotations

import random
import uuid

from sqlalchemy.orm import Session

from tripl_core.access.models import User, UserRole
from tripl_core.access.principal import Principal
from tripl_core.demo.plan_writer import write_demo_plan
from tripl_core.plan import branch_scope, projects
from tripl_core.plan.models import Event, EventFieldValue, EventTag, EventType, FieldDefinition, MetaField, Variable
from tripl_core.plan.schemas import ProjectCreate

DOMAINS: dict[str, tuple[str, list[str], list[tuple[str, str, list[str]]]]] = {
    # type name: (description, objects, fields (name, type, enum options))
    "billing": ("Invoices, payments and subscriptions",
                ["invoice", "subscription", "payment_method", "coupon", "refund", "receipt", "plan_upgrade",
                 "trial", "tax_form", "credit_note"],
                [("amount", "number", []), ("currency", "enum", ["USD", "EUR", "GBP", "JPY"]),
                 ("billing_cycle", "enum", ["monthly", "yearly"]), ("coupon_code", "string", [])]),
    "media": ("Playback of videos, songs and podcasts",
              ["video", "song", "podcast_episode", "playlist", "live_stream", "trailer", "audiobook", "clip",
               "album", "radio_station"],
              [("media_id", "string", []), ("duration_seconds", "number", []),
               ("quality", "enum", ["sd", "hd", "uhd"]), ("autoplay", "boolean", [])]),
    "social": ("Sharing, following and messaging",
               ["comment", "post", "friend_request", "direct_message", "story", "reaction", "group", "follower",
                "mention", "invite"],
               [("target_user_id", "string", []), ("channel", "enum", ["feed", "chat", "email", "sms"]),
                ("is_public", "boolean", [])]),
    "commerce": ("Browsing and buying products",
                 ["product", "cart_item", "wishlist_item", "order", "gift_card", "product_review", "bundle",
                  "shipping_address", "return_label", "price_alert"],
                 [("sku", "string", []), ("price", "number", []), ("quantity", "number", []),
                  ("delivery_speed", "enum", ["standard", "express", "same_day"])]),
    "account": ("Sign-in, profile and security",
                ["password", "profile_photo", "email_address", "two_factor_code", "session", "api_token",
                 "privacy_setting", "notification_preference", "linked_account", "recovery_code"],
                [("auth_provider", "enum", ["password", "google", "apple", "sso"]), ("success", "boolean", []),
                 ("failure_reason", "string", [])]),
    "learning": ("Courses, lessons and quizzes",
                 ["course", "lesson", "quiz", "certificate", "flashcard", "assignment", "study_plan", "exam",
                  "lecture_note", "badge"],
                 [("course_id", "string", []), ("score", "number", []),
                  ("difficulty", "enum", ["beginner", "intermediate", "advanced"])]),
    "travel": ("Searching and booking trips",
               ["flight", "hotel_room", "rental_car", "itinerary", "boarding_pass", "seat", "travel_insurance",
                "visa_application", "loyalty_points", "airport_transfer"],
               [("destination", "string", []), ("nights", "number", []),
                ("cabin_class", "enum", ["economy", "premium", "business", "first"])]),
    "support": ("Help center and customer support",
                ["ticket", "chat_session", "help_article", "feedback_form", "bug_report", "callback_request",
                 "satisfaction_survey", "faq_entry", "escalation", "attachment"],
                [("ticket_priority", "enum", ["low", "normal", "high", "urgent"]), ("agent_id", "string", [])]),
    "workspace": ("Documents, projects and collaboration",
                  ["document", "folder", "board", "task", "calendar_event", "workspace_member", "template",
                   "file_upload", "dashboard", "integration"],
                  [("workspace_id", "string", []), ("role", "enum", ["viewer", "editor", "admin"]),
                   ("item_count", "number", [])]),
    "games": ("Levels, matches and in-game purchases",
              ["level", "match", "achievement", "leaderboard", "in_game_item", "character", "tournament",
               "daily_reward", "loot_box", "season_pass"],
              [("level_number", "number", []), ("mode", "enum", ["solo", "duo", "squad"]),
               ("coins_spent", "number", [])]),
}
ACTIONS = [("viewed", "looked at"), ("created", "made a new"), ("updated", "changed"), ("deleted", "removed"),
           ("shared", "shared"), ("opened", "opened"), ("closed", "closed"), ("saved", "saved"),
           ("exported", "exported"), ("imported", "imported"), ("renamed", "renamed"), ("archived", "archived"),
           ("restored", "restored"), ("downloaded", "downloaded"), ("uploaded", "uploaded"),
           ("searched", "searched for"), ("selected", "picked"), ("submitted", "submitted"),
           ("approved", "approved"), ("rejected", "declined"), ("requested", "asked for"),
           ("confirmed", "confirmed"), ("cancelled", "called off"), ("failed", "could not complete"),
           ("completed", "finished"), ("started", "began"), ("paused", "paused"), ("resumed", "continued"),
           ("expired", "let lapse"), ("renewed", "renewed"), ("liked", "liked"), ("reported", "flagged"),
           ("copied", "duplicated"), ("moved", "moved"), ("printed", "printed"), ("scheduled", "planned"),
           ("reminded", "got a reminder about"), ("previewed", "previewed"), ("rated", "rated"),
           ("synced", "synchronised"), ("pinned", "pinned"), ("unpinned", "unpinned"), ("tagged", "labelled"),
           ("verified", "verified"), ("blocked", "blocked"), ("unlocked", "unlocked"), ("claimed", "claimed"),
           ("redeemed", "redeemed"), ("compared", "compared"), ("recommended", "was recommended")]


def _owner(session: Session) -> Principal:
    user = User(email=f"bench-{uuid.uuid4().hex[:8]}@example.com", name="Bench", password_hash="x",
                role=UserRole.owner.value)
    session.add(user)
    session.flush()
    return Principal(user=user)


def write_demo(session: Session, slug: str = "demo") -> uuid.UUID:
    """The demo plan in a new project; returns its main branch id."""
    principal = _owner(session)
    project = projects.create(session, principal, ProjectCreate(name="Demo", slug=slug))
    scope = branch_scope.resolve(session, project, None, write=True)
    write_demo_plan(session, principal, scope)
    return scope.branch_id


def write_generated(session: Session, events: int, slug: str = "big", seed: int = 7) -> uuid.UUID:
    """A plan of `events` events (objects × actions, then numbered variants); returns its main branch id."""
    rng = random.Random(seed)
    principal = _owner(session)
    project = projects.create(session, principal, ProjectCreate(name="Generated", slug=slug))
    branch_id = branch_scope.resolve(session, project, None, write=True).branch_id
    session.add_all([MetaField(project_id=project.id, branch_id=branch_id, name="owner_team", display_name="Owner team",
                               field_type="enum", enum_options=list(DOMAINS)),
                     Variable(project_id=project.id, branch_id=branch_id, name="user_id", source_name="user_id",
                              description="Pseudonymous user id")])
    pairs = [(domain, obj, verb, phrase) for domain, (_, objects, _) in DOMAINS.items() for obj in objects
             for verb, phrase in ACTIONS]
    types: dict[str, EventType] = {}
    fields: dict[str, list[FieldDefinition]] = {}
    for order, (domain, (description, _, _specs)) in enumerate(DOMAINS.items()):
        types[domain] = EventType(project_id=project.id, branch_id=branch_id, name=domain,
                                  display_name=domain.title(), description=description, order=order)
        session.add(types[domain])
    session.flush()
    for domain, (_, _, specs) in DOMAINS.items():
        fields[domain] = [FieldDefinition(branch_id=branch_id, event_type_id=types[domain].id, name=name,
                                          display_name=name.replace("_", " ").title(), field_type=kind,
                                          enum_options=options or None, order=i,
                                          description=f"{name.replace('_', ' ').capitalize()} of the {domain} event")
                          for i, (name, kind, options) in enumerate(specs)]
        session.add_all(fields[domain])
    session.flush()
    rows: list[object] = []
    for n in range(events):
        domain, obj, verb, phrase = pairs[n % len(pairs)]
        round_ = n // len(pairs)
        name = f"{obj}_{verb}" + (f"_v{round_ + 1}" if round_ else "")
        event = Event(id=uuid.uuid4(), project_id=project.id, branch_id=branch_id, event_type_id=types[domain].id,
                      name=name, order=n, status="live",
                      description=f"The user {phrase} the {obj.replace('_', ' ')}.")
        rows.append(event)
        rows.append(EventTag(branch_id=branch_id, event_id=event.id, tag=domain))
        for f in fields[domain]:
            if f.enum_options and rng.random() < 0.5:
                rows.append(EventFieldValue(branch_id=branch_id, event_id=event.id, field_id=f.id,
                                            value=rng.choice(f.enum_options)))
    session.add_all(rows)
    session.flush()
    return branch_id
