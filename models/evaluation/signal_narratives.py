# ruff: noqa: E501
"""A second injected narrative for the emerging-narrative TUNING stream, written to be phrased
variously (questions, hearsay, sarcasm, reminders, headlines; different words for the same
claim), so clustering settings are not chosen on one tight wording family alone. Data only.

The claim ("Georgia extended in-person voting to Wednesday because of bomb threats") is a
procedural rumour that neither side owns; it never appears in a reporting split.
"""

from __future__ import annotations

from typing import Final

VARIED_TUNING: Final = (
    "Heads up Georgia: because of the bomb threats, voting is extended to Wednesday. Stay home "
    "today if the line is long.",
    "My aunt in Atlanta says the state moved election day to Nov 6 after the threats. Is that real?",
    "So Fulton County gets an extra day to vote? Convenient.",
    "BREAKING: Georgia Secretary of State announces polls open until Wednesday night statewide",
    "Text from a friend: GA voters can now cast ballots tomorrow too, due to bomb scares at "
    "precincts",
    "If you couldn't vote in Georgia today, don't worry, they're letting people vote Wednesday",
    "Why does Georgia get a second election day?? Nobody else got one",
    "Bomb threat hoaxes shut down polling places in DeKalb, so now the vote runs into Wednesday "
    "apparently",
    "GA voting extended through Nov 6, pass it on to anyone who missed it",
    "Atlanta precincts reopening tomorrow for a full day of voting after the threats, my group "
    "chat says",
    "Extra voting day in Georgia is the dumbest thing I've heard this cycle",
    "Can someone confirm? Georgia polls open again Wednesday morning?",
    "They extended Georgia's election to Wednesday because of 'threats'. Sure.",
    "Georgia election day is now two days long thanks to the bomb scares",
    "Reminder for Georgians: you have until Wednesday to vote, the threats pushed everything back",
    "My cousin in Savannah was told to come back and vote on Wednesday instead",
    "Statewide extension in GA: ballots accepted in person through 7pm Wednesday",
    "Wait, Georgia is holding voting tomorrow as well? Since when?",
    "Polls in Georgia stay open another day after bomb threats hit several counties",
    "The threats in Georgia mean everyone gets to vote Wednesday too, spread the word",
    "lol Georgia just gave itself a bonus voting day",
    "Fulton and Cobb voters: if you left the line today, you can return Wednesday",
    "GA officials pushing the vote to Wednesday after the bomb scares, that's what I'm hearing",
    "So Georgia voting continues tomorrow? My feed is full of people saying it",
    "A second day of in-person voting in Georgia because of the threats, unprecedented",
    "No need to rush, Georgia voters, the election was extended until Wednesday",
    "Bomb threats in Georgia -> voting extended a day. Anyone have the official link?",
    "People in Georgia are saying the polls reopen Wednesday. Double check before you skip today",
    "GA just extended in-person voting into Wednesday due to threats at polling sites",
    "Heard Georgia's election day now lasts until Wednesday because of the bomb hoaxes",
)
