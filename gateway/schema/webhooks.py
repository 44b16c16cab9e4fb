"""Webhook subscriptions of the cases service: signed (Standard Webhooks) deliveries of alert,
case and risk-level events to an integrator's URL, with a delivery log, replay and secret
rotation (Admins)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import uuid_segment
from gateway.context import Info
from gateway.errors import ServiceError
from gateway.schema.common import (
    INPUT,
    Connection,
    Node,
    build_connection,
    decode_id,
    keyset_cursor,
    node_resolver,
    operation,
    page_size,
    parse_datetime,
    parse_optional_datetime,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.policies import Policy

MAX_PAGE = 200


@strawberry.enum(description="An event a webhook can subscribe to.")
class WebhookEventType(Enum):
    ALERT_RAISED = strawberry.enum_value("alert.raised", description="An alert was raised.")
    ALERT_UPDATED = strawberry.enum_value(
        "alert.updated", description="An open alert's score or severity changed.")
    ALERT_TRIAGED = strawberry.enum_value(
        "alert.triaged", description="An alert was confirmed or dismissed.")
    CASE_OPENED = strawberry.enum_value("case.opened", description="A case was opened.")
    CASE_CLOSED = strawberry.enum_value("case.closed", description="A case was closed.")
    RISK_LEVEL_CHANGED = strawberry.enum_value(
        "risk_level.changed", description="A person's risk level changed.")


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Not delivered yet; retried with "
                                                           "backoff (see `nextAttemptAt`).")
    SUCCEEDED = strawberry.enum_value("succeeded", description="The receiver answered 2xx.")
    FAILED = strawberry.enum_value("failed", description="Given up after the last retry.")


@strawberry.type(description="One attempt to deliver an event.")
class WebhookAttempt:
    attempted_at: datetime = strawberry.field(description="When it was made.")
    succeeded: bool = strawberry.field(description="Whether the receiver answered 2xx.")
    status_code: int | None = strawberry.field(
        description="The receiver's HTTP status; null when it could not be reached.")
    error: str | None = strawberry.field(description="Why it failed, if it did.")
    duration_ms: int = strawberry.field(description="How long it took.")


@strawberry.type(description="One event sent (or to be sent) to a webhook, with its attempts.")
class WebhookDelivery:
    raw_id: str = strawberry.field(description="The delivery's id; pass it as `deliveryId` "
                                               "to replayWebhook.")
    event_id: str = strawberry.field(description="The `webhook-id` header of every attempt "
                                                 "(receivers deduplicate on it).")
    event_type: WebhookEventType = strawberry.field(description="The event.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempt_count: int = strawberry.field(description="Attempts made so far.")
    replay: bool = strawberry.field(description="Whether it was sent again on request.")
    next_attempt_at: datetime | None = strawberry.field(description="While pending: when "
                                                                    "it is tried next.")
    last_status_code: int | None = strawberry.field(
        description="The last attempt's HTTP status.")
    last_error: str | None = strawberry.field(description="The last attempt's error.")
    delivered_at: datetime | None = strawberry.field(description="When it succeeded.")
    created_at: datetime = strawberry.field(description="When the event was queued.")
    attempts: list[WebhookAttempt] = strawberry.field(description="Every attempt, oldest "
                                                                  "first.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> WebhookDelivery:
        return cls(
            raw_id=str(data["id"]), event_id=str(data["event_id"]),
            event_type=WebhookEventType(data["event_type"]),
            status=WebhookDeliveryStatus(data["status"]), attempt_count=int(data["attempts"]),
            replay=bool(data["replay"]),
            next_attempt_at=parse_optional_datetime(data.get("next_attempt_at")),
            last_status_code=data.get("last_status_code"), last_error=data.get("last_error"),
            delivered_at=parse_optional_datetime(data.get("delivered_at")),
            created_at=parse_datetime(data["created_at"]),
            attempts=[WebhookAttempt(attempted_at=parse_datetime(a["attempted_at"]),
                                     succeeded=bool(a["succeeded"]),
                                     status_code=a.get("status_code"), error=a.get("error"),
                                     duration_ms=int(a["duration_ms"]))
                      for a in data.get("attempt_log") or []])


@strawberry.type(description="A webhook subscription: events of some types (optionally only "
                             "about some policies) POSTed to a URL, signed with its secret.")
class Webhook(Node):
    policy_keys: strawberry.Private[list[str] | None]
    url: str = strawberry.field(description="Where events are POSTed.")
    description: str | None = strawberry.field(description="What it is for.")
    event_types: list[WebhookEventType] = strawberry.field(description="The events sent.")
    enabled: bool = strawberry.field(description="Whether deliveries go out; false after "
                                                 "repeated failures (see enableWebhook).")
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    disabled_reason: str | None = strawberry.field(description="Why it was disabled.")
    consecutive_failures: int = strawberry.field(description="Failed attempts in a row.")
    disable_after_failures: int | None = strawberry.field(
        description="It is disabled after this many failed attempts in a row; null: the "
                    "server's setting.")
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until then deliveries carry a second signature made with the secret "
                    "before the last rotation.")
    created_by: str = strawberry.field(description="Who created it, e.g. user:<id>.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Webhook:
        ids = data.get("policy_ids")
        return cls(
            key=str(data["id"]), policy_keys=[str(p) for p in ids] if ids is not None else None,
            url=data["url"], description=data.get("description"),
            event_types=[WebhookEventType(t) for t in data["event_types"]],
            enabled=bool(data["enabled"]),
            disabled_at=parse_optional_datetime(data.get("disabled_at")),
            disabled_reason=data.get("disabled_reason"),
            consecutive_failures=int(data.get("consecutive_failures") or 0),
            disable_after_failures=data.get("disable_after_failures"),
            previous_secret_expires_at=parse_optional_datetime(
                data.get("previous_secret_expires_at")),
            created_by=data["created_by"], created_at=parse_datetime(data["created_at"]),
            updated_at=parse_datetime(data["updated_at"]))

    @strawberry.field(description="Global ids of the policies it is limited to; null: every "
                                  "policy.")
    def policy_ids(self) -> list[strawberry.ID] | None:
        return None if self.policy_keys is None else [to_global_id("Policy", p)
                                                      for p in self.policy_keys]

    @strawberry.field(description="The policies it is limited to (null: every policy); a "
                                  "policy deleted since is left out.",
                      metadata=operation("policies:get"))
    async def policies(self, info: Info) -> list[Policy] | None:
        if self.policy_keys is None:
            return None
        found = await asyncio.gather(*(info.context.loaders.policy.load(k)
                                       for k in self.policy_keys), return_exceptions=True)
        for item in found:
            if isinstance(item, BaseException) and not (
                    isinstance(item, ServiceError) and item.status == 404):
                raise item
        return [Policy.from_service(p) for p in found if isinstance(p, dict)]

    @strawberry.field(description="The delivery log, newest first.",
                      metadata=operation("webhooks:deliveries"))
    async def deliveries(
        self, info: Info,
        status: Annotated[WebhookDeliveryStatus | None, strawberry.argument(
            description="Only deliveries in this state.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[WebhookDelivery]:
        page = await info.context.services.call(
            "cases", "GET", f"/webhooks/{uuid_segment(self.key, 'id')}/deliveries",
            params={"status": status.value if status else None, "cursor": after,
                    "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"),
                                WebhookDelivery.from_service,
                                lambda d: keyset_cursor(d["created_at"], d["id"]), after=after)


async def _webhook(info: Info, key: str) -> Webhook:
    seg = uuid_segment(key, "id")
    return Webhook.from_service(await info.context.services.call("cases", "GET",
                                                                 f"/webhooks/{seg}"))


@node_resolver("Webhook")
async def webhook_node(info: Info, key: str) -> Webhook:
    return await _webhook(info, key)


def _seg(value: strawberry.ID) -> str:
    return uuid_segment(decode_id(value, "Webhook", "webhookId"), "webhookId")


def _policies(values: list[strawberry.ID]) -> list[str]:
    return [decode_id(v, "Policy", "policyIds") for v in values]


@strawberry.input(description="A new webhook subscription.")
class CreateWebhookInput:
    url: str = strawberry.field(description="Where events are POSTed (http or https; "
                                            "private addresses may be refused).")
    event_types: list[WebhookEventType] = strawberry.field(description="The events to send "
                                                                       "(at least one).")
    policy_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only events about these policies; omitted: every policy.")
    description: str | None = strawberry.field(default=None,
                                               description="What it is for (up to 500).")
    disable_after_failures: int | None = strawberry.field(
        default=None, description="Disable after this many failed attempts in a row (1 to "
                                  "10,000); omitted: the server's setting.")


@strawberry.type(description="The result of createWebhook: the subscription and its signing "
                             "secret, shown this once.")
class CreateWebhookPayload(Payload):
    webhook: Webhook | None = strawberry.field(default=None, description="The subscription.")
    secret: str | None = strawberry.field(
        default=None, description="`whsec_` + base64 of the signing key: store it now, it "
                                  "is never shown again.")


@strawberry.input(description="Change a webhook; fields left out stay as they are (give at "
                              "least one).")
class UpdateWebhookInput:
    webhook_id: strawberry.ID = strawberry.field(description="The webhook.")
    url: str | None = strawberry.field(default=strawberry.UNSET, description="A new URL.")
    event_types: list[WebhookEventType] | None = strawberry.field(
        default=strawberry.UNSET, description="The new events (at least one).")
    policy_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the policy filter; an empty list "
                                              "removes it (every policy).")
    description: str | None = strawberry.field(default=strawberry.UNSET,
                                               description="A new description.")
    disable_after_failures: int | None = strawberry.field(
        default=strawberry.UNSET, description="A new failure limit; null: the server's "
                                              "setting.")


@strawberry.type(description="The result of updateWebhook.")
class UpdateWebhookPayload(Payload):
    webhook: Webhook | None = strawberry.field(default=None,
                                               description="The subscription as it now is.")


@strawberry.input(description="Which webhook.")
class WebhookIdInput:
    webhook_id: strawberry.ID = strawberry.field(description="The webhook.")


@strawberry.type(description="The result of deleteWebhook.")
class DeleteWebhookPayload(Payload):
    deleted_webhook_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the subscription deleted.")


@strawberry.type(description="The result of enableWebhook.")
class EnableWebhookPayload(Payload):
    webhook: Webhook | None = strawberry.field(default=None,
                                               description="The subscription, enabled.")


@strawberry.type(description="The result of rotateWebhookSecret: the new secret, shown once.")
class RotateWebhookSecretPayload(Payload):
    webhook: Webhook | None = strawberry.field(default=None, description="The subscription.")
    secret: str | None = strawberry.field(
        default=None, description="The new signing secret; for 24 hours deliveries also "
                                  "carry a signature made with the previous one.")


@strawberry.input(description="Send one delivery again, or every matching event since a "
                              "time (give exactly one).")
class ReplayWebhookInput:
    webhook_id: strawberry.ID = strawberry.field(description="The webhook.")
    delivery_id: str | None = strawberry.field(
        default=None, description="A delivery's `rawId` to send again.")
    since: datetime | None = strawberry.field(
        default=None, description="Send again every event since then (with a time zone) "
                                  "that the filters match, up to 10,000.")


@strawberry.type(description="The result of replayWebhook.")
class ReplayWebhookPayload(Payload):
    deliveries: int | None = strawberry.field(default=None,
                                              description="New deliveries queued.")


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Webhook subscriptions, newest first (Admins).",
                      metadata=operation("webhooks:list"))
    async def webhooks(
        self, info: Info,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[Webhook]:
        page = await info.context.services.call(
            "cases", "GET", "/webhooks",
            params={"cursor": after, "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"), Webhook.from_service,
                                lambda w: keyset_cursor(w["created_at"], w["id"]), after=after)

    @strawberry.field(description="A webhook subscription (Admins).",
                      metadata=operation("webhooks:get"))
    async def webhook(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The webhook's id.")],
    ) -> Webhook:
        return await _webhook(info, decode_id(id, "Webhook", "id"))


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Subscribe a URL to events (Admins; audited). The payload "
                                     "carries the signing secret, this once.",
                         metadata=operation("webhooks:create"))
    async def create_webhook(
        self, info: Info, input: Annotated[CreateWebhookInput, INPUT],
    ) -> CreateWebhookPayload:
        async def work() -> CreateWebhookPayload:
            body: dict[str, Any] = {"url": input.url,
                                    "event_types": [t.value for t in input.event_types]}
            if input.policy_ids is not None:
                body["policy_ids"] = _policies(input.policy_ids)
            if input.description is not None:
                body["description"] = input.description
            if input.disable_after_failures is not None:
                body["disable_after_failures"] = input.disable_after_failures
            data = await info.context.services.call("cases", "POST", "/webhooks", json=body)
            return CreateWebhookPayload(webhook=Webhook.from_service(data),
                                        secret=data["secret"])

        return await attempt(CreateWebhookPayload, work)

    @strawberry.mutation(description="Change a webhook's URL, events, policy filter, "
                                     "description or failure limit (Admins; audited).",
                         metadata=operation("webhooks:update"))
    async def update_webhook(
        self, info: Info, input: Annotated[UpdateWebhookInput, INPUT],
    ) -> UpdateWebhookPayload:
        async def work() -> UpdateWebhookPayload:
            seg = _seg(input.webhook_id)
            body: dict[str, Any] = {}
            if input.url is not strawberry.UNSET:
                body["url"] = input.url
            if input.event_types is not strawberry.UNSET:
                body["event_types"] = (None if input.event_types is None
                                       else [t.value for t in input.event_types])
            if input.policy_ids is not strawberry.UNSET:
                body["policy_ids"] = _policies(input.policy_ids or [])
            if input.description is not strawberry.UNSET:
                body["description"] = input.description
            if input.disable_after_failures is not strawberry.UNSET:
                body["disable_after_failures"] = input.disable_after_failures
            data = await info.context.services.call("cases", "PATCH", f"/webhooks/{seg}",
                                                    json=body)
            return UpdateWebhookPayload(webhook=Webhook.from_service(data))

        return await attempt(UpdateWebhookPayload, work)

    @strawberry.mutation(description="Delete a webhook subscription and its delivery log "
                                     "(Admins; audited).",
                         metadata=operation("webhooks:delete"))
    async def delete_webhook(
        self, info: Info, input: Annotated[WebhookIdInput, INPUT],
    ) -> DeleteWebhookPayload:
        async def work() -> DeleteWebhookPayload:
            seg = _seg(input.webhook_id)
            await info.context.services.call("cases", "DELETE", f"/webhooks/{seg}")
            return DeleteWebhookPayload(deleted_webhook_id=to_global_id("Webhook", seg))

        return await attempt(DeleteWebhookPayload, work)

    @strawberry.mutation(description="Re-enable a webhook disabled after repeated failures; "
                                     "its pending deliveries go out at once (Admins; "
                                     "audited).",
                         metadata=operation("webhooks:enable"))
    async def enable_webhook(
        self, info: Info, input: Annotated[WebhookIdInput, INPUT],
    ) -> EnableWebhookPayload:
        async def work() -> EnableWebhookPayload:
            data = await info.context.services.call(
                "cases", "POST", f"/webhooks/{_seg(input.webhook_id)}/enable")
            return EnableWebhookPayload(webhook=Webhook.from_service(data))

        return await attempt(EnableWebhookPayload, work)

    @strawberry.mutation(description="Give a webhook a new signing secret, shown once "
                                     "(Admins; audited).",
                         metadata=operation("webhooks:rotate_secret"))
    async def rotate_webhook_secret(
        self, info: Info, input: Annotated[WebhookIdInput, INPUT],
    ) -> RotateWebhookSecretPayload:
        async def work() -> RotateWebhookSecretPayload:
            data = await info.context.services.call(
                "cases", "POST", f"/webhooks/{_seg(input.webhook_id)}/rotate-secret")
            return RotateWebhookSecretPayload(webhook=Webhook.from_service(data),
                                              secret=data["secret"])

        return await attempt(RotateWebhookSecretPayload, work)

    @strawberry.mutation(description="Send one delivery again, or every matching event since "
                                     "a time (Admins; audited).",
                         metadata=operation("webhooks:replay"))
    async def replay_webhook(
        self, info: Info, input: Annotated[ReplayWebhookInput, INPUT],
    ) -> ReplayWebhookPayload:
        async def work() -> ReplayWebhookPayload:
            seg = _seg(input.webhook_id)
            body: dict[str, Any] = {}
            if input.delivery_id is not None:
                body["delivery_id"] = uuid_segment(input.delivery_id, "deliveryId")
            if input.since is not None:
                body["since"] = input.since.isoformat()
            data = await info.context.services.call("cases", "POST",
                                                    f"/webhooks/{seg}/replay", json=body)
            return ReplayWebhookPayload(deliveries=int(data["deliveries"]))

        return await attempt(ReplayWebhookPayload, work)
