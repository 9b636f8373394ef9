"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd).

`SmtpServer` collects every message it accepts as an `email.message.EmailMessage`; it
can be stopped and started again on the same port to play an outage. The `smtp_server`
fixture in tests/conftest.py starts one and points the test's app at it.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Collector:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


class SmtpServer:
    """An SMTP server on 127.0.0.1:`port` that keeps what it receives in `messages`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(
                _Collector(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
            )
            self._controller.start()

    def stop(self) -> None:
        """Stop answering: connections to the port are refused, as in an outage."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to `address`."""
        with self.lock:
            return [
                m
                for m, rcpts in zip(self.messages, self.recipients, strict=True)
                if address.lower() in (r.lower() for r in rcpts)
            ]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.recipients.clear()
