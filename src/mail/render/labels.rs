//! Every user-facing word the renderer writes, in one struct so the
//! application can pick a language (French by default, English provided).

use crate::domain::envelope::MailDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels {
    pub from: &'static str,
    pub to: &'static str,
    pub cc: &'static str,
    pub date: &'static str,
    pub subject: &'static str,
    pub no_subject: &'static str,
    pub attachments: &'static str,
    pub links: &'static str,
    pub attached_message: &'static str,
    pub original_message: &'static str,
    pub charset_fallback: &'static str,
    pub no_text: &'static str,
    /// Read receipt: the message was displayed ("Lu le …").
    pub read_on: &'static str,
    pub processed_on: &'static str,
    pub deleted_unread_on: &'static str,
    pub dispatched_on: &'static str,
    pub receipt_denied: &'static str,
    pub receipt_failed: &'static str,
    pub receipt: &'static str,
    pub by: &'static str,
    pub about_message: &'static str,
    pub error: &'static str,
    /// Delivery status per recipient.
    pub delivered: &'static str,
    pub delayed: &'static str,
    pub relayed: &'static str,
    pub expanded: &'static str,
    pub failed: &'static str,
    pub delivery_report: &'static str,
    pub status: &'static str,
    pub unknown_recipient: &'static str,
    /// Separator between a label and its value (French puts a space before the colon).
    pub colon: &'static str,
    /// Byte units, smallest first.
    pub units: [&'static str; 4],
    /// Dates written day first (`31/01/2026 14:05`) rather than ISO order.
    pub day_first: bool,
}

impl Labels {
    pub const FRENCH: Labels = Labels {
        from: "De",
        to: "À",
        cc: "Cc",
        date: "Date",
        subject: "Objet",
        no_subject: "(sans objet)",
        attachments: "Pièces jointes",
        links: "Liens",
        attached_message: "Message joint",
        original_message: "Message d'origine",
        charset_fallback: "Jeu de caractères absent ou faux : texte lu en Windows-1252",
        no_text: "(pas de texte lisible)",
        read_on: "Lu le",
        processed_on: "Traité le",
        deleted_unread_on: "Supprimé sans être lu le",
        dispatched_on: "Transmis sans être lu le",
        receipt_denied: "Accusé de lecture refusé",
        receipt_failed: "Échec de l'accusé de lecture",
        receipt: "Accusé de lecture",
        by: "par",
        about_message: "Message concerné",
        error: "Erreur",
        delivered: "Remis",
        delayed: "Retardé",
        relayed: "Relayé",
        expanded: "Redistribué",
        failed: "Échec",
        delivery_report: "Avis de remise",
        status: "statut",
        unknown_recipient: "(destinataire inconnu)",
        colon: " : ",
        units: ["o", "Ko", "Mo", "Go"],
        day_first: true,
    };

    pub const ENGLISH: Labels = Labels {
        from: "From",
        to: "To",
        cc: "Cc",
        date: "Date",
        subject: "Subject",
        no_subject: "(no subject)",
        attachments: "Attachments",
        links: "Links",
        attached_message: "Attached message",
        original_message: "Original message",
        charset_fallback: "Missing or wrong charset: text read as Windows-1252",
        no_text: "(no readable text)",
        read_on: "Read on",
        processed_on: "Processed on",
        deleted_unread_on: "Deleted unread on",
        dispatched_on: "Forwarded unread on",
        receipt_denied: "Read receipt denied",
        receipt_failed: "Read receipt failed",
        receipt: "Read receipt",
        by: "by",
        about_message: "About message",
        error: "Error",
        delivered: "Delivered",
        delayed: "Delayed",
        relayed: "Relayed",
        expanded: "Expanded",
        failed: "Failed",
        delivery_report: "Delivery report",
        status: "status",
        unknown_recipient: "(unknown recipient)",
        colon: ": ",
        units: ["B", "KB", "MB", "GB"],
        day_first: false,
    };

    /// A date in the sender's offset, e.g. `31/01/2026 14:05 (+01:00)`.
    pub fn format_date(&self, date: MailDate) -> String {
        let d = date.to_offset_datetime();
        let offset = d.offset();
        let sign = if offset.is_negative() { '-' } else { '+' };
        let (oh, om) = (
            offset.whole_hours().unsigned_abs(),
            offset.minutes_past_hour().unsigned_abs(),
        );
        if self.day_first {
            format!(
                "{:02}/{:02}/{} {:02}:{:02} ({sign}{oh:02}:{om:02})",
                d.day(),
                u8::from(d.month()),
                d.year(),
                d.hour(),
                d.minute()
            )
        } else {
            format!(
                "{}-{:02}-{:02} {:02}:{:02} ({sign}{oh:02}:{om:02})",
                d.year(),
                u8::from(d.month()),
                d.day(),
                d.hour(),
                d.minute()
            )
        }
    }

    /// A size with one decimal above the byte unit: `12,5 Ko` / `12.5 KB`.
    pub fn format_size(&self, bytes: usize) -> String {
        let mut value = bytes as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < self.units.len() {
            value /= 1024.0;
            unit += 1;
        }
        let text = if unit == 0 {
            format!("{bytes}")
        } else {
            format!("{value:.1}")
        };
        let text = if self.day_first {
            text.replace('.', ",")
        } else {
            text
        };
        format!("{text} {}", self.units[unit])
    }
}

impl Default for Labels {
    fn default() -> Self {
        Labels::FRENCH
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_sizes_follow_the_language() {
        let date = MailDate {
            utc_seconds: 1_769_868_300, // 2026-01-31T14:05:00Z
            offset_minutes: 60,
        };
        assert_eq!(
            Labels::FRENCH.format_date(date),
            "31/01/2026 15:05 (+01:00)"
        );
        assert_eq!(
            Labels::ENGLISH.format_date(date),
            "2026-01-31 15:05 (+01:00)"
        );
        assert_eq!(Labels::FRENCH.format_size(12_800), "12,5 Ko");
        assert_eq!(Labels::ENGLISH.format_size(12_800), "12.5 KB");
        assert_eq!(Labels::ENGLISH.format_size(10), "10 B");
    }
}
