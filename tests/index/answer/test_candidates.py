"""Candidate extraction: names by kind, money, percentages, numbers and dates; what the question says is left out."""

from __future__ import annotations

from index.answer.candidates import extract, full_name, on_the_calendar, phrases, place_type, variant_key
from index.answer.question import DATE, MONEY, NAME, NUMBER, ORG, PERCENT, PERSON, PLACE, THING, analyse


def kinds(text: str, known: frozenset[str] = frozenset()) -> dict[str, str]:
    return {c.text: c.kind for c in extract(text, known)}


def test_money_percent_numbers_and_dates() -> None:
    found = kinds("Brightwater agreed to a $44 billion deal on March 3, 2022, 38% above the price; 700 workers left.")
    assert found["$44 billion"] == MONEY
    assert found["38%"] == PERCENT
    assert found["March 3, 2022"] == DATE
    assert found["700 workers"] == NUMBER


def test_people_places_and_organisations() -> None:
    found = kinds("Mayor Dana Whitfield said Lakeview Motors Inc. will build a plant in Portugal, near Braga.")
    assert found["Dana Whitfield"] == PERSON  # the title is not part of the name
    assert found["Lakeview Motors Inc."] == ORG  # the full stop of "Inc." is the name's
    assert found["Portugal"] == PLACE
    assert found["Braga"] == PLACE  # after "near"


def test_runs_are_cut_at_titles_possessives_and_sentence_ends() -> None:
    found = kinds("Outgoing Norland Gov. Mira Castell broke Tom Ash’ record in Velmont. Harlow Group said so.")
    assert "Mira Castell" in found and found["Mira Castell"] == PERSON
    assert "Tom Ash" in found
    assert "Velmont" in found and "Harlow Group" in found


def test_dateline_is_not_a_candidate() -> None:
    found = kinds("PORT ELLIS, Norland (AP) — Mira Castell won the vote.")
    assert list(found) == ["Mira Castell"]


def test_candidates_in_the_question_do_not_count() -> None:
    qa = analyse("Which country did Mira Castell visit after Portugal?")
    found = kinds("Mira Castell flew from Portugal to Brazil.", qa.known)
    assert "Brazil" in found
    assert "Portugal" not in found and "Mira Castell" not in found


def test_quoted_titles_and_variant_keys() -> None:
    assert "Night Harbor" in kinds("The streaming hit “Night Harbor” returns in May.")
    assert variant_key("Tonga’s") == variant_key("Tonga") == "tonga"
    assert variant_key("The Harbor Times") == "harbor times"
    by_key = {c.key for c in extract("About 1,000 people came; later 1,000 more.")}
    assert by_key == {"1000"}


def test_particles_aliases_and_pairs() -> None:
    found = kinds("A strike killed Ayman al-Zawahiri, leader of al-Qaeda, officials said.")
    assert "Ayman al-Zawahiri" in found and "al-Qaeda" in found
    assert variant_key("UK") == variant_key("Britain") == variant_key("United Kingdom")
    plain = [c.text for c in extract("Kroger and Albertsons plan to merge.")]
    paired = [c.text for c in extract("Kroger and Albertsons plan to merge.", pairs=True)]
    assert "Kroger and Albertsons" not in plain and "Kroger and Albertsons" in paired
    assert "Kroger" in paired  # the parts stay candidates too


def test_weekdays_demonyms_and_names_the_question_wrote_otherwise() -> None:
    from index.answer.question import analyse

    found = kinds("On Sunday’s vote, Norlandian lawmakers met in Velmont.")
    assert "Sunday" not in found and found.get("Norlandian") != "place"
    qa = analyse("The UK government hired a firm from which country?")
    assert "UK" not in kinds("UK officials hired a firm from Portugal.", qa.known)


def test_figures_found_whatever_they_start_with() -> None:
    found = kinds("Twelve of them paid US$5 million and 40 dollars; Fifteen hundred people waited.")
    assert found["Twelve"] == NUMBER  # a capitalised number word
    assert found["US$5 million"] == MONEY
    assert found["40 dollars"] == MONEY
    assert found["Fifteen hundred people"] == NUMBER


def test_lone_leading_words_are_not_names() -> None:
    found = kinds("The deal closed. But Monday came, and Former Mayor Kim Lee spoke. US officials agreed.")
    assert not {"The", "But", "Monday", "Former", "US"} & set(found)
    assert found["Kim Lee"] == PERSON


def test_figures_are_not_names_and_a_stopword_is_no_unit() -> None:
    # Looking for names only, the digits of "22,000 cases" once came out as the names "22" and "000".
    names = extract("There were almost 22,000 cases in Norland, 700 in Velmont.", kinds={PLACE, "name"})
    assert [c.text for c in names] == ["Norland", "Velmont"]
    # "under 5 are": the number's unit is the next word only when it can be one.
    found = kinds("Vaccines for children under 5 are ready; 40 more trucks came, and 12 nurses.")
    assert "5" in found and "5 are" not in found
    assert found["40"] == NUMBER  # "more" is a stopword, not what was counted
    assert found["12 nurses"] == NUMBER


def test_storms_are_not_people() -> None:
    assert kinds("Hurricane Delphine left 900 homes without power.")["Hurricane Delphine"] != PERSON


def test_place_types_from_the_gazetteer() -> None:
    assert place_type(variant_key("UK")) == "country"
    assert place_type("texas") == "state"
    assert place_type("georgia") == "both"
    assert place_type("new york") is None  # a city as well as a state
    assert place_type("velmont") is None


def test_full_name_of_a_surname() -> None:
    texts = ["Director Mara Quillon opened the show.", "Later Quillon said she was glad.", "Mara Quillon’s film won."]
    assert full_name("Quillon", texts) == "Mara Quillon"
    assert full_name("Quillon", ["Spain Quillon won.", "In Velmont Quillon spoke."]) is None
    assert full_name("Quillon", ["Quillon spoke."]) is None


def test_a_demonym_of_a_listed_country_names_the_country() -> None:
    found = extract("Iranian lawmakers met Japanese and Norlandian envoys; Russian troops left.")
    places = {c.text: c.key for c in found if c.kind == PLACE}
    assert places == {"Iran": "iran", "Japan": "japan", "Russia": "russia"}


def test_ordinals_and_sentence_openers_are_not_names() -> None:
    found = kinds(
        "Now Norbridge saw rents rise for the 10th month. Many Norlanders still pay. Still, Velmont Bank grew."
    )
    assert "Norbridge" in found and "Norlanders" in found and "Velmont Bank" in found
    assert not {"Now", "Now Norbridge", "10th", "Many", "Many Norlanders", "Still"} & set(found)


def test_open_class_phrases_leave_out_stopwords_names_figures_and_question_words() -> None:
    known = analyse("Which menu item did the Harbor Diner roll out this week?").known
    found = phrases(
        "The Harbor Diner said on Monday it will roll out crispy cod bites, its 3rd new dish in 2022.", known
    )
    texts = [c.text for c in found]
    assert "crispy cod bites" in texts
    # "said", "Monday", "Harbor Diner", "3rd", "2022" and "roll out" are not what is asked for.
    assert all(not set(t.split()) & {"said", "Monday", "Harbor", "Diner", "roll", "3rd", "2022"} for t in texts)
    assert all(c.kind == THING for c in found)
    # A sentence's capitalised first word starts a phrase, but is no phrase on its own (a name, most likely).
    opening = [c.text for c in phrases("Crispy cod bites sold out. Netflix said so.", known)]
    assert "Crispy cod bites" in opening and "Netflix" not in opening


def test_open_class_phrases_are_trimmed_keyed_by_stems_and_marked_near() -> None:
    known = analyse("What ancient find was uncovered in the Velmont riverbed?").known
    found = {c.text: c for c in phrases("Hikers saw dinosaur tracks found in riverbed mud.", known)}
    # A trailing participle is the clause's verb, not the phrase's head.
    assert "dinosaur tracks" in found and "dinosaur tracks found" not in found
    assert found["dinosaur tracks"].key == "dinosaur track"  # "tracks" and "track" vote together
    assert found["dinosaur tracks"].near  # within a few words of "riverbed"
    far = phrases(
        "Loud brass bands played while the crowd cheered on and on, long before anyone saw the riverbed.", known
    )
    assert not {c.text: c for c in far}["Loud brass bands"].near


def test_open_class_extraction_gives_phrases_and_quoted_titles_only() -> None:
    known = analyse("Which wildly popular thing was renewed?").known
    found = extract("Netflix renewed “Squid Game” for $10 million, a rare bet on foreign drama.", known, kinds={THING})
    assert {c.text for c in found} == {"Squid Game", "rare bet", "foreign drama"}


def test_a_name_cached_from_one_sentence_still_reads_the_word_before_it_in_another() -> None:
    # The words of a capitalised run are read once (cached); "in" before it makes it a place only where it is.
    assert kinds("Lakeview Gardens opened a shop.")["Lakeview Gardens"] == PERSON
    assert kinds("Fans gathered in Lakeview Gardens on Monday.")["Lakeview Gardens"] == PLACE
    assert kinds("Lakeview Gardens opened a shop.")["Lakeview Gardens"] == PERSON
    # After "to", "from" or "at", a name a person could have stays a person's; one word is still a place.
    assert kinds("The prize went to Narges Aldo on Friday.")["Narges Aldo"] == PERSON
    assert kinds("Fans flew to Velmont and to Las Vegas.")["Velmont"] == PLACE
    assert kinds("The Velmont Storm beat the Seattle Storm.")["Seattle Storm"] == ORG


def test_a_demonym_names_its_country_wherever_its_run_was_first_read() -> None:
    assert kinds("Iranian lawmakers met.") == {"Iran": PLACE}
    assert kinds("They met Iranian lawmakers.") == {"Iran": PLACE}


def test_a_name_with_a_surname_particle_is_a_person() -> None:
    found = kinds("A strike killed Ayman al-Zawahiri, officials said. Ludwig van Beethoven wrote it in Bonn.")
    assert found["Ayman al-Zawahiri"] == PERSON and found["Ludwig van Beethoven"] == PERSON
    assert kinds("Banco de Chile raised rates.")["Banco de Chile"] != PERSON  # "de" starts firms' names too


def test_a_count_ahead_of_a_name_is_not_part_of_it() -> None:
    names = extract("A letter signed by 227 of Iran's 290 lawmakers.", kinds={PLACE, ORG, PERSON})
    assert [(c.text, c.kind) for c in names] == [("Iran", PLACE)]


def test_the_question_s_terms_may_come_as_any_collection() -> None:
    text = "Harlow Group bought the Velmont observatory."
    for known in ({"harlow", "group"}, frozenset({"harlow", "group"}), ["harlow", "group"]):
        assert "Harlow Group" not in [c.text for c in extract(text, known)]


def test_names_joined_by_an_ampersand_are_one_organisation() -> None:
    found = kinds("Data went to U.S. News & World Report; Procter & Gamble and AT&T said nothing.")
    assert found["U.S. News & World Report"] == ORG
    assert found["Procter & Gamble"] == ORG and found["AT&T"] == ORG
    assert "World Report" not in found and "Gamble" not in found


def test_a_country_s_abbreviation_is_nobody_s_first_name() -> None:
    found = kinds("The Mira Castell quarter was struck by the U.S. Mint and shipped by UK Haulage.")
    assert found["Mira Castell"] == PERSON
    assert found["U.S. Mint"] != PERSON and found["UK Haulage"] != PERSON


def test_the_full_name_of_a_person_the_question_names_shortly_is_known() -> None:
    known = frozenset(analyse("Former minister Dan Ash died this week. Which president did he serve under?").known)
    names = [c.text for c in extract("Daniel Ash, who served under President Mira Castell, has died.", known)]
    assert names == ["Mira Castell"]
    # The same surname with another first name is somebody else.
    assert "Ruth Ash" in [c.text for c in extract("His widow Ruth Ash said so.", known)]


def test_an_elected_title_is_no_part_of_the_name() -> None:
    found = kinds("Mayor-elect Mira Castell met President-elect Dan Ash.")
    assert found == {"Mira Castell": PERSON, "Dan Ash": PERSON}


def test_of_after_a_person_s_name_says_where_they_are_from() -> None:
    found = kinds("Tessa Arlund of Millbrook won the Harbor City Marathon ahead of the Bank of Norland team.")
    assert found["Tessa Arlund"] == PERSON and "Millbrook" in found
    assert "Tessa Arlund of Millbrook" not in found
    assert found["Harbor City Marathon"] != PERSON  # an event, not a person
    assert "Bank of Norland" in found  # one word before "of" is no person's name


def test_initials_written_with_or_without_full_stops_are_one_key() -> None:
    assert variant_key("U.S. Open") == variant_key("US Open") == "us open"
    assert variant_key("J.K. Rowling") == variant_key("JK Rowling")
    assert variant_key("U.S.") == variant_key("USA") == "united states"
    assert variant_key("St. Louis") == "st. louis"  # one letter and a stop is no initialism


def test_vague_quantities_units_and_compass_points_are_no_answers() -> None:
    found = kinds("Millions of dollars and thousands of jobs went east; it hit 46 degrees Celsius at the East Wing.")
    assert "millions" not in found and "thousands" not in found and "Millions" not in found
    assert "Celsius" not in found  # a unit, not a name
    assert found["East Wing"] != PERSON  # a compass point is nobody's first name


def test_falls_springs_and_heights_end_places() -> None:
    found = kinds("Heat hit several cities, including Wichita Falls, Colorado Springs and Golan Heights.")
    assert found["Wichita Falls"] == found["Colorado Springs"] == found["Golan Heights"] == PLACE


def test_a_company_s_usual_last_word_makes_it_an_organisation() -> None:
    found = kinds("Velmont Foods halted production, and Harlow Pharmaceuticals and Norland Energy said so.")
    assert found["Velmont Foods"] == found["Harlow Pharmaceuticals"] == found["Norland Energy"] == ORG


def test_a_place_of_two_words_and_a_plural_name_a_team() -> None:
    found = kinds("He left the New England Patriots for the Green Bay Packers; Georgia Adams and Ann Williams cheered.")
    assert found["New England Patriots"] == found["Green Bay Packers"] == ORG
    assert found["Georgia Adams"] == found["Ann Williams"] == PERSON  # one word of place is a first name


def test_a_date_on_the_calendar_names_its_day_month_or_year() -> None:
    for text in ("March 1", "Sept. 23", "2022", "May 2023"):
        assert on_the_calendar(text), text
    for text in ("this week", "next month", "annually", "in 3 weeks", "a few days"):
        assert not on_the_calendar(text), text


def test_a_count_unit_is_its_plural_noun_with_its_modifier() -> None:
    found = kinds("There are 77 Christmas trees, 130 school districts and 2,000 Norland Rail workers.")
    assert found["77 Christmas trees"] == found["130 school districts"] == NUMBER
    assert "2,000 Norland" in found  # three words is no unit: the name's first word stays, as before
    found = kinds("At least 75 arrests across the state; 40 more trucks; 3 inches of rain; 12,000 tech jobs were cut.")
    assert {"75 arrests", "40", "3 inches", "12,000 tech jobs"} <= set(found)


def test_titles_that_start_a_firm_and_names_made_adjectives() -> None:
    found = kinds("General Motors and the Norland General Assembly met. Attorney General Ada Voss spoke.")
    assert found["General Motors"] == found["General Assembly"] == ORG
    assert found["Ada Voss"] == PERSON and "Attorney" not in found  # a title alone names nobody
    found = kinds("Microsoft-owned LinkedIn and the Velmont Actors Guild; Majority Leader Tom Reyes.")
    assert "LinkedIn" in found and not any(k.startswith("Microsoft") for k in found)
    assert found["Velmont Actors Guild"] == ORG and found["Tom Reyes"] == PERSON


def test_a_title_with_its_portfolio_is_not_part_of_the_name() -> None:
    found = kinds("US Secretary of State Ada Voss met Minister of Defence Tom Reyes and Mayor of Velmont Lee Harlow.")
    assert found["Ada Voss"] == found["Tom Reyes"] == found["Lee Harlow"] == PERSON
    assert not any(k.startswith(("State", "Defence", "Velmont")) for k in found)
    assert kinds("Secretary of State Voss spoke.")["Voss"] == PERSON  # a surname after the portfolio


def test_a_portfolio_before_the_run_is_not_part_of_the_name() -> None:
    assert "Ada Voss" in kinds("Speaker of the House Ada Voss said on Tuesday that the vote would go ahead.")
    assert "Tom Reyes" in kinds("The Chancellor of the Exchequer Tom Reyes spoke.")
    assert "Bank of Velmont Savings" in kinds("The Bank of Velmont Savings unit closed.")  # no title before "of"


def test_a_source_after_according_to_is_no_place() -> None:
    assert kinds("Sales topped $1 billion, according to Pollstar.")["Pollstar"] == NAME
    assert kinds("The team flew to Velmont.")["Velmont"] == PLACE


def test_venues_newspapers_leagues_and_tours_say_what_they_are() -> None:
    found = kinds("She died at Velmont Castle; the Norland Tribune said the Aldo Arena hosted the Velmont Tour.")
    assert found["Velmont Castle"] == found["Aldo Arena"] == PLACE
    assert found["Norland Tribune"] == ORG and found["Velmont Tour"] == NAME
    assert kinds("He joined Norland United of the Velmont Soccer league.")["Velmont Soccer"] == ORG


def test_a_weekday_after_a_name_is_not_part_of_it() -> None:
    found = kinds("Ada Voss made history at Velmont Tuesday as she won.")
    assert "Velmont" in found and not any("Tuesday" in k for k in found)


def test_a_name_with_of_is_what_the_word_before_of_says() -> None:
    found = kinds("The Department of Velmont Affairs and the Bank of Norland met in the Gulf of Tidewater.")
    assert found["Department of Velmont Affairs"] == found["Bank of Norland"] == ORG
    assert found["Gulf of Tidewater"] == PLACE


def test_the_joins_a_name_only_after_of() -> None:
    found = kinds("An official told VELMONT NEWS the Department of Norland Affairs would close the Bank of the West.")
    assert "Department of Norland Affairs" in found and "Bank of the West" in found
    assert not any(k.startswith("VELMONT NEWS the") for k in found)


def test_a_body_s_word_alone_names_no_body() -> None:
    assert kinds("News outlets reported that Cabinet posts were open.") == {"News": NAME, "Cabinet": NAME}
    assert kinds("He chairs Velmont Wide Technology; the FBI agreed.") == {"Velmont Wide Technology": ORG, "FBI": ORG}


def test_a_year_before_a_name_is_not_part_of_it() -> None:
    found = kinds("Norland won the 2022 Velmont Cup; the 2024 Aldo Open starts soon.")
    assert found["2022"] == found["2024"] == DATE
    assert found["Velmont Cup"] == found["Aldo Open"] == NAME  # the name was lost with the year


def test_url_encoded_characters_are_no_figures() -> None:
    found = kinds("Velmont says the GOP%27s %22plan%22 is members%27 duty since Oct. 1%3B prices rose 5% in May.")
    assert not {"27", "22", "1%"} & set(found)
    assert found["5%"] == PERCENT


def test_sentence_openers_are_not_names_and_zoos_are_organisations() -> None:
    found = kinds("Prior to joining the Velmont Zoo, Ada Voss worked at the Norland Aquarium.")
    assert found == {"Velmont Zoo": ORG, "Ada Voss": PERSON, "Norland Aquarium": ORG}
    assert "Throughout" not in kinds("Throughout the decade, she voiced Tidewater.")


def test_armed_groups_and_movements_are_organisations() -> None:
    found = kinds("The Red Dawn Movement, the Kavar Brigades and the Norland Liberation Front met the Velmont Militia.")
    assert found["Red Dawn Movement"] == found["Kavar Brigades"] == ORG
    assert found["Norland Liberation Front"] == found["Velmont Militia"] == ORG


def test_events_and_documents_are_neither_places_nor_people() -> None:
    found = kinds("He fought in World War II, sang at the Super Bowl and spoke in the Velmont Accord's defence.")
    assert found["World War II"] == found["Super Bowl"] == found["Velmont Accord"] == NAME
    assert kinds("She played in the Norland Open in Tidewater.")["Norland Open"] == NAME


def test_a_team_is_named_by_its_place_and_its_own_name() -> None:
    found = kinds("The Norland Celtics beat the Velmont Browns; Best Picture went to Tidewater.")
    assert found["Norland Celtics"] == found["Velmont Browns"] == ORG
    assert found["Best Picture"] != PERSON
    assert kinds("Jordan Williams met Georgia Adams, and Fed Chair Ada Voss spoke.")["Jordan Williams"] == PERSON
    assert "Ada Voss" in kinds("Fed Chair Ada Voss spoke.")
    assert kinds("The first restaurant was called the Dwarf Grill.")["Dwarf Grill"] == ORG
    assert kinds("In 1776 the colonies declared independence; 1,700 troops landed.")["1776"] == DATE


def test_places_named_by_their_first_or_last_word() -> None:
    found = kinds("Flooding hit Fort Velmont, the Norland Strip and the Isle of Tidewater near Mount Aldo.")
    assert found["Fort Velmont"] == found["Norland Strip"] == found["Isle of Tidewater"] == PLACE
    assert found["Mount Aldo"] == PLACE


def test_organisations_named_by_their_last_word() -> None:
    found = kinds("Norland Rights Watch, Velmont International and Tidewater Global criticised it.")
    assert found["Norland Rights Watch"] == found["Velmont International"] == found["Tidewater Global"] == ORG
    found = kinds("The Norland Women's Cup began; Velmont Children's Hospital and Aldo Reyes’ record.")
    assert "Norland Women's Cup" in found and "Velmont Children's Hospital" in found and "Aldo Reyes" in found


def test_surnames_that_are_titles_particles_and_decades() -> None:
    found = kinds("Stephen Vale King wrote it; Mira da Costa and Aldo del Rio met in the 1940s.")
    assert found["Stephen Vale King"] == PERSON  # a title word last in a run is a surname
    assert found["Mira da Costa"] == found["Aldo del Rio"] == PERSON
    assert found["1940s"] == DATE
    assert "Tom Reyes King Jr. Day" in kinds("Tom Reyes King Jr. Day is a holiday.")  # no title before "Jr."


def test_a_quoted_title_leaves_the_sentence_s_stop_outside() -> None:
    found = kinds("The film beat “Tidewater.” Critics called it “Norland Nights,” a hit.")
    assert found["Tidewater"] == found["Norland Nights"] == NAME


def test_words_in_capitals_are_no_person() -> None:
    assert kinds("GAME RECAP: the Velmont side won.")["GAME RECAP"] != PERSON
    assert kinds("Game Recap writer Ada Voss said.")["Ada Voss"] == PERSON
