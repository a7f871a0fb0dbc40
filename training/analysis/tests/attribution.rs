//! Speaker attribution patterns, one test each, with a stub classifier (every statement
//! neutral) so that only attribution is under test.

use stance_analysis::{Analysis, Analyzer};
use stance_model::{Prediction, Stance};

fn neutral(_: &str) -> Prediction {
    Prediction {
        stance: Stance::Neutral,
        confidence: 1.0,
        probabilities: [0.0, 0.0, 0.0, 1.0],
    }
}

fn analyze(text: &str) -> Analysis {
    let a = Analyzer::new().analyze_with(text, neutral);
    for s in &a.statements {
        assert_eq!(s.text(text), &text[s.start..s.end]);
        assert_eq!(s.text(text), s.text(text).trim());
    }
    a
}

/// The speaker (code, or name for organisations) of the statement starting with `prefix`.
fn speaker(text: &str, prefix: &str) -> Vec<String> {
    let a = analyze(text);
    let v: Vec<String> = a
        .statements
        .iter()
        .filter(|s| s.text(text).starts_with(prefix))
        .filter_map(|s| s.actor.as_ref())
        .map(|a| a.code.clone().unwrap_or_else(|| a.name.clone()))
        .collect();
    assert!(
        a.statements
            .iter()
            .any(|s| s.text(text).starts_with(prefix)),
        "no statement starts with {prefix:?}"
    );
    v
}

#[test]
fn x_said() {
    let t = "France said the strikes were illegal.";
    assert_eq!(speaker(t, "France"), ["FRA"]);
}

#[test]
fn inverted_said_x_after_a_quote() {
    let t = "\u{201C}This is a violation of international law,\u{201D} said the Kremlin.";
    assert_eq!(speaker(t, "\u{201C}"), ["RUS"]);
    let t = "\"We stand with Baku,\" said Turkish President Recep Tayyip Erdoglu.";
    assert_eq!(speaker(t, "\""), ["TUR"]);
}

#[test]
fn mentions_inside_quotes_are_not_speakers() {
    let t = "Officials met. \"Russia must stop,\" Germany said.";
    assert_eq!(speaker(t, "\"Russia"), ["DEU"]);
}

#[test]
fn x_told_reporters() {
    let t = "Ankara told reporters it backed the operation.";
    assert_eq!(speaker(t, "Ankara"), ["TUR"]);
}

#[test]
fn according_to_x() {
    let t = "The strikes must stop at once, according to the State Department.";
    assert_eq!(speaker(t, "The strikes"), ["USA"]);
}

#[test]
fn in_a_call_with_x_is_not_the_speaker() {
    let t = "In a call with Russian President Vladimir Putov, Beijing urged restraint.";
    assert_eq!(speaker(t, "In a call"), ["CHN"]);
    let t = "Egypt said in a call with Israel that a ceasefire was needed.";
    assert_eq!(speaker(t, "Egypt"), ["EGY"]);
}

#[test]
fn possessive_foreign_ministry() {
    let t = "Qatar's foreign ministry condemned the bombing.";
    assert_eq!(speaker(t, "Qatar"), ["QAT"]);
}

#[test]
fn title_before_name_then_surname_then_pronoun() {
    let t = "French Foreign Minister Catherine Colonna said the attack was illegal. \
             Talks were due on Friday. Colonna said France would act. \
             Later on Monday she condemned the shelling.";
    assert_eq!(speaker(t, "French"), ["FRA"]);
    assert_eq!(speaker(t, "Talks"), Vec::<String>::new());
    assert_eq!(speaker(t, "Colonna"), ["FRA"]);
    assert_eq!(speaker(t, "Later"), ["FRA"]);
}

#[test]
fn pronouns_follow_gender() {
    let t = "French Foreign Minister Catherine Colonna said her country was appalled. \
             US Secretary of State Daniel Webb said his country urged calm. \
             She condemned the shelling. He called for talks.";
    assert_eq!(speaker(t, "She"), ["FRA"]);
    assert_eq!(speaker(t, "He"), ["USA"]);
}

#[test]
fn appositive_title_after_country() {
    let t = "Russia's foreign minister, Sergei Lavrin, said the vote was legal. \
             Lavrin added that Moscow would not back down.";
    assert_eq!(speaker(t, "Lavrin"), ["RUS"]);
}

#[test]
fn metonymy_capitals_and_seats() {
    for (t, code) in [
        ("Moscow rejected the claim.", "RUS"),
        ("Ankara backed the operation.", "TUR"),
        ("The Kremlin said the talks had failed.", "RUS"),
        ("The State Department urged restraint.", "USA"),
        ("The White House said it was concerned.", "USA"),
        ("The Elysee denounced the coup.", "FRA"),
        ("Downing Street said Britain stood with Kyiv.", "GBR"),
        ("Beijing called for dialogue.", "CHN"),
    ] {
        assert_eq!(speaker(t, &t[..4]), [code], "{t}");
    }
}

#[test]
fn demonym_with_title() {
    let t = "Turkish President Recep Tayyip Erdoglu voiced support for the offensive.";
    assert_eq!(speaker(t, "Turkish"), ["TUR"]);
}

#[test]
fn demonym_before_a_thing_is_not_a_speaker() {
    let t = "Iraqi tanks rolled into the city, residents said.";
    assert_eq!(speaker(t, "Iraqi"), Vec::<String>::new());
}

#[test]
fn organisations_have_a_name_and_no_code() {
    let t = "The African Union called for an immediate ceasefire.";
    let a = analyze(t);
    let actor = a.statements[0].actor.clone().expect("speaker");
    assert_eq!(actor.name, "African Union");
    assert_eq!(actor.code, None);
    assert_eq!(
        speaker("NATO said it was ready.", "NATO"),
        ["North Atlantic Treaty Organization"]
    );
}

#[test]
fn coordinated_subjects_but_not_appositives() {
    let t = "Mali and Burkina Faso backed the junta.";
    assert_eq!(speaker(t, "Mali"), ["MLI", "BFA"]);
    let t = "China, North Korea's main ally, urged calm.";
    assert_eq!(speaker(t, "China"), ["CHN"]);
}

#[test]
fn fronted_clause_and_places_are_masked() {
    let t = "After Azerbaijan launched its offensive, France condemned the attack.";
    assert_eq!(speaker(t, "After"), ["FRA"]);
    let t = "Speaking in Moscow, the Chinese envoy urged restraint.";
    assert_eq!(speaker(t, "Speaking"), ["CHN"]);
}

#[test]
fn quote_continuation_keeps_the_speaker() {
    let t = "\"It is illegal,\" the Egyptian foreign minister said. \"We will not accept it.\"";
    assert_eq!(speaker(t, "\"We"), ["EGY"]);
}

#[test]
fn institution_refers_back_in_the_same_paragraph() {
    let t =
        "Azerbaijan's defence ministry said its forces had advanced. The ministry gave no figures.";
    assert_eq!(speaker(t, "The ministry"), ["AZE"]);
}

#[test]
fn unqualified_titles_use_the_dateline() {
    let t = "LONDON \u{2014} Talks stalled on Monday.\n\nPrime Minister Jane Holt said Britain would not yield.";
    assert_eq!(speaker(t, "Prime"), ["GBR"]);
}

#[test]
fn no_speaker_gives_an_empty_actor_not_an_error() {
    let t = "Heavy rain fell on Tuesday. Roads were closed.";
    let a = analyze(t);
    assert_eq!(a.statements.len(), 2);
    assert!(a.statements.iter().all(|s| s.actor.is_none()));
    assert!(a.actors.is_empty());
    assert!(analyze("").statements.is_empty());
}

#[test]
fn name_first_appositive_is_remembered() {
    let t = "Catherine Colonna, France's foreign minister, said the vote was illegal. \
             Talks were due. Colonna said she would travel to the region.";
    assert_eq!(speaker(t, "Catherine"), ["FRA"]);
    assert_eq!(speaker(t, "Colonna said"), ["FRA"]);
}

#[test]
fn title_of_country() {
    let t = "The foreign minister of Egypt urged both sides to stop.";
    assert_eq!(speaker(t, "The foreign"), ["EGY"]);
    let t = "Prime Minister Narendra Modi of India called for calm. Modi said talks must resume.";
    assert_eq!(speaker(t, "Modi said"), ["IND"]);
}

#[test]
fn pronoun_goes_to_the_last_named_person() {
    let t = "French President Jacques Morel said he regretted the war. \
             British Prime Minister Anthony Hale told parliament that Britain had to act. \
             He said he was proud of the armed forces.";
    assert_eq!(speaker(t, "He said"), ["GBR"]);
}

#[test]
fn ministry_spokesman_title() {
    let t = "China accused India of provoking the fight. Foreign ministry spokesman Zhao Li said \
             Indian troops had crossed the line.";
    assert_eq!(speaker(t, "Foreign ministry"), ["CHN"]);
}

#[test]
fn mr_and_surname() {
    let t = "British Foreign Secretary Oliver Penrose condemned the coup. Later, Mr. Penrose \
             said sanctions would follow.";
    assert_eq!(speaker(t, "Later"), ["GBR"]);
}

#[test]
fn unnamed_foreign_ministry_refers_back() {
    let t = "Algeria urged restraint. The foreign ministry said it opposed any intervention.";
    assert_eq!(speaker(t, "The foreign"), ["DZA"]);
}

#[test]
fn coordinated_demonyms_before_a_thing_are_not_speakers() {
    let t = "American and British forces crossed the border on Thursday.";
    assert_eq!(speaker(t, "American"), Vec::<String>::new());
}

#[test]
fn demonym_before_a_longer_title() {
    let t = "The Swedish civil defence minister said it was too early to draw conclusions.";
    assert_eq!(speaker(t, "The Swedish"), ["SWE"]);
}
