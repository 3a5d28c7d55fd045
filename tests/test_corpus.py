"""The parser survives the real GitLab handbook pages in ../shared/corpus (read in place, never copied)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.names import key as name_key, norm
from bot.parse import Item, Page, parse_page

from conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout")

# What the index reached on the 142 real pages (the roles count fell from 634 when invented roles
# such as "Senior Senior X" and "X Requirments" went). A parser change that loses roles, grades or
# reporting lines fails here; raise the floors when it finds more.
FLOORS = {"pages": 142, "roles": 620, "grades": 411, "reports_to": 274, "hiring_processes": 112}

# Independent of the parser: any sentence that states a grade or a reporting line.
GRADE_SENTENCE = re.compile(
    r"\b(?:is|are)\s+(?:a|an)?\s*(?:job\s+)?\[?\s*(?:grade|level)\s*\[?\s*(?:level\s*)?(\d{1,2}(?:\.\d)?)\b"
    r"|\b(?:is|are)\s+(?:a|an)\s+\[(\d{1,2})\]\([^)]*grade", re.I)
REPORTS_SENTENCE = re.compile(r"\breports?\s+(?:directly\s+)?(?:in)?to\s+(?!(?:you|them|him|her|me|us|whom)\b)(?P<who>\S+(?:\s+\S+){0,3})", re.I)
# A reporting line to someone the page does not name ("a leader they support", "their leader").
UNNAMED_MANAGER = re.compile(r"^(?:directly\s+to\s+)?(?:a|an|their|the|his|her)\s+[a-z]", re.I)
SECTION_WORD_AT_END = re.compile(
    r"\b(?:responsib\w*|requir\w*|qualifications?|grades?|indicators?|kpis?|process|ladder|description|nice to haves?)\s*$", re.I)
LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine(CORPUS, tmp_path_factory.mktemp("corpus") / "corpus.sqlite")


def test_every_real_page_parses_without_crashing():
    pages = sorted(CORPUS.glob("*.md"))
    assert len(pages) > FLOORS["pages"]  # the job pages and SOURCE.md; the corpus only grows
    for path in pages:
        page, problems = parse_page(path)
        if path.name == "SOURCE.md":
            assert page is None and "no front matter" in problems[0].message
        else:
            assert page is not None and page.roles, path.name


def _block_of(page: Page, line: int) -> Item | None:
    """The paragraph or list item a file line belongs to (a sentence may wrap onto later lines)."""
    found = None
    for item in sorted((i for s in page.sections for i in s.items), key=lambda i: i.line):
        if item.line > line:
            break
        found = item
    return found


def test_every_stated_grade_and_reporting_line_became_a_fact():
    """Counted by plain patterns over the page text, not by the parser's: every "is a [grade N]"
    sentence is a grade of a role it names (or of the section's role), and every "reports to"
    sentence outside a list of duties is a reporting line, except where the page names no
    manager or the sentence is about every role and each states its own."""
    missed: list[str] = []
    counted = {"grades": 0, "reports": 0}
    for path in sorted(CORPUS.glob("*--*.md")):
        page, _ = parse_page(path)
        assert page is not None, path.name
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in GRADE_SENTENCE.finditer(text):
            counted["grades"] += 1
            line = text.count("\n", 0, match.start()) + 1
            block = _block_of(page, line)
            number = float(match.group(1) or match.group(2))
            words = set(name_key(LINK.sub(r"\1", block.text)).split()) if block else set()
            if not block or not (any(g.line == block.line for g in page.grades)
                                 or any(g.grade == number and set(name_key(g.role).split()) <= words for g in page.grades)):
                missed.append(f"{path.name}:{line}: grade")
        for match in REPORTS_SENTENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            block = _block_of(page, line)
            if block is None or block.kind == "item" or UNNAMED_MANAGER.match(match.group("who")):
                continue  # a duty in a list ("Report to the board on ..."), or no manager named
            counted["reports"] += 1
            plain = LINK.sub(r"\1", block.text)
            covered = any(r.line == block.line or r.target in plain for r in page.reports)
            every_role_states_its_own = {r.role for r in page.reports} >= set(page.roles)
            if not covered and not every_role_states_its_own:
                missed.append(f"{path.name}:{line}: reports to")
    assert missed == []
    assert counted["grades"] >= 400 and counted["reports"] >= 140  # the patterns still find the sentences


def test_no_role_is_named_like_a_section():
    for path in sorted(CORPUS.glob("*--*.md")):
        page, _ = parse_page(path)
        assert page is not None
        assert [r for r in page.roles if SECTION_WORD_AT_END.search(r) or norm(r).startswith("senior senior")] == [], path.name


def test_corpus_counts_do_not_drop(corpus: Engine):
    stats = corpus.stats()
    for key, floor in FLOORS.items():
        assert stats[key] >= floor, (key, stats[key])


@pytest.mark.parametrize(
    "question, role, expected",
    [
        ("who does the senior manager, red team report to?", "Senior Manager, Red Team", "Director of Security Operations"),
        ("what grade is a staff backend engineer?", "Staff Backend Engineer", "is grade 8."),
        ("what grade is the chief of staff to the ceo?", "Chief of Staff to the CEO", "is grade 12."),
        ("junior data analyst grade", "Junior Data Analyst", "is grade 5."),
        ("who does the technical writer report to", "Technical Writer (Intermediate)", "Manager, Technical Writing"),
        ("what grade is the associate recruiter", "Associate Recruiter", "is grade 5."),
        ("Senior Director, Renewals grade", "Senior Director, Renewals", "is grade 11."),
    ],
)
def test_real_page_facts(corpus: Engine, question: str, role: str, expected: str):
    answer = corpus.ask(question)
    if answer.status == "ambiguous":  # the same title on several pages: every choice is that title
        assert {c.role for c in answer.choices} == {role}
        answer = corpus.ask(question, role=role, role_page=answer.choices[0].page)
    assert set(answer.roles) == {role}
    assert expected in answer.text


def test_family_wide_requirements_apply_to_levels(corpus: Engine):
    answer = corpus.ask("requirements for a senior SRE")
    assert answer.roles == ["Senior Site Reliability Engineer"]
    assert "family's requirements apply to it" in answer.text


def test_base_requirements_of_every_level_apply_to_a_level_without_its_own(corpus: Engine):
    """The Product Manager page states its requirements once, as "Base Requirements Across All Levels"."""
    answer = corpus.ask("requirements of the intermediate product manager")
    assert (answer.status, answer.roles) == ("answered", ["Intermediate Product Manager"])
    assert "the *Product Manager* family's requirements apply to it" in answer.text
    assert "• Passion for design and usability" in answer.text


def test_hiring_steps_written_as_subheadings(corpus: Engine):
    answer = corpus.ask("interview steps for the CSM")
    assert answer.status == "answered"
    steps = ["Recruiter Screening", "Hiring Manager Interview", "Executive Interview"]
    assert all(step in answer.text for step in steps)
    assert answer.text.index("Recruiter Screening") < answer.text.index("Executive Interview")


def test_a_manager_no_page_defines_is_answered_from_the_sentences_naming_it(corpus: Engine):
    """No page defines the Director of Security Operations; the Red Team page names it as a manager."""
    answer = corpus.ask("who reports to the director of security operations")
    assert answer.status == "answered"
    assert answer.text.startswith("No page defines *Director of Security Operations*, but these roles report to it:")
    assert "Senior Manager, Red Team" in answer.roles


def test_no_wild_guess_for_a_role_that_is_not_there(corpus: Engine):
    answer = corpus.ask("who reports to the director of happiness operations")
    assert answer.status in ("not_found", "not_documented")
    assert answer.roles == []


def test_large_results_are_summarised(corpus: Engine):
    answer = corpus.ask("what's grade 7?")
    assert answer.status == "answered"
    assert "more. Narrow it down, e.g. “grade 7 in" in answer.text
    assert answer.text.count("\n• ") == 15


def test_mutated_pages_still_load(corpus: Engine, tmp_path: Path):
    """Truncated pages and shuffled headings: reported or parsed, never a crash."""
    folder = tmp_path / "mutated"
    folder.mkdir()
    for i, path in enumerate(sorted(CORPUS.glob("*--*.md"))):
        text = path.read_text(encoding="utf-8")
        (folder / f"cut-{i}.md").write_text(text[: len(text) * (i % 5 + 1) // 6], encoding="utf-8")
        lines = text.splitlines()
        headings = [ln for ln in lines if ln.startswith("#")]
        shuffled = [headings[(j * 7) % len(headings)] if ln.startswith("#") and headings else ln for j, ln in enumerate(lines)]
        (folder / f"shuffled-{i}.md").write_text("\n".join(shuffled), encoding="utf-8")
    engine = Engine(folder, tmp_path / "mutated.sqlite")
    assert engine.stats()["pages"] >= 120
    assert engine.ask("what's grade 8?").status == "answered"


def test_a_search_says_mention_only_of_lines_that_have_the_word(corpus: Engine):
    """The full-text search matches porter stems: "productivity" finds the pages saying "product".
    Those lines do not mention "productivity", and the answer must not say they do."""
    import re

    def quotes(text: str) -> list[str]:
        return re.findall(r"\): “(.*)”$", text, re.M)

    stemmed = corpus.ask("which roles mention productivity?")
    assert (stemmed.intent, stemmed.status) == ("search", "answered")
    assert re.match(r"\d+ roles match “productivity”: \d+ mention it, \d+ only words of the same stem:\n", stemmed.text)
    said = [q for q in quotes(stemmed.text) if "productivity" in q.lower()]
    others = [q for q in quotes(stemmed.text) if "productivity" not in q.lower()]
    assert others and all(q and "product" in q.lower() for q in others)  # every line quoted, none empty
    mentioned, stem_only = map(int, re.match(r"\d+ roles match “productivity”: (\d+) mention it, (\d+)", stemmed.text).groups())
    assert mentioned >= len(said) and stem_only >= len(others)
    exact = corpus.ask("which roles need Zuora?")
    assert re.match(r"\d+ roles mention “Zuora”:\n", exact.text)
    assert all("zuora" in q.lower() for q in quotes(exact.text))


def test_a_family_wide_section_is_introduced_in_good_grammar(corpus: Engine):
    """A level without its own section gets the family's: plural sections "apply", the one hiring process "applies"."""
    measured = corpus.ask("performance indicators of the Support Engineer")
    assert measured.text.startswith(
        "*Support Engineer* has no performance indicators of its own; the *Support Engineer* family's "
        "performance indicators apply to it:\n"
    )
    assert "Customer satisfaction with Support" in measured.text


def test_a_name_word_beside_an_exact_name_is_not_left_unexplained(corpus: Engine):
    """"product designer": *Designer* is a role named exactly by the last word, but the word before it
    belongs with it in other roles' names (*Product Designer (UX) - Marketing*). Answering Designer
    would leave "product" unexplained, a confident guess: the bot asks which one."""
    asked = corpus.ask("what are the requirements of a product designer?")
    assert asked.status == "ambiguous"
    assert asked.text.startswith("Which role do you mean by “product designer”?")
    # the names holding both words come first; Designer, which leaves "product" out, last
    assert [c.role for c in asked.choices][0] == "Product Designer (UX) - Marketing (Intermediate)"
    assert [c.role for c in asked.choices][-1] == "Designer"
    plain = corpus.ask("what are the requirements of a designer?")
    assert (plain.status, plain.roles) == ("answered", ["Designer"])
    levelled = corpus.ask("what are the requirements of a senior product designer?")
    assert levelled.status != "ambiguous" and levelled.roles == ["Senior Product Designer (UX) - Marketing"]


def test_a_word_of_one_specialty_beside_its_role_names_that_specialty(corpus: Engine):
    """"privacy paralegal": *Paralegal* is named exactly, and the only other name holding both words
    is its own specialty on the same page, *Paralegal (Privacy & Product)*: that one is meant, not a
    choice between the two. Another page's longer name is still asked (the test above)."""
    answer = corpus.ask("privacy paralegal requirements")
    assert (answer.status, answer.roles) == ("answered", ["Paralegal (Privacy & Product)"])
    assert answer.text.startswith("Requirements of *Paralegal (Privacy & Product)*:\n• 5+ years paralegal experience at an international in-house legal")
    plain = corpus.ask("what are the requirements for a paralegal?")
    assert plain.roles == ["Paralegal"]


def test_words_inside_a_role_name_are_not_read_as_the_question_s_own(corpus: Engine):
    """A check for what the question asks reads the question less the role's name: "level of a
    *Compensation* Analyst" asks a grade, not pay; "tell me about the *Benefits* Analyst" asks for
    the role, not about benefits. Asked outside the name, they are still answered as before."""
    level = corpus.ask("what's the level of a compensation analyst")
    assert (level.status, level.text.splitlines()[0]) == ("answered", "*Compensation Analyst* is grade 6.")
    about = corpus.ask("tell me about the benefits analyst")
    assert about.text.startswith("*Benefits Analyst* (Total Rewards)\n• Job grade: 6")
    leave = corpus.ask("does the benefits analyst get parental leave")
    assert leave.text.startswith("The handbook page for *Benefits Analyst* doesn't say anything about parental leave.")
    pay = corpus.ask("how much does a compensation analyst make")
    assert pay.status == "not_documented"
    assert pay.text.splitlines()[0] == "The handbook page for *Compensation Analyst* doesn't state pay."


def test_the_compensation_link_is_a_compensation_page_not_a_role_heading_of_that_name(corpus: Engine):
    """On the Total Rewards page the first link with "compensation" in it is the matrix's
    "#compensation-coordinator": the pay answer must point at the compensation calculator the
    grade sentence links to."""
    answer = corpus.ask("what does the compensation partner pay")
    assert "Pay for a grade comes from the [compensation calculator](https://about.gitlab.com/handbook/total-rewards/compensation/compensation-calculator/#gitlab-job-grades)." in answer.text
    assert "#compensation-coordinator" not in answer.text


def test_how_to_become_a_role_asks_its_requirements(corpus: Engine):
    """"how do I become a senior recruiter" asks what it takes (the requirements), not the role in
    brief; "how do I get promoted from ..." is still the career ladder."""
    become = corpus.ask("how do I become a senior recruiter")
    assert (become.intent, become.roles) == ("requirements", ["Senior Recruiter"])
    assert become.text.startswith("Requirements of *Senior Recruiter*:\nSenior recruiters share the same requirements as the Intermediate recruiter")
    promoted = corpus.ask("how do I get promoted from associate paralegal")
    assert (promoted.intent, promoted.roles[0]) == ("career_ladder", "Associate Paralegal")


def test_a_department_the_pages_are_filed_under_scopes_grades_and_role_lists(corpus: Engine):
    """No job family is called "Finance" or "Legal": the handbook files families under departments
    (/job-families/finance/...). "grade 9 in finance" is every grade-9 role on those pages, not "I
    couldn't find a role matching finance"; "what roles are in legal" lists that department's families."""
    graded = corpus.ask("which roles are grade 9 in finance")
    assert graded.status == "answered"
    assert graded.text.startswith("5 roles are at grade 9 in the *Finance* department:\n")
    assert set(graded.roles) == {
        "Business Analytics and Insights Senior Manager", "Senior Manager, Data", "Senior Manager, Global Payroll Operations",
        "Senior Manager, Revenue GPO", "Senior Manager, International Tax (Non US)"}
    assert "/job-families/finance/payroll/#senior-manager-global-payroll-operations" in graded.text
    people = corpus.ask("list grade 6 roles in people ops")
    assert people.text.startswith("10 roles are at grade 6 in the *People Ops* department:")
    assert all("/job-families/people-ops/" in line for line in people.text.splitlines()[1:] if line.startswith("•"))
    legal = corpus.ask("what roles are in legal")
    assert legal.text.splitlines()[0] == "The *Legal and Corporate Affairs* department has 22 roles in 5 job families:"
    assert "• *Paralegal*: Associate Paralegal, Associate Paralegal (Employment), Paralegal, Senior Paralegal," in legal.text
    # a family that is named is still that family, not its department
    payroll = corpus.ask("list all payroll roles")
    assert payroll.text.startswith("The *Payroll* family has 6 roles:")


def test_a_title_asked_without_a_level_is_its_unlevelled_role_even_when_clipped(corpus: Engine):
    """"ux research coordinator" leaves out "Operations", so it matches the page's two levels alike:
    *UX Research Operations Coordinator (Intermediate)* and *Senior UX Research Operations
    Coordinator*. No level was asked, so it is the intermediate one, as the full title is; a level
    typed still picks that level."""
    clipped = corpus.ask("what comes after ux research coordinator")
    assert clipped.status == "answered" and clipped.roles[0] == "UX Research Operations Coordinator (Intermediate)"
    full = corpus.ask("what comes after ux research operations coordinator")
    assert full.roles[0] == clipped.roles[0]
    # "level" here asks a grade; it names no level of the title
    graded = corpus.ask("what level is the ux research coordinator")
    assert graded.text.splitlines()[0] == "*UX Research Operations Coordinator (Intermediate)* is grade 6."
    senior = corpus.ask("what grade is the senior ux research coordinator")
    assert senior.text.splitlines()[0] == "*Senior UX Research Operations Coordinator* is grade 7."


def test_how_many_report_to_a_role_counts_its_direct_reports(corpus: Engine):
    """"how many people report to the chief people officer" is a direct-reports question (it used
    to be read as the role's responsibilities): the roles whose pages say they report to it, counted."""
    counted = corpus.ask("how many people report to the chief people officer")
    assert (counted.intent, counted.status) == ("direct_reports", "answered")
    assert counted.text.splitlines()[0] == "4 roles report to *Chief People Officer* on the handbook's pages:"
    assert "VP, Talent Acquisition" in counted.text and "Director, Total Rewards" in counted.text
    listed = corpus.ask("who reports to the chief people officer")
    assert listed.text.splitlines()[0] == "These roles report to *Chief People Officer*:"
    assert listed.text.splitlines()[1:] == counted.text.splitlines()[1:]


def test_a_title_typed_as_written_on_two_pages_is_answered_from_both_not_asked_with_a_reordered_name(corpus: Engine):
    """"field marketing manager" is written as such on an old job page and on the family page; in
    another word order it is also *Manager, Field Marketing*. The name typed literally wins: the two
    same-named roles are answered page by page instead of a three-way "which role?"."""
    answer = corpus.ask("who does the field marketing manager report to")
    assert answer.status != "ambiguous"
    assert answer.text.startswith("*Field Marketing Manager* is on 2 pages:")
    assert "jobs--field-marketing-manager.md" in answer.text and "marketing--field-marketing-manager.md" in answer.text
    assert "Manager, Field Marketing" not in answer.text
    reordered = corpus.ask("who does the manager, field marketing report to")
    assert reordered.roles == ["Manager, Field Marketing"] and "Director of Field Marketing" in reordered.text


def test_reports_naming_a_manager_that_matched_no_role_are_given_even_when_the_question_resolves(corpus: Engine):
    """"VP, Customer Success" resolves to the Vice President of Customer Success Management, whom no
    sentence names; the sentences naming a "VP of Customer Success" matched no role when the index was
    linked. Answering "no role reports to it" would hide them: they are listed, said to be unmatched."""
    answer = corpus.ask("which roles report into the VP, Customer Success?")
    assert (answer.intent, answer.status) == ("direct_reports", "answered")
    assert answer.text.startswith("No page says that a role reports to *Vice President of Customer Success Management* itself, "
                                  "but these roles report to *VP of Customer Success*, which the index did not match to any role:")
    assert "Director, Solutions Architects" in answer.roles
    assert "“The Director, Solutions Architects reports to the VP, Customer Success.”" in answer.text


def test_a_real_word_is_not_read_as_another_to_find_a_role(corpus: Engine):
    """No Technical Account Manager page exists; *Manager, Technical Accounting* scored 96 only by
    reading "account" as "accounting", a different job. The bot says it found no such role and
    offers names instead of answering for the accountants."""
    asked = corpus.ask("what does a technical account manager do day to day")
    assert asked.status == "not_found" and asked.roles == []
    assert asked.text.startswith("I couldn't find a role matching “technical account manager” in the handbook.")
    assert "\nDid you mean *" in asked.text
    # a job noun beside its own field is the same people: still answered
    measured = corpus.ask("how are marketing frontend engineers measured")
    assert measured.status == "answered"
    assert "Successfully completing bi-weekly Sprint tasks" in measured.text


def test_a_choice_asks_back_only_the_words_that_named_roles(corpus: Engine):
    """"does the security analyst role need a degree": "degree" is what is asked about, not part of a
    name; the roles holding both name words come before *Analyst*, which holds one."""
    asked = corpus.ask("does the security analyst role need a degree?")
    assert asked.status == "ambiguous"
    assert asked.text.startswith("Which role do you mean by “security analyst”? Several match:\n1. Security Analyst, Trust and Safety")
    assert [c.role for c in asked.choices][-1] == "Analyst"


def test_did_you_mean_offers_the_roles_of_the_work_asked_about_first(corpus: Engine):
    """No Renewals Manager exists; the one role of renewals is *Senior Director, Renewals*. "manager"
    spells *Manager, Red Team* more alike, but the word that says which work is "renewals"."""
    asked = corpus.ask("renewals mgr requirements")
    assert (asked.status, asked.roles) == ("not_found", [])
    assert asked.text.startswith("I couldn't find a role matching “renewals mgr” in the handbook.\nDid you mean *Senior Director, Renewals*")
    assert asked.choices[0].role == "Senior Director, Renewals"


def test_rev_ops_is_revenue_operations(corpus: Engine):
    """Recruiters write RevOps: "vp rev ops" and "revops" are the Vice President, Revenue Operations."""
    for question in ("who does the vp rev ops report to", "vp of revops grade"):
        answer = corpus.ask(question)
        assert (answer.status, answer.roles) == ("answered", ["Vice President, Revenue Operations"]), question
    assert corpus.ask("who does the vp rev ops report to").text.startswith(
        "*Vice President, Revenue Operations* reports to *VP, Field Operations*.")


def test_a_kind_of_role_is_listed_across_its_families_not_asked_as_one_role(corpus: Engine):
    """"what kinds of tax roles are there": "kinds" is a question word, the Tax family is listed.
    "types of security roles" names no one role: every role or family holding "security" is listed
    by family. A bare "analyst" is a kind too, not the one role named *Analyst*; a name that only
    one family holds ("product designer") lists that family, not the whole Product department."""
    tax = corpus.ask("what kinds of tax roles are there")
    assert tax.text.startswith("The *Tax* family has 9 roles:") and "Senior Tax Analyst" in tax.roles
    security = corpus.ask("types of security roles")
    assert (security.intent, security.status) == ("list_roles", "answered")
    assert security.text.startswith("For “security” I know 42 roles in 11 job families:")
    assert "*Security Research Engineer*: Senior Security Research Engineer" in security.text
    analysts = corpus.ask("what analyst roles are there")
    assert analysts.text.startswith("For “analyst” I know 48 roles in 16 job families:")
    assert "• *Tax* (4)" in analysts.text and "• *Payroll* (3)" in analysts.text
    designers = corpus.ask("list the product designer roles")
    assert designers.text.startswith("The *Product Designer (UX) - Marketing* family has 2 roles:")
    assert corpus.ask("what roles are in legal").text.startswith("The *Legal and Corporate Affairs* department has")


def test_nice_to_haves_are_their_own_answer_and_the_requirements_point_at_them(corpus: Engine):
    """A page's "Nice-to-haves" are not requirements: asked for, they are answered; the requirements
    answer says the page has them; a role without them gets its requirements, saying so."""
    nice = corpus.ask("nice to haves for the senior frontend engineer")
    own = nice.text.split("\n\n")[1]
    assert own.splitlines()[1:3] == ["Nice-to-haves of *Senior Frontend Engineer*:", "• Working knowledge of Ruby on Rails and Haml"]
    assert "frontend/senior/#nice-to-haves" in own and "Requirements of" not in own
    required = corpus.ask("what are the requirements for backend engineer")
    assert "The page also lists nice-to-haves for *Backend Engineer*: ask “nice to haves for Backend Engineer”." in required.text
    none = corpus.ask("nice to haves for account executive")
    assert none.text.splitlines()[:3] == ["The page lists no nice-to-haves of *Account Executive* apart from its requirements:",
                                          "Requirements of *Account Executive*:",
                                          "• A true desire to see customers benefit from the investment they make with you"]


def test_reference_style_links_are_links_and_their_definitions_are_no_content(corpus: Engine):
    """The engineering pages write "[our values][values]" with "[values]: /handbook/values/" lines:
    answers show the link, never the brackets as typed nor the definition lines as a paragraph."""
    answer = corpus.ask("what are the requirements for backend engineer")
    assert "Share [our values](https://about.gitlab.com/handbook/values/), and work in accordance with those values" in answer.text
    assert "][" not in answer.text and "[values]:" not in answer.text
    page, _ = parse_page(CORPUS / "engineering--development--frontend.md")
    texts = [i.text for s in page.sections for i in s.items]
    assert not any("]:" in t or "][" in t for t in texts)
    assert "[Self-motivated and self-managing](https://about.gitlab.com/handbook/values/#efficiency), with great organizational skills." in texts


def test_the_one_who_does_a_thing_is_not_a_misspelling_of_it(corpus: Engine):
    """"sourcer" is spelled like "source" (92 of 100) but is who sources, not a typo: a sourcer is
    not the *Open Source Program Manager*. No Sourcer page exists, so the bot says so."""
    asked = corpus.ask("what does a sourcer do")
    assert (asked.status, asked.roles) == ("not_found", [])
    assert asked.text.startswith("I couldn't find a role matching “sourcer” in the handbook.")
    assert "Open Source" not in asked.text
    assert corpus.ask("what does the open sorce program manager do").roles == ["Open Source Program Manager"]


def test_the_role_above_is_the_career_ladder_and_a_familys_grades_are_listed(corpus: Engine):
    """"which role is above X" asks the ladder (it got the role's overview); "what grades are in the
    tax family" lists the family's roles with their grades (it asked which one role)."""
    above = corpus.ask("which role is above manager, tax")
    assert (above.intent, above.roles) == ("career_ladder", ["Manager, Tax"])
    assert "The next roles up in the *Tax* family, by grade:\n• [Senior Manager, International Tax (Non US)]" in above.text
    grades = corpus.ask("what grades are in the tax family")
    assert (grades.intent, grades.status) == ("grade", "answered")
    lines = grades.text.splitlines()
    assert lines[0] == "Grades in the *Tax* family run from 5 to 12:"
    assert "• [Junior Tax Analyst](https://about.gitlab.com/job-families/finance/tax/#junior-tax-analyst): grade 5" in lines
    assert len([line for line in lines if line.startswith("• ")]) == 9
    listed = corpus.ask("what analysts roles do we have")
    assert listed.intent == "list_roles" and listed.text.startswith("For “analysts” I know 48 roles in 16 job families:")


def test_a_role_acronym_names_its_words_as_typed(corpus: Engine):
    """"TAM" is the Technical *Account* Manager: no page has one, and *Manager, Technical Accounting*
    matched only by reading "account" as "accounting", as when the words are typed. The bot says
    what it looked for; the accountants are a "did you mean" as for the words typed, never the answer."""
    asked = corpus.ask("what is a TAM")
    assert (asked.status, asked.roles) == ("not_found", [])
    assert asked.text.startswith("I couldn't find a role matching “TAM” (technical account manager) in the handbook.")
    # offered at most as the words typed are ("technical account manager"), never answered for
    assert "\nDid you mean *Manager, Technical Accounting*?" in asked.text
    assert corpus.ask("ae requirements").roles == ["Account Executive"]


def test_a_name_word_typed_in_two_parts_is_the_one_word(corpus: Engine):
    """Recruiters type "front end" and "back-end"; the pages write *Frontend* and *Backend*. Two
    adjacent words that make one name word are that word (they found no role at all); a part of a
    hyphenated word is whole, not clipped ("full-time" is not "fullstack")."""
    assert corpus.ask("back end engineer grade").text.startswith("*Backend Engineer* is grade 6.")
    for question in ("who does the front end engineer report to", "front-end engineer requirements"):
        answer = corpus.ask(question)
        assert answer.status != "not_found" and answer.roles[0] == "Frontend Engineer", question
    assert corpus.ask("who does the ux full stack engineer report to").roles == ["UX Fullstack Engineer"]
    # two parts that make an abbreviation of name words: "dev rel" is "devrel", developer relations
    assert corpus.ask("what does the vp dev rel do").roles == ["VP, Developer Relations and Community"]
    full_time = corpus.ask("is the tax manager role full-time")
    assert full_time.roles == ["Manager, Tax"]


def test_a_hyphenated_topic_is_looked_for_whole_and_people_managers_are_direct_reports(corpus: Engine):
    """"does the support engineer do on-call": "on-call" is the topic (its parts are other intents'
    words), found in the responsibilities, never by "call" alone; "is X a people manager" asks who
    reports to X (it was read as whom X reports to)."""
    does = corpus.ask("does the support engineer do on-call")
    assert (does.intent, does.status) == ("responsibilities", "answered")
    assert does.text.startswith("Yes, the responsibilities of *Support Engineer* mention “on-call”:\n• participate in regular rotations")
    needs = corpus.ask("does a support engineer need to be on-call")
    focus = needs.text.split("\nAll of its requirements:")[0].splitlines()[1:]
    assert focus == ["• you have experience being on-call and can jump into a complex situation and make sense of and communicate "
                     "clearly to stakeholders what's going on."]
    manager = corpus.ask("is the manager, tax a people manager")
    assert manager.intent == "direct_reports" and manager.text.startswith("These roles report to *Manager, Tax*:")


def test_two_roles_joined_by_and_are_both_answered(corpus: Engine):
    """"what grade is a senior tax analyst and a staff tax analyst" answered the first and dropped
    the second unsaid; each is answered now. A name with "and" in it is still one role."""
    both = corpus.ask("what grade is a senior tax analyst and a staff tax analyst")
    assert (both.status, both.roles) == ("answered", ["Senior Tax Analyst", "Staff Tax Analyst"])
    first, second = both.text.split("\n\n")
    assert first.startswith("*Senior Tax Analyst* is grade 7.") and second.startswith("*Staff Tax Analyst* is grade 8.")
    one = corpus.ask("requirements for the senior security analyst, trust and safety")
    assert one.roles == ["Senior Security Analyst, Trust and Safety"] and "\n\n" not in one.text


def test_a_second_question_after_and_about_the_same_role_is_answered_too(corpus: Engine):
    """"who does the manager, tax report to and what's its grade" answered where it reports only;
    "what grade is the staff tax analyst and who does it report to" only where it reports. Each
    part is answered, in the order asked; words after "and" that ask nothing clear are left alone."""
    both = corpus.ask("who does the manager, tax report to and what's its grade")
    reports, grade = both.text.split("\n\n")
    assert reports.startswith("*Manager, Tax* reports to [Director, Tax](") and grade.startswith("*Manager, Tax* is grade 8.")
    assert both.roles == ["Manager, Tax"]
    ordered = corpus.ask("what grade is the staff tax analyst and who does it report to")
    assert [part.splitlines()[0][:42] for part in ordered.text.split("\n\n")] == [
        "*Staff Tax Analyst* is grade 8.", "*Staff Tax Analyst* reports to [Manager, T"]
    assert "\n\n" not in corpus.ask("who does the manager, tax report to and why").text


def test_a_name_typed_in_the_plural_is_the_name_typed_and_a_coding_test_is_the_interview(corpus: Engine):
    """"backend engineers" names *Backend Engineer* as written, as the singular does (it asked
    Backend Engineer vs Intermediate Backend Engineer, an old page's level); "is there a coding test"
    and "a take home assignment" ask the hiring process (they got the overview, or requirements)."""
    singular, plural = corpus.ask("grade for the backend engineer"), corpus.ask("grade for backend engineers")
    assert plural.status == "answered" and plural.text == singular.text
    coding = corpus.ask("is there a coding test for backend engineers")
    assert (coding.intent, coding.roles) == ("interview_steps", ["Backend Engineer"])
    assert "90 minute technical interview" in coding.text
    take_home = corpus.ask("does the support engineer have a take home assignment")
    assert take_home.intent == "interview_steps" and "• Technical assessment." in take_home.text


def test_grades_above_or_below_a_grade_and_how_many_roles(corpus: Engine):
    """"what roles are above grade 10" listed grade 10 itself; now the roles past it, highest first,
    scoped to a family or department when named; "is X above grade 7" is a yes or no from X's
    grade. "how many job families are there" and "how many engineering roles" count roles (they
    asked which role, or said headcount is not stated); "how many backend engineers" is headcount."""
    above = corpus.ask("what roles are above grade 10")
    lines = above.text.splitlines()
    assert lines[0] == "49 roles are above grade 10:" and lines[1].endswith(": grade 12")
    assert not any(line.endswith(": grade 10") for line in lines)
    below = corpus.ask("tax roles below grade 7")
    assert below.text.splitlines()[:3] == [
        "2 roles are below grade 7 in the *Tax* family:",
        "• [Junior Tax Analyst](https://about.gitlab.com/job-families/finance/tax/#junior-tax-analyst) (Tax): grade 5",
        "• [Tax Analyst (Intermediate)](https://about.gitlab.com/job-families/finance/tax/#tax-analyst-intermediate) (Tax): grade 6"]
    assert corpus.ask("which finance roles are grade 10 and above").text.startswith("14 roles are at grade 10 or higher in the *Finance* department:")
    assert corpus.ask("is the manager, tax above grade 7").text.startswith("Yes: *Manager, Tax* is grade 8, above grade 7.")
    assert corpus.ask("is the junior tax analyst grade 6 or higher").text.startswith("No: *Junior Tax Analyst* is grade 5, not at grade 6 or higher.")
    assert corpus.ask("what's the highest grade in the handbook").text.startswith("Grades stated in the handbook (9):")
    assert corpus.ask("how many job families are there").text.startswith("I know 628 roles in 137 job families:")
    assert corpus.ask("how many engineering roles are there").text.startswith("The *Engineering* department has 171 roles in 27 job families:")
    assert "doesn't say anything about headcount" in corpus.ask("how many backend engineers are there").text


def test_letters_beside_a_named_role_are_what_is_asked_about_not_another_role(corpus: Engine):
    """"does the director, tax need a CPA": the role is named in words; "CPA" spells *Community
    Programs Associate* from the pages' titles, which made it the role (and "director tax" the
    topic). Letters that make no name with the question's other role words are the topic."""
    director = corpus.ask("does the director, tax need a CPA")
    assert director.roles == ["Director, Tax"]
    assert director.text.startswith("Yes, the requirements of *Director, Tax* mention “CPA”:\n• JD and/or CPA preferred.")
    staff = corpus.ask("does the staff tax analyst need a cpa")
    assert staff.roles == ["Staff Tax Analyst"] and staff.text.startswith("The requirements of *Staff Tax Analyst* don't mention “cpa”.")
    # alone, the letters are not that role either: the tax and accounting pages write CPA, for an accountant
    assert corpus.ask("cpa requirements").roles == []


def test_a_horizontal_rule_is_no_content(corpus: Engine):
    """Pages put "---" or "***" between sections; answers showed the rule as a line of their own."""
    ladder = corpus.ask("what's the career path for an SA")
    assert ladder.roles == ["Solutions Architect"]
    assert "A Solution Architect can progress through the various individual contributor levels" in ladder.text
    assert not any(line.strip() in ("---", "***", "----") for line in ladder.text.splitlines())
    for name in ("sales--solutions-architect.md", "jobs--community-advocate.md", "product--product-manager.md"):
        page, _ = parse_page(CORPUS / name)
        assert not any(i.text.strip("-*_ ") == "" for s in page.sections for i in s.items), name


def test_specialties_are_listed_and_one_can_be_asked_about(corpus: Engine):
    """"what are the specialties of backend engineer" got the role's overview; the specialties its
    page lists are listed, and "is there a database specialty" is a yes or no from their names."""
    listed = corpus.ask("what are the specialties of backend engineer")
    assert (listed.intent, listed.status) == ("specialties", "answered")
    lines = listed.text.splitlines()
    assert lines[0] == "*Backend Engineer* is on the *Backend Engineering* page, which lists 19 specialties:"
    assert "• [Backend Engineering (Database)](https://about.gitlab.com/job-families/engineering/development/backend/#backend-engineering-database)" in lines
    yes = corpus.ask("is there a database specialty for backend engineers")
    assert yes.text.startswith("Yes, *Backend Engineer* is on the *Backend Engineering* page, which lists *Backend Engineering (Database)*. All of its specialties:")
    no = corpus.ask("is there a ruby specialty for backend engineers")
    assert no.status == "not_documented" and no.text.startswith("*Backend Engineer* is on the *Backend Engineering* page, which lists no specialty for “ruby”.")


def test_the_hiring_manager_is_who_interviews_not_a_managers_name(corpus: Engine):
    """"who is the hiring manager for the senior product designer" answered for *Senior Manager of
    Product Design*: "manager" of "hiring manager" was read with the role's words (a name split by
    filler words, "manager of sales operations"). It is the question's own word."""
    asked = corpus.ask("who is the hiring manager for the senior product designer")
    assert (asked.intent, asked.roles) == ("interview_steps", ["Senior Product Designer (UX) - Marketing"])
    assert "Senior Manager of Product Design" not in asked.text
    assert corpus.ask("what does the senior manager of product design do").roles == ["Senior Manager of Product Design"]


def test_not_found_echoes_every_word_read_as_a_name_and_counts_agree(corpus: Engine):
    """"what is a people ops specialist" said it found no “ops specialist”: "people" is a filler
    word of questions ("how many people report to"), so the echo dropped it, though the resolver
    read it with the name. A family of one role has "1 role", not "1 roles"."""
    asked = corpus.ask("what is a people ops specialist")
    assert asked.text.startswith("I couldn't find a role matching “people ops specialist” in the handbook.")
    assert corpus.ask("how many people report to the chief happiness officer").text.startswith(
        "I couldn't find a role matching “chief happiness officer” in the handbook.")
    one = corpus.ask("talent acquisition roles")
    assert one.text.startswith("The *Talent Acquisition Leadership* family has 1 role:")


def test_letters_the_handbook_writes_mean_what_they_mean_there(corpus: Engine):
    """"AP specialist" answered *Agile-Planning Specialist*: "AP" was read off that title, though
    the accounting pages write AP for accounts payable and that page never does. Letters a page
    writes in capitals keep only the readings of names on such pages ("AR": accounts receivable,
    not associate recruiter); letters no page writes ("TMM") are still read off the titles."""
    asked = corpus.ask("what is the grade of an AP specialist")
    assert (asked.status, asked.roles) == ("not_found", [])
    assert "Agile-Planning" not in asked.text
    assert corpus.ask("what grade is the AR associate").text.startswith("*Accounts Receivable Associate* is grade 5.")
    assert corpus.ask("what does a TMM do").roles == ["Technical Marketing Manager"]


def test_us_and_it_are_name_words_beside_a_name_and_a_name_split_by_to_the_is_whole(corpus: Engine):
    """"what grade is the payroll analyst, US" asked which payroll analyst: "us" was the pronoun,
    as in "tell us". Beside a name's words it is the name's. "interview process for chief of staff to
    the cfo" answered the CFO: "process" (a name word too) kept the two halves of the name apart."""
    assert corpus.ask("what grade is the payroll analyst, US").text.startswith("*Payroll Analyst, US* is grade 6.")
    assert corpus.ask("can you tell us the grade of the payroll analyst, us").roles == ["Payroll Analyst, US"]
    assert corpus.ask("who does the application security engineer (us federal) report to").roles == [
        "Application Security Engineer (US Federal)"]
    asked = corpus.ask("interview process for chief of staff to the cfo")
    assert asked.roles == ["Chief of Staff to the CFO"]
    assert "Chief Financial Officer" not in asked.text


def test_a_section_named_for_a_part_of_the_page_is_that_parts_and_what_a_role_heading_says_of_a_missing_one_is_quoted(corpus: Engine):
    """On the Total Rewards page "Benefits Requirements", "Compensation Requirements" and "Leadership
    Requirements" each head their roles; the compensation analyst was given all three, the benefits
    ones first. And "has no responsibilities section" hid what the role's heading says of them."""
    comp = corpus.ask("requirements for the compensation analyst")
    # a loose list (a blank line between its items) is still a list: each line keeps its bullet
    assert "\n• Experience working with external survey data sources such as Radford or Comptryx.\n" in comp.text
    assert "Benefits Broker" not in comp.text and "Benefit role" not in comp.text
    assert "Benefits Broker" in corpus.ask("what are the requirements for a benefits coordinator").text
    director = corpus.ask("requirements of the director, total rewards").text
    assert "Global Compensation role" not in director and "Benefits Broker" not in director
    # sections not named for a part stay the family's, all of them
    both = corpus.ask("hiring process for field marketing specialist").text
    assert "first interview with the Manager, Field Marketing North America" in both
    assert "first interview with the Manager, Field Marketing EMEA" in both
    missing = corpus.ask("responsibilities of the compensation analyst")
    assert missing.status == "not_documented"
    assert missing.text.startswith(
        "The handbook page for *Compensation Analyst* has no responsibilities section; under its heading it says:\n"
        "> The responsibilities for a Compensation Analyst will be added at the time of a business need for this role.")


def test_a_word_typed_twice_by_an_acronym_is_the_name_typed_in_that_order(corpus: Engine):
    """"manager csm" reads "manager customer success manager": *Manager, CSM* typed in its own word
    order (its key has the word once), not a choice with *Customer Success Manager (CSM)*. "csm
    manager", the word twice in a row, is the manager of those: the one name with "manager" twice."""
    assert corpus.ask("who does the manager csm report to").roles == ["Manager, CSM"]
    assert corpus.ask("sr manager, csm requirements").roles == ["Senior Manager, CSM"]
    assert corpus.ask("who does the csm manager report to").roles == ["Manager, CSM"]


def test_specialties_a_page_describes_without_making_them_roles_are_given(corpus: Engine):
    """The Tax page's "## Specialties" lists Domestic and International, each a list and no sections
    of its own, so no roles: "what specialties does the tax team have" said it found none. They
    are specialty text now, given with their lines; one a question names is given alone."""
    tax = corpus.ask("what specialties does the tax team have")
    assert (tax.intent, tax.status) == ("specialties", "answered")
    assert tax.text.startswith("The *Tax* page describes 2 specialties:\n*Domestic*\n• Primary focus on US direct and/or indirect tax")
    assert "*International*\n• Primary focus on international tax" in tax.text
    onboarding = corpus.ask("what does the onboarding specialty involve in L&D")
    assert onboarding.text.startswith("Yes, the *Learning & Development* page describes *Onboarding*:\n*Onboarding*\n")
    assert "Career Mobility" not in onboarding.text
    none = corpus.ask("is there a transfer pricing specialty for tax")
    assert none.status == "not_documented"
    assert none.text.startswith("The *Tax* page describes no specialty for “transfer pricing”. Its specialties:\n• *Domestic*\n• *International*")
    # a specialty with sections of its own is still a role of the page
    assert "[Backend Engineering (Database)]" in corpus.ask("what are the specialties of backend engineer").text


def test_half_grades_and_several_grades_within_a_family(corpus: Engine):
    """"what is a grade 9.5" listed the grade 9 roles: the number was read up to its point. "grade 6
    and 7 roles in tax" listed every grade 6 and 7 role in the handbook: the scope was dropped for
    several grades. "is X grade 6 or 7" is one yes or no."""
    half = corpus.ask("what is a grade 9.5")
    assert half.text.startswith("1 role is at grade 9.5:\n• [Principal Pricing Manager]")
    assert corpus.ask("grade 9.5 and above in product").text.startswith("9 roles are at grade 9.5 or higher in the *Product* department:")
    assert corpus.ask("is the principal pricing manager above grade 9").text.startswith(
        "Yes: *Principal Pricing Manager* is grade 9.5, above grade 9.")
    tax = corpus.ask("grade 6 and 7 roles in tax")
    assert tax.text.startswith("1 role is at grade 6 in the *Tax* family:")
    assert "1 role is at grade 7 in the *Tax* family:\n• [Senior Tax Analyst]" in tax.text
    assert "Alliances" not in tax.text
    assert corpus.ask("is the senior tax analyst grade 6 or 7").text.startswith("Yes: *Senior Tax Analyst* is grade 7.")


def test_where_a_role_sits_in_the_org_is_who_it_reports_to(corpus: Engine):
    asked = corpus.ask("where does the ux research operations coordinator sit in the org")
    assert asked.intent == "reports_to"
    assert asked.text.startswith("*UX Research Operations Coordinator (Intermediate)* reports to *UX Research Director*.")


def test_what_a_role_leads_to_and_roles_that_need_something_are_asked_as_such(corpus: Engine):
    """"can the staff red team engineer move into management" is the career ladder, not its
    requirements; "roles that require spanish" looked for a role named Spanish; "what jobs need a
    bachelor's degree in accounting" listed all 627 roles; "find roles about onboarding" searched
    for "roles about onboarding"."""
    ladder = corpus.ask("can the staff red team engineer move into management")
    assert (ladder.intent, ladder.roles[:1]) == ("career_ladder", ["Staff Red Team Engineer"])
    assert corpus.ask("how do I become a senior director of renewals").intent == "requirements"
    spanish = corpus.ask("roles that require spanish")
    assert (spanish.intent, spanish.text) == ("search", "No role's page mentions “spanish”.")
    degree = corpus.ask("what jobs need a bachelor's degree in accounting")
    assert degree.intent == "search" and degree.text.startswith("4 roles match “bachelor's degree in accounting”")
    assert corpus.ask("find roles about onboarding").text.startswith("45 roles match “onboarding”")


def test_six_letter_swaps_and_a_misspelled_vice_president_are_read(corpus: Engine):
    """"senoir" (one swap of "senior") and "vice preisdent" found no role: a swap in six letters
    fell under the spelling cutoff, and "vice president" is read as the names' "vp" only when spelled
    right. A six-letter word with another letter changed is still no name's ("stuff engineer")."""
    assert corpus.ask("who does the senoir tax analyst report to").roles == ["Senior Tax Analyst"]
    assert corpus.ask("what grade is the vice preisdent of ux").roles == ["Vice President of UX"]
    assert corpus.ask("what grade is a stuff engineer").status == "not_found"


def test_a_comparison_names_the_side_that_is_not_in_the_handbook(corpus: Engine):
    """"senior tax analyst vs chief happiness officer" said it found no “senior tax analyst chief
    happiness officer”: the two sides were echoed as one name."""
    asked = corpus.ask("senior tax analyst vs chief happiness officer")
    assert (asked.intent, asked.status) == ("compare", "not_found")
    assert asked.text.startswith("I couldn't find a role matching “chief happiness officer” in the handbook.")
    assert corpus.ask("difference between csm and tam").text.startswith(
        "I couldn't find a role matching “tam” (technical account manager) in the handbook.")


def test_an_extends_naming_the_pages_role_by_its_initials_inherits_what_that_role_has(corpus: Engine):
    """"Extends that of the AVP Requirements" on the Area Vice President page named no role, so the
    public sector AVP's requirements lacked the base ones ("$20m+ ACV annual quota"). Initials of
    one role of the page name it; a role with no section of its own passes on its family's."""
    asked = corpus.ask("avp public sector requirements")
    assert asked.roles == ["Area Vice President (Public Sector)"]
    assert "• Extends that of the AVP Requirements\n    Inherited from Area Vice President:\n" in asked.text
    assert "$20m+ ACV annual quota" in asked.text


def test_a_high_degree_of_accuracy_is_no_degree(corpus: Engine):
    """"does the associate EBA need a degree" answered yes, quoting "a high degree of accuracy"."""
    associate = corpus.ask("does the associate EBA need a degree")
    assert associate.text.startswith("The requirements of *Executive Business Administrator (Associate)* don't mention “degree”.")
    assert corpus.ask("does the senior EBA need a degree").text.startswith(
        "Yes, the requirements of *Senior Executive Business Administrator* mention “degree”:\n• Bachelor's’ Degree preferred.")


def test_a_table_acronym_is_masked_as_the_role_and_a_different_word_of_the_work_is_another_role(corpus: Engine):
    """"what skills does an ASM need" answered that the requirements don't mention “ASM”: the
    router masked no role, since the resolver read "ASM" as "area sales manager" and the names'
    tokens are singular ("sale"); the seeds' "What skills does an ISR need?" likewise. "who reports to the senior director of legal" answered
    for *Senior Director, ESG*: "legal" in the place of "ESG" scored 90, as a typo would. It is
    another role; no page defines it, and the roles whose reports-to name it are the answer."""
    legal = corpus.ask("who reports to the senior director of legal")
    assert legal.text.startswith("No page defines *Senior Director of Legal*, but these roles report to it:")
    assert "Associate Paralegal" in legal.text and "ESG" not in legal.text
    # two titles joined by "or" are two managers, answered on one line
    assert corpus.ask("who does the paralegal report to").text.startswith(
        "*Paralegal* reports to *Director of Legal* or *Senior Director of Legal*.\n"
        "> The Paralegal reports to the Director of Legal, or Senior Director of Legal.")
    asm = corpus.ask("what skills does an ASM need")
    assert asm.text.startswith("Requirements of *Area Sales Manager*:\n• Demonstrated progressive experience in field sales")


def test_the_one_who_does_the_work_beside_its_field_names_the_role(corpus: Engine):
    """"requirements for a security researcher" found no role: "researcher" is a name word (UX
    Researcher) and no name has both words. Beside "security", the researcher is who does security
    research: the Security Research roles are asked about. Alone, "sourcer" is still no role."""
    asked = corpus.ask("what are the requirements for a security researcher")
    assert asked.status == "ambiguous"
    assert {c.role for c in asked.choices} >= {"Staff Security Research Engineer", "Senior Security Research Engineer"}
    assert corpus.ask("what does a sourcer do").status == "not_found"


def test_a_role_with_no_duties_listed_is_described_from_its_own_text(corpus: Engine):
    """"what does a growth pm do" said only that the page has no responsibilities section; the page
    says what the role is under its heading, and that is quoted (still ``not_documented``)."""
    asked = corpus.ask("what does a growth pm do")
    assert asked.status == "not_documented"
    assert asked.text.startswith("The handbook page for *Growth Product Manager* has no responsibilities section; it describes the role:\n"
                                 "> Growth Product Managers help us grow our customer base")


def test_a_second_section_of_a_kind_under_its_own_heading_is_labelled(corpus: Engine):
    """The Manager, Payroll's requirements ran on into the US and the International payroll
    requirements with nothing to tell them apart; each part now opens with its own heading."""
    text = corpus.ask("requirements for the manager, payroll").text
    us = text.index("US Payroll Requirements:\n• Experience with full-cycle payroll")
    international = text.index("International Payroll (EMEA, APAC, LATAM) Requirements:\n• Experience with international payroll")
    assert text.index("• 7+ years experience in payroll administration") < us < international


def test_a_page_titled_with_a_job_whose_levels_are_written_short_has_the_title_as_a_role(corpus: Engine):
    """The Service Engineer page has "Senior Service Engineer" and "Staff Engineer": the second
    left out "Service", so the title was not taken for a role, and "service engineer hiring
    process" asked which of the two. A level written short is a level of the title, and also
    answers to the full name ("staff service engineer")."""
    asked = corpus.ask("service engineer hiring process")
    assert (asked.status, asked.roles) == ("not_documented", ["Service Engineer"])
    assert corpus.ask("what does a service engineer do").text.startswith(
        "*Service Engineer* has no responsibilities of its own; the *Service Engineer* family's responsibilities apply to it:")
    assert corpus.ask("what does a staff service engineer do").roles == ["Staff Engineer"]


def test_a_did_you_mean_has_most_of_the_words_of_the_work_asked(corpus: Engine):
    """"what does an SDR do" offered the *VP of Development*: one word of "sales development
    representative", near by spelling. A name offered has most of the words of the work asked
    (a word's kin counts: "account" / "accounting"); none is better than a wrong one."""
    sdr = corpus.ask("what does an SDR do")
    assert sdr.status == "not_found" and "Did you mean" not in sdr.text
    assert "Did you mean *Senior Director, Renewals*?" in corpus.ask("who does the renewals mgr report to").text


def test_a_pasted_link_to_a_role_asks_about_that_role(corpus: Engine):
    """"what's the grade for https://…/tax/#manager-tax" looked for a role named by the address's
    words. A link to a handbook page asks about the role at its anchor, or the page's family;
    Slack's "<url|label>" too; a link to another site stays text."""
    tax = "https://about.gitlab.com/job-families/finance/tax/"
    assert corpus.ask(f"what's the grade for {tax}#manager-tax").text.startswith("*Manager, Tax* is grade 8.")
    assert corpus.ask(f"who does <{tax}#senior-tax-analyst|this role> report to").roles == ["Senior Tax Analyst"]
    assert corpus.ask(f"what roles are on <{tax}>").text.startswith("The *Tax* family has 9 roles:")
    assert corpus.ask("who does <https://example.com/x> report to").status == "not_found"


def test_shorthand_question_words_are_read(corpus: Engine):
    """"whos the mgr of the senior tax analyst" and "what lvl is a staff red team engineer" were
    overviews; "promo path for junior tax analyst" too."""
    assert corpus.ask("whos the mgr of the senior tax analyst").intent == "reports_to"
    assert corpus.ask("what lvl is a staff red team engineer").text.startswith("*Staff Red Team Engineer* is grade 8.")
    assert corpus.ask("promo path for junior tax analyst").intent == "career_ladder"


def test_a_misspelled_reporting_line_is_quoted_not_read(corpus: Engine):
    """"The Senior Tax Analyst resorts to the Manager, Tax": the page states no reporting line, and
    the answer said only that; it quotes the line, leaving the reading to the asker."""
    asked = corpus.ask("who does the senior tax analyst report to")
    assert asked.status == "not_documented"
    assert asked.text.startswith("The handbook page for *Senior Tax Analyst* doesn't say who it reports to; about reporting it says:\n"
                                 "> The Senior Tax Analyst resorts to the Manager, Tax.")


def test_role_headings_inside_the_family_indicators_are_those_roles_indicators(corpus: Engine):
    """The Legal Counsel page lists its indicators under "## Performance Indicators" as
    "### Legal Counsel (Commercial)" and a list: "KPIs for legal counsel commercial" said the page
    has none (the list was the role's overview). And the specialties it describes under
    "## Specialties" ("### Product and Privacy") are those roles' text, and listed as specialties."""
    kpis = corpus.ask("what are the KPIs for legal counsel commercial")
    assert kpis.status == "answered" and kpis.roles == ["Legal Counsel (Commercial)"]
    assert kpis.text.startswith("Performance indicators of *Legal Counsel (Commercial)*:\n"
                                "• Engage in creation of applicable internal SLAs and drive efficiency to meet such standards\n")
    duties = corpus.ask("what does the legal counsel employment emea do")
    assert "under its heading it says:\nThe Legal Counsel, Employment - EMEA collaborates with clients" in duties.text
    assert "#employment---emea" in duties.text
    listed = corpus.ask("what specialties does legal counsel have")
    assert listed.text.startswith("The *Legal Counsel* page lists 3 specialties:\n")
    assert "Legal Counsel (Privacy and Product)" in listed.text
    # a role's own part of the page put inside an indicators heading by its level is still its own
    assert corpus.ask("what grade is the senior sales commissions analyst").text.startswith("*Senior Sales Commissions Analyst* is grade 7.")


def test_specialties_for_x_roles_are_specialties_and_the_family_s_hiring_process_is_the_family_s(corpus: Engine):
    """The Security Engineer page lists its specialties under "## Specialties for Security Engineer
    roles" (they were read as unknown sections) and its "## Security Engineer Hiring Process" went to
    *Intermediate Security Engineer*, whose alias is the family's name, so a senior had none. And
    "is there a red team specialty for the security engineer" asked "which one?" with one choice."""
    listed = corpus.ask("what specialties does the security engineer family have")
    assert "lists 8 specialties:\n• [Security Architect](" in listed.text
    assert "\n• [Red Team](https://about.gitlab.com/job-families/engineering/security-engineer/#red-team)\n" in listed.text
    red = corpus.ask("is there a red team specialty for the security engineer")
    assert red.status == "answered" and red.text.startswith("Yes, *Intermediate Security Engineer* is on the *Security Engineer* page, which lists *Red Team*.")
    steps = corpus.ask("what is the interview process for a principal security engineer")
    assert steps.text.startswith("*Principal Security Engineer* has no hiring process of its own; the *Security Engineer* family's hiring process applies to it:\n")
    assert "• 60 Minute Interview with Director of Security or VP of Security, or both" in steps.text


def test_a_level_that_shares_the_same_requirements_as_another_inherits_them(corpus: Engine):
    """"Senior recruiters share the same requirements as the Intermediate recruiter listed above,
    but also carry the following:" was quoted with the six additions only; it is an Extends of
    *Recruiter (Intermediate)*, as "... shares the same responsibilities and requirements as the Open
    Source Program Manager listed above" is of that role."""
    senior = corpus.ask("what are the requirements for the senior recruiter").text
    assert "but also carry the following:\n    Inherited from Recruiter (Intermediate):\n" in senior
    assert "    • Proven success in recruiting and filling technical positions\n" in senior
    assert "1. 5 plus years recruiting experience" in senior
    osp = corpus.ask("what are the responsibilities of the senior open source program manager").text
    assert "Inherited from Open Source Program Manager:\n    • Identify and cultivate strategic relationships" in osp


def test_a_list_under_a_specialties_heading_is_the_specialties(corpus: Engine):
    """"## Functional Specialties" then "- Product: provide insights for growth, ..." on the
    Analytics and Insights page was read as the family's overview: no specialties were found."""
    listed = corpus.ask("what are the functional specialties for analytics and insights")
    assert listed.text.startswith("The *Analytics and Insights* page describes 6 specialties:\n*Go-to-market*\n")
    one = corpus.ask("is there a product specialty for the analytics and insights analyst")
    assert one.status == "answered"
    assert one.text.startswith("Yes, *Analytics and Insights Analyst* is on the *Analytics and Insights* page, which describes *Product*:\n"
                               "*Product*\n• provide insights for growth, product managers and pricing teams.\n")
    assert "#functional-specialties" in one.text


def test_a_pay_grade_is_the_job_grade(corpus: Engine):
    """"what is the pay grade for the vp of revenue ops" said the page doesn't state pay: a pay or
    salary grade is the job grade; a pay band, a salary or "how much" is still pay."""
    asked = corpus.ask("what is the pay grade for the vp of revenue ops")
    assert asked.status == "answered" and asked.text.startswith("*Vice President, Revenue Operations* is grade 12.")
    assert corpus.ask("salary grade of the manager, it").text.startswith("*Manager, IT* is grade 8.")
    assert corpus.ask("what pay band is the vp of revenue operations").status == "not_documented"
    assert corpus.ask("how much does a manager, it make").text.startswith("The handbook page for *Manager, IT* doesn't state pay.")


def test_a_word_typed_twice_names_the_role_that_has_it_twice(corpus: Engine):
    """"what grade is the manager of alliances partner managers" answered for *Alliances Partner
    Manager* (grade 6), whose name (with a plural) is typed inside the question; the role asked
    about is *Manager, Alliances Partner Managers* (grade 8)."""
    assert corpus.ask("what grade is the manager of alliances partner managers").text.startswith("*Manager, Alliances Partner Managers* is grade 8.")
    assert corpus.ask("mgr, alliances partner managers grade").roles == ["Manager, Alliances Partner Managers"]
    assert corpus.ask("who does the alliances partner manager report to").roles == ["Alliances Partner Manager"]


def test_a_role_s_own_words_do_not_route_and_vice_president_is_masked_whole(corpus: Engine):
    """"executive search hiring steps" was a search for "hiring steps" ("search {topic}" fit the
    unmasked question on the role's own word), and "vice president of ux level" an overview: the
    mask took "ux" alone, leaving "vice president of" beside {role}."""
    steps = corpus.ask("executive search hiring steps")
    assert steps.intent == "interview_steps" and steps.roles == ["Executive Search"]
    level = corpus.ask("vice president of ux level")
    assert level.intent == "grade" and level.roles == ["Vice President of UX"]
    assert corpus.ask("search Figma").intent == "search"  # no role resolved: "search" is the question's word


def test_a_family_s_reporting_line_is_quoted_with_its_link_label(corpus: Engine):
    """"This job family reports to the [IT Manager](...)" was quoted as "This job family reports to
    the 0." (the parser's stand-in for the link), in the reports-to and the direct-reports answers."""
    asked = corpus.ask("who does the senior it systems engineer report to")
    assert "> This job family reports to the IT Manager." in asked.text
    reports = corpus.ask("how many direct reports does the manager, it have")
    assert "“This job family reports to the IT Manager.”" in reports.text and "the 0." not in reports.text
    for page in sorted(CORPUS.glob("*.md")):
        parsed, _ = parse_page(page)
        if parsed:
            assert not any("\x01" in r.sentence or "\x02" in r.sentence for r in parsed.reports), page.name


def test_the_levels_of_a_one_role_page_are_that_role_and_phrase_words_are_not_name_words(corpus: Engine):
    """"executive assistant levels" listed all 628 roles of the handbook (a page of one role has no
    family to list). And "technical accounting interview process" read *technical accounting* as
    "accounting" alone (a choice of eight accounting roles): "process" was taken for a word of
    *Director of Business Process Automation*'s name."""
    levels = corpus.ask("executive assistant levels")
    assert levels.text.startswith("The *Executive Assistant* family has 1 role:\n• [Executive Assistant](")
    steps = corpus.ask("technical accounting interview process")
    assert steps.status == "answered" and steps.text.startswith(
        "All 3 roles that match get the same answer (*Manager, Technical Accounting*, *Director, Technical Accounting*, "
        "*Senior Director, Technical Accounting*):\nCandidates for this position")
    assert corpus.ask("who does the director of business process automation report to").roles == ["Director of Business Process Automation"]


def test_which_of_two_roles_ranks_higher_is_answered_by_their_grades(corpus: Engine):
    """"is a staff data engineer above a senior data engineer" and "which is higher, senior recruiter
    or lead recruiter" gave one role's overview; "is the senior tax analyst a 7?" too."""
    above = corpus.ask("is a staff data engineer above a senior data engineer")
    assert above.intent == "compare" and above.text.startswith(
        "*Staff Data Engineer* ranks higher: grade 8, against grade 7 for *Senior Data Engineer*.\n")
    higher = corpus.ask("which is higher, senior recruiter or lead recruiter")
    assert higher.text.startswith("*Lead Recruiter* ranks higher: grade 8, against grade 7 for *Senior Recruiter*.\n")
    assert corpus.ask("which role is above senior recruiter").intent == "career_ladder"  # one role: its ladder
    assert corpus.ask("is the senior tax analyst a 7?").text.startswith("*Senior Tax Analyst* is grade 7.")


def test_a_section_that_points_at_the_requirements_above_inherits_them(corpus: Engine):
    """"The Junior Data Analyst Requirements extend the Requirements section above" stopped the
    chain of Extends there, so "is sql required for the data analyst" said no; "This role includes
    all of the requirements above, plus:" (Senior IT Compliance Engineer), on a page whose levels
    each have their own, inherits the nearest role's above. A line that only mentions them ("5 years
    ... related to the responsibilities listed above") inherits nothing."""
    sql = corpus.ask("is sql required for the data analyst")
    assert sql.status == "answered" and sql.text.startswith('Yes, the requirements of *Data Analyst (Intermediate)* mention “sql”:')
    assert "        Inherited from Data Analytics (all roles):\n" in sql.text
    senior = corpus.ask("requirements for the senior it compliance engineer").text
    assert "This role includes all of the requirements above, plus:\n    Inherited from IT Compliance Engineer:\n" in senior
    page, _ = parse_page(CORPUS / "marketing--frontend-engineer-marketing.md")
    assert not any("responsibilities listed above" in e.text for e in page.extends)


def test_the_size_of_a_team_is_quoted_from_the_page_s_span_of_control(corpus: Engine):
    """"how many people does the manager, support engineering manage" listed its duties, none of
    which says; the page's "## Span of Control in Support Management Positions" does. Asked how
    big a role's team is, the answer adds the lines that size it from outside the section shown."""
    asked = corpus.ask("how many people does the manager, support engineering manage")
    assert asked.intent == "responsibilities"
    assert "\nAbout its team its page also says:\n> Support Managers: ~10 Intermediate and Senior Support Engineers\n" in asked.text
    plain = corpus.ask("what does the manager, support engineering do")
    assert "About its team" not in plain.text
    counted = corpus.ask("how many people report to the director of product management").text
    assert "\nAbout its team its page says:\n> This role typically manages 4-6 direct reports" in counted


def test_what_comes_before_a_role_is_the_step_down(corpus: Engine):
    """"what comes before the senior recruiter" gave the next roles up (Lead Recruiter, Manager,
    Recruiting): the question asks the step down."""
    before = corpus.ask("what comes before the senior recruiter")
    assert before.intent == "career_ladder" and before.text.startswith(
        "The roles one step below *Senior Recruiter* (grade 7) in the *Recruiting* family, by grade:\n• [Recruiter (Intermediate)](")
    assert "Lead Recruiter" not in before.text
    assert corpus.ask("which role is below the staff data engineer").text.startswith(
        "The roles one step below *Staff Data Engineer* (grade 8) in the *Data Engineering* family, by grade:\n• [Senior Data Engineer](")
    assert corpus.ask("what is the level before junior tax analyst").status == "not_documented"
    assert "Lead Recruiter" in corpus.ask("what comes after the senior recruiter").text


def test_a_possessive_acronym_is_still_the_acronym_and_little_words_may_be_misspelled(corpus: Engine):
    """"who's the tam's manager" answered for *Manager, Technical Accounting* (no TAM is in the
    handbook: "account" read as "accounting"), while "who does the tam report to" said not found:
    the acronym's words were only counted as typed without the possessive. "who does teh senior
    paralegal reprot to" was not found ("teh")."""
    for asked in ("who's the tam's manager", "who do TAMs report to"):
        answer = corpus.ask(asked)
        assert answer.status == "not_found" and "Did you mean *Manager, Technical Accounting*?" in answer.text
    assert corpus.ask("who does teh senior paralegal reprot to").roles == ["Senior Paralegal"]
    assert corpus.ask("waht grade is the staff data engineer").text.startswith("*Staff Data Engineer* is grade 8.")


def test_with_no_role_named_a_tie_with_search_is_a_search(corpus: Engine):
    """"who is responsible for SOX compliance" asked whether it was a search or a role's
    responsibilities: no role was named, so only the search can answer."""
    asked = corpus.ask("who is responsible for SOX compliance")
    assert asked.intent == "search" and asked.text.startswith("20 roles mention “SOX compliance”:")


def test_a_heading_that_names_both_kinds_is_both_sections(corpus: Engine):
    """"#### Associate Solutions Architect Responsibilities & Requirements" was only the
    responsibilities, so "requirements for the associate solutions architect" said the page has
    none; its line "has the same responsibilites and requirements as a Solutions Architect" (sic)
    now extends each section with that role's own kind."""
    needs = corpus.ask("what are the requirements for the associate solutions architect").text
    assert needs.startswith("Requirements of *Associate Solutions Architect*:\nThe Associate Solutions Architect has the same")
    assert "    Inherited from Solutions Architect:\n    • Technical presentation and communication skills\n" in needs
    does = corpus.ask("responsibilities of the associate solutions architect").text
    assert "    Inherited from Solutions Architect:\n    • Engage with customers, both onsite and remote" in does
    assert "Technical presentation and communication skills" not in does
