"""Account messages: validation link, reminders, verification code, invitations, doctors.

Each template is filled from `data` (str.format); the variables are named in the body.
"""

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
    "account_validation_reminder": {
        "en": (
            "Reminder: confirm your E-same account",
            "Hello {first_name},\n\nYour E-same account is waiting for your confirmation:\n"
            "{validation_url}\n\nWithout it, the account is deleted on {expires_at}.",
        ),
        "fr": (
            "Rappel : confirmez votre compte E-same",
            "Bonjour {first_name},\n\nVotre compte E-same attend votre confirmation :\n"
            "{validation_url}\n\nSans confirmation, le compte sera supprimé le {expires_at}.",
        ),
    },
    "profile_reminder": {
        "en": (
            "Complete your E-same profile",
            "Hello {first_name},\n\nYour email is confirmed. Complete your profile to "
            "finish activating your account:\n{profile_url}",
        ),
        "fr": (
            "Complétez votre profil E-same",
            "Bonjour {first_name},\n\nVotre adresse est confirmée. Complétez votre profil "
            "pour terminer l'activation de votre compte :\n{profile_url}",
        ),
    },
    "verification_code": {
        "en": (
            "Your E-same verification code",
            "Hello {first_name},\n\nYour verification code is {code}. It expires at "
            "{expires_at}.",
        ),
        "fr": (
            "Votre code de vérification E-same",
            "Bonjour {first_name},\n\nVotre code de vérification est {code}. Il expire à "
            "{expires_at}.",
        ),
    },
    "account_exists": {
        "en": (
            "Someone tried to register with your email",
            "Hello {first_name},\n\nSomeone (perhaps you) tried to create an E-same account "
            "with this email address, which already has one. Sign in here:\n{sign_in_url}\n\n"
            "If it was not you, you can ignore this message.",
        ),
        "fr": (
            "Tentative d'inscription avec votre adresse",
            "Bonjour {first_name},\n\nQuelqu'un (peut-être vous) a tenté de créer un compte "
            "E-same avec cette adresse, qui en a déjà un. Connectez-vous ici :\n{sign_in_url}"
            "\n\nSi ce n'était pas vous, ignorez ce message.",
        ),
    },
    "platform_invitation": {
        "en": (
            "{inviter_name} invites you to E-same",
            "Hello,\n\n{inviter_name} invites you to join E-same, telemedicine for patients "
            "in Cameroon and their families.\nCreate your account:\n{register_url}",
        ),
        "fr": (
            "{inviter_name} vous invite sur E-same",
            "Bonjour,\n\n{inviter_name} vous invite à rejoindre E-same, la télémédecine pour "
            "les patients au Cameroun et leurs familles.\nCréez votre compte :\n{register_url}",
        ),
    },
    "platform_invitation_reminder": {
        "en": (
            "Reminder: {inviter_name} invites you to E-same",
            "Hello,\n\n{inviter_name}'s invitation to E-same is still open until "
            "{expires_at}:\n{register_url}",
        ),
        "fr": (
            "Rappel : {inviter_name} vous invite sur E-same",
            "Bonjour,\n\nL'invitation de {inviter_name} sur E-same est valable jusqu'au "
            "{expires_at} :\n{register_url}",
        ),
    },
    "doctor_invitation": {
        "en": (
            "A patient asks you to be their doctor",
            "Hello Dr {doctor_name},\n\n{patient_name} ({patient_esame_id}) asks you to be "
            "one of their doctors on E-same. Accept or decline here:\n{invitations_url}\n\n"
            "The request expires on {expires_at}.",
        ),
        "fr": (
            "Un patient vous demande d'être son médecin",
            "Bonjour Dr {doctor_name},\n\n{patient_name} ({patient_esame_id}) vous demande "
            "d'être l'un de ses médecins sur E-same. Acceptez ou refusez ici :\n"
            "{invitations_url}\n\nLa demande expire le {expires_at}.",
        ),
    },
    "doctor_invitation_reminder": {
        "en": (
            "Reminder: a patient is waiting for your answer",
            "Hello Dr {doctor_name},\n\n{patient_name} ({patient_esame_id}) is waiting for "
            "your answer:\n{invitations_url}\n\nThe request expires on {expires_at}.",
        ),
        "fr": (
            "Rappel : un patient attend votre réponse",
            "Bonjour Dr {doctor_name},\n\n{patient_name} ({patient_esame_id}) attend votre "
            "réponse :\n{invitations_url}\n\nLa demande expire le {expires_at}.",
        ),
    },
    "doctor_invitation_accepted": {
        "en": (
            "Dr {doctor_name} accepted your request",
            "Hello {patient_name},\n\nDr {doctor_name} is now one of your doctors on E-same.",
        ),
        "fr": (
            "Le Dr {doctor_name} a accepté votre demande",
            "Bonjour {patient_name},\n\nLe Dr {doctor_name} fait désormais partie de vos "
            "médecins sur E-same.",
        ),
    },
    "doctor_invitation_declined": {
        "en": (
            "Dr {doctor_name} declined your request",
            "Hello {patient_name},\n\nDr {doctor_name} could not accept your request. You can "
            "choose another doctor in the directory.",
        ),
        "fr": (
            "Le Dr {doctor_name} a décliné votre demande",
            "Bonjour {patient_name},\n\nLe Dr {doctor_name} n'a pas pu accepter votre demande. "
            "Vous pouvez choisir un autre médecin dans l'annuaire.",
        ),
    },
    "doctor_invitation_expired": {
        "en": (
            "Dr {doctor_name} did not answer your request",
            "Hello {patient_name},\n\nDr {doctor_name} did not answer your request in time. "
            "You can ask again or choose another doctor in the directory.",
        ),
        "fr": (
            "Le Dr {doctor_name} n'a pas répondu à votre demande",
            "Bonjour {patient_name},\n\nLe Dr {doctor_name} n'a pas répondu à temps. Vous "
            "pouvez renouveler la demande ou choisir un autre médecin dans l'annuaire.",
        ),
    },
}
