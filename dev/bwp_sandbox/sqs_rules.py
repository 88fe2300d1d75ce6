"""Two rules of SQS as it documents them, where moto differs.

Visibility: a message's visibility timeout may total at most 12 hours from the
ReceiveMessage that put it in flight; a ChangeMessageVisibility whose new timeout, counted
from now, would end after that receive + 12 hours is refused (InvalidParameterValue). moto
5.2 counts the 12 hours from when the message was *sent*: it refuses extensions SQS allows
(a message that waited on the queue before it was received) and so hides which time the
limit is counted from.

Characters: a message body and a String message attribute may hold only XML 1.0's characters
(#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF); SQS refuses the call
otherwise. moto 5.2 takes any character. The sandbox refuses them: a body with
InvalidMessageContents (the error SendMessage documents), a String attribute with
InvalidParameterValue. A batch holding such an entry is refused before any entry is sent
(the project sends no batch of outside text).
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import unix_time_millis
from moto.sqs.exceptions import InvalidParameterValue, SQSException
from moto.sqs.models import Message, SQSBackend

#: SQS's longest total visibility, counted from the receive that put a message in flight.
MAX_VISIBILITY_MILLIS = 43_200 * 1000
_ALLOWED = "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
#: Where the patch keeps a message's latest receive (epoch milliseconds).
_RECEIVED_AT = "_bwp_received_at"


class InvalidMessageContents(SQSException):
    """What SendMessage answers a body holding a character outside the allowed set."""

    def __init__(self, message: str) -> None:
        super().__init__("InvalidMessageContents", message)


def invalid_character(text: str) -> str | None:
    """The first character of ``text`` SQS refuses, as ``#x1B``; None if there is none."""
    for char in text:
        code = ord(char)
        if not (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        ):
            return f"#x{code:X}"
    return None


def received_at(message: Message) -> int | None:
    """When ``message`` was last received (epoch milliseconds); None if it never was."""
    value = getattr(message, _RECEIVED_AT, None)
    return int(value) if value is not None else None


def _check_contents(body: str, attributes: dict[str, Any] | None) -> None:
    bad = invalid_character(body)
    if bad is not None:
        raise InvalidMessageContents(
            f"Invalid binary character '{bad}' was found in the message body, the set of "
            f"allowed characters is {_ALLOWED}"
        )
    for name, value in (attributes or {}).items():
        text = value.get("StringValue") if isinstance(value, dict) else None
        bad = invalid_character(text) if isinstance(text, str) else None
        if bad is not None:
            raise InvalidParameterValue(
                f"Invalid characters found. Message attribute '{name}' holds the invalid "
                f"binary character '{bad}', the set of allowed characters is {_ALLOWED}"
            )


def install() -> None:
    """Patch the in-process moto (idempotent)."""
    if getattr(SQSBackend, "_bwp_sqs_rules", False):
        return
    original_mark_received = Message.mark_received
    original_change = SQSBackend.change_message_visibility
    original_send = SQSBackend.send_message
    original_send_batch = SQSBackend.send_message_batch

    def mark_received(self: Message, visibility_timeout: int | None = None) -> None:
        original_mark_received(self, visibility_timeout)
        setattr(self, _RECEIVED_AT, unix_time_millis())

    def change_message_visibility(
        self: SQSBackend, queue_name: str, receipt_handle: str, visibility_timeout: int
    ) -> None:
        queue = self.get_queue(queue_name)
        for message in queue._messages:
            if message.had_receipt_handle(receipt_handle):
                since = received_at(message)
                ends = unix_time_millis() + int(visibility_timeout) * 1000
                if since is not None and ends - since > MAX_VISIBILITY_MILLIS:
                    raise InvalidParameterValue(
                        f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid."
                        " Reason: Total VisibilityTimeout for the message is beyond the limit"
                        " [43200 seconds]"
                    )
                # moto's own change, without its limit counted from the send.
                message.change_visibility(visibility_timeout)
                if message.visible and message in queue.pending_messages:
                    queue.pending_messages.remove(message)
                return
        original_change(self, queue_name, receipt_handle, visibility_timeout)  # unknown handle

    def send_message(
        self: SQSBackend,
        queue_name: str,
        message_body: str,
        message_attributes: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Message:
        _check_contents(message_body, message_attributes)
        return original_send(self, queue_name, message_body, message_attributes, *args, **kwargs)

    def send_message_batch(
        self: SQSBackend, queue_name: str, entries: dict[str, dict[str, Any]]
    ) -> Any:
        for entry in entries.values():
            _check_contents(entry["MessageBody"], entry.get("MessageAttributes"))
        return original_send_batch(self, queue_name, entries)

    Message.mark_received = mark_received  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = change_message_visibility  # type: ignore[method-assign]
    SQSBackend.send_message = send_message  # type: ignore[method-assign]
    SQSBackend.send_message_batch = send_message_batch  # type: ignore[method-assign]
    SQSBackend._bwp_sqs_rules = True  # type: ignore[attr-defined]
