"""Help intent."""

from bot.answer import Answer
from bot.query import Query
from bot.router import intent, load_handlers


@intent(
    "help",
    patterns={
        r"^\s*(?:help|\?+|h|usage|commands|hi|hello|hey|yo|start|menu)\s*[?!.]*\s*$": 10,
        r"\bwhat can you (?:do|answer|tell)\b|\bhow (?:do i|to) use\b|\bhow does this work\b": 6,
        r"\bhelp\b": 2,
    },
    phrases=[
        'help',
        'what can you do',
        'how do i use this',
        'what can i ask',
        'how does this work',
    ],
    examples=["help"],
    order=90,
)
def help_(query: Query) -> Answer:
    """How to ask me things, with examples."""
    return Answer(query.intent, "answered", help_text(), question=query.text)


def help_text() -> str:
    """One line per intent, from each handler's docstring, plus an example to copy."""
    lines = ["I answer questions about job roles from the handbook's job-family pages. Ask me, for example:"]
    for item in sorted(load_handlers().values(), key=lambda i: i.order):
        if item.name == "help":
            continue
        lines.append(f"• {item.help} e.g. “{item.examples[0]}”")
    lines.append("Abbreviations (Sr., Ops, Mgr, BDR, ISR…) and typos are fine. After an answer, follow-ups like “and what grade is it?” use the same role.")
    return "\n".join(lines)
