"""The command line: thin over the services (DESIGN §6).

Credentials come from standard input: the password on the first line, the TOTP or
recovery code on the second, and a new user's password on the third. The recovery key
for `verify-backup` and `restore` may be given with --recovery-key, but is better
given on the first line of standard input: arguments are visible to every account on
the computer (`ps`). Exit codes: 0 success, 1 refused, 2 usage. Errors are one
sentence on stderr; never a traceback, never client data.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ehrdesk import __version__
from ehrdesk.core.errors import InvalidInput, UserCancelled, UserFacingError
from ehrdesk.core.models import Role, UserEnrolment
from ehrdesk.services import demo
from ehrdesk.services.registry import Services
from ehrdesk.services.vault import plan_new_vault

OK, REFUSED, USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with how the command was called (exit code 2)."""


@dataclass
class Console:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    as_json: bool
    start_gui: Callable[[Services], int] | None = None
    _lines: list[str] | None = None

    def line(self, index: int, what: str) -> str:
        if self._lines is None:
            self._lines = self.stdin.read().splitlines()
        if index >= len(self._lines) or not self._lines[index]:
            raise UsageError(f"Please give the {what} on line {index + 1} of standard input.")
        return self._lines[index].rstrip("\r\n")

    def result(self, data: dict[str, Any], text: str) -> None:
        self.stdout.write(json.dumps(data, indent=None) + "\n" if self.as_json else text + "\n")


_KEY_HELP = (
    "the recovery key from the Emergency Kit; without it, it is read from the first line "
    "of standard input (safer: arguments can be seen by other accounts)"
)


def _common_options(parser: argparse.ArgumentParser, *, top: bool) -> argparse.ArgumentParser:
    """The global options, accepted before or after the command. Below the top level
    they default to SUPPRESS, so `ehrdesk --user olive check` keeps the user."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--data-dir", type=Path, default=default, help="the practice's data folder")
    parser.add_argument("--user", default=default, help="who signs in for this command")
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="print one JSON object",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(argparse.ArgumentParser(add_help=False), top=False)
    parser = _common_options(
        argparse.ArgumentParser(
            prog="ehrdesk",
            description="A desktop health record for small mental-health practices.",
        ),
        top=True,
    )
    parser.add_argument("--version", action="version", version=f"ehrdesk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser("init", parents=[common], help="create a practice's vault")
    init.add_argument("--practice", required=True, help="the practice's name")
    init.add_argument("--owner", required=True, help="the owner's username")
    init.add_argument("--full-name", required=True, help="the owner's full name")
    init.add_argument("--emergency-kit", required=True, type=Path, help="where to save the PDF")
    init.add_argument("--no-workstation-binding", action="store_true")

    commands.add_parser("check", parents=[common], help="check the database and audit chain")

    recover = commands.add_parser(
        "recover", parents=[common], help="set a new password with the Emergency Kit"
    )
    recover.add_argument("--new-second-factor", action="store_true")

    backup = commands.add_parser(
        "backup", parents=[common], help="take one verified backup into a folder (owner)"
    )
    backup.add_argument(
        "--to", required=True, type=Path, metavar="DIR", help="where to write it (a USB drive)"
    )

    verify = commands.add_parser(
        "verify-backup",
        parents=[common],
        help="decrypt a backup and check it in full; changes nothing",
        description="With --user, the owner signs in (password and code on standard "
        "input) and the check is recorded; otherwise the recovery key opens the backup.",
    )
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--recovery-key", metavar="KEY", help=_KEY_HELP)

    restore = commands.add_parser(
        "restore",
        parents=[common],
        help="restore a backup into a new data folder",
        description="Restores FILE into --data-dir, which must hold no practice. With "
        "--replace, the owner (--user, signing in) restores over the practice there "
        "instead, and a safety copy of it is kept until the restored one is opened.",
    )
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--recovery-key", metavar="KEY", help=_KEY_HELP)
    restore.add_argument(
        "--replace", action="store_true", help="restore over the practice in --data-dir (owner)"
    )

    demo_command = commands.add_parser(
        "demo", parents=[common], help="open a demo practice with published credentials"
    )
    demo_command.add_argument(
        "--create-only", action="store_true", help="create it and print the credentials"
    )
    demo_command.add_argument(
        "--patients",
        type=int,
        default=None,
        metavar="N",
        help=f"synthetic clients in a new demo (default {demo.DEFAULT_PATIENTS})",
    )
    demo_command.add_argument(
        "--years",
        type=float,
        default=None,
        metavar="Y",
        help=f"years of appointments in a new demo (default {demo.DEFAULT_YEARS:g})",
    )

    user = commands.add_parser("user", parents=[common], help="manage users (owner)")
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_commands.add_parser("add", parents=[common], help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--full-name", required=True)
    user_commands.add_parser("list", parents=[common], help="list users")
    for action in ("disable", "unlock", "reset-password"):
        sub = user_commands.add_parser(action, parents=[common], help=f"{action} a user")
        sub.add_argument("name")
    return parser


def _enrolment_json(enrolment: UserEnrolment) -> dict[str, Any]:
    return {
        "username": enrolment.user.username,
        "totp_uri": enrolment.totp_uri,
        "recovery_codes": list(enrolment.recovery_codes),
    }


def _enrolment_text(enrolment: UserEnrolment) -> str:
    codes = "\n".join(f"  {c}" for c in enrolment.recovery_codes)
    return (
        f"Second factor for {enrolment.user.username}: add this to an authenticator app\n"
        f"  {enrolment.totp_uri}\n"
        f"Recovery codes (each works once; keep them private):\n{codes}"
    )


def _sign_in(services: Services, args: argparse.Namespace, console: Console) -> None:
    if not args.user:
        raise UsageError("Please name the user who signs in with --user.")
    password = console.line(0, "password")
    code = console.line(1, "second-factor code")
    services.auth.sign_in(args.user, password, code)


def _init(services: Services, args: argparse.Namespace, console: Console) -> int:
    kit: Path = args.emergency_kit.expanduser().absolute()
    if not kit.parent.is_dir() or not os.access(kit.parent, os.W_OK):
        raise InvalidInput("The Emergency Kit cannot be saved there; choose another folder.")
    password = console.line(0, "owner's password")
    bind = False if args.no_workstation_binding else None
    services.vaults.check_new_vault(
        practice_name=args.practice,
        owner_username=args.owner,
        owner_full_name=args.full_name,
        owner_password=password,
        bind_workstation=bind,
    )
    if kit.exists():
        raise InvalidInput(
            "A file already exists where the Emergency Kit would go; choose another name."
        )
    # The kit is written first, from the plan: a vault never exists whose recovery
    # key was not saved. If creating the vault then fails, the kit is removed.
    plan = plan_new_vault()
    # reportlab takes ~0.2 s to import: only the commands that print load it.
    from ehrdesk.reports.emergency_kit import write_emergency_kit  # noqa: PLC0415

    write_emergency_kit(
        kit,
        practice_name=" ".join(args.practice.split()),
        recovery_key=plan.recovery_key,
        vault_id=plan.vault_id,
        created_at=services.clock.now(),
        app_version=__version__,
    )
    try:
        created = services.vaults.create(
            practice_name=args.practice,
            owner_username=args.owner,
            owner_full_name=args.full_name,
            owner_password=password,
            bind_workstation=bind,
            plan=plan,
        )
    except BaseException:
        kit.unlink(missing_ok=True)
        raise
    console.result(
        {
            "vault_id": created.vault_id,
            "recovery_key": created.recovery_key,
            "workstation_bound": created.workstation_bound,
            "emergency_kit": str(kit),
            **_enrolment_json(created.owner),
        },
        f"Created the practice's vault in {services.data_dir}.\n"
        f"Recovery key (also on the Emergency Kit at {kit}):\n  {created.recovery_key}\n"
        + ("Bound to this workstation's keyring.\n" if created.workstation_bound else "")
        + _enrolment_text(created.owner),
    )
    return OK


def _check(services: Services, args: argparse.Namespace, console: Console) -> int:
    _sign_in(services, args, console)
    report = services.audit.check_vault()
    chain = report.chain
    lines = [
        "Database: " + ("sound" if not report.database_problems else "DAMAGED"),
        f"Audit chain: {chain.events_checked} events, "
        + ("intact" if chain.ok else f"broken at event {chain.first_bad_seq} ({chain.why})"),
    ]
    if report.weak_key_slots:
        lines.append(f"Warning: {report.weak_key_slots} key slots use test-only key derivation.")
    console.result(
        {
            "ok": report.ok,
            "database_problems": list(report.database_problems),
            "audit_events": chain.events_checked,
            "audit_first_bad_seq": chain.first_bad_seq,
            "weak_key_slots": report.weak_key_slots,
            "workstation_bound": report.workstation_bound,
        },
        "\n".join(lines),
    )
    return OK if report.ok else REFUSED


def _recover(services: Services, args: argparse.Namespace, console: Console) -> int:
    if not args.user:
        raise UsageError("Please name the user whose password to set with --user.")
    key = console.line(0, "recovery key")
    new_password = console.line(1, "new password")
    enrolment = services.auth.recover_account(
        key, args.user, new_password, new_second_factor=args.new_second_factor
    )
    data: dict[str, Any] = {"username": args.user}
    text = "The new password is set and the account is unlocked."
    if enrolment is not None:
        data.update(_enrolment_json(enrolment))
        text += "\n" + _enrolment_text(enrolment)
    console.result(data, text)
    return OK


def _user(services: Services, args: argparse.Namespace, console: Console) -> int:
    _sign_in(services, args, console)
    action = args.user_command
    if action == "list":
        rows = services.users.list_users()
        console.result(
            {
                "users": [
                    {
                        "username": u.username,
                        "full_name": u.full_name,
                        "role": u.role.value,
                        "status": u.status.value,
                        "locked": t.locked,
                        "failures": t.failures,
                    }
                    for u, t in rows
                ]
            },
            "\n".join(
                f"{u.username:<20} {u.role.label:<11} {u.status.value:<9}"
                + (" LOCKED" if t.locked else "")
                + f"  {u.full_name}"
                for u, t in rows
            ),
        )
    elif action == "add":
        enrolment = services.users.add_user(
            args.name, args.full_name, Role(args.role), console.line(2, "new user's password")
        )
        console.result(_enrolment_json(enrolment), _enrolment_text(enrolment))
    elif action == "disable":
        user = services.users.disable_user(args.name)
        console.result({"username": user.username, "status": user.status.value}, "Disabled.")
    elif action == "unlock":
        user = services.users.unlock_user(args.name)
        console.result({"username": user.username}, "Unlocked.")
    else:
        user = services.users.reset_password(args.name, console.line(2, "new password"))
        console.result(
            {"username": user.username, "must_change_password": True},
            "Password reset; they must choose a new one at their next sign-in.",
        )
    return OK


def _recovery_key(args: argparse.Namespace, console: Console) -> str:
    return str(args.recovery_key or console.line(0, "recovery key"))


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _backup(services: Services, args: argparse.Namespace, console: Console) -> int:
    _sign_in(services, args, console)
    result = services.backups.backup_job(args.to).run()
    console.result(
        {
            "path": str(result.path),
            "size": result.record.size,
            "sha256": result.record.sha256,
            "verified": True,
            "removed": [str(p) for p in result.removed],
            "seconds": round(result.seconds, 2),
        },
        f"Backed up to {result.path} ({_megabytes(result.record.size)}); read back and "
        "verified." + (f" Removed {len(result.removed)} older backups." if result.removed else ""),
    )
    return OK


def _verify_backup(services: Services, args: argparse.Namespace, console: Console) -> int:
    if args.user:
        _sign_in(services, args, console)
        verified = services.backups.verify_job(args.file).run().backup
    else:
        verified = services.restorer.verify(args.file, _recovery_key(args, console))
    manifest = verified.manifest
    taken = manifest.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    console.result(
        {
            "ok": True,
            "practice": verified.practice_name,
            "created_at": manifest.created_at.isoformat(),
            "app_version": manifest.app_version,
            "schema_version": manifest.schema_version,
            "row_counts": manifest.row_counts,
            "audit_events": verified.audit_events,
        },
        f"The backup is sound: {verified.practice_name}, taken {taken}, "
        f"{sum(manifest.row_counts.values())} rows in {len(manifest.row_counts)} tables, "
        f"{verified.audit_events} audit events verified.",
    )
    return OK


def _restore(services: Services, args: argparse.Namespace, console: Console) -> int:
    if args.replace:
        if args.recovery_key:
            raise UsageError("--replace signs in as the owner; it takes no recovery key.")
        _sign_in(services, args, console)
        prepared = services.backups.restore_over_job(args.file).run()
        safety = services.backups.finish_restore_over(prepared)
        console.result(
            {"data_dir": str(services.data_dir), "safety_copy": str(safety)},
            f"Restored {prepared.practice_name} over the practice in {services.data_dir}. "
            f"The practice as it was is kept in {safety} until someone next signs in.",
        )
        return OK
    restored = services.restorer.restore(args.file, _recovery_key(args, console))
    console.result(
        {
            "data_dir": str(restored.data_dir),
            "vault_id": restored.vault_id,
            "practice": restored.practice_name,
            "workstation_bound": restored.workstation_bound,
        },
        f"Restored {restored.practice_name} into {restored.data_dir}. Sign in with the "
        "passwords you had when the backup was taken."
        + (" It is bound to this computer's keyring." if restored.workstation_bound else ""),
    )
    return OK


class _TerminalProgress:
    """`progress(done, total, label)` on standard error: nothing for work done within
    half a second (so short runs stay quiet), then a few times a second, on a
    terminal one line rewritten in place, elsewhere a line every few seconds."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._start = self._last = time.monotonic()
        self._shown = False
        self.cancel = threading.Event()

    def __call__(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        finished = done >= total
        if now - self._start < 0.5 and not self._shown:
            return
        if now - self._last < (0.25 if self._tty else 5.0) and not (finished and self._shown):
            return
        self._last, self._shown = now, True
        line = (
            f"Generating the demo practice: week {done:,} of {total:,} "
            f"({done * 100 // max(1, total)}%), {label}, {now - self._start:.0f} s"
        )
        self._stream.write(f"\r{line}\033[K" if self._tty else line + "\n")
        if finished and self._tty:
            self._stream.write("\n")
        self._stream.flush()


def _demo(services: Services, args: argparse.Namespace, console: Console) -> int:
    generated: dict[str, Any] = {}
    if not services.vaults.exists():
        progress = _TerminalProgress(console.stderr)
        previous = None
        if threading.current_thread() is threading.main_thread():
            # Ctrl+C stops at the next week: what was written stays whole and audited.
            previous = signal.signal(signal.SIGINT, lambda *_: progress.cancel.set())
        started = time.monotonic()
        try:
            report = demo.create_demo_practice(
                services,
                patients=demo.DEFAULT_PATIENTS if args.patients is None else args.patients,
                years=demo.DEFAULT_YEARS if args.years is None else args.years,
                progress=progress,
                cancelled=progress.cancel.is_set,
            )
        except UserCancelled:
            console.stderr.write("\nehrdesk: Stopped; the demo keeps what was generated.\n")
            return REFUSED
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        generated = {
            "clients": report.clients,
            "appointments": report.appointments,
            "clinicians": report.clinicians,
            "waitlist": report.waitlist,
            "notes": report.notes,
            "audit_events": report.audit_events,
            "seconds": round(time.monotonic() - started, 1),
        }
    elif not services.vaults.load().demo:
        raise InvalidInput("That folder holds a real practice, not the demo.")
    elif args.patients is not None or args.years is not None:
        raise InvalidInput(
            "That folder already holds a demo practice; choose a new folder for another size."
        )
    summary = ""
    if generated:
        summary = (
            f"Generated {generated['clients']:,} clients, {generated['appointments']:,} "
            f"appointments with {generated['clinicians']} clinicians, "
            f"{generated['notes']:,} notes, {generated['audit_events']:,} audit events, "
            f"{generated['waitlist']} waiting, in {generated['seconds']} s.\n"
        )
    console.result(
        {
            "data_dir": str(services.data_dir),
            "usernames": [u.username for u in demo.USERS],
            "password": demo.PASSWORD,
            "totp_secret": demo.TOTP_SECRET,
            **({"generated": generated} if generated else {}),
        },
        summary + f"Demo practice in {services.data_dir}\n"
        f"Usernames: {', '.join(u.username for u in demo.USERS)}; password: {demo.PASSWORD}\n"
        f"Second factor: the code on the sign-in screen (secret {demo.TOTP_SECRET}).",
    )
    if args.create_only or console.start_gui is None:
        return OK
    return console.start_gui(services)


COMMANDS: dict[str, Callable[[Services, argparse.Namespace, Console], int]] = {
    "demo": _demo,
    "init": _init,
    "check": _check,
    "recover": _recover,
    "user": _user,
    "backup": _backup,
    "verify-backup": _verify_backup,
    "restore": _restore,
}


def run(
    argv: Sequence[str],
    *,
    make_services: Callable[[Path], Services],
    default_data_dir: Path,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    start_gui: Callable[[Services], int] | None = None,
    demo_data_dir: Path | None = None,
) -> int:
    """Run one command; with no command, start the desktop app (`start_gui`)."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on a usage error
    if args.command is None and start_gui is None:
        parser.print_help(stdout)
        return OK
    console = Console(stdin, stdout, stderr, bool(args.json), start_gui)
    fallback = demo_data_dir if args.command == "demo" and demo_data_dir else default_data_dir
    data_dir = (args.data_dir or fallback).expanduser().absolute()
    services = make_services(data_dir)
    if args.command is None and start_gui is not None:
        return start_gui(services)
    try:
        return COMMANDS[args.command](services, args, console)
    except UsageError as exc:
        stderr.write(f"ehrdesk: {exc}\n")
        return USAGE
    except UserFacingError as exc:
        stderr.write(f"ehrdesk: {exc.message}\n")
        return REFUSED
    finally:
        if services.session.state.value != "signed_out":
            services.session.sign_out()
