"""The chat (inference_scratch.py): one-shot, piped and interactive use, bad input, Ctrl-C,
the notes on a request's unknown words and diets, and the generation loop.

The script runs as a subprocess on the tiny model (and under a pseudo-terminal for the
interactive loop); the generation functions are checked in-process against transformers.
Reading requests is pure Python: only the tests of the generation loop import torch.
The committed model's own recipes are checked in test_committed_model.py.
"""

import json
import os
import pty
import select
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, TEST_ENV, run_script

from chef import chat
from chef.catalogue import ALIASES, COMMON_ALIASES, DISH_NAMES, INGREDIENTS, read_table, resolve_name
from chef.chat import DISH_EXAMPLES, ingredients_text
from chef.decoding import cap_new_tokens, decode, decode_greedy, generate_tokens, sample_next, stream_text
from chef.dataset import generate_examples
from chef.dishes import DISH_LABEL
from chef.evaluation import HFModel
from chef.model_folder import load_model
from chef.prompt import ASSISTANT_TOKEN, MODEL_DIR, USER_TOKEN, build_prompt, clean_request, render_prompt
from chef.files import read_jsonl
from chef.prompt import DATA_FILE
from chef.requests import (DIET_NOTE, MAX_SHOWN_UNKNOWN, SPANISH_HINT, STATE_NOTE, SUGGESTION, UNCOOKED_NOTE,
                           UNKNOWN_NOTE, UNKNOWN_REST, has_words, read_request, request_notes)
from chef.spanish import fold

SCRIPT = "inference_scratch.py"
MAX_NEW = 24  # tokens per answer: enough to see a recipe start, fast on the tiny model
REQUEST = "pechuga de pollo, arroz redondo"
LONG_REQUEST = ", ".join(["pimiento rojo", "cebolla", "ajo", "tomate"] * 60)  # far past any context


def unknown(words, rest=UNKNOWN_REST):
    """The note on unknown words, as the chat words it."""
    return UNKNOWN_NOTE.format(words=words) + rest


def ojo(clashes):
    """The note on diets the request breaks: the clashes are the part under test."""
    return DIET_NOTE.format(clashes=clashes)


@pytest.fixture(scope="module")
def tiny(tiny_model):
    """(model, tokenizer) of the tiny model, loaded in this process."""
    return load_model(tiny_model)


def expected_answer(model, tokenizer, request, max_new_tokens=MAX_NEW):
    """The greedy text the script must print for one request (same prompt budget as the chat)."""
    budget = model.config.max_position_embeddings - max_new_tokens
    ids, _ = build_prompt(tokenizer, clean_request(request), budget)
    tokens = generate_tokens(model, ids, max_new_tokens, temperature=0, eos_token_id=model.config.eos_token_id)
    return "".join(stream_text(tokenizer, tokens))


def greedy_args(model_dir, *extra):
    return [SCRIPT, "--model", model_dir, "--temperature", 0, "--max-new-tokens", MAX_NEW, *extra]


# ---------------------------------------------------------------------------
# One-shot and piped use
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def one_shot(tiny_model):
    return run_script(greedy_args(tiny_model, "-p", REQUEST), timeout=120)


def test_one_shot_prints_one_recipe(one_shot, tiny):
    assert one_shot.stdout.strip(), one_shot.stderr
    assert one_shot.stdout == expected_answer(*tiny, REQUEST) + "\n"
    assert "Traceback" not in one_shot.stderr


def test_greedy_is_deterministic(one_shot, tiny_model):
    again = run_script(greedy_args(tiny_model, "-p", REQUEST), timeout=120)
    assert again.stdout == one_shot.stdout


def test_piped_lines_blanks_long_input_and_salir(tiny_model, tiny):
    lines = [REQUEST, "", "   ", LONG_REQUEST, "/salir", "huevos, espinacas"]
    proc = run_script(greedy_args(tiny_model), input="\n".join(lines) + "\n", timeout=120)
    # Two answers, in order, each followed by a blank line; nothing after /salir.
    assert proc.stdout == "".join(expected_answer(*tiny, r) + "\n\n" for r in (REQUEST, LONG_REQUEST))
    assert proc.stderr.count(chat.EMPTY_HINT) == 2
    assert proc.stderr.count(chat.TOO_LONG.format(budget=tiny[0].config.max_position_embeddings - MAX_NEW)) == 1
    assert "Traceback" not in proc.stderr


def test_empty_one_shot_request_is_refused(tiny_model):
    proc = run_script([SCRIPT, "--model", tiny_model, "-p", "   "], check=False, timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and chat.EMPTY_HINT in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------
# Notes before the recipe: unknown words, diets the request breaks, /ingredientes
# ---------------------------------------------------------------------------
# Requests people type: none of them deserves a note.
TYPICAL_REQUESTS = [
    "tengo patatas y huevos", "Tengo patatas y huevos, ¿qué hago?", "tortilla de patatas", "POLLO Y ARROZ",
    "calabacin y jamon", "para 4 personas", "algo rápido con gambas", REQUEST, chat.EXAMPLE,
    "¿Qué puedo hacer con garbanzos y espinacas?", "Dame una receta con merluza y patata, por favor",
    "Quiero una receta vegana con tofu y brócoli", "receta sin gluten con salmón y espárragos",
    "Hola, tengo 500 g de carne picada y un bote de tomate triturado",
    "200 gramos de pasta, 2 dientes de ajo y una pizca de sal", "ensalada de pasta con atún para 2 personas",
    "algo de cenar con huevos y jamón serrano", "una crema de calabaza", "paella de marisco para 6",
    "Me apetece un postre con fresas y nata", "batido de plátano con leche",
    "¿Qué hago de cena con salmón en menos de 30 minutos?",
    "En la nevera tengo pimiento rojo, cebolla y huevos. ¿Qué hago?", "macarrones con tomate y queso rallado",
    "Receta fácil con pollo y patatas al horno", "quiero algo sano con verduras", "sopa de fideos con pollo",
    "arroz con pollo para 4 personas", "TENGO ATUN Y TOMATE", "champinones y ajo", "unos espaguetis a la carbonara",
    "pechugas de pollo y 1 kg de tomates", "huevo, cebollas, zanahorias",
    # A diet with ingredients left out or made to fit it is no clash.
    "vegano sin huevos ni leche", "vegetariano, sin chorizo", "pan sin gluten con tomate, sin gluten",
    "receta para vegetarianos con lentejas y arroz", "un plato de pasta con gambas para celíacos",
    "vegetariano, que no lleve chorizo", "soy vegana y alérgica a la leche: tofu y brócoli",
    "no como jamón, soy vegetariano: lentejas", "lentejas sin chorizo que soy vegetariana",
    # Ways of cooking the generator knows, and states it writes itself, are no states to name.
    "pollo asado", "sardina asada", "pimientos asados con pollo", "garbanzos cocidos con espinacas",
    "me quedan 2 zanahorias, un puerro y medio pollo", "tengo 4 salchichas y un par de patatas",
]


@pytest.mark.parametrize("text", TYPICAL_REQUESTS)
def test_typical_requests_get_no_notes(text):
    assert request_notes(text) == []


@pytest.mark.parametrize("text, notes", [
    ("kale, quinoa", [unknown("kale")]),
    ("pollo, kale y KALE", [unknown("kale")]),
    ("chicken, rice", [unknown("chicken, rice", SPANISH_HINT)]),
    ("asdf qwerty", [unknown("asdf, qwerty", SPANISH_HINT)]),
    ("merlusa con patatas", [unknown(SUGGESTION.format(word="merlusa", name="merluza"))]),
    ("garvanzos", [unknown(SUGGESTION.format(word="garvanzos", name="garbanzos"), "")]),
    ("vegetariano con chorizo", [ojo("el chorizo no es vegetariano")]),
    ("sin lactosa: pollo, champiñones y nata", [ojo("la nata lleva lactosa")]),
    ("receta vegana con queso y miel", [ojo("el queso y la miel no son veganos")]),
    ("vegetariano: gambas, pollo y bacon", [ojo("las gambas, el pollo y el bacon no son vegetarianos")]),
    ("lentejas con chorizo vegetarianas", [ojo("el chorizo no es vegetariano")]),
    ("sin gluten y vegano: kale, cuscús y miel",
     [unknown("kale"), ojo("el cuscús lleva gluten; la miel no es vegana")]),
])
def test_unknown_words_and_diet_clashes_are_named(text, notes):
    assert request_notes(text) == notes


@pytest.mark.parametrize("text, excluded, asked", [
    ("pollo con arroz que no lleve ajo", ["ajo"], ["pollo", "arroz"]),
    ("no me gusta el pimiento, tengo calabacín", ["pimiento"], ["calabacín"]),
    ("soy alérgica a los frutos secos, algo con plátano", ["frutos secos"], ["plátano"]),
    ("tengo alergia al marisco, ¿qué hago con arroz y pollo?", ["marisco"], ["arroz", "pollo"]),
    ("no como cerdo. tengo garbanzos", ["cerdo"], ["garbanzos"]),
    ("sin ajo ni cebolla, tengo merluza", ["ajo", "cebolla"], ["merluza"]),
])
def test_left_out_ingredients_are_not_asked_for(text, excluded, asked):
    reading = read_request(text)
    assert reading["excluded"] == excluded and [shown for shown, _, _ in reading["ingredients"]] == asked
    assert request_notes(text) == []


@pytest.mark.parametrize("text, states, asked", [
    ("espinacas, garbanzos, huevo duro", "duro", ["espinacas", "garbanzos", "huevo"]),
    ("huevos cocidos, lechuga y tomate", "cocidos", ["huevos", "lechuga", "tomate"]),
    ("arroz cocido que me sobró y 2 huevos", "cocido", ["arroz", "huevos"]),
    ("me sobró pollo asado de ayer", "asado y de ayer", ["pollo"]),  # leftovers: not the dish "pollo asado"
    ("gambas congeladas y arroz", "congeladas", ["gambas", "arroz"]),
])
def test_states_are_named_and_their_ingredient_read(text, states, asked):
    assert request_notes(text) == [STATE_NOTE.format(words=states)]
    assert [shown for shown, _, _ in read_request(text)["ingredients"]] == asked


def test_dishes_not_cooked_yet_are_named():
    """Each name of data/spanish_dishes.csv, in any case, with or without accents, gets the one line;
    a row whose dish the generator cooks now (a name in DISH_NAMES) never does."""
    for row in read_table("spanish_dishes.csv"):
        names = {row["name"], *row["aliases"].split("; ")} - {""}
        cookable = bool(names & DISH_NAMES.keys())
        for name in names:
            for typed in (name, name.upper(), fold(name)):
                notes = request_notes(typed)
                assert (UNCOOKED_NOTE.format(words=typed.lower()) in notes) != cookable, (typed, notes)
                assert cookable or notes == [UNCOOKED_NOTE.format(words=typed.lower())], (typed, notes)


@pytest.mark.parametrize("text, dishes", [
    ("Una croqueta de jamón", "croqueta de jamón"), ("gazpachos y salmorejo", "gazpachos y salmorejo"),
    ("como se hace el gazpacho andaluz", "gazpacho andaluz"), ("albondigas con patatas", "albondigas"),
])
def test_dishes_not_cooked_yet_singular_or_plural_among_other_words(text, dishes):
    assert request_notes(text) == [UNCOOKED_NOTE.format(words=dishes)]


def test_a_pasted_paragraph_is_not_listed_word_by_word():
    words = [f"xq{letter}z" for letter in "abcdefghijklmnopqrstuvwx"]
    assert request_notes(" ".join(words)) == [unknown(", ".join(words[:MAX_SHOWN_UNKNOWN]) + ", …", SPANISH_HINT)]


def test_every_name_is_read_as_itself():
    """Every catalogue name and alias is one ingredient (its family at least), every dish name a dish."""
    for name in [*INGREDIENTS, *ALIASES]:
        reading = read_request(name)
        assert reading["unknown"] == [] and len(reading["ingredients"]) == 1, (name, reading)
        shown, family, exempt = reading["ingredients"][0]
        assert shown == name.lower() and set(resolve_name(name)) <= set(family)
        assert exempt == (name in DISH_LABEL.values())  # only "arroz" and "pasta", kinds of dish
        assert read_request(name.upper())["ingredients"] == reading["ingredients"]
    for dish in DISH_NAMES:
        reading = read_request(dish)
        assert reading["dishes"] == [dish] and request_notes(dish) == [], reading


def test_generated_requests_get_no_notes(tiny_data):
    """The generator's own requests (its templates, diets, quantities, case and accents) are all known,
    and never ask for an ingredient their diet rules out."""
    rows = [json.loads(line) for line in tiny_data.read_text(encoding="utf-8").splitlines()]
    noted = {row["instruction"]: request_notes(row["instruction"]) for row in rows}
    assert {text: notes for text, notes in noted.items() if notes} == {}


def test_ingredients_text_lists_the_catalogue():
    text = ingredients_text()
    for ing in INGREDIENTS.values():
        line = next(line for line in text.splitlines() if line.startswith(f"  {ing.category}: "))
        assert ing.name in text, ing.name
    assert line  # every category has its line
    for name in ("pollo", "patatas", "queso"):
        assert name in COMMON_ALIASES and f" {name}," in text
    assert all(dish in DISH_NAMES and f"«{dish}»" in text for dish in DISH_EXAMPLES)
    assert max(len(line) for line in text.splitlines()) <= 100


@pytest.mark.parametrize("text, note", [("kale, quinoa", unknown("kale")),
                                        ("gazpacho", UNCOOKED_NOTE.format(words="gazpacho"))])
def test_one_shot_names_what_it_does_not_use(tiny_model, tiny, text, note):
    proc = run_script(greedy_args(tiny_model, "-p", text), timeout=120)
    assert proc.stderr.splitlines()[0] == note, proc.stderr
    assert proc.stdout == expected_answer(*tiny, text) + "\n"  # answered anyway


NO_WORDS = ["🍗🍚", "???", "...", "123", "¡¡!! 🙂 42"]  # nothing to cook from


@pytest.mark.parametrize("text", NO_WORDS)
def test_a_request_without_words_gets_the_hint(text):
    """Emoji, punctuation or numbers only: one Spanish line, exit 1, before any model loads."""
    proc = run_script([SCRIPT, "-p", text], check=False, timeout=120)
    assert_one_line_error(proc, chat.NO_WORDS_HINT.format(request=text))


def test_training_requests_get_no_hint_and_no_notes():
    """No false alarm: every request of the committed dataset is answered, with no note before it."""
    rows = read_jsonl(DATA_FILE)
    assert all(has_words(row["instruction"]) for row in rows)
    assert not any(has_words(text) for text in NO_WORDS)
    noted = {row["instruction"]: request_notes(row["instruction"]) for row in rows}
    assert {text: notes for text, notes in noted.items() if notes} == {}


# Words of the hand-written requests that the catalogue does not have, beside the typos (kind "typo").
NOT_IN_CATALOGUE = {"alcohol", "jabon", "natiyas", "ventresca"}


def test_hand_written_requests_name_only_real_unknown_words():
    rows = [json.loads(line) for line in (REPO / "peticiones_a_mano.jsonl").read_text(encoding="utf-8").splitlines()]
    unknown_words = {word for row in rows if row["kind"] != "typo" for word in read_request(row["request"])["unknown"]}
    assert unknown_words <= NOT_IN_CATALOGUE


def test_piped_request_without_words_gets_only_the_hint(tiny_model, tiny):
    proc = run_script(greedy_args(tiny_model), input=f"{NO_WORDS[0]}\n{REQUEST}\n", timeout=120)
    assert proc.returncode == 0 and proc.stdout == expected_answer(*tiny, REQUEST) + "\n\n"
    assert chat.NO_WORDS_HINT.format(request=NO_WORDS[0]) in proc.stderr.splitlines()


def test_piped_ingredientes_and_notes(tiny_model, tiny):
    lines = ["/ingredientes", "chicken, rice", "vegetariano con chorizo"]
    proc = run_script(greedy_args(tiny_model), input="\n".join(lines) + "\n", timeout=120)
    assert proc.stdout == "".join(expected_answer(*tiny, r) + "\n\n" for r in lines[1:])  # recipes only
    said = [line for line in proc.stderr.splitlines() if line != chat.CUT_AT_LIMIT.format(limit=MAX_NEW)]
    assert said == [*ingredients_text().splitlines(), *request_notes(lines[1]),
                    *request_notes(lines[2])], proc.stderr
    assert request_notes(lines[2]) == [ojo("el chorizo no es vegetariano")]


# ---------------------------------------------------------------------------
# A missing or broken model folder: one line, which command creates it, exit 1
# ---------------------------------------------------------------------------
def assert_one_line_error(proc, *words):
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    for word in words:
        assert word in lines[0]


def test_missing_model_folder(tmp_path):
    missing = tmp_path / "no-existe"
    proc = run_script([SCRIPT, "--model", missing, "-p", REQUEST], check=False, timeout=120)
    assert_one_line_error(proc, str(missing), "python train_from_scratch.py")


def test_broken_model_folder(tiny_model, tmp_path):
    broken = tmp_path / "roto"
    shutil.copytree(tiny_model, broken)
    (broken / "model.safetensors").write_bytes(b"esto no son pesos")
    proc = run_script([SCRIPT, "--model", broken, "-p", REQUEST], check=False, timeout=120)
    assert_one_line_error(proc, str(broken), "python train_from_scratch.py")


# ---------------------------------------------------------------------------
# The interactive chat, under a pseudo-terminal
# ---------------------------------------------------------------------------
# The real script, with each token slowed down so that Ctrl-C lands in the middle of a recipe.
SLOW_CHAT = """
import runpy, time
import chef.chat
fast = chef.chat.generate_tokens
def slow(*args, **kwargs):
    for token in fast(*args, **kwargs):
        time.sleep(0.02)
        yield token
chef.chat.generate_tokens = slow
runpy.run_path("inference_scratch.py", run_name="__main__")
"""


class Terminal:
    """The chat running in a pseudo-terminal: send keys, wait for text."""

    def __init__(self, args, home, sigint=signal.SIG_DFL):
        """sigint: how SIGINT is set when the chat starts (a shell's background job gets SIG_IGN),
        set here so that the test does not depend on how pytest itself was started."""
        env = dict(TEST_ENV, TERM="dumb", HOME=str(home))
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: becomes the session leader with the terminal as stdin/stdout
            try:
                os.chdir(REPO)
                signal.signal(signal.SIGINT, sigint)  # kept across execve (SIG_DFL or SIG_IGN)
                os.execve(sys.executable, [sys.executable, "-c", SLOW_CHAT, *map(str, args)], env)
            finally:
                os._exit(127)
        self.buffer = b""

    def wait_until_reading(self, timeout=30):
        """Wait until the chat sleeps waiting for a key. CPython's readline prints the prompt
        before it waits, and a Ctrl-C that lands in between is only noticed at the next key."""
        stat = Path(f"/proc/{self.pid}/stat")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                state = stat.read_text().rpartition(")")[2].split()[0]
            except OSError:  # no /proc (macOS): give it a moment instead
                time.sleep(0.5)
                return
            if state == "S":
                return
            time.sleep(0.01)
        raise AssertionError("the chat never waited for a key")

    def send(self, keys):
        os.write(self.fd, keys.encode())

    def read_some(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            raise AssertionError(f"the chat exited early; output:\n{self.buffer.decode(errors='replace')}")
        self.buffer += chunk
        return True

    def expect(self, marker, timeout=90):
        """Wait for marker; returns (and consumes) the text up to and including it."""
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.read_some(left):
                raise AssertionError(f"no {marker!r} within {timeout} s; output:\n{self.buffer.decode(errors='replace')}")
        head, _, self.buffer = self.buffer.partition(marker.encode())
        return (head + marker.encode()).decode(errors="replace")

    def wait_exit(self, timeout=30):
        """The exit code, after reading everything left on the terminal."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = None
                return os.waitstatus_to_exitcode(status)
            try:
                self.read_some(0.1)
            except AssertionError:
                pass  # terminal closed: the process is exiting
        raise AssertionError("the chat did not exit")

    def close(self):
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.fixture
def terminal(tiny_model, tmp_path):
    """Start the chat on the tiny model; HOME is a temporary folder (readline history)."""
    started = []

    def start(*extra, sigint=signal.SIG_DFL):
        term = Terminal(["--model", tiny_model, "--temperature", 0, *extra], tmp_path, sigint)
        started.append(term)
        return term

    yield start
    for term in started:
        term.close()


def test_chat_session(terminal, tmp_path):
    term = terminal("--max-new-tokens", 150)
    assert "/salir" in term.expect(chat.PROMPT)  # the banner says how to leave

    term.send(REQUEST + "\r")
    answer = term.expect(chat.PROMPT).split(REQUEST, 1)[1]
    assert answer.strip(), "no recipe was written"
    assert unknown("").split(":")[0] not in answer and ojo("").split(":")[0] not in answer

    term.send("   \r")
    assert chat.EMPTY_HINT in term.expect(chat.PROMPT)
    term.send("/ayuda\r")
    assert "/ingredientes" in term.expect(chat.PROMPT)
    term.send("/ingredientes\r")
    assert "pechuga de pollo" in term.expect(chat.PROMPT)

    # An unknown word is named before the recipe, which is written anyway.
    term.send("kale, lentejas\r")
    answer = term.expect(chat.PROMPT).split("kale, lentejas", 1)[1]
    assert unknown("kale") in answer and answer.split(unknown("kale"), 1)[1].strip(), answer

    # Ctrl-D leaves cleanly, and the requests are kept in the history file (HOME is tmp_path).
    term.send("\x04")
    term.expect(chat.GOODBYE)
    assert term.wait_exit() == 0
    history = [path.read_text(encoding="utf-8") for path in tmp_path.iterdir() if path.is_file()]
    assert any("kale, lentejas" in text for text in history)


# Ctrl-C must work however the chat was started: a shell starts background jobs with SIGINT ignored.
STARTS = pytest.mark.parametrize("sigint", [signal.SIG_DFL, signal.SIG_IGN], ids=["sigint-default", "sigint-ignored"])


@STARTS
def test_ctrl_c_stops_a_recipe(terminal, sigint):
    term = terminal("--max-new-tokens", 150, sigint=sigint)
    term.expect(chat.PROMPT)
    term.send("lentejas, chorizo\r")
    term.expect("chorizo")
    while len(term.buffer.strip()) < 3:  # the recipe has started streaming
        term.read_some(30)
    term.send("\x03")
    assert chat.STOPPED in term.expect(chat.PROMPT)

    # The chat still works, then Ctrl-D leaves cleanly.
    term.send("/ayuda\r")
    term.expect(chat.PROMPT)
    term.send("\x04")
    term.expect(chat.GOODBYE)
    assert term.wait_exit() == 0


@STARTS
def test_ctrl_c_at_the_prompt_exits_cleanly(terminal, sigint):
    term = terminal(sigint=sigint)
    term.expect(chat.PROMPT)
    term.wait_until_reading()
    term.send("\x03")
    output = term.expect(chat.GOODBYE)
    assert term.wait_exit() == 0
    assert "Traceback" not in output


# ---------------------------------------------------------------------------
# The generation functions, in-process
# ---------------------------------------------------------------------------
def test_greedy_loop_matches_transformers_generate(tiny):
    import torch

    model, tokenizer = tiny
    eos = model.config.eos_token_id
    ids, _ = build_prompt(tokenizer, REQUEST, 64)
    ours = list(generate_tokens(model, ids, 60, temperature=0, eos_token_id=eos))
    with torch.inference_mode():
        ref = model.generate(torch.tensor([ids]), max_new_tokens=60, do_sample=False,
                             eos_token_id=eos, pad_token_id=model.config.pad_token_id)
    assert ours == ref[0, len(ids):].tolist()


def test_seeded_sampling_repeats(tiny):
    import torch

    model, tokenizer = tiny
    ids, _ = build_prompt(tokenizer, REQUEST, 64)

    def sample(seed):
        gen = torch.Generator().manual_seed(seed)
        return list(generate_tokens(model, ids, 40, temperature=1.0, top_k=40, top_p=0.9,
                                    repetition_penalty=1.1, generator=gen))

    assert sample(3) == sample(3)
    assert len(sample(3)) == 40  # eos_token_id=None never stops early


def test_generation_stops_at_the_context(tiny):
    model, _ = tiny
    context = model.config.max_position_embeddings
    tokens = list(generate_tokens(model, [5] * (context - 3), 100, temperature=0))
    assert len(tokens) == 3


def test_new_tokens_are_capped_to_the_context():
    assert cap_new_tokens(448, 512, 100) == 412
    assert cap_new_tokens(50, 512, 100) == 50


def test_sample_next_filters():
    import torch

    logits = torch.tensor([1.0, 3.0, 2.0, -1.0])
    assert sample_next(logits.clone()) == 1  # temperature 0: greedy
    gen = torch.Generator().manual_seed(0)
    assert {sample_next(logits.clone(), 1.0, top_k=1, generator=gen) for _ in range(20)} == {1}
    assert {sample_next(logits.clone(), 1.0, top_p=0.01, generator=gen) for _ in range(20)} == {1}
    assert {sample_next(logits.clone(), 5.0, top_k=2, generator=gen) for _ in range(200)} == {1, 2}
    seen = torch.tensor([False, True, False, False])
    assert sample_next(logits.clone(), repetition_penalty=2.0, seen=seen) == 2  # 3/2 < 2


def test_stream_text_rebuilds_multibyte_text(tiny):
    _, tokenizer = tiny
    text = "Añade el azúcar moreno al ñame: ¡buen provecho! 🍳 ☕"
    ids = tokenizer.encode(text, add_special_tokens=False) + [tokenizer.eos_token_id]
    pieces = list(stream_text(tokenizer, iter(ids)))
    assert "".join(pieces) == text
    assert not any("\ufffd" in p for p in pieces)


def test_long_requests_are_cut_to_the_budget(tiny):
    _, tokenizer = tiny
    ids, cut = build_prompt(tokenizer, LONG_REQUEST, 40)
    assert cut and len(ids) <= 40
    assert ids[0] == tokenizer.convert_tokens_to_ids(USER_TOKEN)
    assert ids[-1] == tokenizer.convert_tokens_to_ids(ASSISTANT_TOKEN)
    assert build_prompt(tokenizer, REQUEST, 40) == (render_prompt(tokenizer, REQUEST), False)
    prompt, example = render_prompt(tokenizer, REQUEST), render_prompt(tokenizer, REQUEST, "Una receta.")
    assert example[:len(prompt)] == prompt and example[-1] == tokenizer.eos_token_id  # the whole example
    assert clean_request(f"  {USER_TOKEN}pollo{ASSISTANT_TOKEN} ") == "pollo"


# ---------------------------------------------------------------------------
# The evaluation's fixed-shape greedy batch (decode_greedy) against the chat's loop
# ---------------------------------------------------------------------------
GREEDY = {"temperature": 0.0, "top_k": 0, "top_p": 1.0}


def chat_loop_answers(model, prompts, max_new_tokens, eos):
    """Each prompt's greedy tokens from the chat's loop, decode(), all prompts in one batch."""
    answers = [[] for _ in prompts]
    for step in decode(model, prompts, max_new_tokens, eos_token_id=eos):
        for row, token in step.items():
            answers[row].append(token)
    return answers


def request_prompts(tokenizer, num, seed=7):
    """num generated requests of many lengths, rendered as the evaluation renders them."""
    return [render_prompt(tokenizer, ex["instruction"]) for ex in generate_examples(num, seed)]


def test_fixed_batch_gives_the_chat_loops_answers(tiny):
    model, tokenizer = tiny
    prompts = request_prompts(tokenizer, 32)
    assert len(set(map(len, prompts))) >= 8  # much left padding
    # The tiny model never writes its end token in 20 tokens; a line break ends its lines at many different steps.
    [stop] = tokenizer.encode("\n", add_special_tokens=False)
    expected = chat_loop_answers(model, prompts, 20, stop)
    assert decode_greedy(model, prompts, 20, stop) == expected
    assert len({len(a) for a in expected}) >= 5 and {a[-1] == stop for a in expected} == {True, False}
    # evaluate.py and training's checkpoint score: HFModel.generate, greedy, in batches of 10 sorted by length
    model_ = HFModel(model, tokenizer, "cpu", "tiny")
    model_.eos_id, model_.fixed_shape = stop, True  # as on a GPU
    answers = model_.generate(prompts, dict(GREEDY, max_new_tokens=20), 10, 0)
    assert answers == [(a, a[-1] == stop) for a in expected]


def test_fixed_batch_alone_and_at_the_context(tiny):
    model, tokenizer = tiny
    eos, prompt = model.config.eos_token_id, request_prompts(tokenizer, 1)[0]
    assert decode_greedy(model, [prompt], 60, eos) == [list(generate_tokens(model, prompt, 60, eos_token_id=eos))]
    context = model.config.max_position_embeddings
    assert [len(a) for a in decode_greedy(model, [[5] * (context - 3), [5] * 4], 100, -1)] == [3, 3]


def test_fixed_batch_gives_the_chat_loops_answers_with_the_committed_model():
    if not MODEL_DIR.is_dir():
        pytest.skip(f"{MODEL_DIR.name}/ is absent")
    model, tokenizer = load_model(MODEL_DIR)
    prompts = request_prompts(tokenizer, 32, seed=20261126)
    eos = model.config.eos_token_id
    assert decode_greedy(model, prompts, 448, eos) == chat_loop_answers(model, prompts, 448, eos)
