"""A local Telegram Bot API server for the tests: a real HTTP server on 127.0.0.1 that implements
the methods the desk uses (getMe, sendMessage, editMessageText, deleteMessage) with Telegram's
documented limits and error replies:

- a message is 1-4,096 characters after entity parsing, counted in UTF-16 code units;
- HTML parse mode accepts only Telegram's tags (b, strong, i, em, u, ins, s, strike, del, a,
  code, pre, blockquote, tg-spoiler, span class="tg-spoiler", tg-emoji) and its entities
  (&lt; &gt; &amp; &quot; and numeric ones); anything else is "Bad Request: can't parse
  entities: ...". It is stricter than Telegram on one point: a bare "&" is refused too;
- 400 chat not found, 403 bot was blocked by the user, 401 for a wrong token;
- 429 with parameters.retry_after when a chat gets messages faster than `flood_interval`;
- faults queued by the test: 429, 5xx, or a connection dropped before or after the message
  is stored (the ambiguous case of a real network).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

LIMIT = 4096
TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "tg-spoiler", "span", "tg-emoji"}
KINDS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline", "s": "strikethrough",
         "strike": "strikethrough", "del": "strikethrough", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
         "tg-spoiler": "spoiler", "span": "spoiler", "tg-emoji": "custom_emoji"}
ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*(/?)>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_ENTITY = re.compile(r"&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|([a-zA-Z]+));")


class ParseError(ValueError):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _unescape(value: str, offset: int) -> str:
    out, position = [], 0
    for match in _ENTITY.finditer(value):
        out.append(value[position : match.start()])
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name not in ENTITIES:
                raise ParseError(f"Unsupported HTML entity \"&{name};\" at byte offset {offset + match.start()}")
            out.append(ENTITIES[name])
        else:
            out.append(chr(int(decimal) if decimal else int(hexadecimal, 16)))
        position = match.end()
    rest = value[position:]
    if "&" in rest:
        raise ParseError(f"Can't find end of the entity starting at byte offset {offset + position + rest.index('&')}")
    out.append(rest)
    return "".join(out)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: the plain text and its entities, or ParseError."""
    text: list[str] = []
    length = 0  # UTF-16 units so far
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    position = 0
    while position < len(source):
        lt = source.find("<", position)
        chunk = source[position : lt if lt >= 0 else len(source)]
        if chunk:
            plain = _unescape(chunk, len(source[:position].encode()))
            text.append(plain)
            length += utf16_len(plain)
        if lt < 0:
            break
        byte_offset = len(source[:lt].encode())
        match = _TAG.match(source, lt)
        if not match:
            raise ParseError(f"Unsupported start tag at byte offset {byte_offset}" if source.find(">", lt) >= 0 else f"Can't find end of the tag at byte offset {byte_offset}")
        closing, name, attributes, _ = match.groups()
        name = name.lower()
        if name not in TAGS:
            kind = "end" if closing else "start"
            raise ParseError(f'Unsupported {kind} tag "{name}" at byte offset {byte_offset}')
        if closing:
            if not stack:
                raise ParseError(f'Unexpected end tag at byte offset {byte_offset}')
            open_name, start, attrs = stack.pop()
            if open_name != name:
                raise ParseError(f'Unmatched end tag at byte offset {byte_offset}, expected "</{open_name}>", found "</{name}>"')
            if length > start:
                entity = {"type": KINDS[name], "offset": start, "length": length - start}
                if name == "a":
                    entity["url"] = attrs.get("href", "")
                entities.append(entity)
        else:
            attrs = {}
            for attr in _ATTR.finditer(attributes or ""):
                value = next((v for v in attr.groups()[1:] if v is not None), "")
                attrs[attr.group(1).lower()] = _unescape(value, byte_offset)
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}')
            if name == "a" and not attrs.get("href"):
                raise ParseError(f"Can't parse entities: empty URL at byte offset {byte_offset}")
            stack.append((name, length, attrs))
        position = match.end()
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(text), entities


@dataclass
class Chat:
    id: int
    username: str = ""
    type: str = "channel"
    blocked: bool = False


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    html: str
    text: str
    entities: list[dict[str, Any]]
    sent_at: float
    edits: int = 0
    deleted: bool = False


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token"
    chats: dict[int, Chat] = field(default_factory=lambda: {-1001: Chat(-1001, "desk")})
    flood_interval: float = 0.0  # a chat refuses a message closer than this to the previous one
    retry_after: int = 1
    latency: float = 0.0  # seconds spent "in flight" before a sendMessage is stored
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (method, parameters)
    faults: deque = field(default_factory=deque)  # (method, kind): "429", "500", "502", "drop-before", "drop-after"
    floods: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._last: dict[int, float] = {}
        self._next_id = 1
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTelegram:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, method: str, kind: str, times: int = 1) -> None:
        for _ in range(times):
            self.faults.append((method, kind))

    def sent(self, chat_id: int = -1001) -> list[StoredMessage]:
        """Messages in a chat, in arrival order (deleted ones left out)."""
        return [m for m in self.messages.values() if m.chat_id == chat_id and not m.deleted]

    # --- the API -------------------------------------------------------------------------

    def _chat(self, value: Any) -> Chat:
        value = str(value)
        for chat in self.chats.values():
            if value == str(chat.id) or (chat.username and value == f"@{chat.username}"):
                if chat.blocked:
                    raise ApiError(403, "Forbidden: bot was blocked by the user")
                return chat
        raise ApiError(400, "Bad Request: chat not found")

    def _text(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        source = str(params.get("text", ""))
        if str(params.get("parse_mode", "")).lower() == "html":
            try:
                text, entities = parse_html(source)
            except ParseError as error:
                raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        else:
            text, entities = source, []
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _message_json(self, message: StoredMessage) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        return {
            "message_id": message.message_id, "date": int(message.sent_at),
            "chat": {"id": chat.id, "type": chat.type, "title": chat.username or "chat", "username": chat.username},
            "text": message.text, "entities": message.entities,
        }

    def call(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Fake desk bot", "username": "fake_desk_bot"}
        if method == "sendMessage":
            chat = self._chat(params.get("chat_id"))
            text, entities = self._text(params)
            with self.lock:
                now = time.monotonic()
                last = self._last.get(chat.id)
                if self.flood_interval and last is not None and now - last < self.flood_interval:
                    self.floods += 1
                    raise ApiError(429, f"Too Many Requests: retry after {self.retry_after}", {"retry_after": self.retry_after})
                self._last[chat.id] = now
            if self.latency:
                time.sleep(self.latency)
            with self.lock:
                message = StoredMessage(self._next_id, chat.id, str(params["text"]), text, entities, time.time())
                self._next_id += 1
                self.messages[message.message_id] = message
            return self._message_json(message)
        if method in ("editMessageText", "deleteMessage"):
            chat = self._chat(params.get("chat_id"))
            message = self.messages.get(int(params.get("message_id", 0)))
            action = "edit" if method == "editMessageText" else "delete"
            if message is None or message.chat_id != chat.id or message.deleted:
                raise ApiError(400, f"Bad Request: message to {action} not found")
            if method == "deleteMessage":
                message.deleted = True
                return True
            text, entities = self._text(params)
            if text == message.text and entities == message.entities:
                raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
            message.html, message.text, message.entities = str(params["text"]), text, entities
            message.edits += 1
            return self._message_json(message)
        raise ApiError(404, "Not Found")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                path, _, query = self.path.partition("?")
                match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", path)
                params = dict(parse_qsl(query))
                params.update(self._body())
                if not match or match.group(1) != fake.token:
                    return self._reply(401 if match else 404, {"ok": False, "error_code": 401 if match else 404, "description": "Unauthorized" if match else "Not Found"})
                method = match.group(2)
                with fake.lock:
                    fake.calls.append(method)
                    fake.requests.append((method, params))
                    fault = fake.faults.popleft() if fake.faults and fake.faults[0][0] == method else None
                kind = fault[1] if fault else ""
                if kind == "drop-before":
                    return self._drop()
                if kind in ("500", "502"):
                    return self._reply(int(kind), {"ok": False, "error_code": int(kind), "description": "Internal Server Error" if kind == "500" else "Bad Gateway"})
                if kind == "429":
                    return self._reply(429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {fake.retry_after}", "parameters": {"retry_after": fake.retry_after}})
                try:
                    result = fake.call(method, params)
                except ApiError as error:
                    body = {"ok": False, "error_code": error.code, "description": error.description}
                    if error.parameters:
                        body["parameters"] = error.parameters
                    return self._reply(error.code, body)
                if kind == "drop-after":
                    return self._drop()
                self._reply(200, {"ok": True, "result": result})

            def _body(self) -> dict[str, Any]:
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size) if size else b""
                kind = self.headers.get("Content-Type", "")
                if not raw:
                    return {}
                if kind.startswith("application/json"):
                    return json.loads(raw)
                if kind.startswith("multipart/form-data"):
                    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                        f"Content-Type: {kind}\r\n\r\n".encode() + raw
                    )
                    return {part.get_param("name", header="content-disposition"): part.get_content() for part in message.iter_parts()}
                return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _drop(self) -> None:
                self.close_connection = True
                self.connection.close()

        return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client killed mid-request is expected
            super().handle_error(request, client_address)


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters
