"""Billing messages: subscription activated, renewal reminder, renewal charged to the saved
card, renewal payment link (also after the saved card was refused), end, expiry, and the
note when an SMS went by email for want of SMS balance."""

from domain.templates import Templates

BILLING_TEMPLATES: Templates = {
    "subscription_activated": {
        "en": ("Your E-same {plan} plan is active",
               "Your {plan} subscription is active. Thank you!"),
        "fr": ("Votre formule E-same {plan} est active",
               "Votre abonnement {plan} est actif. Merci !"),
    },
    "renewal_reminder": {
        "en": ("Your E-same {plan} plan renews soon",
               "Your {plan} subscription renews on {period_end} for {amount}. "
               "To stop it, cancel before that date."),
        "fr": ("Votre formule E-same {plan} sera bientôt renouvelée",
               "Votre abonnement {plan} sera renouvelé le {period_end} pour {amount}. "
               "Pour l'arrêter, résiliez avant cette date."),
    },
    "renewal_payment_link": {
        "en": ("Renew your E-same {plan} plan",
               "Your {plan} subscription is due: {amount}. Pay here: {payment_url} "
               "{instructions}"),
        "fr": ("Renouvelez votre formule E-same {plan}",
               "Votre abonnement {plan} est à renouveler : {amount}. Payez ici : "
               "{payment_url} {instructions}"),
    },
    "subscription_renewed": {
        "en": ("Your E-same {plan} plan is renewed",
               "Your {plan} subscription is renewed until {period_end}: {amount} was charged "
               "to your saved card (invoice {invoice_number}). Thank you!"),
        "fr": ("Votre formule E-same {plan} est renouvelée",
               "Votre abonnement {plan} est renouvelé jusqu'au {period_end} : {amount} ont "
               "été prélevés sur votre carte enregistrée (facture {invoice_number}). Merci !"),
    },
    "renewal_card_declined": {
        "en": ("Your card was refused: renew your E-same {plan} plan",
               "We could not charge your saved card for your {plan} subscription: the card "
               "was refused. Your plan still applies for a few days. To renew it ({amount}), "
               "pay here: {payment_url} {instructions}"),
        "fr": ("Votre carte a été refusée : renouvelez votre formule E-same {plan}",
               "Nous n'avons pas pu débiter votre carte enregistrée pour votre abonnement "
               "{plan} : la carte a été refusée. Votre formule reste active quelques jours. "
               "Pour la renouveler ({amount}), payez ici : {payment_url} {instructions}"),
    },
    "subscription_ended": {
        "en": ("Your E-same {plan} plan has ended",
               "Your {plan} subscription has ended as you asked. You are on the free plan."),
        "fr": ("Votre formule E-same {plan} est terminée",
               "Votre abonnement {plan} est terminé comme demandé. Vous êtes sur l'offre "
               "gratuite."),
    },
    "subscription_expired": {
        "en": ("Your E-same {plan} plan has expired",
               "We did not receive the renewal payment of your {plan} subscription: it has "
               "expired. Subscribe again at any time."),
        "fr": ("Votre formule E-same {plan} a expiré",
               "Nous n'avons pas reçu le paiement du renouvellement de votre abonnement "
               "{plan} : il a expiré. Vous pouvez vous réabonner à tout moment."),
    },
}
