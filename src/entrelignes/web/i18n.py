"""The interface in English and French: messages keyed by their English text, the reader's
language from a cookie (the switch) or Accept-Language, and dates in the configured time zone."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

LANGUAGES = ("en", "fr")
DEFAULT = "en"

_MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
}
_DAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
}

FR: dict[str, str] = {
    "Today": "Aujourd'hui",
    "Archive": "Archives",
    "Outlets": "Médias",
    "Desk": "Rédaction",
    "Log in": "Connexion",
    "Log out": "Déconnexion",
    "Search": "Rechercher",
    "Search articles and stories": "Rechercher dans les articles et les sujets",
    "Morning edition": "Édition du matin",
    "Evening edition": "Édition du soir",
    "morning": "matin",
    "evening": "soir",
    "No edition has been published yet.": "Aucune édition n'a encore été publiée.",
    "{articles} articles from {outlets} outlets, {stories} stories: the {shown} most important, and why they rank there.":
        "{articles} articles de {outlets} médias, {stories} sujets : les {shown} plus importants, et pourquoi ils sont à ce rang.",
    "update": "mise à jour",
    "Why here": "Pourquoi ici",
    "Covered by": "Couvert par",
    "First report": "Premier article",
    "Open the story": "Voir le sujet",
    "Get every edition on Telegram": "Recevez chaque édition sur Telegram",
    "join the channel": "rejoindre la chaîne",
    "Get editions by email": "Recevez les éditions par courriel",
    "Email address": "Adresse électronique",
    "Subscribe": "S'abonner",
    "Unsubscribe": "Se désabonner",
    "Check your inbox: a confirmation link is on its way.": "Vérifiez votre boîte : un lien de confirmation arrive.",
    "Your subscription is confirmed.": "Votre abonnement est confirmé.",
    "You are unsubscribed. No more emails will be sent.": "Vous êtes désabonné·e. Plus aucun courriel ne sera envoyé.",
    "This link is invalid or has expired.": "Ce lien est invalide ou a expiré.",
    "Email subscriptions are not available on this desk.": "Les abonnements par courriel ne sont pas disponibles ici.",
    "Atom feed": "Flux Atom",
    "Editions": "Éditions",
    "Results": "Résultats",
    "No result.": "Aucun résultat.",
    "Stories": "Sujets",
    "Articles": "Articles",
    "Story": "Sujet",
    "Coverage timeline": "Chronologie de la couverture",
    "Who published when": "Qui a publié quand",
    "Articles side by side": "Les articles côte à côte",
    "Quotes by speaker": "Citations par locuteur",
    "No quote found.": "Aucune citation relevée.",
    "unnamed source": "source anonyme",
    "Sourcing": "Sources citées",
    "named person": "personne nommée",
    "organisation": "organisation",
    "unnamed": "anonyme",
    "outlet": "le média",
    "no source": "sans source",
    "Words that set each outlet apart": "Les mots qui distinguent chaque média",
    "Show removed boilerplate": "Afficher le texte parasite retiré",
    "Hide removed boilerplate": "Masquer le texte parasite retiré",
    "Removed boilerplate": "Texte parasite retiré",
    "nothing removed": "rien de retiré",
    "Summary": "Résumé",
    "In the editions": "Dans les éditions",
    "Read at the outlet": "Lire sur le site du média",
    "Outlet": "Média",
    "articles": "articles",
    "Sourcing profile over time": "Profil des sources dans le temps",
    "Week": "Semaine",
    "Unnamed sources": "Sources anonymes",
    "Unsourced claims": "Affirmations sans source",
    "Named people": "Personnes nommées",
    "Health": "Santé",
    "Most quoted speakers": "Locuteurs les plus cités",
    "quotes": "citations",
    "Feed": "Flux",
    "Last success": "Dernier succès",
    "never": "jamais",
    "Failures in a row": "Échecs consécutifs",
    "Items seen": "Éléments vus",
    "Polls": "Relevés",
    "Status": "État",
    "Latest articles": "Derniers articles",
    "Page not found.": "Page introuvable.",
    "Too many attempts: wait a little and try again.": "Trop de tentatives : patientez un peu puis réessayez.",
    "The form expired: please try again.": "Le formulaire a expiré : réessayez.",
    "Username": "Identifiant",
    "Password": "Mot de passe",
    "Wrong username or password.": "Identifiant ou mot de passe incorrect.",
    "Sources": "Sources",
    "Add a source": "Ajouter une source",
    "Feed, sitemap or site address": "Adresse du flux, du plan de site ou du site",
    "Name": "Nom",
    "Language": "Langue",
    "Tags": "Étiquettes",
    "Add": "Ajouter",
    "Edit": "Modifier",
    "Save": "Enregistrer",
    "Disable": "Désactiver",
    "Enable": "Activer",
    "Remove": "Retirer",
    "enabled": "active",
    "disabled": "désactivée",
    "Import OPML": "Importer un OPML",
    "Export OPML": "Exporter en OPML",
    "Import": "Importer",
    "Several feeds were found: choose one.": "Plusieurs flux ont été trouvés : choisissez-en un.",
    "Next edition": "Prochaine édition",
    "No edition waiting.": "Aucune édition en attente.",
    "Pin": "Épingler",
    "Unpin": "Désépingler",
    "Drop": "Retirer",
    "Merge with": "Fusionner avec",
    "Merge": "Fusionner",
    "Split": "Scinder",
    "Approve": "Approuver",
    "Approved": "Approuvée",
    "pinned": "épinglé",
    "Deliveries": "Envois",
    "Failures": "Échecs",
    "No delivery yet.": "Aucun envoi pour l'instant.",
    "Channel": "Canal",
    "Recipient": "Destinataire",
    "Attempts": "Tentatives",
    "Error": "Erreur",
    "Edition": "Édition",
    "Updated": "Mis à jour",
    "Audit log": "Journal",
    "Done.": "C'est fait.",
    "Source added": "Source ajoutée",
    "Source saved": "Source enregistrée",
    "This address cannot be followed": "Cette adresse ne peut pas être suivie",
    "Sources imported": "Sources importées",
    "This action cannot be done": "Cette action est impossible",
    "OPML file too large": "Fichier OPML trop gros",
    "Editors only.": "Réservé à la rédaction.",
    "Language:": "Langue :",
    "Previous": "Précédent",
    "Next": "Suivant",
    "Between the lines of the news.": "Entre les lignes de l'actualité.",
    "Poll interval (seconds)": "Intervalle de relevé (secondes)",
    "Fetch each article's page": "Récupérer la page de chaque article",
    "CSS selector of the article body": "Sélecteur CSS du corps de l'article",
    "by": "par",
    "at": "à",
    "Back": "Retour",
    "Day": "Jour",
    "built": "préparée",
    "approved": "approuvée",
    "publishing": "en cours de publication",
    "published": "publiée",
    "Show": "Afficher",
    "All editions": "Toutes les éditions",
    "Confirm": "Confirmer",
}
MESSAGES = {"en": {}, "fr": FR}


def translate(lang: str, message: str, **values: Any) -> str:
    text = MESSAGES.get(lang, {}).get(message, message)
    return text.format(**values) if values else text


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's choice, else the best of Accept-Language, else English."""
    if cookie in LANGUAGES:
        return cookie
    best, best_q = DEFAULT, -1.0
    for part in (accept_language or "")[:500].split(","):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower()[:2]
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if code in LANGUAGES and q > best_q:
            best, best_q = code, q
    return best


def as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def format_time(value: Any, tz: tzinfo) -> str:
    moment = as_datetime(value)
    return moment.astimezone(tz).strftime("%H:%M") if moment else ""


def format_date(value: Any, lang: str, tz: tzinfo | None = None) -> str:
    moment = as_datetime(value)
    if moment is None:
        try:
            from datetime import date

            day = date.fromisoformat(str(value))
        except ValueError:
            return str(value or "")
    else:
        day = (moment.astimezone(tz) if tz else moment).date()
    month = _MONTHS.get(lang, _MONTHS["en"])[day.month - 1]
    weekday = _DAYS.get(lang, _DAYS["en"])[day.weekday()]
    if lang == "fr":
        return f"{weekday} {day.day} {month} {day.year}"
    return f"{weekday} {day.day} {month} {day.year}"


def format_datetime(value: Any, lang: str, tz: tzinfo) -> str:
    moment = as_datetime(value)
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    month = _MONTHS.get(lang, _MONTHS["en"])[local.month - 1]
    return f"{local.day} {month} {local.year}, {local:%H:%M}"
