"""Account messages: validation link, reminders, verification code, invitations."""

from domain.templates import Templates

ACCOUNT_TEMPLATES: Templates = {
    "account_validation": {
        "en": (
            "Confirm your E-same account",
            "Hello {first_name},\n\nConfirm your email address to activate your E-same "
            "account:\n{validation_url}\n\nThis link expires on {expires_at}.",
        ),
        "fr": (
            "Confirmez votre compte E-same",
            "Bonjour {first_name},\n\nConfirmez votre adresse e-mail pour activer votre "
            "compte E-same :\n{validation_url}\n\nCe lien expire le {expires_at}.",
        ),
    },
}
