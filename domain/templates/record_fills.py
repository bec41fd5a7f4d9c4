"""Record fill messages: the doctor told the record is open to them, the patient told what
was added, both told when the time ran out. Names and counts only: never an entry."""

from domain.templates import Templates

RECORD_FILL_TEMPLATES: Templates = {
    "record_fill_opened": {
        "en": (
            "A patient asks you to fill in their record ({reference})",
            "Hello {first_name},\n\n{patient_name} ({patient_esame_id}) has paid for you to "
            "fill in their medical record on E-same ({reference}). You can read it and add "
            "antecedents, allergies and treatments until {ends_at}; then say it is done.\n"
            "Sign in here:\n{sign_in_url}",
        ),
        "fr": (
            "Un patient vous demande de remplir son dossier ({reference})",
            "Bonjour {first_name},\n\n{patient_name} ({patient_esame_id}) a payé pour que "
            "vous remplissiez son dossier médical sur E-same ({reference}). Vous pouvez le "
            "lire et y ajouter antécédents, allergies et traitements jusqu'au {ends_at}, "
            "puis indiquer que c'est terminé.\nConnectez-vous ici :\n{sign_in_url}",
        ),
    },
    "record_fill_completed": {
        "en": (
            "{doctor_name} has filled in your record ({reference})",
            "Hello {first_name},\n\n{doctor_name} has finished filling in your medical "
            "record ({reference}). Added: {antecedents} antecedent(s), {allergies} "
            "allergy(ies), {treatments} treatment(s). Their access to your record has "
            "ended. You can read (and remove) these entries in your record:\n{sign_in_url}",
        ),
        "fr": (
            "{doctor_name} a rempli votre dossier ({reference})",
            "Bonjour {first_name},\n\n{doctor_name} a terminé de remplir votre dossier "
            "médical ({reference}). Ajouts : {antecedents} antécédent(s), {allergies} "
            "allergie(s), {treatments} traitement(s). Son accès à votre dossier a pris fin. "
            "Vous pouvez lire (et supprimer) ces entrées dans votre dossier :\n{sign_in_url}",
        ),
    },
    "record_fill_expired": {
        "en": (
            "Your record fill has expired and is refunded ({reference})",
            "Hello {first_name},\n\n{doctor_name} did not complete the filling in of your "
            "record ({reference}) in time. Their access has ended and you are refunded "
            "in full ({price}). What they added stays in your record:\n{sign_in_url}",
        ),
        "fr": (
            "Votre demande de remplissage a expiré et est remboursée ({reference})",
            "Bonjour {first_name},\n\n{doctor_name} n'a pas terminé à temps le remplissage "
            "de votre dossier ({reference}). Son accès a pris fin et vous êtes remboursé "
            "intégralement ({price}). Ce qui a été ajouté reste dans votre dossier :\n"
            "{sign_in_url}",
        ),
    },
    "record_fill_expired_doctor": {
        "en": (
            "Your access to a patient's record has ended ({reference})",
            "Hello {first_name},\n\nThe filling in of the record of {patient_name} "
            "({patient_esame_id}, {reference}) was not completed in time: your access has "
            "ended and the patient is refunded.",
        ),
        "fr": (
            "Votre accès au dossier d'un patient a pris fin ({reference})",
            "Bonjour {first_name},\n\nLe remplissage du dossier de {patient_name} "
            "({patient_esame_id}, {reference}) n'a pas été terminé à temps : votre accès a "
            "pris fin et le patient est remboursé.",
        ),
    },
}
