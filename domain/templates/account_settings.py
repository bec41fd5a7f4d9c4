"""Account settings messages: the password reset link.

Each template is filled from `data` (str.format); the variables are named in the body.
"""

from domain.templates import Templates

ACCOUNT_SETTINGS_TEMPLATES: Templates = {
    "password_reset": {
        "en": (
            "Reset your E-same password",
            "Hello {first_name},\n\nSomeone (perhaps you) asked to reset the password of your "
            "E-same account. Choose a new password here:\n{reset_url}\n\nThis link works once, "
            "until {expires_at}. If it was not you, ignore this message: your password stays "
            "as it is.",
        ),
        "fr": (
            "Réinitialisez votre mot de passe E-same",
            "Bonjour {first_name},\n\nQuelqu'un (peut-être vous) a demandé à réinitialiser le "
            "mot de passe de votre compte E-same. Choisissez un nouveau mot de passe ici :\n"
            "{reset_url}\n\nCe lien ne sert qu'une fois, jusqu'au {expires_at}. Si ce n'était "
            "pas vous, ignorez ce message : votre mot de passe ne change pas.",
        ),
    },
}
