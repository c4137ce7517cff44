"""Schemathesis checks for the CRM.COM Web API, which answers every request with HTTP 200 (DESIGN 9).

The built-in `negative_data_rejection` and `ignored_auth` judge a refusal by its HTTP status (4xx, 401/403).
This api refuses with HTTP 200 and a `status.code` other than OK, so those two cannot see its refusals
(schemathesis.toml explains how they are configured for this project); these checks ask the same
questions of `status.code`:

- `webapi_rejects_schema_invalid_data`: a request whose body breaks the operation's schema (as actually
  sent, judged by the spec) gets a non-OK code and `data: null`; a schema-valid one is never refused with
  INVALID_REQUEST. The first half is the real negative_data_rejection, the second the real
  positive_data_acceptance.
- `webapi_enforces_auth`: the real ignored_auth. When a call succeeded, the same call without its
  credentials, or with wrong ones, must be refused (INVALID_TOKEN for the body token; INVALID_CREDENTIALS
  for the web API key login, whose empty password is checked too).

They apply to operations of the crmcom-webapi spec only (its `info.x-api-id`), so registering them leaves
the other apis' runs alone. The in-process test imports this module; a CLI run loads it with
`SCHEMATHESIS_HOOKS=tests.simulator.crmcom_webapi_checks`, which also fills a live token into generated
bodies when `CRMCOM_WEBAPI_TOKEN` is set (a fuzzer cannot log in by itself).
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import cache
from typing import Any

import schemathesis
from jsonschema import Draft202012Validator
from schemathesis.specs.openapi._auth_retry import send_probe

from conformance.core import jsonio
from conformance.loader.specs import schema_registry, spec_for, validator_for

API = "crmcom-webapi"
KEY_LOGIN_PATH = "/authentication/web_api_key/token"
WRONG = "SCHEMATHESIS-INVALID-VALUE"


def is_webapi(case: Any) -> bool:
    """A call of one of this api's methods (not another api's, nor a probe with a method the path lacks)."""
    info = case.operation.schema.raw_schema.get("info") or {}
    return bool(info.get("x-api-id") == API) and case.method.upper() == case.operation.method.upper()


@cache
def body_validators() -> dict[tuple[str, str], tuple[bool, Draft202012Validator | None]]:
    """(METHOD, path) -> (body required, the JSON body's validator), compiled once from the spec."""
    spec = spec_for(API)
    base = f"urn:conformance:checks:{API}"
    registry = schema_registry(base, spec.document)
    found: dict[tuple[str, str], tuple[bool, Draft202012Validator | None]] = {}
    for operation in spec.operations:
        section, path, method = operation.pointer
        request = spec.document[section][path][method].get("requestBody") or {}
        media = (request.get("content") or {}).get("application/json")
        validator = validator_for(base, registry, (*operation.pointer, "requestBody", "content", "application/json",
                                                   "schema")) if media else None
        found[(operation.method.upper(), operation.path)] = (bool(request.get("required")), validator)
    return found


def schema_problem(case: Any, request: Any) -> str | None:
    """What is wrong with the body as it went over the wire, or None when it conforms."""
    required, validator = body_validators()[(case.method.upper(), case.operation.path)]
    raw = request.body
    if raw in (None, b"", ""):
        return "the required body is missing" if required else None
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/json" or validator is None:
        return f"body sent as {media or 'no media type'!r}"
    try:
        body = jsonio.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return "the body is not JSON"
    error = next(iter(validator.iter_errors(body)), None)
    return None if error is None else f"{'/'.join(map(str, error.absolute_path)) or 'body'}: {error.message[:160]}"


def envelope(response: Any) -> dict[str, Any]:
    """The {status, data} envelope every answer carries (HTTP 200 included: that is where errors live)."""
    if response.status_code != 200:
        raise AssertionError(f"HTTP {response.status_code}: every answer of a Web API method is HTTP 200 (DESIGN 9)")
    try:
        body = jsonio.loads(response.content)
        code = body["status"]["code"]
    except (ValueError, TypeError, KeyError):
        raise AssertionError("the answer is not a {status: {code, ...}, data} envelope") from None
    if not isinstance(code, str) or (code != "OK" and body.get("data") is not None):
        raise AssertionError(f"status.code {code!r} with data {body.get('data')!r}: an error carries data null")
    return dict(body)


@schemathesis.check
def webapi_rejects_schema_invalid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schema-invalid -> status.code not OK and data null; schema-valid -> never INVALID_REQUEST."""
    if not is_webapi(case):
        return None
    answer = envelope(response)
    problem = schema_problem(case, response.request)
    status = answer["status"]
    if problem is not None and status["code"] == "OK":
        raise AssertionError(f"a schema-invalid request was accepted (status.code OK): {problem}")
    if problem is None and status["code"] == "INVALID_REQUEST":
        raise AssertionError(f"a schema-valid request was refused as INVALID_REQUEST: {status['message']}")
    return True


@schemathesis.check
def webapi_enforces_auth(ctx: Any, response: Any, case: Any) -> bool | None:
    """A key login sent without Basic credentials is refused; a call that succeeded is refused again without
    its credentials and with wrong ones."""
    if not is_webapi(case):
        return None
    code = envelope(response)["status"]["code"]
    key = _basic_user(response.request.headers.get("authorization"))
    if case.operation.path == KEY_LOGIN_PATH and key is None and code != "INVALID_CREDENTIALS":
        raise AssertionError(f"a key login without well-formed Basic credentials got status.code {code!r}")
    if code != "OK":
        return True
    if case.operation.path == KEY_LOGIN_PATH:
        probes = {"without Basic credentials": None, "with an unknown key": _basic(WRONG)}
        if key is not None:
            probes["with the right key and a non-empty password"] = _basic(key, WRONG)
        for label, header in probes.items():
            headers = {k: v for k, v in case.headers.items() if k.lower() != "authorization"}
            if header is not None:
                headers["Authorization"] = header
            _expect(ctx, case, case.derive(headers=headers), "INVALID_CREDENTIALS", label)
    elif isinstance(case.body, dict) and "token" in case.body:
        for label, token in (("without its token", None), ("with a wrong token", WRONG)):
            probe = case.derive()
            probe.body = {k: v for k, v in case.body.items() if k != "token"}
            if token is not None:
                probe.body["token"] = token
            _expect(ctx, case, probe, "INVALID_TOKEN", label)
    return True


def _expect(ctx: Any, case: Any, probe: Any, code: str, label: str) -> None:
    answer = envelope(send_probe(ctx, case, probe))
    if answer["status"]["code"] != code:
        raise AssertionError(f"the same request {label} got status.code {answer['status']['code']!r}, not {code}")


def _basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _basic_user(header: str | None) -> str | None:
    scheme, _, value = (header or "").partition(" ")
    try:
        user = base64.b64decode(value, validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if scheme.lower() == "basic" and user else None


if os.environ.get("CRMCOM_WEBAPI_TOKEN"):  # a CLI run: put a live token into generated bodies

    @schemathesis.hook
    def map_body(context: Any, body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            body["token"] = os.environ["CRMCOM_WEBAPI_TOKEN"]
        return body
