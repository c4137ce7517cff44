"""Evidence: no artefact of a run holds a secret or a full card number; a bundle names any file altered."""

from __future__ import annotations

import io
import re
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conformance.cli.cassettes import RECORD_TOKEN
from conformance.cli.main import app
from conformance.cli.scenario import select
from conformance.core.redact import CARD_KEYS, SECRET_KEYS
from conformance.loader.paths import cassettes_dir
from conformance.report.bundle import MANIFEST, SIGNATURE, default_key_path, verify_bundle, write_bundle

CARD_RUN = re.compile(r"(?<![0-9])[0-9]{12,19}(?![0-9])")
HEX = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?:[0-9a-f]{64})?(?![0-9a-f])")  # sha256 digests, keys, signatures
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The signing key is made here, never in the user's own config folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def _secrets(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _secrets(item, str(name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secrets(item, key)
    elif isinstance(value, str | int) and key.lower() in SECRET_KEYS | CARD_KEYS and len(str(value)) >= 2:
        yield str(value)


def shipped_secrets() -> set[str]:
    """Every credential, token, password and card number the scenarios hand to the simulator."""
    from conformance.model.scenario import thaw

    found = {RECORD_TOKEN}
    titles = []
    for scenario in select([], []):
        found.update(_secrets(thaw(scenario.given)))
        found.update(m.group(0) for m in CARD_RUN.finditer(Path(scenario.path).read_text()))
        titles += [scenario.title, *(step.title for step in scenario.steps)]
    # a fixture value the scenario's own titles spell out ("pass code 0000 instead of 1234") is public text
    return {secret for secret in found if not any(secret in title for title in titles)}


def leaks(name: str, text: str, secrets: set[str]) -> list[str]:
    found = [f"{name}: holds {secret!r}" for secret in secrets if re.search(rf"(?<![\w*-]){re.escape(secret)}(?![\w-])",
                                                                           text)]
    found += [f"{name}: a full card number {m.group(0)}" for m in CARD_RUN.finditer(HEX.sub("", UUID.sub("", text)))]
    found += [f"{name}: a signature" for _ in re.finditer(r"Signature=|Bearer [\w.~+/-]{12,}", text)]
    found += [f"{name}: an unmasked {m.group(1)}" for m in
              re.finditer(r'"(otp|pass_code|password|token|access_token|api_key)":\s*"(?!\*\*\*)[^"]', text)]
    return found


def test_no_cassette_report_or_bundle_holds_a_secret(tmp_path: Path) -> None:
    secrets = shipped_secrets()
    assert {"612573981949778930", "ck-1", "t-1", "pw"} <= secrets  # the scan has something to look for
    bundle = tmp_path / "run.zip"
    result = CliRunner().invoke(app, ["scenario", "run", "--bundle", str(bundle)])
    assert result.exit_code == 0, result.output[-2000:]
    replay = CliRunner().invoke(app, ["cassettes", "replay", "--report-dir", str(tmp_path / "replay")])
    assert replay.exit_code == 0
    artefacts = {str(p): p.read_text() for p in cassettes_dir().glob("*/*.yaml")}
    artefacts.update({str(p): p.read_text() for p in (tmp_path / "replay").rglob("*") if p.is_file()})
    with zipfile.ZipFile(bundle) as archive:
        artefacts.update({f"{bundle}!{n}": archive.read(n).decode() for n in archive.namelist()})
    artefacts["console"] = result.output + replay.output
    assert len([name for name in artefacts if "!cassettes/" in name]) == len(select([], []))
    problems = [problem for name, text in artefacts.items() for problem in leaks(name, text, secrets)]
    assert not problems, problems[:10]


def test_the_scan_finds_what_it_looks_for() -> None:
    planted = '{"cardnumber":"6125739819497789","otp":"100001","x":"Bearer 4b1e2d3c4b5a6978"}'
    assert len(leaks("planted", planted, {"6125739819497789"})) == 4
    assert leaks("uuid", "3b51f43a-481b-5228-8f65-123456782748", set()) == []


def _bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "evidence.zip"
    files = {"reports/provider-ackroo/report.json": b'{"verdict": "certified"}\n',
             "reports/provider-ackroo/junit.xml": b"<testsuites/>\n",
             "cassettes/ackroo/ackroo.uc01-cash-credit.yaml":
                 (cassettes_dir() / "ackroo/ackroo.uc01-cash-credit.yaml").read_bytes()}
    write_bundle(bundle, files, target="simulator", inputs=[cassettes_dir() / "README.md"], seed=7)
    return bundle


def _altered(bundle: Path, member: str, at: int = 5) -> Path:
    """A copy of the bundle in which one byte of `member` changed (the zip itself stays well formed)."""
    copy = bundle.with_name(f"altered-{member.replace('/', '_')}.zip")
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(copy, "w") as target:
        for info in source.infolist():
            data = bytearray(source.read(info))
            if info.filename == member:
                data[at % len(data)] ^= 0x01
            target.writestr(info, bytes(data))
    return copy


def test_an_intact_bundle_verifies_and_the_key_is_kept_private(tmp_path: Path, config_home: Path) -> None:
    bundle = _bundle(tmp_path)
    key = default_key_path()
    assert key.parent == config_home / "conformance" and stat.S_IMODE(key.stat().st_mode) == 0o600
    verdict = verify_bundle(bundle)
    assert verdict.intact and verdict.problems == ()
    result = CliRunner().invoke(app, ["verify", str(bundle), "--public-key", verdict.public_key])
    assert result.exit_code == 0 and "intact" in result.output
    assert verify_bundle(_bundle(tmp_path)).public_key == verdict.public_key  # the same key the second time
    with zipfile.ZipFile(bundle) as archive:
        assert archive.namelist()[0] == MANIFEST and archive.namelist()[-1] == SIGNATURE
        assert b'"seed": 7' in archive.read(MANIFEST) and b'"cassettes/README.md"' in archive.read(MANIFEST)


def test_one_byte_changed_in_any_file_names_that_file(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        members = archive.namelist()
    for member in members:
        for at in (0, 40):
            altered = _altered(bundle, member, at)
            result = CliRunner().invoke(app, ["verify", str(altered)])
            assert result.exit_code == 1, (member, result.output)
            named = re.findall(r"\.zip: (\S+): altered", result.output)
            assert named == [member], (member, at, result.output)


def test_a_byte_changed_in_the_zip_itself_names_the_member(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    raw = bytearray(bundle.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo("reports/provider-ackroo/junit.xml")
    raw[info.header_offset + 30 + len(info.filename) + 2] ^= 0xFF  # inside its compressed data
    bundle.write_bytes(bytes(raw))
    verdict = verify_bundle(bundle)
    assert not verdict.intact and verdict.problems[0].startswith("reports/provider-ackroo/junit.xml: altered")


def test_another_signer_or_an_added_file_is_refused(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    result = CliRunner().invoke(app, ["verify", str(bundle), "--public-key", "00" * 32])
    assert result.exit_code == 1 and "not by the public key given" in result.output
    with zipfile.ZipFile(bundle, "a") as archive:
        archive.writestr("extra.txt", b"planted")
    assert verify_bundle(bundle).problems == ("extra.txt: not in the manifest (added)",)


def test_the_public_key_may_be_a_pem_file(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from conformance.report.bundle import signing_key

    bundle = _bundle(tmp_path)
    pem = tmp_path / "signer.pub"
    pem.write_bytes(signing_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo))
    assert CliRunner().invoke(app, ["verify", str(bundle), "--public-key", str(pem)]).exit_code == 0
    other = tmp_path / "other.pem"
    write_bundle(other.with_suffix(".zip"), {"a.txt": b"a"}, target="t", key=signing_key_for(tmp_path / "k.pem"))
    result = CliRunner().invoke(app, ["verify", str(other.with_suffix(".zip")), "--public-key", str(pem)])
    assert result.exit_code == 1 and "not by the public key given" in result.output


def signing_key_for(path: Path) -> Any:
    """Another signer: a key file made for this test."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from conformance.report.bundle import signing_key

    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return signing_key(path)
