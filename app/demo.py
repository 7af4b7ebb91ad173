"""Demo data: the projects and events of the seed pages, plus upcoming events.

Everything is looked up by slug or e-mail first, so loading twice creates nothing twice.
`load()` is the body of `flask demo load`: it yields lines to print and commits once.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.auth.models import Role, User
from app.db import utcnow
from app.events.models import (
    Event,
    EventFormat,
    EventKind,
    EventStatus,
    Material,
    MaterialKind,
    Project,
    ProjectStatus,
    RegistrationMode,
    Session,
    SessionKind,
    Speaker,
    Venue,
    Visibility,
)
from app.extensions import db

ROME = ZoneInfo("Europe/Rome")
BRUSSELS = ZoneInfo("Europe/Brussels")
PARIS = ZoneInfo("Europe/Paris")

CHAMBER_CONTACT = {
    "contact_name": (
        "Camera di Commercio di Treviso-Belluno – Progetti territoriali, programmi comunitari, "
        "accordi di programma, valorizzazione del patrimonio turistico e culturale"
    ),
    "contact_email": "progetti.territoriali@tb.camcom.it",
    "contact_phone": "0437 955140 - 115 - 141",
    "contact_notes": (
        "Sede di Belluno\n"
        "Piazza Santo Stefano, 15 - 32100 Belluno\n"
        "PEC: cciaa@pec.tb.camcom.it (riceve solo da altre PEC)\n"
        "Orario: mattino 9.00 - 12.30 dal lunedì al venerdì\n"
        "Santo Patrono: 11 novembre\n"
        "Capo Settore: Elena Zambelli"
    ),
}

RESILIENT_DESCRIPTION = """\
**Programma di Cooperazione:** MED 2014-2020

**Asse prioritario 1:** Promozione nell’area del Mediterraneo delle capacità di innovazione per lo sviluppo della crescita sostenibile

**Priorità d’investimento 1b:** Sviluppare le attività transnazionali di cluster innovativi e settori chiave dell’area MED

### Descrizione del progetto

RESILIENT mette insieme una partnership di 8 paesi MED per affrontare la necessità di aumentare l'innovazione per incrementare la competitività socialmente reattiva delle PMI e stimolare la creazione di nuovi posti di lavoro, soprattutto per le imprese che operano nell'economia sociale. Il progetto mira a dare il via ad un processo di cambiamento delle politiche a livello regionale nelle aree coinvolte, con conseguente integrazione degli elementi di successo nella nuova politica di coesione (UE 2020 +).

L'obiettivo generale è quello di influenzare positivamente, adeguare e modificare i diversi elementi strutturali della politica che governa i "cluster" ad alta vocazione e sensibilità sociale (SVRC) sfruttando le dinamiche di innovazione guidate dalla tecnologia, dagli Open Data e dai modelli di successo con rilevanza e impatto sociale, creando catene di valore socialmente sensibili a livello transnazionale.

### Obiettivi e attività del progetto

RESILIENT mira a integrare i miglioramenti già testati nei quadri istituzionali esistenti che definiscono l'innovazione sociale a livello locale, nazionale e dei fondi strutturali anche in vista del prossimo periodo di programmazione, offrendo un approccio inclusivo, basato sul concetto di Rendimento Sociale degli Investimenti (SRoI) ai settori strategici del programma MED (green & blue, CCI) attraverso una migliore connessione tra gli attori per affrontare bisogni sociali non soddisfatti.

La piattaforma web [+Resilient OpenSocialCluster.eu](https://opensocialclusters.eu/) è il punto centrale di comunicazione per Open Data, strumenti Open Data, E-courses, Knowledge base e Mapping nel campo dell'economia sociale e dell'innovazione sociale, e raccoglie le registrazioni dei webinar realizzati.
"""

INNOMED_DESCRIPTION = """\
Il progetto INNOMED-UP propone di lavorare con le industrie creative e culturali per spostare le economie urbane locali verso un paradigma di produzione e consumo circolare che includa l'uso ottimale delle risorse materiali, l'innovazione da parte delle PMI, il trasferimento di conoscenze tra le città mediterranee, l'inclusione sociale e il coinvolgimento dei cittadini.

L'obiettivo generale del progetto è proporre una strategia per le città mediterranee, in cui le PMI appartenenti al settore delle industrie culturali e creative creano dei cluster di economia circolare a livello locale, e partecipano a reti di innovazione transfrontaliere promuovendo così l'inclusione urbana e sociale.

Specificatamente, INNOMED-UP punta a:

- creare i cluster di imprese nel settore delle industrie creative e culturali nei centri storici del Mediterraneo che promuovono la rivitalizzazione urbana e l'integrazione sociale;
- fornire l’accesso a nuove conoscenze per le PMI culturali e creative attraverso esperti in materia di economia circolare e formazione mirata sull'uso di nuove tecnologie e strumenti intelligenti;
- promuovere l'impegno sociale grazie al coinvolgimento attivo degli attori e delle comunità locali tramite l’implementazione di buone pratiche di economia circolare e di sei casi studio pilota.
"""

INNOMED_PARTNERS = """\
Università Tecnica Nazionale di Atene NTUA (Grecia) - Capofila
Environmental Planning Engineering and Management – EPEM (Grecia)
Comune di Prato (Italia)
Centro per la Ricerca Economica e Sociale per il Sud Italia – CRESM (Italia)
Comune di Tunis (Tunisia)
Università di Birzeit – BZU (Palestina)
Future Pioneers for Empowering Communities’ Members in the environmental and educational fields – FPEC (Giordania)
"""

CLUSTERS_DESCRIPTION = """\
Il progetto 2InS Clusters MED, avviato dal partenariato di paesi europei costituito da Italia (Basilicata), Francia, Spagna, Grecia e Malta, intende sollecitare e implementare meccanismi di cooperazione tra i paesi coinvolti, tra i vari livelli di governance e la società civile per sfruttare le opportunità offerte dai settori delle industrie culturali e creative in termini di crescita, identità culturale e creazione di posti di lavoro.

**Obiettivi:** sostenere l’innovazione e l’internazionalizzazione delle PMI del settore creativo italiano, francese, greco, spagnolo, maltese; promuovere la cultura, le arti visive, le nuove forme di media audiovisivi, di design e di servizi creativi; stabilire una mappatura per la cooperazione futura e piattaforme di collaborazione, realizzare una rete transnazionale di esperti.
"""

TALIA_DESCRIPTION = """\
Il Programma di Cooperazione Transnazionale Interreg MED 2014-2020 ha tra i suoi obiettivi quello di promuovere la creatività e l’innovazione sociale in tutti i settori chiave dell’economia territoriale.

Rafforzare l’industria creativa, consolidare gli spazi di coworking, valorizzare il patrimonio culturale, modernizzare gli appalti pubblici, favorire la crescita sostenibile e accrescere gli open data: questi sono gli obiettivi della **Social&Creative Community**, nata con il contributo di undici progetti tematici e grazie al lavoro di promozione di connessioni e interazioni tra soggetti e reti locali e transnazionali portato avanti dal progetto TALIA – Territorial Appropriation of Leading-edge Innovation Actions.
"""

PROJECTS = [
    {
        "slug": "resilient",
        "acronym": "+RESILIENT",
        "name": "Mediterranean Open REsouRcEs for Social Innovation of SociaLly ResponsIve ENTerprises",
        "programme": "Interreg MED 2014-2020",
        "description": RESILIENT_DESCRIPTION,
        "website": "https://opensocialclusters.eu/",
        "starts_on": date(2018, 2, 1),
        "ends_on": date(2022, 1, 31),
        "budget": Decimal("3278529.80"),
        "funding": "Co-finanziamento fondo FESR € 2.667.650,20\nFondo IPA € 119.100,13",
        "partners": "",
        "status": ProjectStatus.COMPLETED,
    },
    {
        "slug": "innomed-up",
        "acronym": "INNOMED-UP",
        "name": "INNOMED-UP – Industrie creative e culturali per l’economia circolare nelle città mediterranee",
        "programme": "ENI CBC MED 2014-2020",
        "description": INNOMED_DESCRIPTION,
        "website": "",
        "starts_on": date(2019, 9, 1),
        "ends_on": date(2022, 8, 31),
        "budget": Decimal("3120000.00"),
        "funding": "2,8 milioni di euro finanziati dall'Unione Europea attraverso lo Strumento Europeo di Vicinato",
        "partners": INNOMED_PARTNERS,
        "status": ProjectStatus.COMPLETED,
    },
    {
        "slug": "2ins-clusters-med",
        "acronym": "2InS Clusters MED",
        "name": "2InS Clusters MED – Innovazione e internazionalizzazione delle PMI creative del Mediterraneo",
        "programme": "ENPI CBC MED",
        "description": CLUSTERS_DESCRIPTION,
        "website": "",
        "starts_on": None,
        "ends_on": None,
        "budget": None,
        "funding": "",
        "partners": "Marseille Innovation (Francia)\nCCI Marseille Provence (Francia)\nSviluppo Basilicata (Italia)\nPartner di Spagna, Grecia e Malta",
        "status": ProjectStatus.COMPLETED,
    },
    {
        "slug": "talia-social-creative",
        "acronym": "TALIA / Social&Creative",
        "name": "TALIA – Territorial Appropriation of Leading-edge Innovation Actions",
        "programme": "Interreg MED 2014-2020",
        "description": TALIA_DESCRIPTION,
        "website": "",
        "starts_on": None,
        "ends_on": None,
        "budget": None,
        "funding": "",
        "partners": "",
        "status": ProjectStatus.COMPLETED,
    },
]

VENUES = {
    "vega": {
        "name": "Parco scientifico e tecnologico Vega",
        "address": "Via delle Industrie 15",
        "city": "Venezia Mestre",
        "postcode": "30175",
        "country": "IT",
        "latitude": 45.4735,
        "longitude": 12.2536,
    },
    "venezia": {
        "name": "Venezia – sede della conferenza finale",
        "address": "",
        "city": "Venezia",
        "postcode": "",
        "country": "IT",
        "latitude": 45.4371,
        "longitude": 12.3326,
    },
    "bruxelles": {
        "name": "Parlamento europeo",
        "address": "Rue Wiertz 60",
        "city": "Bruxelles",
        "postcode": "1047",
        "country": "BE",
        "latitude": 50.8386,
        "longitude": 4.3755,
    },
    "torino": {
        "name": "Città di Torino",
        "address": "Piazza Palazzo di Città 1",
        "city": "Torino",
        "postcode": "10122",
        "country": "IT",
        "latitude": 45.0736,
        "longitude": 7.6812,
    },
    "marseille": {
        "name": "Marseille Innovation – Pôle Média de la Belle de Mai",
        "address": "37 rue Guibal",
        "city": "Marseille",
        "postcode": "13003",
        "country": "FR",
        "latitude": 43.3130,
        "longitude": 5.3900,
    },
    "belluno": {
        "name": "Camera di Commercio di Treviso-Belluno – Sede di Belluno",
        "address": "Piazza Santo Stefano 15",
        "city": "Belluno",
        "postcode": "32100",
        "country": "IT",
        "latitude": 46.1425,
        "longitude": 12.2169,
    },
}


def _at(day: date, hhmm: str, tz: ZoneInfo = ROME) -> datetime:
    hour, minute = (int(x) for x in hhmm.split("."))
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def _sessions(day: date, rows, tz: ZoneInfo = ROME) -> list[dict]:
    """rows: (start, end, title, kind, room, speakers, description)."""
    out = []
    for i, (start, end, title, kind, room, speakers, description) in enumerate(rows):
        out.append(
            {
                "title": title,
                "starts_at": _at(day, start, tz),
                "ends_at": _at(day, end, tz),
                "kind": kind,
                "room": room,
                "position": i,
                "speakers": speakers,
                "description": description,
            }
        )
    return out


SPEAKERS = {
    "bonaduce": {"name": "Anna Bonaduce", "role": "Project manager", "affiliation": "PN Metro Plus"},
    "rossi": {"name": "Giulia Rossi", "role": "Ricercatrice", "affiliation": "Università Ca’ Foscari Venezia"},
    "dalpian": {"name": "Marco Dal Pian", "role": "Esperto di open data", "affiliation": "Regione del Veneto"},
    "ferrari": {"name": "Sara Ferrari", "role": "Responsabile progetti europei", "affiliation": "Camera di Commercio di Treviso-Belluno"},
    "costa": {"name": "Luca Costa", "role": "Presidente", "affiliation": "Cooperativa sociale Aurora"},
}


def _past_events() -> list[dict]:
    webinar_day = date(2021, 3, 22)
    mestre_1, mestre_2 = date(2022, 1, 17), date(2022, 1, 18)
    venice = date(2022, 3, 10)
    brussels = date(2022, 4, 20)
    turin = [date(2024, 11, 5), date(2024, 11, 6), date(2024, 11, 7)]
    marseille = [date(2016, 12, 5), date(2016, 12, 6), date(2016, 12, 7)]
    meet = date(2019, 10, 15)
    return [
        {
            "slug": "webinar-montagna-bellunese-resilienza-2021",
            "title": "Testimonianze sul fare impresa nella montagna bellunese in tempi di resilienza",
            "summary": (
                "Webinar della Camera di Commercio di Treviso-Belluno sui risultati del progetto "
                "Interreg MED +Resilient: nuovi modelli di business e competenze professionali "
                "che coinvolgano maggiormente le categorie deboli."
            ),
            "description": (
                "Durante il webinar la Camera di Commercio di Treviso-Belluno ha presentato i risultati "
                "dell’attività svolta nell’ambito del progetto, finalizzata allo sviluppo di nuovi modelli "
                "di business e competenze professionali che possano coinvolgere maggiormente le categorie deboli.\n\n"
                "Il webinar è stato l'occasione per presentare e discutere le attività sviluppate nel quadro del "
                "progetto Interreg MED 2014/2020 “+Resilient”. Le visite di studio, le azioni pilota ed i Focus Group "
                "svolti anche a livello locale hanno permesso di individuare gli attori chiave nel sostegno "
                "all'innovazione sociale. Sono emersi anche gli insegnamenti tratti sul ruolo del settore del turismo "
                "nella promozione dell'innovazione sociale e dei cluster ad alta vocazione sociale."
            ),
            "kind": EventKind.WEBINAR,
            "format": EventFormat.ONLINE,
            "project": "resilient",
            "venue": None,
            "starts_at": _at(webinar_day, "10.00"),
            "ends_at": _at(webinar_day, "12.00"),
            "registration_mode": RegistrationMode.REQUIRED,
            "sessions": _sessions(webinar_day, [
                ("10.00", "10.15", "Saluti e introduzione al progetto +Resilient", SessionKind.TALK, "", ["ferrari"], ""),
                ("10.15", "11.00", "Presentazione “Manuale d’uso”", SessionKind.TALK, "", ["rossi"], ""),
                ("11.00", "11.45", "Presentazione “Modello di cooperazione”", SessionKind.TALK, "", ["dalpian"], ""),
                ("11.45", "12.00", "Domande e conclusioni", SessionKind.ROUND_TABLE, "", [], ""),
            ]),
            "materials": [
                {
                    "kind": MaterialKind.RECORDING,
                    "title": "5th transfer webinar: social innovation and tourism",
                    "url": "https://opensocialclusters.eu/5thtransfer-webinar-social-innovation-and-tourism/",
                },
                {
                    "kind": MaterialKind.LINK,
                    "title": "Piattaforma +RESILIENT OpenSocialCluster.eu: webinar e materiali di formazione",
                    "url": "https://opensocialclusters.eu/",
                },
            ],
        },
        {
            "slug": "resilient-mestre-2022",
            "title": "Capitalizzazione +Resilient: open data, mismatch domanda-offerta e Transizione Giusta",
            "summary": (
                "Due giornate a Mestre e online per gli attori del mercato del lavoro e le imprese attente "
                "all'impatto sociale: si può partecipare a una giornata o a entrambe."
            ),
            "description": (
                "Capitalizzazione delle azioni del progetto europeo +Resilient, che promuove le capacità di "
                "innovazione dei paesi dell’area del Mediterraneo al fine di supportare una crescita intelligente "
                "e sostenibile.\n\n"
                "Gli incontri sono dedicati in particolare agli attori del mercato del lavoro (Enti di formazione, "
                "Parti sociali, Università e ETS) e alle imprese attente alle dinamiche dell'impatto sociale, per "
                "sviluppare assieme soluzioni al problema del mismatch domanda-offerta contribuendo fattivamente "
                "allo sviluppo dei Piani Regionali 2021-2027 (FSE+ e FESR) e una riflessione propositiva "
                "sull’importanza delle risorse umane nel coniugare innovazione tecnologica e sociale nella "
                "transizione ecologica (Meccanismo per una Transizione Giusta)."
            ),
            "kind": EventKind.WORKSHOP,
            "format": EventFormat.HYBRID,
            "project": "resilient",
            "venue": "vega",
            "starts_at": _at(mestre_1, "9.45"),
            "ends_at": _at(mestre_2, "13.00"),
            "capacity_in_person": 60,
            "capacity_online": 200,
            "sessions": [
                {
                    "title": (
                        "Sviluppare sinergie tra gli attori e le potenzialità degli Open-data per il mismatch "
                        "domanda-offerta con la Nuova Programmazione Europea"
                    ),
                    "starts_at": _at(mestre_1, "9.45"), "ends_at": _at(mestre_1, "17.00"),
                    "kind": SessionKind.WORKSHOP, "room": "Sala Saturno", "position": 0,
                    "speakers": ["dalpian", "rossi"], "description": "", "registrable": True, "capacity": 60,
                },
                {
                    "title": (
                        "Il Meccanismo per la Transizione Giusta: il ruolo delle aziende verso una economia "
                        "climaticamente neutra senza lasciare indietro nessuno"
                    ),
                    "starts_at": _at(mestre_2, "9.00"), "ends_at": _at(mestre_2, "13.00"),
                    "kind": SessionKind.WORKSHOP, "room": "Sala Saturno", "position": 0,
                    "speakers": ["ferrari", "costa"], "description": "", "registrable": True, "capacity": 60,
                },
            ],
        },
        {
            "slug": "resilient-final-conference-venezia-2022",
            "title": "Final conference +RESILIENT – Venezia",
            "summary": (
                "Risultati finali del progetto Interreg MED +RESILIENT per favorire forme di resilienza nelle PMI "
                "a vocazione sociale e nei pubblici servizi attraverso l'innovazione sociale e gli Open Data."
            ),
            "description": (
                "I partner del progetto, gli stakeholder - esperti in innovazione sociale - e rappresentanti di "
                "Interreg MED, si sono incontrati il 10 marzo 2022 a Venezia per presentare i risultati del progetto "
                "e impostare passi futuri per capitalizzare e trasferire le attività +Resilient e portare avanti "
                "attività locali per la promozione e lo sviluppo dell'innovazione sociale e dell’imprenditorialità "
                "sociale nell'area MED.\n\n"
                "Sono state organizzate tre tavole rotonde con i partner del progetto e tre seminari interattivi."
            ),
            "kind": EventKind.CONFERENCE,
            "format": EventFormat.IN_PERSON,
            "project": "resilient",
            "venue": "venezia",
            "starts_at": _at(venice, "9.30"),
            "ends_at": _at(venice, "17.30"),
            "sessions": _sessions(venice, [
                ("9.30", "10.00", "Apertura e saluti istituzionali", SessionKind.TALK, "Sala plenaria", ["ferrari"], ""),
                ("10.00", "11.00", "Tavola rotonda: innovazione sociale e politiche di coesione", SessionKind.ROUND_TABLE, "Sala plenaria", ["rossi", "costa"], ""),
                ("11.00", "12.00", "Tavola rotonda: Open Data per l'economia sociale", SessionKind.ROUND_TABLE, "Sala plenaria", ["dalpian"], ""),
                ("12.00", "13.00", "Tavola rotonda: cluster ad alta vocazione sociale nell'area MED", SessionKind.ROUND_TABLE, "Sala plenaria", [], ""),
                ("13.00", "14.00", "Pausa pranzo", SessionKind.BREAK, "", [], ""),
                ("14.00", "15.00", "Seminario interattivo: misurare il Rendimento Sociale degli Investimenti (SRoI)", SessionKind.WORKSHOP, "Sala A", [], ""),
                ("15.00", "16.00", "Seminario interattivo: catene del valore socialmente responsabili", SessionKind.WORKSHOP, "Sala B", [], ""),
                ("16.00", "17.30", "Seminario interattivo: capitalizzare e trasferire i risultati", SessionKind.WORKSHOP, "Sala A", [], ""),
            ]),
        },
        {
            "slug": "resilient-high-level-policy-event-bruxelles-2022",
            "title": "High Level Policy event – through transitions with +RESILIENT",
            "summary": (
                "A Bruxelles, presso il Parlamento europeo, l'incontro con i policy maker sul Libro bianco "
                "del progetto e sugli strumenti UE per l'innovazione sociale in tempi di transizione."
            ),
            "description": (
                "Nella parte finale del progetto, i partner hanno fornito una serie di informative politiche e un "
                "Libro bianco che riassume la rilevanza politica del lavoro congiunto e rappresenta i vari aspetti "
                "dell'innovazione sociale, un tema trasversale che interessa molti settori politici a diversi livelli.\n\n"
                "Partendo dall'evidenza del Libro bianco, l'evento ha lasciato spazio a esperti e responsabili "
                "politici, al fine di integrare i risultati del progetto in un quadro politico più elevato, per "
                "esplorare e approfondire gli orientamenti strategici dell'UE sui temi trattati dal partenariato e "
                "per individuare quali tipi di strumenti le politiche dell'UE possono fornire per sviluppare "
                "ulteriormente e rendere le innovazioni sostenibili in tempi di transizione e Next Generation EU."
            ),
            "kind": EventKind.POLICY_EVENT,
            "format": EventFormat.IN_PERSON,
            "project": "resilient",
            "venue": "bruxelles",
            "timezone": "Europe/Brussels",
            "language": "en",
            "starts_at": _at(brussels, "14.00", BRUSSELS),
            "ends_at": _at(brussels, "17.00", BRUSSELS),
        },
        {
            "slug": "torino-ecosistema-innovazione-sociale-2024",
            "title": (
                "Ecosistema FSE+ SI, modello di collaborazione tra le principali parti interessate – analisi di un "
                "ecosistema locale di innovazione sociale urbana"
            ),
            "summary": (
                "A Torino tre giornate di presentazioni e visite ai progetti sull’ecosistema dell’innovazione "
                "sociale: buone pratiche per costruire una comunità di pratica."
            ),
            "description": (
                "Dal 5 al 7 novembre la città di Torino ospita l’incontro-studio organizzato dal Centro di "
                "Competenza europeo per la Social Innovation, che ha il compito di supportare lo scambio di "
                "iniziative tra i vari stati e le attività di networking per la costituzione di Comunità di "
                "pratica sull’innovazione sociale.\n\n"
                "L’occasione di riflessione e apprendimento si rivolge agli organismi del Fondo Sociale europeo "
                "Plus e ai Centri nazionali di competenza (NCC), allo scopo di comprendere e analizzare i tipi di "
                "collaborazioni che creano e rafforzano gli ecosistemi di innovazione sociale, con particolare "
                "attenzione all’uso dei finanziamenti FSE+.\n\n"
                "Il PN Metro Plus sarà presente agli incontri in programma attraverso la partecipazione di Anna "
                "Bonaduce, project manager del Programma."
            ),
            "kind": EventKind.STUDY_VISIT,
            "format": EventFormat.IN_PERSON,
            "project": None,
            "venue": "torino",
            "starts_at": _at(turin[0], "9.30"),
            "ends_at": _at(turin[2], "13.00"),
            "sessions": (
                _sessions(turin[0], [
                    ("9.30", "10.00", "Accoglienza e presentazione del programma delle giornate", SessionKind.TALK, "Sala delle Colonne", [], ""),
                    ("10.00", "12.30", "L’ecosistema torinese dell’innovazione sociale urbana", SessionKind.TALK, "Sala delle Colonne", ["bonaduce"], ""),
                    ("14.00", "17.30", "Visita ai progetti di innovazione sociale nei quartieri", SessionKind.VISIT, "", [], ""),
                ])
                + _sessions(turin[1], [
                    ("9.30", "12.30", "FSE+ e innovazione sociale: ruoli e contributi delle parti interessate", SessionKind.ROUND_TABLE, "Sala delle Colonne", ["bonaduce"], ""),
                    ("14.00", "17.30", "Visite alle case del quartiere e agli spazi di comunità", SessionKind.VISIT, "", [], ""),
                ])
                + _sessions(turin[2], [
                    ("9.30", "12.00", "Laboratorio: adattare le soluzioni ad altri contesti", SessionKind.WORKSHOP, "Sala delle Colonne", [], ""),
                    ("12.00", "13.00", "Conclusioni e prossimi passi della comunità di pratica", SessionKind.TALK, "Sala delle Colonne", [], ""),
                ])
            ),
        },
        {
            "slug": "missione-cooperazione-imprese-mediterraneo-marsiglia-2016",
            "title": "Missione di Cooperazione tra le imprese nel Mediterraneo – Marsiglia",
            "summary": (
                "Evento internazionale organizzato da Marseille Innovation e dalla CCIAA di Marsiglia nell’ambito "
                "del progetto 2InS Clusters MED: workshop e incontri B2B per le PMI del settore creativo."
            ),
            "description": (
                "Organizzato da Marseille Innovation e dalla CCIAA di Marsiglia nell’ambito del progetto "
                "comunitario 2InS Clusters MED. Sviluppo Basilicata partecipa all’evento in qualità di partner, "
                "ponendo sulla scena internazionale l’Incubatore dei Rioni Sassi vocato allo sviluppo della creatività.\n\n"
                "Il programma prevede:\n\n"
                "- incontri, workshop, faccia a faccia con i produttori di Arti e Culture Digitali, con gli attori "
                "dell’ecosistema dell’innovazione e con le strutture di sostegno per lo sviluppo di imprese creative;\n"
                "- azioni, esperienze, progetti pilota e migliori pratiche, la presentazione di 14 archivi TV del "
                "Mediterraneo nel quadro di Euromed Heritage IV, studi pilota come il “designer in residence”;\n"
                "- l’inaugurazione di una mostra di giovani designer e molto altro."
            ),
            "kind": EventKind.MISSION,
            "format": EventFormat.IN_PERSON,
            "project": "2ins-clusters-med",
            "venue": "marseille",
            "timezone": "Europe/Paris",
            "starts_at": _at(marseille[0], "9.00", PARIS),
            "ends_at": _at(marseille[2], "16.00", PARIS),
            "contact_name": "Sviluppo Basilicata",
            "contact_email": "",
            "contact_phone": "",
            "contact_notes": "",
            "sessions": (
                _sessions(marseille[0], [
                    ("9.00", "10.00", "Accoglienza delle delegazioni e presentazione della missione", SessionKind.TALK, "Auditorium", [], ""),
                    ("10.00", "13.00", "Workshop: imprese creative e innovazione aperta", SessionKind.WORKSHOP, "Auditorium", [], ""),
                    ("14.30", "18.00", "Incontri B2B faccia a faccia con i produttori di Arti e Culture Digitali", SessionKind.B2B, "Espace rencontres", [], ""),
                ], PARIS)
                + _sessions(marseille[1], [
                    ("9.30", "12.30", "Buone pratiche: simulatore Lucenata, immersione sensoriale, hub crossmediali", SessionKind.TALK, "Auditorium", [], ""),
                    ("14.00", "17.00", "Incontri B2B con le strutture di sostegno alle imprese creative", SessionKind.B2B, "Espace rencontres", [], ""),
                    ("18.00", "19.30", "Inaugurazione della mostra di giovani designer", SessionKind.VISIT, "Galerie", [], ""),
                ], PARIS)
                + _sessions(marseille[2], [
                    ("9.30", "12.30", "Workshop: il “designer in residence” e la mappatura per la cooperazione futura", SessionKind.WORKSHOP, "Auditorium", [], ""),
                    ("14.00", "16.00", "Visita all’ecosistema dell’innovazione della Belle de Mai", SessionKind.VISIT, "", [], ""),
                ], PARIS)
            ),
        },
        {
            "slug": "meet-mediterranean-innovation-tales",
            "title": "MEET – Mediterranean Innovation Tales, il documentario sulla Social&Creative Community",
            "summary": (
                "Cos’è la Community Interreg MED Social&Creative? Obiettivi, attività, temi e risultati "
                "raccontati dai protagonisti degli undici progetti tematici."
            ),
            "description": (
                "Gli attori del cambiamento sono le regioni e gli Stati membri, le imprese private e sociali, le ONG "
                "e le organizzazioni di servizi sociali, le Università e gli Enti di Ricerca, che mettono in campo "
                "forze, competenze ed esperienze sui temi dell’innovazione sociale e della creatività.\n\n"
                "Sono loro i protagonisti di questo documentario, di questo viaggio nei territori dell’area di "
                "cooperazione del Programma Interreg MED per raccontare il punto di vista di referenti, attuatori e "
                "beneficiari degli undici progetti tematici della Community Social&Creative.\n\n"
                "*Discover the Interreg MED Social&Creative Community featured by TALIA project!*"
            ),
            "kind": EventKind.SCREENING,
            "format": EventFormat.ONLINE,
            "project": "talia-social-creative",
            "venue": None,
            "registration_mode": RegistrationMode.NOT_REQUIRED,
            "starts_at": _at(meet, "18.00"),
            "ends_at": _at(meet, "19.30"),
        },
    ]


def _upcoming_events(today: date) -> list[dict]:
    webinar = today + timedelta(days=14)
    workshop_1 = today + timedelta(days=30)
    workshop_2 = workshop_1 + timedelta(days=1)
    conference = today + timedelta(days=60)
    opens = utcnow() - timedelta(days=1)
    return [
        {
            "slug": "webinar-open-data-innovazione-sociale",
            "title": "Open Data per l’innovazione sociale: strumenti e casi dalle imprese",
            "summary": (
                "Un’ora e mezza online per scoprire come le imprese sociali usano gli Open Data per misurare "
                "l’impatto e trovare nuove opportunità."
            ),
            "description": (
                "Il webinar presenta gli strumenti Open Data più utili alle imprese a vocazione sociale e tre casi "
                "concreti del territorio.\n\n"
                "Il link per partecipare viene inviato alle persone registrate."
            ),
            "kind": EventKind.WEBINAR,
            "format": EventFormat.ONLINE,
            "project": None,
            "venue": None,
            "starts_at": _at(webinar, "10.00"),
            "ends_at": _at(webinar, "11.30"),
            "capacity": 150,
            "capacity_online": 150,
            "online_join_url": "https://meet.example.org/eventi-open-data-" + secrets.token_urlsafe(8),
            "registration_opens_at": opens,
            "registration_closes_at": _at(webinar, "9.00"),
            "sessions": _sessions(webinar, [
                ("10.00", "10.30", "Open Data: dove trovarli e come leggerli", SessionKind.TALK, "", ["dalpian"], ""),
                ("10.30", "11.10", "Tre imprese sociali raccontano", SessionKind.ROUND_TABLE, "", ["costa", "rossi"], ""),
                ("11.10", "11.30", "Domande dal pubblico", SessionKind.TALK, "", [], ""),
            ]),
        },
        {
            "slug": "laboratorio-competenze-transizione-giusta",
            "title": "Laboratorio: competenze per la transizione giusta",
            "summary": (
                "Due mezze giornate a Mestre e online, a posti limitati: si può partecipare a una giornata o a "
                "entrambe."
            ),
            "description": (
                "Un laboratorio in due giornate per enti di formazione, parti sociali e imprese sul "
                "mismatch tra domanda e offerta di competenze nella transizione ecologica.\n\n"
                "**Posti limitati:** 5 persone in presenza per giornata."
            ),
            "kind": EventKind.WORKSHOP,
            "format": EventFormat.HYBRID,
            "project": None,
            "venue": "vega",
            "starts_at": _at(workshop_1, "9.30"),
            "ends_at": _at(workshop_2, "13.00"),
            "online_join_url": "https://meet.example.org/eventi-laboratorio-" + secrets.token_urlsafe(8),
            "registration_opens_at": opens,
            "sessions": [
                {
                    "title": "Giornata 1 – Dati e fabbisogni di competenze",
                    "starts_at": _at(workshop_1, "9.30"), "ends_at": _at(workshop_1, "13.00"),
                    "kind": SessionKind.WORKSHOP, "room": "Sala Saturno", "position": 0,
                    "speakers": ["dalpian"], "description": "", "registrable": True,
                    "capacity_in_person": 5, "capacity_online": 20,
                },
                {
                    "title": "Giornata 2 – Percorsi formativi per la transizione giusta",
                    "starts_at": _at(workshop_2, "9.30"), "ends_at": _at(workshop_2, "13.00"),
                    "kind": SessionKind.WORKSHOP, "room": "Sala Saturno", "position": 0,
                    "speakers": ["ferrari"], "description": "", "registrable": True,
                    "capacity_in_person": 5, "capacity_online": 20,
                },
            ],
        },
        {
            "slug": "conferenza-innovazione-sociale-belluno",
            "title": "Conferenza: innovazione sociale e imprese di montagna",
            "summary": (
                "Una giornata a Belluno con imprese, enti e università sul fare impresa in montagna con un "
                "impatto sociale."
            ),
            "description": (
                "Dopo la conclusione del progetto +RESILIENT, la Camera di Commercio riunisce imprese, enti e "
                "università per fare il punto sulle esperienze di innovazione sociale nella montagna bellunese."
            ),
            "kind": EventKind.CONFERENCE,
            "format": EventFormat.IN_PERSON,
            "project": None,
            "venue": "belluno",
            "starts_at": _at(conference, "9.30"),
            "ends_at": _at(conference, "16.30"),
            "capacity": 80,
            "capacity_in_person": 80,
            "registration_opens_at": opens,
            "registration_closes_at": _at(conference - timedelta(days=2), "18.00"),
            "sessions": _sessions(conference, [
                ("9.30", "10.00", "Saluti di apertura", SessionKind.TALK, "Sala Consiglio", ["ferrari"], ""),
                ("10.00", "11.00", "Le imprese sociali nella montagna bellunese", SessionKind.TALK, "Sala Consiglio", ["rossi"], ""),
                ("11.00", "11.15", "Pausa caffè", SessionKind.BREAK, "", [], ""),
                ("11.15", "12.30", "Tavola rotonda: turismo, servizi e comunità", SessionKind.ROUND_TABLE, "Sala Consiglio", ["costa", "dalpian"], ""),
                ("14.00", "16.30", "Laboratori paralleli", SessionKind.WORKSHOP, "Sale A e B", [], ""),
            ]),
        },
    ]


def _get_or_create(model, lookup: dict, values: dict, created: list[str], label: str):
    obj = db.session.scalars(sa.select(model).filter_by(**lookup)).first()
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
        db.session.flush()
        created.append(label)
    return obj


def _venue(key: str, created: list[str]) -> Venue:
    values = dict(VENUES[key])
    name = values.pop("name")
    return _get_or_create(Venue, {"name": name}, values, created, f"venue {name}")


def _speaker(key: str, created: list[str]) -> Speaker:
    values = dict(SPEAKERS[key])
    name = values.pop("name")
    return _get_or_create(Speaker, {"name": name}, values, created, f"speaker {name}")


def _event(data: dict, projects: dict[str, Project], organiser: User, created: list[str]) -> None:
    data = dict(data)
    slug = data.pop("slug")
    if db.session.scalars(sa.select(Event.id).where(Event.slug == slug)).first() is not None:
        return
    sessions = data.pop("sessions", [])
    materials = data.pop("materials", [])
    project_key = data.pop("project")
    venue_key = data.pop("venue")
    values = {**CHAMBER_CONTACT, "status": EventStatus.PUBLISHED, **data}
    # Shared rows first, so no half-built event is flushed while looking them up.
    venue = _venue(venue_key, created) if venue_key else None
    speakers = {k: _speaker(k, created) for s in sessions for k in s["speakers"]}
    event = Event(slug=slug, venue=venue, published_at=utcnow(), **values)
    db.session.add(event)
    event.project = projects[project_key] if project_key else None
    event.organisers.append(organiser)
    for s in sessions:
        s = dict(s)
        session = Session(**{k: v for k, v in s.items() if k != "speakers"})
        session.speakers.extend(speakers[k] for k in s["speakers"])
        event.sessions.append(session)
    for i, m in enumerate(materials):
        event.materials.append(Material(visibility=Visibility.PUBLIC, position=i, **m))
    db.session.add(event)
    db.session.flush()
    created.append(f"event {slug}")


def _account(email: str, name: str, role: Role) -> tuple[User, str | None]:
    user = db.session.scalars(sa.select(User).where(User.email == email)).first()
    if user is not None:
        return user, None
    password = secrets.token_urlsafe(12)
    user = User(email=email, name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user, password


def load(today: date | None = None) -> Iterator[str]:
    today = today or utcnow().astimezone(ROME).date()
    created: list[str] = []

    projects: dict[str, Project] = {}
    for data in PROJECTS:
        values = dict(data)
        slug = values.pop("slug")
        projects[slug] = _get_or_create(Project, {"slug": slug}, values, created, f"project {slug}")

    admin, admin_password = _account("admin@eventi.local", "Amministratore", Role.ADMIN)
    organiser, organiser_password = _account("organiser@eventi.local", "Organizzatrice", Role.ORGANISER)

    for data in _past_events() + _upcoming_events(today):
        _event(data, projects, organiser, created)

    db.session.commit()

    for line in created:
        yield f"created {line}"
    for user, password in ((admin, admin_password), (organiser, organiser_password)):
        if password:
            yield f"created {user.role} {user.email} with password (shown once): {password}"
        else:
            yield f"{user.role} {user.email} already exists; password unchanged"
    if not created:
        yield "demo data already loaded; nothing created"
