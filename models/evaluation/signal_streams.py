# ruff: noqa: E501
"""Text material for the generated signal evaluation streams (`models.evaluation.signal_sets`):
chatter templates, copy-paste campaigns with their hand-written paraphrases, shared headlines,
and the injected narratives. Data only; the two splits use disjoint campaigns and narratives.

Neutrality: campaigns and injected narratives come from both sides (one each way per split), and
chatter templates cover logistics, both camps' ordinary opinions and everyday life.
"""

from __future__ import annotations

from typing import Final

CHATTER_TEMPLATES: Final = (
    "Line at {place} is about {n} minutes right now, bring water",
    "Just voted at {place}! Got my sticker {emoji}",
    "Anyone know if {place} is still open for early voting on {day}?",
    "Poll workers at {place} were so kind to my {relative} today",
    "Dropped my ballot in the box at {place}, tracked it online already",
    "Weather in {city} is {weather} today, perfect for {activity}",
    "{team} looked {judgement} last night, that {play} in the fourth was unreal",
    "Making {food} tonight, any tips for a first-timer?",
    "My {pet} just knocked a {object} off the table again {emoji}",
    "Traffic on {road} is a nightmare this morning, avoid if you can",
    "Finished {show} season {n}, no spoilers but wow",
    "Coffee at {cafe} in {city} is underrated, fight me",
    "{candidate} rally in {city} drew a big crowd tonight, lots of {colour} hats",
    "Honestly {candidate}'s answer on {issue} was {judgement} in that interview",
    "Watching the {network} election coverage, the {feature} map is kind of hypnotic",
    "Reminder: {state} counts mail ballots after election day, results take time",
    "Volunteering at the {party} phone bank again on {day}, come join",
    "Yard signs for {candidate} everywhere on my street in {city}",
    "My {relative} is voting for the first time this year, proud of them",
    "Podcast rec: this week's episode on {issue} was actually balanced",
    "Gas in {city} is ${price} today, up again",
    "Gym at 6am, {n} km run done, now {food}",
    "Can't believe {team} traded their best {position}, front office is lost",
    "New {gadget} update drained my battery in {n} hours",
    "Kids' school in {city} closed {day} for the election, need a sitter",
    "The debate about {issue} in my family group chat is getting intense",
    "Local news says turnout in {city} is {judgement} so far",
    "Heard {candidate} is stopping in {city} on {day}, anyone going?",
    "Every ad on {network} is a political ad now, I'm muting the TV until {day}",
    "{state} ballot measure on {issue} is confusing, read the full text first",
)
SLOTS: Final[dict[str, tuple[str, ...]]] = {
    "place": (
        "the library",
        "Lincoln Elementary",
        "the rec center",
        "City Hall",
        "St. Mary's",
        "the fire station",
        "the community college",
        "the VFW hall",
        "the county annex",
    ),
    "n": ("5", "10", "15", "20", "30", "45", "2", "3", "4"),
    "emoji": ("🇺🇸", "🗳️", "😂", "🙌", "😅", ""),
    "day": ("Saturday", "Sunday", "Monday", "Friday", "Tuesday"),
    "relative": ("grandma", "dad", "mom", "uncle", "sister", "neighbour"),
    "city": (
        "Phoenix",
        "Atlanta",
        "Milwaukee",
        "Pittsburgh",
        "Reno",
        "Detroit",
        "Raleigh",
        "Tucson",
        "Madison",
        "Savannah",
        "Erie",
        "Las Vegas",
    ),
    "weather": ("sunny", "rainy", "freezing", "windy", "weirdly warm", "foggy"),
    "activity": ("a long walk", "yard work", "a bike ride", "soccer practice", "a picnic"),
    "team": ("The Bucks", "The Eagles", "The Lions", "The Suns", "The Braves", "The Steelers"),
    "judgement": ("solid", "terrible", "better than expected", "shaky", "impressive", "low"),
    "play": ("block", "catch", "three-pointer", "interception", "double play"),
    "food": ("chili", "lasagna", "sourdough", "tacos", "pho", "banana bread", "oatmeal"),
    "pet": ("cat", "dog", "parrot", "kitten"),
    "object": ("glass", "plant", "remote", "mug", "pen"),
    "road": ("I-10", "I-75", "the beltway", "Route 9", "the bridge", "I-94"),
    "show": ("The Bear", "Severance", "Shogun", "The Office rewatch", "Andor"),
    "cafe": ("the corner cafe", "Blue Door", "Rise & Grind", "the bakery on Main"),
    "candidate": ("Trump", "Harris", "Vance", "Walz", "the governor", "our senator"),
    "colour": ("red", "blue", "camo", "white"),
    "issue": ("the economy", "immigration", "abortion", "housing", "tariffs", "energy prices"),
    "network": ("CNN", "Fox", "NBC", "ABC", "PBS"),
    "feature": ("county", "swing-state", "magic wall", "needle"),
    "state": ("Arizona", "Pennsylvania", "Nevada", "Michigan", "Wisconsin", "Georgia"),
    "party": ("Democratic", "Republican", "local"),
    "price": ("3.19", "3.49", "3.89", "4.05"),
    "position": ("pitcher", "point guard", "quarterback", "striker"),
    "gadget": ("phone", "watch", "laptop", "router"),
}
# copy-paste campaigns: a base message and hand-written paraphrases (the generator also adds
# hashtags, openers, links, mentions and small word swaps). Split by name.
CAMPAIGNS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "tuning": (
        (
            "BREAKING: Philadelphia poll workers caught refusing Republican observers at the count. "
            "Share before they delete it!",
            "Philadelphia poll workers were caught refusing Republican observers at the count. "
            "Share this before they delete it",
            "BREAKING - Philly poll workers caught turning away Republican observers at the count. "
            "Share before it's deleted!",
        ),
        (
            "Musk's America PAC is paying people to register voters in swing states. That is "
            "buying votes, plain and simple. Report it to the FEC now.",
            "Musk's America PAC pays people to register voters in the swing states. That's buying "
            "votes, plain and simple. Report it to the FEC today.",
            "America PAC (Musk) is paying people to register voters in swing states - that is "
            "buying votes plain and simple. Report it to the FEC now!",
        ),
        (
            "I have been a lifelong Democrat but this year I am voting Trump because the economy "
            "matters more than anything. #WalkAway",
            "I've been a lifelong Democrat but this year I'm voting Trump because the economy "
            "matters more than anything #WalkAway",
            "Lifelong Democrat here, but this year I am voting Trump because the economy matters "
            "more than anything. #WalkAway",
        ),
        (
            "As a lifelong Republican and veteran I cannot support Trump this time. Country over "
            "party. I am voting Harris.",
            "As a lifelong Republican and a veteran I can't support Trump this time. Country over "
            "party, I'm voting Harris.",
            "Lifelong Republican and veteran: I cannot support Trump this time. Country over party. "
            "Voting Harris.",
        ),
        (
            "Mail ballots in Bucks County were rejected without notice. Call the election office "
            "and demand every ballot be cured!",
            "Mail ballots in Bucks County were rejected with no notice. Call the elections office "
            "and demand every ballot gets cured!",
        ),
        (
            "The X Space crash was no accident. Someone did not want millions to hear Trump "
            "unfiltered. Ask yourself who benefits.",
            "That X Space crash was no accident. Someone didn't want millions to hear Trump "
            "unfiltered. Ask yourself who benefits!",
        ),
    ),
    "reporting": (
        (
            "ALERT: voting machines in Maricopa are down again and voters are being told to come "
            "back later. Do NOT leave the line!",
            "Alert - voting machines in Maricopa are down again and voters are told to come back "
            "later. Do not leave the line!",
            "ALERT: Maricopa voting machines down again, voters being told to come back later. "
            "Do NOT leave the line.",
        ),
        (
            "Republicans are purging voter rolls in Georgia weeks before the election. Check your "
            "registration today before it is too late.",
            "Republicans are purging the voter rolls in Georgia weeks before the election. Check "
            "your registration today before it's too late!",
            "GOP purging Georgia voter rolls weeks before the election. Check your registration "
            "today before it is too late.",
        ),
        (
            "I'm a nurse and a mom and I am voting Trump because I can't afford groceries anymore. "
            "Enough is enough.",
            "I am a nurse and a mom and I'm voting Trump because I cannot afford groceries anymore. "
            "Enough is enough!",
            "Nurse and mom here: voting Trump because I can't afford groceries anymore. Enough is "
            "enough.",
        ),
        (
            "Teachers like me are voting Harris because our kids deserve safe schools and real "
            "funding. Join us.",
            "Teachers like me are voting for Harris because our kids deserve safe schools and real "
            "funding. Join us!",
        ),
        (
            "Non-citizens were spotted registering at the DMV in Pennsylvania. Demand an audit of "
            "every new registration now!",
            "Noncitizens were spotted registering at a Pennsylvania DMV. Demand an audit of every "
            "new registration now.",
            "Non-citizens spotted registering at the DMV in Pennsylvania - demand an audit of every "
            "new registration NOW",
        ),
        (
            "Starlink at polling places is a national security risk. Tell your county to unplug "
            "it before election day.",
            "Starlink at the polling places is a national security risk. Tell your county to unplug "
            "it before election day!",
        ),
    ),
}
SHARED_HEADLINES: Final[dict[str, tuple[str, ...]]] = {
    "tuning": (
        "AP: Pennsylvania certifies its 2024 presidential election results",
        "Judge orders Georgia counties to certify results by the deadline",
        "Record early voting turnout reported across North Carolina",
    ),
    "reporting": (
        "Arizona finishes counting ballots twelve days after the election",
        "Wisconsin Supreme Court declines to hear election challenge",
        "Michigan turnout reaches its highest level since 1960",
    ),
}
COMMENTS: Final = (
    "finally, now can we all move on and talk about literally anything else",
    "this is what happens when you actually follow the law, good",
    "still think there are questions nobody has answered about this one",
    "my whole feed is going to be arguing about this for a week isn't it",
    "interesting timing, read the whole article before you react",
    "called it months ago and nobody believed me",
    "the comments on this are going to be a disaster",
)
REPOSTED: Final[dict[str, tuple[str, ...]]] = {
    "tuning": (
        "Polls are open until 8pm. If you are in line by 8, you can vote. Stay in line!",
        "The official results page for our county is the only source we trust tonight.",
        "Remember to check your mail ballot status online before Friday.",
    ),
    "reporting": (
        "Don't believe every viral video on election night. Wait for official counts.",
        "If your ballot was rejected for a signature mismatch you can still cure it.",
        "Election day is a holiday in our house. Vote, then pancakes.",
    ),
}
INJECTED: Final[dict[str, tuple[str, ...]]] = {
    # tuning: a right-coded claim; reporting: a left-coded claim
    "tuning": (
        "The USPS sorting plant in Philly is sitting on thousands of Trump mail ballots",
        "Workers at the Philadelphia postal facility say bins of ballots from red precincts "
        "are being held back",
        "Why are Trump ballots stuck at the Philadelphia USPS hub while Harris ones fly through?",
        "My cousin works at the Philly mail processing center: ballots from rural zip codes sit "
        "in a back room",
        "Philadelphia post office is holding Republican mail-in ballots until after the deadline",
        "USPS in Philadelphia delaying mail ballots from Trump areas, this is how they steal it",
        "Thousands of mail ballots from conservative towns are sitting in the Philly USPS plant",
        "The Philly postal plant is slow-walking GOP ballots so they arrive too late to count",
        "Heard the Philadelphia USPS facility has pallets of Trump ballots nobody is processing",
        "Postal workers in Philadelphia told to set aside ballots from red zip codes?",
        "Mail ballots from Trump counties are piling up at the Philadelphia sorting center",
        "If your ballot went through the Philly USPS hub it might never get counted",
        "USPS Philadelphia is sitting on Republican ballots. Ask why nobody is talking about it",
        "Pallets of undelivered mail ballots at the Philadelphia plant, all from red areas",
        "The Philadelphia mail center is holding back Trump voters' ballots, pass it on",
        "Republican mail ballots delayed at the Philly postal facility on purpose",
        "A USPS whistleblower in Philadelphia says GOP ballots are being held in a cage",
        "Why would the Philadelphia postal hub hold ballots from conservative precincts?",
        "Philly USPS plant hiding mail ballots from Trump-voting suburbs",
        "Ballots from Bucks County Republicans are stuck at the Philadelphia mail plant",
        "Postal service in Philly quietly delaying red-county mail ballots",
        "Thousands of GOP ballots held at the Philadelphia sorting facility, I'm hearing",
        "The Philadelphia USPS center is where Trump mail ballots go to die",
        "They're holding Republican absentee ballots at the Philly post office until it's too late",
        "Mail-in ballots from Trump towns sitting unsorted in Philadelphia USPS plant",
        "Philadelphia mail processing facility is slow-walking ballots from red zip codes",
        "USPS workers in Philly are sitting on conservative mail ballots, ask your rep why",
        "Ballots from pro-Trump areas delayed at the Philadelphia postal plant again",
        "Philly post office hub holding thousands of Republican mail ballots",
        "Red-precinct mail ballots are stuck at the Philadelphia USPS facility",
    ),
    "reporting": (
        "X is throttling Harris posts in swing states today, my reach dropped to zero",
        "Musk's X is secretly suppressing pro-Harris accounts on election day",
        "Anyone else notice X hiding Harris campaign posts from people in Pennsylvania?",
        "The X algorithm buried every Harris post in my swing-state feed today",
        "X shadowbanning Democrats in Michigan and Wisconsin on election day, screenshots inside",
        "My Harris posts get 0 views on X today but Trump posts go viral. Not an accident",
        "Elon is throttling Harris content on X in the swing states, this is election interference",
        "X quietly downranked the Harris campaign account in Arizona and Georgia today",
        "Pro-Harris tweets are being suppressed on X across the battleground states",
        "Why can't anyone in Pennsylvania see Harris posts on X today? Musk is rigging the feed",
        "X hid get-out-the-vote posts from Democrats in swing states, reach fell 90%",
        "Musk turned down the reach of Harris supporters on X on election day",
        "Harris campaign posts not showing up for anyone in Nevada on X, suppression",
        "Election day suppression on X: Harris posts throttled in every swing state",
        "My Democratic voting reminders on X got zero impressions today, Musk is throttling us",
        "X is limiting the visibility of Harris accounts in swing states right now",
        "Swing-state users say X stopped showing them any Harris posts today",
        "The X For You feed is hiding Harris in battleground states, check yours",
        "Musk's X algorithm is suppressing Harris voters' posts in Wisconsin today",
        "Harris content throttled on X in Michigan, reach down to nothing since morning",
        "X is shadowbanning the Harris campaign in the swing states on election day",
        "Democratic posts on X are being suppressed in battleground states, spread the word",
        "X reach for pro-Harris accounts collapsed in swing states today. Coincidence?",
        "Musk is using X to hide Harris posts from swing-state voters today",
        "Pro-Harris posts on X invisible in Pennsylvania and Georgia feeds today",
        "Harris GOTV posts throttled on X across swing states, this is Musk's doing",
        "X downranking Harris supporters in battleground states on election day",
        "Nobody in Arizona is seeing Harris posts on X today, the algorithm is rigged",
        "Election day: X throttling Democratic accounts in the swing states",
        "Musk's X suppressing Harris campaign reach in swing states, screenshots prove it",
    ),
}
