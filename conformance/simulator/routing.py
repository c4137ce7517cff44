"""Match a wire request to the spec's operation: path templates, the `.json` suffix, 404 and 405."""

from __future__ import annotations

import re
from dataclasses import dataclass

from conformance.model.spec import ApiSpec, Operation

_PARAM = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class Route:
    operation: Operation
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Match:
    operation: Operation
    path_params: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    allow: tuple[str, ...]


class Router:
    """Routes of one api, compiled once from its spec. Literal segments win over templated ones."""

    def __init__(self, spec: ApiSpec) -> None:
        suffixes = spec.document.get("info", {}).get("x-path-suffixes") or []
        suffix = "(?:" + "|".join(re.escape(s) for s in suffixes) + ")?" if suffixes else ""
        routes = []
        for op in spec.operations:
            if op.webhook:
                continue
            regex = "^" + _PARAM.sub(lambda m: f"(?P<{_group(m.group(1))}>[^/]+)", re.escape(op.path).replace(
                r"\{", "{").replace(r"\}", "}")) + suffix + "/?$"
            routes.append(Route(op, re.compile(regex)))
        # a literal path (/purchases/ad_hoc_return) must win over a template (/purchases/{id})
        routes.sort(key=lambda r: (r.operation.path.count("{"), -len(r.operation.path)))
        self.routes = tuple(routes)

    def match(self, method: str, path: str) -> Match | MethodNotAllowed | None:
        allowed: list[str] = []
        matched_template: str | None = None
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            if matched_template is not None and route.operation.path != matched_template:
                continue  # a less specific template also matches; the first path wins
            matched_template = route.operation.path
            if route.operation.method.upper() == method.upper():
                params = {_ungroup(k): v for k, v in found.groupdict().items()}
                return Match(route.operation, params)
            allowed.append(route.operation.method.upper())
        if allowed:
            return MethodNotAllowed(tuple(sorted(set(allowed))))
        return None


def _group(name: str) -> str:
    return "p_" + re.sub(r"\W", "_", name)


def _ungroup(group: str) -> str:
    return group[2:]
