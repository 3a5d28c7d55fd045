"""Questions as recruiters type them, answered from the real seed pages.

Each test names the fact it expects from the page, so a wrong answer (a
neighbour's manager, a guessed role) fails loudly.
"""

from __future__ import annotations

import pytest

SALES_OPS = "https://about.gitlab.com/job-families/sales/sales-operations/"


# --- reports to ---------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "who does the Associate Sales Operations Analyst report to?",
        "Who does the associate sales ops analyst report to",
        "who does the assocaite sales operations analyst report to?",  # typo
        "associate sales ops analyst reports to whom?",
        "who's the Assoc. Sales Ops Analyst's manager",
        "<@U024BE7LH> who does the *Associate Sales Operations Analyst* report to?",
    ],
)
def test_associate_analyst_reports_to_the_manager(ask, question):
    answer = ask(question)
    assert (answer.intent, answer.status) == ("reports_to", "answered")
    assert answer.roles == ["Associate Sales Operations Analyst"]
    assert "reports to [Manager, Sales Operations](" + SALES_OPS + "#manager-sales-operations)" in answer.text
    # the page's own sentence is quoted, typo and all
    assert "> The Associate Sales Operatios Analyst reports to the Manager, Sales Operations." in answer.text


def test_misspelled_target_is_resolved_to_the_indexed_role(ask):
    answer = ask("who is the sales operations analyst's boss?")
    assert answer.roles == ["Sales Operations Analyst"]
    # the page says "Manager, Sales Operation" (sic); the answer links the real role
    assert "reports to [Manager, Sales Operations](" in answer.text
    assert "> The Sales Operations Analyst reports to the Manager, Sales Operation." in answer.text


def test_senior_analyst_has_no_reports_to_sentence_so_it_is_not_documented(ask):
    answer = ask("who does the Sr. Sales Operations Analyst report to?")
    assert answer.status == "not_documented"
    assert answer.roles == ["Sr. Sales Operations Analyst"]
    assert "doesn't say who it reports to" in answer.text
    assert "Manager, Sales Operations" not in answer.text  # never a neighbour's manager
    assert answer.sources[0].url == SALES_OPS + "#sr-sales-operations-analyst"


def test_you_will_report_to_phrasing_on_a_single_role_page(ask):
    answer = ask("who does the sales admin report to?")
    assert answer.roles == ["Sales Administrator- North America"]
    assert "reports to [Director of Sales Operations](https://about.gitlab.com/jobs/director-of-sales-operations/)" in answer.text


def test_x_will_report_to_y_inside_a_list_item(ask):
    answer = ask("who does the ISR report to")
    assert answer.roles == ["Inside Sales, Mid-Market"]
    assert "*Worldwide Director of Commercial Mid-Market*" in answer.text
    assert "> Inside Sales Representative will report to Worldwide Director of Commercial Mid-Market" in answer.text


def test_a_link_as_the_manager_keeps_its_url(ask):
    answer = ask("senior director sales ops reports to?")
    assert answer.roles == ["Senior Director, Sales Operations"]
    assert "[VP, Field Operations](https://about.gitlab.com/job-families/sales/vp-of-field-operations/)" in answer.text


def test_sr_abbreviation_in_the_target_resolves(ask):
    answer = ask("Who does the Director, Sales Operations report to?")
    assert answer.roles == ["Director, Sales Operations"]
    assert "reports to [Senior Director, Sales Operations](" in answer.text
    assert "> The Director, Sales Operations reports to the Sr. Director, Sales Operations." in answer.text


def test_two_directors_of_sales_operations_are_offered_as_a_choice(ask):
    answer = ask("who does the director of sales ops report to")
    assert answer.status == "ambiguous"
    assert [c.role for c in answer.choices] == ["Director of Sales Operations", "Director, Sales Operations"]
    assert "Which role do you mean" in answer.text


def test_choosing_a_role_answers_the_original_question(ask):
    answer = ask("who does the director of sales ops report to", role="Director, Sales Operations")
    assert answer.status == "answered"
    assert "reports to [Senior Director, Sales Operations](" in answer.text


# --- direct reports -----------------------------------------------------------


def test_who_reports_to_the_manager(ask):
    answer = ask("who reports to the Manager, Sales Operations?")
    assert (answer.intent, answer.status) == ("direct_reports", "answered")
    assert "[Associate Sales Operations Analyst](" in answer.text
    assert "[Sales Operations Analyst](" in answer.text
    assert "Senior Manager" not in answer.text


def test_direct_reports_across_pages_use_the_exact_title(ask):
    answer = ask("who reports to the Director of Sales Operations?")
    assert answer.roles == ["Director of Sales Operations"]
    assert "[Sales Administrator- North America](" in answer.text
    other = ask("direct reports of Director, Sales Operations")
    assert other.roles == ["Director, Sales Operations"]
    assert "[Manager, Sales Operations](" in other.text and "[Senior Manager, Sales Operations](" in other.text
    assert "Sales Administrator" not in other.text


def test_nobody_reports_to_an_analyst(ask):
    answer = ask("which roles report to the sales ops analyst?")
    assert (answer.intent, answer.status) == ("direct_reports", "not_documented")


# --- grades -------------------------------------------------------------------


@pytest.mark.parametrize("question", ["what's grade 7?", "what is grade seven", "which roles are grade 7", "who's at job grade 7?"])
def test_grade_seven_is_both_senior_roles(ask, question):
    answer = ask(question)
    assert (answer.intent, answer.status) == ("grade", "answered")
    assert sorted(answer.roles) == ["Sr. Sales Operations Analyst", "Sr. Sales Operations Manager"]
    assert answer.text.startswith("2 roles are at grade 7")


@pytest.mark.parametrize(
    "question, role, grade",
    [
        ("what grade is the Manager, Sales Operations?", "Manager, Sales Operations", 8),
        ("grade of sales operations manager", "Manager, Sales Operations", 8),
        ("sr mgr sales ops grade?", "Senior Manager, Sales Operations", 9),
        ("what grade is the associate sales operations analyst", "Associate Sales Operations Analyst", 5),
        ("job grade for the senior director, sales operations", "Senior Director, Sales Operations", 11),
        ("Sr. Sales Operations Manager grade", "Sr. Sales Operations Manager", 7),
    ],
)
def test_grade_of_a_role(ask, question, role, grade):
    answer = ask(question)
    assert answer.status == "answered"
    assert answer.roles == [role]
    assert f"is grade {grade}." in answer.text


def test_is_a_role_at_a_grade(ask):
    assert ask("is the sr sales ops manager a grade 7?").text.startswith("Yes: *Sr. Sales Operations Manager* is grade 7.")
    assert ask("is the Manager, Sales Operations grade 7?").text.startswith("No: *Manager, Sales Operations* is grade 8.")


def test_grade_in_a_family(ask):
    answer = ask("grade 8 in sales operations")
    assert answer.roles == ["Manager, Sales Operations"]
    assert "in the *Sales Operations* family" in answer.text


def test_unknown_grade_lists_the_grades_that_exist(ask):
    answer = ask("what's grade 15?")
    assert answer.status == "not_found"
    assert "5, 6, 7, 8, 9, 10, 11" in answer.text


def test_single_role_page_without_a_grade(ask):
    answer = ask("what grade is the BDR?")
    assert (answer.status, answer.roles) == ("not_documented", ["Business Development Representative"])


# --- sections -----------------------------------------------------------------


def test_interview_steps_keep_nested_numbered_lists_in_order(ask):
    answer = ask("what are the interview steps for Inside Sales, Mid-Market?")
    assert (answer.intent, answer.status) == ("interview_steps", "answered")
    text = answer.text
    order = [
        "Qualified candidates receive a short questionnaire from our Global Recruiters",
        "    1. What would differentiate you",
        "    3. How do you see the developer tools changing",
        "• Selected candidates will be invited to the following",
        "    1. A phone or video conference screen with the recruiter.",
        "    5. Finally, candidates will be invited for a 30-minute interview with an Area Sales Manager",
    ]
    positions = [text.index(piece) for piece in order]
    assert positions == sorted(positions)
    assert answer.sources[0].url == "https://about.gitlab.com/job-families/sales/inside-sales-mid-market/#hiring-process"


def test_family_hiring_process_applies_to_each_role(ask):
    answer = ask("hiring process for a sales ops analyst")
    assert answer.status == "answered"
    assert "the *Sales Operations* family's hiring process applies" in answer.text
    assert "30min [screening call](https://about.gitlab.com/handbook/hiring/interviewing/#screening-call)" in answer.text
    assert "interview with 2-5 teammates" in answer.text


def test_role_without_hiring_process_is_not_documented(ask):
    answer = ask("interview process for the BDR")
    assert answer.status == "not_documented"
    assert "no hiring process section" in answer.text


def test_misplaced_heading_gives_the_senior_manager_its_responsibilities(ask):
    # "#### Sr. Sales Operations Manager Responsibilities" sits under the Sr. Analyst's heading
    answer = ask("responsibilities of the Sr. Sales Operations Manager")
    assert answer.roles == ["Sr. Sales Operations Manager"]
    assert "Develop a strong partnership with the business to become a trusted advisor" in answer.text
    assert "Develop best practices that align sales data with company initiatives" in answer.text
    analyst = ask("responsibilities of the Sr. Sales Operations Analyst")
    assert "Develop a strong partnership" not in analyst.text
    assert "Lead and facilitate forecast calls" in analyst.text


def test_senior_manager_inherits_the_managers_responsibilities(ask):
    answer = ask("what does the senior manager, sales ops do?")
    assert answer.roles == ["Senior Manager, Sales Operations"]
    assert "• Extends that of the Manager, Sales Operations Responsibilities." in answer.text
    assert "Inherited from Manager, Sales Operations:" in answer.text
    assert "Lead the team to support the field sales teams through the Quote to Cash process" in answer.text


def test_inheritance_is_transitive_and_in_page_order(ask):
    text = ask("Sr. Sales Ops Analyst responsibilities").text
    first = text.index("• Lead and facilitate forecast calls")
    from_analyst = text.index("Inherited from Sales Operations Analyst:")
    from_associate = text.index("Inherited from Associate Sales Operations Analyst:")
    associate_item = text.index("Document and create knowledge repository for first-tier sales support")
    own_later = text.index("Ability to proactively identify and drive process improvements")
    assert first < from_analyst < from_associate < associate_item < own_later


def test_requirements_inherit_too(ask):
    answer = ask("requirements for the senior manager sales operations")
    assert "Inherited from Manager, Sales Operations:" in answer.text
    assert "Managed Deal Desk functions and an expert with CPQ tools" in answer.text
    assert "Dmonstrated progressive relevant experience" in answer.text  # quoted as written


def test_a_role_with_only_a_list_under_its_heading(ask):
    answer = ask("requirements for the alliance operations program specialist")
    assert answer.roles == ["Alliance Operations, Program Specialist"]
    assert "under its heading it says" in answer.text
    assert "Demonstrable experience building and/or managing programs" in answer.text


def test_channel_manager_extends_the_manager_without_naming_a_section(ask):
    answer = ask("responsibilities of Manager, Sales Operations (Channel)")
    assert answer.roles == ["Manager, Sales Operations (Channel)"]
    assert "Inherited from Manager, Sales Operations:" in answer.text
    assert "Demonstrated progressive experience in Sales Operations specific to Channel" in answer.text


def test_role_names_with_dashes_and_parentheses(ask):
    assert ask("tell me about the Sales Operations Analyst - Sales Tech Stack role").roles == ["Sales Operations Analyst - Sales Tech Stack"]
    assert ask("responsibilities for sales operations analyst (channel)").roles == ["Sales Operations Analyst (Channel)"]
    assert ask("Senior Director, Sales Operations (Channel) duties").roles == ["Senior Director, Sales Operations (Channel)"]


def test_requirements_for_applicants_heading_counts_as_requirements(ask):
    answer = ask("what are the requirements for the Director of Sales Operations?")
    assert answer.roles == ["Director of Sales Operations"]
    assert "Minimum 5 years Sales Ops experience required" in answer.text


def test_relative_links_are_made_absolute(ask):
    answer = ask("requirements for the BDR")
    assert "[values](https://about.gitlab.com/handbook/#values)" in answer.text


def test_performance_indicators_and_career_ladder(ask):
    kpi = ask("KPIs for inside sales mid market")
    assert kpi.status == "answered" and "attainment of NetARR" in kpi.text
    ladder = ask("what's the next step after Inside Sales, Mid-Market?")
    assert ladder.intent == "career_ladder"
    assert "move to the SMB Account Executive job family" in ladder.text
    family = ask("career ladder for sales operations")
    assert "not yet defined at GitLab" in family.text
    pis = ask("how is the Manager, Sales Operations measured?")
    assert "IACV vs. plan > 1" in pis.text and "family's performance indicators apply" in pis.text


# --- lists, search, help, the unknown ----------------------------------------


def test_list_all_roles(ask, engine):
    answer = ask("list roles")
    assert answer.text.startswith("I know 21 roles in 5 job families:")
    assert "Partner Operations Project Manager" in answer.text


def test_levels_of_a_family(ask):
    answer = ask("what levels are there in Sales Operations?")
    assert answer.intent == "list_roles"
    assert "Associate Sales Operations Analyst](" in answer.text and "(grade 5)" in answer.text
    assert len(answer.roles) == 17


def test_search_which_roles_need_zuora(ask):
    answer = ask("which roles need Zuora?")
    assert (answer.intent, answer.status) == ("search", "answered")
    assert set(answer.roles) == {
        "Sales Administrator- North America",
        "Inside Sales, Mid-Market",
        "Director of Sales Operations",
        "Manager, Sales Operations",
    }
    assert "Comfort using Zuora, Salesforce" in answer.text


def test_search_for_something_nobody_mentions(ask):
    answer = ask("which roles require Kubernetes?")
    assert (answer.intent, answer.status) == ("search", "not_found")


def test_help(ask):
    answer = ask("help")
    assert answer.intent == "help"
    for example in ("Who does the Associate Sales Operations Analyst report to?", "What's grade 7?", "Which roles need Zuora?"):
        assert example in answer.text


def test_off_topic_question_gets_help_not_a_guess(ask):
    answer = ask("what's the weather like in Utrecht?")
    assert answer.status == "unknown"
    assert answer.roles == [] and "help" in answer.text


def test_unknown_role_is_not_found_and_never_guessed(ask):
    answer = ask("who does the chief happiness officer report to?")
    assert answer.status == "not_found"
    assert "chief happiness officer" in answer.text
    assert answer.roles == []


def test_a_misspelled_question_word_is_not_echoed_as_part_of_the_missing_role(ask):
    """The echo says what the question names, as resolving read it: "intreview" is the question's own
    word misspelled, not a word of the role that is missing."""
    answer = ask("intreview process for the security analyst")
    assert (answer.intent, answer.status) == ("interview_steps", "not_found")
    assert answer.text.startswith("I couldn't find a role matching “security analyst” in the handbook.")


def test_a_job_noun_is_not_taken_for_a_misspelled_question_word(ask):
    """"designer" is two edits from the search phrase's "designs", but it names who designs: a role
    the seeds do not have, so the question about its requirements is not found, never searched."""
    answer = ask("reqs for a product designer")
    assert (answer.intent, answer.status) == ("requirements", "not_found")
    assert answer.text.startswith("I couldn't find a role matching “product designer” in the handbook.")


def test_echoed_text_cannot_ping_the_channel(ask):
    answer = ask("who does the @here <!channel> happiness wizard report to?")
    assert answer.status == "not_found"
    assert "<!channel>" not in answer.text and "@here" not in answer.text


def test_a_bare_role_name_gets_an_overview(ask):
    answer = ask("sales admin")
    assert (answer.intent, answer.status) == ("role_overview", "answered")
    assert "Reports to: [Director of Sales Operations](" in answer.text
    assert "As the Sales Administrator for North America" in answer.text


def test_overview_of_a_levelled_role(ask):
    answer = ask("tell me about the manager, sales ops")
    assert "• Job grade: 8" in answer.text
    assert "• Reports to: [Director, Sales Operations](" in answer.text
    assert "Direct reports: Associate Sales Operations Analyst, Sales Operations Analyst" in answer.text


# --- follow-ups ---------------------------------------------------------------


def test_follow_up_uses_the_last_role(ask):
    first = ask("who does the sales ops analyst report to")
    follow = ask("and what grade is it?", last_role=first.roles[0])
    assert follow.roles == ["Sales Operations Analyst"] and "is grade 6." in follow.text
    again = ask("who reports to that role?", last_role=first.roles[0])
    assert again.intent == "direct_reports" and again.roles == ["Sales Operations Analyst"]


def test_naming_a_new_role_overrides_the_context(ask):
    answer = ask("what grade is the associate sales ops analyst?", last_role="Manager, Sales Operations")
    assert answer.roles == ["Associate Sales Operations Analyst"]


def test_a_follow_up_without_context_asks_which_role(ask):
    answer = ask("and what grade is it?")
    assert answer.status == "not_found"
    assert "Which role" in answer.text


# --- more phrasings users type --------------------------------------------------


@pytest.mark.parametrize(
    "question, intent, status, role",
    [
        ("sr sales ops analyst's manager?", "reports_to", "not_documented", "Sr. Sales Operations Analyst"),
        ("who manages the ISR", "reports_to", "answered", "Inside Sales, Mid-Market"),
        ("whats the reporting line for the sales tech stack analyst", "reports_to", "not_documented", "Sales Operations Analyst - Sales Tech Stack"),
        ("What are the reqs for the BDR?", "requirements", "answered", "Business Development Representative"),
        ("What experience do I need for the inside sales role?", "requirements", "answered", "Inside Sales, Mid-Market"),
        ("Is there a career ladder for sales admins?", "career_ladder", "not_documented", "Sales Administrator- North America"),
        ("What level is the Director, Sales Operations?", "grade", "answered", "Director, Sales Operations"),
        ("what's the job grade of the mgr, sales ops", "grade", "answered", "Manager, Sales Operations"),
        ("Show me the interview process for a Sales Operations Analyst (Channel)", "interview_steps", "answered", "Sales Operations Analyst (Channel)"),
        ("who does the partner ops project manager report to", "reports_to", "not_documented", "Partner Operations Project Manager"),
        ("senior director sales ops channel responsibilities", "responsibilities", "answered", "Senior Director, Sales Operations (Channel)"),
        ("isr requirements", "requirements", "answered", "Inside Sales, Mid-Market"),
        ("bdr", "role_overview", "answered", "Business Development Representative"),
        ("Sales Administrator - North America requirements", "requirements", "answered", "Sales Administrator- North America"),
    ],
)
def test_paraphrases(ask, question, intent, status, role):
    answer = ask(question)
    assert (answer.intent, answer.status, answer.roles) == (intent, status, [role])


def test_several_grades_at_once(ask):
    answer = ask("what's grade 6 and grade 7")
    assert answer.roles == ["Sales Operations Analyst", "Sr. Sales Operations Analyst", "Sr. Sales Operations Manager"]
    assert ask("grades 5, 6 or 8?").roles == ["Associate Sales Operations Analyst", "Sales Operations Analyst", "Manager, Sales Operations"]


def test_list_all_grades(ask):
    answer = ask("list all the grades")
    assert answer.text.startswith("Grades stated in the handbook (7):")
    assert "• Grade 7: 2 roles (Sr. Sales Operations Analyst, Sr. Sales Operations Manager)" in answer.text


def test_a_word_that_is_not_a_role_is_not_silently_dropped(ask):
    assert ask("grade 7 in marketing").status == "not_found"
    assert ask("who does the senior happiness engineer report to").status == "not_found"


def test_levels_of_one_kind_within_a_family(ask):
    answer = ask("can u list the sales ops analyst levels")
    assert answer.intent == "list_roles"
    assert answer.text.startswith("5 of the 17 roles in the *Sales Operations* family match “analyst”:")
    assert answer.roles == [
        "Associate Sales Operations Analyst", "Sales Operations Analyst", "Sales Operations Analyst - Sales Tech Stack",
        "Sr. Sales Operations Analyst", "Sales Operations Analyst (Channel)",
    ]


def test_a_chatty_question_still_finds_the_role(ask):
    answer = ask("hey, quick q - whos the hiring mgr for the sr sales ops analyst role?")
    assert answer.intent == "interview_steps"
    assert answer.roles == ["Sr. Sales Operations Analyst"]
    assert "first interview with the Hiring Manager" in answer.text
