"""The command line every script shares: Spanish argparse, flag checks, one-line errors
(ChefError), run_main (clean exits on errors, Ctrl-C and closed pipes), import_heavy (torch
loads only after the flags are checked) and notice (hints on stderr).
"""

import argparse
import contextlib
import os
import re
import signal
import sys
from typing import NoReturn


class ChefError(Exception):
    """An error the user can fix; scripts print its message as one line and exit 1."""


INTERRUPTED = "\ninterrumpido."  # what Ctrl-C prints (on stderr) before exit code 130


def run_main(main) -> None:
    """Run a script's main(), turning ChefError and Ctrl-C into clean exits."""
    # A shell starts background jobs with SIGINT ignored and Python then leaves it so: Ctrl-C
    # must stop every script however it was started (the chat also stops a recipe with it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        main()
    except ChefError as err:  # one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


def _leave_interrupted(signum, frame) -> NoReturn:
    """SIGINT handler while libraries load: say so and leave at once (no cleanup to run yet)."""
    with contextlib.suppress(OSError, ValueError):  # stdout may be closed or a broken pipe
        sys.stdout.flush()
    print(INTERRUPTED, file=sys.stderr, flush=True)
    os._exit(130)


# What loading a model needs; transformers imports its model and tokenizer code lazily.
HEAVY_MODULES = ("torch", "transformers.models.gpt2.modeling_gpt2", "transformers.models.auto.tokenization_auto")


def import_heavy(*extra) -> None:
    """Import torch and transformers (seconds), and `extra` modules, with Ctrl-C leaving at once.

    Scripts call it once their arguments are checked. A KeyboardInterrupt raised while these
    load can be swallowed (torch's C code imports numpy and carries on without it after any
    error), and transformers then fails later, in English. Call it from the main thread."""
    import importlib

    previous = signal.signal(signal.SIGINT, _leave_interrupted)
    try:
        for name in (*HEAVY_MODULES, *extra):
            importlib.import_module(name)
    finally:
        signal.signal(signal.SIGINT, previous)


# argparse's own messages are English; these cover the errors a user can hit.
ARGPARSE_MESSAGES = [
    (r"^unrecognized arguments: (.*)$", r"opciones no reconocidas: \1"),
    (r"^argument (\S+): invalid int value: (.*)$", r"\1 necesita un número entero (recibido: \2)"),
    (r"^argument (\S+): invalid float value: (.*)$", r"\1 necesita un número (recibido: \2)"),
    (r"^argument (\S+): invalid choice: (.*) \(choose from (.*)\)$", r"\1: valor no válido: \2 (opciones: \3)"),
    (r"^argument (\S+): expected one argument$", r"\1 necesita un valor"),
    (r"^the following arguments are required: (.*)$", r"faltan las opciones: \1"),
]


class SpanishHelpFormatter(argparse.HelpFormatter):
    """argparse's help with a Spanish usage line ("uso: ")."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="uso: ")


class SpanishParser(argparse.ArgumentParser):
    """argparse in Spanish that reports a bad flag as one line (through ChefError)."""

    def error(self, message):
        for pattern, replacement in ARGPARSE_MESSAGES:
            message = re.sub(pattern, replacement, message)
        raise ChefError(f"{message} (usa --help para ver las opciones)")


def make_parser(description: str, epilog: str = None) -> SpanishParser:
    """The argument parser every script uses: Spanish help, one-line errors."""
    parser = SpanishParser(description=description, epilog=epilog, add_help=False,
                           formatter_class=SpanishHelpFormatter)
    parser._optionals.title = "opciones"
    parser.add_argument("-h", "--help", action="help", help="muestra esta ayuda y termina")
    return parser


def check_flag(ok: bool, flag: str, rule: str) -> None:
    """How every script checks a flag's value after parsing: one line, `--flag debe <rule>`."""
    if not ok:
        raise ChefError(f"{flag} debe {rule}")


def notice(message):
    """Hints and notices go to stderr, so piped output holds only recipes."""
    print(message, file=sys.stderr, flush=True)
