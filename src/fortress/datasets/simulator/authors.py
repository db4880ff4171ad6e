"""writing_style stand-in: short messages by twelve synthetic authors with their own habits.

Every author writes about the same everyday topics; what tells them apart is habit: greeting and
sign-off, pet words, punctuation, capitalisation, contractions, emoticons and spacing. Each habit shows
up only in some of an author's messages (its ``rate``), habits are shared between authors, and 2 % of
the labels name another author, so attribution is learnable but far from perfect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fortress.datasets.simulator.base import Sample, flip_multiclass, frame
from fortress.datasets.simulator.messages import fill
from fortress.datasets.simulator.vocab import EVERYDAY

_TOPICS: tuple[str, ...] = (
    *EVERYDAY,
    "the {word} project needs another week",
    "i found a nice {word} shop near the station",
    "we ran out of {word} for the demo",
    "the weather on {day} looks terrible",
    "i am not sure the {word} plan will work",
    "the team liked the {word} idea a lot",
    "my laptop crashed during the {word} call",
    "the invoice for the {word} order is attached",
)
_CONTRACTIONS = (
    ("i will", "i'll"),
    ("we are", "we're"),
    ("let us", "let's"),
    ("i am", "i'm"),
    ("do not", "don't"),
)


@dataclass(frozen=True, slots=True)
class _Author:
    greeting: str
    signoff: str
    pet_words: tuple[str, ...]
    end: str  # sentence terminator
    lower: bool  # writes all lower case
    contract: bool  # i'll / we're ...
    emoticon: str
    rate: float  # how often each habit shows in one message
    spacer: str = " "  # between sentences


_AUTHORS: tuple[_Author, ...] = (
    _Author("Hi all,", "Cheers,\nJim", ("basically", "to be fair"), ".", False, True, "", 0.8),
    _Author("hey", "- s", ("super", "totally"), "!", True, True, ":)", 0.75),
    _Author(
        "Dear colleagues,",
        "Best regards,\nDr. M. Okafor",
        ("kindly", "as per"),
        ".",
        False,
        False,
        "",
        0.8,
        "  ",
    ),
    _Author("", "thx", ("fwiw", "imo"), "", True, True, "", 0.7),
    _Author("Hello,", "Thanks,\nPriya", ("actually", "quickly"), ".", False, True, ":-)", 0.7),
    _Author("Yo", "later", ("lol", "honestly"), "...", True, True, ";)", 0.75),
    _Author("Good morning,", "Kind regards,\nHelen", ("indeed", "rather"), ".", False, False, "", 0.7),
    _Author("Team,", "-- Marco", ("asap", "fyi"), "!!", False, True, "", 0.7),
    _Author("Hi,", "Best,\nAnna", ("just", "maybe"), ".", False, True, ":)", 0.65),
    _Author(
        "Greetings,", "Respectfully,\nCol. R. Hayes", ("hereby", "accordingly"), ".", False, False, "", 0.75
    ),
    _Author("hi", "ttyl", ("like", "sooo"), "!", True, True, ":D", 0.7),
    _Author("Morning,", "Ta,\nNigel", ("cheers", "brilliant"), ";", False, True, "", 0.7),
)
AUTHORS: tuple[str, ...] = tuple(f"author_{i:02d}" for i in range(len(_AUTHORS)))
"""The label names of writing_style (the spec leaves them to the data)."""


def _sentence(author: _Author, rng: np.random.Generator) -> str:
    text = fill(str(rng.choice(_TOPICS)), rng)
    if author.contract and rng.random() < author.rate:
        for full, short in _CONTRACTIONS:
            text = text.replace(full, short)
    if rng.random() < author.rate * 0.6:
        pet = author.pet_words[int(rng.integers(len(author.pet_words)))]
        words = text.split(" ")
        words.insert(int(rng.integers(len(words) + 1)), pet)
        text = " ".join(words)
    if not (author.lower and rng.random() < author.rate):
        text = text[:1].upper() + text[1:]
        text = text.replace(" i ", " I ").replace(" i'", " I'")
    end = author.end if rng.random() < author.rate else "."
    return text + end


def _message(author: _Author, rng: np.random.Generator) -> str:
    sentences = [_sentence(author, rng) for _ in range(int(rng.integers(1, 4)))]
    spacer = author.spacer if rng.random() < author.rate else " "
    body = spacer.join(sentences)
    if author.emoticon and rng.random() < author.rate * 0.7:
        body += " " + author.emoticon
    parts = [body]
    if author.greeting and rng.random() < author.rate * 0.5:
        parts.insert(0, author.greeting)
    if rng.random() < author.rate * 0.4:
        parts.append(author.signoff)
    return "\n\n".join(parts)


def authored_messages(n: int, rng: np.random.Generator) -> Sample:
    """Messages by ``AUTHORS``, about equally many each."""
    y = rng.integers(0, len(_AUTHORS), n).astype(np.int64)
    texts = np.asarray([_message(_AUTHORS[a], rng) for a in y], dtype=object)
    return Sample(frame({"text": texts}, ("text",)), flip_multiclass(y, rng, 0.02, len(_AUTHORS)))
