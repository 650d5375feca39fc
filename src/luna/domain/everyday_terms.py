"""Everyday German for what the energy statutes call otherwise: synonym groups for both retrieval legs.

Customers ask about a "Balkonkraftwerk", a "Stromsperre" or the "Zählerableser"; the EEG, the StromGVV
and the MsbG say "Steckersolargerät", "Unterbrechung der Versorgung" and "Zutrittsrecht". The German
analyzer (:mod:`luna.domain.german_text`) gives every member of a group one concept term, so a question
in everyday words meets the paragraph in legal words. The first entry of a group is the statute's term
and names the concept; entries with spaces are phrases. Unlike the abbreviations, an everyday word
counts only as a whole word, never as a compound part: "Sperre" is a power cut, the EnWG's
"Veränderungssperre" is a planning freeze.

The dense leg gets them too: ``RetrievalService.meaning_query`` embeds a question with the statute's
term of each everyday word it uses in brackets, since the embedding model does not know them either.

Written from domain knowledge, with the misses of the tune split of the golden sets as reminders of
what customers say; measured on the held-out split and a blind set (``bench/everyday_synonyms.py``).
A group of "Zähler" with "Messeinrichtung" was dropped there: it lost on tune (every meter question
matched every meter paragraph).
"""

from __future__ import annotations

EVERYDAY_SYNONYMS: tuple[tuple[str, ...], ...] = (
    (
        "Steckersolargerät",
        "Balkonkraftwerk",
        "Balkonsolaranlage",
        "Balkon-PV",
        "Stecker-Solargerät",
        "Mini-PV",
    ),
    (
        "Versorgungsunterbrechung",
        "Unterbrechung der Versorgung",
        "Stromsperre",
        "Gassperre",
        "Sperre",
        "Versorgungssperre",
    ),
    ("Zutrittsrecht", "Zutritt", "Zählerableser", "Ableser", "Zählerablesung"),
    ("Befundprüfung", "Zählerprüfung", "Nachprüfung"),
    ("Energy Sharing", "gemeinsame Nutzung", "Energiegemeinschaft", "Energieteilen"),
    ("Kernkraft", "Atomstrom", "Atomkraft", "Kernenergie"),
    ("Stromkennzeichnung", "Strommix", "Energieträgermix"),
    ("Sozialleistung", "Bürgergeld", "Grundsicherung", "Sozialhilfe", "Wohngeld"),
    ("hydraulischer Abgleich", "abgleichen", "abgeglichen"),
    ("Raumzelle", "Container", "Containermodul", "Wohncontainer"),
    ("ausgeförderte Anlage", "Ü20-Anlage", "Ü20", "Post-EEG-Anlage"),
    ("Netzanschlussbegehren", "Anschlussbegehren", "Netzanmeldung", "Anmeldung beim Netzbetreiber"),
    ("Geldbuße", "Bußgeld", "Ordnungswidrigkeit", "Strafe"),
    ("Preisänderung", "Preiserhöhung", "Preisanpassung"),
    ("Anschlussnutzer", "Mieter", "Mieterin"),
    ("Anschlussnehmer", "Vermieter", "Hauseigentümer", "Grundstückseigentümer"),
    (
        "fachkundiger Dritter",
        "Elektriker",
        "Elektromeister",
        "Elektroinstallateur",
        "Installateur",
        "Elektrofachbetrieb",
    ),
    ("MaStR", "Marktstammdatenregister"),
    ("Eigenversorgung", "Eigenverbrauch", "Selbstverbrauch"),
    ("Heizkessel", "Ölheizung", "Gasheizung", "Ölkessel", "Gaskessel", "Gastherme"),
    ("Wärmenetz", "Fernwärme", "Nahwärme", "Fernwärmenetz"),
    ("Preisobergrenze", "Höchstpreis", "Kostenobergrenze"),
    ("Energieliefervertrag", "Stromvertrag", "Stromliefervertrag", "Gasvertrag", "Liefervertrag"),
    ("Lieferant", "Stromanbieter", "Stromlieferant", "Stromversorger", "Gasanbieter", "Energielieferant"),
    ("Lieferantenwechsel", "Anbieterwechsel", "Stromanbieterwechsel", "Versorgerwechsel"),
    ("Haushaltskunde", "Privatkunde", "Privathaushalt"),
    ("BAFA", "Bundesamt für Wirtschaft und Ausfuhrkontrolle"),
    ("Solarthermie", "solarthermische Anlage"),
    ("Biomasseheizung", "Pelletheizung", "Pelletofen", "Holzheizung", "Holzpelletheizung"),
    ("Heizungsgesetz", "Gebäudeenergiegesetz"),
    ("moderne Messeinrichtung", "digitaler Zähler", "digitaler Stromzähler"),
    ("netzorientierte Steuerung", "Drosselung", "drosseln", "Leistungsbegrenzung", "dimmen"),
    ("Sicherheitsleistung", "Kaution"),
    ("Schallschutz", "wie laut", "Lautstärke", "Lärm", "Geräusch", "Geräusche", "Schallpegel"),
)
