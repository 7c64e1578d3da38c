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
        let lang = self.locale.tag();
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

/// One party of an introduction (of a match, or of a contact through the relay), as the e-mail shows
/// them to the other.
pub struct Party<'a> {
    pub email: &'a Email,
    pub first_name: &'a str,
    /// Only when the person opted in (docs/PRODUCT.md §3: a phone appears only inside the introduction).
    pub phone: Option<&'a str>,
    pub locale: Locale,
}

impl Party<'_> {
    /// How to reach them: `First <address>`, and the phone if they gave one.
    pub fn reach(&self) -> String {
        match self.phone {
            Some(phone) => format!("{} <{}>, {phone}", self.first_name, self.email.as_str()),
            None => format!("{} <{}>", self.first_name, self.email.as_str()),
        }
    }
}

/// What kind of introduction message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntroKind {
    /// The first message, right after the match is approved.
    First,
    /// The day-7 reminder of an introduction nobody answered.
    Reminder,
}

/// The introduction e-mail (docs/PRODUCT.md §2.1 step 5): one text, identical for both parties, naming both, with
/// the safety advice and the confirm / decline links. Each copy ends with its recipient's own "erase my
/// data" link (an erase link must never reach the other person). When the two parties chose different
/// languages, the text is given in both, French first.
pub struct Introduction<'a> {
    pub kind: IntroKind,
    /// The help type's labels (French, English).
    pub help: (&'a str, &'a str),
    pub volunteer: Party<'a>,
    pub requester: Party<'a>,
    /// The request's postal code and town.
    pub area: &'a str,
    pub request_details: &'a str,
    pub offer_details: &'a str,
    pub availability: &'a str,
    /// One age-range label per child (French, English), for child care.
    pub children: Vec<(&'a str, &'a str)>,
    pub distance_km: f64,
    pub confirm_url: &'a str,
    pub decline_url: &'a str,
    /// The day the introduction closes (and its data is erased) without an answer, `YYYY-MM-DD`.
    pub closes_on: &'a str,
}

/// The languages of a text two people both receive: theirs if they share one, else French then English.
pub(crate) fn both_locales(a: &Party<'_>, b: &Party<'_>) -> Vec<Locale> {
    if a.locale == b.locale { vec![a.locale] } else { vec![Locale::Fr, Locale::En] }
}

impl Introduction<'_> {
    fn locales(&self) -> Vec<Locale> {
        both_locales(&self.volunteer, &self.requester)
    }

    /// The subject, the same for both.
    pub fn subject(&self) -> String {
        let parts: Vec<String> = self
            .locales()
            .iter()
            .map(|l| match (l, self.kind) {
                (Locale::Fr, IntroKind::First) => format!("Mise en relation Entraide – {}", self.help.0),
                (Locale::Fr, IntroKind::Reminder) => format!("Rappel : votre mise en relation Entraide – {}", self.help.0),
                (Locale::En, IntroKind::First) => format!("Entraide introduction – {}", self.help.1),
                (Locale::En, IntroKind::Reminder) => format!("Reminder: your Entraide introduction – {}", self.help.1),
            })
            .collect();
        parts.join(" / ")
    }

    /// The shared text, identical for both parties, without any erase link.
    pub fn shared_text(&self) -> String {
        let (r, v) = (&self.requester, &self.volunteer);
        let quoted = |s: &str, none: &str, fr: bool| match (s.trim(), fr) {
            ("", _) => none.to_owned(),
            (s, true) => format!("« {s} »"),
            (s, false) => format!("\u{201c}{s}\u{201d}"),
        };
        let mut out = Vec::new();
        for locale in self.locales() {
            let km = format!("{:.1}", self.distance_km);
            let text = match locale {
                Locale::Fr => {
                    let children = if self.children.is_empty() {
                        String::new()
                    } else {
                        format!("Enfants : {}\n", self.children.iter().map(|c| c.0).collect::<Vec<_>>().join(", "))
                    };
                    let reminder = if self.kind == IntroKind::Reminder {
                        "Nous n'avons pas encore de nouvelles de cette mise en relation.\n\n"
                    } else {
                        ""
                    };
                    format!(
                        "Bonjour {rn} et {vn},\n\n{reminder}Entraide vous met en relation pour : {help}.\n\n\
                         {rn} a besoin d'aide près de {area}. Sa demande : {rd}\n{children}\
                         {vn} propose son aide à environ {km} km. Disponibilités : {av}. Son offre : {od}\n\n\
                         Pour vous joindre :\n- {rc}\n- {vc}\n\n\
                         Conseils de sécurité :\n\
                         - appelez-vous avant de vous rencontrer ;\n\
                         - vérifiez l'identité de l'autre par un appel vidéo ;\n\
                         - préférez une remise sans contact et un paiement sans contact ou par virement, jamais d'avance en espèces.\n\n\
                         Quand l'aide est organisée, confirmez-le : les données de cette mise en relation seront effacées aussitôt.\n\
                         L'aide est organisée : {confirm}\n\n\
                         Cela n'a pas fonctionné ? Dites-le et nous chercherons un autre bénévole (jamais le même) :\n{decline}\n\n\
                         Sans réponse, la mise en relation sera close et ses données effacées le {closes}.\n",
                        rn = r.first_name,
                        vn = v.first_name,
                        help = self.help.0,
                        area = self.area,
                        rd = quoted(self.request_details, "(pas de précision)", true),
                        av = if self.availability.trim().is_empty() { "non précisées" } else { self.availability.trim() },
                        od = quoted(self.offer_details, "(pas de précision)", true),
                        rc = r.reach(),
                        vc = v.reach(),
                        confirm = self.confirm_url,
                        decline = self.decline_url,
                        closes = self.closes_on,
                    )
                }
                Locale::En => {
                    let children = if self.children.is_empty() {
                        String::new()
                    } else {
                        format!("Children: {}\n", self.children.iter().map(|c| c.1).collect::<Vec<_>>().join(", "))
                    };
                    let reminder =
                        if self.kind == IntroKind::Reminder { "We have not heard back about this introduction yet.\n\n" } else { "" };
                    format!(
                        "Hello {rn} and {vn},\n\n{reminder}Entraide introduces you to each other for: {help}.\n\n\
                         {rn} needs help near {area}. The request: {rd}\n{children}\
                         {vn} offers help about {km} km away. Availability: {av}. The offer: {od}\n\n\
                         To reach each other:\n- {rc}\n- {vc}\n\n\
                         Safety advice:\n\
                         - call each other before you meet;\n\
                         - check each other's identity on a video call;\n\
                         - prefer a contactless hand-over and contactless payment or a bank transfer, never cash in advance.\n\n\
                         When the help is arranged, confirm it: the data of this introduction is erased at once.\n\
                         The help is arranged: {confirm}\n\n\
                         It did not work out? Tell us and we will look for another volunteer (never the same one):\n{decline}\n\n\
                         Without an answer, the introduction closes and its data is erased on {closes}.\n",
                        rn = r.first_name,
                        vn = v.first_name,
                        help = self.help.1,
                        area = self.area,
                        rd = quoted(self.request_details, "(no details)", false),
                        av = if self.availability.trim().is_empty() { "not given" } else { self.availability.trim() },
                        od = quoted(self.offer_details, "(no details)", false),
                        rc = r.reach(),
                        vc = v.reach(),
                        confirm = self.confirm_url,
                        decline = self.decline_url,
                        closes = self.closes_on,
                    )
                }
            };
            out.push(text);
        }
        out.join("\n* * *\n\n")
    }

    /// The copy for one recipient: the shared text, then that recipient's erase link.
    pub fn render_for(&self, to: &Party<'_>, erase_url: &str) -> OutgoingMail {
        let subject = self.subject();
        let shared = self.shared_text();
        let erase = match to.locale {
            Locale::Fr => "Effacer toutes mes données Entraide",
            Locale::En => "Erase all my Entraide data",
        };
        let text = format!("{shared}\n--\n{erase} : {erase_url}\n");
        // The HTML shows the same text, escaped, with the URLs made clickable.
        let mut body = String::new();
        for line in shared.lines() {
            let escaped = escape_html(line);
            let linked = [self.confirm_url, self.decline_url].iter().fold(escaped, |acc, url| {
                let u = escape_html(url);
                acc.replace(&u, &format!(r#"<a href="{u}" style="color:#0b4f9c">{u}</a>"#))
            });
            body.push_str(&linked);
            body.push_str("<br>\n");
        }
        let lang = to.locale.tag();
        let html = format!(
            r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1a1a1a;max-width:40rem;margin:auto;padding:1rem">
<p>{body}</p>
<hr>
<p><a href="{erase_url}" style="color:#0b4f9c">{erase}</a></p>
</body></html>"#,
            title = escape_html(&subject),
            erase_url = escape_html(erase_url),
        );
        OutgoingMail {
            to: to.email.clone(),
            subject,
            text,
            html,
            links: vec![
                MailLink { purpose: "confirm_match".into(), url: self.confirm_url.to_owned() },
                MailLink { purpose: "decline_match".into(), url: self.decline_url.to_owned() },
                MailLink { purpose: "erase".into(), url: erase_url.to_owned() },
            ],
        }
    }
}

/// What a "keep it open" reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostNoun {
    HelpOffer,
    HelpRequest,
    Listing,
}

impl PostNoun {
    fn words(self) -> (&'static str, &'static str) {
        match self {
            PostNoun::HelpOffer => ("offre d'aide", "offer of help"),
            PostNoun::HelpRequest => ("demande d'aide", "request for help"),
            PostNoun::Listing => ("annonce", "listing"),
        }
    }
}

/// The day-25 reminder of an open offer, request or listing, with its "keep it open" link.
pub struct KeepOpenReminder<'a> {
    pub to: &'a Email,
    pub first_name: &'a str,
    pub locale: Locale,
    pub noun: PostNoun,
    /// Its name in French and in English: the help type, or a listing's own title (the same in both).
    pub help: (&'a str, &'a str),
    pub expires_on: &'a str,
    pub keep_open_url: &'a str,
    pub erase_url: &'a str,
}

impl KeepOpenReminder<'_> {
    pub fn render(&self) -> OutgoingMail {
        let (subject, text) = match self.locale {
            Locale::Fr => (
                "Votre annonce Entraide arrive à échéance".to_owned(),
                format!(
                    "Bonjour {},\n\nVotre {} « {} » sera effacée le {} avec les données qui l'accompagnent.\n\
                     Pour la garder ouverte 30 jours de plus : {}\n\nSinon, vous n'avez rien à faire.\n\n--\nEffacer toutes mes données : {}\n",
                    self.first_name,
                    self.noun.words().0,
                    self.help.0,
                    self.expires_on,
                    self.keep_open_url,
                    self.erase_url
                ),
            ),
            Locale::En => (
                "Your Entraide post is about to expire".to_owned(),
                format!(
                    "Hello {},\n\nYour {} \"{}\" will be erased on {} with the data that goes with it.\n\
                     To keep it open for 30 more days: {}\n\nOtherwise there is nothing to do.\n\n--\nErase all my data: {}\n",
                    self.first_name,
                    self.noun.words().1,
                    self.help.1,
                    self.expires_on,
                    self.keep_open_url,
                    self.erase_url
                ),
            ),
        };
        let lang = self.locale.tag();
        let html = format!(
            r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1a1a1a;max-width:36rem;margin:auto;padding:1rem"><p>{}</p></body></html>"#,
            escape_html(&subject),
            escape_html(&text).replace('\n', "<br>\n")
        );
        OutgoingMail {
            to: self.to.clone(),
            subject,
            text,
            html,
            links: vec![
                MailLink { purpose: "keep_open".into(), url: self.keep_open_url.to_owned() },
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
