"""The ``rolecall`` command: ask, chat, index, serve.

``rolecall`` alone starts the bot the way a new user expects: in Slack when
the Slack tokens are set, otherwise as a local chat on the bundled pages.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from bot import settings
from bot.answer import Answer
from bot.engine import Engine, EngineSpec, default_seeds_dir
from bot.render import to_plain
from bot.safefiles import FileSafetyError

PROMPT = "you> "


def engine_spec(args: argparse.Namespace) -> EngineSpec:
    seeds = getattr(args, "seeds", None)
    db = getattr(args, "db", None)
    return EngineSpec(Path(seeds) if seeds else default_seeds_dir(), Path(db) if db else None)


def build_engine(args: argparse.Namespace) -> Engine:
    return engine_spec(args)()


def print_answer(answer: Answer, as_json: bool, out: TextIO, explain: bool = False) -> None:
    """One answer; with ``explain`` also how it was routed and which role was read."""
    decision = answer.decision if explain else None
    if as_json:
        data = answer.to_dict()
        if decision is not None:
            data["decision"] = {"intent": decision.intent, "reason": decision.reason, "scores": decision.scores,
                                "masked": decision.masked, "role_words": decision.role_span, "phrases": decision.phrase}
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        out.write(to_plain(answer.text) + "\n")
        if decision is not None:
            out.write("--- explain\n" + decision.explain() + "\n")
    out.flush()


def cmd_ask(args: argparse.Namespace) -> int:
    """One question from the arguments, or (with --json and no question) one per stdin line."""
    engine = build_engine(args)
    question = " ".join(args.question).strip()
    if question:
        print_answer(engine.ask(question, surface="cli"), args.json, sys.stdout, args.explain)
        return 0
    if not args.json and sys.stdin.isatty():
        print('usage: rolecall ask "QUESTION"  (or pipe questions with --json)', file=sys.stderr)
        return 2
    for line in sys.stdin:
        if line.strip():
            print_answer(engine.ask(line.strip(), surface="cli"), args.json, sys.stdout, args.explain)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """A conversation: each answer's role becomes the context for the next question."""
    engine = build_engine(args)
    interactive = sys.stdin.isatty() and not args.json
    if interactive:
        stats = engine.stats()
        print(f"Rolecall: {stats['roles']} roles from {stats['pages']} pages in {engine.seeds_dir}. Ask away; 'help' for examples, Ctrl-D to quit.")
    context = None
    previous: Answer | None = None
    while True:
        if interactive:
            try:
                line = input(PROMPT)
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
        else:
            raw = sys.stdin.readline()
            if not raw:
                return 0
            line = raw
        line = line.strip()
        if not line:
            continue
        if interactive and line.lower() in ("quit", "exit", "bye"):
            return 0
        chosen = engine.choose(previous, line, surface="chat") if previous else None
        answer = chosen or engine.ask(line, last_role=context, surface="chat")
        context = answer.context or context
        previous = answer
        print_answer(answer, args.json, sys.stdout, getattr(args, "explain", False))


def cmd_index(args: argparse.Namespace) -> int:
    """Build or refresh the index and report counts and every problem found."""
    engine = build_engine(args)
    engine.wait_for_snapshot()
    try:
        return report_index(engine, args.strict)
    finally:
        engine.close()  # the file is left whole: its -wal folded in (the serving snapshot just stored)


def report_index(engine: Engine, strict: bool) -> int:
    """``rolecall index``'s report: counts, what was re-read, problems and suspicions."""
    stats = engine.stats()
    sync = engine.last_sync
    print(f"index: {engine.db_path}")
    print(f"pages: {stats['pages']}  roles: {stats['roles']}  grades: {stats['grades']}  "
          f"reports-to: {stats['reports_to']}  hiring processes: {stats['hiring_processes']}")
    print(f"re-parsed: {len(sync.parsed)}  reused: {sync.reused}  removed: {len(sync.removed)}")
    problems = stats["problems"]
    print(f"problems: {len(problems)}")
    for problem in problems:
        print(f"  {problem}")
    suspicions = stats.get("suspicions", [])
    print(f"suspicions: {len(suspicions)} (read, but worth a look: `rolecall show PAGE` explains)")
    for suspicion in suspicions:
        print(f"  {suspicion}")
    if not stats["pages"]:
        print(f"rolecall: warning: no job pages in {engine.seeds_dir} (a page is a .md file with front matter and a title)",
              file=sys.stderr)
        return 1 if strict else 0
    return 1 if strict and problems else 0


def cmd_show(args: argparse.Namespace) -> int:
    """The outline the parser built for a page, or for the page of a role."""
    from bot.show import outline, render

    engine = build_engine(args)
    what = " ".join(args.what).strip()
    data = outline(engine, what)
    if data is None:
        print(f"rolecall: no page or role matches '{what}'", file=sys.stderr)
        return 1
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else render(data))
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    """What the handbook owners should write next, from the question log."""
    engine = build_engine(args)
    print(to_plain(engine.gaps(limit=args.limit, days=args.days)))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.slack.server import serve

    return serve(engine_spec(args))  # a spec, not an engine: answer worker processes open the index themselves


def cmd_default(args: argparse.Namespace) -> int:
    """Slack when configured, otherwise a local chat on the bundled pages."""
    if settings.get_str("SLACK_BOT_TOKEN"):
        return cmd_serve(args)
    return cmd_chat(args)


def positive_int(text: str) -> int:
    """An argument that must be a whole number of at least 1 (``gaps --limit``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def positive_number(text: str) -> float:
    """An argument that must be a number greater than 0 (``gaps --days``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return value


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: "--seeds X" before or after the subcommand both count, neither resets the other
    common.add_argument("--seeds", default=argparse.SUPPRESS, help="folder of handbook pages (default: $ROLECALL_SEEDS or seeds/)")
    common.add_argument("--db", default=argparse.SUPPRESS, help="index file (default: $ROLECALL_DB or a file in ~/.cache/rolecall)")
    p = argparse.ArgumentParser(prog="rolecall", description="Answers hiring questions from handbook job-family pages.", parents=[common])
    p.set_defaults(func=cmd_default, json=False)
    sub = p.add_subparsers(dest="command")
    ask = sub.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="print the answer model as JSON")
    ask.add_argument("--explain", action="store_true", help="also show how the question was routed (intent scores, role words)")
    ask.set_defaults(func=cmd_ask)
    chat = sub.add_parser("chat", parents=[common], help="a conversation that remembers the last role")
    chat.add_argument("--json", action="store_true", help="one JSON answer per line")
    chat.add_argument("--explain", action="store_true", help="also show how each question was routed")
    chat.set_defaults(func=cmd_chat)
    index = sub.add_parser("index", parents=[common], help="build the index and report problems")
    index.add_argument("--strict", action="store_true", help="exit 1 when any page has a problem")
    index.set_defaults(func=cmd_index)
    show = sub.add_parser("show", parents=[common], help="what the parser read from a page (or a role's page)")
    show.add_argument("what", nargs="+", help="a page file name or a role name")
    show.add_argument("--json", action="store_true", help="the outline as JSON")
    show.set_defaults(func=cmd_show)
    gaps = sub.add_parser("gaps", parents=[common], help="most-asked questions without a good answer")
    gaps.add_argument("--limit", type=positive_int, default=20, help="how many (default 20)")
    gaps.add_argument("--days", type=positive_number, default=None, help="only the last N days")
    gaps.set_defaults(func=cmd_gaps)
    serve = sub.add_parser("serve", parents=[common], help="run the Slack app (Socket Mode or HTTP)")
    serve.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, FileSafetyError) as exc:
        print(f"rolecall: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
