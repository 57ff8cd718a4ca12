"""The ``symhess`` command line.

Each sub-command lives in its own module under :mod:`symhess.cli.commands` and exposes

* ``NAME``: the sub-command name,
* ``HELP``: one line of help,
* ``add_arguments(parser)``: its options,
* ``run(args) -> int``: the work; returns the exit status.

Sub-commands are discovered automatically, so adding one never touches this file.
A user mistake raises :class:`symhess.scalars.InputError`; it is printed as one line
``symhess: error: <field>: expected <form>, got <value>`` and the exit status is 2, with no
traceback. A malformed command line (a value of the wrong form, an unknown option, a missing
one) is caught by argparse through :class:`Parser`, which prints one line
``symhess <cmd>: <flag>: expected <form>, got <value>`` (no usage block), also with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from typing import Any, Sequence

from . import commands
from ..scalars import InputError

EXIT_USAGE = 2

_argv: list[str] = []
"""The arguments being parsed (for the ``got ...`` part of a one-line usage error)."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line ``symhess <cmd>: <flag>: expected ..., got ...``.

    argparse's own message (usage block + ``error: ...``) is replaced; the flag is the one the user
    typed, the expected form comes from the option's type (``form`` attribute) or its choices.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # `--in` is not silently `--input-dim`
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self._command()}: {_one_line(self, message)}\n")

    def _command(self) -> str:
        if self.prog.strip() != "symhess":
            return self.prog
        names = [a for a in _argv if not a.startswith("-")]
        return f"symhess {names[0]}" if names and names[0] in _commands() else "symhess"


def _commands() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))


def _action(parser: argparse.ArgumentParser, flag: str) -> argparse.Action | None:
    for action in parser._actions:
        if flag in action.option_strings or flag == action.dest or flag == action.metavar:
            return action
    return None


def _form(action: argparse.Action | None) -> str:
    """The expected form of an option's value, for messages."""
    if action is None:
        return "a valid value"
    form = getattr(action.type, "form", None)
    if form:
        return form
    if action.choices:
        return "one of " + ", ".join(map(str, action.choices))
    if action.type is int:
        return "an integer"
    if action.type is float:
        return "a number"
    return f"a value ({action.metavar or action.dest.upper()})"


def _value_after(flag: str) -> str | None:
    for i, arg in enumerate(_argv):
        if arg == flag:
            return _argv[i + 1] if i + 1 < len(_argv) else None
        if arg.startswith(flag + "="):
            return arg[len(flag) + 1:]
    return None


def _one_line(parser: argparse.ArgumentParser, message: str) -> str:
    """argparse's error message as ``<flag>: expected <form>, got <value>``."""
    message = " ".join(message.split())
    m = re.fullmatch(r"argument (?P<flag>[^:]+): (?P<rest>.*)", message)
    if m:
        names = m["flag"].split("/")
        typed = [n for n in names if any(a == n or a.startswith(n + "=") for a in _argv)]
        flag = (typed or names)[-1]  # the spelling the user typed (an option may have an alias)
        rest = m["rest"]
        action = _action(parser, flag)
        if rest.startswith("expected ") and "argument" not in rest.split(",")[0]:
            return f"{flag}: {rest}"  # from one of our types: already the whole story
        if rest.startswith("expected "):  # "expected one argument": no value, or one that looks like an option
            value = _value_after(flag)
            return f"{flag}: expected {_form(action)}, got " + ("nothing" if value is None else repr(value))
        choice = re.fullmatch(r"invalid choice: (?P<got>.*) \(choose from (?P<choices>.*)\)", rest)
        if choice:
            choices = ", ".join(c.strip().strip("'") for c in choice["choices"].split(","))
            return f"{flag}: expected one of {choices}, got {choice['got']}"
        invalid = re.fullmatch(r"invalid .* value: (?P<got>.*)", rest)
        if invalid:
            return f"{flag}: expected {_form(action)}, got {invalid['got']}"
        ignored = re.fullmatch(r"ignored explicit argument (?P<got>.*)", rest)
        if ignored:
            return f"{flag}: expected no value (it is a switch), got {ignored['got']}"
        return f"{flag}: expected {_form(action)} ({rest})"
    m = re.fullmatch(r"unrecognized arguments: (?P<args>.*)", message)
    if m:
        first = m["args"].split()[0]
        where = _command_parser(parser)
        return (f"{first}: expected an option of '{where.prog}' (see {where.prog} --help), "
                f"got {'an unknown option' if first.startswith('-') else 'an extra argument'}")
    m = re.fullmatch(r"the following arguments are required: (?P<flags>.*)", message)
    if m:
        flag = m["flags"].split(",")[0].strip()
        return f"{flag}: expected {_form(_action(parser, flag))} (required), got nothing"
    return f"arguments: expected the form shown by '{parser.prog} --help', got an error: {message}"


def _command_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The sub-command's parser named in the arguments (for unknown options), else ``parser``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for arg in _argv:
                if arg in action.choices:
                    return action.choices[arg]
    return parser


class _Version(argparse.Action):
    """``--version``: looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: Any = None) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            text = version("symhess")
        except PackageNotFoundError:
            text = "unknown (not installed)"
        sys.stdout.write(f"symhess {text}\n")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="symhess",
        description="Exact, certified Hessian ranks of CNNs: the 1D theory of Singh, Hofmann, Schoelkopf (ICML 2023), "
                    "and 2D convolutions, biases, pooling and mixed ReLU.")
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _commands():
        mod = importlib.import_module(f"{commands.__name__}.{name}")
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP,
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter
                           if getattr(mod, "SHOW_DEFAULTS", False) else argparse.HelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _message(err: BaseException) -> str:
    return " ".join(str(err).split())  # always one line, whatever the message holds


def main(argv: Sequence[str] | None = None) -> int:
    global _argv
    _argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_argv)
    except SystemExit as exc:  # --help, --version, or a usage error (already printed as one line)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args._run(args) or 0)
    except InputError as err:
        print(f"symhess: error: {_message(err)}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:  # the estimates are meant to refuse first; never a traceback for an oversized job
        print("symhess: error: memory: expected a job that fits in memory (lower the sizes or see --memory-limit), "
              "got an allocation failure", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("symhess: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
