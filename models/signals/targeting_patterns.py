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

_WORKER = (
    r"(?:workers?|judges?|staff(?:ers?)?|volunteers?|captains?|clerks?|inspectors?|supervisors?"
    r"|employees?|techs?|officials?'?s?\s+aides?|officials?)"
)
ROLE: Final = re.compile(
    rf"\b(?:(?:poll|polling|election|elections|precinct(?:\s+\d+)?|ballot[- ]counting|counting"
    rf"|board\s+of\s+elections?|election\s+board|election\s+supervisor'?s)\s+{_WORKER}"
    r"|(?:poll|ballot|election|vote)\s+(?:watchers?|observers?|challengers?|counters?|mules?)"
    r"|(?:ballot|vote)\s+couriers?|couriers?|canvassers?|registrars?|watchers?|observers?"
    r"|challengers?|counters|staffers?"
    r"|(?:postal|post\s+office|mail|usps)\s+(?:workers?|carriers?|clerks?|employees?)|carriers?"
    r"|mail(?:man|men)"
    r"|(?:county\s+|city\s+|town\s+|elections?\s+)?clerk(?:'s)?(?:\s+(?:deputy|assistant|staff))?"
    r"|(?:wo)?m[ae]n\s+who\s+(?:counted|ran|handled|delivered|dropped|scanned|checked)"
    r"|(?:guy|lady|woman|man|girl|dude)\s+(?:in|who|at|behind)\b"
    r"|workers\s+home|check-in\s+table|sign-in\s+(?:table|desk|sheet)"
    r"|counting\s+(?:table|room|center)|carrying\s+(?:ballots|ballot\s+box(?:es)?)"
    r"|ballot\s+box(?:es)?\s+out)\b",
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

_WHO = r"(?:him|her|them|these|this|that|those|the|every|all)"
_PRONOUN = r"(?:him|her|them)"
_POSSESSIVE = r"(?:his|her|their)"
_TRACE = r"(?:names?|address(?:es)?|faces?|photos?|pictures?|numbers?|plates?|employers?|info)"
CALL_TO_ACTION: Final = re.compile(
    rf"\b(?:find|locate|identify|id|dox+|expose|unmask)\s+{_WHO}\b"
    rf"|\b(?:track|hunt)\s+(?:down\s+)?{_WHO}\b|\b(?:track|hunt)\s+down\b|\bout\s+{_PRONOUN}\b"
    r"|\bfind\s+out\s+(?:who|where)\b|\bfind\s+(?:his|her|their)\s+(?:home|house|address)"
    r"|\b(?:anyone|anybody|someone|somebody|who)\s+(?:know|knows|have|has|got|recogni[sz]es?)\s+"
    r"(?:who|where|the\s+(?:name|home|address)|his|her|their|this|that)\b(?!\s+(?:i|we|you)\b)"
    rf"|\b(?:need|want|get)\s+(?:\w+\s+){{0,2}}{_TRACE}\b"
    r"|\bnames?,?\s+(?:and\s+)?(?:home\s+)?address(?:es)?\b|\bhome\s+address(?:es)?\s+of\b"
    r"|\bname,\s+(?:town|job|address|employer|school)"
    rf"|\b(?:visit|confront|surround)\s+{_PRONOUN}\b|\bfollow\s+(?:{_PRONOUN}|it|the)\b"
    r"|\bvisit\s+the\s+\w+\s+home\b"
    r"|\bpay\s+(?:him|her|them|the\s+[\w ]{3,30}?)(?:\s+all)?\s+a\s+(?:little\s+)?visit\b"
    r"|\bhouse\s+call\b|\b(?:shared|posted|leaked)\s+(?:it|them)\s+(?:in|on|to|everywhere)\b"
    rf"|\bknock\s+on\s+{_POSSESSIVE}|\bgo\s+knock\b"
    r"|\bgo\s+(?:say\s+hi|ask|make|remind|see\s+(?:him|her|them)|to\s+their\s+houses)"
    r"|\b(?:let'?s|we\s+should|we'?ll|go)\s+(?:all\s+)?show\s+up\b"
    rf"|\bwait\s+(?:outside|for\s+{_PRONOUN}|in\s+the\s+(?:parking\s+)?lot)"
    r"|\bmake\s+(?:him|her|them|the\s+[\w ]{3,30}?)\s+(?:answer|famous|explain|pay|regret)\b"
    rf"|\bmake\s+{_POSSESSIVE}\s+(?:\w+\s+)?life\b|\b(?:whole|entire)\s+life\s+posted\b"
    rf"|\blet\s+(?:{_PRONOUN}|{_POSSESSIVE}\s+\w+)\s+(?:hear|know)\b"
    rf"|\b(?:flood|fill|blow\s+up)\s+(?:{_POSSESSIVE}|{_PRONOUN})\b"
    rf"|\b(?:call|email|message|contact)\s+(?:{_PRONOUN}|{_POSSESSIVE}\s+(?:boss|employer|work))"
    r"|\bcall\s+the\s+shop\b"
    rf"|\bgive\s+{_PRONOUN}\s+a\s+call\b|\btag\s+{_POSSESSIVE}\s+(?:employer|boss)"
    rf"|\bget\s+(?:{_PRONOUN}|the\s+[\w ]{{3,30}}?)\s+fired\b|\buntil\s+they\s+fire\b"
    r"|\brun\s+(?:it|this\s+plate|the\s+plates?)\b|\bstake\s+out\b"
    rf"|\b(?:spread|share|post|publish|put)\s+(?:it|this|the\s+{_TRACE}|{_POSSESSIVE}\s+{_TRACE})\b"
    r"|\bpost\s+(?:it\s+)?everywhere\b|\bshare\s+everywhere\b|\bmake\s+it\s+viral\b"
    r"|\bphotographed\s+and\s+posted\b|\bget\s+their\s+faces\b|\bretweet\s+until"
    r"|\buntil\s+(?:somebody|someone)\s+(?:names|ids|identifies)\b"
    r"|\bdm\s+(?:me|to\s+contribute)|\bsend\s+(?:it|them)\s+to\s+me\b"
    r"|\bput\s+the\s+[\w' ]{3,30}names\b|\bposting\s+every\b|\bwrite\s+down\s+the\b"
    r"|\bwho\s+(?:is\s+this|this\s+is|they\s+really\s+are)\b"
    r"|\b(?:everyone|everybody)\s+(?:in\s+\w+\s+|on\s+\w+\s+)?knows\s+who\b"
    r"|\b(?:employers?|neighbou?rs|boss|church|school)\s+(?:deserves?|needs?|should)\s+(?:to\s+)?know\b"
    rf"|\bhave\s+a\s+(?:talk|chat|word)\s+with\s+{_PRONOUN}\b"
    rf"|\bleave\s+{_PRONOUN}\s+some\b",
    _I,
)
VEILED: Final = re.compile(
    r"\byou\s+know\s+what\s+to\s+do\b(?!\s+on\b)|\bknows?\s+what\s+to\s+do\s+with\b"
    r"|\bhas\s+(?:a\s+(?:family|daughter|son|wife|husband)|kids|children)\b"
    r"|\b(?:kids|daughter|son|children)\s+(?:go|goes)\s+to\b|\b(?:shame|pity)\s+if\b"
    r"|\bremember\s+that\b|\bjust\s+saying\b|\bjust\s+putting\s+it\s+out\s+there\b"
    r"|\bthink\s+about\s+it\b|\bthink\s+(?:hard|twice)\s+before\b"
    r"|\bsleep\s+(?:easy|tight)\b|\bover\s+(?:her|his|their)\s+shoulders?"
    r"|\bsee\s+(?:her|him|them)\s+again\b|\bsay\s+hello\s+for\s+me\b"
    r"|\bwho'?s\s+coming\s+with\s+me"
    r"|\basking\s+for\s+a\s+(?:lot\s+of\s+)?friends?\b|\breturn\s+the\s+(?:favou?r|visit)\b"
    r"|\bgood\s+at\s+finding\s+people|['\"]thank['\"]\s+(?:him|her|them)|\bwants?\s+a\s+word\b"
    r"|\bsomeone\s+(?:out\s+there\s+)?knows\b|\bsomebody\s+knows\b"
    r"|\b(?:someone|somebody)\s+should\s+pay\s+(?:him|her|them|the|that|this)\b(?!\s+\w+\s+more)"
    r"|\bmemori[sz]e\s+(?:this|her|his)\b"
    r"|\bwe\s+know\s+(?:where\s+(?:she|he|they|you)|who|your|his|her|their)\b|\bknows?\s+what\s+(?:he|she|they)\s+did\b"
    r"|\bwhat\s+that\s+means\b|\bwhat\s+should\s+happen\s+to\b"
    r"|\bwe(?:'ll|\s+will|'re|\s+are)\s+(?:be\s+)?waiting\b|\beyes\s+on\b"
    r"|\bwalk\s+home\b|\b(?:wouldn'?t|shouldn'?t)\s+go\s+home\b|\bwatch\s+(?:your|his|her|their)\s+back\b"
    r"|\bremember\s+faces\b|\bwe\s+(?:have|got)\s+(?:your|his|her|their)\s+(?:photo|picture|name|address)"
    r"|\bthinks?\s+nobody\s+knows\b|\bpeople\s+have\s+(?:his|her|their)\s+address"
    r"|\bproper\s+welcome\b|\bavoid\s+it\s+from\s+now\s+on\b|\bwants?\s+them\s+safe\b"
    r"|\bnobody\s+needs\s+to\s+do\s+anything\b|\bwe'?d\s+love\s+to\s+(?:chat|talk|meet)\b"
    r"|\bwe'?ll\s+be\s+in\s+the\s+(?:lot|parking)"
    r"|\blives?\s+(?:only\s+|just\s+)?\w+\s+(?:minutes|blocks|streets|doors|miles)\s+from\s+(?:me|us|here)\b"
    r"|\bknow\s+where\s+(?:she|he|they)\s+(?:parks|lives|works|sleeps)\b",
    _I,
)
LOCATOR: Final = re.compile(
    r"\blives?\s+(?:on|at|in|near|two|a\s+few|down)\b|\bwhere\s+(?:she|he|they)\s+(?:lives?|works?|parks?)\b"
    r"|\b(?:home|house)\s+address(?:es)?\b|\baddress(?:es)?\s+(?:is|are|in|of|underneath|too|was)\b"
    r"|\b(?:his|her|their)\s+(?:home|house|car|truck|van|route|kids|family|employer|boss"
    r"|workplace|school|mom'?s\s+house|wife'?s|husband'?s|linkedin|facebook|instagram|address"
    r"|face|picture|photo|church|street|neighbou?rs|own\s+door|workplace)\b|\bparks\s+(?:his|her)\b"
    r"|\bworks\s+at\b|\bdrives\s+a\b|\bnice\s+(?:house|car)\b"
    r"|\bgoes\s+to\b|\bphone\s+and\s+address\b|\bpersonal\s+(?:cell|email|number)\b"
    r"|\bon\s+camera\b|\bpublic\s+instagram\b|\bparking\s+lot\b|\byour\s+street\b",
    _I,
)
NEGATION: Final = re.compile(r"\b(?:don'?t|do\s+not|never|stop|no\s+one\s+should)\s+$", _I)
# context that makes a mention reporting, thanks, service information or condemnation
BENIGN: Final = re.compile(
    r"\b(?:said|says|prosecutors?|charged|sentenced|investigat\w*|arrested|pleaded|barred"
    r"|announced|statement|survey|cleared|resigned|retiring|escorted|lawyer"
    r"|task\s+force|judgment|reported\s+the|records\s+request"
    r"|thank(?:s|ed)?\b(?!['\"])|thank-you|appreciate|shout\s?out|proud|legend|hero"
    r"|sign\s+up|training|report\s+(?:those|threats|it|the\s+posts)|needed|overtime|paid|pay\s+the"
    r"|harassment|harassing\s+poll\s+workers|private\s+for|chain[- ]of[- ]custody"
    r"|procedure|per\s+state\s+law|tips?\b|(?:office|department)\s+at\s+\d|website"
    r"|not\s+activism|disgusting|leave\s+the\s+[\w ]{0,20}alone|knock\s+it\s+off"
    r"|(?:doing|did)\s+(?:his|her|their)\s+job|:\s*stop\b|in\s+action)",
    _I,
)
INSTITUTIONAL_CONTACT: Final = re.compile(
    r"\b(?:office|department|tips?|fbi|hotline|campaign"
    r"|elections@|text|senator|governor|speaker|secretary)\b|\b(?:poll|election|vote|clerk|info)\w*@",
    _I,
)
