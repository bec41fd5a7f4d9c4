"""Sponsorship messages. The sponsor reads the beneficiary's display name, the doctor, the
date and the refund; never the consultation's content. The beneficiary reads who offered
the consultation and the sponsor's few words. No price in the beneficiary's messages."""

from domain.templates import Templates

SPONSORSHIP_TEMPLATES: Templates = {
    "sponsorship_confirmed": {
        "en": ("Your sponsored consultation for {beneficiary_name} is booked",
               "Hello {first_name},\n\nThank you: your payment went through. "
               "{beneficiary_name} has a consultation ({type}) with {doctor_name} on {start} "
               "(your time). We have told them.\nReference: {reference}."),
        "fr": ("Votre consultation parrainée pour {beneficiary_name} est réservée",
               "Bonjour {first_name},\n\nMerci : votre paiement est accepté. "
               "{beneficiary_name} a une consultation ({type}) avec {doctor_name} le {start} "
               "(votre heure). Nous l'avons prévenu(e).\nRéférence : {reference}."),
    },
    "sponsorship_not_paid": {
        "en": ("Your sponsorship for {beneficiary_name} was not paid",
               "Hello {first_name},\n\nThe payment of your sponsorship {reference} did not go "
               "through in time: the slot with {doctor_name} is free again. You can start "
               "again at any time."),
        "fr": ("Votre parrainage pour {beneficiary_name} n'a pas été payé",
               "Bonjour {first_name},\n\nLe paiement de votre parrainage {reference} n'a pas "
               "abouti à temps : le créneau avec {doctor_name} est de nouveau libre. Vous "
               "pouvez recommencer à tout moment."),
    },
    "sponsorship_canceled": {
        "en": ("The consultation you sponsored for {beneficiary_name} is canceled",
               "Hello {first_name},\n\nThe consultation with {doctor_name} on {start} that "
               "you paid for ({reference}) is canceled. Refund: {refund_status} (to the "
               "payment method you used)."),
        "fr": ("La consultation parrainée pour {beneficiary_name} est annulée",
               "Bonjour {first_name},\n\nLa consultation avec {doctor_name} du {start} que "
               "vous avez offerte ({reference}) est annulée. Remboursement : {refund_status} "
               "(sur le moyen de paiement utilisé)."),
    },
    "sponsorship_offered": {
        "en": ("{sponsor_name} offers you a consultation",
               "Hello {first_name},\n\n{sponsor_name} has paid for a consultation ({type}) "
               "for you with {doctor_name} on {start}. It is in your appointments "
               "({appointment_reference}).\n{message}"),
        "fr": ("{sponsor_name} vous offre une consultation",
               "Bonjour {first_name},\n\n{sponsor_name} vous a offert une consultation "
               "({type}) avec {doctor_name} le {start}. Elle figure dans vos rendez-vous "
               "({appointment_reference}).\n{message}"),
    },
    "sponsorship_offered_sms": {
        # The subject is used when the SMS goes by email (no SMS balance left).
        "en": ("{sponsor_name} offers you a consultation",
               "E-same: {sponsor_name} offers you a consultation with {doctor_name} on "
               "{start} ({appointment_reference})."),
        "fr": ("{sponsor_name} vous offre une consultation",
               "E-same : {sponsor_name} vous offre une consultation avec {doctor_name} le "
               "{start} ({appointment_reference})."),
    },
}
