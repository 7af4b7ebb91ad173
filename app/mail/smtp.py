"""SMTP building blocks: build a message from an outbox-like row, send it over one connection.

The public API is small and stable (the newsletter uses it for campaigns):

    settings = SMTPSettings.from_config(current_app.config)
    with SMTPConnection(settings) as smtp:
        smtp.send(build_message(row))        # raises TemporaryFailure or PermanentFailure

- ``build_message(row)`` turns anything with the outbox fields (sender, recipient,
  subject, body_text, body_html, headers, attachments, message_id) into a
  multipart ``EmailMessage`` with Date and Message-ID.
- ``SMTPConnection`` opens one connection (plain, STARTTLS or implicit TLS, with
  login when a user name is set) and reuses it for every ``send``; a dropped
  connection is reopened once before a send is given up as temporary.
- ``TemporaryFailure`` (connection refused, timeouts, 4xx) means "try again later";
  ``PermanentFailure`` (5xx) means "this message will never be accepted"; both carry
  the server's answer in ``str(exc)``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import smtplib
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from types import SimpleNamespace
from typing import Any, Protocol

# policy.SMTP folds long headers as RFC 2047 text, which breaks List-Unsubscribe URLs:
# allow the full 998 characters RFC 5322 permits before folding.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)

# Headers build_message sets itself; row.headers cannot override them.
_RESERVED_HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version",
                     "content-type", "content-transfer-encoding"}


class DeliveryError(Exception):
    """A message could not be handed to the SMTP server; str(exc) is the server's answer."""

    temporary: bool = True

    def __init__(self, answer: str, code: int | None = None) -> None:
        super().__init__(answer)
        self.answer = answer
        self.code = code


class TemporaryFailure(DeliveryError):
    """Try again later: connection refused or dropped, timeout, a 4xx answer."""

    temporary = True


class PermanentFailure(DeliveryError):
    """The server refused the message for good (a 5xx answer)."""

    temporary = False


class MessageRow(Protocol):
    sender: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    headers: Mapping[str, str]
    attachments: list[dict[str, Any]]
    message_id: str


@dataclass(frozen=True)
class SMTPSettings:
    host: str
    port: int = 25
    use_tls: bool = False        # STARTTLS after connecting
    use_ssl: bool = False        # implicit TLS (usually port 465)
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    # Given explicitly so neither side looks up the local host name on every connection.
    local_hostname: str = "localhost"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SMTPSettings:
        return cls(
            host=config["MAIL_SERVER"] or "",
            port=int(config["MAIL_PORT"] or (465 if config["MAIL_USE_SSL"] else 25)),
            use_tls=bool(config["MAIL_USE_TLS"]),
            use_ssl=bool(config["MAIL_USE_SSL"]),
            username=config["MAIL_USERNAME"] or "",
            password=config["MAIL_PASSWORD"] or "",
            timeout=float(config["MAIL_TIMEOUT"]),
            local_hostname=config["MAIL_LOCAL_HOSTNAME"] or config["UID_DOMAIN"] or "localhost",
        )

    @property
    def configured(self) -> bool:
        return bool(self.host)


def classify(exc: BaseException) -> DeliveryError:
    """Map an smtplib or socket exception to a temporary or permanent failure."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # {recipient: (code, answer)}; permanent only if every refusal is 5xx.
        codes = [code for code, _ in exc.recipients.values()]
        answer = "; ".join(f"{code} {_decode(msg)}" for code, msg in exc.recipients.values())
        worst = max(codes) if codes else 451
        return (PermanentFailure if all(c >= 500 for c in codes) else TemporaryFailure)(answer, worst)
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
        cls = PermanentFailure if 500 <= exc.smtp_code < 600 else TemporaryFailure
        return cls(answer, exc.smtp_code)
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError,
                        OSError, socket.timeout, ssl.SSLError)):
        return TemporaryFailure(f"{type(exc).__name__}: {exc}".strip())
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentFailure(f"SMTPNotSupportedError: {exc}")
    return TemporaryFailure(f"{type(exc).__name__}: {exc}")


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class SMTPConnection:
    """One SMTP connection used for many messages; a context manager.

    Entering connects (and raises TemporaryFailure/PermanentFailure when it cannot);
    leaving says QUIT. ``send`` reconnects once if the server dropped the connection.
    """

    def __init__(self, settings: SMTPSettings) -> None:
        if not settings.configured:
            raise ValueError("no SMTP server configured (MAIL_SERVER)")
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SMTPConnection:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def connect(self) -> None:
        s = self.settings
        try:
            if s.use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout)
            try:
                smtp.ehlo()
                if s.use_tls and not s.use_ssl:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if s.username:
                    smtp.login(s.username, s.password)
            except BaseException:
                _quietly_close(smtp)
                raise
        except smtplib.SMTPAuthenticationError as exc:
            # A wrong password will not fix itself, but the outbox must not give up on
            # every message because of a configuration error: retry later.
            raise TemporaryFailure(f"login refused: {exc.smtp_code} {_decode(exc.smtp_error)}",
                                   exc.smtp_code) from exc
        except Exception as exc:  # noqa: BLE001 - classified, not swallowed
            raise classify(exc) from exc
        self._smtp = smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except Exception:  # noqa: BLE001 - the connection is going away anyway
                _quietly_close(self._smtp)
            self._smtp = None

    def send(self, message: EmailMessage | bytes, *, sender: str | None = None,
             recipients: Iterable[str] | None = None) -> None:
        """Hand one message to the server; returns once the server accepted it.

        ``message`` may be pre-serialised bytes (then sender and recipients are
        required); for an EmailMessage they default to its From and To headers.
        """
        if isinstance(message, EmailMessage):
            sender = sender or _bare_address(message["From"])
            rcpts = list(recipients) if recipients is not None else [
                addr for _, addr in getaddresses(message.get_all("To", []))]
            data = message.as_bytes(policy=MAIL_POLICY)
        else:
            if sender is None or recipients is None:
                raise ValueError("raw messages need sender and recipients")
            rcpts, data = list(recipients), message
        for attempt in (1, 2):
            if self._smtp is None:
                self.connect()
            try:
                refused = self._smtp.sendmail(sender, rcpts, data)  # type: ignore[union-attr]
            except smtplib.SMTPServerDisconnected as exc:
                _quietly_close(self._smtp)
                self._smtp = None
                if attempt == 2:
                    raise classify(exc) from exc
                continue
            except smtplib.SMTPResponseException as exc:
                # Leave the connection usable for the next message.
                self._reset()
                raise classify(exc) from exc
            except smtplib.SMTPRecipientsRefused as exc:
                self._reset()
                raise classify(exc) from exc
            except Exception as exc:  # noqa: BLE001 - timeouts, resets: the connection is lost
                _quietly_close(self._smtp)
                self._smtp = None
                raise classify(exc) from exc
            if refused:  # some of several recipients refused: treat like a refusal
                raise classify(smtplib.SMTPRecipientsRefused(refused))
            return

    def _reset(self) -> None:
        try:
            self._smtp.rset()  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001
            _quietly_close(self._smtp)
            self._smtp = None


def _quietly_close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.close()
    except Exception:  # noqa: BLE001
        pass


def _bare_address(value: str | None) -> str:
    pairs = getaddresses([value or ""])
    return pairs[0][1] if pairs else ""


def _address(value: str) -> Address | str:
    name, addr = getaddresses([value])[0] if value else ("", "")
    if not addr:
        return value
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError):
        return value


def _with_headers(row: MessageRow, date: datetime | None) -> EmailMessage:
    """A message with the row's own headers and no body yet."""
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = _address(row.sender)
    msg["To"] = _address(row.recipient)
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    if row.message_id:
        msg["Message-ID"] = row.message_id
    for name, value in (row.headers or {}).items():
        if name.lower() not in _RESERVED_HEADERS:
            msg[name] = value
    return msg


def build_message(row: MessageRow, *, date: datetime | None = None) -> EmailMessage:
    """Build the MIME message for one outbox-like row.

    Layout: multipart/alternative (text, then HTML, then any text/calendar part
    marked ``"alternative": True`` with its ``method``), inside multipart/mixed
    when there are attachments; every attachment is also attached as a file
    (e.g. invite.ics) for clients that ignore calendar alternatives.
    Attachment dicts: filename, content_type, and content (text) or
    content_base64 (bytes); optional method and alternative.
    """
    msg = _with_headers(row, date)
    msg.set_content(row.body_text or "", subtype="plain", charset="utf-8")
    if row.body_html:
        msg.add_alternative(row.body_html, subtype="html", charset="utf-8")
    attachments = list(row.attachments or [])
    for item in attachments:
        maintype, _, subtype = (item.get("content_type") or "text/calendar").partition("/")
        if item.get("alternative") and maintype == "text" and subtype == "calendar":
            params = {"method": item["method"]} if item.get("method") else None
            msg.add_alternative(_text(item), subtype="calendar", charset="utf-8", params=params)
    for item in attachments:
        _attach(msg, item)
    for part in msg.walk():
        if part is not msg:  # the email package repeats it on every part it creates
            del part["MIME-Version"]
    return msg


# Of a message built without its per-recipient headers, the lines that belong to the body.
_CONTENT_HEADERS = (b"mime-version:", b"content-type:", b"content-transfer-encoding:")


class PreparedBodies:
    """MIME bodies built once per distinct content, within one delivery run.

    Most of the cost of `build_message` is the body: encoding the text, the HTML and
    any invite. Rows with the same content (a reminder to everyone at an event, the same
    template in the same language) share one; each message then only gets its own
    From, To, Subject, Date, Message-ID and extra headers in front. The bytes are those
    `build_message(row).as_bytes()` gives, down to the MIME boundary.
    """

    def __init__(self, limit: int = 256) -> None:
        self._bodies: dict[str, bytes] = {}
        self._limit = limit

    def message_bytes(self, row: MessageRow, *, date: datetime | None = None) -> bytes:
        body = self._body(row)
        head = _with_headers(row, date)
        return head.as_bytes(policy=MAIL_POLICY).rstrip(b"\r\n") + b"\r\n" + body

    def _body(self, row: MessageRow) -> bytes:
        key = hashlib.sha256(json.dumps(
            [row.body_text or "", row.body_html or "", list(row.attachments or [])],
            sort_keys=True, default=str).encode()).hexdigest()
        body = self._bodies.get(key)
        if body is None:
            bare = SimpleNamespace(sender="", recipient="", subject="", headers={}, message_id="",
                                   body_text=row.body_text, body_html=row.body_html,
                                   attachments=row.attachments)
            data = build_message(bare).as_bytes(policy=MAIL_POLICY)
            head, _, rest = data.partition(b"\r\n\r\n")
            kept: list[bytes] = []
            keep = False
            for line in head.split(b"\r\n"):
                if line[:1] in (b" ", b"\t"):
                    if keep:
                        kept.append(line)
                    continue
                keep = line.lower().startswith(_CONTENT_HEADERS)
                if keep:
                    kept.append(line)
            body = b"\r\n".join(kept) + b"\r\n\r\n" + rest
            if len(self._bodies) >= self._limit:
                self._bodies.clear()
            self._bodies[key] = body
        return body


def _text(item: dict[str, Any]) -> str:
    if "content" in item:
        return str(item["content"])
    return base64.b64decode(item["content_base64"]).decode("utf-8")


def _attach(msg: EmailMessage, item: dict[str, Any]) -> None:
    content_type = item.get("content_type") or "application/octet-stream"
    maintype, _, subtype = content_type.partition("/")
    filename = item.get("filename") or "attachment"
    if maintype == "text" and "content" in item:
        params = {"method": item["method"]} if item.get("method") and subtype == "calendar" else None
        msg.add_attachment(str(item["content"]), subtype=subtype or "plain", charset="utf-8",
                           filename=filename, params=params)
    else:
        data = (base64.b64decode(item["content_base64"]) if "content_base64" in item
                else str(item.get("content", "")).encode("utf-8"))
        msg.add_attachment(data, maintype=maintype or "application",
                           subtype=subtype or "octet-stream", filename=filename)
