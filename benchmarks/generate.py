"""A large, realistic handbook corpus in the style of the real job-family pages, and the facts it states.

``python -m benchmarks.generate --families 1000 --seed 7 --out DIR`` writes ``DIR/pages/*.md``
(one job family a page, a few single-role pages) and ``DIR/facts.json``: every role the pages
define with its grade and reports-to target, and the benchmark questions, each phrased the way
recruiters type them (abbreviations, lower case, a few typos, other word orders) with the answer
the pages support: intent, status, the role(s) the answer is about and fact strings the answer's
text must contain.

Everything is derived from ``random.Random`` seeded with strings, so the same seed gives the same
bytes on any machine and Python version. The generator does not import the bot: the facts are what
the pages say, written down while writing the pages, not what the parser happens to read.

Page shape (the phrasings of the real pages in ``shared/corpus/gitlab-handbook`` and ``seeds/``):
front matter with ``title: "<Family> Roles"``; ``## <Role> Levels`` with ``### Associate X``,
``### X`` (or ``### X (Intermediate)``, or bare ``### Senior`` under the Levels heading),
``### Senior X``, ``### Staff X``, ``### Principal X``; ``## Manager, F Levels`` and
``## Director, F Levels`` (or ``## Management Levels`` with bare ``### Manager``); ``#### Job Grade``
with "The X is a [grade N](...)" or "The A & B are a [grade N](...)"; reports-to sentences ("The X
reports to the Y.", "This position reports to the [Y](#y).", "You will report to the Y and ...",
"Reporting to the Y, you will ..."); Responsibilities/Requirements lists with "Extends that of the
X Responsibilities" chains; family-wide ``## Responsibilities``/``## Requirements`` on some pages;
``## Specialties`` / ``### <Spec>`` / ``#### X (<Spec>) Responsibilities``; ``## Performance
Indicators``, ``## Career Ladder`` and ``## Hiring Process`` (a nested numbered list, or step
subheadings). About one page in twenty is a single-role page (its title is the role).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

GRADE_LINK = "/handbook/total-rewards/compensation/compensation-calculator/#gitlab-job-grades"

# Domain words: the part of the company a family works for ("Payments", "Partner").
# Kept clear of words the bot treats as question words or intents ("search", "team",
# "process", "success" ...) and of the bot's role acronyms ("sa", "pm", "ux").
PREFIXES = """
Payments Billing Partner Platform Revenue Identity Mobile Cloud Commerce Marketplace Fulfillment
Logistics Procurement Treasury Compliance Fraud Growth Pricing Enterprise Channel Regional Supplier
Catalog Messaging Checkout Subscription Lending Insurance Claims Merchant Storage Networking
Observability Localization Accessibility Brand Community Education Facilities Workplace Travel
Payroll Benefits Equity Vendor Contracts Privacy Integrations Ecosystem Geo Runner Pipeline Registry
Federal Healthcare Retail Hardware Firmware Robotics Wallet Ledger Trading Settlement Onboarding
Retention Loyalty Advertising Media Gaming Voice Video Maps Telemetry Edge Kubernetes Database
""".split()


@dataclass(frozen=True)
class Function:
    """A kind of work: the family's name after the domain word, the IC role noun, the department."""

    family: str
    noun: str
    dept: str


FUNCTIONS = [
    Function("Risk Operations", "Risk Operations Analyst", "Finance"),
    Function("Data Engineering", "Data Engineer", "Engineering"),
    Function("Program Management", "Program Manager", "Operations"),
    Function("Solutions Consulting", "Solutions Consultant", "Sales"),
    Function("Security Engineering", "Security Engineer", "Security"),
    Function("Site Reliability Engineering", "Site Reliability Engineer", "Infrastructure"),
    Function("Support Engineering", "Support Engineer", "Support"),
    Function("Account Management", "Account Manager", "Sales"),
    Function("Business Analysis", "Business Analyst", "Finance"),
    Function("Product Design", "Product Designer", "Product"),
    Function("Technical Writing", "Technical Writer", "Product"),
    Function("Sales Development", "Sales Development Representative", "Sales"),
    Function("Marketing Operations", "Marketing Operations Specialist", "Marketing"),
    Function("Financial Planning", "Financial Analyst", "Finance"),
    Function("Legal Operations", "Legal Operations Specialist", "Legal"),
    Function("Frontend Engineering", "Frontend Engineer", "Engineering"),
    Function("Backend Engineering", "Backend Engineer", "Engineering"),
    Function("Quality Engineering", "Quality Engineer", "Engineering"),
    Function("Data Science", "Data Scientist", "Engineering"),
    Function("Machine Learning", "Machine Learning Engineer", "Engineering"),
    Function("Developer Relations", "Developer Advocate", "Marketing"),
    Function("Technical Account Management", "Technical Account Manager", "Sales"),
    Function("Deal Desk", "Deal Desk Specialist", "Sales"),
    Function("Order Management", "Order Management Specialist", "Sales"),
    Function("Business Systems", "Business Systems Analyst", "Finance"),
    Function("Database Reliability", "Database Reliability Engineer", "Infrastructure"),
    Function("Incident Management", "Incident Manager", "Infrastructure"),
    Function("Sales Operations", "Sales Operations Analyst", "Sales"),
    Function("Enablement", "Enablement Program Manager", "Sales"),
    Function("Compensation", "Compensation Analyst", "People"),
    Function("Internal Audit", "Internal Auditor", "Finance"),
    Function("Tax", "Tax Analyst", "Finance"),
    Function("Solutions Architecture", "Solutions Architect", "Sales"),
    Function("Professional Services", "Professional Services Engineer", "Sales"),
    Function("Content Marketing", "Content Marketing Manager", "Marketing"),
    Function("Product Management", "Product Manager", "Product"),
    Function("User Research", "User Researcher", "Product"),
    Function("Release Management", "Release Manager", "Engineering"),
    Function("Threat Intelligence", "Threat Intelligence Analyst", "Security"),
    Function("Vulnerability Management", "Vulnerability Engineer", "Security"),
    Function("Recruiting", "Recruiter", "People"),
    Function("Customer Success", "Customer Success Manager", "Sales"),
    Function("Field Marketing", "Field Marketing Manager", "Marketing"),
    Function("Partner Marketing", "Partner Marketing Manager", "Marketing"),
    Function("Revenue Accounting", "Revenue Accountant", "Finance"),
    Function("Procurement", "Procurement Specialist", "Finance"),
    Function("Network Engineering", "Network Engineer", "Infrastructure"),
    Function("Analytics Engineering", "Analytics Engineer", "Engineering"),
]

SPECIALTIES = ["EMEA", "APAC", "Public Sector", "Channel", "Alliances", "Federal", "Mid-Market",
               "Commercial", "Strategic Accounts", "Self-Managed", "Americas", "Japan"]

# IC levels: (level word, grade); the Intermediate level has no word.
IC_LEVELS = [("Associate", 5), ("", 6), ("Senior", 7), ("Staff", 8), ("Principal", 9)]
MGMT_LEVELS = [("Manager", 8), ("Senior Manager", 9), ("Director", 10), ("Senior Director", 11)]
NUMBER_WORDS = {5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}

TOOLS = ["Salesforce", "Zuora", "Looker", "Tableau", "Snowflake", "dbt", "Jira", "Marketo", "Workday",
         "NetSuite", "Coupa", "Zendesk", "Gainsight", "Clari", "Outreach", "Kubernetes", "Terraform",
         "Prometheus", "Grafana", "BigQuery", "Airflow", "Figma", "Okta", "Greenhouse", "Adaptive Insights"]
OBJECTS = ["roadmap", "quarterly plan", "operating cadence", "dashboards", "runbooks", "forecast",
           "service level objectives", "playbooks", "data model", "audit trail", "escalation path",
           "onboarding guide", "launch checklist", "budget", "vendor reviews", "capacity plan",
           "documentation", "controls", "metrics", "intake process", "backlog", "release notes",
           "training curriculum", "compliance evidence", "incident reviews", "pricing guidance"]
PARTNERS = ["Finance", "Legal", "Product", "Engineering", "Sales leadership", "Marketing", "Security",
            "Customer Support", "Field Operations", "the Data team", "Procurement", "Revenue Operations"]
METRICS = ["cycle time", "accuracy", "adoption", "time to resolution", "net retention", "pipeline coverage",
           "cost per transaction", "uptime", "first response time", "forecast accuracy", "customer satisfaction",
           "defect escape rate", "days sales outstanding", "error budget burn"]

RESPONSIBILITY_TEMPLATES = [
    "Own the {d} {obj} and keep it current in the handbook",
    "Partner with {p} to improve {m} for {d}",
    "Build and maintain {d} {obj} in {t}",
    "Lead the weekly review of {d} {obj} with {p}",
    "Drive improvements to {m} across the {d} {fn} work",
    "Document and iterate on the {d} {obj}",
    "Identify gaps in the {d} {obj} and propose fixes to {p}",
    "Triage incoming {d} requests and route them to the right owner",
    "Maintain data integrity for {d} records in {t}",
    "Coach peers on the {d} {obj} and share best practices",
    "Analyze {m} trends for {d} and present findings to {p}",
    "Automate manual steps of the {d} {obj} using {t}",
    "Represent {d} {fn} in planning sessions with {p}",
    "Define the {d} {obj} for new markets together with {p}",
    "Run quarterly audits of the {d} {obj} and track remediation",
    "Evaluate new tools such as {t} for the {d} {obj}",
    "Support ad hoc analysis requests from {p} about {d} {m}",
    "Set goals for {m} in {d} and hold the work to them",
    "Mentor newer team members on {d} {fn} fundamentals",
    "Coordinate launches of {d} changes with {p}",
]
REQUIREMENT_TEMPLATES = [
    "Experience with {t} and with {d} {fn} work",
    "Demonstrated progressive experience in {fn} within a {d} environment",
    "Strong analytical skills and comfort measuring {m}",
    "Ability to explain {d} {obj} to {p} in plain words",
    "Working knowledge of {t} and {t2}",
    "Track record of improving {m} in a fast-paced company",
    "Excellent written and verbal communication with {p}",
    "Ability to prioritize several {d} projects with minimal supervision",
    "Familiarity with {d} regulations and {obj}",
    "Experience building {obj} from scratch for {d}",
    "Comfort working asynchronously across time zones with {p}",
    "Deep expertise in {fn} tooling, ideally {t}",
]
MANAGER_RESPONSIBILITIES = [
    "Hire, coach and grow a team of {d} {fn} specialists",
    "Set the direction of {d} {fn} and align it with {p}",
    "Own the {d} {fn} budget and headcount plan",
    "Run performance and career conversations for the {d} {fn} team",
    "Represent {d} {fn} in leadership reviews with {p}",
    "Build a hiring plan for {d} {fn} that scales with the business",
]
MANAGER_REQUIREMENTS = [
    "Experience managing a team of individual contributors in {fn}",
    "Demonstrated ability to hire and develop {fn} talent",
    "Proven ability to lead cross-functional {d} initiatives with {p}",
    "Experience setting and reporting on {m} goals for a team",
]
KPIS = ["{d} {m}", "{d} {fn} cost per unit", "Hiring plan attainment for {d} {fn}", "{d} {obj} completion",
        "Team member retention in {d} {fn}", "{d} {m} against plan"]
INTRO = [
    "The {F} job family supports {p} with the day to day work of {d} {fn}: {obj}, {m} and continuous improvement.",
    "Team members in {F} make sure {d} runs smoothly. They work closely with {p} and measure themselves on {m}.",
    "{F} owns the {d} {obj} end to end and partners with {p} to keep {m} healthy as we grow.",
]


# --------------------------------------------------------------------------- model


@dataclass
class GRole:
    """One role as the page states it."""

    name: str  # the canonical name a careful reader gives it (and what the bot should return)
    family: str
    page: str
    kind: str  # ic | mgmt | specialty | single
    level: str = ""
    grade: int | None = None
    reports_to: str | None = None  # canonical target name (a role, or e.g. "VP, Finance")
    reports_written: str | None = None  # the target as the sentence writes it
    responsibilities: list[str] = field(default_factory=list)  # own items (an Extends line excluded)
    requirements: list[str] = field(default_factory=list)
    resp_extends: str | None = None  # canonical name of the role whose responsibilities it extends
    req_extends: str | None = None
    aliases: list[str] = field(default_factory=list)  # other names the page uses for it


@dataclass
class GPage:
    path: str
    title: str
    family: str
    dept: str
    single: bool
    roles: list[GRole] = field(default_factory=list)
    hiring_steps: list[str] = field(default_factory=list)  # nested steps (facts)
    family_responsibilities: list[str] = field(default_factory=list)
    family_requirements: list[str] = field(default_factory=list)
    text: str = ""


def slug(text: str) -> str:
    """The anchor kramdown gives a heading."""
    text = text.lower()
    text = re.sub(r"[^a-z0-9 _-]", "", text)
    return re.sub(r"\s", "-", text.strip())


def file_slug(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def name_bag(name: str) -> str:
    """Word set of a name, order-free: two names with the same bag cannot be told apart by a user."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    return " ".join(sorted({_singular(w) for w in words if w not in ("the", "of", "and", "a", "an")}))


class Corpus:
    """Builds the pages and keeps the registry that makes every name unique."""

    def __init__(self, families: int, seed: int) -> None:
        self.n_families = families
        self.seed = seed
        self.pages: list[GPage] = []
        self.roles: dict[str, GRole] = {}
        self.bags: set[str] = set()

    def rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    # ------------------------------------------------------------------ names

    def combos(self) -> list[tuple[str, Function]]:
        combos = []
        for prefix in PREFIXES:
            for fn in FUNCTIONS:
                words = set(fn.family.lower().split()) | set(fn.noun.lower().split())
                if prefix.lower() in words:
                    continue  # "Revenue Revenue Accounting"
                combos.append((prefix, fn))
        self.rng("combos").shuffle(combos)
        return combos

    def claim(self, names: list[str]) -> bool:
        """Reserve names if none of them (as word bags) is taken yet."""
        bags = [name_bag(n) for n in names]
        if len(set(bags)) != len(bags) or any(b in self.bags for b in bags):
            return False
        self.bags.update(bags)
        return True

    # ------------------------------------------------------------------ text

    def fill(self, rng: random.Random, template: str, d: str, fn: str, F: str = "") -> str:
        t, t2 = rng.sample(TOOLS, 2)
        return template.format(d=d, fn=fn.lower(), F=F, obj=rng.choice(OBJECTS), p=rng.choice(PARTNERS),
                               m=rng.choice(METRICS), t=t, t2=t2)

    def items(self, rng: random.Random, templates: list[str], count: int, d: str, fn: str, used: set[str]) -> list[str]:
        out: list[str] = []
        order = rng.sample(templates, len(templates))  # no template twice in one list
        for template in order * 3:
            if len(out) >= count:
                break
            for _ in range(5):
                item = self.fill(rng, template, d, fn)
                if item not in used:
                    used.add(item)
                    out.append(item)
                    break
        return out

    # ------------------------------------------------------------------ building

    def build(self) -> None:
        combos = self.combos()
        n_single = max(1, self.n_families // 20) if self.n_families >= 10 else 0
        wanted_multi = self.n_families - n_single
        multi: list[tuple[str, Function]] = []
        single: list[tuple[str, Function]] = []
        for prefix, fn in combos:
            if len(multi) < wanted_multi:
                if self.claim(self.family_names(prefix, fn)):
                    multi.append((prefix, fn))
            elif len(single) < n_single:
                if self.claim([f"{prefix} {fn.noun}", f"{prefix} {fn.family}"]):
                    single.append((prefix, fn))
            else:
                break
        if len(multi) + len(single) < self.n_families:
            raise SystemExit(f"only {len(multi) + len(single)} distinct families can be generated; asked {self.n_families}")
        for i, (prefix, fn) in enumerate(multi):
            self.family_page(i, prefix, fn)
        for i, (prefix, fn) in enumerate(single):
            self.single_page(i, prefix, fn)
        self.pages.sort(key=lambda p: p.path)

    def family_names(self, prefix: str, fn: Function) -> list[str]:
        """Every name a family page could define (all levels and specialties), to reserve at once."""
        F = f"{prefix} {fn.family}"
        base = f"{prefix} {fn.noun}"
        names = [F]
        names += [f"{lvl} {base}".strip() for lvl, _ in IC_LEVELS]
        names += [f"{lvl}, {F}" for lvl, _ in MGMT_LEVELS]
        names += [f"{base} ({spec})" for spec in SPECIALTIES]
        return names

    def family_page(self, index: int, prefix: str, fn: Function) -> None:
        rng = self.rng("family", prefix, fn.family)
        F = f"{prefix} {fn.family}"
        base = f"{prefix} {fn.noun}"
        d = prefix
        dept_slug = file_slug(fn.dept)
        path = f"{dept_slug}--{file_slug(F)}.md"
        title_style = rng.random()
        title = f"{F} Roles" if title_style < 0.8 else (F if title_style < 0.92 else f"{F} Job Family")
        page = GPage(path=path, title=title, family=F, dept=fn.dept, single=False)
        used: set[str] = set()

        # which levels this family has (~8 roles)
        ic = [lv for lv in IC_LEVELS if not (lv[0] == "Associate" and rng.random() < 0.2) and not (lv[0] == "Principal" and rng.random() < 0.5)]
        mgmt = [lv for lv in MGMT_LEVELS if not (lv[0] == "Senior Director" and rng.random() < 0.6)]
        intermediate_style = rng.random()  # < .3: "X (Intermediate)"
        bare_levels = rng.random() < 0.15  # "### Senior" under "## X Levels"
        bare_mgmt = rng.random() < 0.1  # "### Manager" under "## Management Levels"
        shift = 1 if rng.random() < 0.15 else 0  # some families sit a grade higher
        pair_grade = rng.random() < 0.25  # "The Staff X & Manager, F are a grade 8"
        family_wide_req = rng.random() < 0.2  # ICs share the family's Requirements
        specialties = rng.sample([s for s in SPECIALTIES if s.lower() not in F.lower()], k=rng.choice([0, 0, 0, 1, 1, 2]))

        mgr = f"Manager, {F}"
        smgr = f"Senior Manager, {F}"
        director = f"Director, {F}"
        sdirector = f"Senior Director, {F}"
        has_sdir = any(lv[0] == "Senior Director" for lv in mgmt)
        vp = f"VP, {fn.dept}"

        roles: list[GRole] = []
        for lvl, grade in ic:
            if lvl:
                name = f"{lvl} {base}"
            else:
                name = f"{base} (Intermediate)" if intermediate_style < 0.3 else base
            role = GRole(name, F, path, "ic", level=lvl or "Intermediate", grade=grade + shift)
            if name.endswith("(Intermediate)"):
                role.aliases.append(base)
            role.reports_to = mgr
            roles.append(role)
        for lvl, grade in mgmt:
            name = f"{lvl}, {F}"
            role = GRole(name, F, path, "mgmt", level=lvl, grade=grade + shift)
            role.reports_to = {"Manager": smgr if rng.random() < 0.4 else director, "Senior Manager": director,
                               "Director": sdirector if has_sdir else vp, "Senior Director": vp}[lvl]
            roles.append(role)
        by_level = {r.level: r for r in roles}
        if "Staff" in by_level and "Manager" in by_level and by_level["Staff"].grade != by_level["Manager"].grade:
            pair_grade = False

        # sections
        for r in roles:
            mgr_like = r.kind == "mgmt"
            r.responsibilities = self.items(rng, MANAGER_RESPONSIBILITIES + RESPONSIBILITY_TEMPLATES if mgr_like else RESPONSIBILITY_TEMPLATES,
                                            rng.randint(4, 7), d, fn.family, used)
            if family_wide_req and r.kind == "ic":
                r.requirements = []
            else:
                r.requirements = self.items(rng, MANAGER_REQUIREMENTS + REQUIREMENT_TEMPLATES if mgr_like else REQUIREMENT_TEMPLATES,
                                            rng.randint(3, 6), d, fn.family, used)
        ics = [r for r in roles if r.kind == "ic"]
        for prev, cur in zip(ics, ics[1:]):
            if rng.random() < 0.75:
                cur.resp_extends = prev.name
            if cur.requirements and prev.requirements and rng.random() < 0.4:
                cur.req_extends = prev.name
        if "Senior Manager" in by_level and rng.random() < 0.7:
            by_level["Senior Manager"].resp_extends = mgr
        if "Senior Director" in by_level and rng.random() < 0.7:
            by_level["Senior Director"].resp_extends = director
        if family_wide_req:
            page.family_requirements = self.items(rng, REQUIREMENT_TEMPLATES, 6, d, fn.family, used)
        spec_roles: list[GRole] = []
        intermediate = next((r for r in ics if r.level == "Intermediate"), ics[0])
        for spec in specialties:
            role = GRole(f"{base} ({spec})", F, path, "specialty", level=spec)
            role.responsibilities = self.items(rng, RESPONSIBILITY_TEMPLATES, rng.randint(3, 5), f"{d} {spec}", fn.family, used)
            role.resp_extends = intermediate.name if rng.random() < 0.6 else None
            role.requirements = self.items(rng, REQUIREMENT_TEMPLATES, rng.randint(2, 4), f"{d} {spec}", fn.family, used)
            spec_roles.append(role)

        # hiring process
        hiring_style = rng.random()
        senior_ic = by_level.get("Senior", ics[-1]).name
        steps = [
            f"A {rng.choice([30, 45])} minute interview with the {mgr}",
            f"A {rng.choice([30, 45, 50])} minute peer interview with a {senior_ic}",
            f"A {rng.choice([60, 90])} minute {d.lower()} {fn.family.lower()} exercise reviewed by {rng.choice(PARTNERS)}",
            f"A final {rng.choice([30, 45])} minute interview with the {director}",
        ]
        if rng.random() < 0.5:
            steps.insert(3, f"A {rng.choice([25, 30])} minute conversation with {rng.choice(PARTNERS)} about {d.lower()} {rng.choice(OBJECTS)}")
        page.hiring_steps = steps

        # ---------------------------------------------------------------- write
        out: list[str] = []
        w = out.append
        desc = self.fill(rng, rng.choice(INTRO), d, fn.family, F)
        w("---")
        if rng.random() < 0.5:
            w("layout: job_family_page")
        w(f'title: "{title}"')
        w(f'description: "{desc.replace(chr(34), "")}"')
        if rng.random() < 0.5:
            w(f'canonical_path: "/job-families/{dept_slug}/{file_slug(F)}/"')
        w("---")
        w("")
        w(desc)
        w("")
        if family_wide_req:
            w("## Requirements")
            w("")
            for item in page.family_requirements:
                w(f"- {item}")
            w("")
        grade_line = lambda subj, g, verb="is": f"The {subj} {verb} a [grade {g}]({GRADE_LINK})."  # noqa: E731
        paired_manager = pair_grade and "Staff" in by_level and "Manager" in by_level

        def role_block(r: GRole, heading: str, level: int) -> None:
            h = "#" * level
            w(f"{h} {heading}")
            w("")
            written = r.reports_to or ""
            if r.reports_to == smgr and rng.random() < 0.3:
                written = f"Sr. Manager, {F}"
            r.reports_written = written
            style = rng.random()
            subject = r.name
            if style < 0.08 and len(subject) > 12:  # the page misspells its own role, as real pages do
                subject = _typo(rng, subject) or subject
            link_local = f"[{written}](#{slug(r.reports_to or '')})"
            if written.startswith("VP, "):
                link_local = f"[{written}](/job-families/{dept_slug}/vp-of-{file_slug(fn.dept)}/)"
            resp_bullet = False
            if style < 0.4:
                w(f"The {subject} reports to the {written}.")
            elif style < 0.6:
                w(f"This position reports to the {link_local}.")
            elif style < 0.75:
                w(f"You will report to the {written} and work closely with {rng.choice(PARTNERS)} on {d.lower()} {rng.choice(OBJECTS)}.")
            elif style < 0.9:
                w(f"Reporting to the {written}, you will {rng.choice(['own', 'shape', 'improve'])} the {d.lower()} {rng.choice(OBJECTS)}.")
            else:
                resp_bullet = True  # "X will report to Y" as the first responsibility (seed style)
            if not resp_bullet:
                w("")
            if r.grade is not None and not (paired_manager and r is by_level.get("Manager")):
                w(f"{h}# {r.name} Job Grade" if rng.random() < 0.4 else f"{h}# Job Grade")
                w("")
                if paired_manager and r is by_level.get("Staff"):
                    w(grade_line(f"{r.name} & {mgr}", r.grade, "are"))
                else:
                    w(grade_line(r.name, r.grade))
                w("")
            if r.responsibilities:
                short = rng.random() < (0.5 if bare_levels else 0.15)  # "#### Responsibilities" under the role
                w(f"{h}# Responsibilities" if short else f"{h}# {r.name} Responsibilities")
                w("")
                if resp_bullet:
                    w(f"- {r.name} will report to {written}")
                if r.resp_extends:
                    w(f"- Extends that of the {_extends_name(rng, r.resp_extends, roles)} Responsibilities")
                for item in r.responsibilities:
                    w(f"- {item}")
                w("")
            elif resp_bullet:
                w(f"The {r.name} reports to the {written}.")
                w("")
            if r.requirements:
                w(f"{h}# {r.name} Requirements")
                w("")
                if r.req_extends:
                    w(f"- Extends that of the {_extends_name(rng, r.req_extends, roles)} Requirements")
                for item in r.requirements:
                    w(f"- {item}")
                w("")

        w(f"## {base} Levels" if (bare_levels or rng.random() < 0.8) else "## Levels")
        w("")
        for r in ics:
            if bare_levels and r.level in ("Associate", "Senior", "Staff", "Principal"):
                role_block(r, r.level, 3)
            else:
                role_block(r, r.name, 3)
        mgmt_roles = [r for r in roles if r.kind == "mgmt"]
        if bare_mgmt:
            w("## Management Levels")
            w("")
            for r in mgmt_roles:
                role_block(r, r.level, 3)
        else:
            w(f"## {mgr} Levels")
            w("")
            for r in mgmt_roles:
                if r.level == "Director":
                    w(f"## {director} Levels")
                    w("")
                role_block(r, r.name, 3)
        if spec_roles:
            w("## Specialties")
            w("")
            for r in spec_roles:
                w(f"### {r.level}")
                w("")
                w(f"{base}s who specialize in {r.level} work with {r.level} customers and partners.")
                w("")
                w(f"#### {r.name} Responsibilities")
                w("")
                if r.resp_extends:
                    w(f"- Extends that of the {r.resp_extends} Responsibilities")
                for item in r.responsibilities:
                    w(f"- {item}")
                w("")
                w(f"#### {r.name} Requirements")
                w("")
                for item in r.requirements:
                    w(f"- {item}")
                w("")
        w("## Performance Indicators")
        w("")
        for kpi in rng.sample(KPIS, 3):
            text = self.fill(rng, kpi, d, fn.family)
            w(f"- [{text}](/handbook/{dept_slug}/performance-indicators/#{slug(text)})")
        w("")
        w("## Career Ladder")
        w("")
        if rng.random() < 0.3:
            w(f"The next step in the {F} job family is not yet defined at GitLab.")
        else:
            w(f"The next step for individual contributors in the {F} job family is to move to the {mgr} level, or to grow into a {next((r.name for r in ics if r.level in ('Staff', 'Principal')), ics[-1].name)}.")
        w("")
        w("## Hiring Process")
        w("")
        w("Candidates for this position can expect the hiring process to follow the order below. Please keep in mind that candidates can be declined from the position at any stage of the process. To learn more about someone who may be conducting the interview, find their job title on our [team page](/handbook/company/team/).")
        w("")
        if hiring_style < 0.85:
            w("- Selected candidates will be invited to schedule a 30 minute [screening call](/handbook/hiring/interviewing/#screening-call) with our Global Recruiters")
            w("- Next, candidates will be invited to the following interviews:")
            for step in steps:
                w(f"  1. {step}")
            w("- Successful candidates will subsequently be made an offer via video or phone")
        else:
            w("### Screening call")
            w("")
            w("Selected candidates will be invited to schedule a 30 minute screening call with our Global Recruiters.")
            w("")
            w("### Interviews")
            w("")
            for step in steps:
                w(f"1. {step}")
        w("")
        w("Additional details about our process can be found on our [hiring page](/handbook/hiring/).")
        w("")
        page.text = "\n".join(out)
        page.roles = roles + spec_roles
        for r in page.roles:
            self.roles[r.name] = r
        self.pages.append(page)

    def single_page(self, index: int, prefix: str, fn: Function) -> None:
        rng = self.rng("single", prefix, fn.family)
        name = f"{prefix} {fn.noun}"
        d = prefix
        path = f"jobs--{file_slug(name)}.md"
        page = GPage(path=path, title=name, family=name, dept=fn.dept, single=True)
        used: set[str] = set()
        role = GRole(name, name, path, "single", grade=rng.choice([6, 7, 8]))
        if rng.random() < 0.4:
            role.grade = None
        # a director of another family, or a VP that no page defines
        directors = [r for r in self.roles.values() if r.kind == "mgmt" and r.level == "Director"]
        role.reports_to = rng.choice(directors).name if directors and rng.random() < 0.6 else f"VP, {fn.dept}"
        role.reports_written = role.reports_to
        role.responsibilities = self.items(rng, RESPONSIBILITY_TEMPLATES, rng.randint(5, 8), d, fn.family, used)
        role.requirements = self.items(rng, REQUIREMENT_TEMPLATES, rng.randint(4, 7), d, fn.family, used)
        has_hiring = rng.random() < 0.6
        if has_hiring:
            page.hiring_steps = [
                f"A 30 minute interview with the {role.reports_to}",
                f"A {rng.choice([45, 60])} minute {d.lower()} {fn.family.lower()} case study with {rng.choice(PARTNERS)}",
            ]
        out: list[str] = []
        w = out.append
        w("---")
        w("layout: job_page")
        w(f'title: "{name}"')
        w("---")
        w("")
        w(f"As the {name}, you will play a critical role in {d.lower()} {fn.family.lower()}.")
        w("")
        target = role.reports_to
        if target.startswith("Director, "):
            owner = self.roles[target]
            target_md = f"[{target}](/job-families/{file_slug(self.page_dept(owner.page))}/{file_slug(owner.family)}/#{slug(target)})"
        else:
            target_md = target
        if rng.random() < 0.5:
            w(f"You will report to the {target_md} and will support {rng.choice(PARTNERS)} in a number of essential {d.lower()} tasks.")
        else:
            w(f"The {name} reports to the {target_md}.")
        w("")
        w("## Responsibilities")
        w("")
        for item in role.responsibilities:
            w(f"* {item}")
        w("")
        w("## Requirements")
        w("")
        for item in role.requirements:
            w(f"* {item}")
        w("")
        if role.grade is not None:
            w("## Job Grade")
            w("")
            w(f"The {name} is a [grade {role.grade}]({GRADE_LINK}).")
            w("")
        if has_hiring:
            w("## Hiring Process")
            w("")
            w("Applicants for this position can expect the hiring process to follow the order below.")
            w("")
            w("- Qualified candidates will be invited to schedule a 30 minute screening call with our Global Recruiters")
            w("- Next, candidates will be invited to:")
            for step in page.hiring_steps:
                w(f"  1. {step}")
            w("")
        page.text = "\n".join(out)
        page.roles = [role]
        self.roles[name] = role
        self.pages.append(page)

    def page_dept(self, path: str) -> str:
        return next(p.dept for p in self.pages if p.path == path)

    # ------------------------------------------------------------------ facts

    def edit_spec(self) -> dict:
        """One page change for the rebuild measurement: a responsibility item replaced by a new one."""
        page = next(p for p in self.pages if not p.single)
        role = next(r for r in page.roles if r.responsibilities)
        old = role.responsibilities[0]
        new = f"Own the benchmark edit checklist for {page.family} (changed by the one-page rebuild)"
        return {"page": page.path, "old": f"- {old}", "new": f"- {new}", "role": role.name,
                "question": f"responsibilities of the {role.name}", "fact": new}

    def page_of(self, role: GRole) -> GPage:
        return self._pages_by_path[role.page]

    def effective(self, role: GRole, kind: str) -> tuple[list[str], bool]:
        """Items a complete answer shows for the role: own and inherited (transitively), else the family's."""
        def own(r: GRole) -> list[str]:
            return r.responsibilities if kind == "responsibilities" else r.requirements

        def parent(r: GRole) -> str | None:
            return r.resp_extends if kind == "responsibilities" else r.req_extends

        if not own(role) and not parent(role):
            page = self.page_of(role)
            return list(page.family_responsibilities if kind == "responsibilities" else page.family_requirements), True
        items = list(own(role))
        seen = {role.name}
        ext = parent(role)
        while ext and ext not in seen:
            seen.add(ext)
            items += own(self.roles[ext])
            ext = parent(self.roles[ext])
        return items, False

    def direct_reports(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for r in self.roles.values():
            if r.reports_to and r.reports_to in self.roles:
                out.setdefault(r.reports_to, []).append(r.name)
        return out

    def questions(self, count: int) -> list[dict]:
        self._pages_by_path = {p.path: p for p in self.pages}
        rng = self.rng("questions")
        reports = self.direct_reports()
        roles = sorted(self.roles.values(), key=lambda r: r.name)
        families = [p for p in self.pages if not p.single]
        kinds = [("reports_to", 17), ("direct_reports", 9), ("grade", 15), ("grade_in_family", 8), ("interview_steps", 12),
                 ("responsibilities", 17), ("requirements", 15), ("not_documented", 4), ("not_found", 3)]
        names, weights = zip(*kinds)
        out: list[dict] = []
        attempts = 0
        while len(out) < count and attempts < count * 20:
            attempts += 1
            kind = rng.choices(names, weights)[0]
            q = None
            for _ in range(300):  # rejection-sample a role that fits the kind, so the mix stays as weighted
                q = self.question(rng, kind, roles, families, reports)
                if q is not None:
                    break
            if q is not None:
                q["id"] = len(out) + 1
                out.append(q)
        return out

    def question(self, rng: random.Random, kind: str, roles: list[GRole], families: list[GPage], reports: dict[str, list[str]]) -> dict | None:
        role = rng.choice(roles)
        typed = user_name(rng, role.name)

        def make(intent: str, status: str, text: str, expect_roles: list[str], facts: list[str], subject: str | None) -> dict:
            return {"question": text, "kind": kind, "intent": intent, "status": status, "role": subject,
                    "roles": expect_roles, "facts": facts, "page": role.page if subject else None,
                    "family": role.family if subject else None}

        if kind == "reports_to":
            if not role.reports_to:
                return None
            tpl = rng.choice(REPORTS_TO_TEMPLATES)
            if "'s" in tpl and not typed[-1].isalnum():
                return None
            return make("reports_to", "answered", tpl.format(r=typed), [role.name], [role.reports_to], role.name)
        if kind == "direct_reports":
            if role.name not in reports:
                return None
            tpl = rng.choice(DIRECT_REPORTS_TEMPLATES)
            return make("direct_reports", "answered", tpl.format(r=typed), [role.name], sorted(reports[role.name]), role.name)
        if kind == "grade":
            if role.grade is None:
                return None
            tpl = rng.choice(GRADE_TEMPLATES)
            if "'s" in tpl and not typed[-1].isalnum():
                return None
            return make("grade", "answered", tpl.format(r=typed), [role.name], [f"grade {role.grade}"], role.name)
        if kind == "grade_in_family":
            page = rng.choice(families)
            by_grade: dict[int, list[str]] = {}
            for r in page.roles:
                if r.grade is not None:
                    by_grade.setdefault(r.grade, []).append(r.name)
            grade = rng.choice(sorted(by_grade))
            tpl = rng.choice(GRADE_IN_FAMILY_TEMPLATES)
            text = tpl.format(n=grade, nw=NUMBER_WORDS.get(grade, str(grade)), f=user_family(rng, page.family))
            q = make("grade", "answered", text, sorted(by_grade[grade]), [f"grade {grade}"], None)
            q["page"], q["family"] = page.path, page.family
            return q
        if kind == "interview_steps":
            page = self._pages_by_path[role.page]
            if not page.hiring_steps:
                return None
            fact = rng.choice(page.hiring_steps)
            if not page.single and rng.random() < 0.2:
                tpl = rng.choice(HIRING_FAMILY_TEMPLATES)
                q = make("interview_steps", "answered", tpl.format(f=user_family(rng, page.family)), [], [fact], None)
                q["page"], q["family"] = page.path, page.family
                return q
            tpl = rng.choice(HIRING_TEMPLATES)
            return make("interview_steps", "answered", tpl.format(r=typed), [role.name], [fact], role.name)
        if kind in ("responsibilities", "requirements"):
            items, _family_wide = self.effective(role, kind)
            if not items:
                return None
            fact = rng.choice(items)
            tpl = rng.choice(RESPONSIBILITY_QUESTIONS if kind == "responsibilities" else REQUIREMENT_QUESTIONS)
            return make(kind, "answered", tpl.format(r=typed), [role.name], [fact], role.name)
        if kind == "not_documented":
            # specialties state no grade and no reports-to; some single-role pages no grade
            if role.grade is None and rng.random() < 0.5:
                tpl = rng.choice(GRADE_TEMPLATES)
                if "'s" in tpl and not typed[-1].isalnum():
                    return None
                return make("grade", "not_documented", tpl.format(r=typed), [role.name], [], role.name)
            if role.reports_to is None:
                tpl = rng.choice(REPORTS_TO_TEMPLATES)
                if "'s" in tpl and not typed[-1].isalnum():
                    return None
                return make("reports_to", "not_documented", tpl.format(r=typed), [role.name], [], role.name)
            return None
        if kind == "not_found":
            made_up = rng.choice(["Astronaut", "Sommelier", "Lifeguard", "Zookeeper", "Magician", "Beekeeper"])
            page = rng.choice(families)
            text = rng.choice(REPORTS_TO_TEMPLATES[:2] + GRADE_TEMPLATES[:1]).format(r=f"{page.family.split()[0].lower()} {made_up.lower()}")
            intent = "grade" if "grade" in text else "reports_to"
            return {"question": text, "kind": kind, "intent": intent, "status": "not_found", "role": None,
                    "roles": [], "facts": [], "page": None, "family": None}
        return None


REPORTS_TO_TEMPLATES = ["who does the {r} report to?", "who does {r} report to", "{r}'s manager?", "who manages the {r}?",
                        "{r} reports to whom", "who is the {r} reporting to?", "reporting line for the {r}",
                        "who's the boss of the {r}?"]
DIRECT_REPORTS_TEMPLATES = ["who reports to the {r}?", "direct reports of the {r}", "which roles report to the {r}?",
                            "who reports into {r}", "{r} direct reports"]
GRADE_TEMPLATES = ["what grade is the {r}?", "{r} grade?", "job grade for {r}", "what's the grade of a {r}",
                   "what level is the {r}?", "{r}'s grade"]
GRADE_IN_FAMILY_TEMPLATES = ["grade {n} in {f}", "what roles are grade {n} in {f}?", "which {f} roles are at grade {n}?",
                             "roles at grade {nw} in the {f} family", "{f} grade {n} roles"]
HIRING_TEMPLATES = ["interview steps for the {r}", "hiring process for a {r}", "how do candidates get hired as a {r}?",
                    "what's the interview process for {r}", "{r} interview loop"]
HIRING_FAMILY_TEMPLATES = ["hiring process for {f}", "interview steps for the {f} family"]
RESPONSIBILITY_QUESTIONS = ["responsibilities of the {r}", "what does the {r} do?", "duties of a {r}", "{r} responsibilities",
                            "what are the responsibilities of a {r}?"]
REQUIREMENT_QUESTIONS = ["requirements for the {r}", "what skills does a {r} need?", "qualifications for {r}",
                         "{r} requirements", "what experience is needed for the {r}?"]

ABBREVIATIONS = {
    "Senior": ["Sr.", "sr", "Snr", "Sr"],
    "Manager": ["Mgr", "mgr"],
    "Operations": ["Ops", "ops"],
    "Director": ["Dir", "dir"],
    "Associate": ["Assoc.", "assoc"],
    "Representative": ["Rep"],
    "Engineer": ["Eng"],
}
ACRONYMS = {"Site Reliability Engineer": "SRE", "Technical Account Manager": "TAM", "Customer Success Manager": "CSM",
            "Sales Development Representative": "SDR"}
ABBREVIATION_ODDS = {"Senior": 0.5, "Manager": 0.25, "Operations": 0.5, "Director": 0.2, "Associate": 0.3,
                     "Representative": 0.3, "Engineer": 0.1}


KEYBOARD_NEIGHBOURS = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv", "h": "gyujnb",
    "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol",
    "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc",
    "y": "tghu", "z": "asx",
}


def _typo(rng: random.Random, text: str) -> str | None:
    """One slip of the fingers inside one long word, of the kinds people make: two letters swapped
    ("assocaite", the most common), a letter dropped ("enginer"), a neighbouring key ("managet") or
    a letter doubled ("seniorr")."""
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 8 and w.isalpha()]
    if not long_words:
        return None
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randint(2, len(w) - 3)  # never the first two or the last two letters
    kind = rng.choices(["swap", "drop", "neighbour", "double"], [55, 15, 15, 15])[0]
    if kind == "swap":
        if w[j] == w[j + 1]:
            return None
        typo = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif kind == "drop":
        typo = w[:j] + w[j + 1:]
    elif kind == "neighbour":
        near = KEYBOARD_NEIGHBOURS.get(w[j].lower())
        if not near:
            return None
        letter = rng.choice(near)
        typo = w[:j] + (letter.upper() if w[j].isupper() else letter) + w[j + 1:]
    else:
        typo = w[:j] + w[j] + w[j:]
    words[i] = typo
    return " ".join(words)


def _extends_name(rng: random.Random, name: str, roles: list[GRole]) -> str:
    """How a page names the role it extends: canonically, or without "(Intermediate)"."""
    if name.endswith(" (Intermediate)") and rng.random() < 0.5:
        return name[: -len(" (Intermediate)")]
    return name


def user_name(rng: random.Random, name: str) -> str:
    """A role name as a recruiter types it: reordered, abbreviated, lower case, maybe a typo."""
    text = name
    m = re.match(r"^(Senior Manager|Manager|Senior Director|Director), (.+)$", text)
    if m and rng.random() < 0.4:
        level, rest = m.groups()
        if level.startswith("Senior"):
            text = f"Senior {rest} {level.split()[1]}"
        elif level == "Director" and rng.random() < 0.5:
            text = f"Director of {rest}"
        else:
            text = f"{rest} {level}"
    spec = re.match(r"^(.*) \((Intermediate|[^)]+)\)$", text)
    if spec:
        base, inner = spec.groups()
        if inner == "Intermediate":
            text = base if rng.random() < 0.8 else f"Intermediate {base}"
        elif rng.random() < 0.6:
            text = f"{inner} {base}" if rng.random() < 0.5 else f"{base} {inner}"
    for full, short in ACRONYMS.items():  # whole words only: "Site Reliability Engineering" stays
        pattern = r"\b" + re.escape(full) + r"\b"
        if re.search(pattern, text) and rng.random() < 0.3:
            text = re.sub(pattern, short, text)
    words = text.split(" ")
    for i, w in enumerate(words):
        bare = w.rstrip(",")
        if bare in ABBREVIATIONS and rng.random() < ABBREVIATION_ODDS[bare]:
            words[i] = rng.choice(ABBREVIATIONS[bare]) + ("," if w.endswith(",") else "")
    text = " ".join(words)
    if rng.random() < 0.12:
        text = _typo(rng, text) or text
    if rng.random() < 0.6:
        text = text.lower()
    return text


def user_family(rng: random.Random, family: str) -> str:
    text = family.replace("Operations", "Ops") if rng.random() < 0.5 else family
    return text.lower() if rng.random() < 0.6 else text


# --------------------------------------------------------------------------- entry points


def generate(out: Path, families: int = 1000, seed: int = 7, questions: int = 2000) -> dict:
    """Write ``out/pages/*.md`` and ``out/facts.json``; return the facts (also what was written)."""
    corpus = Corpus(families, seed)
    corpus.build()
    pages_dir = Path(out) / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    for old in pages_dir.glob("*.md"):
        old.unlink()
    for page in corpus.pages:
        (pages_dir / page.path).write_text(page.text, encoding="utf-8")
    qs = corpus.questions(questions)
    edit = corpus.edit_spec()
    facts = {
        "seed": seed,
        "families": families,
        "pages": len(corpus.pages),
        "single_role_pages": sum(1 for p in corpus.pages if p.single),
        "roles_count": len(corpus.roles),
        "roles": [
            {"name": r.name, "family": r.family, "page": r.page, "kind": r.kind, "grade": r.grade,
             "reports_to": r.reports_to, "reports_written": r.reports_written}
            for r in sorted(corpus.roles.values(), key=lambda r: (r.page, r.name))
        ],
        "edit": edit,
        "questions": qs,
    }
    (Path(out) / "facts.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
    return facts




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    facts = generate(args.out, args.families, args.seed, args.questions)
    print(f"{facts['pages']} pages ({facts['single_role_pages']} single-role), {facts['roles_count']} roles, "
          f"{len(facts['questions'])} questions -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
