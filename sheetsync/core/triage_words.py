"""Agents' words as the triage rules read them: spellings, Hinglish, negations and stems.

Pure. Support agents log tickets fast, in their own words: "cant", "nt able to", "prodcut",
"seller bol raha hai product add nahi ho raha", "kindly do the needful", "battling to log in".
Rules are written once, in plain English ("cannot add products"); a ticket and a rule's
phrases are both read the same way, so each rule covers every way of saying it:

1. words, lower case, apostrophes dropped ("can't" is "cant");
2. each word by `SPELLINGS`: a common typo, Hinglish or South African word, or shorthand, as
   the English word it stands for ("nahi" is "not", "gayab" is "disappeared", "pls" is
   "please"); auxiliaries that carry no meaning ("raha", "hai") are dropped;
3. any other long word one or two typing slips from a word the rules use, as that word
   ("invetory" is "inventory"), by rapidfuzz's optimal string alignment distance;
4. `REWRITES`, in order: every way of saying "cannot" as "not", "log in" as "login", a count
   of sellers as "multiple sellers", Hinglish's verb-then-"nahi" as English's "not"-then-verb;
5. each word by a light stem ("adding", "added" and "adds" are "add");
6. `FILLERS` (articles, "is", "my", "to") dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

_WORD = re.compile(r"[a-z0-9]+")

#: A word as the English word(s) it stands for ("" drops it): typos too short for step 3,
#: shorthand, Hinglish (the seller-support preset's agents) and South African English.
SPELLINGS: dict[str, str] = {
    # negations and shorthand
    "cant": "not", "cannot": "not", "cnt": "not", "cannt": "not", "cnat": "not",
    "couldnt": "not", "wont": "not", "doesnt": "not", "dosent": "not", "dont": "not",
    "didnt": "not", "isnt": "not", "arent": "not", "wasnt": "not", "werent": "not",
    "havent": "not", "hasnt": "not", "nt": "not", "dnt": "not", "never": "not",
    "unable": "not", "nope": "no", "pls": "please", "plz": "please", "plss": "please",
    "kindly": "please", "asap": "urgent", "urgently": "urgent", "cx": "customer",
    "cust": "customer", "custmer": "customer", "usr": "user", "msg": "message",
    "msgs": "message", "mrng": "morning", "tmrw": "tomorrow", "yday": "yesterday",
    "pic": "image", "pics": "image", "photo": "image", "photos": "image", "img": "image",
    "images": "image", "catalog": "catalogue", "catlog": "catalogue", "catalogs": "catalogue",
    "item": "product", "items": "product", "sku": "product", "skus": "product",
    "prodcut": "product", "prodcuts": "product", "prduct": "product", "produt": "product",
    "wroking": "working", "wrking": "working", "workin": "working", "nit": "not",
    "settlement": "payout", "settlements": "payout", "setlement": "payout",
    "logon": "login", "signin": "login", "loggin": "login", "lgoin": "login",
    "reprot": "report", "reprt": "report", "invoce": "invoice", "acct": "account",
    "acc": "account", "pwd": "password", "pswd": "password", "passwrd": "password",
    "err": "error", "eror": "error", "errror": "error", "pymt": "payment", "pymnt": "payment",
    "ui": "screen", "ux": "screen",
    # Hinglish: negation, auxiliaries and postpositions
    "nahi": "not", "nahin": "not", "nhi": "not", "nai": "not", "nahee": "not",
    "raha": "", "rha": "", "rahi": "", "rhi": "", "rahe": "", "rhe": "", "hai": "", "hain": "",
    "hoga": "", "hota": "", "hoti": "", "hua": "", "hui": "", "huye": "", "gaya": "",
    "gaye": "", "gayi": "", "gya": "", "gye": "", "tha": "", "thi": "", "ho": "", "hi": "",
    "ka": "", "ki": "", "ke": "", "ko": "", "se": "", "pe": "", "mein": "", "mai": "",
    "liya": "", "diya": "", "deta": "", "karna": "", "karein": "", "kare": "", "karu": "",
    "karo": "", "kar": "", "kr": "", "pa": "", "paa": "", "wala": "", "wale": "",
    "lagta": "", "ja": "", "jata": "", "h": "",
    # Hinglish: words that carry the meaning
    "bol": "says", "bola": "says", "pooch": "asking", "puch": "asking", "poochh": "asking",
    "kaise": "how", "kese": "how", "kaisey": "how", "kaisa": "how", "kya": "what",
    "kahan": "where", "kaha": "where", "kab": "when", "kyun": "why", "kyu": "why",
    "chahiye": "want", "chaiye": "want", "chahie": "want", "chahta": "want",
    "sab": "all", "sabhi": "all", "saare": "all", "sare": "all", "saara": "all",
    "bahut": "many", "bohot": "many", "bahot": "many", "aur": "more", "bhi": "also",
    "kal": "yesterday", "subah": "morning", "raat": "night", "abhi": "still", "tak": "",
    "dikh": "showing", "dikha": "showing", "dikhe": "showing", "dikhta": "showing",
    "dikhti": "showing", "dekhe": "see", "dekh": "see", "aa": "coming", "aaya": "coming",
    "aayi": "coming", "aaye": "coming", "aata": "coming", "aati": "coming",
    "aayega": "coming", "chal": "working", "chalta": "working", "mil": "received",
    "mila": "received", "mili": "received", "khul": "opening", "khulta": "opening",
    "ban": "generating", "bhej": "sending", "le": "take", "band": "down", "kaam": "work",
    "gayab": "disappeared", "galat": "wrong", "khali": "empty", "naya": "new", "nayi": "new",
    "naye": "new", "paisa": "money", "paise": "money", "dikkat": "problem",
    "samajh": "understand", "dhoondh": "find", "dhund": "find", "koi": "any",
    "kisi": "someone", "ek": "one", "saath": "together", "pasand": "like", "ulta": "reverse",
    "badhaye": "increase", "badha": "increase", "kuch": "anything", "mera": "my",
    "meri": "my", "uska": "his", "uski": "his", "pareshan": "upset", "bina": "without",
    "bataye": "telling", "nikale": "download", "nikalna": "download", "lagana": "add",
    # South African English and Afrikaans
    "battling": "not", "battle": "not", "struggling": "not", "nie": "not", "deur": "through",
    "eish": "", "howzit": "hello", "kak": "very", "lekker": "good",
}

#: Applied in order to the words (after SPELLINGS and typo correction, before stems).
REWRITES: tuple[tuple[str, str], ...] = (
    (r"\b(?:can not|not able to|not able|no able to|failed to|fails to|fail to|failing to|"
     r"no longer|not possible to)\b", "not"),
    (r"\bnot (?:sure|know|clear|understand|aware)\b|\bconfused about\b", "unsure"),
    (r"\b(?:does nothing|do nothing|did nothing|not doing anything|not responding|"
     r"not working|stopped working|not work)\b", "not working"),
    (r"\b(?:log in|log into|logged in|sign in|sign into|signed in|log on)\b", "login"),
    (r"\b(?:log out|logged out|logging out|sign out|signed out)\b", "logout"),
    (r"\b(?:pass word)\b", "password"),
    (r"\b(?:[2-9]|[1-9][0-9]+)(?: [0-9]+)?(?: more| other| others)?"
     r"(?: \w+)? (?:sellers?|stores?|shops?|users?|accounts?|tickets?|complaints?|calls?)\b",
     "multiple sellers"),
    # Hinglish puts the verb before "nahi": "add nahi ho raha" is "not add".
    (r"\b(add|update|login|upload|download|save|load|open|opening|showing|coming|working|"
     r"received|generating|sending|take|find|delete|edit|change|see|work) not\b", r"not \1"),
)

#: Words that change nothing a rule looks at.
FILLERS = frozenset((
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "am", "get", "gets",
    "getting", "got", "to", "of", "my", "his", "her", "their", "our", "your", "its", "it",
    "this", "that", "these", "those", "any", "some", "do", "does", "did", "has", "have",
    "had", "i", "he", "she", "we", "they", "me", "him", "us", "them", "just", "even", "very",
    "really", "still", "again", "sir", "madam", "ji", "bhai", "hello",
    "hey", "dear", "team", "ok", "okay", "so",
))

#: The shortest word step 3 corrects, and the longest slip it corrects (two from 9 letters).
_FUZZY_FROM = 6
_FUZZY_TWO_FROM = 9


def stem(word: str) -> str:
    """A word without its common English endings, the same for a ticket and a rule."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


class Reader:
    """Reads descriptions the way one rule set's phrases are read, remembering each word."""

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        self._known = sorted({w for w in vocabulary if w.isalpha()})
        self._known_set = frozenset(self._known)
        self._corrected: dict[str, str] = {}

    def read(self, text: str) -> str:
        """The description as canonical words between single spaces, a space at each end."""
        spelled = " ".join(self._spelled(_WORD.findall(text.lower().replace("'", "")
                                                        .replace("\u2019", ""))))
        for pattern, replacement in _COMPILED_REWRITES:
            spelled = pattern.sub(replacement, spelled)
        kept = (stem(w) for w in spelled.split())
        return " " + " ".join(w for w in kept if w not in _STEMMED_FILLERS) + " "

    def _spelled(self, words: list[str]) -> Iterable[str]:
        for word in words:
            yield SPELLINGS.get(word, word) if word in SPELLINGS else self._correct(word)

    def _correct(self, word: str) -> str:
        """A long word the rules do not know, as the rules' word one or two slips away."""
        if len(word) < _FUZZY_FROM or not word.isalpha() or word in self._known_set:
            return word
        found = self._corrected.get(word)
        if found is None:
            slips = 2 if len(word) >= _FUZZY_TWO_FROM else 1
            near = extractOne(word, self._known, scorer=OSA.distance, score_cutoff=slips)
            found = near[0] if near is not None and abs(len(near[0]) - len(word)) <= slips \
                else word
            if len(self._corrected) < 100_000:
                self._corrected[word] = found
        return found


def vocabulary_of(phrases: Iterable[str]) -> set[str]:
    """The words of these phrases as step 3 knows them (after SPELLINGS, before stems)."""
    return {w for phrase in phrases
            for word in _WORD.findall(phrase.lower().replace("'", ""))
            for w in SPELLINGS.get(word, word).split()}


_COMPILED_REWRITES = tuple((re.compile(p), r) for p, r in REWRITES)
_STEMMED_FILLERS = frozenset(stem(w) for w in FILLERS)
