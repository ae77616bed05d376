"""The format the model reads and writes: default paths, special tokens, the prompt, the chat
template rendered from that same format, and the chat's sampling defaults.

Every stage uses it: the generator and the trainer write examples with format_example; the
tokenizer and the GGUF carry CHAT_TEMPLATE; the chat, the evaluation and training's sample
render requests with render_prompt. Pure Python: torch is never imported here.
"""

from pathlib import Path

# Paths, relative to the repository, so the scripts work from any directory.
REPO_DIR = Path(__file__).resolve().parent.parent
DATA_FILE = REPO_DIR / "recetas_extended.jsonl"
MODEL_DIR = REPO_DIR / "chef-bot-scratch-final"
GGUF_FILE = REPO_DIR / "chef-bot-scratch.gguf"
WORK_DIR = REPO_DIR / "runs" / "chef-bot-scratch"  # checkpoints of the training run

MODEL_NAME = "Chef-Bot Scratch"

# One training example is exactly:
#     <|usuario|> {instruction, lower-cased}<|chef|>{response}<|fin|>
# The special tokens are single tokens, so the text between them is tokenised on its
# own: the prompt's ids are always a prefix of the full example's ids.
# The space after <|usuario|> gives the request's first word the same token it has
# everywhere else ("Ġhuevos", not "h uev os"): without it the model dropped the first
# item of a bare list. Lower-casing makes "POLLO Y ARROZ" the request "pollo y arroz".
USER_TOKEN = "<|usuario|>"
ASSISTANT_TOKEN = "<|chef|>"
EOS_TOKEN = "<|fin|>"  # end of a recipe; also used as BOS, as GPT-2 does
PAD_TOKEN = "<|relleno|>"  # never <PAD> or [PAD]: llama.cpp treats those as FIM tokens
SPECIAL_TOKENS = [EOS_TOKEN, PAD_TOKEN, USER_TOKEN, ASSISTANT_TOKEN]  # ids 0..3 in this order

# The capitals the request is lower-cased on: ASCII and Spanish ones. Exactly these, in
# Python and in the chat template alike. Jinja's `lower` is not used because engines
# disagree: llama.cpp's lowers ASCII only ("CALABACÍN" -> "calabacÍn"), Jinja2 and LM
# Studio's lower every Unicode capital; a chain of `replace` gives the same text in all.
LOWER_CASE_MAP = {c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZÁÉÍÓÚÜÑ"}
_LOWER_TABLE = str.maketrans(LOWER_CASE_MAP)


def format_prompt(instruction: str) -> str:
    """The text the model sees before it writes a recipe."""
    return f"{USER_TOKEN} {instruction.translate(_LOWER_TABLE)}{ASSISTANT_TOKEN}"


def format_example(instruction: str, response: str) -> str:
    """The full training text of one instruction -> response example."""
    return f"{format_prompt(instruction)}{response}{EOS_TOKEN}"


# The chat template renders the same text as format_prompt / format_example.
# The model is single-turn: only the last user message is rendered (system messages and
# earlier turns are dropped); a final assistant message is rendered as the answer.
# It sticks to `for`, `if`, `==`, `and`, `or`, `+`, `loop.*` and the `replace` filter,
# which llama.cpp's Jinja, Python's Jinja2 and LM Studio's JavaScript Jinja all accept.
_LOWER_FILTERS = "".join(f" | replace('{upper}', '{lower}')" for upper, lower in LOWER_CASE_MAP.items())
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' and (loop.last or (loop.revindex == 2 and "
    "messages[loop.index]['role'] == 'assistant')) -%}"
    "{{- '" + USER_TOKEN + " ' + (message['content']" + _LOWER_FILTERS + ") -}}"
    "{%- elif message['role'] == 'assistant' and loop.last -%}"
    "{{- '" + ASSISTANT_TOKEN + "' + message['content'] + '" + EOS_TOKEN + "' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '" + ASSISTANT_TOKEN + "' -}}{%- endif -%}"
)

# The chat's sampling defaults, written into generation_config.json and the GGUF.
SAMPLING_DEFAULTS = {
    "temperature": 0.7,
    "top_k": 40,
    "top_p": 0.9,
    "repetition_penalty": 1.0,  # recipes legitimately repeat ingredient names
    "max_new_tokens": 448,
}


def clean_request(text):
    """The user's text without surrounding blanks or special tokens (which would forge the format)."""
    for token in SPECIAL_TOKENS:
        text = text.replace(token, " ")
    return text.strip()


def render_prompt(tokenizer, text, response=None):
    """Token ids of the tokenizer's chat template for one request, ready for the answer; with
    a response, the whole example (the request's ids are a prefix of it)."""
    messages = [{"role": "user", "content": text}]
    if response is not None:
        messages.append({"role": "assistant", "content": response})
    return list(tokenizer.apply_chat_template(
        messages, add_generation_prompt=response is None, tokenize=True, return_dict=True)["input_ids"])


def build_prompt(tokenizer, text, budget):
    """(prompt ids, was_cut): the request's text is cut at the end until the prompt fits budget."""
    ids = render_prompt(tokenizer, text)
    if len(ids) <= budget:
        return ids, False
    text_ids = tokenizer.encode(text, add_special_tokens=False)
    keep = max(0, len(text_ids) - (len(ids) - budget))
    while True:
        # Decoding a cut may end in half a character; drop it and re-render the template.
        cut = tokenizer.decode(text_ids[:keep], clean_up_tokenization_spaces=False).rstrip("\ufffd").rstrip()
        ids = render_prompt(tokenizer, cut)
        if len(ids) <= budget or keep == 0:
            return ids, True
        keep -= 1
