//! The relay's e-mails (docs/PRODUCT.md §2.2), in French and English, as plain text and HTML: the
//! message to a listing's owner (never the sender's address), the introduction once the owner accepts
//! (the same text for both), and the notice to a sender that the owner declined (no reason, nothing of
//! the owner). The message is a person's text: HTML escapes it, so it is shown and never interpreted.

use super::templates::{Party, both_locales, escape_html};
use super::{MailLink, OutgoingMail};
use crate::domain::{Email, Locale};

/// The text as HTML: every line escaped, the given links made clickable.
pub(crate) fn html_of(locale: Locale, subject: &str, text: &str, links: &[&str]) -> String {
    let mut body = String::new();
    for line in text.lines() {
        let linked = links.iter().fold(escape_html(line), |acc, url| {
            let u = escape_html(url);
            acc.replace(&u, &format!(r#"<a href="{u}" style="color:#0b4f9c">{u}</a>"#))
        });
        body.push_str(&linked);
        body.push_str("<br>\n");
    }
    format!(
        r#"<!doctype html><html lang="{}"><head><meta charset="utf-8"><title>{}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1a1a1a;max-width:40rem;margin:auto;padding:1rem">
<p>{body}</p>
</body></html>"#,
        locale.tag(),
        escape_html(subject),
    )
}

/// A person's message, quoted line by line.
fn quoted(s: &str) -> String {
    s.lines().map(|l| format!("> {l}")).collect::<Vec<_>>().join("\n")
}

/// The message to a listing's owner: what the sender wrote, their first name and generic community,
/// and the accept / decline / report links. Nothing that reaches the sender.
pub struct ContactToOwner<'a> {
    pub to: &'a Email,
    pub owner_first_name: &'a str,
    pub locale: Locale,
    /// The day-7 reminder rather than the first message.
    pub reminder: bool,
    pub listing_title: &'a str,
    pub sender_first_name: &'a str,
    /// The sender's generic community label, in the owner's language.
    pub sender_community: &'a str,
    pub message: &'a str,
    pub accept_url: &'a str,
    pub decline_url: &'a str,
    pub report_url: &'a str,
    pub erase_url: &'a str,
    /// The day the contact closes unanswered, `YYYY-MM-DD`.
    pub closes_on: &'a str,
}

impl ContactToOwner<'_> {
    pub fn render(&self) -> OutgoingMail {
        let (o, s, c, t) = (self.owner_first_name, self.sender_first_name, self.sender_community, self.listing_title);
        let msg = quoted(self.message);
        let (subject, text) = match self.locale {
            Locale::Fr => (
                if self.reminder {
                    format!("Rappel : {s} attend votre réponse – « {t} »")
                } else {
                    format!("{s} souhaite vous contacter – « {t} »")
                },
                format!(
                    "Bonjour {o},\n\n{intro}{s} ({c}) a répondu à votre annonce « {t} » sur Entraide :\n\n{msg}\n\n\
                     Entraide ne lui a donné ni votre adresse ni votre nom, et ne vous donne pas les siens tant que vous n'avez pas accepté.\n\n\
                     Accepter : vous recevrez tous les deux le même message de mise en relation, avec vos adresses.\n{accept}\n\n\
                     Décliner : {s} sera prévenu(e), sans motif ni aucun détail sur vous, et ne pourra plus vous contacter.\n{decline}\n\n\
                     Signaler un message abusif à la modération :\n{report}\n\n\
                     Sans réponse, ce message sera effacé le {closes}.\n\n--\nEffacer toutes mes données Entraide : {erase}\n",
                    intro = if self.reminder { "Un message attend toujours votre réponse.\n\n" } else { "" },
                    accept = self.accept_url,
                    decline = self.decline_url,
                    report = self.report_url,
                    closes = self.closes_on,
                    erase = self.erase_url,
                ),
            ),
            Locale::En => (
                if self.reminder {
                    format!("Reminder: {s} is waiting for your answer – \u{201c}{t}\u{201d}")
                } else {
                    format!("{s} would like to contact you – \u{201c}{t}\u{201d}")
                },
                format!(
                    "Hello {o},\n\n{intro}{s} ({c}) answered your listing \u{201c}{t}\u{201d} on Entraide:\n\n{msg}\n\n\
                     Entraide has given them neither your address nor your name, and gives you theirs only once you accept.\n\n\
                     Accept: you will both receive the same introduction, with your addresses.\n{accept}\n\n\
                     Decline: {s} will be told, without a reason or any detail about you, and cannot contact you again.\n{decline}\n\n\
                     Report an abusive message to the moderators:\n{report}\n\n\
                     Without an answer, this message is erased on {closes}.\n\n--\nErase all my Entraide data: {erase}\n",
                    intro = if self.reminder { "A message is still waiting for your answer.\n\n" } else { "" },
                    accept = self.accept_url,
                    decline = self.decline_url,
                    report = self.report_url,
                    closes = self.closes_on,
                    erase = self.erase_url,
                ),
            ),
        };
        let html = html_of(self.locale, &subject, &text, &[self.accept_url, self.decline_url, self.report_url, self.erase_url]);
        OutgoingMail {
            to: self.to.clone(),
            subject,
            text,
            html,
            links: vec![
                MailLink { purpose: "accept_contact".into(), url: self.accept_url.to_owned() },
                MailLink { purpose: "decline_contact".into(), url: self.decline_url.to_owned() },
                MailLink { purpose: "report_contact".into(), url: self.report_url.to_owned() },
                MailLink { purpose: "erase".into(), url: self.erase_url.to_owned() },
            ],
        }
    }
}

/// The introduction once the owner accepted: one text for both, naming both, with the safety advice and
/// the confirm link; each copy ends with its recipient's own erase link. In both languages, French
/// first, when the two chose different ones.
pub struct ContactIntroduction<'a> {
    pub owner: Party<'a>,
    pub sender: Party<'a>,
    pub listing_title: &'a str,
    pub message: &'a str,
    pub confirm_url: &'a str,
    pub closes_on: &'a str,
}

impl ContactIntroduction<'_> {
    fn locales(&self) -> Vec<Locale> {
        both_locales(&self.owner, &self.sender)
    }

    pub fn subject(&self) -> String {
        let t = self.listing_title;
        let parts: Vec<String> = self
            .locales()
            .iter()
            .map(|l| match l {
                Locale::Fr => format!("Mise en relation Entraide – « {t} »"),
                Locale::En => format!("Entraide introduction – \u{201c}{t}\u{201d}"),
            })
            .collect();
        parts.join(" / ")
    }

    /// The text both receive, without any erase link.
    pub fn shared_text(&self) -> String {
        let (o, s, t) = (&self.owner, &self.sender, self.listing_title);
        let mut out = Vec::new();
        for locale in self.locales() {
            let msg = quoted(self.message);
            out.push(match locale {
                Locale::Fr => format!(
                    "Bonjour {on} et {sn},\n\n{on} a accepté le message de {sn} au sujet de l'annonce « {t} » :\n\n{msg}\n\n\
                     Pour vous joindre :\n- {oc}\n- {sc}\n\n\
                     Conseils de sécurité :\n\
                     - appelez-vous avant de vous rencontrer ;\n\
                     - vérifiez l'identité de l'autre par un appel vidéo ;\n\
                     - ne versez jamais d'argent à l'avance et ne communiquez aucun code.\n\n\
                     Quand le contact est établi, confirmez-le : les données de cette mise en relation seront effacées aussitôt.\n\
                     Le contact est établi : {confirm}\n\n\
                     Sans réponse, la mise en relation sera close et ses données effacées le {closes}.\n",
                    on = o.first_name,
                    sn = s.first_name,
                    oc = o.reach(),
                    sc = s.reach(),
                    confirm = self.confirm_url,
                    closes = self.closes_on,
                ),
                Locale::En => format!(
                    "Hello {on} and {sn},\n\n{on} accepted {sn}'s message about the listing \u{201c}{t}\u{201d}:\n\n{msg}\n\n\
                     To reach each other:\n- {oc}\n- {sc}\n\n\
                     Safety advice:\n\
                     - call each other before you meet;\n\
                     - check each other's identity on a video call;\n\
                     - never pay anything in advance and never share a code.\n\n\
                     Once you are in touch, confirm it: the data of this introduction is erased at once.\n\
                     We are in touch: {confirm}\n\n\
                     Without an answer, the introduction closes and its data is erased on {closes}.\n",
                    on = o.first_name,
                    sn = s.first_name,
                    oc = o.reach(),
                    sc = s.reach(),
                    confirm = self.confirm_url,
                    closes = self.closes_on,
                ),
            });
        }
        out.join("\n* * *\n\n")
    }

    /// The copy for one recipient: the shared text, then that recipient's erase link.
    pub fn render_for(&self, to: &Party<'_>, erase_url: &str) -> OutgoingMail {
        let subject = self.subject();
        let erase = match to.locale {
            Locale::Fr => "Effacer toutes mes données Entraide",
            Locale::En => "Erase all my Entraide data",
        };
        let text = format!("{}\n--\n{erase} : {erase_url}\n", self.shared_text());
        let html = html_of(to.locale, &subject, &text, &[self.confirm_url, erase_url]);
        OutgoingMail {
            to: to.email.clone(),
            subject,
            text,
            html,
            links: vec![
                MailLink { purpose: "confirm_contact".into(), url: self.confirm_url.to_owned() },
                MailLink { purpose: "erase".into(), url: erase_url.to_owned() },
            ],
        }
    }
}

/// To a sender whose contact the owner declined: no reason, nothing of the owner.
pub struct ContactDeclined<'a> {
    pub to: &'a Email,
    pub first_name: &'a str,
    pub locale: Locale,
    pub listing_title: &'a str,
    pub erase_url: &'a str,
}

impl ContactDeclined<'_> {
    pub fn render(&self) -> OutgoingMail {
        let (n, t, e) = (self.first_name, self.listing_title, self.erase_url);
        let (subject, text) = match self.locale {
            Locale::Fr => (
                format!("Votre message au sujet de « {t} »"),
                format!(
                    "Bonjour {n},\n\nVotre message au sujet de l'annonce « {t} » n'a pas donné suite. Il a été effacé.\n\
                     D'autres annonces vous attendent peut-être sur Entraide.\n\n--\nEffacer toutes mes données Entraide : {e}\n"
                ),
            ),
            Locale::En => (
                format!("Your message about \u{201c}{t}\u{201d}"),
                format!(
                    "Hello {n},\n\nYour message about the listing \u{201c}{t}\u{201d} was not taken up. It has been erased.\n\
                     Other listings may be waiting for you on Entraide.\n\n--\nErase all my Entraide data: {e}\n"
                ),
            ),
        };
        let html = html_of(self.locale, &subject, &text, &[e]);
        OutgoingMail { to: self.to.clone(), subject, text, html, links: vec![MailLink { purpose: "erase".into(), url: e.to_owned() }] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_escaped_in_html_and_no_sender_address_is_in_the_owner_mail() {
        let to = Email::parse("owner@example.org").unwrap();
        for locale in [Locale::Fr, Locale::En] {
            let m = ContactToOwner {
                to: &to,
                owner_first_name: "Odile",
                locale,
                reminder: false,
                listing_title: "Besoin <b>de</b> bras",
                sender_first_name: "Samir",
                sender_community: "Santé",
                message: "<script>alert(1)</script> & \"merci\"",
                accept_url: "https://x/link#a",
                decline_url: "https://x/link#d",
                report_url: "https://x/link#r",
                erase_url: "https://x/link#e",
                closes_on: "2027-01-29",
            }
            .render();
            assert!(!m.html.contains("<script>") && m.html.contains("&lt;script&gt;"), "{}", m.html);
            assert!(!m.html.contains("<b>de</b>"));
            assert!(m.text.contains("<script>alert(1)</script>"), "the text part shows the message as written");
            for url in ["https://x/link#a", "https://x/link#d", "https://x/link#r", "https://x/link#e"] {
                assert!(m.text.contains(url) && m.html.contains(&format!("href=\"{url}\"")));
            }
            assert!(!m.text.contains('@'), "no address at all in the owner's mail: {}", m.text);
        }
    }
}
