"""Job grade intent: the grade of a role, or the roles at a grade."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.answer import Answer, Source
from bot.knowledge import Grade
from bot.compose import bold, clarify, counted, echo, link, need_role, not_documented, source_footer, unknown_role
from bot.names import tokens
from bot.query import GRADE_DIGITS, Query, grade_value
from bot.resolve import FamilyRef, RoleRef, asked_phrase
from bot.router import intent

MAX_LISTED = 15
PAY = re.compile(r"\b(?:salary|salaries|pay|paid|compensation|comp|earn|earns|bonus|equity|stock|ote|wage|wages)\b|\bhow much\b.*\bmake\b", re.I)
# "what is the pay grade of X", "salary grade": the job grade, in the words of pay
PAY_GRADE = re.compile(r"\b(?:pay|salary|compensation|comp)\s+(?:grades?|levels?)\b", re.I)
# "above grade 10" / "grade 10 and up": group 1 leaves the grade itself out, group 2 keeps it
ABOVE = re.compile(r"\b(?:above|over|higher than|greater than|more than|beyond)\s+(?:(?:a|the)\s+)?(?:job\s+)?grade\s*(" + GRADE_DIGITS + r")\b"
                   r"|\bgrades?\s*(" + GRADE_DIGITS + r")\s*(?:\+|(?:and|or)\s+(?:above|up|higher|over|more)\b)", re.I)
BELOW = re.compile(r"\b(?:below|under|lower than|less than)\s+(?:(?:a|the)\s+)?(?:job\s+)?grade\s*(" + GRADE_DIGITS + r")\b"
                   r"|\bgrades?\s*(" + GRADE_DIGITS + r")\s*(?:and|or)\s+(?:below|under|lower|less)\b", re.I)
LIST_GRADES = re.compile(r"\b(?:all|list|which|what|every|show)\b.*\bgrades\b|\bgrades\b.*\b(?:are there|exist)\b"
                         r"|\b(?:highest|lowest|top|max(?:imum)?|min(?:imum)?)\s+(?:job\s+)?grade\b", re.I)


@intent(
    "grade",
    patterns={
        r"\bgrades?\b|\bgraded\b": 3,
        r"\b(?:pay|job|salary) (?:grade|band|level)\b|\bband\b": 2,
        r"\blevel\s*(?:\d{1,2}|seven|eight|nine|ten|five|six|eleven|twelve)\b|\bwhat (?:level|lvl)\b": 2,
        r"\bseniority\b": 1,
        # "is the senior tax analyst a 7?": a bare grade number closing a yes/no question
        r"^\s*(?:is|are)\b.*\b(?:a|an)\s+\d{1,2}(?:\.5)?\s*[?!.]*\s*$": 3,
        r"\b(?:salary|salaries|pay|paid|compensation|comp|earn|earns|bonus|equity|stock options?|ote|wage)\b|\bhow much (?:does|do|will|would)\b.*\bmake\b": 3,
    },
    phrases=[
        'what grade is {role}',
        'what is the grade of {role}',
        '{role} grade',
        '{role} level',
        'what level is {role}',
        'what lvl is {role}',
        'what job grade is {role}',
        'is {role} a grade {n}',
        'what is grade {n}',
        'which roles are grade {n}',
        'which {family} roles are grade {n}',
        'grade {n} in {family}',
        'roles at grade {n}',
        'what band is {role}',
        'what is the job grade for {role}',
        'list all grades',
        'how much does {role} make',
        'how much does {role} earn',
        'what does {role} earn',
        'what is the pay for {role}',
        'what is the salary of {role}',
        'what does {role} pay',
        'how much is {role} paid',
        'what is the compensation for {role}',
        'salary range for {role}',
        'what grades are there',
        'which grades exist',
    ],
    examples=["What's grade 7?", "what grade is the Manager, Sales Operations?", "grade 8 in sales operations"],
    order=25,
)
def grade(query: Query) -> Answer:
    """Job grades: a role's grade, or every role at a grade (optionally in one family)."""
    numbers = query.numbers()
    if PAY.search(PAY_GRADE.sub(" grade ", query.own_words)):
        return pay(query)
    if not numbers:
        if query.resolution.status == "none" and LIST_GRADES.search(query.clean):
            return grade_overview(query)
        if query.resolution.status == "family" and query.resolution.family:
            return family_grades(query, query.resolution.family)
        return grade_of_role(query)
    bound = grade_bound(query.clean)
    if bound is not None and len(numbers) == 1:
        return roles_beyond(query, *bound)
    res = query.resolution
    if res.status == "one" and res.role and res.span != "(follow-up)":
        return is_role_at_grade(query, res.role, numbers)
    if len(numbers) > 1:
        return several_grades(query, numbers)
    return at_grade(query, numbers[0])


def at_grade(query: Query, number: int | float) -> Answer:
    """The roles at one grade, within the family, department or kind of role the question names."""
    res = query.resolution
    family = res.family if res.status == "family" else None
    if family is None and res.status == "ambiguous":
        families = {c.page_id for c in res.choices}
        if len(families) == 1:  # "grade 8 in sales ops": any role of one family names the family
            family = query.kb.family_of(res.choices[0])
    department = query.kb.department_named(query.clean) if family is None and res.status in ("none", "ambiguous") else None
    if department is not None:
        # "grade 9 in finance": no family of that name, but the department's pages
        at_grade = [r for r in query.kb.roles_at_grade(number) if r.page_id in department.page_ids]
        return roles_in_scope(query, number, at_grade, f" in the *{department.name}* department")
    if family is None and res.status == "ambiguous" and res.span:
        # "which alliances roles are grade 8": every role at that grade with those words, on any page
        words = set(res.span.split())
        matching = [r for r in query.kb.roles_at_grade(number) if words <= set(tokens(r.name)) | set(tokens(r.family))]
        if matching:
            return list_at_grade(query, number, matching, f" matching “{echo(asked_phrase(query.clean))}”")
    if family is None and res.status in ("none", "ambiguous") and res.span:
        # "grade 7 in Marketing" when there is no such family: say so rather than list everything
        return unknown_role(query, res) if res.status == "none" else clarify(query, res)
    return roles_at_grade(query, number, family)


def pay(query: Query) -> Answer:
    """"How much does a BDR make?": pages publish grades, not pay. Say so, and what the page does
    state: the grade, and the compensation page it links to."""
    role = need_role(query)
    if isinstance(role, Answer):
        return role
    grades = query.kb.grade_of(role)
    link_to = query.kb.compensation_link(role)
    lines = [f"The handbook page for {bold(role)} doesn't state pay."]
    if grades:
        lines.append(f"It states the job grade: {' or '.join(str(g.grade) for g in grades)}.")
        lines.extend(f"> {sentence}" for sentence in dict.fromkeys(g.sentence for g in grades))
    if link_to:
        lines.append(f"Pay for a grade comes from the {link('compensation calculator', link_to)}.")
    source = Source(page=role.page, heading=role.name, url=role.url)
    lines.append(source_footer([source]))
    return Answer(query.intent, "not_documented", "\n".join(lines), roles=[role.name], sources=[source], question=query.text)


def grade_of_role(query: Query) -> Answer:
    role = need_role(query)
    if isinstance(role, Answer):
        return role
    return stated_grade(query, role, lambda grades, numbers: f"{bold(role)} is grade {numbers}.")


def stated_grade(query: Query, role: RoleRef, first_line: Callable[[list[Grade], str], str]) -> Answer:
    """A role's grade as its page states it, quoted, under a first line made from the grades and
    their numbers ("X is grade 8.", "Yes: X is grade 8, above grade 7."); none read: :func:`no_grade`."""
    grades = query.kb.grade_of(role)
    if not grades:
        return no_grade(query, role)
    numbers = " or ".join(str(g.grade) for g in grades)
    quotes = "\n".join(f"> {sentence}" for sentence in dict.fromkeys(g.sentence for g in grades))
    source = Source(page=role.page, heading=f"{role.name} Job Grade", url=role.url)
    text = f"{first_line(grades, numbers)}\n{quotes}\n{source_footer([source])}"
    return Answer(query.intent, "answered", text, roles=[role.name], sources=[source], question=query.text)


def no_grade(query: Query, role: RoleRef) -> Answer:
    """No grade could be read; quote what the role's own text says about grades, if anything
    ("The Recruiting Intern is not aligned to a job grade")."""
    said = query.kb.lines_mentioning(role, "grade")[:2]
    quotes = "".join(f"\n> {line}" for line in said)
    lead = "doesn't state a job grade" + ("; about grades it says:" if said else ".")
    return not_documented(query, role, f"The handbook page for {bold(role)} {lead}{quotes}")


def is_role_at_grade(query: Query, role: RoleRef, asked: list[int | float]) -> Answer:
    """"Is the Sr. Sales Operations Analyst a grade 7?" (or "grade 6 or 7"): yes or no, with the
    page's sentence."""
    def first_line(grades: list[Grade], numbers: str) -> str:
        return f"{'Yes' if any(g.grade in asked for g in grades) else 'No'}: {bold(role)} is grade {numbers}."
    return stated_grade(query, role, first_line)


def grade_bound(text: str) -> tuple[bool, int | float, bool] | None:
    """"above grade 10" -> (True, 10, False), "grade 9 and below" -> (False, 9, True): whether the
    roles wanted are above the grade, the grade, and whether it counts itself; None for one grade."""
    for above, pattern in ((True, ABOVE), (False, BELOW)):
        found = pattern.search(text)
        if found:
            return above, grade_value(found.group(1) or found.group(2)), found.group(1) is None
    return None


def roles_beyond(query: Query, above: bool, number: int | float, inclusive: bool) -> Answer:
    """"Which roles are above grade 10 (in finance)?": every role past the grade, highest first
    when above (lowest first below), within the family or department the question names."""
    kb = query.kb
    res = query.resolution
    label = (f"at grade {number} or {'higher' if above else 'lower'}" if inclusive else f"{'above' if above else 'below'} grade {number}")
    def fits(grade: float) -> bool:
        return (grade > number if above else grade < number) or (inclusive and grade == number)

    if res.status == "one" and res.role and res.span != "(follow-up)":
        return is_role_beyond(query, res.role, label, fits)
    family = res.family if res.status == "family" else None
    department = kb.department_named(query.clean) if family is None else None
    grades = [g for g in kb.all_grades() if fits(g)]
    found = [(g, r) for g in sorted(grades, reverse=above) for r in kb.roles_at_grade(g)
             if (family is None or r.page_id == family.page_id) and (department is None or r.page_id in department.page_ids)]
    scope = f" in the *{family.name}* family" if family else f" in the *{department.name}* department" if department else ""
    if not found:
        return Answer(query.intent, "not_found", f"No role{scope} is documented {label}.", question=query.text)
    count = len(found)
    lines = [f"{count} role{'s are' if count != 1 else ' is'} {label}{scope}:"]
    lines += [f"• {link(r.name, r.url)} ({r.family}): grade {g}" for g, r in found[:MAX_LISTED]]
    if count > MAX_LISTED:
        lines.append(f"…and {count - MAX_LISTED} more. Narrow it down, e.g. “{label} in {found[0][1].family}”.")
    sources = [Source(page=r.page, heading=f"{r.name} Job Grade", url=r.url) for _, r in found[:MAX_LISTED]]
    return Answer(query.intent, "answered", "\n".join(lines), roles=[r.name for _, r in found], sources=sources, question=query.text)


def is_role_beyond(query: Query, role: RoleRef, label: str, fits: Callable[[float], bool]) -> Answer:
    """"Is the Manager, Tax above grade 7?": yes or no from the role's stated grade, quoted."""
    def first_line(grades: list[Grade], numbers: str) -> str:
        yes = all(fits(g.grade) for g in grades)
        return f"{'Yes' if yes else 'No'}: {bold(role)} is grade {numbers}, {'' if yes else 'not '}{label}."
    return stated_grade(query, role, first_line)


def roles_at_grade(query: Query, number: int, family: FamilyRef | None) -> Answer:
    scope = ""
    if family:
        # the family's few roles checked, not every role at the grade (thousands at 3,000 families)
        roles = query.kb.having_grade(query.kb.family_roles(family), number)
        scope = f" in the *{family.name}* family"
    else:
        roles = query.kb.roles_at_grade(number)
    return roles_in_scope(query, number, roles, scope)


def roles_in_scope(query: Query, number: int, roles: list[RoleRef], scope: str) -> Answer:
    """The roles found at a grade, or that none is, with the grades the handbook does state."""
    if not roles:
        known = query.kb.all_grades()
        listed = ", ".join(str(g) for g in known) if known else "none"
        text = f"No role{scope} is documented at grade {number}. Grades stated in the handbook: {listed}."
        return Answer(query.intent, "not_found", text, question=query.text)
    return list_at_grade(query, number, roles, scope)


def list_at_grade(query: Query, number: int, roles: list[RoleRef], scope: str) -> Answer:
    """The roles at a grade, the first few linked, with a hint to narrow a long list."""
    count = len(roles)
    header = f"{count} role{'s are' if count != 1 else ' is'} at grade {number}{scope}:"
    shown = roles[:MAX_LISTED]
    lines = [header] + [f"• {link(r.name, r.url)} ({r.family})" for r in shown]
    if count > MAX_LISTED:
        lines.append(f"…and {count - MAX_LISTED} more. Narrow it down, e.g. “grade {number} in {shown[0].family}”.")
    sources = [Source(page=r.page, heading=f"{r.name} Job Grade", url=r.url) for r in shown]
    return Answer(query.intent, "answered", "\n".join(lines), roles=[r.name for r in roles], sources=sources, question=query.text)


def family_grades(query: Query, family: FamilyRef) -> Answer:
    """"What grades are in the tax family": each of the family's roles with its grade, and the
    range they span; a role whose page states none says so rather than being left out."""
    kb = query.kb
    roles = kb.family_roles(family)
    graded = {r.id: kb.grade_of(r) for r in roles}
    numbers = sorted({g.grade for grades in graded.values() for g in grades})
    if not numbers:
        header = f"No role of the *{family.name}* family has a job grade on its page."
    elif len(numbers) == 1:
        header = f"The *{family.name}* family's graded roles are all grade {numbers[0]}:"
    else:
        header = f"Grades in the *{family.name}* family run from {numbers[0]} to {numbers[-1]}:"
    lines = [header]
    for role in roles:
        grades = graded[role.id]
        stated = f"grade {' or '.join(str(g.grade) for g in grades)}" if grades else "no grade stated"
        lines.append(f"• {link(role.name, role.url)}: {stated}")
    source = Source(page=family.page, heading=family.name, url=family.page_url)
    lines.append(source_footer([source]))
    status = "answered" if numbers else "not_documented"
    return Answer(query.intent, status, "\n".join(lines), roles=[r.name for r in roles], sources=[source], question=query.text)


def grade_overview(query: Query) -> Answer:
    """"List all the grades": each grade with how many roles are at it."""
    kb = query.kb
    grades = kb.all_grades()
    if not grades:
        return Answer(query.intent, "not_found", "No page states a job grade.", question=query.text)
    lines = [f"Grades stated in the handbook ({len(grades)}):"]
    for number in grades:
        roles = kb.roles_at_grade(number)
        names = ", ".join(r.name for r in roles[:4]) + (f", …and {len(roles) - 4} more" if len(roles) > 4 else "")
        lines.append(f"• Grade {number}: {counted(len(roles), 'role')} ({names})")
    lines.append("Ask “what's grade N?” for the roles at one grade.")
    return Answer(query.intent, "answered", "\n".join(lines), question=query.text)


def several_grades(query: Query, numbers: list[int]) -> Answer:
    """"What's grade 6 and 7?": one list per grade, in the order asked, each within the family or
    department asked about ("grade 6 and 7 roles in tax" listed every grade 6 and 7 role)."""
    parts = [at_grade(query, n) for n in numbers]
    status = "answered" if any(p.status == "answered" for p in parts) else "not_found"
    roles = [r for p in parts for r in p.roles]
    sources = [s for p in parts for s in p.sources]
    return Answer(query.intent, status, "\n\n".join(p.text for p in parts), roles=roles, sources=sources, question=query.text)
