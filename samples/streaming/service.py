"""Streaming text: an API that yields is answered as server-sent events, item by item.

The "model" is a tiny word-level Markov chain over a few sentences, enough to show
tokens arriving one at a time, as a language model's would.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import dosirak
from dosirak.exceptions import InvalidInput
from dosirak.io import Text

CORPUS = (
    "the lunchbox holds rice and kimchi . the lunchbox holds an egg . "
    "the model reads the rice . the model answers with kimchi . "
    "an egg and rice make a lunch . the server answers the model ."
)


class MarkovChain(dosirak.Runnable):
    """Next-word choices learned from a corpus; deterministic for a given prompt."""

    def __init__(self, corpus: str) -> None:
        words = corpus.split()
        self.next_words: dict[str, list[str]] = defaultdict(list)
        for current, following in itertools.pairwise(words):
            self.next_words[current].append(following)

    @dosirak.Runnable.method
    def generate(self, prompt: str, max_words: int = 12) -> list[str]:
        words = prompt.split()
        if not words:
            raise InvalidInput("the prompt is empty; send at least one word")
        rng = random.Random(prompt)
        out: list[str] = []
        word = words[-1]
        for _ in range(max_words):
            choices = self.next_words.get(word)
            if not choices:
                break
            word = rng.choice(choices)
            out.append(word)
            if word == ".":
                break
        return out


chain = dosirak.Runner(MarkovChain, name="markov", init_params={"corpus": CORPUS})
svc = dosirak.Service("streaming", runners=[chain])


@svc.api(input=Text(), output=Text())
def complete(prompt: str) -> str:
    """The whole continuation of the prompt at once."""
    return " ".join(chain.generate.run(prompt))


@svc.api(input=Text(), output=Text())
def stream(prompt: str) -> Iterator[str]:
    """The continuation word by word, as server-sent events (a sync generator)."""
    yield from chain.generate.run(prompt)


@svc.api(input=Text(), output=Text())
async def stream_async(prompt: str) -> AsyncIterator[str]:
    """The same from an async generator, pausing between words as a real model would."""
    for word in await chain.generate.async_run(prompt):
        await asyncio.sleep(0.01)
        yield word
