"""Small fictional articles in English and French for the story-stage tests.

Every outlet, place and person here is invented.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from entrelignes.stories import StoryInput

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime(2026, 3, 12, tzinfo=PARIS)


def at(hour: int, minute: int = 0, day: datetime = DAY) -> datetime:
    return day.replace(hour=hour, minute=minute)


WIRE = (
    "The saffron harvest in the Castellane valley reached a record of forty tonnes this season, "
    "the regional growers cooperative announced on Thursday. Growers credited a mild autumn and "
    "new irrigation channels dug along the river terraces last spring. The cooperative said prices "
    "at the Castellane market fell by a fifth as buyers from abroad arrived early, and that "
    "several families who had abandoned their plots returned to the valley to pick the crocus "
    "flowers by hand at dawn. Exports to neighbouring countries are expected to double."
)


def wire_copies() -> list[StoryInput]:
    """One agency dispatch and four lightly edited reprints by four other outlets."""
    original = StoryInput("w1", "Record saffron harvest in Castellane valley", WIRE, at(6, 12), "Agence Presse Libre", "en")
    edits = [
        ("w2", "Castellane valley celebrates record saffron harvest", WIRE.replace("on Thursday", "on Thursday morning"), "The Northern Ledger"),
        ("w3", "Saffron: record harvest in Castellane", WIRE.replace("Exports to neighbouring countries are expected to double.", "Exports are expected to double, officials said."), "Harbour Times"),
        ("w4", "Record saffron crop for Castellane growers", WIRE.replace("a fifth", "twenty percent"), "Valley Gazette"),
        ("w5", "Castellane saffron harvest hits record", "CASTELLANE (APL) - " + WIRE, "Morning Signal"),
    ]
    copies = [StoryInput(i, t, x, at(7 + k, 5), o, "en") for k, (i, t, x, o) in enumerate(edits)]
    return [original, *copies]


def english_bridge() -> list[StoryInput]:
    """One event (a bridge collapse) written independently by three outlets."""
    return [
        StoryInput("b1", "Harbour bridge collapses in Port Verity, two injured",
                   "Part of the old harbour bridge in Port Verity collapsed into the estuary early on Thursday, "
                   "injuring two fishermen. Engineers had warned last year that the steel girders of the bridge "
                   "were corroded. Mayor Alina Dusk closed the harbour to traffic and ordered an inspection.",
                   at(8, 40), "The Northern Ledger", "en"),
        StoryInput("b2", "Port Verity bridge collapse: engineers' warnings ignored",
                   "The collapse of the Port Verity harbour bridge on Thursday followed repeated warnings from "
                   "engineers about corroded girders, documents show. Two fishermen were hurt when a span fell "
                   "into the estuary. Mayor Alina Dusk said an inspection of every bridge in the city would begin.",
                   at(10, 15), "Harbour Times", "en"),
        StoryInput("b3", "Estuary span of Port Verity bridge gives way",
                   "A span of the harbour bridge gave way in Port Verity, sending debris into the estuary and "
                   "injuring two fishermen. The mayor, Alina Dusk, ordered the harbour closed. Residents said the "
                   "corroded girders of the bridge had worried engineers for years.",
                   at(12, 30), "Morning Signal", "en"),
    ]


def english_rates() -> list[StoryInput]:
    return [
        StoryInput("r1", "Central bank of Norland raises interest rates",
                   "The central bank of Norland raised its main interest rate by half a point to curb inflation, "
                   "governor Petra Lund said. Mortgage lenders expect repayments to climb. The krona rose against "
                   "the euro after the decision.",
                   at(9, 0), "Valley Gazette", "en"),
        StoryInput("r2", "Norland rate rise to fight inflation",
                   "Norland's central bank lifted interest rates by half a point, its governor Petra Lund announced, "
                   "saying inflation must be brought down. Households with mortgages face higher repayments, and the "
                   "krona gained against the euro.",
                   at(11, 20), "The Northern Ledger", "en"),
    ]


def french_fire() -> list[StoryInput]:
    return [
        StoryInput("f1", "Incendie à l'usine chimique de Valbrune",
                   "Un incendie s'est déclaré jeudi matin dans l'usine chimique de Valbrune, au bord de la Sarre. "
                   "Les pompiers ont mobilisé quarante véhicules et la préfecture a demandé aux riverains de rester "
                   "confinés. Aucune victime n'est à déplorer selon le préfet Marc Olivane.",
                   at(6, 50), "Le Courrier du Matin", "fr"),
        StoryInput("f2", "Valbrune : les riverains confinés après l'incendie de l'usine",
                   "Les habitants de Valbrune restent confinés après l'incendie de l'usine chimique, a indiqué le "
                   "préfet Marc Olivane. Quarante véhicules de pompiers luttent contre les flammes. Un nuage de fumée "
                   "noire est visible depuis la vallée de la Sarre.",
                   at(9, 30), "La Gazette de l'Est", "fr"),
        StoryInput("f3", "Usine chimique en feu à Valbrune, la préfecture rassure",
                   "La préfecture assure que la fumée de l'incendie de l'usine chimique de Valbrune n'est pas toxique. "
                   "Le préfet Marc Olivane maintient le confinement des riverains par précaution, pendant que les "
                   "pompiers poursuivent leur intervention.",
                   at(13, 5), "Radio Fleuve", "fr"),
    ]


def french_zamar() -> list[StoryInput]:
    """The same attack told by two outlets: one says terroristes, the other rebelles."""
    return [
        StoryInput("z1", "Attaque meurtrière dans le nord du Zamar",
                   "Des terroristes ont attaqué mardi un poste militaire dans le nord du Zamar, tuant six soldats. "
                   "Les terroristes ont ensuite pris la fuite vers la frontière. Le gouvernement dénonce une attaque "
                   "terroriste et promet de traquer les terroristes.",
                   at(7, 0), "Le Courrier du Matin", "fr"),
        StoryInput("z2", "Zamar : un poste militaire attaqué dans le nord",
                   "Des rebelles ont attaqué mardi un poste militaire dans le nord du Zamar, tuant six soldats. "
                   "Les rebelles se sont ensuite repliés vers la frontière. Les rebelles réclament depuis des années "
                   "l'autonomie de la région.",
                   at(8, 15), "La Gazette de l'Est", "fr"),
    ]


def lighthouse() -> list[StoryInput]:
    """Two morning reports of a (fictional) lighthouse fire."""
    return [
        StoryInput("l1", "Fire guts Cap Ferrand lighthouse, beacon goes dark",
                   "A fire broke out overnight in the keeper's house of the Cap Ferrand lighthouse and gutted the "
                   "lantern room. Coastguards said the beacon, which guides fishing boats into the bay of Ferrand, "
                   "went dark for the first time in a century. Nobody was hurt. Investigators are looking into the "
                   "cause of the blaze.", at(7, 30), "Harbour Times", "en"),
        StoryInput("l2", "Cap Ferrand beacon dark after lighthouse fire",
                   "The beacon of the Cap Ferrand lighthouse went dark after a fire gutted its lantern room overnight. "
                   "Coastguards told fishing crews in the bay of Ferrand to stay in port until a temporary light is "
                   "installed. Investigators are looking into the cause of the blaze in the keeper's house.",
                   at(8, 10), "The Northern Ledger", "en"),
    ]


def follow_up(days: float) -> StoryInput:
    """A report of the same fire `days` after the morning (06:00), by a third outlet."""
    return StoryInput("l3", "Temporary beacon lights up fire-hit Cap Ferrand lighthouse",
                      "Coastguards installed a temporary beacon on the Cap Ferrand lighthouse, after a fire gutted "
                      "its lantern room. Fishing boats returned to the bay of Ferrand. Investigators said the blaze "
                      "started in the keeper's house, where old wiring had been reported.",
                      at(6, day=DAY + timedelta(days=days)), "Valley Gazette", "en")


def all_articles() -> list[StoryInput]:
    return wire_copies() + english_bridge() + english_rates() + french_fire() + french_zamar()


def gold() -> dict[str, str]:
    """Article id -> fixture story name."""
    out = {}
    for name, group in [("wire", wire_copies()), ("bridge", english_bridge()), ("rates", english_rates()),
                        ("fire", french_fire()), ("zamar", french_zamar())]:
        for a in group:
            out[a.id] = name
    return out


def shifted(articles: list[StoryInput], delta: timedelta, suffix: str) -> list[StoryInput]:
    return [StoryInput(a.id + suffix, a.title, a.text, a.published + delta, a.source, a.language, a.entities) for a in articles]


UTC = timezone.utc


def storm_threads() -> list[StoryInput]:
    """A storm report naming two places, then two threads that grow apart: the floods in one
    place, the power cuts in the other. Each report of a thread names only its own place."""
    overview = StoryInput(
        "c1", "Storm Ilda floods Marnay valley and cuts power in Besset",
        "Storm Ilda swept across the region overnight. In the Marnay valley the river burst its banks and "
        "flooded homes, while in Besset fallen trees brought down power lines and cut electricity to "
        "thousands of households.", at(6), "Valley Gazette", "en")
    floods = [
        ("p1", "Marnay river floods homes after storm",
         "The Marnay river burst its banks after the storm and flooded homes in the valley. Firefighters "
         "evacuated residents by boat and volunteers filled sandbags along the river.", "Harbour Times"),
        ("p2", "Evacuations in flooded Marnay valley",
         "Residents of the Marnay valley were evacuated by boat as the river rose through the night. "
         "Volunteers stacked sandbags and firefighters pumped water from flooded cellars.", "The Northern Ledger"),
        ("p3", "Marnay flood: river still rising",
         "The river in the Marnay valley kept rising on Thursday. More homes flooded, firefighters evacuated "
         "families by boat and the sandbags gave way in the lower town.", "Morning Signal"),
        ("p4", "Marnay valley counts flood damage",
         "Families evacuated from flooded homes in the Marnay valley returned to mud-filled cellars as the "
         "river fell. Firefighters and volunteers removed sandbags.", "Valley Gazette"),
    ]
    power = [
        ("q1", "Thousands without power in Besset after storm",
         "Fallen trees brought down power lines across Besset during the storm, cutting electricity to "
         "thousands of households. Grid engineers worked through the night to restore supply.", "Morning Signal"),
        ("q2", "Besset power cuts: grid engineers at work",
         "Grid engineers in Besset repaired power lines brought down by fallen trees. The electricity "
         "operator said thousands of households remained without supply.", "Harbour Times"),
        ("q3", "Electricity slowly returns in Besset",
         "The electricity operator restored supply to half of the Besset households cut off when power lines "
         "fell. Engineers cleared fallen trees from the lines.", "The Northern Ledger"),
        ("q4", "Besset households wait for power",
         "Households in Besset spent a second night without electricity. The grid operator said engineers had "
         "replaced most fallen power lines.", "Valley Gazette"),
    ]
    out = [overview]
    for k, (flood, cut) in enumerate(zip(floods, power)):  # the threads alternate, an hour apart
        out.append(StoryInput(flood[0], flood[1], flood[2], at(7 + 2 * k), flood[3], "en"))
        out.append(StoryInput(cut[0], cut[1], cut[2], at(8 + 2 * k), cut[3], "en"))
    return out
