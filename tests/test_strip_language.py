"""Which language a page is in, and which model judges it: pages in a language that no rule
file is written in are judged by the model trained without the rules' decisions."""
from __future__ import annotations

import random

import pytest

from storydedup.pipeline.strip import StripSettings, load_rules, rule_paths
from storydedup.pipeline.strip.model import RuleScan, StripModel, decide_batch
from storydedup.pipeline.strip.model.features import STOP_LANGS
from storydedup.pipeline.strip.model.language import CJK_CHAR, PUNCTUATION, LanguageGuess, language_words

from test_strip_model import document, trained  # noqa: F401  (the module's tiny trained model)

# Short passages written for this test: a few sentences of ordinary news prose each.
PASSAGES = {
    "de": "Der Stadtrat hat am Montag beschlossen, dass die neue Brücke erst im Herbst eröffnet wird. "
          "Die Anwohner hatten sich über den Lärm der Baustelle beschwert, und die Kosten sind gestiegen.",
    "pl": "Rada miasta zdecydowała w poniedziałek, że nowy most zostanie otwarty dopiero jesienią. "
          "Mieszkańcy skarżyli się na hałas z budowy, a koszty inwestycji znowu wzrosły.",
    "tr": "Belediye meclisi pazartesi günü yeni köprünün ancak sonbaharda açılacağına karar verdi. "
          "Mahalle sakinleri inşaatın gürültüsünden şikayet etmişti ve maliyetler de arttı.",
    "es": "El ayuntamiento decidió el lunes que el nuevo puente no se abrirá hasta el otoño. "
          "Los vecinos se habían quejado del ruido de las obras y los costes han vuelto a subir.",
    "ru": "Городской совет в понедельник решил, что новый мост откроют только осенью. "
          "Жители жаловались на шум стройки, а стоимость работ снова выросла.",
    "ja": "市議会は月曜日、新しい橋の開通が秋になると決めました。住民は工事の騒音について苦情を言っていて、費用もまた上がりました。",
}


@pytest.fixture(scope="module")
def guess():
    return LanguageGuess(language_words(STOP_LANGS))


@pytest.mark.parametrize("lang", sorted(PASSAGES))
def test_language_of_a_passage(guess, lang):
    assert guess(PASSAGES[lang]) == lang


def test_too_few_known_words_is_no_language(guess):
    assert guess("Qwv zzt plox 12:45") is None
    assert guess("") is None


def plain_guess(guess: LanguageGuess, text: str) -> str | None:
    """The guess as first written, token by token in Python: what ``guess_all`` must agree with."""
    row, votes = guess._table
    sample = text[:guess.sample_chars]
    tokens = PUNCTUATION.sub(" ", sample.lower()).split() + CJK_CHAR.findall(sample)
    if not tokens:
        return None
    score = votes.take([row.get(t, len(votes) - 1) for t in tokens], axis=0).sum(axis=0)
    best = int(score.argmax())
    return guess.langs[best] if score[best] >= guess.min_hits else None


def test_guess_all_reads_texts_as_python_splits_them(guess):
    rng = random.Random(5)
    listed = sorted(guess._table[0])
    pieces = [*listed[::7], *" \t\n\u3000\x1c.,'’-—«日本語のテキストİΣ𝐀😀_", "\ud800"]
    texts = ["", " ", "a", *PASSAGES.values(), "x" * 3000 + " the the the", "der " * 1000 + "the " * 300]
    texts += ["".join(rng.choice(pieces) + rng.choice(["", " ", ".", "\u2003"]) for _ in range(rng.randint(0, 40)))
              for _ in range(3000)]
    assert guess.guess_all(texts) == [plain_guess(guess, t) for t in texts]
    assert sum(1 for t in texts if plain_guess(guess, t)) > 300  # the texts do tell languages


def polish_page(rng: random.Random) -> str:
    """A Polish article under a menu whose "Facebook" line is in the rule files (a drop rule),
    with a short reader thread below: reached by a rule, but not in a language of the rules."""
    body = [PASSAGES["pl"]] * 4 + ["Burmistrz zapowiedział, że prace potrwają jeszcze co najmniej pół roku."]
    thread = [f"kasia{rng.randint(1, 99)}", "Nareszcie, czekamy na to od lat!", "Odpowiedz"]
    return "\n".join(["Strona główna", "Facebook", "Nowy most dopiero jesienią", *body, *thread * 2, "© 2024"])


def test_page_in_a_language_without_rule_files_is_judged_by_the_model_alone(trained, tmp_path):  # noqa: F811
    model = StripModel.load(str(trained[0]))
    scan, settings = RuleScan(rule_paths()), StripSettings()
    rng = random.Random(3)
    recs = [{"id": "pl", "text": polish_page(rng)}, {"id": "en", "text": document(rng, 1)["text"]}]
    found = decide_batch(recs, model, scan, settings, load_rules(rule_paths()), {})
    assert [(d.language, d.judge) for d in found] == [("pl", "unreached"), ("en", "stacked")]
    assert scan.action("Facebook") > 0  # the Polish page is reached by a rule, not by its language

    polish = tmp_path / "pl.toml"  # a rule file written in Polish brings the page back to the rules
    polish.write_text('language = "pl"\n[group.reply]\naction = "thread"\nlines = ["odpowiedz"]\n')
    rules = load_rules([*rule_paths(), str(polish)])
    again = decide_batch(recs, model, RuleScan([*rule_paths(), str(polish)]), settings, rules, {})
    assert [(d.language, d.judge) for d in again] == [("pl", "stacked"), ("en", "stacked")]
