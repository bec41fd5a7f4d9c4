"""Appointment messages, to the patient and to the doctor. They name the reference, the
doctor or the patient, the type and the time in the recipient's timezone; never the reason
the patient gave (health data)."""

from domain.templates import Templates

APPOINTMENT_TEMPLATES: Templates = {
    "appointment_confirmed": {
        "en": ("Appointment {reference} confirmed",
               "Your {type_label} {reference} with {doctor} is confirmed for {when} "
               "({timezone}). {where}"),
        "fr": ("Rendez-vous {reference} confirmé",
               "Votre {type_label} {reference} avec {doctor} est confirmé pour le {when} "
               "({timezone}). {where}"),
    },
    "appointment_reminder": {
        "en": ("Reminder: appointment {reference} on {when}",
               "Reminder: your {type_label} {reference} with {doctor} is on {when} "
               "({timezone}). {where}"),
        "fr": ("Rappel : rendez-vous {reference} le {when}",
               "Rappel : votre {type_label} {reference} avec {doctor} a lieu le {when} "
               "({timezone}). {where}"),
    },
    "appointment_canceled": {
        "en": ("Appointment {reference} canceled",
               "Your {type_label} {reference} with {doctor} on {when} ({timezone}) is "
               "canceled{by}. {refund}"),
        "fr": ("Rendez-vous {reference} annulé",
               "Votre {type_label} {reference} avec {doctor} du {when} ({timezone}) est "
               "annulé{by}. {refund}"),
    },
    "appointment_rescheduled": {
        "en": ("Appointment {reference} moved to {when}",
               "Your {type_label} {reference} with {doctor} is moved to {when} "
               "({timezone}). {where}"),
        "fr": ("Rendez-vous {reference} déplacé au {when}",
               "Votre {type_label} {reference} avec {doctor} est déplacé au {when} "
               "({timezone}). {where}"),
    },
    "appointment_expired": {
        "en": ("Appointment {reference} not booked",
               "Your {type_label} {reference} with {doctor} on {when} ({timezone}) was not "
               "paid in time: the slot is free again."),
        "fr": ("Rendez-vous {reference} non réservé",
               "Votre {type_label} {reference} avec {doctor} du {when} ({timezone}) n'a pas "
               "été payé à temps : le créneau est de nouveau libre."),
    },
    "appointment_late_payment_refunded": {
        "en": ("Appointment {reference}: your payment is refunded",
               "Your payment for the {type_label} {reference} with {doctor} on {when} "
               "({timezone}) arrived after the hold ended, and the slot was taken meanwhile: "
               "you are refunded in full. Please book another slot."),
        "fr": ("Rendez-vous {reference} : votre paiement est remboursé",
               "Votre paiement pour la {type_label} {reference} avec {doctor} du {when} "
               "({timezone}) est arrivé après la fin de la réservation, et le créneau a été "
               "pris entre-temps : vous êtes remboursé intégralement. Choisissez un autre "
               "créneau."),
    },
    "appointment_completed": {
        "en": ("Your consultation {reference} with {doctor}",
               "Your consultation {reference} with {doctor} is written in your E-same "
               "record, with its prescriptions."),
        "fr": ("Votre consultation {reference} avec {doctor}",
               "Votre consultation {reference} avec {doctor} est dans votre dossier E-same, "
               "avec ses ordonnances."),
    },
    # To the doctor.
    "doctor_appointment_booked": {
        "en": ("New appointment {reference} on {when}",
               "{patient} booked a {type_label} ({reference}) on {when} ({timezone})."),
        "fr": ("Nouveau rendez-vous {reference} le {when}",
               "{patient} a réservé une {type_label} ({reference}) le {when} ({timezone})."),
    },
    "doctor_appointment_canceled": {
        "en": ("Appointment {reference} canceled",
               "The {type_label} {reference} with {patient} on {when} ({timezone}) is "
               "canceled{by}."),
        "fr": ("Rendez-vous {reference} annulé",
               "La {type_label} {reference} avec {patient} du {when} ({timezone}) est "
               "annulée{by}."),
    },
    "doctor_appointment_rescheduled": {
        "en": ("Appointment {reference} moved to {when}",
               "{patient} moved the {type_label} {reference} to {when} ({timezone})."),
        "fr": ("Rendez-vous {reference} déplacé au {when}",
               "{patient} a déplacé la {type_label} {reference} au {when} ({timezone})."),
    },
}

# {type_label} by language
TYPE_LABELS = {
    "en": {"teleconsultation": "teleconsultation", "office": "office appointment",
           "emergency": "emergency appointment"},
    "fr": {"teleconsultation": "téléconsultation", "office": "consultation au cabinet",
           "emergency": "consultation d'urgence"},
}
CANCELED_BY = {
    "en": {"patient": " by the patient", "doctor": " by the doctor",
           "doctor_absent": ": the doctor could not join", "plan": ": your plan no longer "
           "includes this service"},
    "fr": {"patient": " par le patient", "doctor": " par le médecin",
           "doctor_absent": " : le médecin n'a pas pu se connecter",
           "plan": " : votre formule n'inclut plus ce service"},
}
REFUND = {
    "en": {True: "You are refunded in full.", False: "This late cancellation is not refunded."},
    "fr": {True: "Vous êtes remboursé intégralement.",
           False: "Cette annulation tardive n'est pas remboursée."},
}
WHERE = {
    "en": {"teleconsultation": "Join the video call from the appointment's page, 10 minutes "
                               "before.", "office": "At: {address}.",
           "emergency": "At: {address}."},
    "fr": {"teleconsultation": "Rejoignez l'appel vidéo depuis la page du rendez-vous, "
                               "10 minutes avant.", "office": "Adresse : {address}.",
           "emergency": "Adresse : {address}."},
}
