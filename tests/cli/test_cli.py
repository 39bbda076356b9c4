"""The command line (DESIGN §6), driven in-process through `cli.run` and, for the
entry point itself, as `python -m ehrdesk` in a subprocess.

Credentials come on standard input: the password on line 1, the TOTP or recovery code
on line 2, a new user's password on line 3. Exit codes: 0 success, 1 refused, 2 usage;
an error is one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from ehrdesk import __version__, cli
from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.errors import AuthenticationFailed
from ehrdesk.security import recovery, throttle, totp
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.registry import Services

ROOT = Path(__file__).resolve().parents[2]
OWNER_PASSWORD = "lantern orchard quietly 1987 tides"
USER_PASSWORD = "meadow copper violin 2024 rain"
NEW_PASSWORD = "harbour saffron pencil 4471 dunes"
WRONG_PASSWORD = "this is not the password 1234"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def one_line_error(self) -> str:
        """The error, after checking it is exactly one line on stderr."""
        assert self.err.endswith("\n"), repr(self.err)
        assert self.err.count("\n") == 1, repr(self.err)
        assert "Traceback" not in self.err
        return self.err


def _secret(totp_uri: str) -> str:
    return parse_qs(urlparse(totp_uri).query)["secret"][0]


class Cli:
    """`cli.run` in-process over one practice folder, a frozen clock and a memory keyring."""

    def __init__(self, tmp_path: Path) -> None:
        self.data_dir = tmp_path / "practice"
        # Where a command would go if it lost its --data-dir: never the practice.
        self.default_data_dir = tmp_path / "default-data-dir"
        self.kit = tmp_path / "emergency-kit.pdf"
        self.clock = FrozenClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
        self.keyring = MemoryKeyring()
        self.secrets: dict[str, str] = {}

    def services(self, data_dir: Path | None = None) -> Services:
        return Services.build(data_dir or self.data_dir, keyring=self.keyring, clock=self.clock)

    def run(self, *argv: str, stdin: str = "") -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = cli.run(
            list(argv),
            make_services=self.services,
            default_data_dir=self.default_data_dir,
            stdin=io.StringIO(stdin),
            stdout=out,
            stderr=err,
        )
        return Result(code, out.getvalue(), err.getvalue())

    def code(self, username: str) -> str:
        self.clock.advance(30)  # a TOTP code is accepted only once
        return totp.current_code(self.secrets[username], self.clock.now())

    def credentials(self, username: str, password: str, *more: str) -> str:
        return "\n".join([password, self.code(username), *more]) + "\n"

    def init(self, *extra: str, password: str = OWNER_PASSWORD, kit: Path | None = None) -> Result:
        result = self.run(
            "init",
            "--data-dir",
            str(self.data_dir),
            "--practice",
            "Riverside Counselling",
            "--owner",
            "owner",
            "--full-name",
            "Olive Owner",
            "--emergency-kit",
            str(kit or self.kit),
            "--json",
            *extra,
            stdin=password + "\n",
        )
        if result.code == 0:
            self.secrets["owner"] = _secret(result.json()["totp_uri"])
        return result

    def as_owner(self, *argv: str, more: tuple[str, ...] = ()) -> Result:
        """A command that signs in as the owner, options after the command."""
        return self.run(
            *argv,
            "--data-dir",
            str(self.data_dir),
            "--user",
            "owner",
            "--json",
            stdin=self.credentials("owner", OWNER_PASSWORD, *more),
        )

    def sign_in(self, username: str, password: str) -> Any:
        """Sign in through the services (as the GUI would), then sign out."""
        services = self.services()
        signed = services.auth.sign_in(username, password, self.code(username))
        services.session.sign_out()
        return signed

    def vault_bytes(self) -> bytes:
        return (self.data_dir / "vault.json").read_bytes()


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def timed_out(signum: int, frame: object) -> None:
        raise TimeoutError(f"over {seconds:g} s: is something waiting on itself?")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Cli]:
    with _deadline(10):  # a deadlock (say, on vault.lock) fails instead of hanging
        yield Cli(tmp_path)


@pytest.fixture
def ready(run: Cli) -> Cli:
    """A practice made with `init`."""
    assert run.init().code == 0
    return run


def _add_carla(practice: Cli) -> dict[str, Any]:
    result = practice.as_owner(
        "user", "add", "carla", "--role", "clinician", "--full-name", "Carla Smith",
        more=(USER_PASSWORD,),
    )  # fmt: skip
    assert result.code == 0, result.err
    enrolment = result.json()
    practice.secrets["carla"] = _secret(enrolment["totp_uri"])
    return enrolment  # type: ignore[no-any-return]


def _users(practice: Cli) -> dict[str, dict[str, Any]]:
    result = practice.as_owner("user", "list")
    assert result.code == 0, result.err
    return {u["username"]: u for u in result.json()["users"]}


# init ----------------------------------------------------------------------------------


def test_init_json_gives_the_keys_and_writes_the_emergency_kit(run: Cli) -> None:
    result = run.init()

    assert (result.code, result.err) == (0, "")
    data = result.json()
    assert len(data["vault_id"]) == 32
    assert recovery.normalise(data["recovery_key"])  # a well-formed key, check characters too
    uri = urlparse(data["totp_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert len(data["recovery_codes"]) == 10
    assert len(set(data["recovery_codes"])) == 10
    assert data["emergency_kit"] == str(run.kit)
    assert run.kit.read_bytes().startswith(b"%PDF")
    assert run.kit.stat().st_mode & 0o777 == 0o600
    assert json.loads(run.vault_bytes())["vault_id"] == data["vault_id"]
    assert not run.default_data_dir.exists()
    # The URI's secret and the password sign the owner in.
    assert run.sign_in("owner", OWNER_PASSWORD).user.username == "owner"


def test_init_without_json_prints_the_recovery_key_and_uri(run: Cli) -> None:
    result = run.run(
        "init", "--data-dir", str(run.data_dir), "--practice", "Riverside Counselling",
        "--owner", "owner", "--full-name", "Olive Owner", "--emergency-kit", str(run.kit),
        stdin=OWNER_PASSWORD + "\n",
    )  # fmt: skip

    assert (result.code, result.err) == (0, "")
    assert "otpauth://totp/" in result.out
    key = next(line.strip() for line in result.out.splitlines() if line.count("-") == 7)
    assert recovery.normalise(key)


def test_init_refuses_a_folder_that_already_holds_a_vault(ready: Cli, tmp_path: Path) -> None:
    before = ready.vault_bytes()
    database = (ready.data_dir / "practice.ehrdb").read_bytes()
    second_kit = tmp_path / "second-kit.pdf"

    result = ready.init(kit=second_kit)

    assert result.code == 1
    assert "already holds" in result.one_line_error()
    assert result.out == ""
    assert ready.vault_bytes() == before
    assert (ready.data_dir / "practice.ehrdb").read_bytes() == database
    assert not second_kit.exists()


def test_init_refuses_a_kit_in_a_missing_folder_and_makes_no_vault(
    run: Cli, tmp_path: Path
) -> None:
    result = run.init(kit=tmp_path / "no such folder" / "kit.pdf")

    assert result.code == 1
    result.one_line_error()
    assert not (run.data_dir / "vault.json").exists()
    assert not (run.data_dir / "practice.ehrdb").exists()


def test_init_never_loses_the_recovery_key_when_the_kit_cannot_be_written(
    run: Cli, tmp_path: Path
) -> None:
    """The kit's folder exists and is writable, but the kit's path is a folder."""
    in_the_way = tmp_path / "kit-is-a-folder.pdf"
    in_the_way.mkdir()

    result = run.init(kit=in_the_way)

    assert result.code == 1
    result.one_line_error()
    if (run.data_dir / "vault.json").exists():
        # A vault was made, so its recovery key must have been shown after all: `init`
        # cannot be run again, and nothing else can ever show the key.
        assert result.out, "a vault was made but its recovery key was never shown"
        assert recovery.normalise(result.json()["recovery_key"])


def test_a_refused_init_leaves_a_file_already_at_the_kit_path_alone(run: Cli) -> None:
    """Say the Emergency Kit of another practice, and perhaps its only copy."""
    other_kit = b"%PDF-1.4 the Emergency Kit of another practice"
    run.kit.write_bytes(other_kit)

    result = run.init(password="short pw")

    assert result.code == 1
    assert "too short" in result.one_line_error()
    assert run.kit.exists(), "the file at the kit path was removed"
    assert run.kit.read_bytes() == other_kit


def test_init_never_overwrites_a_file_at_the_kit_path(run: Cli) -> None:
    run.kit.write_bytes(b"%PDF-1.4 someone else's file")
    result = run.init()
    assert result.code == 1
    assert "already exists" in result.one_line_error()
    assert run.kit.read_bytes() == b"%PDF-1.4 someone else's file"
    assert not (run.data_dir / "vault.json").exists()


def test_init_refuses_a_too_short_password(run: Cli) -> None:
    result = run.init(password="short pw")

    assert result.code == 1
    assert "too short" in result.one_line_error()
    assert not (run.data_dir / "vault.json").exists()
    assert not run.kit.exists()


# user ------------------------------------------------------------------------------------


def test_user_add_and_list(ready: Cli) -> None:
    enrolment = _add_carla(ready)

    assert enrolment["username"] == "carla"
    assert enrolment["totp_uri"].startswith("otpauth://totp/")
    assert len(set(enrolment["recovery_codes"])) == 10
    signed = ready.sign_in("carla", USER_PASSWORD)
    assert signed.user.role.value == "clinician"
    assert signed.password_change_required is True
    users = _users(ready)
    assert set(users) == {"owner", "carla"}
    assert users["carla"] == {
        "username": "carla",
        "full_name": "Carla Smith",
        "role": "clinician",
        "status": "active",
        "locked": False,
        "failures": 0,
    }
    assert users["owner"]["role"] == "owner"


def test_user_disable(ready: Cli) -> None:
    _add_carla(ready)

    result = ready.as_owner("user", "disable", "carla")

    assert result.code == 0, result.err
    assert result.json() == {"username": "carla", "status": "disabled"}
    with pytest.raises(AuthenticationFailed):
        ready.sign_in("carla", USER_PASSWORD)
    assert _users(ready)["carla"]["status"] == "disabled"


def test_user_unlock(ready: Cli) -> None:
    _add_carla(ready)
    services = ready.services()
    for _ in range(throttle.LOCK_AFTER):
        ready.clock.advance(3600)  # past every delay
        with pytest.raises(AuthenticationFailed):
            services.auth.sign_in("carla", WRONG_PASSWORD, "123456")
    assert _users(ready)["carla"]["locked"] is True

    result = ready.as_owner("user", "unlock", "carla")

    assert result.code == 0, result.err
    assert result.json() == {"username": "carla"}
    assert _users(ready)["carla"]["locked"] is False
    assert ready.sign_in("carla", USER_PASSWORD).user.username == "carla"


def test_user_reset_password(ready: Cli) -> None:
    _add_carla(ready)
    ready.sign_in("carla", USER_PASSWORD)

    result = ready.as_owner("user", "reset-password", "carla", more=(NEW_PASSWORD,))

    assert result.code == 0, result.err
    assert result.json() == {"username": "carla", "must_change_password": True}
    with pytest.raises(AuthenticationFailed):
        ready.sign_in("carla", USER_PASSWORD)
    assert ready.sign_in("carla", NEW_PASSWORD).password_change_required is True


def test_a_clinician_cannot_manage_users_and_the_attempt_is_audited(ready: Cli) -> None:
    _add_carla(ready)

    result = ready.run(
        "user", "list", "--data-dir", str(ready.data_dir), "--user", "carla",
        stdin=ready.credentials("carla", USER_PASSWORD),
    )  # fmt: skip

    assert result.code == 1
    assert "role does not allow" in result.one_line_error()
    assert result.out == ""
    services = ready.services()
    services.auth.sign_in("owner", OWNER_PASSWORD, ready.code("owner"))
    denied = [e for e in services.audit.events() if e.action == "permission_denied"]
    assert [(e.username, e.object_id) for e in denied] == [("carla", "view_users")]
    services.session.sign_out()


# check, sign-in failures, usage ------------------------------------------------------------


def test_check_json_on_a_fresh_vault(ready: Cli) -> None:
    """Sound and intact. The test setting's cheap key slots are flagged as weak, which
    makes `ok` false; the subprocess test checks a vault with the shipped settings."""
    result = ready.as_owner("check")

    data = result.json()
    assert data["database_problems"] == []
    assert data["audit_first_bad_seq"] is None
    assert data["audit_events"] >= 3  # vault_created, user_added, sign_in
    assert data["weak_key_slots"] == 2  # the owner's and the recovery slot
    assert data["ok"] is False
    assert result.code == 1
    assert data["workstation_bound"] is True  # the memory keyring is usable


def test_a_wrong_password_or_code_is_one_line_that_does_not_say_which(ready: Cli) -> None:
    argv = ("check", "--data-dir", str(ready.data_dir), "--user", "owner")

    wrong_password = ready.run(*argv, stdin=ready.credentials("owner", WRONG_PASSWORD))
    wrong_code = ready.run(*argv, stdin=f"{OWNER_PASSWORD}\n000000\n")

    for result in (wrong_password, wrong_code):
        assert (result.code, result.out) == (1, "")
        result.one_line_error()
    assert wrong_password.err == wrong_code.err


def test_missing_user_is_a_usage_error(ready: Cli) -> None:
    result = ready.run(
        "check", "--data-dir", str(ready.data_dir), stdin=f"{OWNER_PASSWORD}\n123456\n"
    )

    assert result.code == 2
    assert "--user" in result.one_line_error()


@pytest.mark.parametrize("stdin", ["", "\n", OWNER_PASSWORD + "\n"], ids=["none", "blank", "one"])
def test_missing_credential_lines_are_a_usage_error(ready: Cli, stdin: str) -> None:
    result = ready.run("check", "--data-dir", str(ready.data_dir), "--user", "owner", stdin=stdin)

    assert result.code == 2
    assert "standard input" in result.one_line_error()


def test_user_add_without_the_new_password_line_is_a_usage_error(ready: Cli) -> None:
    result = ready.as_owner(
        "user", "add", "carla", "--role", "clinician", "--full-name", "Carla Smith"
    )

    assert result.code == 2
    assert "line 3" in result.one_line_error()
    assert set(_users(ready)) == {"owner"}


@pytest.mark.parametrize(
    "argv",
    [["frobnicate"], ["user"], ["user", "promote", "carla"], ["init", "--practice", "P"]],
    ids=["unknown-command", "no-user-action", "unknown-user-action", "missing-option"],
)
def test_a_malformed_command_line_exits_2(
    run: Cli, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        run.run(*argv)

    assert exited.value.code == 2
    assert "usage:" in capsys.readouterr().err
    assert not run.data_dir.exists()


def test_global_options_before_the_command_are_honoured(ready: Cli) -> None:
    """DESIGN §6 calls --data-dir and --user global options: `ehrdesk --data-dir DIR
    --user NAME user list` must mean the same as with the options after the command."""
    result = ready.run(
        "--data-dir", str(ready.data_dir), "--user", "owner", "--json", "user", "list",
        stdin=ready.credentials("owner", OWNER_PASSWORD),
    )  # fmt: skip

    assert (result.code, result.err) == (0, "")
    assert [u["username"] for u in result.json()["users"]] == ["owner"]


def test_init_with_data_dir_before_the_command_uses_that_folder(run: Cli) -> None:
    result = run.run(
        "--data-dir", str(run.data_dir), "init", "--practice", "Riverside Counselling",
        "--owner", "owner", "--full-name", "Olive Owner", "--emergency-kit", str(run.kit),
        stdin=OWNER_PASSWORD + "\n",
    )  # fmt: skip

    assert result.code == 0, result.err
    assert (run.data_dir / "vault.json").exists()
    assert not run.default_data_dir.exists()


# recover ---------------------------------------------------------------------------------


def test_recover_sets_a_new_password_with_the_recovery_key(run: Cli) -> None:
    key = run.init().json()["recovery_key"]
    argv = ("recover", "--data-dir", str(run.data_dir), "--user", "owner")

    wrong_key = run.run(*argv, stdin=f"{recovery.new_recovery_key()}\n{NEW_PASSWORD}\n")
    assert wrong_key.code == 1
    assert "recovery key" in wrong_key.one_line_error()

    result = run.run(*argv, "--json", stdin=f"{key}\n{NEW_PASSWORD}\n")

    assert (result.code, result.err) == (0, "")
    assert result.json() == {"username": "owner"}
    with pytest.raises(AuthenticationFailed):
        run.sign_in("owner", OWNER_PASSWORD)
    signed = run.sign_in("owner", NEW_PASSWORD)
    assert signed.password_change_required is False


# python -m ehrdesk --------------------------------------------------------------------------


def _ehrdesk(
    tmp_path: Path, *argv: str, stdin: str = "", fast_kdf: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "EHRDESK_DATA_DIR": str(tmp_path / "practice"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": str(ROOT),
        # Anything the app writes for itself (a crash log) stays in the test's folder.
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / "config"),
        "XDG_DATA_HOME": str(tmp_path / "home" / "data"),
        "XDG_STATE_HOME": str(tmp_path / "home" / "state"),
    }
    if fast_kdf:
        env["EHRDESK_TEST_FAST_KDF"] = "1"
    else:
        env.pop("EHRDESK_TEST_FAST_KDF", None)
    return subprocess.run(
        [sys.executable, "-m", "ehrdesk", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def _subprocess_init(tmp_path: Path, *, fast_kdf: bool = True) -> dict[str, Any]:
    done = _ehrdesk(
        tmp_path,
        "init", "--practice", "Riverside Counselling", "--owner", "owner",
        "--full-name", "Olive Owner", "--emergency-kit", str(tmp_path / "kit.pdf"), "--json",
        stdin=OWNER_PASSWORD + "\n",
        fast_kdf=fast_kdf,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_subprocess_version(tmp_path: Path) -> None:
    done = _ehrdesk(tmp_path, "--version")

    assert done.returncode == 0
    assert done.stdout.strip() == f"ehrdesk {__version__}"


def test_subprocess_init_then_check_with_the_shipped_key_derivation(tmp_path: Path) -> None:
    """Without the test setting, so `check` has no weak key slot to report."""
    created = _subprocess_init(tmp_path, fast_kdf=False)
    assert created["workstation_bound"] is False  # no trustworthy keyring here
    assert (tmp_path / "practice" / "vault.json").exists()
    assert (tmp_path / "kit.pdf").read_bytes().startswith(b"%PDF")
    code = totp.current_code(_secret(created["totp_uri"]), datetime.now(UTC))

    done = _ehrdesk(
        tmp_path, "check", "--user", "owner", "--json",
        stdin=f"{OWNER_PASSWORD}\n{code}\n", fast_kdf=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert report["weak_key_slots"] == 0
    assert report["workstation_bound"] is False


def test_subprocess_wrong_password_exits_1_without_a_traceback(tmp_path: Path) -> None:
    created = _subprocess_init(tmp_path)
    code = totp.current_code(_secret(created["totp_uri"]), datetime.now(UTC))

    done = _ehrdesk(tmp_path, "check", "--user", "owner", stdin=f"{WRONG_PASSWORD}\n{code}\n")

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stdout == ""


def test_subprocess_init_with_a_too_short_password_exits_1_with_one_line(
    tmp_path: Path,
) -> None:
    done = _ehrdesk(
        tmp_path,
        "init", "--practice", "Riverside Counselling", "--owner", "owner",
        "--full-name", "Olive Owner", "--emergency-kit", str(tmp_path / "kit.pdf"),
        stdin="short pw\n",
    )  # fmt: skip

    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "too short" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "practice" / "vault.json").exists()


def test_subprocess_unknown_command_exits_2(tmp_path: Path) -> None:
    done = _ehrdesk(tmp_path, "frobnicate")

    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert "Traceback" not in done.stderr
