"""Pharmacy order messages. No clinical detail in any of them: the order's reference, the
pharmacy, amounts and times, never a drug, a dosage or a prescription."""

from domain.templates import Templates

PHARMACY_TEMPLATES: Templates = {
    "proforma_issued": {
        "en": ("Your pro-forma from {pharmacy} is ready",
               "Hello {first_name},\n\n{pharmacy} has answered your request {reference}: "
               "{available_lines} of {lines} lines available, {total} in all. The pro-forma "
               "is valid until {valid_until}; order from it in the E-same app."),
        "fr": ("Votre pro-forma de {pharmacy} est prêt",
               "Bonjour {first_name},\n\n{pharmacy} a répondu à votre demande {reference} : "
               "{available_lines} lignes disponibles sur {lines}, {total} au total. Le "
               "pro-forma est valable jusqu'au {valid_until} ; commandez dans l'application "
               "E-same."),
    },
    "order_validated": {
        "en": ("{pharmacy} has validated your order",
               "Hello {first_name},\n\n{pharmacy} has checked its stock for your order "
               "{reference} and keeps it for you until {reserved_until}. Pay {price} "
               "here:\n{payment_url}"),
        "fr": ("{pharmacy} a validé votre commande",
               "Bonjour {first_name},\n\n{pharmacy} a vérifié son stock pour votre commande "
               "{reference} et vous la réserve jusqu'au {reserved_until}. Payez {price} "
               "ici :\n{payment_url}"),
    },
    "order_rejected": {
        "en": ("{pharmacy} cannot serve your order",
               "Hello {first_name},\n\n{pharmacy} cannot serve your order {reference}: "
               "{reason}\nYour prescriptions are free to send to another pharmacy."),
        "fr": ("{pharmacy} ne peut pas servir votre commande",
               "Bonjour {first_name},\n\n{pharmacy} ne peut pas servir votre commande "
               "{reference} : {reason}\nVos ordonnances peuvent être envoyées à une autre "
               "pharmacie."),
    },
    "order_paid": {
        "en": ("Your order {reference} is paid: your pickup code",
               "Hello {first_name},\n\nYour payment of {price} for the order {reference} "
               "is received. Collect it at {pharmacy} with this code (it works once):\n"
               "{pickup_code}\n\nCollect it before {collect_before}."),
        "fr": ("Votre commande {reference} est payée : votre code de retrait",
               "Bonjour {first_name},\n\nVotre paiement de {price} pour la commande "
               "{reference} est reçu. Retirez-la à la {pharmacy} avec ce code (valable une "
               "fois) :\n{pickup_code}\n\nRetirez-la avant le {collect_before}."),
    },
    "pickup_code_renewed": {
        "en": ("Your new pickup code for {reference}",
               "Hello {first_name},\n\nHere is your new code to collect the order "
               "{reference} at {pharmacy}; the previous one no longer works:\n{pickup_code}"),
        "fr": ("Votre nouveau code de retrait pour {reference}",
               "Bonjour {first_name},\n\nVoici votre nouveau code pour retirer la commande "
               "{reference} à la {pharmacy} ; l'ancien ne fonctionne plus :\n{pickup_code}"),
    },
    "pickup_code_sms": {
        "en": ("", "E-same: order {reference} at {pharmacy}, pickup code {pickup_code}"),
        "fr": ("", "E-same : commande {reference} à la {pharmacy}, code de retrait "
                   "{pickup_code}"),
    },
    "pickup_reminder": {
        "en": ("Your order {reference} is waiting at {pharmacy}",
               "Hello {first_name},\n\nYour paid order {reference} is waiting for you at "
               "{pharmacy} until {collect_before}; after that it is refunded."),
        "fr": ("Votre commande {reference} vous attend à la {pharmacy}",
               "Bonjour {first_name},\n\nVotre commande payée {reference} vous attend à la "
               "{pharmacy} jusqu'au {collect_before} ; ensuite elle est remboursée."),
    },
    "pharmacy_order_expired": {
        "en": ("Your pharmacy request {reference} has expired",
               "Hello {first_name},\n\nYour request {reference} at {pharmacy} has expired: "
               "{why}{refund}\nYour prescriptions are free to send again."),
        "fr": ("Votre demande en pharmacie {reference} a expiré",
               "Bonjour {first_name},\n\nVotre demande {reference} à la {pharmacy} a "
               "expiré : {why}{refund}\nVos ordonnances peuvent être envoyées à nouveau."),
    },
    "late_payment_refunded": {
        "en": ("Your late payment for {reference} is refunded",
               "Hello {first_name},\n\nYour payment for the order {reference} at {pharmacy} "
               "arrived after the order had expired: it is refunded in full."),
        "fr": ("Votre paiement tardif pour {reference} est remboursé",
               "Bonjour {first_name},\n\nVotre paiement pour la commande {reference} à la "
               "{pharmacy} est arrivé après l'expiration de la commande : il vous est "
               "remboursé intégralement."),
    },
    "pharmacy_order_expired_staff": {
        "en": ("Order {reference} has expired",
               "Hello {first_name},\n\nThe order {reference} of {patient_name} has expired: "
               "{why} The stock you reserved for it is free again."),
        "fr": ("La commande {reference} a expiré",
               "Bonjour {first_name},\n\nLa commande {reference} de {patient_name} a expiré : "
               "{why} Le stock réservé pour elle est de nouveau libre."),
    },
}

# {why} of an expiry, per deadline, in the reader's language.
EXPIRY_WHY = {
    "not_quoted": {"en": "the pharmacy did not answer in time.",
                   "fr": "la pharmacie n'a pas répondu à temps."},
    "not_ordered": {"en": "the pro-forma was not ordered while it was valid.",
                    "fr": "le pro-forma n'a pas été commandé pendant sa validité."},
    "not_validated": {"en": "the pharmacy did not check its stock in time.",
                      "fr": "la pharmacie n'a pas vérifié son stock à temps."},
    "not_paid": {"en": "it was not paid in time.",
                 "fr": "elle n'a pas été payée à temps."},
    "not_collected": {"en": "it was not collected in time.",
                      "fr": "elle n'a pas été retirée à temps."},
}
