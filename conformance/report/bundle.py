"""Signed evidence bundles: a certification's report files, its recordings and a manifest, in one zip.

The manifest names the suite version, the target, the seed, the time, and the sha256 of every file in
the bundle and of every spec, scenario and program the run used; `manifest.sig` holds its Ed25519
signature, the public key and the manifest's own sha256 (so `verify` can tell an altered manifest from
an altered signature). The signing key is made on first use in the user's config folder
(``$XDG_CONFIG_HOME/conformance/``, else ``~/.config/conformance/``) unless a key file is given.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance import __version__
from conformance.core.errors import UsageError
from conformance.loader.paths import data_root

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
KEY_FILE = "evidence-ed25519.pem"
_STAMP = (1980, 1, 1, 0, 0, 0)  # zip entries carry no wall-clock time: the manifest says when


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- keys -------------------------------------------------------------------------------------------------


def default_key_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "conformance" / KEY_FILE


def signing_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The Ed25519 key in `path` (default: the user's), made (mode 0600) when the default one is missing."""
    given = path is not None
    path = path or default_key_path()
    if not path.is_file():
        if given:
            raise UsageError(f"--key {path}: no such key file")
        key = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        return key
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise UsageError(f"{path}: not a readable unencrypted PEM private key ({exc})") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise UsageError(f"{path}: not an Ed25519 private key")
    return loaded


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key as hex: what a report prints and `verify --public-key` takes."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def public_key_text(value: str) -> str:
    """`--public-key`: the hex a report prints, or a file holding that hex or a PEM public key."""
    path = Path(value)
    if not path.is_file():
        return value.strip()
    data = path.read_bytes()
    if b"-----BEGIN" not in data:
        return data.decode("ascii", "replace").strip()
    try:
        loaded = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise UsageError(f"--public-key {path}: not a PEM public key ({exc})") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise UsageError(f"--public-key {path}: not an Ed25519 public key")
    return public_hex(loaded)


def evidence_fields(key: Ed25519PrivateKey) -> dict[str, Any]:
    """What a report adds when its run writes a bundle: the public half of the signing key."""
    return {"evidence": {"algorithm": "Ed25519", "public_key": public_hex(key)}}


# --- writing ----------------------------------------------------------------------------------------------


def input_hashes(paths: Iterable[Path]) -> dict[str, str]:
    """sha256 of each spec, scenario and program file, named relative to the data folder when inside it."""
    root = data_root().resolve()
    hashes = {}
    for path in sorted(set(paths)):
        resolved = path.resolve()
        name = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)
        hashes[name] = _sha256(resolved.read_bytes())
    return hashes


def folder_files(folder: Path, prefix: str) -> dict[str, bytes]:
    """Every file under `folder`, named `prefix/relative/path` (report folders, cassette folders)."""
    return {f"{prefix}/{path.relative_to(folder).as_posix()}": path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def write_bundle(bundle: Path, files: Mapping[str, bytes], *, target: str, inputs: Iterable[Path] = (),
                 seed: int | None = None, key: Ed25519PrivateKey | None = None,
                 now: datetime | None = None) -> str:
    """Write the signed zip; `files` are its contents by name (reports/..., cassettes/...). Returns the
    public key (hex). One call for every certification command: `scenario run`, `certify provider|pos`."""
    key = key or signing_key()
    manifest = {
        "suite": "conformance", "suite_version": __version__, "target": target, "seed": seed,
        "created": (now or datetime.now(UTC)).isoformat(),
        "inputs": input_hashes(inputs),
        "files": {name: _sha256(data) for name, data in sorted(files.items())},
    }
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    signature = {"algorithm": "Ed25519", "public_key": public_hex(key), "manifest_sha256": _sha256(manifest_bytes),
                 "signature": key.sign(manifest_bytes).hex()}
    try:
        bundle.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in [(MANIFEST, manifest_bytes), *sorted(files.items()),
                               (SIGNATURE, (json.dumps(signature, indent=2) + "\n").encode())]:
                archive.writestr(zipfile.ZipInfo(name, _STAMP), data, zipfile.ZIP_DEFLATED)
    except OSError as exc:
        raise UsageError(f"{bundle}: cannot write the bundle ({exc.strerror or exc})") from None
    return signature["public_key"]


# --- verifying --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    intact: bool
    problems: tuple[str, ...]
    public_key: str = ""


def verify_bundle(bundle: Path, public_key: str | None = None) -> Verdict:
    """Check the signature and every hash; each problem names the file it is about."""
    contents: dict[str, bytes] = {}
    damaged: list[str] = []
    try:
        with zipfile.ZipFile(bundle) as archive:
            for info in archive.infolist():
                try:
                    contents[info.filename] = archive.read(info)
                except (zipfile.BadZipFile, zlib.error, EOFError):  # bytes changed inside the zip itself
                    damaged.append(f"{info.filename}: altered (its bytes in the zip are damaged)")
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{bundle}: not a readable zip ({exc})") from None
    if damaged:
        return Verdict(False, tuple(damaged))
    if MANIFEST not in contents or SIGNATURE not in contents:
        return Verdict(False, (f"{MANIFEST} or {SIGNATURE} is missing: not an evidence bundle",))
    try:
        signature = json.loads(contents[SIGNATURE])
        signed_by, sig = signature["public_key"], bytes.fromhex(signature["signature"])
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key or signed_by))
    except (ValueError, KeyError, TypeError):
        return Verdict(False, (f"{SIGNATURE}: altered (not a readable signature, or a malformed public key)",))
    if public_key and public_key.lower() != str(signed_by).lower():
        return Verdict(False, (f"{SIGNATURE}: signed by {signed_by}, not by the public key given",), signed_by)
    manifest_bytes = contents[MANIFEST]
    try:
        key.verify(sig, manifest_bytes)
    except InvalidSignature:
        altered = MANIFEST if _sha256(manifest_bytes) != signature.get("manifest_sha256") else SIGNATURE
        return Verdict(False, (f"{altered}: altered (the signature does not verify)",), signed_by)
    manifest = json.loads(manifest_bytes)
    listed: dict[str, str] = manifest.get("files", {})
    problems = [f"{name}: altered (sha256 differs from the manifest)" for name, digest in sorted(listed.items())
                if name in contents and _sha256(contents[name]) != digest]
    problems += [f"{name}: missing" for name in sorted(listed) if name not in contents]
    problems += [f"{name}: not in the manifest (added)" for name in sorted(contents)
                 if name not in listed and name not in (MANIFEST, SIGNATURE)]
    return Verdict(not problems, tuple(problems), signed_by)
