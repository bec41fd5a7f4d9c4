"""Opinion request messages. They name the request by its reference and the people by
name; no health detail but, in a message to the doctor about a draft, its reason (what the
patient chose to tell before paying) and the thread's messages themselves."""

from domain.templates import Templates

OPINION_TEMPLATES: Templates = {
    "opinion_transmitted": {
        "en": ("New paid opinion request {reference}",
               "Hello {first_name},\n\n{patient_name} ({patient_esame_id}) has paid for a "
               "medical opinion ({reference}). Your answer is due by {due_at}.\n"
               "Sign in to read it:\n{sign_in_url}"),
        "fr": ("Nouvelle demande d'avis payée {reference}",
               "Bonjour {first_name},\n\n{patient_name} ({patient_esame_id}) a payé une "
               "demande d'avis médical ({reference}). Votre réponse est attendue avant le "
               "{due_at}.\nConnectez-vous pour la lire :\n{sign_in_url}"),
    },
    "opinion_transmitted_sms": {
        "en": ("", "E-same: new paid opinion request {reference} from {patient_name}, "
                   "answer due by {due_at}."),
        "fr": ("", "E-same : nouvelle demande d'avis {reference} de {patient_name}, réponse "
                   "attendue avant le {due_at}."),
    },
    "opinion_reminder": {
        "en": ("Reminder: opinion request {reference} is due by {due_at}",
               "Hello {first_name},\n\nThe opinion request {reference} of {patient_name} "
               "awaits your answer, due by {due_at}. Past that it is refunded to the "
               "patient.\n{sign_in_url}"),
        "fr": ("Rappel : la demande d'avis {reference} est attendue avant le {due_at}",
               "Bonjour {first_name},\n\nLa demande d'avis {reference} de {patient_name} "
               "attend votre réponse avant le {due_at}. Passé ce délai, le patient est "
               "remboursé.\n{sign_in_url}"),
    },
    "opinion_question": {
        "en": ("Dr {doctor_name} asks you a question ({reference})",
               "Hello {first_name},\n\nDr {doctor_name} needs more information to answer "
               "your opinion request {reference}. Reply in its messages:\n{sign_in_url}"),
        "fr": ("Le Dr {doctor_name} vous pose une question ({reference})",
               "Bonjour {first_name},\n\nLe Dr {doctor_name} a besoin de précisions pour "
               "répondre à votre demande d'avis {reference}. Répondez dans ses messages :\n"
               "{sign_in_url}"),
    },
    "opinion_answered": {
        "en": ("Dr {doctor_name} has answered ({reference})",
               "Hello {first_name},\n\nDr {doctor_name} has answered your opinion request "
               "{reference}. You can read the answer and its prescriptions, and ask "
               "follow-up questions until {follow_up_until}:\n{sign_in_url}"),
        "fr": ("Le Dr {doctor_name} a répondu ({reference})",
               "Bonjour {first_name},\n\nLe Dr {doctor_name} a répondu à votre demande "
               "d'avis {reference}. Lisez sa réponse et ses ordonnances, et posez vos "
               "questions jusqu'au {follow_up_until} :\n{sign_in_url}"),
    },
    "opinion_declined": {
        "en": ("Dr {doctor_name} declined your request {reference}: refunded",
               "Hello {first_name},\n\nDr {doctor_name} could not take your opinion request "
               "{reference}. You are refunded in full ({price}); the reason is in its "
               "messages:\n{sign_in_url}"),
        "fr": ("Le Dr {doctor_name} a décliné votre demande {reference} : remboursée",
               "Bonjour {first_name},\n\nLe Dr {doctor_name} n'a pas pu prendre votre "
               "demande d'avis {reference}. Vous êtes remboursé intégralement ({price}) ; "
               "la raison est dans ses messages :\n{sign_in_url}"),
    },
    "opinion_expired": {
        "en": ("Your request {reference} was not answered in time: refunded",
               "Hello {first_name},\n\nYour opinion request {reference} to Dr {doctor_name} "
               "was not answered in time. You are refunded in full ({price}).\n"
               "{sign_in_url}"),
        "fr": ("Votre demande {reference} n'a pas eu de réponse à temps : remboursée",
               "Bonjour {first_name},\n\nVotre demande d'avis {reference} au Dr "
               "{doctor_name} n'a pas eu de réponse dans le délai. Vous êtes remboursé "
               "intégralement ({price}).\n{sign_in_url}"),
    },
    "opinion_message": {
        "en": ("New message about {reference} from {author_name}",
               "Hello {first_name},\n\n{author_name} wrote about the opinion request "
               "{reference} ({reason}):\n\n{text}\n\nReply here:\n{sign_in_url}"),
        "fr": ("Nouveau message sur {reference} de {author_name}",
               "Bonjour {first_name},\n\n{author_name} a écrit au sujet de la demande "
               "d'avis {reference} ({reason}) :\n\n{text}\n\nRépondez ici :\n{sign_in_url}"),
    },
}
