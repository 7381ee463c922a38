//! Word lists the demo generator draws from: fictional people and phrasing
//! in the style of French clinical correspondence.

pub struct Colleague {
    pub name: &'static str,
    pub email: &'static str,
    pub role: &'static str,
    pub salutation: &'static str,
}

pub const ME_NAME: &str = "Dr Alice Martin";
pub const ME_EMAIL: &str = "alice.martin@cabinet-exemple.mssante.test";

pub const COLLEAGUES: &[Colleague] = &[
    Colleague {
        name: "Dr Claire Lefèvre",
        email: "claire.lefevre@chu-exemple.mssante.test",
        role: "cardiologue",
        salutation: "Chère consœur,",
    },
    Colleague {
        name: "Dr Marc Dubois",
        email: "marc.dubois@radiologie-exemple.mssante.test",
        role: "radiologue",
        salutation: "Cher confrère,",
    },
    Colleague {
        name: "Laboratoire BioSanté",
        email: "resultats@labo-exemple.mssante.test",
        role: "laboratoire de biologie médicale",
        salutation: "Madame, Monsieur,",
    },
    Colleague {
        name: "Urgences CH Exemple",
        email: "urgences@ch-exemple.mssante.test",
        role: "service des urgences",
        salutation: "Chère consœur,",
    },
    Colleague {
        name: "Dr Sophie Bernard",
        email: "sophie.bernard@chu-exemple.mssante.test",
        role: "pneumologue",
        salutation: "Chère consœur,",
    },
    Colleague {
        name: "Dr Julien Moreau",
        email: "julien.moreau@clinique-exemple.mssante.test",
        role: "endocrinologue",
        salutation: "Cher confrère,",
    },
    Colleague {
        name: "Isabelle Petit, IDE",
        email: "isabelle.petit@ssiad-exemple.mssante.test",
        role: "infirmière coordinatrice",
        salutation: "Docteur,",
    },
    Colleague {
        name: "Dr Hélène Roux",
        email: "helene.roux@ch-exemple.mssante.test",
        role: "gériatre",
        salutation: "Chère consœur,",
    },
    Colleague {
        name: "Pharmacie du Centre",
        email: "officine@pharmacie-exemple.mssante.test",
        role: "pharmacien",
        salutation: "Docteur,",
    },
    Colleague {
        name: "Dr Antoine Girard",
        email: "antoine.girard@clinique-exemple.mssante.test",
        role: "chirurgien orthopédiste",
        salutation: "Cher confrère,",
    },
    Colleague {
        name: "Dr Nadia Benali",
        email: "nadia.benali@chu-exemple.mssante.test",
        role: "néphrologue",
        salutation: "Chère consœur,",
    },
    Colleague {
        name: "EHPAD Les Tilleuls",
        email: "infirmerie@ehpad-exemple.mssante.test",
        role: "EHPAD",
        salutation: "Docteur,",
    },
];

pub const PATIENTS: &[&str] = &[
    "M. Jean DURAND",
    "Mme Marie LEROY",
    "M. Paul FONTAINE",
    "Mme Lucie GARNIER",
    "M. Henri CHEVALIER",
    "Mme Odette BLANC",
    "M. Karim HADDAD",
    "Mme Chantal MERCIER",
    "M. Louis FAURE",
    "Mme Yvonne ROUSSEL",
    "M. Thomas LAMBERT",
    "Mme Fatou DIALLO",
    "M. Bernard PERRIN",
    "Mme Agnès MOREL",
    "M. Gérard BRUN",
];

/// A kind of letter: subject pattern, body paragraphs, attachment (if any).
pub struct LetterKind {
    /// Indexes in [`COLLEAGUES`] of who plausibly writes this letter.
    pub senders: &'static [usize],
    pub subject: &'static str,
    pub paragraphs: &'static [&'static str],
    pub attachment: Option<(&'static str, &'static str)>,
}

pub const LETTERS: &[LetterKind] = &[
    LetterKind {
        senders: &[0, 4, 5, 7, 10],
        subject: "Compte rendu de consultation — {patient}",
        paragraphs: &[
            "J'ai vu en consultation ce jour {patient}, que vous m'aviez adressé(e) pour un avis.",
            "L'examen clinique est sans particularité en dehors d'une pression artérielle à 152/88 mmHg. L'électrocardiogramme retrouve un rythme sinusal régulier sans trouble de la repolarisation.",
            "Je propose de majorer le traitement antihypertenseur et de revoir le patient dans trois mois avec une MAPA.",
        ],
        attachment: Some(("CR_consultation.pdf", "application/pdf")),
    },
    LetterKind {
        senders: &[2],
        subject: "Résultats biologiques — {patient}",
        paragraphs: &[
            "Veuillez trouver ci-joint les résultats du bilan prescrit pour {patient}.",
            "Hémoglobine glyquée : 7,4 % (objectif < 7 %). Créatininémie : 98 µmol/L, DFG estimé à 64 mL/min/1,73 m². Kaliémie : 4,1 mmol/L.",
            "Les résultats complets sont joints au format CDA.",
        ],
        attachment: Some(("IHE_XDM.ZIP", "application/zip")),
    },
    LetterKind {
        senders: &[0, 3, 4, 7, 10],
        subject: "Lettre de liaison de sortie — {patient}",
        paragraphs: &[
            "{patient} est sorti(e) ce jour du service après une hospitalisation de cinq jours pour décompensation cardiaque.",
            "Le traitement de sortie comporte une adaptation des diurétiques ; une surveillance du poids et de la kaliémie à J7 est souhaitable.",
            "Un rendez-vous de consultation est prévu dans un mois.",
        ],
        attachment: Some(("lettre_de_liaison.pdf", "application/pdf")),
    },
    LetterKind {
        senders: &[0, 4, 5, 7, 9, 10],
        subject: "Demande d'avis — {patient}",
        paragraphs: &[
            "Je me permets de vous solliciter au sujet de {patient}, qui présente depuis deux mois une dyspnée d'effort d'aggravation progressive.",
            "La radiographie thoracique est normale ; les D-dimères sont négatifs. Pourriez-vous le/la recevoir en consultation ?",
        ],
        attachment: None,
    },
    LetterKind {
        senders: &[1],
        subject: "Compte rendu d'imagerie — {patient}",
        paragraphs: &[
            "Échographie abdominale réalisée ce jour chez {patient}.",
            "Foie de taille normale, d'échostructure homogène. Pas de dilatation des voies biliaires. Reins de taille normale, sans obstacle.",
            "Conclusion : examen sans anomalie significative.",
        ],
        attachment: Some(("CR_imagerie.pdf", "application/pdf")),
    },
    LetterKind {
        senders: &[6, 11],
        subject: "Transmission infirmière — {patient}",
        paragraphs: &[
            "Lors du passage de ce matin chez {patient}, nous avons constaté un œdème des membres inférieurs plus marqué qu'à l'habitude.",
            "La patiente/le patient ne se plaint pas de dyspnée. Poids en hausse de 2 kg en une semaine. Merci de nous indiquer la conduite à tenir.",
        ],
        attachment: None,
    },
    LetterKind {
        senders: &[8, 11],
        subject: "Renouvellement d'ordonnance — {patient}",
        paragraphs: &[
            "L'ordonnance de {patient} arrive à échéance la semaine prochaine.",
            "Pourriez-vous nous transmettre le renouvellement du traitement habituel ? Nous avons noté une interaction possible avec le nouveau traitement prescrit par le spécialiste.",
        ],
        attachment: None,
    },
    LetterKind {
        senders: &[9],
        subject: "Compte rendu opératoire — {patient}",
        paragraphs: &[
            "{patient} a bénéficié d'une prothèse totale de hanche droite, sans complication per-opératoire.",
            "Les suites sont simples. Anticoagulation préventive pendant 35 jours, ablation des agrafes à J15 par l'infirmière à domicile.",
        ],
        attachment: Some(("CR_operatoire.pdf", "application/pdf")),
    },
];

pub const REPLIES: &[&str] = &[
    "Merci pour ce retour détaillé. Je vois le patient la semaine prochaine et vous tiens informé(e).",
    "Bien reçu, merci. J'ai adapté le traitement en conséquence.",
    "Merci. Pouvez-vous me préciser la posologie retenue à la sortie ?",
    "Je vous confirme le rendez-vous. Le dossier est complet.",
    "Merci, je transmets à l'équipe infirmière.",
];

pub const CLOSINGS: &[&str] = &[
    "Bien confraternellement,",
    "Bien cordialement,",
    "Avec mes remerciements,",
];
