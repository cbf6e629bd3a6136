"""The lexicon of the targeting detector: regular expressions for personal data, election roles,
calls to action (explicit and veiled), locators, public-office titles and benign context.

Data, not logic: `models.signals.targeting` decides what a combination of these means. Every
pattern is compiled case-insensitive unless it says otherwise; phrasings were chosen from how
identification and harassment calls are posted (a name with a role, a locator, an invitation),
not from any one side's vocabulary.
"""

from __future__ import annotations

import re
from typing import Final

_I = re.IGNORECASE

PHONE: Final = re.compile(
    r"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])?\d{3}[\s.-]\d{4}(?![\w/-])"
)
EMAIL: Final = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", _I)
_STREET = (
    r"(?i:street|st|avenue|ave|road|rd|lane|ln|drive|dr|court|ct|boulevard|blvd|way|place|pl"
    r"|terrace|circle|cir|trail|parkway|pkwy|crest|hwy|highway)"
)
ADDRESS: Final = re.compile(
    rf"\b\d{{1,5}}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][\w'-]*\s+){{1,3}}{_STREET}\b\.?"
    r"(?:,?\s+(?i:apt|unit|#)\s*\w+)?",
)
# a plate is only read next to the word plate/tag, so order numbers and dates are not plates
PLATE: Final = re.compile(
    r"\b(?:licen[cs]e\s+)?(?:plates?|tags?)(?:\s+(?:number|no\.?|#))?(?:\s+is)?[:\s]+"
    r"(?P<plate>[A-Z0-9]{2,4}[\s-]?[A-Z0-9]{2,4})\b",
)

ROLE: Final = re.compile(
    r"\b(?:(?:poll|election|elections|precinct(?:\s+\d+)?|polling|ballot[- ]counting)"
    r"\s+(?:workers?|judges?|staff|volunteers?|captains?|clerks?|officials?'?s?\s+aides?)"
    r"|(?:poll|ballot)\s+(?:watchers?|observers?|challengers?|counters?|mules?)"
    r"|(?:ballot|vote)\s+couriers?|couriers?|canvassers?|registrars?"
    r"|(?:postal|post office|mail)\s+(?:workers?|carriers?|clerks?)|carriers?"
    r"|(?:county\s+|city\s+|town\s+|elections?\s+)?clerk(?:'s)?(?:\s+(?:deputy|assistant|staff))?"
    r"|election\s+official'?s\s+aide"
    r"|(?:wo)?m[ae]n\s+who\s+(?:counted|ran|handled|delivered|dropped)"
    r"|guy\s+(?:in|who)\b|workers\s+home|ballot\s+box(?:es)?\s+out)\b",
    _I,
)

OFFICIAL_TITLE: Final = re.compile(
    r"\b(?:secretary of state|governor|gov\.|senator"
    r"|speaker|sheriff|ag"
    r"|recorder|congress|judge(?! \w+ (?:from|in) precinct))\b",
    _I,
)
# a "First Last" name introduced as a name; case-sensitive on the name itself
PERSON: Final = re.compile(
    r"(?:(?i:name(?:'s| is)?|named|identified as|is|:|,)\s+|^|[.?!]\s+)"
    r"(?P<name>[A-Z][a-z]+(?:\s+[A-Z][a-z'-]+){1,2})(?=\s*(?:,|\(|\.|$|\s+(?:lives|of|from|is|'s)))"
)
NOT_A_NAME: Final = frozenset(
    {
        "County",
        "Election",
        "Precinct",
        "Secretary",
        "Governor",
        "Senator",
        "Speaker",
        "Street",
        "Department",
        "Office",
        "State",
        "The",
        "This",
        "That",
        "Every",
        "Our",
        "Election Day",
    }
)

CALL_TO_ACTION: Final = re.compile(
    r"\b(?:find|track|hunt)\s+(?:him|her|them|down|out\s+who|the\s+owner|his|her)\b"
    r"|\b(?:dox|doxx|expose|identify|id|out)\s+(?:him|her|them|the|these|this|that)\b"
    r"|\bneed\s+(?:a|her|his|their|those)\s+names?\b"
    r"|\bnames?,?\s+(?:and\s+)?(?:home\s+)?address(?:es)?\b|\bhome\s+address(?:es)?\s+of\b"
    r"|\b(?:visit|follow)\s+(?:him|her|them|it|the\s+\w+\s+home)\b"
    r"|\bpay\s+(?:him|her|them)(?:\s+all)?\s+a\s+(?:little\s+)?visit\b|\bhouse\s+call\b"
    r"|\bknock\s+on\s+(?:her|his|their)"
    r"|\bgo\s+(?:say\s+hi|ask|make|remind|to\s+their\s+houses)"
    r"|\bmake\s+(?:him|her|them|the\s+[\w ]{3,30}?)\s+(?:answer|famous|explain|pay)\b"
    r"|\blet\s+(?:him|her|them)\s+(?:hear|know)\b|\b(?:flood|fill)\s+(?:his|her|their)\s+inbox"
    r"|\bcall\s+(?:him|her|them|his\s+boss|her\s+boss|the\s+shop)\b|\btag\s+(?:his|her)\s+employer"
    r"|\brun\s+(?:it|this\s+plate|the\s+plate)\b|\bstake\s+out\b|\bspread\s+(?:it|this)\b"
    r"|\bshare\s+this\s+face|\bretweet\s+until"
    r"|\bdm\s+(?:me|to\s+contribute)"
    r"|\bput\s+the\s+[\w' ]{3,30}names\b|\bposting\s+every\b|\bwrite\s+down\s+the\s+licen"
    r"|\bget\s+the\s+plates\b|\b(?:anyone|anybody)\s+(?:know|have|got|recogni[sz]e)\b"
    r"|\bwho\s+(?:is\s+this|they\s+really\s+are)\b",
    _I,
)
VEILED: Final = re.compile(
    r"\byou\s+know\s+what\s+to\s+do\b(?!\s+on\b)|\bhas\s+a\s+(?:family|daughter|son|wife|husband)"
    r"|\b(?:kids|daughter|son|children)\s+(?:go|goes)\s+to\b|\b(?:shame|pity)\s+if\b"
    r"|\bremember\s+that\b|\bjust\s+saying\b"
    r"|\bsleep\s+easy\b|\bover\s+(?:her|his|their)\s+shoulder"
    r"|\bsee\s+(?:her|him|them)\s+again\b|\bsay\s+hello\s+for\s+me\b"
    r"|\bwho'?s\s+coming\s+with\s+me"
    r"|\basking\s+for\s+a\s+(?:lot\s+of\s+)?friends?\b|\breturn\s+the\s+(?:favou?r|visit)\b"
    r"|\bgood\s+at\s+finding\s+people|['\"]thank['\"]\s+(?:him|her|them)|\bwants\s+a\s+word\b"
    r"|\bsomeone\s+(?:out\s+there\s+)?(?:knows|should\s+pay)\b|\bsomebody\s+knows\b"
    r"|\bmemori[sz]e\s+(?:this|her|his)\b",
    _I,
)
LOCATOR: Final = re.compile(
    r"\blives?\s+(?:on|at|in|near|two|a\s+few|down)\b|\bwhere\s+(?:she|he|they)\s+lives?\b"
    r"|\b(?:home|house)\s+address(?:es)?\b|\baddress(?:es)?\s+(?:is|are|in|of|underneath|too)\b"
    r"|\b(?:his|her|their)\s+(?:home|house|car|truck|van|route|kids|family|employer|boss"
    r"|workplace|school|mom'?s\s+house|wife'?s|husband'?s|linkedin|facebook|instagram|address"
    r"|face)\b|\bparks\s+(?:his|her)\b|\bworks\s+at\b|\bdrives\s+a\b|\bnice\s+house\b"
    r"|\bgoes\s+to\b|\bphone\s+and\s+address\b|\bpersonal\s+cell\b"
    r"|\bon\s+camera\b",
    _I,
)
NEGATION: Final = re.compile(r"\b(?:don'?t|do\s+not|never|stop|no\s+one\s+should)\s+$", _I)
# context that makes a mention reporting, thanks or service information
BENIGN: Final = re.compile(
    r"\b(?:said|says|prosecutors?|charged|sentenced|investigat\w*"
    r"|task\s+force|judgment|reported\s+the"
    r"|thank(?:s|ed)?\b(?!['\"])|shout\s?out|proud|legend"
    r"|sign\s+up|training|report\s+(?:those|threats|it)"
    r"|harassment|harassing\s+poll\s+workers|private\s+for|chain[- ]of[- ]custody"
    r"|procedure|per\s+state\s+law|tips?\b|office\s+at|department\s+at|website)",
    _I,
)
INSTITUTIONAL_CONTACT: Final = re.compile(
    r"\b(?:office|department|tips?|fbi"
    r"|elections@|text|senator|governor|speaker|secretary)\b",
    _I,
)
