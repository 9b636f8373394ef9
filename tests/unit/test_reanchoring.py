"""Re-anchoring, rule by rule: position, unique words, context, moved, fuzzy, applied
suggestions, orphaned."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.anchoring import quote_at
from app.models.annotation import AnchorStatus
from app.papers import reanchoring
from app.papers.correspondence import SectionInfo
from app.papers.reanchoring import MIN_SIMILARITY, Placement, QuoteAnchor, reanchor

INTRO = (
    "Organisational change practice and research aims at the improvement of organisations.\n"
    "Nevertheless, public sector organisations are frequently presented as a special case."
)
CULTURE = (
    "Public organisations in Europe are subject to traditions intrinsic to each member state.\n"
    "There are at least four types of state traditions in Europe, and each have developed "
    "their own understanding of these matters.\n"
    "Acknowledging organisational culture in change processes is therefore important."
)
SUMMING = (
    "Technology per se must not be the key driver for the implementation of service "
    "innovations, or they will be out of synch with existing governance structures."
)


def section(key: str, text: str, title: str | None = None) -> SectionInfo:
    return SectionInfo(key, title or key.replace("-", " ").title(), text)


def passage(key: str, text: str, exact: str, occurrence: int = 0) -> QuoteAnchor:
    """The anchor a browser would send for the `occurrence`-th `exact` in `text`."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(exact, start + 1)
    quote = quote_at(text, start, start + len(exact))
    return QuoteAnchor(key, quote.exact, quote.prefix, quote.suffix, quote.start, quote.end)


def one(anchor: QuoteAnchor, old: list[SectionInfo], new: list[SectionInfo], **kw) -> Placement:
    return reanchor({"t": anchor}, old, new, **kw)["t"]


def text_of(sections: list[SectionInfo], placement: Placement) -> str:
    text = {s.key: s.text for s in sections}[placement.section_key]
    return text[placement.start : placement.end]


OLD = [section("intro", INTRO), section("culture", CULTURE), section("summing-up", SUMMING)]


# -- the same section ---------------------------------------------------------------------


def test_words_still_at_their_offsets_stay_there():
    anchor = passage("culture", CULTURE, "four types of state traditions")
    got = one(anchor, OLD, OLD)
    assert got == Placement(
        AnchorStatus.EXACT, "culture", anchor.start, anchor.end, anchor.exact, 1.0
    )


def test_words_found_once_elsewhere_in_their_section_follow_it():
    new = [OLD[0], section("culture", "A new opening paragraph.\n" + CULTURE), OLD[2]]
    anchor = passage("culture", CULTURE, "four types of state traditions")
    got = one(anchor, OLD, new)
    assert got.status == AnchorStatus.EXACT and got.section_key == "culture"
    assert got.start == anchor.start + len("A new opening paragraph.\n")
    assert text_of(new, got) == anchor.exact


def test_words_that_occur_twice_go_where_their_context_agrees():
    old_text = "The state decides. Rules are rules in the public sector.\nMarkets decide."
    new_text = (
        "Rules are rules, said nobody.\nThe state decides. Rules are rules in the public sector."
    )
    anchor = passage("s", old_text, "Rules are rules")
    got = one(anchor, [section("s", old_text)], [section("s", new_text)])
    assert got.status == AnchorStatus.EXACT
    assert got.start == new_text.index("Rules are rules in the")


def test_words_that_occur_twice_with_equally_good_context_are_orphaned():
    old_text = "One: the same words here. Two: the same words here."
    new_text = "Three: the same words here. Four: the same words here."
    # Given without offsets (as an old client might), the place is not certain.
    anchor = QuoteAnchor("s", "the same words here", prefix=": ", suffix=".")
    got = one(anchor, [section("s", old_text)], [section("s", new_text)])
    assert got == Placement(AnchorStatus.ORPHANED, "s")


def test_a_short_quote_found_once_but_in_other_words_is_orphaned():
    old_text = "The ICT budget was cut by half in the second year of the programme."
    new_text = "Spending fell sharply. Later, ICT came to be seen as an enabler."
    anchor = passage("s", old_text, "ICT")
    got = one(anchor, [section("s", old_text)], [section("s", new_text)])
    assert got == Placement(AnchorStatus.ORPHANED, "s")


def test_a_long_quote_found_once_is_kept_even_when_its_context_changed():
    exact = "four types of state traditions in Europe, and each have developed"
    anchor = passage("culture", CULTURE, exact)
    new_text = "Entirely new opening.\n" + exact + " something else entirely."
    got = one(anchor, OLD, [section("culture", new_text)])
    assert got.status == AnchorStatus.EXACT and text_of([section("culture", new_text)], got)


# -- moved text ---------------------------------------------------------------------------


def test_words_gone_from_their_section_but_found_in_another_have_moved():
    paragraph = CULTURE.split("\n")[2]
    new = [
        section("intro", INTRO),
        section("culture", CULTURE.replace("\n" + paragraph, "")),
        section("summing-up", SUMMING + "\n" + paragraph),
    ]
    anchor = passage("culture", CULTURE, "organisational culture in change processes")
    got = one(anchor, OLD, new)
    assert got.status == AnchorStatus.MOVED and got.section_key == "summing-up"
    assert text_of(new, got) == anchor.exact and got.score == 1.0


def test_words_found_in_two_other_sections_alike_are_orphaned():
    old = [section("a", "Alpha: shared words of some length. End."), section("b", "Bravo.")]
    new = [
        section("a", "Alpha: nothing left."),
        section("b", "Bravo: shared words of some length. End."),
        section("c", "Charlie: shared words of some length. End."),
    ]
    got = one(passage("a", old[0].text, "shared words of some length"), old, new)
    assert got == Placement(AnchorStatus.ORPHANED, "a")


def test_a_short_quote_in_another_section_needs_most_of_its_context():
    old = [section("a", "The budget for ICT was cut."), section("b", "Nothing here.")]
    new = [section("a", "The budget was cut."), section("b", "Spending on ICT grew.")]
    got = one(passage("a", old[0].text, "ICT"), old, new)
    assert got.status == AnchorStatus.ORPHANED


# -- fuzzy --------------------------------------------------------------------------------


def test_a_typo_fix_inside_the_quote_is_fuzzy_with_the_corrected_words():
    new = [OLD[0], OLD[1], section("summing-up", SUMMING.replace("synch", "sync"))]
    anchor = passage("summing-up", SUMMING, "will be out of synch with existing governance")
    got = one(anchor, OLD, new)
    assert got.status == AnchorStatus.FUZZY and got.section_key == "summing-up"
    assert got.exact == "will be out of sync with existing governance" == text_of(new, got)
    assert MIN_SIMILARITY <= got.score < 1


def test_a_rewording_inside_the_quote_is_fuzzy_up_to_the_threshold_only():
    reworded = CULTURE.replace("each have developed their own", "each has developed its own")
    new = [OLD[0], section("culture", reworded), OLD[2]]
    anchor = passage("culture", CULTURE, "each have developed their own understanding")
    got = one(anchor, OLD, new)
    assert got.status == AnchorStatus.FUZZY
    assert got.exact == "each has developed its own understanding"
    assert one(anchor, OLD, new, min_similarity=got.score + 0.01) == Placement(
        AnchorStatus.ORPHANED, "culture"
    )


def test_words_rewritten_beyond_recognition_are_orphaned():
    rewritten = CULTURE.replace(
        "There are at least four types of state traditions in Europe",
        "Scholars count several administrative families across the continent",
    )
    new = [OLD[0], section("culture", rewritten), OLD[2]]
    anchor = passage("culture", CULTURE, "There are at least four types of state traditions")
    assert one(anchor, OLD, new) == Placement(AnchorStatus.ORPHANED, "culture")


def test_a_short_quote_is_never_fuzzy():
    new = [OLD[0], OLD[1], section("summing-up", SUMMING.replace("synch", "sync"))]
    anchor = passage("summing-up", SUMMING, "of synch")
    assert one(anchor, OLD, new, min_similarity=0.1).status == AnchorStatus.ORPHANED


def test_close_words_whose_surroundings_changed_are_not_fuzzy():
    old_text = "Budgets were cut in the year two thousand and five by the ministry of finance."
    new_text = "Nobody had expected that by the year two thousand and six, they said, at all."
    anchor = passage("s", old_text, "the year two thousand and five")
    got = one(anchor, [section("s", old_text)], [section("s", new_text)])
    assert got.status == AnchorStatus.ORPHANED


# -- suggestions applied ------------------------------------------------------------------

FOUR = "There are at least four types of state traditions in Europe"
FIVE = "There are at least five types of state traditions in Europe"


def suggestion(key: str, text: str, exact: str, proposed: str) -> QuoteAnchor:
    """A suggestion's anchor: its quote, and the wording it proposes instead."""
    return replace(passage(key, text, exact), proposed=proposed)


def with_culture(text: str) -> list[SectionInfo]:
    return [OLD[0], section("culture", text), OLD[2]]


def test_a_suggestion_taken_word_for_word_is_applied_on_the_new_words():
    new = with_culture(CULTURE.replace(FOUR, FIVE))
    got = one(suggestion("culture", CULTURE, FOUR, FIVE), OLD, new)
    start = new[1].text.index(FIVE)
    assert got == Placement(AnchorStatus.APPLIED, "culture", start, start + len(FIVE), FIVE, 1.0)
    # The same change, made without a suggestion (or on a comment), is a fuzzy placement.
    assert one(passage("culture", CULTURE, FOUR), OLD, new).status == AnchorStatus.FUZZY


def test_a_short_suggestion_taken_word_for_word_is_applied():
    new = with_culture(CULTURE.replace("four types", "five kinds"))
    got = one(suggestion("culture", CULTURE, "four types", "five kinds"), OLD, new)
    assert got.status == AnchorStatus.APPLIED and got.exact == "five kinds" == text_of(new, got)
    # Too short to be fuzzy: without the suggestion it would be orphaned.
    assert one(passage("culture", CULTURE, "four types"), OLD, new).status == (
        AnchorStatus.ORPHANED
    )


def test_a_suggestion_taken_with_a_small_change_is_applied_with_its_similarity():
    new = with_culture(CULTURE.replace(FOUR, FIVE))
    typo = "There are at least five typse of state traditions in Europe"
    got = one(suggestion("culture", CULTURE, FOUR, typo), OLD, new)
    assert got.status == AnchorStatus.APPLIED and got.exact == FIVE == text_of(new, got)
    assert MIN_SIMILARITY <= got.score < 1
    reworded = "There are at least five kinds of state tradition in Europe"
    got = one(suggestion("culture", CULTURE, FOUR, reworded), OLD, new)
    assert got.status == AnchorStatus.APPLIED and got.exact == FIVE


def test_the_old_quote_found_still_wins_over_the_proposed_wording():
    both = CULTURE + " " + FIVE + "."
    got = one(suggestion("culture", CULTURE, FOUR, FIVE), OLD, with_culture(both))
    assert got.status == AnchorStatus.EXACT and got.exact == FOUR


def test_proposed_wording_found_elsewhere_is_not_taken():
    unrelated = (
        "Public organisations in Europe are subject to traditions intrinsic to each member "
        "state.\nScholars count several administrative families across the continent, and "
        "each have developed their own understanding of these matters.\n"
        "Acknowledging organisational culture in change processes is therefore important. "
        + FIVE
        + ", says another study."
    )
    anchor = suggestion("culture", CULTURE, FOUR, FIVE)
    assert one(anchor, OLD, with_culture(unrelated)) == Placement(AnchorStatus.ORPHANED, "culture")
    # Nor in another section.
    new = [section("intro", INTRO + " " + FIVE), section("culture", unrelated), OLD[2]]
    assert one(anchor, OLD, new).status == AnchorStatus.ORPHANED


def test_proposed_wording_in_its_old_surroundings_but_away_from_its_place_is_not_taken():
    """Only where the diff maps the quote: here its paragraph was rewritten, and a copy
    of it with the proposal applied was added at the end of the section."""
    rewritten = CULTURE.replace(FOUR, "Scholars count several administrative families")
    copy = CULTURE.split("\n")[0] + "\n" + CULTURE.split("\n")[1].replace(FOUR, FIVE)
    new = with_culture(rewritten + "\n" + copy)
    assert new[1].text.count(FIVE) == 1
    got = one(suggestion("culture", CULTURE, FOUR, FIVE), OLD, new)
    assert got == Placement(AnchorStatus.ORPHANED, "culture")


def test_proposed_wording_at_the_place_with_new_surroundings_is_not_taken():
    rewritten = (
        "Nothing here was kept from before at all, as the authors rewrote it in full. "
        + FIVE
        + " — so they now claim, in an entirely fresh paragraph of their own."
    )
    got = one(suggestion("culture", CULTURE, FOUR, FIVE), OLD, with_culture(rewritten))
    assert got.status == AnchorStatus.ORPHANED


def test_a_non_suggestion_is_never_applied():
    new = with_culture(CULTURE.replace(FOUR, FIVE))
    for anchor in (passage("culture", CULTURE, FOUR), suggestion("culture", CULTURE, FOUR, "")):
        assert one(anchor, OLD, new).status == AnchorStatus.FUZZY
    assert one(QuoteAnchor("culture", proposed=FIVE), OLD, new).status == AnchorStatus.EXACT


def test_a_change_of_the_editors_own_is_fuzzy_not_applied():
    """Words close to the proposal, but no nearer to it than the quote was: the editors
    made their own change (a typo fixed), not the one proposed (a word added)."""
    new = [OLD[0], OLD[1], section("summing-up", SUMMING.replace("synch", "sync"))]
    quote = "out of synch with existing governance structures"
    anchor = suggestion(
        "summing-up", SUMMING, quote, "out of synch with the existing governance structures"
    )
    got = one(anchor, OLD, new)
    assert got.status == AnchorStatus.FUZZY
    assert got.exact == "out of sync with existing governance structures"
    # Had the editors taken the proposal up, typo and all, it would be applied.
    taken = SUMMING.replace(quote, "out of synch with the existing governance structures")
    got = one(anchor, OLD, [OLD[0], OLD[1], section("summing-up", taken)])
    assert got.status == AnchorStatus.APPLIED and got.score == 1.0


def test_an_applied_suggestion_carried_again_stands_on_its_words():
    """Carried on with the applied words as its quote (and no proposal), it is exact."""
    applied_text = CULTURE.replace(FOUR, FIVE)
    first = one(suggestion("culture", CULTURE, FOUR, FIVE), OLD, with_culture(applied_text))
    later = with_culture("A sentence added first.\n" + applied_text)
    again = passage("culture", applied_text, first.exact)
    got = one(again, with_culture(applied_text), later)
    assert got.status == AnchorStatus.EXACT and text_of(later, got) == FIVE


# -- whole sections, removed and renamed sections -----------------------------------------


def test_section_comments_follow_their_section():
    moved = [OLD[1], OLD[0], OLD[2]]  # culture before intro: intro moved (or culture)
    renamed = [OLD[0], section("traditions", CULTURE + " One more.", "Traditions"), OLD[2]]
    removed = [OLD[0], OLD[2]]
    anchors = {"intro": QuoteAnchor("intro"), "culture": QuoteAnchor("culture")}
    assert reanchor(anchors, OLD, OLD) == {
        "intro": Placement(AnchorStatus.EXACT, "intro", score=1.0),
        "culture": Placement(AnchorStatus.EXACT, "culture", score=1.0),
    }
    after_move = reanchor(anchors, OLD, moved)
    assert {p.section_key for p in after_move.values()} == {"intro", "culture"}
    assert AnchorStatus.MOVED in {p.status for p in after_move.values()}
    assert reanchor(anchors, OLD, renamed)["culture"] == Placement(
        AnchorStatus.MOVED, "traditions", score=1.0
    )
    assert reanchor(anchors, OLD, removed)["culture"] == Placement(AnchorStatus.ORPHANED, None)


def test_a_passage_in_a_renamed_section_keeps_its_place_under_the_new_key():
    new = [OLD[0], section("traditions", CULTURE + " One more.", "Traditions"), OLD[2]]
    anchor = passage("culture", CULTURE, "four types of state traditions")
    got = one(anchor, OLD, new)
    assert got == Placement(
        AnchorStatus.EXACT, "traditions", anchor.start, anchor.end, anchor.exact, 1.0
    )


def test_a_passage_of_a_removed_section_is_orphaned_at_the_end_unless_its_words_moved():
    new = [section("intro", INTRO + "\nAcknowledging organisational culture in change."), OLD[2]]
    gone = passage("culture", CULTURE, "four types of state traditions")
    kept = passage("culture", CULTURE, "Acknowledging organisational culture in change")
    got = reanchor({"gone": gone, "kept": kept}, OLD, new)
    assert got["gone"] == Placement(AnchorStatus.ORPHANED, None)
    assert got["kept"].status == AnchorStatus.MOVED and got["kept"].section_key == "intro"


# -- offsets, keys and cost ---------------------------------------------------------------


def test_offsets_are_code_points_even_beyond_the_basic_plane():
    old_text = "Party 🎉 time: the citizens 👩‍💻 were served online at last."
    new_text = "🚀🚀 Launch. Party 🎉 time: the citizens 👩‍💻 were served online at last!"
    anchor = passage("s", old_text, "were served online at last")
    got = one(anchor, [section("s", old_text)], [section("s", new_text)])
    assert got.status == AnchorStatus.EXACT
    assert got.start == new_text.index("were served") and new_text[got.start : got.end] == got.exact
    typo = new_text.replace("served", "srved")
    fuzzy = one(anchor, [section("s", old_text)], [section("s", typo)])
    assert fuzzy.status == AnchorStatus.FUZZY and fuzzy.exact == "were srved online at last"
    assert typo[fuzzy.start : fuzzy.end] == fuzzy.exact


def test_every_key_gets_a_placement_and_empty_quotes_are_orphaned():
    anchors = {
        1: QuoteAnchor("intro"),
        (2, "x"): QuoteAnchor("intro", "  "),
        "unknown": QuoteAnchor("no-such-section", "anything at all here"),
    }
    got = reanchor(anchors, OLD, OLD)
    assert set(got) == set(anchors)
    assert got[(2, "x")] == Placement(AnchorStatus.ORPHANED, "intro")
    assert got["unknown"] == Placement(AnchorStatus.ORPHANED, None)
    assert reanchor({}, OLD, OLD) == {}


def test_each_pair_of_sections_is_diffed_once_whatever_the_number_of_threads(monkeypatch):
    calls = []
    original = reanchoring._Engine._paragraph_then_word_diff

    def counted(self, old, new):
        calls.append(old)
        return original(self, old, new)

    monkeypatch.setattr(reanchoring._Engine, "_paragraph_then_word_diff", counted)
    edited = CULTURE.replace("four", "five").replace("have developed their", "has developed its")
    new = [OLD[0], section("culture", edited), OLD[2]]
    words = CULTURE.split("\n")[1].split()
    anchors = {}
    for i in range(400):
        exact = " ".join(words[i % 15 : i % 15 + 3 + i % 5])
        anchors[i] = passage("culture", CULTURE, exact)
    got = reanchor(anchors, OLD, new)
    assert len(calls) <= 1
    for placement in got.values():
        if placement.status != AnchorStatus.ORPHANED:
            assert text_of(new, placement) == placement.exact


@pytest.mark.parametrize("threshold", [0.5, MIN_SIMILARITY, 0.95])
def test_a_fuzzy_placement_reaches_the_threshold_it_was_given(threshold):
    new = [OLD[0], OLD[1], section("summing-up", SUMMING.replace("synch", "sync"))]
    anchor = passage("summing-up", SUMMING, "out of synch with existing")
    got = one(anchor, OLD, new, min_similarity=threshold)
    assert got.status == AnchorStatus.ORPHANED or got.score >= threshold


def test_a_long_quote_that_moved_and_only_changed_case_is_found_where_it_went():
    """ "Finally, one factor …" cut to "One factor …" and moved to another section."""
    moved = "one factor that is increasingly present in policy and practice innovation"
    old = [*OLD, section("ict", f"Finally, {moved} is the use of ICT.")]
    new = [
        section("intro", INTRO),
        section("culture", CULTURE),
        section("summing-up", SUMMING),
        section("ict", "Information technology is another matter."),
        section("e-government", "One" + moved[3:] + " is the use of ICT."),
    ]
    got = one(passage("ict", old[-1].text, moved), old, new)
    assert got.status is AnchorStatus.FUZZY and got.section_key == "e-government"
    assert got.exact == "One" + moved[3:] == text_of(new, got)
    # Twice in the new text: no choice is certain, so it is orphaned.
    twice = [*new[:-1], section("e-government", ("One" + moved[3:] + ". ") * 2)]
    assert one(passage("ict", old[-1].text, moved), old, twice).status is AnchorStatus.ORPHANED
