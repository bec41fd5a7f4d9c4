"""Professional verification messages: the decision told to the doctor or pharmacist, and
the admins' reminder of a licence still unchecked. No health data in any of them."""

from domain.templates import Templates

PROFESSIONAL_TEMPLATES: Templates = {
    "professional_verified": {
        "en": (
            "Your E-same professional account is verified",
            "Hello {first_name},\n\nAn E-same administrator has checked your licence "
            "({credential}): you now appear to patients as a {role} and can work on E-same.\n"
            "Sign in here:\n{sign_in_url}",
        ),
        "fr": (
            "Votre compte professionnel E-same est vérifié",
            "Bonjour {first_name},\n\nUn administrateur E-same a vérifié votre licence "
            "({credential}) : les patients vous trouvent désormais comme {role} et vous "
            "pouvez exercer sur E-same.\nConnectez-vous ici :\n{sign_in_url}",
        ),
    },
    "professional_refused": {
        "en": (
            "Your E-same professional account could not be verified",
            "Hello {first_name},\n\nAn E-same administrator could not verify your licence "
            "({credential}), for this reason:\n{reason}\n\nYour account stays open, but you do "
            "not appear to patients and cannot work on E-same as a {role}. To appeal, "
            "reply to this message with your documents.",
        ),
        "fr": (
            "Votre compte professionnel E-same n'a pas pu être vérifié",
            "Bonjour {first_name},\n\nUn administrateur E-same n'a pas pu vérifier votre "
            "licence ({credential}), pour la raison suivante :\n{reason}\n\nVotre compte reste "
            "ouvert, mais les patients ne vous trouvent pas et vous ne pouvez pas exercer "
            "sur E-same comme {role}. Pour contester, répondez à ce message avec vos "
            "justificatifs.",
        ),
    },
    "professional_verification_reminder": {
        "en": (
            "A professional is waiting for the check of their licence",
            "Hello {first_name},\n\n{professional_name} ({role}, {credential}) registered "
            "on {submitted_at} and is waiting for an administrator to check their licence. "
            "The professionals to check:\n{professionals_url}",
        ),
        "fr": (
            "Un professionnel attend la vérification de sa licence",
            "Bonjour {first_name},\n\n{professional_name} ({role}, {credential}) s'est "
            "inscrit le {submitted_at} et attend qu'un administrateur vérifie sa licence. "
            "Les professionnels à vérifier :\n{professionals_url}",
        ),
    },
}


# {role} in the reader's language.
ROLE_NAMES = {
    "doctor": {"en": "doctor", "fr": "médecin"},
    "pharmacist": {"en": "pharmacist", "fr": "pharmacien"},
}
