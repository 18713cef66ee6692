//! The mail server the letters and messages are sent through: one SMTP transport, from the programme's
//! address. What a failure says names the kind of failure only, never an address.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::MailSettings;

/// How long the mail server has to take a letter.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// A letter as rendered: its subject and the HTML document sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

/// The mail server the letters are sent through, and who they come from.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    office: Option<Address>,
}

impl Mailer {
    /// The mail server of the settings; nothing is sent or connected to yet.
    pub fn new(settings: &MailSettings) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings.from.parse().map_err(|_| {
            anyhow::anyhow!(
                "ETP_MAIL_FROM must be an email address, such as EtP Scholarships <letters@example.org>"
            )
        })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.smtp_url.expose())
            .map_err(|_| {
                anyhow::anyhow!(
                    "ETP_SMTP_URL must be smtp://host:port, smtp://host:587?tls=required or smtps://host"
                )
            })?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let office = match settings.office.as_deref() {
            None => None,
            Some(office) => Some(office.trim().parse::<Address>().map_err(|_| {
                anyhow::anyhow!(
                    "ETP_OFFICE_EMAIL must be an email address, such as office@example.org"
                )
            })?),
        };
        Ok(Mailer {
            transport,
            from,
            office,
        })
    }

    /// The programme office's address, where one is configured.
    pub fn office(&self) -> Option<String> {
        self.office.as_ref().map(Address::to_string)
    }

    /// Sends one letter as an HTML email; the reason it could not, in words that name no one.
    pub(crate) async fn send(
        &self,
        to: &str,
        name: Option<&str>,
        letter: &Letter,
    ) -> Result<(), String> {
        let address: Address = to
            .trim()
            .parse()
            .map_err(|_| "the application's email address cannot be written to".to_string())?;
        let name = name
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string);
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(letter.subject.clone())
            .header(ContentType::TEXT_HTML)
            .body(letter.body.clone())
            .map_err(|_| "the letter could not be made into an email".to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| reason_of(&error))
    }
}

impl Mailer {
    /// Sends a short message of plain text (a password reset link); the reason it could not, in words that
    /// name no one.
    pub async fn send_text(&self, to: &str, subject: &str, text: &str) -> Result<(), String> {
        let address: Address = to
            .trim()
            .parse()
            .map_err(|_| "the account's email address cannot be written to".to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, address))
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text.to_string())
            .map_err(|_| "the message could not be made into an email".to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| reason_of(&error))
    }
}

/// Why the mail server did not take a letter. Only the kind of failure and the server's reply code: the
/// reply's text can quote the address.
fn reason_of(error: &lettre::transport::smtp::Error) -> String {
    if error.is_timeout() {
        "the mail server did not answer in time".to_string()
    } else if let Some(code) = error.status() {
        if error.is_permanent() {
            format!("the mail server refused the letter (reply {code})")
        } else {
            format!("the mail server could not take the letter now (reply {code})")
        }
    } else if error.is_tls() {
        "a secure connection to the mail server could not be made".to_string()
    } else {
        "the mail server could not be reached".to_string()
    }
}
