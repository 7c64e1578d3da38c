//! E-mail texts, in French and English, as plain text and HTML.
//!
//! Every message ends with the "erase my data" link. HTML output escapes every value that came from a
//! person. Links point to the front end with the token in the fragment (see [`crate::config::Config::link_url`]).

use super::{MailLink, OutgoingMail};
use crate::domain::{Email, FirstName, Locale};

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The sign-in (or first verification) e-mail.
pub struct SignIn<'a> {
    pub to: &'a Email,
    pub first_name: &'a FirstName,
    pub locale: Locale,
    /// True for a registration not yet confirmed.
    pub first_time: bool,
    pub verify_url: &'a str,
    pub erase_url: &'a str,
    /// How long the sign-in link stays valid, in hours.
    pub valid_hours: i64,
}

impl SignIn<'_> {
    pub fn render(&self) -> OutgoingMail {
        let name = self.first_name.as_str();
        let h = self.valid_hours;
        let (subject, greeting, intro, button, validity, ignore, erase_intro, erase_label, footer) = match self.locale {
            Locale::Fr => (
                if self.first_time { "Confirmez votre adresse e-mail – Entraide" } else { "Votre lien de connexion – Entraide" },
                format!("Bonjour {name},"),
                if self.first_time {
                    "Merci de rejoindre Entraide. Pour confirmer votre adresse et activer votre compte, ouvrez ce lien :"
                } else {
                    "Voici votre lien pour vous connecter à Entraide :"
                },
                if self.first_time { "Confirmer mon adresse" } else { "Me connecter" },
                format!("Ce lien est valable {h} heure{} et ne fonctionne qu'une fois.", if h > 1 { "s" } else { "" }),
                "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : sans confirmation, vos données sont effacées automatiquement.",
                "Vous pouvez effacer toutes vos données à tout moment :",
                "Effacer mes données",
                "Entraide ne conserve que le minimum (prénom, code postal, catégorie professionnelle générique) et l'efface dès que l'aide est organisée.",
            ),
            Locale::En => (
                if self.first_time { "Confirm your e-mail address – Entraide" } else { "Your sign-in link – Entraide" },
                format!("Hello {name},"),
                if self.first_time {
                    "Thank you for joining Entraide. To confirm your address and activate your account, open this link:"
                } else {
                    "Here is your link to sign in to Entraide:"
                },
                if self.first_time { "Confirm my address" } else { "Sign in" },
                format!("This link is valid for {h} hour{} and works only once.", if h > 1 { "s" } else { "" }),
                "If you did not ask for this, ignore this message: without confirmation, your data is erased automatically.",
                "You can erase all your data at any time:",
                "Erase my data",
                "Entraide keeps only the minimum (first name, postal code, a generic professional category) and erases it as soon as the help is arranged.",
            ),
        };
        let text = format!(
            "{greeting}\n\n{intro}\n{verify}\n\n{validity}\n{ignore}\n\n{erase_intro}\n{erase}\n\n--\n{footer}\n",
            verify = self.verify_url,
            erase = self.erase_url,
        );
        let lang = match self.locale {
            Locale::Fr => "fr",
            Locale::En => "en",
        };
        let html = format!(
            r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{subject}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1a1a1a;max-width:36rem;margin:auto;padding:1rem">
<p>{greeting}</p>
<p>{intro}</p>
<p><a href="{verify}" style="display:inline-block;background:#0b4f9c;color:#ffffff;padding:.75rem 1.25rem;border-radius:.375rem;text-decoration:none">{button}</a></p>
<p>{validity}<br>{ignore}</p>
<hr>
<p>{erase_intro} <a href="{erase}" style="color:#0b4f9c">{erase_label}</a></p>
<p style="font-size:.875rem;color:#444">{footer}</p>
</body></html>"#,
            subject = escape_html(subject),
            greeting = escape_html(&greeting),
            verify = escape_html(self.verify_url),
            erase = escape_html(self.erase_url),
        );
        OutgoingMail {
            to: self.to.clone(),
            subject: subject.to_owned(),
            text,
            html,
            links: vec![
                MailLink { purpose: "verify".into(), url: self.verify_url.to_owned() },
                MailLink { purpose: "erase".into(), url: self.erase_url.to_owned() },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(locale: Locale, first_time: bool, name: &str) -> OutgoingMail {
        let to = Email::parse("a@example.org").unwrap();
        let first_name = FirstName::parse(name).unwrap();
        SignIn {
            to: &to,
            first_name: &first_name,
            locale,
            first_time,
            verify_url: "https://x/link#v",
            erase_url: "https://x/link#e",
            valid_hours: 24,
        }
        .render()
    }

    #[test]
    fn every_mail_has_both_links_in_text_and_html() {
        for locale in [Locale::Fr, Locale::En] {
            for first_time in [true, false] {
                let m = mail(locale, first_time, "Léa");
                for url in ["https://x/link#v", "https://x/link#e"] {
                    assert!(m.text.contains(url) && m.html.contains(url));
                }
                assert_eq!(m.links.len(), 2);
            }
        }
        assert!(mail(Locale::Fr, true, "Léa").subject.contains("Confirmez"));
        assert!(mail(Locale::En, false, "Léa").subject.contains("sign-in"));
    }

    #[test]
    fn names_are_escaped_in_html() {
        let m = mail(Locale::En, true, "Bob<script>");
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("Bob&lt;script&gt;"));
    }
}
