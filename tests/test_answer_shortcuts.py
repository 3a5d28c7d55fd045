"""The shortcuts that make answering cheap give the answers of doing the work in full.

Routing scores only the phrases that can still reach ``PHRASE_MIN``, and remembers question
shapes; resolving reads the postings of the rarest words, skips spans too short or too long for
every candidate, scores one by one only the names within reach of the best, and bounds a "did you
mean" by a floor and by name length; contractions are looked up by two letters of two words.
Each test below does the same work the plain way (every phrase, every name, every run) and
compares, on a generated handbook of a few hundred roles and questions phrased the way recruiters
type them (typos, abbreviations, unknown roles, two-word names).
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from bot import router
from bot.engine import Engine
from bot.names import tokens
from bot.resolve import ACCEPT, FLOOR, SUGGEST, TIE, Resolution, Resolver, RoleRef, _bag, _matches, _spans, _spells

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.generate import generate  # noqa: E402


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, list[str]]:
    """An engine over 60 generated families (~500 roles) and its 400 benchmark-style questions."""
    folder = tmp_path_factory.mktemp("generated")
    facts = generate(folder / "corpus", families=60, seed=5, questions=400)
    engine = Engine(folder / "corpus" / "pages", folder / "index.sqlite", question_log=False)
    questions = [q["question"] for q in facts["questions"]]
    # unknown roles, two-word names, contractions and initialisms, typos: the costly paths
    roles = [r["name"] for r in facts["roles"][:40]]
    words = sorted({w for name in roles for w in name.lower().replace(",", "").split()})
    questions += [f"who does the {w} manager report to" for w in words[:30]]
    questions += [f"what grade is the {w} zookeeper?" for w in words[:30]]
    questions += ["".join(w[:3] for w in name.split()[:2]) + " requirements" for name in roles[:20]]
    questions += ["".join(w[0] for w in name.split()) + " grade" for name in roles[:20]]
    questions += [name.replace("a", "e", 1) + " interview" for name in roles[:20]]
    # part of a name: many names about as close, ties at the edges of what is kept
    questions += [" ".join(name.split()[-2:]) + " grade" for name in facts["roles"][::3] for name in [name["name"]]]
    questions += [" ".join(name.split()[:1] + name.split()[-1:]) + " reports to" for name in facts["roles"][1::3] for name in [name["name"]]]
    return engine, questions


# --- routing ---------------------------------------------------------------------------


def every_phrase_scores(masked: str, keep: frozenset[str], cue_text: str, plain: str) -> tuple[dict[str, float], dict[str, str]]:
    """score_text the plain way: every phrase and every avoid phrase of every intent, every cue."""
    words = router.correct_words(router.phrase_words(masked), keep)
    plain_words = router.correct_words(router.phrase_words(plain), keep)
    cue_text = cue_text.replace(router.ROLE_SLOT, "§")
    corrected = " ".join("§" if w == router.ROLE_SLOT else w
                         for w in router.correct_words(router.phrase_words(cue_text.replace("§", router.ROLE_SLOT)), keep))
    masked_asked, plain_asked = router._Asked(words), router._Asked(plain_words)
    scores: dict[str, float] = {}
    best_phrase: dict[str, str] = {}
    for item in router.load_handlers().values():
        cue = sum(weight for pattern, weight in item.patterns if pattern.search(cue_text) or pattern.search(corrected))
        asked = plain_asked if item.topic_names_roles else masked_asked
        best, best_sim = "", 0.0
        for order, phrase_words in enumerate(item.phrases):
            phrase = router._Phrase(phrase_words, order)
            sim = router._similarity(asked, phrase)
            if sim > best_sim:
                best, best_sim = phrase.text, sim
        if any(router._similarity(masked_asked, router._Phrase(p, 0)) >= 0.95 for p in item.avoid):
            cue, best_sim = 0.0, 0.0
        total = cue + (router.PHRASE_WEIGHT * best_sim if best_sim >= router.PHRASE_MIN else 0.0)
        if total > 0:
            scores[item.name] = round(total, 3)
            if best_sim >= router.PHRASE_MIN:
                best_phrase[item.name] = best
    return scores, best_phrase


def routing_questions() -> list[str]:
    """Every phrase and example of every intent, filled, and each with a word left out, one added,
    and two swapped: near the similarity thresholds, where a wrong shortcut would show."""
    out: list[str] = []
    for item in router.load_handlers().values():
        texts = [" ".join(p) for p in item.phrases + item.avoid] + list(item.examples)
        for text in texts:
            text = text.replace("{role}", "{role}").replace("{family}", "{role}").replace("{n}", "7").replace("{topic}", "salesforce")
            words = text.split()
            out.append(text)
            out.extend(" ".join(words[:i] + words[i + 1 :]) for i in range(len(words)))
            out.append(text + " please now")
            if len(words) > 2:
                out.append(" ".join([words[1], words[0], *words[2:]]))
    return out


def test_scoring_only_the_promising_phrases_gives_the_scores_of_scoring_every_phrase():
    keep = frozenset({"sales", "operations", "analyst", "manager"})
    questions = routing_questions()
    assert len(questions) > 1000
    differ = []
    for masked in questions:
        cue_text = masked.replace("{role}", "§")
        plain = masked.replace("{role}", "sales operations analyst")
        if router.score_text(masked, keep, cue_text=cue_text, plain=plain) != every_phrase_scores(masked, keep, cue_text, plain):
            differ.append(masked)
    assert not differ, differ[:5]


def test_a_remembered_shape_scores_like_a_new_one():
    keep = frozenset({"sales"})
    first = router.score_text("who does the {role} report to?", keep, cue_text="who does the § report to?", plain="who does the sales rep report to?")
    again = router.score_text("who does the {role} report to?", keep, cue_text="who does the § report to?", plain="who does the sales rep report to?")
    assert first == again == every_phrase_scores("who does the {role} report to?", keep, "who does the § report to?", "who does the sales rep report to?")
    assert first[0]["reports_to"] > 4  # and it is the real score, not an empty one
    first[0]["reports_to"] = -1  # a caller changing its copy changes nothing remembered
    assert router.score_text("who does the {role} report to?", keep, cue_text="who does the § report to?",
                             plain="who does the sales rep report to?")[0]["reports_to"] > 4



def test_a_shape_whose_plain_wording_fits_a_phrase_is_not_scored_from_the_remembered_shape():
    # the same masked shape twice: once its plain wording fits "who handles {topic}" (search reads
    # the unmasked question), once it fits no phrase; each must score like every phrase scored
    keep = frozenset({"sales"})
    masked, cue_text = "who handles {role}", "who handles §"
    fitting = router.score_text(masked, keep, cue_text=cue_text, plain="who handles sales operations")
    plain_only = router.score_text(masked, keep, cue_text=cue_text, plain="sales operations")
    assert fitting == every_phrase_scores(masked, keep, cue_text, "who handles sales operations")
    assert plain_only == every_phrase_scores(masked, keep, cue_text, "sales operations")
    assert fitting[1].get("search") == "who handles {topic}"
    assert "search" not in plain_only[1]
    assert router.score_text(masked, keep, cue_text=cue_text, plain="who handles sales operations") == fitting

# --- resolving -------------------------------------------------------------------------


def every_name_resolution(resolver: Resolver, text: str, words: list[str | None]) -> Resolution:
    """Resolver._resolve the plain way: count every posting, score every span against every
    candidate and walk every match."""
    spans = _spans(words)
    if not spans:
        return Resolution("none", span=resolver.asked(text))
    counts: dict[int, int] = {}
    for w in {w for w in words if w}:
        for i in resolver.by_token.get(w, []):
            counts[i] = counts.get(i, 0) + 1
    if not counts:
        return Resolution("none", span=resolver.asked(text))
    most = max(counts.values())
    cand = sorted(i for i, n in counts.items() if n >= most - 1)
    bags = [resolver.bags[i] for i in cand]
    best: dict[int, tuple[float, int, str]] = {}
    for span, penalty in spans:
        for _, score, idx in process.extract(_bag(span), bags, scorer=fuzz.ratio, score_cutoff=FLOOR, limit=None):
            reading = (float(score) - penalty, len(span), " ".join(span))
            if cand[idx] not in best or reading[:2] > best[cand[idx]][:2]:
                best[cand[idx]] = reading
    if not best:
        return resolver._partial(words, text)
    ranked = sorted(best.items(), key=lambda kv: (kv[1][0], kv[1][1]), reverse=True)
    top = ranked[0][1][0]
    if top < ACCEPT:
        partial = resolver._partial(words, text)
        if partial.status != "none":
            return partial
        return Resolution("none", suggestions=resolver._suggestions(words, [e for e, s in ranked if s[0] >= SUGGEST]), span=resolver.asked(text))
    tied = [e for e, s in ranked if s[0] >= top - TIE]
    longest = max(best[e][1] for e in tied)
    tied = [e for e in tied if best[e][1] == longest]
    return resolver._decide(tied, text, best[tied[0]][2])


def test_resolving_with_shortcuts_finds_what_scoring_every_name_finds(generated):
    engine, questions = generated
    resolver = engine.kb.resolver
    outcomes = set()
    for text in questions:
        words = resolver.query_words(text)
        plain = [None if w and resolver.is_question_word(w) else w for w in words]
        for reading in (words, plain):
            fast, slow = resolver._resolve(text, reading), every_name_resolution(resolver, text, reading)
            assert fast == slow, text
            outcomes.add(fast.status)
    assert outcomes >= {"one", "ambiguous", "none"}  # every path was taken


def test_one_name_within_reach_is_read_from_the_matches_like_rescoring_it(generated, monkeypatch):
    """When one name is within reach of the best, its best reading is read from the matches the
    readings already have instead of scoring every span against it again: the rows are those of
    the general walk, which rescores every span (unscored ones too) against the names within
    reach, for most questions (the shortcut is the common path, so this compares many)."""
    engine, questions = generated
    resolver = engine.kb.resolver
    shortcut = Resolver._one_within_reach
    compared: list[str] = []

    def both(readings, cand, pos, floor):
        fast = shortcut(readings, cand, pos, floor)
        assert fast == _general_ranked(resolver, readings, cand, pos, floor)
        compared.append(str(fast))
        return fast

    monkeypatch.setattr(Resolver, "_one_within_reach", staticmethod(both))
    monkeypatch.setattr(Resolver, "_exactly_named", lambda self, words: None)  # every question scored
    for text in questions:
        resolver.resolve(text)
    assert len(compared) > len(questions) // 2
    assert any(rows for rows in compared) and "[]" not in compared


def _general_ranked(resolver: Resolver, readings, cand: list[int], pos: int, floor: float):
    """_ranked's walk over several names within reach, given just the one: every reading scored
    again against that name (the unscored ones too), best kept per name."""
    best = None
    for found, span, penalty in readings:
        if found is not None and not found:
            continue  # no match with any candidate: none with this one
        for _, score, _ in _matches(_bag(span), [resolver._bag_at(cand[pos])]):
            reading = (score - penalty, len(span), " ".join(span))
            if best is None or reading[:2] > best[:2]:
                best = reading
    return [(cand[pos], best)] if best is not None and best[0] >= floor else []


def test_a_word_read_again_reads_as_the_first_time(generated):
    """Resolver.read remembers each typed word's reading per index version: a question read with
    every word remembered reads like the same question on a resolver that has seen nothing."""
    engine, questions = generated
    kb = engine.kb
    for text in questions:
        kb.resolver.read(text)
    fresh = Resolver.from_table(list(kb.roles.values()), kb.families, kb.resolver.table())
    for text in questions + ["the IT manager for it", "it operations", "who is it", "pm of technical enablement"]:
        assert kb.resolver.read(text) == fresh.read(text), text
        fresh._read_memo.clear()


def test_candidates_are_the_names_missing_at_most_one_word_of_the_best(generated):
    """The leave-one-out union made with the two rarest postings met once is the plain count:
    every name with at least (most shared) - 1 of the question's name words."""
    engine, questions = generated
    resolver = engine.kb.resolver
    sizes = set()
    for text in questions:
        wanted = {w for w in resolver.query_words(text) if w}
        counts: dict[int, int] = {}
        for w in wanted:
            for i in resolver.by_token.get(w, []):
                counts[i] = counts.get(i, 0) + 1
        if not counts:
            continue
        most = max(counts.values())
        assert resolver._candidates(wanted) == sorted(i for i, n in counts.items() if n >= most - 1), text
        sizes.add(len([w for w in wanted if w in resolver.by_token]))
    assert {1, 2, 3, 4} <= sizes  # one word, two (no rest), and the rest with and without terms


def test_a_span_scored_against_one_name_matches_like_the_extract_call(generated):
    """_matches scores a single choice directly: the same rows as process.extract, above the
    floor and below it."""
    engine, questions = generated
    resolver = engine.kb.resolver
    names = resolver.bags[:400]
    kept = dropped = 0
    for text in questions[:60]:
        for span, _ in _spans(resolver.query_words(text)):
            bag = _bag(span)
            expected_all = process.extract(bag, names, scorer=fuzz.ratio, score_cutoff=FLOOR, limit=None)
            assert _matches(bag, names) == expected_all
            for name in names[:: 7]:
                expected = process.extract(bag, [name], scorer=fuzz.ratio, score_cutoff=FLOOR, limit=None)
                assert _matches(bag, [name]) == expected, (bag, name)
                kept, dropped = kept + bool(expected), dropped + (not expected)
    assert kept and dropped  # both sides of the floor were compared


def test_a_did_you_mean_bounded_by_a_floor_names_the_closest_of_all_names(generated):
    engine, questions = generated
    resolver = engine.kb.resolver
    offered = 0
    for text in questions:
        words = [w for w in resolver.query_words(text) if w]
        if not words:
            continue
        every = process.extract(_bag(words), resolver.bags, scorer=fuzz.ratio, score_cutoff=50, limit=12)
        # the closest of all names, then those with most of the words of the work asked, as suggest() keeps
        expected = resolver._with_most_of(resolver._distinct_roles(idx for _, _, idx in every), words)[:3]
        assert resolver.suggest(text) == expected, text
        offered += bool(expected)
    assert offered > 100


def test_contractions_read_by_two_letters_of_two_words_are_those_of_every_run(generated):
    engine, _ = generated
    resolver = engine.kb.resolver
    runs: dict[str, int] = {}  # every two- and three-word run, in the order names have them
    for key in resolver.keys:
        words = key.split()
        for start, length in itertools.product(range(len(words)), (2, 3)):
            if start + length <= len(words):
                run = " ".join(words[start : start + length])
                runs[run] = runs.get(run, 0) + 1
    typed = {"".join(w[:k] for w in run.split()) for run in runs for k in (2, 3, 4)} | {"mamana", "sesen", "prodeng"}
    found = 0
    for word in sorted(typed):
        expected = {run: n for run, n in runs.items() if run[:2] == word[:2] and _spells(word, run.split())} if len(word) >= 4 and word.isalpha() else {}
        got = resolver._contractions(word)
        assert got == expected and list(got) == list(expected), word
        assert resolver._contractions(word) is got  # remembered
        found += bool(got)
    assert found > 100


def test_a_new_resolver_builds_nothing_it_does_not_need_until_asked(generated):
    engine, _ = generated
    kb = engine.kb
    fresh = Resolver(list(kb.roles.values()), kb.resolver._aliases, kb.families)
    assert "_initialism_runs" not in vars(fresh) and "bags" not in vars(fresh)
    assert fresh.resolve("who does the " + next(iter(kb.roles.values())).name + " report to") == kb.resolver.resolve(
        "who does the " + next(iter(kb.roles.values())).name + " report to")
    assert not {"_initialism_runs", "_runs_by_letters", "raw_vocab", "_bags_by_length"} & set(vars(fresh))
    # a word of no name is checked for a typo and a "did you mean" offered; no initialism or
    # contraction can spell it, so neither of their tables is built
    found = fresh.resolve("what grade is the zzzzzzqx?")
    assert found == kb.resolver.resolve("what grade is the zzzzzzqx?") and found.status == "none"
    assert {"raw_vocab", "_bags_by_length"} <= set(vars(fresh))
    assert not {"_initialism_runs", "_runs_by_letters"} & set(vars(fresh))
    # letters that may be an initialism, or a contraction, build the table they need
    name = next(r.name for r in kb.roles.values() if len(tokens(r.name)) >= 3)
    letters = "".join(w[0] for w in tokens(name)[:3])
    assert fresh._initialisms(letters) == kb.resolver._initialism_runs.get(letters)
    assert "_initialism_runs" in vars(fresh) and "_runs_by_letters" not in vars(fresh)
    contraction = "".join(w[:3] for w in tokens(name)[:2])
    assert fresh._contractions(contraction) == kb.resolver._contractions(contraction) != {}
    assert "_runs_by_letters" in vars(fresh)
    assert fresh.bags == [kb.resolver._bag_at(i) for i in range(len(kb.resolver.keys))]



def test_initialisms_told_apart_without_the_table_are_those_of_the_table(generated):
    """Letters no run of name words can spell are answered without building the initialism table:
    for every word the questions use, every name's initials and their near misses, the answer is
    the table's own."""
    engine, questions = generated
    kb = engine.kb
    table = kb.resolver._initialism_runs
    fresh = Resolver(list(kb.roles.values()), kb.resolver._aliases, kb.families)
    words = {w for q in questions for w in re.findall(r"[a-z0-9]+", q.lower()) if 2 <= len(w) <= 8}
    for key in kb.resolver.keys:
        initials = "".join(w if len(w) <= 2 else w[0] for w in key.split())
        words.update(initials[a:b] for a in range(len(initials)) for b in range(a + 2, min(len(initials), a + 8) + 1))
    words.update(w + "q" for w in list(words)[:500])
    spelled = 0
    for word in sorted(words):
        assert fresh._initialisms(word) == table.get(word), word
        spelled += bool(table.get(word))
    assert spelled > 100 and len(words) > 1000


def test_a_did_you_mean_keeps_names_that_tie_with_its_floor():
    """rapidfuzz's cutoffs round (a 63.414634 cutoff drops a 63.41463414 match): a floor taken from
    some names' scores must not lose the names that score exactly that much."""
    from bot.resolve import RoleRef

    roles = [RoleRef(i, "Data Observability Scientist", "Data Science", f"p{i}.md", f"u{i}", f"u{i}#r", i) for i in range(1, 31)]
    resolver = Resolver(roles, [(r.id, r.name) for r in roles], [])
    every = process.extract("observability", resolver.bags, scorer=fuzz.ratio, score_cutoff=50, limit=12)
    assert {score for _, score, _ in every} == {fuzz.ratio("observability", "data observability scientist")}
    assert [r.id for r in resolver.suggest("what grade is the observability zookeeper?")] == [1, 2, 3]


# --- grade listings ----------------------------------------------------------------------


def grade_listing_by_sql(kb, grade: int) -> list[int]:
    """Knowledge.roles_at_grade the plain way: one query joining the roles, in page order."""
    return [rid for (rid,) in kb._tuples_locked(
        "select g.role_id from grades g join roles r on r.id = g.role_id where g.grade = ? "
        "group by g.role_id order by r.page_id, r.line, r.id", (float(grade),)) if rid in kb.roles]


def test_roles_at_a_grade_are_in_page_order_however_the_version_was_opened(tmp_path: Path):
    """The listing is sorted by each role's place among the version's roles, not by SQLite: it
    must be page order when the version was read from the tables, reused after a change (the
    changed page's roles then come last among the roles) and opened from the serving snapshot."""
    facts = generate(tmp_path / "corpus", families=30, seed=11, questions=10)
    pages, db = tmp_path / "corpus" / "pages", tmp_path / "index.sqlite"
    engine = Engine(pages, db, question_log=False)
    page = pages / sorted(r["page"] for r in facts["roles"])[0]  # the first page: its roles move most
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("grade 7", "grade 9", 1) if "grade 7" in text else text + "\n", encoding="utf-8")
    opened = {"tables": engine.kb}
    engine.refresh()
    engine.wait_for_snapshot()
    opened["previous"] = engine.kb
    again = Engine(pages, db, question_log=False)
    opened["snapshot"] = again.kb
    assert {kind: kb.opened_from for kind, kb in opened.items()} == {k: k for k in opened}
    assert list(opened["previous"].roles)[-1] in {r.id for r in opened["previous"].roles.values() if r.page == page.name}
    listed = 0
    for kind, kb in opened.items():
        for grade in kb.all_grades():
            got = [r.id for r in kb.roles_at_grade(grade)]
            assert got == grade_listing_by_sql(kb, grade), (kind, grade)
            assert len(got) == len(set(got))
            listed += len(got)
    assert listed > 200
    engine.close()
    again.close()


def test_candidates_from_bit_postings_are_those_of_the_set_intersections(generated):
    """The leave-one-out union and-ed as bits is the union made with sets, entry for entry."""
    from bot.resolve import _bit_positions, _bitset, _missing_at_most_one

    engine, questions = generated
    resolver = engine.kb.resolver
    checked = 0
    for text in questions:
        wanted = sorted({w for w in resolver.query_words(text) if w and w in resolver.by_token},
                        key=lambda w: len(resolver.by_token[w]))
        if len(wanted) < 2:
            continue
        sets = [frozenset(resolver.by_token[w]) for w in wanted]
        full = sets[0].intersection(*sets[1:])
        plain = sorted({i for i in sets[0].union(*sets[1:]) if sum(i in s for s in sets) >= len(sets) - 1}) if full else None
        assert _missing_at_most_one([resolver._bits(w) for w in wanted]) == plain, text
        checked += 1
    assert checked > 100
    entries = [0, 7, 8, 9, 63, 64, 1000, 1001, 4095]
    assert _bit_positions(_bitset(entries)) == entries
    assert _bit_positions(0) == [] and _bitset([]) == 0


def test_a_grade_number_is_read_whatever_the_case_and_only_beside_its_keyword(generated):
    """:meth:`Query.number` looks for its keyword before trying its patterns: the same numbers."""
    from bot.query import Query, _number_patterns, GRADE_WORDS

    engine, _ = generated
    following, preceding = _number_patterns(GRADE_WORDS)
    for text in ["what's GRADE 7?", "Level seven roles", "roles in BAND 3", "9 grades", "grade", "who reports to the vp",
                 "what is a grade-6 role", "grades 5 and 6", "the 7 Bands", "gradE ten", "level-headed manager 4"]:
        match = following.search(text) or preceding.search(text)
        plain = None if not match else (int(match.group(1)) if match.group(1).isdigit() else None)
        got = Query(text=text, kb=engine.kb).number()
        assert (got is None) == (match is None), text
        if plain is not None:
            assert got == plain, text


def test_vice_president_is_read_as_vp_in_any_case_the_pattern_takes(generated):
    """``read`` tries VICE_PRESIDENT only when "vice" is there in some case, and the dotted and
    dotless capital/small i that the pattern's ``re.I`` also takes count."""
    from bot.resolve import VICE_PRESIDENT, _may_say_vice

    engine, _ = generated
    resolver = engine.kb.resolver
    for text in ["vice president of sales", "VICE-PRESIDENTS", "v\u0130ce president", "v\u0131ce president", "VİCE PRESIDENT"]:
        assert VICE_PRESIDENT.search(text) and _may_say_vice(text), text
        assert resolver.query_words(text) == resolver.query_words(VICE_PRESIDENT.sub("vp", text)), text
    for text in ["who reports to the sales manager", "service president"]:
        assert not VICE_PRESIDENT.search(text)
    assert not _may_say_vice("who reports to the sales manager")


def test_a_familys_roles_at_a_grade_read_page_by_page_are_those_each_role_states(generated):
    """``having_grade`` (one statement a page) keeps exactly the roles whose own grades include it."""
    engine, _ = generated
    kb = engine.kb
    found = 0
    for family in kb.families:
        roles = kb.family_roles(family)
        for number in range(4, 13):
            one_by_one = [r for r in roles if any(g.grade == number for g in kb.grade_of(r))]
            assert kb.having_grade(roles, number) == one_by_one, (family.name, number)
            found += len(one_by_one)
    assert found > 20


def test_a_question_is_cleaned_of_every_whitespace_the_regex_folded(generated):
    """``Query.clean`` folds whitespace with ``str.split``: the same text as ``\\s+`` and ``strip``,
    for every character either calls whitespace (tabs, newlines, no-break and ideographic spaces)."""
    from bot.query import Query

    engine, _ = generated
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c)) or chr(c).isspace()]
    assert len(spaces) > 20
    for space in spaces:
        text = f"{space}who{space}{space}does the&nbsp;<@U1> BDR report to?{space}"
        plain = re.sub(r"\s+", " ", text.replace("&nbsp;", "\xa0").replace("<@U1>", " ")).strip()
        assert Query(text=text, kb=engine.kb).clean == plain, repr(space)


def test_a_name_typed_as_it_is_resolves_as_scoring_every_span_does(generated):
    """The exact-name shortcut (no span scored against the candidates) decides what scoring does,
    for most questions: the roles, ties, choices and "did you mean" are the same."""
    engine, questions = generated
    resolver = engine.kb.resolver
    settled = 0
    for text in questions:
        words = resolver.query_words(text)
        plain = [None if w and resolver.is_question_word(w) else w for w in words]
        for reading in (words, plain):
            settled += resolver._exactly_named(reading) is not None
            assert resolver._resolve(text, reading) == resolver._scored(text, reading), text
    assert settled > len(questions) // 2
    from bot.resolve import _bitset

    lengths = {len(key) for key in resolver.keys}
    assert resolver._by_length == {n: _bitset([i for i, key in enumerate(resolver.keys) if len(key) == n]) for n in lengths}
    assert all(len(resolver._bag_at(i)) == len(key) for i, key in enumerate(resolver.keys))  # a bag is as long as its key


def test_a_name_one_letter_from_the_read_one_still_ties_with_it():
    """A long name one letter longer than the words read ("Plattform" beside "platform", typed
    "platfrom") scores within the tie band of the exact name: the shortcut leaves it to the
    scoring, which asks which one; without that rival the exact name is answered."""
    names = ["Cloud Platform Ops Engineer, Senior", "Senior Cloud Plattform Ops Engineer", "Staff Cloud Platform Ops Engineer"]
    roles = [RoleRef(i, name, "Cloud", f"p{i}.md", f"u{i}", f"u{i}#r", i) for i, name in enumerate(names, 1)]
    text = "who does the senior cloud platfrom ops engineer report to"
    resolver = Resolver(roles, [(r.id, r.name) for r in roles], [])
    words = resolver.query_words(text)
    assert fuzz.ratio(resolver._bag_at(0), resolver._bag_at(1)) >= 100 - TIE
    assert resolver._exactly_named(words) is None
    found = resolver.resolve(text)
    assert found.status == "ambiguous" and [r.id for r in found.choices] == [1, 2]
    alone = Resolver([roles[0], roles[2]], [(r.id, r.name) for r in (roles[0], roles[2])], [])
    words = alone.query_words(text)
    assert alone._exactly_named(words) == ([0], words[3:8])
    assert alone.resolve(text) == alone._scored(text, words) and alone.resolve(text).role == roles[0]


def section_by_statements(kb, role, kind: str):
    """Knowledge.section the plain way: one statement per place a section may come from, in turn."""
    from bot.knowledge import SECTION_COLUMNS, SECTION_FALLBACK_KINDS
    from bot.index import unpack_items

    def rows(where: str, params: tuple) -> list[tuple]:
        return kb._tuples_locked(f"select {SECTION_COLUMNS} from sections where {where} order by line", params)

    own = rows("role_id = ? and kind = ?", (role.id, kind))
    if own:
        return kb._view(own, role, kind)
    has_items = lambda found: any(i[2] == "item" for row in found for i in unpack_items(row[-1]))  # noqa: E731
    if kind in SECTION_FALLBACK_KINDS:
        overview = rows("role_id = ? and kind = 'overview'", (role.id,))
        if overview and has_items(overview):
            view = kb._view(overview, role, kind)
            view.from_overview = True
            return view
    family = rows("page_id = ? and role_id is null and kind = ?", (role.page_id, kind))
    family = kb._part_heading(role, family)  # the part of the page the role is in, as section() reads it
    if family:
        view = kb._view(family, role, kind)
        view.family_wide = not kb.pages[role.page_id]["single_role"]
        return view
    if kind in SECTION_FALLBACK_KINDS:
        other = rows("role_id = ? and kind = 'other'", (role.id,))
        if has_items(other):
            view = kb._view(other, role, kind)
            view.from_overview = True
            return view
    return None


@pytest.mark.parametrize("corpus", ["generated", "handbook"])
def test_a_section_read_by_one_statement_is_the_one_read_place_by_place(corpus, generated, tmp_path: Path):
    """Knowledge.section reads the role's own rows and the rows it falls back to in one statement,
    the family's in a second only when the role has none of the kind: for every role and kind, the
    view (lines, heading, where it came from) is the one of reading each place in turn, on a
    generated handbook and on the real pages."""
    if corpus == "generated":
        kb = generated[0].kb
    else:
        from conftest import CORPUS

        if not CORPUS.is_dir():
            pytest.skip("../shared/corpus is not beside this checkout")
        kb = Engine(CORPUS, tmp_path / "index.sqlite", question_log=False).kb
    kinds = ["responsibilities", "requirements", "nice_to_have", "hiring_process", "performance_indicators", "career_ladder", "grade"]
    outcomes = set()
    for role in kb.roles.values():
        for kind in kinds:
            found, plain = kb.section(role, kind), section_by_statements(kb, role, kind)
            assert found == plain, (role.name, kind)
            outcomes.add("none" if found is None else "family" if found.family_wide else "overview" if found.from_overview else "own")
    assert outcomes >= {"own", "none"} and (corpus == "generated" or outcomes >= {"family", "overview"})


def test_a_quoted_line_is_the_line_its_constructor_makes():
    """Sections' lines are made without Line's generated __init__ (quoted_line): equal, hashing
    alike, with the same fields in the same order, and still frozen; a field added to Line that
    quoted_line does not fill fails here."""
    from dataclasses import FrozenInstanceError, fields

    from bot.knowledge import Line, quoted_line

    for text, depth, number, inherited_from, paragraph in [("Own the roadmap", 0, None, "", False), ("Ship it", 2, 3, "Senior Analyst", True)]:
        made = quoted_line(text, depth, number, inherited_from, paragraph)
        plain = Line(text, depth, number, inherited_from, paragraph=paragraph)
        assert made == plain and hash(made) == hash(plain) and repr(made) == repr(plain)
        assert list(vars(made).items()) == list(vars(plain).items())
        assert list(vars(made)) == [f.name for f in fields(Line)]
        with pytest.raises(FrozenInstanceError):
            made.text = "changed"  # type: ignore[misc]


def test_a_number_is_looked_for_only_when_a_digit_or_number_word_is_there(generated):
    """:meth:`Query.number` tries its patterns only when a digit or a number word is in the
    question in a case their ``re.I`` takes: the same numbers for every question and every
    keyword, the letters that ``re.I`` reads as another's (İ, ı, ſ) and other scripts' digits."""
    from bot.query import Query, _number_patterns, GRADE_WORDS

    engine, questions = generated
    texts = [*questions, "grade ſix roles", "what is grade nİne", "grade nıne", "grade \u0663 roles", "level twelve",
             "GRADE SEVEN", "band Eleven", "grade ten?", "grade often", "someone at grade", "grade 10 and up",
             "roles above 7", "over ten", "above ſeven", "OVER 12 grades", "above often"]
    for after in (GRADE_WORDS, "grade", r"(?:above|over)"):
        following, preceding = _number_patterns(after)
        seen = 0
        for text in texts:
            query = Query(text=text, kb=engine.kb)
            match = following.search(query.clean) or preceding.search(query.clean)
            got = query.number(after)
            seen += match is not None
            assert (got is None) == (match is None), text
            if match is not None and match.group(1).isdigit():
                assert got == int(match.group(1)), text
        assert seen >= 4
    assert Query(text="grade ſix roles", kb=engine.kb).number() == 6 == Query(text="grade nİne", kb=engine.kb).number() - 3
