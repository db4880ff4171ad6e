"""message_scam stand-in: e-mail bodies, ham or scam, assembled from phrase templates.

Ham is everyday and mailing-list mail plus newsletters and transactional notices, which use the same
words as phishing ("verify", "account", "click the link"). Scams are advance-fee, lottery, account
phishing, investment, pharmacy, job and CEO-fraud messages; a quarter of them borrow an everyday
sentence, and the CEO-fraud ones are short and plain. 0.5 % of labels are flipped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fortress.datasets.simulator.base import Sample, flip_binary, frame
from fortress.datasets.simulator.vocab import BRANDS, EVERYDAY, FIRST_NAMES, SUSPICIOUS_TLDS, WORDS

_HAM: tuple[tuple[str, ...], ...] = (
    EVERYDAY,
    (  # mailing lists
        "has anyone tried the new kernel on this laptop",
        "the rpm fails to install on red hat {n}.3 with a dependency error",
        "you can set the option in the config file and restart the daemon",
        "here is the output of the command, the second line looks wrong",
        "i think this is a bug in the perl module, not in the script",
        "the archive for this list is at http://lists.{word}.org/pipermail",
        "try running it with the verbose flag and post the log",
    ),
    (  # newsletters
        "this week's issue covers {word} and {word} tips",
        "you are receiving this because you subscribed at {word}.com",
        "unsubscribe at any time using the link at the bottom",
        "our spring sale ends sunday, up to {n}% off selected items",
        "read the full story on our website",
    ),
    (  # transactional
        "your order #{num} has shipped and will arrive on {day}",
        "your password was changed. if this wasn't you, please reset it",
        "please confirm your email address by clicking the link below",
        "your monthly statement is ready to view in online banking",
        "your appointment is confirmed for {day} at {n}:30",
        "a new sign-in to your {brand} account was detected from a new device",
    ),
)

_SCAM: tuple[tuple[str, ...], ...] = (
    (  # advance fee
        "i am barrister {name}, the personal attorney to the late {name}",
        "he left a sum of us${n}.5 million in a bank here without a next of kin",
        "i need your assistance to transfer this fund to your account",
        "you will receive {n}% of the total sum for your cooperation",
        "please reply with your full name, address and direct phone number",
        "this transaction is 100% risk free and legitimate",
    ),
    (  # lottery
        "congratulations! your email address has won {num} gbp in the international lottery",
        "to claim your prize contact our claims agent {name} immediately",
        "a small processing fee of ${n} is required to release your winnings",
        "keep your winning number {num} confidential until your claim is processed",
    ),
    (  # account phishing
        "we detected unusual activity on your {brand} account",
        "your account will be suspended within 24 hours unless you verify your identity",
        "click the link below to verify your account: http://{brand}-secure.{word}.{tld}/login",
        "failure to do so will result in permanent closure of your account",
        "confirm your billing information to restore full access",
    ),
    (  # investment
        "earn up to {n}% weekly returns with our bitcoin trading platform",
        "guaranteed profit with no risk, our experts trade for you",
        "join thousands of investors who doubled their money this month",
        "act now, only {n} places left at this rate",
    ),
    (  # pharmacy and spam
        "cheap meds online, no prescription needed",
        "lose {n} pounds in two weeks with this one simple trick",
        "best prices on replica watches, free worldwide shipping",
        "limited offer, click here to order now!!!",
    ),
    (  # jobs
        "work from home and earn ${num} per week",
        "no experience required, flexible hours, start today",
        "we only need your bank details to set up your salary payments",
    ),
    (  # CEO fraud: short and plain
        "are you at your desk? i need you to handle an urgent payment",
        "please buy {n} gift cards for a client, i will reimburse you today",
        "keep this between us for now, i am in a meeting",
    ),
)
_GREETINGS = (
    "hi {name},",
    "hello {name},",
    "{name},",
    "hey,",
    "good morning,",
    "",
    "dear friend,",
    "dear customer,",
)
_HAM_GREETING_P = (0.3, 0.2, 0.15, 0.15, 0.1, 0.1, 0.0, 0.0)
_SCAM_GREETING_P = (0.05, 0.1, 0.05, 0.05, 0.05, 0.2, 0.3, 0.2)
_CLOSINGS = ("thanks,", "cheers,", "best,", "regards,", "best regards,", "sincerely,", "")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _c(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def fill(template: str, rng: np.random.Generator) -> str:
    """Fill the ``{name}``, ``{word}``, ``{brand}``, ``{tld}``, ``{day}``, ``{n}``, ``{num}`` slots."""
    out = template
    slots: dict[str, Callable[[], str]] = {
        "{name}": lambda: _c(rng, FIRST_NAMES),
        "{word}": lambda: _c(rng, WORDS),
        "{brand}": lambda: _c(rng, BRANDS),
        "{tld}": lambda: _c(rng, SUSPICIOUS_TLDS),
        "{day}": lambda: _c(rng, _DAYS),
        "{num}": lambda: str(int(rng.integers(1000, 999999))),
        "{n}": lambda: str(int(rng.integers(2, 60))),
    }
    for slot, value in slots.items():
        while slot in out:
            out = out.replace(slot, value(), 1)
    return out


def _message(scam: bool, rng: np.random.Generator) -> str:
    pools = _SCAM if scam else _HAM
    topic = pools[int(rng.integers(len(pools)))]
    picked = rng.choice(len(topic), size=min(len(topic), int(rng.integers(1, 5))), replace=False)
    sentences = [fill(topic[i], rng) for i in picked]
    if rng.random() < (0.25 if scam else 0.1):  # borrow a sentence from the other side
        other = _HAM if scam else (_SCAM[2], _SCAM[4])
        sentences.insert(int(rng.integers(len(sentences) + 1)), fill(_c(rng, _c_pool(rng, other)), rng))
    greeting = fill(str(rng.choice(_GREETINGS, p=_SCAM_GREETING_P if scam else _HAM_GREETING_P)), rng)
    body = ". ".join(_capitalized(s) for s in sentences) + "."
    if scam and rng.random() < 0.3:
        body = body.upper() if rng.random() < 0.3 else body.replace(".", "!")
    closing = _c(rng, _CLOSINGS)
    signature = f"{closing}\n{_c(rng, FIRST_NAMES)}" if closing else ""
    return "\n\n".join(part for part in (_capitalized(greeting), body, signature) if part)


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _c_pool(rng: np.random.Generator, pools: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    return pools[int(rng.integers(len(pools)))]


def scam_messages(n: int, rng: np.random.Generator) -> Sample:
    """Message bodies; about 40 % scam."""
    y = (rng.random(n) < 0.4).astype(np.int64)
    texts = np.asarray([_message(bool(label), rng) for label in y], dtype=object)
    return Sample(frame({"text": texts}, ("text",)), flip_binary(y, rng, 0.005, 0.005))
