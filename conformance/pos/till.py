"""The till: takes one driver action (specs/driver/action.schema.json), does what a cashier's press does
against the configured provider, and answers what the screen shows (result.schema.json).

Its state is plain JSON (the provider, credentials, tokens, its own sales and the queue of undelivered
transactions), so the command-line driver can keep it in a file between actions.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from conformance.pos.ackroo import AckrooClient
from conformance.pos.antavo import AntavoClient
from conformance.pos.client import PosClient, Queued, Refused, Result, Send, Unreachable
from conformance.pos.crmcom import CrmcomClient
from conformance.pos.crmcom_webapi import CrmcomWebApiClient

CLIENTS: dict[str, type[PosClient]] = {client.api: client for client in
                                       (AckrooClient, CrmcomWebApiClient, CrmcomClient, AntavoClient)}
STATE_ENV = "CONFORMANCE_POS_STATE"

SendFor = Callable[[str], Send]
"""A base URL -> how to send requests there (live HTTP, or in-process in the tests and the demo)."""


def default_state_path() -> Path:
    return Path(os.environ.get(STATE_ENV) or Path(tempfile.gettempdir()) / f"conformance-pos-{os.getuid()}.json")


class Till:
    def __init__(self, send_for: SendFor, state: dict[str, Any] | None = None) -> None:
        self.send_for = send_for
        self.state: dict[str, Any] = state if state is not None else {}

    def perform(self, action: Mapping[str, Any]) -> Result:
        """Do the action; a refusal or an outage is what the till shows (`ok: false`, `queued`), not an exception."""
        if action.get("action") == "configure":
            if action.get("api") not in CLIENTS:
                return {"ok": False, "error": f"this till does not know the api {action.get('api')!r}"}
            self.state.clear()
            self.state.update(api=action["api"], base_url=action.get("base_url", ""))
        client = self._client()
        if client is None:
            return {"ok": False, "error": "the till is not configured (send configure first)"}
        try:
            errors = client.flush() if action.get("action") != "configure" else []
            result = client.perform(action)
        except Queued as exc:
            return {"ok": True, "queued": True, "error": str(exc)}
        except (Refused, Unreachable) as exc:
            return {"ok": False, "error": str(exc)}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # an action this till cannot read
            return {"ok": False, "error": f"the till could not do {action.get('action')}: {exc!r}"}
        if errors:
            result["error"] = "; ".join(errors)
        return result

    def _client(self) -> PosClient | None:
        api = self.state.get("api")
        if api not in CLIENTS:
            return None
        return CLIENTS[api](self.state, self.send_for(str(self.state.get("base_url", ""))))

    @classmethod
    def restore(cls, send_for: SendFor, path: Path | None = None) -> Till:
        path = path or default_state_path()
        try:
            state = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            state = {}
        return cls(send_for, state if isinstance(state, dict) else {})

    def save(self, path: Path | None = None) -> None:
        path = path or default_state_path()
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state), "utf-8")
        temporary.replace(path)
