"""Agents' words as the triage rules read them: spellings, Hinglish, negations and stems.

Pure. Support agents log tickets fast, in their own words: "cant", "nt able to", "prodcut",
"seller bol raha hai product add nahi ho raha", "kindly do the needful", "battling to log in".
Rules are written once, in plain English ("cannot add products"); a ticket and a rule's
phrases are both read the same way, so each rule covers every way of saying it:

1. words, lower case, "'s" and apostrophes dropped ("can't" is "cant"), "?" a word;
2. Hinglish `IDIOMS` ("delete ho gaya" is "deleted"), then each word by `SPELLINGS`: a
   common typo, Hinglish or South African word, or shorthand, as the English word it stands
   for ("nahi" is "not", "gayab" is "disappeared", "pls" is "please"); auxiliaries that
   carry no meaning ("raha", "hai") are dropped;
3. any other long word one or two typing slips from a word the rules use, and starting with
   the same two letters, as that word ("invetory" is "inventory"; "selling" stays, though
   one letter from "spelling"), by rapidfuzz's optimal string alignment distance;
4. `PHRASINGS`: every way of saying "cannot" as "not", "log in" as "login", "does nothing"
   as "not working"; then `COUNTED`, a count of sellers as "multiple sellers"; then
   `VERB_FIRST`, Hinglish's verb-then-"nahi" as English's "not"-then-verb;
5. each word by a light stem ("adding", "added" and "adds" are "add");
6. `FILLERS` (articles, "is", "my", "get") dropped.
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
    "nope": "no", "pls": "please", "plz": "please", "plss": "please",
    "kindly": "please", "asap": "urgent", "urgently": "urgent", "cx": "customer",
    "cust": "customer", "custmer": "customer", "usr": "user", "msg": "message",
    "msgs": "message", "notes": "note", "mrng": "morning", "tmrw": "tomorrow",
    "yday": "yesterday",
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
    "ui": "screen", "ux": "screen", "merchant": "seller", "merchants": "sellers",
    "vendor": "seller", "vendors": "sellers", "shopkeeper": "seller", "shopkeepers": "sellers",
    "clients": "users", "dukaan": "shop", "dukan": "shop",
    "sabka": "all", "sabko": "all", "sabki": "all",
    # Hinglish: negation, auxiliaries and postpositions
    "nahi": "not", "nahin": "not", "nhi": "not", "nai": "not", "nahee": "not",
    "raha": "", "rha": "", "rahi": "", "rhi": "", "rahe": "", "rhe": "", "hai": "", "hain": "",
    "hoga": "", "hota": "", "hoti": "", "hua": "", "hui": "", "huye": "", "gaya": "",
    "gaye": "", "gayi": "", "gya": "", "gye": "", "tha": "", "thi": "", "ho": "", "hi": "",
    "ka": "", "ki": "", "ke": "", "ko": "", "se": "", "pe": "", "mein": "in", "mai": "in",
    "ne": "", "kiya": "", "kiye": "", "par": "but", "liye": "for",
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
    "nie": "not", "deur": "through",
    "eish": "", "howzit": "hello", "kak": "very", "lekker": "good",
}

#: Hinglish idioms, read in the words as written (before SPELLINGS drops "gaya", "liya"),
#: each with a word it needs (so a ticket without one costs nothing).
IDIOMS: tuple[tuple[str, str, str], ...] = (
    ("delete", r"\b(?:delete|deleted) (?:ho |kar |kr )?"
               r"(?:gaya|gaye|gayi|gya|gye|diya|diye|di)\b", "deleted"),
    ("hack", r"\bhack (?:ho |kar |kr )?(?:liya|kiya|gaya|hua|ho gaya)\b", "hacked"),
    ("pasand", r"\bpasand (?:nahi|nahin|nhi) (?:aaya|aayi|aaye|hai)\b", "dislike"),
)

#: Ways of saying one thing, as the words the rules use (after SPELLINGS and typo
#: correction, before stems); the longest phrase wins where two start together.
PHRASINGS: dict[str, str] = {
    **dict.fromkeys(("can not", "not able to", "not able", "no able to", "unable to", "unable",
                     "failed to", "fails to", "fail to", "failing to", "no longer",
                     "not possible to", "battling to", "struggling to", "none of them can",
                     "nobody can"), "not"),
    **dict.fromkeys(("not a bug", "not bug"), "request"),
    **dict.fromkeys(("not sure", "not know", "not clear", "not understand", "not aware",
                     "confused about"), "unsure"),
    **dict.fromkeys(("does nothing", "do nothing", "did nothing", "not doing anything",
                     "not responding", "stopped working", "not work"), "not working"),
    **dict.fromkeys(("log in", "log into", "logged in", "sign in", "sign into", "signed in",
                     "log on"), "login"),
    **dict.fromkeys(("log out", "logged out", "logging out", "sign out", "signed out"),
                    "logout"),
    "pass word": "password",
    **dict.fromkeys(("not just", "not only"), "also"),
    **dict.fromkeys(("like not coming", "like not", "not like"), "dislike"),
}

#: A count of sellers (or stores, users, tickets) is "multiple sellers": "3 sellers called",
#: "4-5 aur sellers", "tried on 5 accounts".
COUNTED = (r"\b(?:[2-9]|[1-9][0-9]+)(?: [0-9]+)?(?: more| other| neighbour| different)?"
           r" (?:sellers?|stores?|shops?|users?|accounts?|tickets?|complaints?|calls?|others)\b")
#: Hinglish puts the verb before "nahi": "add nahi ho raha" is "not add", "dikh nahi rahi"
#: "not showing" (only where the ticket says "nahi").
VERB_FIRST = (r"\b(add|update|login|upload|download|save|load|open|opening|showing|coming|"
              r"working|received|generating|sending|take|find|delete|edit|change|see|work) "
              r"not\b")
HINGLISH_NOT = frozenset(("nahi", "nahin", "nhi", "nai", "nahee"))

#: Words that change nothing a rule looks at.
FILLERS = frozenset((
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "am", "get", "gets",
    "getting", "got", "of", "my", "his", "her", "their", "our", "your", "its", "any", "some",
    "very", "really", "sir", "madam", "ji", "bhai", "hello", "hey", "dear", "team",
))

#: The shortest word step 3 corrects, and the longest slip it corrects (two from 9 letters).
_FUZZY_FROM = 6
_FUZZY_TWO_FROM = 9
#: How many words' readings a rule set remembers (numbers are not remembered).
_MEMO = 100_000


#: Words whose ending means something to the rules: "sellers" are many, "seller's" one (its
#: "'s" is dropped first); "deleted" happened, "delete" may be a question or a request.
UNSTEMMED = frozenset(("sellers", "users", "buyers", "stores", "shops", "deleted", "note"))


def stem(word: str) -> str:
    """A word without its common English endings, the same for a ticket and a rule."""
    return word if word in UNSTEMMED else _bare_stem(word)


def _bare_stem(word: str) -> str:
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
        known = sorted({w for w in vocabulary if w.isalpha()})
        self._known_set = frozenset(known)
        self._by_start: dict[str, list[str]] = {}  # a slip is rarely in the first two letters
        for w in known:
            self._by_start.setdefault(w[:2], []).append(w)
        self._words: dict[str, str] = {}
        self._stems: dict[str, str] = {}

    def read(self, text: str) -> str:
        """The description as canonical words between single spaces, a space at each end."""
        words = _WORD.findall(_plain(text))
        plain = " ".join(words)
        for needle, pattern, replacement in _COMPILED_IDIOMS:
            if needle in plain:
                plain = pattern.sub(replacement, plain)
        spelled = " ".join(_phrased(list(self._spelled(plain))))
        if _DIGIT.search(spelled):
            spelled = _COUNTED.sub("multiple sellers", spelled)
        if not HINGLISH_NOT.isdisjoint(words):
            spelled = _VERB_FIRST.sub(r"not \1", spelled)
        return " " + " ".join(w for w in map(self._stemmed, spelled.split()) if w) + " "

    def _spelled(self, plain: str) -> Iterable[str]:
        """Each word as SPELLINGS or a typo correction has it (remembered per word)."""
        for word in plain.split():
            if not word.isalpha():  # a number, an order ID: as it is, and not remembered
                yield word
                continue
            found = self._words.get(word)
            if found is None:
                found = SPELLINGS[word] if word in SPELLINGS else self._correct(word)
                self._remember(self._words, word, found)
            if found:
                yield found

    def _stemmed(self, word: str) -> str:
        """The word's stem, or "" for a filler (remembered per word)."""
        if not word.isalpha():
            return word
        found = self._stems.get(word)
        if found is None:
            found = "" if stem(word) in _STEMMED_FILLERS else stem(word)
            self._remember(self._stems, word, found)
        return found

    @staticmethod
    def _remember(memo: dict[str, str], word: str, found: str) -> None:
        """Memoise a word's reading, up to a bound (an odd word is cheap to read again)."""
        if len(memo) < _MEMO:
            memo[word] = found

    def _correct(self, word: str) -> str:
        """A long word the rules do not know, as the rules' word one or two slips away."""
        if len(word) < _FUZZY_FROM or not word.isalpha() or word in self._known_set:
            return word
        slips = 2 if len(word) >= _FUZZY_TWO_FROM else 1
        near = extractOne(word, self._by_start.get(word[:2], ()), scorer=OSA.distance,
                          score_cutoff=slips)
        return near[0] if near is not None and not _inflected(word, near[0]) else word


def _inflected(word: str, other: str) -> bool:
    """Whether two words are one word's forms ("deletes", "deleted"), not a slip."""
    a, b = _bare_stem(word), _bare_stem(other)
    return a.startswith(b) or b.startswith(a)


def vocabulary_of(phrases: Iterable[str]) -> set[str]:
    """The words of these phrases as step 3 knows them (after SPELLINGS, before stems)."""
    return {w for phrase in phrases for word in _WORD.findall(_plain(phrase))
            for w in SPELLINGS.get(word, word).split()}


def _plain(text: str) -> str:
    """Lower case without "'s" and apostrophes, a question mark as a word ("qmark")."""
    text = _POSSESSIVE.sub("", text.lower().replace("\u2019", "'"))
    return text.replace("'", "").replace("?", " qmark ")


_POSSESSIVE = re.compile(r"'s\b")


def _phrased(words: list[str]) -> list[str]:
    """The words with each of PHRASINGS as the words it stands for, the longest first."""
    if _PHRASE_LENGTHS.keys().isdisjoint(words):
        return words
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in _PHRASE_LENGTHS.get(words[i], ()):
            found = PHRASINGS.get(" ".join(words[i:i + n]))
            if found is not None:
                out.append(found)
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


_COMPILED_IDIOMS = tuple((n, re.compile(p), r) for n, p, r in IDIOMS)
#: For each first word of PHRASINGS, how many words its phrases have, the most first.
_PHRASE_LENGTHS: dict[str, tuple[int, ...]] = {
    first: tuple(sorted({p.count(" ") + 1 for p in PHRASINGS if p.split()[0] == first},
                        reverse=True))
    for first in {p.split()[0] for p in PHRASINGS}}
_DIGIT = re.compile(r"[0-9]")
_COUNTED = re.compile(COUNTED)
_VERB_FIRST = re.compile(VERB_FIRST)
_STEMMED_FILLERS = frozenset(stem(w) for w in FILLERS)


# What an agent's words say about a ticket, whatever the preset: the phrase groups the rule
# sets share. A harmless ticket that merely mentions an alarming word (a feature request, a
# question, a typo report) is told apart by these before any High rule is tried.

#: Something is broken or wrong: a ticket with any of these is not merely a request or a
#: question, however it is phrased.
PROBLEM: tuple[str, ...] = (
    "not working", "no response", "no reply", "error", "errors", "fails", "failed", "failing",
    "failure", "broken", "stuck", "crash", "crashes", "crashing", "freezes", "frozen",
    "hangs", "hanging", "blank", "empty", "missing", "wrong", "disappeared", "vanished",
    "gone", "deleted", "wiped", "erased", "lost", "down", "offline", "timeout", "timed out",
    "times out", "declined", "deducted", "charged twice", "hacked", "scammed", "leaked",
    "unauthorised", "unauthorized", "spins", "spinning", "keeps loading", "very hard",
    "hard to use", "difficult", "too many steps",
    "nothing", "slow", "lag", "lags", "glitch", "bug", "issue", "problem", "unpaid",
    "delayed", "late", "overdue", "reversed", "bounce", "claiming to be", "pretending",
    "asking for otp", "asks for otp", "asking for password", "asking for passwords",
    "compromised", "not",
)

#: A request for something new ("Feature requests"; the SayPro documents' "new feature
#: requests").
REQUEST: tuple[str, ...] = (
    "please add", "please allow", "please provide", "please give", "can you add",
    "could you add", "can we have", "can we get", "could we have", "add an option",
    "add option", "option to", "option for", "feature", "features",
    "would like", "would love", "would be nice", "would be great", "would help",
    "it would", "nice to have", "wish", "wishlist", "suggest", "suggests", "suggestion",
    "suggested", "idea", "request", "requests", "requesting", "wants", "want",
    "need a feature", "needs a feature", "need an option", "allow", "ability to", "facility",
    "provide", "integrate", "integration with", "support for", "planning", "in future",
    "roadmap", "when coming", "let users", "should have", "make it",
)

#: A question about how something works ("Documentation clarifications"; "general
#: inquiries or non-urgent questions").
QUESTION: tuple[str, ...] = (
    "how", "how to", "how do", "how can", "how does", "how long", "how many", "how much",
    "where", "where can", "where is", "what", "what is", "what are", "what does", "which",
    "when will", "when do", "when does", "why does", "is there a way", "is there an option",
    "is there a limit", "is it possible", "is it allowed", "can i", "can we",
    "do you", "do i", "does saypro", "explain", "clarify", "clarity", "?",
    "unsure", "confused", "understand", "documentation", "manual", "guide", "faq",
    "help article", "help articles", "help center", "video", "steps", "tutorial",
    "wants to know", "want to know", "asking if", "asked if", "asks if", "asking about",
    "asked about", "asking whether", "asked whether", "question", "query", "inquiry",
    "enquiry", "policy", "policies", "information", "info", "details about", "whether",
    "thank you", "thanks", "all good", "all sorted", "issue sorted", "explained",
    "instructions",
)

#: A question about what would happen, not a report of it: "what happens if my account
#: is suspended? just asking" is a question, whatever words it uses.
HYPOTHETICAL: tuple[str, ...] = (
    "just asking", "asking in advance", "in advance", "what happens if", "what happens to",
    "what if", "what should i do if", "in case", "heard about", "for a friend",
    "just checking", "just wants to understand", "just wanted", "not locked out",
    "how to spot", "how do i know", "how to know if", "is it safe", "safe to use",
    "staying safe", "how to secure", "spot scam", "just a question", "seems to work fine",
)

#: Polish: how something looks, not whether it works ("Minor UI/UX improvements").
COSMETIC: tuple[str, ...] = (
    "typo", "typos", "spelling", "spelt", "misspelt", "misspelled", "font", "fonts",
    "colour", "color", "colours", "alignment", "aligned", "misaligned", "blurry",
    "pixelated", "stretched", "shadow", "rounded corners", "corners", "ugly", "cosmetic",
    "wording", "translation", "capital letters", "extra space", "emoji", "looks odd",
    "looks outdated", "looks different", "unprofessional", "too bright", "full stop",
    "hard on the eyes", "minor", "slightly", "dislike",
)

#: Polish that gets in the way of using the screen is not polish.
UNUSABLE: tuple[str, ...] = (
    "not read", "unreadable", "hard to read", "not see", "not click", "not tap", "not use",
    "not working", "not save", "not open", "crash", "freezes",
)
