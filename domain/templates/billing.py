"""Billing messages: subscription activated, renewal reminder and payment link, end, expiry,
and the note when an SMS went by email for want of SMS balance."""

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
               "Your {plan} subscription is due: {amount}. Pay here: {checkout_url} "
               "{instructions}"),
        "fr": ("Renouvelez votre formule E-same {plan}",
               "Votre abonnement {plan} est à renouveler : {amount}. Payez ici : "
               "{checkout_url} {instructions}"),
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
