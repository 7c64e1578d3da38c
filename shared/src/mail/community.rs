//! The e-mail that verifies a community (docs/PRODUCT.md §2.3): sent to a work address, in the member's
//! language, with the one link that proves the member reads that mailbox.
//!
//! It is the one e-mail without an "erase my data" link: it goes to an address that is not the member's
//! contact address and may belong to someone else (a mistyped or borrowed address); whoever reads it may
//! only confirm the verification or ignore it. The address itself is not kept once this mail is handed over.

use super::relay::html_of;
use super::{MailLink, OutgoingMail};
use crate::domain::{Email, FirstName, Locale};

/// The verification mail.
pub struct CommunityCheck<'a> {
    pub to: &'a Email,
    pub first_name: &'a FirstName,
    pub locale: Locale,
    /// The community's label in the member's language.
    pub community: &'a str,
    pub verify_url: &'a str,
}

impl CommunityCheck<'_> {
    pub fn render(&self) -> OutgoingMail {
        let (name, community, url) = (self.first_name.as_str(), self.community, self.verify_url);
        let (subject, text) = match self.locale {
            Locale::Fr => (
                "Vérifiez votre communauté – Entraide".to_owned(),
                format!(
                    "Bonjour {name},\n\n\
                     Vous avez demandé à vérifier votre communauté « {community} » sur Entraide avec cette adresse professionnelle. \
                     Pour la confirmer, ouvrez ce lien (valable 24 heures, une seule fois) :\n{url}\n\n\
                     Entraide ne conserve pas cette adresse : seulement la date de la vérification, valable 12 mois, et une \
                     empreinte chiffrée qui empêche qu'une même adresse vérifie deux comptes.\n\n\
                     Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien n'est enregistré sans ce lien.\n"
                ),
            ),
            Locale::En => (
                "Verify your community – Entraide".to_owned(),
                format!(
                    "Hello {name},\n\n\
                     You asked to verify your community \"{community}\" on Entraide with this work address. \
                     To confirm it, open this link (valid for 24 hours, once):\n{url}\n\n\
                     Entraide does not keep this address: only the date of the verification, valid for 12 months, and a \
                     keyed fingerprint that stops one address verifying two accounts.\n\n\
                     If you did not ask for this, ignore this message: nothing is recorded without this link.\n"
                ),
            ),
        };
        OutgoingMail {
            to: self.to.clone(),
            html: html_of(self.locale, &subject, &text, &[url]),
            subject,
            text,
            links: vec![MailLink { purpose: "verify_community".into(), url: url.to_owned() }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_holds_the_link_in_both_forms_and_escapes_the_name() {
        let to = Email::parse("a.b@gendarmerie.interieur.gouv.fr").unwrap();
        let name = FirstName::parse("Zoé<b>").unwrap_or_else(|_| FirstName::parse("Zoé").unwrap());
        for locale in [Locale::Fr, Locale::En] {
            let m = CommunityCheck { to: &to, first_name: &name, locale, community: "Gendarmerie", verify_url: "https://e.example/link#t" }
                .render();
            assert!(m.text.contains("https://e.example/link#t") && m.html.contains(r#"href="https://e.example/link#t""#));
            assert!(!m.html.contains("<b>"));
            assert_eq!(m.links.len(), 1);
        }
    }
}
