//! Demo messages as real RFC 822 bytes (mail-builder), so opening one goes
//! through the same MIME parser and renderer as mail from a server:
//! encoded headers, `Disposition-Notification-To`, base64 attachments, a
//! genuine `IHE_XDM.ZIP` around a demo CDA, MDN receipts.

use super::mailbox::{DemoAttachment, DemoKind, DemoMessage};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;

/// Splits `Name <addr>` into its two halves.
fn split_address(text: &str) -> (Option<String>, String) {
    match text.split_once(" <") {
        Some((name, rest)) => (
            Some(name.to_string()),
            rest.trim_end_matches('>').to_string(),
        ),
        None => (None, text.to_string()),
    }
}

fn address(text: &str) -> Address<'static> {
    let (name, email) = split_address(text);
    Address::new_address(name, email)
}

fn bare(id: &str) -> String {
    id.trim_start_matches('<').trim_end_matches('>').to_string()
}

/// The whole message as sent.
pub(super) fn raw_message(message: &DemoMessage) -> Vec<u8> {
    if message.kind == DemoKind::Receipt
        && let Some(bytes) = receipt(message)
    {
        return bytes;
    }
    let mut builder = MessageBuilder::new()
        .from(address(&message.from))
        .to(address(&message.to))
        .subject(message.subject.clone())
        .date(message.date)
        .message_id(bare(&message.message_id));
    if !message.cc.is_empty() {
        builder = builder.cc(address(&message.cc));
    }
    if let Some(parent) = &message.in_reply_to {
        builder = builder
            .in_reply_to(bare(parent))
            .references(bare(&message.thread_root));
    }
    if message.receipt_requested {
        builder = builder.header("Disposition-Notification-To", address(&message.from));
    }
    builder = builder.text_body(message.body.replace('\n', "\r\n"));
    for attachment in &message.attachments {
        builder = builder.attachment(
            attachment.mime_type.clone(),
            attachment.name.clone(),
            attachment_bytes(message, attachment),
        );
    }
    builder.write_to_vec().unwrap_or_default()
}

/// An MDN "displayed" for the message this one answers.
fn receipt(message: &DemoMessage) -> Option<Vec<u8>> {
    let (name, email) = split_address(&message.from);
    let original = bare(message.in_reply_to.as_deref()?);
    let mdn = crate::mail::mdn::Mdn {
        reporter: crate::mail::compose::Mailbox { name, email },
        to: split_address(&message.to).1,
        original_message_id: original,
        original_subject: message
            .subject
            .trim_start_matches("Accusé de lecture : ")
            .to_string(),
        original_recipient: None,
        reporting_ua: "Cachet demo".into(),
        mode: crate::mail::mdn::SendingMode::Manually,
        original_headers: None,
    };
    crate::mail::mdn::build_mdn(&mdn, message.date)
        .ok()
        .map(|built| built.bytes)
}

/// Generated content of the declared size: a minimal PDF, or an XDM package.
fn attachment_bytes(message: &DemoMessage, attachment: &DemoAttachment) -> Vec<u8> {
    if attachment.name.eq_ignore_ascii_case("IHE_XDM.ZIP")
        && let Some(zip) = xdm_package()
    {
        return zip;
    }
    let mut pdf = format!(
        "%PDF-1.4\n% Cachet demo document {}\n1 0 obj << /Type /Catalog >> endobj\n",
        message.id.0
    )
    .into_bytes();
    let target = usize::try_from(attachment.size.min(64 * 1024)).unwrap_or(0);
    while pdf.len() < target {
        pdf.extend_from_slice(b"% demonstration content, no patient data\n");
    }
    pdf.extend_from_slice(b"%%EOF\n");
    pdf
}

/// The demo biology report (a CDA R2 of the demo record), packaged as IHE XDM.
fn xdm_package() -> Option<Vec<u8>> {
    let records = super::records::DemoRecords::new();
    let cda = records.fetch("DEMO-1").ok()?;
    let options = crate::mail::xdm::write::PackageOptions {
        source_id: "1.2.250.1.999.1.1".into(),
        author: None,
        content_type: None,
        intended_recipients: Vec::new(),
        title: Some("Compte rendu de biologie".into()),
        ins_policy: crate::records::ins::InsPolicy { test_profile: true },
    };
    crate::mail::xdm::write::package_cda(cda, &options)
        .ok()
        .map(|p| p.zip)
}

/// One folder of the demo as raw messages, for the encrypted cache.
pub struct RawFolder {
    pub name: String,
    pub role: crate::domain::mailbox::FolderRole,
    /// (UID, flags, RFC 822 bytes).
    pub messages: Vec<(u32, crate::domain::mailbox::Flags, Vec<u8>)>,
}

impl super::mailbox::DemoMailbox {
    /// Every folder with its messages as real RFC 822 bytes: what the demo
    /// feeds into the encrypted cache, so the demo mailbox is served by the
    /// same cache as a real account.
    pub fn raw_folders(&self) -> Vec<RawFolder> {
        let Ok(live) = self.live.lock() else {
            return Vec::new();
        };
        self.folders
            .iter()
            .enumerate()
            .map(|(i, (name, role))| RawFolder {
                name: name.clone(),
                role: *role,
                messages: live
                    .messages
                    .iter()
                    .filter(|m| m.folder == i)
                    .map(|m| {
                        let uid = u32::try_from(m.id.0).unwrap_or(u32::MAX);
                        (uid, m.flags, raw_message(m))
                    })
                    .collect(),
            })
            .collect()
    }
}
