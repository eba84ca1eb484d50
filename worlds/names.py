"""Name and employer pools for generated worlds.

Frequencies are approximate US figures (Census 2010 surnames per 100k people; SSA given-name
popularity across 1960-2000 births), rounded: enough to make "James Smith" common and
"Ottoline Vasquez" rare, which is what matching must cope with.
"""

from __future__ import annotations

import random as random_module

SURNAMES: tuple[tuple[str, int], ...] = (
    ("Smith", 828),
    ("Johnson", 655),
    ("Williams", 550),
    ("Brown", 488),
    ("Jones", 483),
    ("Garcia", 395),
    ("Miller", 391),
    ("Davis", 372),
    ("Rodriguez", 365),
    ("Martinez", 353),
    ("Hernandez", 344),
    ("Lopez", 299),
    ("Gonzalez", 284),
    ("Wilson", 270),
    ("Anderson", 267),
    ("Thomas", 258),
    ("Taylor", 254),
    ("Moore", 240),
    ("Jackson", 235),
    ("Martin", 233),
    ("Lee", 229),
    ("Perez", 225),
    ("Thompson", 224),
    ("White", 221),
    ("Harris", 203),
    ("Sanchez", 199),
    ("Clark", 187),
    ("Ramirez", 185),
    ("Lewis", 178),
    ("Robinson", 175),
    ("Walker", 173),
    ("Young", 164),
    ("Allen", 162),
    ("King", 160),
    ("Wright", 159),
    ("Scott", 149),
    ("Torres", 148),
    ("Nguyen", 146),
    ("Hill", 146),
    ("Flores", 145),
    ("Green", 143),
    ("Adams", 142),
    ("Nelson", 141),
    ("Baker", 139),
    ("Hall", 137),
    ("Rivera", 133),
    ("Campbell", 126),
    ("Mitchell", 125),
    ("Carter", 123),
    ("Roberts", 122),
    ("Chen", 90),
    ("Kim", 86),
    ("Patel", 80),
    ("Wang", 75),
    ("Singh", 70),
    ("Murphy", 105),
    ("O'Brien", 40),
    ("Müller", 12),
    ("Schmidt", 30),
    ("Kowalski", 12),
    ("Novak", 10),
    ("Fitzgerald", 25),
    ("Sullivan", 60),
    ("McDonald", 45),
    ("Nakamura", 8),
    ("Okafor", 5),
    ("Haddad", 6),
    ("Ivanova", 4),
    ("Dubois", 5),
    ("Rossi", 7),
    ("Larsen", 8),
    ("Bergström", 3),
    ("Zhang", 40),
    ("Liu", 38),
    ("Gupta", 25),
    ("Khan", 30),
    ("Ali", 28),
    ("Cohen", 35),
    ("Friedman", 15),
    ("Oyelaran", 2),
    ("Vasquez", 50),
    ("Castillo", 45),
    ("Ortiz", 60),
    ("Brennan", 20),
    ("Whitfield", 6),
    ("Ashworth", 3),
    ("Pemberton", 3),
    ("Thornbury", 1),
    ("Kessler", 9),
    ("Lindqvist", 2),
    ("Abernathy", 4),
    ("Quintero", 6),
    ("Sørensen", 3),
)

# (formal name, weight, nicknames people go by)
FIRST_NAMES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("James", 330, ("Jim", "Jimmy", "Jamie")),
    ("Robert", 310, ("Bob", "Rob", "Bobby")),
    ("John", 300, ("Jack", "Johnny")),
    ("Michael", 420, ("Mike", "Mikey")),
    ("William", 230, ("Bill", "Will", "Liam")),
    ("David", 280, ("Dave",)),
    ("Richard", 170, ("Rick", "Dick", "Rich")),
    ("Joseph", 160, ("Joe", "Joey")),
    ("Thomas", 150, ("Tom", "Tommy")),
    ("Christopher", 250, ("Chris",)),
    ("Daniel", 200, ("Dan", "Danny")),
    ("Matthew", 180, ("Matt",)),
    ("Anthony", 130, ("Tony",)),
    ("Steven", 120, ("Steve",)),
    ("Andrew", 120, ("Andy", "Drew")),
    ("Joshua", 110, ("Josh",)),
    ("Kenneth", 80, ("Ken", "Kenny")),
    ("Edward", 70, ("Ed", "Ted")),
    ("Benjamin", 70, ("Ben",)),
    ("Samuel", 50, ("Sam",)),
    ("Alexander", 60, ("Alex",)),
    ("Nicholas", 70, ("Nick",)),
    ("Jonathan", 80, ("Jon",)),
    ("Raj", 10, ()),
    ("Wei", 10, ()),
    ("Mohammed", 15, ()),
    ("Hiroshi", 3, ()),
    ("Chidi", 3, ()),
    ("Sebastián", 5, ()),
    ("Mary", 260, ()),
    ("Patricia", 150, ("Pat", "Patty", "Trish")),
    ("Jennifer", 280, ("Jen", "Jenny")),
    ("Linda", 120, ()),
    ("Elizabeth", 170, ("Liz", "Beth", "Betsy")),
    ("Barbara", 90, ("Barb",)),
    ("Susan", 110, ("Sue",)),
    ("Jessica", 200, ("Jess",)),
    ("Sarah", 180, ()),
    ("Karen", 100, ()),
    ("Nancy", 70, ()),
    ("Margaret", 80, ("Maggie", "Peggy")),
    ("Lisa", 130, ()),
    ("Emily", 120, ("Em",)),
    ("Michelle", 120, ("Shelly",)),
    ("Katherine", 100, ("Kate", "Katie", "Kathy")),
    ("Rebecca", 80, ("Becky", "Becca")),
    ("Stephanie", 100, ("Steph",)),
    ("Victoria", 50, ("Vicky", "Tori")),
    ("Christina", 70, ("Tina", "Chris")),
    ("Abigail", 40, ("Abby",)),
    ("Zoë", 8, ()),
    ("Priya", 10, ()),
    ("Mei", 8, ()),
    ("Fatima", 8, ()),
    ("Aisha", 6, ()),
    ("Ngozi", 2, ()),
    ("Ingrid", 4, ()),
    ("Ottoline", 1, ("Lina",)),
    ("Siobhán", 3, ()),
    ("Léa", 3, ()),
)

# (company as it is usually written, industry, ways other sources write it)
COMPANIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Pfizer", "pharma", ("Pfizer Inc.", "PFIZER, INC", "Pfizer Inc")),
    ("Merck & Co.", "pharma", ("Merck", "Merck and Co", "MERCK & CO., INC.")),
    ("Novartis", "pharma", ("Novartis AG", "Novartis Pharmaceuticals")),
    ("Amgen", "pharma", ("Amgen Inc.",)),
    ("Gilead Sciences", "pharma", ("Gilead", "Gilead Sciences, Inc.")),
    ("Moderna", "pharma", ("Moderna, Inc.", "ModernaTX")),
    ("Vertex Pharmaceuticals", "pharma", ("Vertex",)),
    ("Aldwych Therapeutics", "pharma", ("Aldwych Therapeutics Inc",)),
    ("Corvane Biosciences", "pharma", ("Corvane Bio",)),
    ("Goldman Sachs", "finance", ("Goldman Sachs & Co. LLC", "GS")),
    ("Morgan Stanley", "finance", ("Morgan Stanley & Co.",)),
    ("BlackRock", "finance", ("BlackRock, Inc.",)),
    ("Harbor Ridge Capital", "finance", ("Harbor Ridge Capital LLC",)),
    ("Microsoft", "software", ("Microsoft Corporation", "MSFT")),
    ("Google", "software", ("Google LLC", "Alphabet")),
    ("Tessellate Software", "software", ("Tessellate",)),
    ("McKinsey & Company", "consulting", ("McKinsey", "McKinsey and Company")),
    ("Deloitte", "consulting", ("Deloitte Consulting LLP",)),
    ("Mayo Clinic", "healthcare", ("Mayo Clinic Health System",)),
    ("Northfield General Hospital", "healthcare", ("Northfield General",)),
    ("Target", "retail", ("Target Corporation",)),
    ("City of Northfield", "government", ("Northfield City Government",)),
    ("Northfield Public Schools", "education", ("NPS",)),
)

TITLES: dict[str, tuple[str, ...]] = {
    "pharma": (
        "Clinical Research Associate",
        "Regulatory Affairs Manager",
        "Medical Science Liaison",
        "Senior Scientist",
        "Sales Representative",
        "Associate Director, Clinical Operations",
        "Biostatistician",
        "Drug Safety Specialist",
        "Vice President, R&D",
    ),
    "finance": (
        "Investment Banking Analyst",
        "Portfolio Manager",
        "Equity Research Associate",
        "Vice President",
        "Risk Analyst",
    ),
    "software": (
        "Software Engineer",
        "Senior Software Engineer",
        "Product Manager",
        "Data Scientist",
        "Engineering Manager",
    ),
    "consulting": ("Consultant", "Senior Consultant", "Engagement Manager", "Partner"),
    "healthcare": ("Registered Nurse", "Physician", "Hospital Administrator", "Pharmacist"),
    "retail": ("Store Manager", "Buyer", "Marketing Manager"),
    "government": ("Policy Analyst", "Program Manager"),
    "education": ("Teacher", "Assistant Principal"),
}

SCHOOLS = ("Northfield University", "Lakeshore College", "State University of Westbrook")
CITIES = (
    "Boston, MA",
    "Cambridge, MA",
    "New York, NY",
    "San Francisco, CA",
    "Chicago, IL",
    "Raleigh, NC",
    "San Diego, CA",
    "Minneapolis, MN",
)


# Real populations have a long tail: the 100 most common US surnames cover about a sixth of
# people, and most employers are small. Worlds draw the rest from invented names and employers,
# so a large world has as many same-name strangers as a real one, not one per hundred people.
SURNAME_TAIL_SHARE = 0.75
FIRST_NAME_TAIL_SHARE = 0.25
EMPLOYER_TAIL_SHARE = 0.6
PEOPLE_PER_TAIL_SURNAME = 3
PEOPLE_PER_TAIL_EMPLOYER = 40

_ONSETS = (
    "b",
    "br",
    "c",
    "ch",
    "d",
    "dr",
    "f",
    "g",
    "gr",
    "h",
    "j",
    "k",
    "l",
    "m",
    "n",
    "p",
    "pr",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "w",
    "z",
)
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou", "y")
_CODAS = ("", "n", "r", "s", "l", "m", "th", "ck", "nd", "rt", "x")
SURNAME_ENDINGS = ("", "son", "er", "ley", "ton", "man", "berg", "ski", "ez", "ini", "ova", "sen")
GIVEN_ENDINGS = ("", "a", "o", "en", "ie", "ia", "an", "el")
# Suffixes an employer of each industry is named with (the words scoring recognises).
EMPLOYER_SUFFIXES: dict[str, tuple[str, ...]] = {
    "pharma": ("Therapeutics", "Biosciences", "Pharmaceuticals", "Biologics"),
    "finance": ("Capital", "Partners Capital", "Securities", "Asset Management"),
    "software": ("Software", "Technologies", "Labs", "Data"),
    "consulting": ("Consulting", "Advisory", "Strategy Consultants"),
    "healthcare": ("Health", "Medical Center", "Hospital", "Clinic"),
    "retail": ("Stores", "Outfitters", "Market"),
    "government": ("County Government", "Department of Transportation"),
    "education": ("School District", "Academy"),
}


def invented_word(rng: random_module.Random, endings: tuple[str, ...]) -> str:
    """A pronounceable made-up word: two syllables and an ending, capitalised."""
    syllables = "".join(
        rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(2)
    )
    return (syllables + rng.choice(endings)).capitalize()


def invented_pool(rng: random_module.Random, size: int, endings: tuple[str, ...]) -> list[str]:
    """``size`` distinct invented words, in the order drawn (rank 1 first)."""
    pool: dict[str, None] = {}
    while len(pool) < size:
        pool[invented_word(rng, endings)] = None
    return list(pool)


def invented_employers(rng: random_module.Random, size: int) -> list[tuple[str, str]]:
    """``size`` invented (employer, industry) pairs, industries in proportion to the named ones."""
    industries = [industry for _, industry, _ in COMPANIES]
    names = invented_pool(rng, size, ("",))
    return [
        (f"{name} {rng.choice(EMPLOYER_SUFFIXES[industry])}", industry)
        for name, industry in zip(names, (rng.choice(industries) for _ in names), strict=True)
    ]
