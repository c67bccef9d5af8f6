"""Word lists the quote rules rely on: reporting verbs, role titles, kinds of sources.

General French (and a little English) news vocabulary, not tuned to any article. Verbs are
matched by lemma *and* by surface form, because the small models' lemmatiser misses some
forms ("estime" tagged as a noun, "lui" lemmatised as "luire").
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lowercase without accents (used for every lexicon look-up; cached: called per token)."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")


# Reporting / communication / stance verbs (infinitives). Regular -er verbs get their forms
# generated; the irregular ones list the forms news prose uses.
_ER_VERBS = """
affirmer annoncer déclarer indiquer expliquer estimer ajouter souligner assurer préciser confier
dénoncer demander appeler rappeler juger qualifier confirmer menacer raconter rapporter
signaler noter insister fustiger accuser exiger réclamer déplorer regretter saluer
critiquer condamner évoquer raconter témoigner résumer commenter observer marteler
argumenter arguer plaider protester réagir répliquer rétorquer lancer tweeter twitter
révéler avouer nier contester démontrer détailler s'inquiéter inquiéter alerter annoncer
proclamer clamer crier hurler scander chanter murmurer confesser jurer garantir certifier
recommander conseiller exhorter implorer supplier inviter prier sommer ordonner
espérer souhaiter considérer penser préciser mentionner signaler relever pointer
reprocher blâmer remarquer constater informer communiquer publier tweeter poster
qualifier parler plaisanter ironiser s'interroger interroger questionner s'exclamer
renchérir enchaîner poursuivre continuer conclure développer raisonner défendre
""".split()

_IRREGULAR = {
    "dire": "dit dis disent disait disaient dira diront dirait diraient dite dites dire disant",
    "écrire": "écrit écrivent écrivait écrivaient écrira écrirait écrite écrits écrire écrivant",
    "reconnaître": "reconnaît reconnait reconnaissent reconnaissait reconnu reconnue reconnus reconnaître reconnaitre reconnaissant",
    "promettre": "promet promettent promettait promis promise promettre promettant",
    "admettre": "admet admettent admettait admis admise admettre admettant",
    "répondre": "répond répondent répondait répondu répondre répondant",
    "avertir": "avertit avertissent avertissait averti avertie avertir avertissant",
    "démentir": "dément démentent démentait démenti démentie démentir démentant",
    "soutenir": "soutient soutiennent soutenait soutenu soutenue soutenir soutenant",
    "maintenir": "maintient maintiennent maintenait maintenu maintenir",
    "prévenir": "prévient préviennent prévenait prévenu prévenir prévenant",
    "poursuivre": "poursuit poursuivent poursuivait poursuivi poursuivre poursuivant",
    "conclure": "conclut concluent concluait conclu conclure concluant",
    "se plaindre": "plaint plaignent plaignait plaindre plaignant",
    "décrire": "décrit décrivent décrivait décrite décrits décrire décrivant",
    "prédire": "prédit prédisent prédisait prédire prédisant",
    "contredire": "contredit contredisent contredisait contredire contredisant",
    "interdire": "",
    "croire": "croit croient croyait cru croire croyant",
    "redire": "redit",
    "réagir": "réagit réagissent réagissait réagi réagir réagissant",
    "établir": "",
    "convenir": "convient conviennent convenait convenu convenir",
    "s'engager": "engage engagent engageait engagé engagée",
}

SPEECH_LEMMAS: frozenset[str] = frozenset(
    fold(v.removeprefix("s'").removeprefix("se ")) for v in [*_ER_VERBS, *_IRREGULAR]
) - {"interdire", "etablir", "maintenir", "continuer", "developper", "poursuivre"}

# Verbs that only count as reporting in an incise (« … », poursuit-il) or with que/de.
INCISE_ONLY = frozenset(fold(v) for v in "poursuivre continuer enchaîner conclure développer lancer".split())

# Verbs whose object may be a short quoted fragment: qualifier X de « … », parler d'un « … ».
FRAGMENT_VERBS = frozenset(fold(v) for v in """
qualifier parler evoquer denoncer condamner decrire traiter crier scander juger fustiger
estimer affirmer declarer dire annoncer reclamer exiger promettre accuser reprocher saluer
critiquer lancer tweeter twitter ecrire rapporter repondre expliquer ajouter assurer souligner
deplorer regretter temoigner raconter chanter hurler promettre confirmer demander
""".split())

# Perception / cognition verbs that take "que" but are NOT reporting (never a quote cue).
NOT_SPEECH = frozenset(fold(v) for v in "voir savoir apprendre entendre sembler paraître constater".split())

# Nouns that introduce reported content ("selon les propos de X", "dans un communiqué").
SPEECH_NOUNS = frozenset(fold(v) for v in """
propos déclaration déclarations communiqué annonce tweet message interview entretien
""".split())


def _er_forms(inf: str) -> set[str]:
    stem = inf[:-2]
    forms = {inf}
    for end in ("e", "es", "ent", "é", "ée", "és", "ées", "ait", "aient", "ant", "era", "eront",
                "erait", "eraient", "a", "èrent", "ez"):
        forms.add(stem + end)
    if stem.endswith("g"):  # manger -> mangeant
        forms |= {stem + "eant", stem + "eait", stem + "eaient", stem + "ea"}
    if stem.endswith("c"):  # annoncer -> annonçait
        s2 = stem[:-1] + "ç"
        forms |= {s2 + "ant", s2 + "ait", s2 + "aient", s2 + "a"}
    if stem.endswith("y"):  # essayer / appuyer
        s2 = stem[:-1] + "i"
        forms |= {s2 + "e", s2 + "ent", s2 + "era"}
    if inf in ("appeler", "rappeler"):
        forms |= {stem + "le", stem + "lent", stem + "lera"}
    if inf in ("lancer",):
        forms |= {"lança"}
    return forms


def _build_forms() -> dict[str, str]:
    table: dict[str, str] = {}
    for v in _ER_VERBS:
        v = v.removeprefix("s'")
        for f in _er_forms(v):
            table.setdefault(fold(f), fold(v))
    for v, forms in _IRREGULAR.items():
        lemma = fold(v.removeprefix("s'").removeprefix("se "))
        for f in forms.split():
            table.setdefault(fold(f), lemma)
    for lemma in list(table.values()):
        table.setdefault(lemma, lemma)
    return table


SPEECH_FORMS: dict[str, str] = {k: v for k, v in _build_forms().items() if v in SPEECH_LEMMAS or v in INCISE_ONLY}


def speech_lemma(lower: str, lemma: str = "") -> str | None:
    """The reporting verb a token is a form of, or None."""
    f = fold(lower).lstrip("-")
    if f in SPEECH_FORMS:
        return SPEECH_FORMS[f]
    lf = fold(lemma)
    if lf in SPEECH_LEMMAS or lf in INCISE_ONLY:
        return lf
    return None


# Role / title nouns that describe a person ("le ministre", "le procureur de Paris").
ROLE_NOUNS = frozenset(fold(w) for w in """
président présidente ministre premier chef procureur procureure préfet préfète maire
directeur directrice dirigeant dirigeante porte-parole secrétaire gouverneur gouverneure
député députée sénateur sénatrice juge avocat avocate commissaire ambassadeur ambassadrice
roi reine prince princesse pape général colonel capitaine commandant patron patronne
fondateur fondatrice responsable candidat candidate conseiller conseillère délégué déléguée
entraîneur entraîneuse sélectionneur policier policière porte-parole vice-président
chancelier chancelière émir leader coordinateur coordinatrice administrateur
magistrat magistrate édile parlementaire
""".split())

# Equivalent phrasings of a role, mapped to one key for title-to-name linking.
ROLE_SYNONYMS = {
    "chef de l'etat": "president",
    "president de la republique": "president",
    "locataire de l'elysee": "president",
    "chef du gouvernement": "premier ministre",
    "premier ministre": "premier ministre",
    "garde des sceaux": "ministre",
    "chef de la diplomatie": "ministre",
}

# Generic titles that take up a more specific one: "le procureur X …" then "le magistrat".
ROLE_HYPERNYMS = {
    "magistrat": ("procureur", "juge"),
    "magistrate": ("procureur", "procureure", "juge"),
    "edile": ("maire",),
    "parlementaire": ("depute", "senateur"),
}

# Nouns whose referent speaks as an organisation (governments, institutions, media...).
ORG_NOUNS = frozenset(fold(w) for w in """
gouvernement gouvernements ministère ministères préfecture préfectures parquet police gendarmerie
armée armées autorités autorité mairie municipalité ville état états commission conseil
cour tribunal justice parlement assemblée sénat congrès présidence élysée kremlin
maison-blanche pentagone agence agences journal journaux quotidien quotidiens hebdomadaire
chaîne chaînes radio télévision médias média presse site organisation organisations
association associations ong syndicat syndicats parti partis entreprise entreprises société
groupe compagnie banque fédération ligue club hôpital université institut
ministere service services administration direction bureau office comité
fondation régime opposition coalition alliance union ambassade diplomatie douane douanes
""".split())

# Nouns for unnamed human sources ("une source militaire", "un témoin", "des habitants").
ANON_NOUNS = frozenset(fold(w) for w in """
source sources témoin témoins habitant habitants responsable responsables proche proches
expert experts analyste analystes observateur observateurs diplomate diplomates officiel
officiels enquêteur enquêteurs spécialiste spécialistes manifestant manifestants employé
employés salarié salariés riverain riverains passant passants voisin voisins médecin
médecins militant militants élu élus membre membres scientifique scientifiques chercheur
chercheurs proche entourage interlocuteur homme femme personne personnes gens familles
famille individu suspect suspects coupable victime victimes
""".split())

# Other nouns for people who may speak ("le champion", "l'auteur"), for incise subjects.
HUMAN_NOUNS = frozenset(fold(w) for w in """
champion championne joueur joueuse auteur autrice écrivain chanteur chanteuse acteur actrice
artiste journaliste présentateur présentatrice politologue sociologue économiste historien
historienne professeur professeure chef patron ministre élu pilote coureur coureuse athlète
entraîneur sportif sportive survivant survivante rescapé rescapée otage père mère fils fille
frère soeur sœur mari épouse veuve ami amie député avocat procureur juge maire policier
gendarme militaire soldat pompier infirmier infirmière chirurgien archéologue anthropologue
physicien biologiste astronome ingénieur fondateur président directeur porte-parole cinéaste
réalisateur réalisatrice
""".split())

# Surname-less honorifics stripped from names ("M. Dupont" -> "Dupont").
HONORIFICS = frozenset(fold(w) for w in "M. Mme Mlle Me Dr Pr Monsieur Madame Mademoiselle Maître".split())
FEMININE_HONORIFICS = frozenset(fold(w) for w in "Mme Mlle Madame Mademoiselle".split())
MASCULINE_HONORIFICS = frozenset(fold(w) for w in "M. Monsieur".split())

# Phrases where the outlet itself is the source.
OUTLET_PHRASES = (
    "selon nos informations", "d'apres nos informations", "selon nos sources",
    "a appris", "ont appris", "a-t-on appris", "a-t-on appris", "nous a confie", "nous a declare",
    "nous a indique", "a confie a notre", "a declare a notre", "contacte par nos soins",
    "contactee par nos soins", "contactes par nos soins", "interroge par nos soins",
    "interrogee par nos soins", "de notre correspondant", "notre redaction",
)

# English reporting verbs (for the no-model fallback and English pipelines).
EN_SPEECH = frozenset("""
said says told tells added adds stated declared declares announced announces
explained explains claimed argued argues insisted insists warned warns noted
asked asks replied replies wrote writes confirmed confirms denied denies admitted admits
estimated predicted predicts promised reported
""".split())  # not "states", "claims", "notes", "reports" …: as often plural nouns

# Reporting verbs used by the no-model fallback for other languages (best effort).
OTHER_SPEECH = frozenset(fold(w) for w in """
dijo afirmó declaró explicó añadió aseguró según sagte erklärte betonte sagt laut disse
affermato dichiarato spiegato ha detto secondo zei verklaarde volgens disse afirmou declarou segundo
""".split())
